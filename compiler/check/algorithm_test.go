package check

import (
	"testing"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// TestGridPoints counts grid values as Katib's grid service does, including the doubles
// whose step does not divide the range evenly in floating point.
func TestGridPoints(t *testing.T) {
	num := func(s string) *model.Setting { v := model.NumberSetting(s); return &v }
	cases := []struct {
		name string
		prm  model.Parameter
		want int
	}{
		{"doubles, step 0.005", model.Parameter{Min: num("0.01"), Max: num("0.05"), Step: num("0.005")}, 9},
		{"doubles, step 0.1", model.Parameter{Min: num("0.5"), Max: num("0.9"), Step: num("0.1")}, 5},
		{"doubles, a step past max", model.Parameter{Min: num("0"), Max: num("1"), Step: num("0.3")}, 4},
		{"ints, step 1 by default", model.Parameter{Type: "int", Min: num("1"), Max: num("9")}, 9},
		{"ints, step 2", model.Parameter{Type: "int", Min: num("1"), Max: num("9"), Step: num("2")}, 5},
		{"categorical", model.Parameter{Values: []model.Setting{model.StringSetting("sgd"), model.StringSetting("adam")}}, 2},
	}
	for _, tc := range cases {
		if got := gridPoints(tc.prm); got != tc.want {
			t.Errorf("%s: %d points, want %d", tc.name, got, tc.want)
		}
	}
}
