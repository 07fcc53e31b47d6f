package check

import "testing"

func TestControls(t *testing.T) {
	for key, want := range map[string]bool{
		"kustomize.toolkit.fluxcd.io/prune":              true,
		"kustomize.toolkit.fluxcd.io/ssa":                true,
		"pod-security.kubernetes.io/enforce":             true,
		"kubernetes.io/metadata.name":                    true,
		"node-role.k8s.io/x":                             true,
		"katib.kubeflow.org/metrics-collector-injection": true,
		"istio-injection":                                true,
		"owner":                                          true,
		"team":                                           false,
		"example.com/cost-center":                        false,
		"notkubernetes.io/x":                             false,
		"kubernetes.io.example.com/x":                    false,
	} {
		if got := controls(key); got != want {
			t.Errorf("controls(%q) = %v, want %v", key, got, want)
		}
	}
}
