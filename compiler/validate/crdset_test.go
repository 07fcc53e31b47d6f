package validate

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// widgetCRD is a small CRD with a default, a CEL rule, a status subresource and a
// cluster-scoped sibling in mind.
const widgetCRD = `# A CRD as a cluster installs it.
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - {rule: "self.size <= 10", message: too big}
            properties:
              size: {type: integer, default: 1}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
  - name: v0
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object}
`

func yamlToJSON(t *testing.T, s string) []byte {
	t.Helper()
	b, err := yaml.YAMLToJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNewFromCRDsJudges: a CRD given as YAML (block or flow) or as JSON makes a validator that
// knows its kind, with its scope and served versions, and judges its objects
// with the whole create path: pruning, defaulting, status, CEL.
func TestNewFromCRDsJudges(t *testing.T) {
	t.Parallel()
	flow := `{apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, metadata: {name: widgets.example.com},
	  spec: {group: example.com, names: {kind: Widget, plural: widgets}, scope: Namespaced, versions: [
	    {name: v1, served: true, storage: true, subresources: {status: {}}, schema: {openAPIV3Schema: {type: object, properties: {
	      spec: {type: object, x-kubernetes-validations: [{rule: "self.size <= 10", message: too big}], properties: {size: {type: integer, default: 1}}},
	      status: {type: object, x-kubernetes-preserve-unknown-fields: true}}}}},
	    {name: v0, served: false, storage: false, schema: {openAPIV3Schema: {type: object}}}]}}`
	for name, raw := range map[string][]byte{"YAML": []byte(widgetCRD), "JSON": yamlToJSON(t, widgetCRD), "YAML flow": []byte(flow)} {
		t.Run(name, func(t *testing.T) {
			v, err := newFromCRDs([][]byte{raw}, newEntryCache())
			if err != nil {
				t.Fatal(err)
			}
			if ns, known := v.Namespaced("example.com/v1", "Widget"); !known || !ns {
				t.Errorf("Widget v1: namespaced %v, known %v", ns, known)
			}
			if v.Known("example.com/v0", "Widget") {
				t.Error("the unserved v0 is known")
			}
			if v.Known("kubeflow.org/v1", "Notebook") {
				t.Error("a kind none of the CRDs defines is known")
			}
			if !v.Known("v1", "ConfigMap") {
				t.Error("a built-in kind is unknown")
			}
			obj := func(spec string) map[string]any {
				return decode(t, `{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": `+spec+`}`)
			}
			expect(t, v, obj(`{"size": 3}`))
			expect(t, v, obj(`{}`)) // defaulted to 1
			expect(t, v, obj(`{"size": 11}`), FieldError{Path: "spec", Message: "Invalid value: too big"})
			expect(t, v, obj(`{"size": 3, "colour": "red"}`), FieldError{Path: "spec.colour", Message: "unknown field (the API server would prune it)"})
			expect(t, v, obj(`{"size": "3"}`),
				FieldError{Message: "Invalid value: null: some validation rules were not checked"},
				FieldError{Path: "spec.size", Message: "Invalid value: \"string\": spec.size in body must be of type integer"})
			with := obj(`{}`)
			with["status"] = map[string]any{"ready": true}
			expect(t, v, with, FieldError{Path: "status", Message: "Forbidden: the status subresource is enabled"})
			with["apiVersion"] = "example.com/v0"
			expect(t, v, with, FieldError{Path: "apiVersion", Message: `Unsupported value: "example.com/v0": version v0 of the Widget.example.com CRD is not served`})
		})
	}
}

// TestNewFromCRDsRefuses: what is not one apiextensions.k8s.io/v1 CRD with a
// group, kind, scope and named versions is refused, naming the CRD and the
// field; so are two different CRDs for one kind. The same CRD twice is one.
func TestNewFromCRDsRefuses(t *testing.T) {
	t.Parallel()
	edit := func(old, new string) string {
		if !strings.Contains(widgetCRD, old) {
			t.Fatalf("%q is not in widgetCRD", old)
		}
		return strings.Replace(widgetCRD, old, new, 1)
	}
	cases := []struct {
		name string
		crds []string
		want string // "" for no error
	}{
		{"a ConfigMap", []string{"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"}, "CRD 1 of 1: CRD x: not an apiextensions.k8s.io/v1 CustomResourceDefinition, but v1 ConfigMap"},
		{"a v1beta1 CRD", []string{edit("apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1")}, "CRD widgets.example.com: not an apiextensions.k8s.io/v1 CustomResourceDefinition"},
		{"no group", []string{edit("group: example.com", "group: \"\"")}, "CRD widgets.example.com: spec.group: Required value"},
		{"no kind", []string{edit("kind: Widget, ", "")}, "CRD widgets.example.com: spec.names.kind: Required value"},
		{"a bad scope", []string{edit("scope: Namespaced", "scope: Global")}, `CRD widgets.example.com: spec.scope: Unsupported value: "Global"`},
		{"no versions", []string{strings.Split(widgetCRD, "  versions:")[0] + "  versions: []\n"}, "CRD widgets.example.com: spec.versions: Required value"},
		{"a version twice", []string{edit("name: v0", "name: v1")}, `CRD widgets.example.com: spec.versions[1].name: Duplicate value: "v1"`},
		{"a version without a name", []string{edit("name: v0", "name: \"\"")}, "CRD widgets.example.com: spec.versions[1].name: Required value"},
		{"two documents", []string{widgetCRD + "---\n" + widgetCRD}, "CRD 1 of 1: more than one YAML document"},
		{"nothing", []string{"# nothing\n"}, "CRD 1 of 1: empty: no YAML document"},
		{"broken JSON", []string{`{"apiVersion": `}, "CRD 1 of 1: not YAML: "},
		{"two CRDs for one kind", []string{widgetCRD, edit("size: {type: integer", "size: {type: number")}, "CRD 2 of 2 (CRD widgets.example.com) defines Widget.example.com, as CRD widgets.example.com does"},
		{"one CRD twice", []string{widgetCRD, widgetCRD}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var raw [][]byte
			for _, s := range c.crds {
				raw = append(raw, []byte(s))
			}
			v, err := newFromCRDs(raw, newEntryCache())
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want == "":
				if len(v.crds) != 1 {
					t.Errorf("%d kinds", len(v.crds))
				}
			case err == nil:
				t.Fatalf("accepted; want %q", c.want)
			case !strings.Contains(err.Error(), c.want):
				t.Errorf("error %q; want it to contain %q", err, c.want)
			}
		})
	}
}

// TestNewFromCRDsBrokenSchema: a CRD whose schema does not build is taken (its
// schema is read when first needed) and its objects are refused with the reason.
func TestNewFromCRDsBrokenSchema(t *testing.T) {
	t.Parallel()
	broken := strings.Replace(widgetCRD, "size: {type: integer, default: 1}", "size: {default: 1}", 1)
	v, err := newFromCRDs([][]byte{[]byte(broken)}, newEntryCache())
	if err != nil {
		t.Fatal(err)
	}
	obj := decode(t, `{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}}`)
	expect(t, v, obj, FieldError{Message: "Internal error: schema of Widget.example.com v1: not a structural schema: "})
}

// TestSharedSchemas: validators given byte-identical CRDs share each kind's entry,
// so a schema one of them built is built for all; a kind whose CRD differs by a
// byte has its own. New's validators share with NewFromCRDs(EmbeddedCRDs()), and
// their fingerprints are equal; the fingerprint changes with any CRD.
func TestSharedSchemas(t *testing.T) {
	t.Parallel()
	cache := newEntryCache()
	crds := EmbeddedCRDs()
	a, err := newFromCRDs(crds, cache)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newFromCRDs(crds, cache)
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := newEmbedded(cache)
	if err != nil {
		t.Fatal(err)
	}
	for gk, e := range a.crds {
		if b.crds[gk] != e || embedded.crds[gk] != e {
			t.Errorf("%s: not shared", gk)
		}
	}
	if len(a.crds) != len(embedded.crds) {
		t.Errorf("%d kinds from EmbeddedCRDs, %d embedded", len(a.crds), len(embedded.crds))
	}
	if errs := a.Validate(decode(t, notebookJSON)); errs != nil {
		t.Fatal(errs)
	}
	notebook := schema.GroupKind{Group: "kubeflow.org", Kind: "Notebook"}
	if !b.crds[notebook].versions["v1"].done.Load() {
		t.Error("the Notebook schema a built is not built for b")
	}
	if a.Fingerprint() != b.Fingerprint() || a.Fingerprint() != embedded.Fingerprint() {
		t.Error("fingerprints of the same CRDs differ")
	}

	// One CRD changed by a byte (a space after it).
	changed := slices.Clone(crds)
	i := slices.IndexFunc(changed, func(raw []byte) bool { return strings.Contains(string(raw), `"name":"notebooks.kubeflow.org"`) })
	changed[i] = append(slices.Clone(changed[i]), ' ')
	c, err := newFromCRDs(changed, cache)
	if err != nil {
		t.Fatal(err)
	}
	for gk, e := range c.crds {
		if (gk == notebook) == (a.crds[gk] == e) {
			t.Errorf("%s: shared %v", gk, a.crds[gk] == e)
		}
	}
	if c.Fingerprint() == a.Fingerprint() {
		t.Error("the fingerprint did not change with a CRD")
	}
	if New().Fingerprint() != must(NewFromCRDs(EmbeddedCRDs())).Fingerprint() {
		t.Error("New's fingerprint is not that of its CRDs given to NewFromCRDs")
	}
}

func must(v *Validator, err error) *Validator {
	if err != nil {
		panic(err)
	}
	return v
}

// TestEmbeddedIndex: each row of crds/index.json holds the sha256 of its file and
// what NewFromCRDs reads of the file (kind, scope, versions), so that New, which
// reads the index only, is NewFromCRDs(EmbeddedCRDs()).
func TestEmbeddedIndex(t *testing.T) {
	t.Parallel()
	rows, err := embeddedIndex()
	if err != nil {
		t.Fatal(err)
	}
	crds := EmbeddedCRDs()
	if len(crds) != len(rows) {
		t.Fatalf("%d CRDs, %d rows", len(crds), len(rows))
	}
	for i, r := range rows {
		sum := sha256.Sum256(crds[i])
		if hex.EncodeToString(sum[:]) != r.SHA256 {
			t.Errorf("%s: sha256 differs from the index", r.File)
		}
		e, err := newEntry(sum, crds[i])
		if err != nil {
			t.Errorf("%s: %v", r.File, err)
			continue
		}
		want := embeddedEntry(sum, r)
		if e.gk != want.gk || e.namespaced != want.namespaced || len(e.versions) != len(want.versions) {
			t.Errorf("%s: %s namespaced %v; the index says %s namespaced %v", r.File, e.gk, e.namespaced, want.gk, want.namespaced)
		}
		for name, ver := range want.versions {
			if got := e.versions[name]; got == nil || got.served != ver.served {
				t.Errorf("%s: version %s differs from the index", r.File, name)
			}
		}
	}
	flux := EmbeddedCRDs("source.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io")
	v, err := newFromCRDs(flux, newEntryCache())
	if err != nil {
		t.Fatal(err)
	}
	if len(flux) != 2 || !v.Known("source.toolkit.fluxcd.io/v1", "OCIRepository") || !v.Known("kustomize.toolkit.fluxcd.io/v1", "Kustomization") {
		t.Errorf("EmbeddedCRDs of Flux's groups gives %d CRDs", len(flux))
	}
}
