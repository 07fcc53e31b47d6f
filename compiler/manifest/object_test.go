package manifest

import (
	"encoding/json"
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
// one did, holds no Content, and gives back the same tree from its YAML.
func TestSlimKeepsIdentityAndYAML(t *testing.T) {
	whole := notebook()
	whole.Content["spec"] = map[string]any{"replicas": int64(2), "ratio": 0.5, "big": int64(1) << 40, "on": true, "tags": []any{"a"}}
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
	if slim.ID() != whole.ID() || slim.FileName() != whole.FileName() || slim.Group() != "kubeflow.org" || slim.Source != whole.Source || Compare(slim, whole) != 0 {
		t.Errorf("%+v does not name the object as the whole one does (%s, %s)", slim, slim.ID(), slim.FileName())
	}
	if slim.Identity() != (Ident{"kubeflow.org/v1", "Notebook", "dev", "team-a"}) {
		t.Errorf("identity %+v", slim.Identity())
	}
	if b, err := slim.YAML(); err != nil || string(b) != string(whole.Encoded) {
		t.Errorf("slim YAML: %v\n%s", err, b)
	}
	tree, err := slim.Tree()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(tree)
	want, _ := json.Marshal(whole.Content)
	if string(got) != string(want) {
		t.Errorf("tree from YAML:\n%s\nwant\n%s", got, want)
	}
	if _, err := (Object{Ident: slim.Ident}).YAML(); err == nil || !strings.Contains(err.Error(), "reduced to its identity") {
		t.Errorf("YAML of an identity: %v", err)
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
