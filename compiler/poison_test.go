package compiler_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/cache"
	"github.com/mlc-gitops/mlc/compiler/cache/cachetest"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// tenantKeys returns the key each tenant of the repository at repo was last stored
// under in the cache in dir.
func tenantKeys(t *testing.T, dir, repo string) map[string]cache.Key {
	return cachetest.LastKeys(t, dir, repo)
}

// entryPath is where package cache keeps the entry under k in dir.
func entryPath(dir string, k cache.Key) string {
	h := k.String()
	return filepath.Join(dir, h[:2], h)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// contained checks that every object res places with a tenant is in the tenant's
// namespace, or is the tenant's own Namespace or Profile.
func contained(t *testing.T, step string, res *compiler.Result) {
	t.Helper()
	for _, c := range res.Clusters {
		for _, tn := range c.Tenants {
			for _, o := range append(append([]manifest.Object(nil), tn.Platform...), tn.Workloads...) {
				own := o.Namespace() == tn.Name || o.Namespace() == "" && o.Name() == tn.Name && (o.Kind() == "Namespace" || o.Kind() == "Profile")
				if !own {
					t.Errorf("%s: %s %s/%s placed with tenant %s", step, o.Kind(), o.Namespace(), o.Name(), tn.Name)
				}
			}
		}
	}
}

// TestPoisonedCache tampers with the cache's files as whoever can write a shared cache
// could: another tenant's entry copied over a tenant's, an older entry of the tenant
// replayed under its new key, the records of the last keys of two repositories swapped.
// Each compilation gives what a compilation without the cache gives, and no object
// outside its tenant.
func TestPoisonedCache(t *testing.T) {
	repoA := copyDir(t, filepath.Join("..", "examples", "quickstart"))
	// B is A after an edit to nlp: its nlp entry is an older one to A's, and the other way.
	repoB := copyDir(t, repoA)
	appendFile(t, filepath.Join(repoB, "tenants", "nlp", "tenant.cue"), "\nnotebooks: \"scratch\": {image: \"jupyter-scipy\", resources: {cpu: 1, memory: \"2Gi\"}}\n")
	wants := map[string]string{}
	for _, repo := range []string{repoA, repoB} {
		wants[repo], _ = rendered(t, repo, compiler.Options{NoCache: true})
	}
	lastRecord := func(dir, repo string) string {
		abs, _ := filepath.Abs(repo)
		sum := sha256.Sum256([]byte(abs))
		return filepath.Join(dir, "last", hex.EncodeToString(sum[:16]))
	}
	for _, poison := range []struct {
		name string
		// poison tampers with the cache dir, warm with both repositories, whose
		// tenants' keys are given.
		poison func(dir string, a, b map[string]cache.Key)
		// evaluated is how many of A's tenants must be evaluated again.
		evaluated int
	}{
		{"vision's entry copied over nlp's", func(dir string, a, _ map[string]cache.Key) {
			copyFile(t, entryPath(dir, a["vision"]), entryPath(dir, a["nlp"]))
		}, 1},
		{"an older entry of nlp replayed", func(dir string, a, b map[string]cache.Key) {
			copyFile(t, entryPath(dir, b["nlp"]), entryPath(dir, a["nlp"]))
		}, 1},
		{"last keys swapped between repositories", func(dir string, _, _ map[string]cache.Key) {
			ra, rb := lastRecord(dir, repoA), lastRecord(dir, repoB)
			tmp := ra + ".tmp"
			for _, mv := range [][2]string{{ra, tmp}, {rb, ra}, {tmp, rb}} {
				if err := os.Rename(mv[0], mv[1]); err != nil {
					t.Fatal(err)
				}
			}
		}, 0},
	} {
		t.Run(poison.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := compiler.Options{CacheDir: dir}
			keys := map[string]map[string]cache.Key{}
			for _, repo := range []string{repoA, repoB} {
				rendered(t, repo, opts)
				keys[repo] = tenantKeys(t, dir, repo)
			}
			poison.poison(dir, keys[repoA], keys[repoB])
			for _, repo := range []string{repoA, repoB} {
				name := map[string]string{repoA: "A", repoB: "B"}[repo]
				got, res := rendered(t, repo, opts)
				if got != wants[repo] {
					t.Errorf("%s: the output differs from a compilation without the cache", name)
				}
				contained(t, name, res)
				if repo == repoA && res.Stats.Evaluated != poison.evaluated {
					t.Errorf("%d tenants evaluated, want %d", res.Stats.Evaluated, poison.evaluated)
				}
			}
		})
	}
}

// forgeEntry replaces the entry of tenant under k in dir with one bound to them alike
// whose objects change has changed, as whoever forges an entry (rather than copy one)
// would: the compiler's own cache API writes it.
func forgeEntry(t *testing.T, dir string, k cache.Key, tenant string, change func(*manifest.Object)) {
	t.Helper()
	c, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := c.Load(k, tenant)
	if !ok {
		t.Fatalf("no entry of %s", tenant)
	}
	for _, out := range e.Outputs {
		for i := range out.Workloads {
			o := &out.Workloads[i]
			tree, err := o.Tree()
			if err != nil {
				t.Fatal(err)
			}
			*o = manifest.Object{Content: tree, Source: o.Source}
			change(o)
			if err := o.Encode(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.Store(k, tenant, e); err != nil {
		t.Fatal(err)
	}
}

// TestForgedEntry: an entry forged with the binding it must have is read, as long as
// its objects stay with its tenant; one that places an object outside is a miss. A
// compilation that writes the cache without reading it (mlc push) is not changed by a
// forged entry, and replaces it.
func TestForgedEntry(t *testing.T) {
	repo := copyDir(t, filepath.Join("..", "examples", "quickstart"))
	want, _ := rendered(t, repo, compiler.Options{NoCache: true})
	dir := t.TempDir()
	opts := compiler.Options{CacheDir: dir}
	rendered(t, repo, opts)
	k := tenantKeys(t, dir, repo)["nlp"]

	forgeEntry(t, dir, k, "nlp", func(o *manifest.Object) {
		meta := o.Content["metadata"].(map[string]any)
		meta["namespace"] = "vision"
	})
	if got, res := rendered(t, repo, opts); got != want || res.Stats.Evaluated != 1 {
		t.Errorf("an entry placing nlp's objects in vision: same output %v, %d evaluated", got == want, res.Stats.Evaluated)
	}

	forgeEntry(t, dir, k, "nlp", func(o *manifest.Object) {
		meta := o.Content["metadata"].(map[string]any)
		meta["labels"] = map[string]any{"forged": "yes"}
	})
	if got, _ := rendered(t, repo, opts); got == want || !strings.Contains(got, "forged: \"yes\"") {
		t.Fatal("a forged entry that stays with its tenant was not read: this test forges nothing")
	}
	writeOnly := opts
	writeOnly.WriteOnlyCache = true
	if got, res := rendered(t, repo, writeOnly); got != want || res.Stats.Evaluated != 2 {
		t.Errorf("without reading the cache: same output %v, %d evaluated", got == want, res.Stats.Evaluated)
	}
	if got, res := rendered(t, repo, opts); got != want || res.Stats.Evaluated != 0 {
		t.Errorf("after a compilation that wrote the cache: same output %v, %d evaluated", got == want, res.Stats.Evaluated)
	}
}
