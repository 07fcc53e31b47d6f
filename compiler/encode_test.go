package compiler_test

import (
	"encoding/json"
	"iter"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// TestObjectsAreSlim: every compiled object carries its YAML and identity and no
// Content, compiled or read from the cache, with the same tree either way; and its
// Tree gives back the content, the same from the cache as compiled.
func TestObjectsAreSlim(t *testing.T) {
	repo := filepath.Join("..", "examples", "quickstart")
	want, cold := rendered(t, repo, compiler.Options{NoCache: true})
	trees := map[string]string{} // by cluster and identity
	for c, o := range clusterObjects(cold) {
		b, _ := json.Marshal(tree(t, o))
		trees[c+" "+o.ID()] = string(b)
	}
	cacheDir := t.TempDir()
	for _, step := range []struct {
		name      string
		evaluated int
	}{{"cold cache", 2}, {"warm cache", 0}} {
		got, res := rendered(t, repo, compiler.Options{CacheDir: cacheDir})
		if got != want || res.Stats.Evaluated != step.evaluated {
			t.Errorf("%s: same tree %v, %d tenants evaluated, want %d", step.name, got == want, res.Stats.Evaluated, step.evaluated)
		}
		n := 0
		for c, o := range clusterObjects(res) {
			n++
			if o.Encoded == nil || o.Content != nil || o.Ident == nil {
				t.Errorf("%s: %s is not slim: YAML %v, %d keys of Content", step.name, o.ID(), o.Encoded != nil, len(o.Content))
			}
			if b, _ := json.Marshal(tree(t, o)); string(b) != trees[c+" "+o.ID()] {
				t.Errorf("%s: the tree of %s differs from the compiled one's", step.name, o.ID())
			}
		}
		if n != len(trees) {
			t.Errorf("%s: %d objects, want %d", step.name, n, len(trees))
		}
	}
}

// clusterObjects yields every tenant object of a compilation with its cluster's name.
func clusterObjects(res *compiler.Result) iter.Seq2[string, manifest.Object] {
	return func(yield func(string, manifest.Object) bool) {
		for _, c := range res.Clusters {
			for _, tn := range c.Tenants {
				for _, o := range append(slices.Clone(tn.Platform), tn.Workloads...) {
					if !yield(c.Name, o) {
						return
					}
				}
			}
		}
	}
}

// tree returns a compiled object's content (see manifest.Object.Tree).
func tree(t testing.TB, o manifest.Object) map[string]any {
	t.Helper()
	tr, err := o.Tree()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
