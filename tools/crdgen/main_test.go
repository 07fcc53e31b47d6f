package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// crdYAML is a small CRD with descriptions in the places crdgen strips them
// from, a property that is itself called "description", a CEL rule, a
// default and an int-or-string field.
const crdYAML = `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    plural: widgets
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    schema:
      openAPIV3Schema:
        description: A widget.
        type: object
        properties:
          spec:
            description: The spec.
            type: object
            x-kubernetes-validations:
            - rule: self.size <= 10
              message: too big
            properties:
              description:
                description: A field named description.
                type: string
                default: "none"
              size:
                type: integer
              port:
                x-kubernetes-int-or-string: true
                anyOf:
                - type: integer
                - type: string
              tags:
                type: array
                x-kubernetes-list-type: set
                items:
                  description: One tag.
                  type: string
`

func writeInput(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRun(t *testing.T) {
	in := writeInput(t, map[string]string{
		"x/example.com_widgets.yaml":        crdYAML,
		"x/example.com_widgets.v0.1.0.yaml": crdYAML, // a pinned duplicate
		"PROVENANCE.md": "| file | source repo | ref | commit | original path | license |\n" +
			"|---|---|---|---|---|---|\n" +
			"| `x/example.com_widgets.yaml` | github.com/example/widgets | main | `abc123` | `config/crd.yaml` | Apache-2.0 |\n",
	})
	out := t.TempDir()
	if err := run([]string{in}, out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, "example.com_widgets.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},` +
		`"spec":{"group":"example.com","names":{"kind":"Widget","listKind":"WidgetList","plural":"widgets"},"scope":"Namespaced","versions":[` +
		`{"name":"v1","schema":{"openAPIV3Schema":{"properties":{"spec":{"properties":{"description":{"default":"none","type":"string"},` +
		`"port":{"anyOf":[{"type":"integer"},{"type":"string"}],"x-kubernetes-int-or-string":true},"size":{"type":"integer"},` +
		`"tags":{"items":{"type":"string"},"type":"array","x-kubernetes-list-type":"set"}},"type":"object",` +
		`"x-kubernetes-validations":[{"message":"too big","rule":"self.size <= 10"}]}},"type":"object"}},` +
		`"served":true,"storage":true,"subresources":{"status":{}}}]}}` + "\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	idx, err := os.ReadFile(filepath.Join(out, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(got)
	if want := `{"crds":[{"file":"example.com_widgets.json","group":"example.com","kind":"Widget","scope":"Namespaced","sha256":"` +
		hex.EncodeToString(sum[:]) + `","versions":{"v1":true}}]}` + "\n"; string(idx) != want {
		t.Errorf("index.json = %s", idx)
	}

	prov, err := os.ReadFile(filepath.Join(out, "PROVENANCE.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"github.com/example/widgets", "`abc123`", "`config/crd.yaml`", "x/example.com_widgets.v0.1.0.yaml` | same CRD"} {
		if !bytes.Contains(prov, []byte(s)) {
			t.Errorf("PROVENANCE.md lacks %q:\n%s", s, prov)
		}
	}

	// Running again gives the same bytes and removes stale files.
	if err := os.WriteFile(filepath.Join(out, "stale.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{in}, out); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(filepath.Join(out, "example.com_widgets.json"))
	if !bytes.Equal(again, got) {
		t.Error("second run differs")
	}
	if _, err := os.Stat(filepath.Join(out, "stale.json")); !os.IsNotExist(err) {
		t.Error("stale.json was not removed")
	}
}

func TestRunRejects(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"ambiguous duplicates": {"a.yaml": crdYAML, "b.yaml": crdYAML},
		"unknown field":        {"example.com_widgets.yaml": strings.Replace(crdYAML, "scope: Namespaced", "scope: Namespaced\n  scoop: 1", 1)},
		"invalid CRD":          {"example.com_widgets.yaml": strings.Replace(crdYAML, "rule: self.size <= 10", "rule: self.nope(", 1)},
		"two documents":        {"example.com_widgets.yaml": crdYAML + crdYAML},
		"not a CRD":            {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := run([]string{writeInput(t, files)}, t.TempDir()); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestStripDescriptionsEverywhere(t *testing.T) {
	d := func() apiextensionsv1.JSONSchemaProps {
		return apiextensionsv1.JSONSchemaProps{Description: "d", Type: "string"}
	}
	dp := func() *apiextensionsv1.JSONSchemaProps { s := d(); return &s }
	s := &apiextensionsv1.JSONSchemaProps{
		Description:          "root",
		ExternalDocs:         &apiextensionsv1.ExternalDocumentation{Description: "docs", URL: "https://example.com"},
		Properties:           map[string]apiextensionsv1.JSONSchemaProps{"description": d()},
		PatternProperties:    map[string]apiextensionsv1.JSONSchemaProps{"^x": d()},
		Definitions:          apiextensionsv1.JSONSchemaDefinitions{"def": d()},
		AllOf:                []apiextensionsv1.JSONSchemaProps{d()},
		AnyOf:                []apiextensionsv1.JSONSchemaProps{d()},
		OneOf:                []apiextensionsv1.JSONSchemaProps{d()},
		Not:                  dp(),
		Items:                &apiextensionsv1.JSONSchemaPropsOrArray{Schema: dp(), JSONSchemas: []apiextensionsv1.JSONSchemaProps{d()}},
		AdditionalProperties: &apiextensionsv1.JSONSchemaPropsOrBool{Allows: true, Schema: dp()},
		AdditionalItems:      &apiextensionsv1.JSONSchemaPropsOrBool{Allows: true, Schema: dp()},
		Dependencies:         apiextensionsv1.JSONSchemaDependencies{"a": {Schema: dp()}},
	}
	stripDescriptions(s)
	out, err := canonicalJSON(s)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte(`"description":"`)) || bytes.Contains(out, []byte(`"d"`)) {
		t.Errorf("descriptions left: %s", out)
	}
	if !bytes.Contains(out, []byte(`"properties":{"description":{"type":"string"}}`)) {
		t.Errorf("property named description lost: %s", out)
	}
}

// TestRunSeveralFolders reads two input folders, one described by its parent's
// PROVENANCE.md in the "source" form with alternatives in braces.
func TestRunSeveralFolders(t *testing.T) {
	gadgets := strings.NewReplacer("widgets", "gadgets", "Widget", "Gadget").Replace(crdYAML)
	first := writeInput(t, map[string]string{"example.com_widgets.yaml": crdYAML})
	extra := writeInput(t, map[string]string{
		"g/example.com_gadgets.yaml": gadgets,
		"PROVENANCE.md": "| file | source | note |\n|---|---|---|\n" +
			"| g/example.com_{gadgets,gizmos}.yaml | example/gadgets v1.2.3 (`0123456789abcdef0123456789abcdef01234567`), `config/crd/bases/` | identical bytes |\n",
	})
	out := t.TempDir()
	if err := run([]string{first, filepath.Join(extra, "g")}, out); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"example.com_widgets.json", "example.com_gadgets.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	prov, err := os.ReadFile(filepath.Join(out, "PROVENANCE.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := "/g/example.com_gadgets.yaml` | `"
	want := "| github.com/example/gadgets | v1.2.3 | `0123456789abcdef0123456789abcdef01234567` | `config/crd/bases/example.com_gadgets.yaml` | not recorded |"
	var found bool
	for _, line := range strings.Split(string(prov), "\n") {
		if strings.Contains(line, row) {
			found = true
			if !strings.HasSuffix(line, want) {
				t.Errorf("gadgets row = %s\nwant it to end %s", line, want)
			}
		}
	}
	if !found {
		t.Errorf("PROVENANCE.md has no gadgets row:\n%s", prov)
	}
	if !bytes.Contains(prov, []byte("/PROVENANCE.md` and `")) {
		t.Errorf("PROVENANCE.md does not name both provenance documents:\n%s", prov)
	}
}

func TestFileNames(t *testing.T) {
	t.Parallel()
	got := fileNames("spark/a.yaml, spark/b.yaml")
	got = append(got, fileNames("k/k.io_{x,y}.yaml")...)
	want := []string{"spark/a.yaml", "spark/b.yaml", "k/k.io_x.yaml", "k/k.io_y.yaml"}
	if !slices.Equal(got, want) {
		t.Errorf("fileNames = %q, want %q", got, want)
	}
}
