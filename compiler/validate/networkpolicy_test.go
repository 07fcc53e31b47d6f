package validate

import (
	"strings"
	"testing"
)

func TestNetworkPolicy(t *testing.T) {
	t.Parallel()
	v := New()
	for _, c := range []struct {
		name, spec string
		want       []string // paths of the errors, each with a part of its message
	}{
		{"admits the namespace and a gateway", `{"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
		  "ingress": [{"from": [{"podSelector": {}}, {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}}}], "ports": [{"port": 8888}]}],
		  "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}], "ports": [{"protocol": "UDP", "port": 53, "endPort": 60}, {"port": "dns"}]}]}`, nil},
		{"unknown field", `{"podSelector": {}, "ingres": []}`, []string{"spec.ingres: unknown field"}},
		{"policy type", `{"podSelector": {}, "policyTypes": ["Sideways"]}`, []string{`spec.policyTypes[0]: Unsupported value: "Sideways"`}},
		{"bad ports", `{"podSelector": {}, "ingress": [{"ports": [{"protocol": "ICMP", "port": 70000}, {"port": "http", "endPort": 90}, {"port": 90, "endPort": 80}]}]}`, []string{
			`spec.ingress[0].ports[0].port: Invalid value: 70000`,
			`spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP"`,
			"spec.ingress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric",
			"spec.ingress[0].ports[2].endPort: Invalid value: 80: must be greater than or equal to `port`",
		}},
		{"bad peers", `{"podSelector": {"matchLabels": {"a b": "c"}}, "egress": [{"to": [{}, {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16", "x"]}, "podSelector": {}}]}]}`, []string{
			"spec.egress[0].to[0]: Required value",
			"spec.egress[0].to[1]: Forbidden: may not specify both ipBlock and another peer",
			"spec.egress[0].to[1].ipBlock.except[0]: Invalid value: \"192.168.0.0/16\": must be a strict subset",
			"spec.egress[0].to[1].ipBlock.except[1]: Invalid value: \"x\": must be a valid CIDR",
			"spec.podSelector.matchLabels: Invalid value: \"a b\"",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			obj := decode(t, `{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": "vision"}, "spec": `+c.spec+`}`)
			errs := v.Validate(obj)
			if len(errs) != len(c.want) {
				t.Fatalf("errors:%s\nwant %d", show(errs), len(c.want))
			}
			for i, e := range errs {
				if !strings.HasPrefix(e.String(), c.want[i]) {
					t.Errorf("error %d is %q, want it to start %q", i, e, c.want[i])
				}
			}
		})
	}
	if ns, known := v.Namespaced("networking.k8s.io/v1", "NetworkPolicy"); !ns || !known {
		t.Errorf("NetworkPolicy: namespaced %v, known %v", ns, known)
	}
}
