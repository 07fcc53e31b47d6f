package lower

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
)

func TestScaleQuantity(t *testing.T) {
	cases := []struct{ in, want string }{
		{"16Gi", "19.2Gi"},
		{"1Gi", "1.2Gi"},
		{"4", "4.8"},
		{"0.5", "0.6"},
		{"500m", "600m"},
		{"10Gi", "12Gi"},
		{"0.04", "48m"},        // the spawner's rounding would give 0
		{"0.04Gi", "51539608"}, // likewise: the exact product in bytes
	}
	for _, c := range cases {
		got := scaleQuantity(c.in, 1.2)
		if got != c.want {
			t.Errorf("scaleQuantity(%s, 1.2) = %s, want %s", c.in, got, c.want)
		}
		lim, req := resource.MustParse(got), resource.MustParse(c.in)
		if lim.Cmp(req) < 0 {
			t.Errorf("limit %s below request %s", got, c.in)
		}
	}
	if got := scaleQuantity("3Gi", 1); got != "3Gi" {
		t.Errorf("factor 1 changed %s", got)
	}
}
