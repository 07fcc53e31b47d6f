package status

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestParsePushed(t *testing.T) {
	out := `oci://registry.example.com/ml/prod/platform@sha256:aaaa
oci://registry.example.com/ml/prod/tenants/vision@sha256:bbbb
oci://registry.example.com/ml/staging/tenants/vision@sha256:cccc
[1/3] prod/platform uploaded
`
	exp, err := ParsePushed(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(exp) != 3 || exp["oci://registry.example.com/ml/prod/tenants/vision"] != "sha256:bbbb" {
		t.Fatalf("%v", exp)
	}
	if got := exp.ForCluster("prod"); len(got) != 2 || got["oci://registry.example.com/ml/prod/platform"] != "sha256:aaaa" {
		t.Errorf("ForCluster: %v", got)
	}
	if got := exp.Tenants("staging"); len(got) != 1 || got[0] != "vision" {
		t.Errorf("Tenants: %v", got)
	}
	if _, err := ParsePushed(strings.NewReader("oci://r/x@latest\n")); err == nil {
		t.Error("a line without a digest was accepted")
	}
}

func TestRevisions(t *testing.T) {
	rev := "prod@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	if d := Digest(rev); d != rev[5:] {
		t.Errorf("Digest: %s", d)
	}
	if s := shortRevision(rev); s != "prod@sha256:0123456789ab" {
		t.Errorf("shortRevision: %s", s)
	}
}

func TestJobHealth(t *testing.T) {
	job := func(typ, st string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"conditions": []any{
			map[string]any{"type": "Created", "status": "True"},
			map[string]any{"type": typ, "status": st, "message": "BackoffLimitExceeded"},
		}}}}
	}
	for _, c := range []struct {
		obj     *unstructured.Unstructured
		health  string
		healthy bool
	}{
		{job("Failed", "True"), "Failed", false},
		{job("Complete", "True"), "Current", true},
		{job("Succeeded", "True"), "Current", true},
		{job("Failed", "False"), "InProgress", true},
	} {
		res := jobStatus(c.obj)
		w := Workload{Health: string(res.Status), Job: true}
		if w.Health != c.health || w.Healthy() != c.healthy {
			t.Errorf("%v: %s, healthy %v", c.obj.Object, w.Health, w.Healthy())
		}
	}
	if (Workload{Health: "InProgress"}).Healthy() {
		t.Error("a notebook in progress counts as healthy")
	}
}
