package manifest

import "testing"

func TestIdentOfYAML(t *testing.T) {
	t.Parallel()
	o := notebook()
	o.Content["metadata"].(map[string]any)["labels"] = map[string]any{"name": "not-this", "app": "x"}
	yaml, err := o.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := IdentOfYAML(yaml); !ok || id != (Ident{"kubeflow.org/v1", "Notebook", "dev", "team-a"}) {
		t.Fatalf("the encoder's YAML: %+v, %v\n%s", id, ok, yaml)
	}
	for _, tc := range []struct {
		name, yaml string
		want       Ident
		ok         bool
	}{
		{"cluster-scoped", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n", Ident{"v1", "Namespace", "team-a", ""}, true},
		{"a second document", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: team-a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: other\n", Ident{}, false},
		{"metadata twice", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: team-a\nmetadata:\n  name: a\n  namespace: other\n", Ident{}, false},
		{"namespace twice", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: team-a\n  namespace: other\n", Ident{}, false},
		{"a quoted key", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: team-a\n  \"namespace\": other\n", Ident{}, false},
		{"a quoted value", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: \"other\"\n", Ident{}, false},
		{"flow metadata", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: other}\n", Ident{}, false},
		{"a comment", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  # namespace: x\n  namespace: team-a\n", Ident{}, false},
		{"no name", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: team-a\n", Ident{"v1", "ConfigMap", "", "team-a"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, ok := IdentOfYAML([]byte(tc.yaml))
			if ok != tc.ok || ok && id != tc.want {
				t.Errorf("%+v, %v; want %+v, %v", id, ok, tc.want, tc.ok)
			}
		})
	}
}
