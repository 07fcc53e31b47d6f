package compiler_test

import (
	"context"
	"iter"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// TestEncodeSlimsObjects: with Encode, every compiled object carries its YAML and only
// its identity besides, the tree is the same as without, and the cache still hands
// whole objects to a compilation that needs them (mlc diff, vet).
func TestEncodeSlimsObjects(t *testing.T) {
	repo := filepath.Join("..", "examples", "quickstart")
	want, full := rendered(t, repo, compiler.Options{NoCache: true})
	cacheDir := t.TempDir()
	// A cache filled by a compilation that did not encode (mlc vet): its entries are
	// encoded when read, and stored so.
	vetCache := t.TempDir()
	rendered(t, repo, compiler.Options{CacheDir: vetCache})
	for _, step := range []struct {
		name      string
		opts      compiler.Options
		evaluated int // -1: any number
	}{
		{"without cache", compiler.Options{NoCache: true, Encode: true}, -1},
		{"cold cache", compiler.Options{CacheDir: cacheDir, Encode: true}, -1},
		{"warm cache", compiler.Options{CacheDir: cacheDir, Encode: true}, 0},
		{"cache filled without Encode", compiler.Options{CacheDir: vetCache, Encode: true}, 0},
		{"cache encoded when read", compiler.Options{CacheDir: vetCache, Encode: true}, 0},
	} {
		got, res := rendered(t, repo, step.opts)
		if got != want {
			t.Errorf("%s: the tree differs from one compiled without Encode", step.name)
		}
		if step.evaluated >= 0 && res.Stats.Evaluated != step.evaluated {
			t.Errorf("%s: %d tenants evaluated, want %d", step.name, res.Stats.Evaluated, step.evaluated)
		}
		n := 0
		for o := range objects(res) {
			n++
			if o.Encoded == nil {
				t.Errorf("%s: %s %s has no YAML", step.name, o.Kind(), o.Name())
			}
			if o.Content != nil || o.Ident == nil {
				t.Errorf("%s: %s %s keeps %d keys of its Content", step.name, o.Kind(), o.Name(), len(o.Content))
			}
		}
		if n == 0 {
			t.Fatalf("%s: no objects", step.name)
		}
	}
	_, fromCache := rendered(t, repo, compiler.Options{CacheDir: cacheDir})
	if fromCache.Stats.Evaluated != 0 {
		t.Fatalf("%d tenants evaluated, want all from the cache", fromCache.Stats.Evaluated)
	}
	wholes := map[string]manifest.Object{}
	for o := range objects(full) {
		wholes[o.ID()] = o
	}
	for o := range objects(fromCache) {
		if w := wholes[o.ID()]; len(o.Content) != len(w.Content) || o.Content["spec"] == nil && w.Content["spec"] != nil {
			t.Errorf("from the cache without Encode: %s is not whole (%d keys, want %d)", o.ID(), len(o.Content), len(w.Content))
		}
	}
}

// objects yields every tenant object of a compilation.
func objects(res *compiler.Result) iter.Seq[manifest.Object] {
	return func(yield func(manifest.Object) bool) {
		for _, c := range res.Clusters {
			for _, tn := range c.Tenants {
				for _, o := range append(slices.Clone(tn.Platform), tn.Workloads...) {
					if !yield(o) {
						return
					}
				}
			}
		}
	}
}

// TestIdentitiesOnly: with IdentitiesOnly (mlc vet), every object is its identity
// alone, the same objects as a whole compilation's, compiled or read from a cache
// filled either way; and the cache still hands whole objects to those that need them.
func TestIdentitiesOnly(t *testing.T) {
	repo := filepath.Join("..", "examples", "quickstart")
	_, full := rendered(t, repo, compiler.Options{NoCache: true})
	var want []string
	wholes := map[string]manifest.Object{}
	for o := range objects(full) {
		want = append(want, o.ID())
		wholes[o.ID()] = o
	}
	renderCache := t.TempDir()
	if _, res := rendered(t, repo, compiler.Options{CacheDir: renderCache, Encode: true}); res.Stats.Evaluated == 0 {
		t.Fatal("nothing evaluated into the cache")
	}
	vetCache := t.TempDir()
	for _, step := range []struct {
		name      string
		opts      compiler.Options
		evaluated int // -1: any number
	}{
		{"without cache", compiler.Options{NoCache: true, IdentitiesOnly: true}, -1},
		{"cold cache", compiler.Options{CacheDir: vetCache, IdentitiesOnly: true}, -1},
		{"warm cache", compiler.Options{CacheDir: vetCache, IdentitiesOnly: true}, 0},
		{"cache filled by a render", compiler.Options{CacheDir: renderCache, IdentitiesOnly: true}, 0},
	} {
		res, err := compiler.Compile(context.Background(), repo, step.opts)
		if err != nil || res.Diagnostics.HasErrors() {
			t.Fatalf("%s: %v %v", step.name, err, res.Diagnostics)
		}
		if step.evaluated >= 0 && res.Stats.Evaluated != step.evaluated {
			t.Errorf("%s: %d tenants evaluated, want %d", step.name, res.Stats.Evaluated, step.evaluated)
		}
		var got []string
		for o := range objects(res) {
			got = append(got, o.ID())
			if o.Content != nil || o.Ident == nil || o.Encoded != nil || o.Deferred != nil {
				t.Errorf("%s: %s keeps %d keys of its Content, and YAML %v", step.name, o.ID(), len(o.Content), o.Encoded != nil || o.Deferred != nil)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: objects %v, want %v", step.name, got, want)
		}
	}
	_, res := rendered(t, repo, compiler.Options{CacheDir: vetCache})
	if res.Stats.Evaluated != 0 {
		t.Errorf("%d tenants evaluated from a warm cache", res.Stats.Evaluated)
	}
	for o := range objects(res) {
		if w := wholes[o.ID()]; len(o.Content) != len(w.Content) {
			t.Errorf("from a cache filled by vet: %s is not whole (%d keys, want %d)", o.ID(), len(o.Content), len(w.Content))
		}
	}
}
