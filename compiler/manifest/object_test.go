package manifest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func notebook() Object {
	return Object{Source: `notebooks."dev"`, Content: map[string]any{
		"apiVersion": "kubeflow.org/v1",
		"kind":       "Notebook",
		"metadata":   map[string]any{"name": "dev", "namespace": "team-a"},
		"spec":       map[string]any{"template": map[string]any{}},
	}}
}

// TestSlimKeepsIdentityAndYAML: a slim object names, orders and encodes as the whole
// one did, and holds no Content; an object reduced to its identity still names and
// orders, but refuses to make up YAML.
func TestSlimKeepsIdentityAndYAML(t *testing.T) {
	whole := notebook()
	if whole.Slim().Content == nil {
		t.Errorf("an object without its YAML was slimmed")
	}
	if err := whole.Encode(); err != nil {
		t.Fatal(err)
	}
	slim := whole.Slim()
	if slim.Content != nil || slim.Ident == nil {
		t.Fatalf("slim object: %+v", slim)
	}
	if slim.Slim().Ident != slim.Ident {
		t.Errorf("slimming a slim object again changed it")
	}
	only := whole.IdentityOnly()
	for _, o := range []Object{slim, only} {
		if o.ID() != whole.ID() || o.FileName() != whole.FileName() || o.Group() != "kubeflow.org" || o.Source != whole.Source || Compare(o, whole) != 0 {
			t.Errorf("%+v does not name the object as the whole one does (%s, %s)", o, o.ID(), o.FileName())
		}
		if o.Identity() != (Ident{"kubeflow.org/v1", "Notebook", "dev", "team-a"}) {
			t.Errorf("identity %+v", o.Identity())
		}
	}
	if b, err := slim.YAML(); err != nil || string(b) != string(whole.Encoded) {
		t.Errorf("slim YAML: %v\n%s", err, b)
	}
	if b, err := only.YAML(); err == nil || !strings.Contains(err.Error(), "reduced to its identity") {
		t.Errorf("YAML of an identity: %q, %v", b, err)
	}
}

// TestSortIsCompare: Sort orders objects as sorting them with Compare does, also those
// that share an identity (a mistake the compilation reports, naming the first).
func TestSortIsCompare(t *testing.T) {
	var objs []Object
	for i, kind := range []string{"Notebook", "PersistentVolumeClaim", "Notebook", "Profile", "Zeta", "Notebook", "Alpha", "PersistentVolumeClaim"} {
		for _, name := range []string{"b", "a", "c", "a"} {
			objs = append(objs, Object{
				Content: map[string]any{"apiVersion": "v1", "kind": kind, "metadata": map[string]any{"name": name, "namespace": "ns"}},
				Source:  fmt.Sprintf("notebooks.n%d", i),
			})
		}
	}
	want := slices.Clone(objs)
	slices.SortFunc(want, Compare)
	got := slices.Clone(objs)
	Sort(got)
	for i := range want {
		if got[i].Source != want[i].Source || got[i].ID() != want[i].ID() {
			t.Fatalf("at %d: %s from %s, want %s from %s", i, got[i].ID(), got[i].Source, want[i].ID(), want[i].Source)
		}
	}
}
