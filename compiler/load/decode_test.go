package load

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"cuelang.org/go/cue"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/synth"
	"github.com/mlc-gitops/mlc/schemas"
)

// decodeViaJSON is what DecodeTenant must equal: the tenant fields' JSON, decoded by
// encoding/json.
func decodeViaJSON(inst *Instance, x any) error {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for _, field := range TenantFields() {
		v := inst.Value.LookupPath(cue.MakePath(cue.Str(field)))
		if !v.Exists() {
			continue
		}
		b, err := v.MarshalJSON()
		if err != nil {
			return err
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		name, _ := json.Marshal(field)
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(b)
	}
	buf.WriteByte('}')
	return json.Unmarshal(buf.Bytes(), x)
}

// TestDecodeTenantIsJSON: decoding a tenant's declarations directly gives what decoding
// their JSON gives, into the model and into a map, on repositories that declare every
// kind, the upstream pipelines among them.
func TestDecodeTenantIsJSON(t *testing.T) {
	synthetic := t.TempDir()
	if err := synth.Write(synthetic, synth.Spec{Tenants: 4, Notebooks: 3, Endpoints: 3, TrainingJobs: 3, Experiments: 2, Pipelines: 3, Clusters: 2}); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"platform.cue": "package ml\n\nclusters: prod: {}\ndefaults: gpuTypes: a100: vendor: \"nvidia\"\n"}
	pipelines, _ := filepath.Glob(filepath.Join("..", "testdata", "pipelines", "*", "pipelines.cue"))
	for _, p := range pipelines {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dir := "tenants/" + strings.ReplaceAll(filepath.Base(filepath.Dir(p)), "_", "-")
		files[dir+"/tenant.cue"] = "package ml\n\ntenant: owner: \"a@example.com\"\n"
		files[dir+"/pipelines.cue"] = string(b)
	}
	if len(pipelines) == 0 {
		t.Fatal("no pipelines in ../testdata/pipelines")
	}
	for name, dir := range map[string]string{
		"quickstart": filepath.Join("..", "..", "examples", "quickstart"),
		"synthetic":  synthetic,
		"pipelines":  writeRepo(t, files),
	} {
		t.Run(name, func(t *testing.T) {
			ev := evaluatorOf(t, dir)
			var mu sync.Mutex
			n := 0
			err := ev.Tenants(context.Background(), Options{}, func(inst *Instance) {
				mu.Lock()
				defer mu.Unlock()
				if inst.Diagnostics.HasErrors() {
					t.Fatalf("%s: %v", inst.Tenant.Name, inst.Diagnostics)
				}
				n++
				var got, want model.Declarations
				if err := inst.DecodeTenant(&got); err != nil {
					t.Fatal(err)
				}
				if err := decodeViaJSON(inst, &want); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s:\ndirectly  %+v\nvia JSON  %+v", inst.Tenant.Name, got, want)
				}
				var gotMap, wantMap map[string]any
				if err := inst.DecodeTenant(&gotMap); err != nil {
					t.Fatal(err)
				}
				if err := decodeViaJSON(inst, &wantMap); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(gotMap, wantMap) {
					t.Errorf("%s: as a map:\ndirectly  %v\nvia JSON  %v", inst.Tenant.Name, gotMap, wantMap)
				}
			})
			if err != nil || n == 0 {
				t.Fatalf("%d tenants: %v", n, err)
			}
		})
	}
}

// TestModelFieldsAreInTheSchemas: the direct decoder finds a Go field's value by its
// JSON name exactly, where encoding/json would also match another case, so every name
// the model decodes must be spelled as a field of the schemas.
func TestModelFieldsAreInTheSchemas(t *testing.T) {
	var src strings.Builder
	names, _ := fsGlob()
	for _, n := range names {
		b, err := schemas.Files.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	text := src.String()
	seen := map[reflect.Type]bool{}
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] || viaJSON(typ) {
			return
		}
		seen[typ] = true
		for _, f := range fieldsOf(typ) {
			sel := f.path.Selectors()[0].Unquoted()
			label := regexp.MustCompile(`(?m)^\s*(` + regexp.QuoteMeta(sel) + `|"` + regexp.QuoteMeta(sel) + `")[?!]?:`)
			if !label.MatchString(text) {
				t.Errorf("%s (%s): no field %q in the schemas", path, typ.Name(), sel)
			}
			walk(f.typ, path+"."+sel)
		}
	}
	walk(reflect.TypeFor[model.Declarations](), "Declarations")
	if len(seen) < 10 {
		t.Fatalf("walked %d types only", len(seen))
	}
}

func fsGlob() ([]string, error) {
	var names []string
	entries, err := schemas.Files.ReadDir(".")
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".cue") {
			names = append(names, e.Name())
		}
	}
	return names, err
}
