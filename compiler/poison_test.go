package compiler_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/cache"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// tenantKeys returns the key each tenant of res was compiled under.
func tenantKeys(res *compiler.Result) map[string]cache.Key {
	keys := map[string]cache.Key{}
	for _, c := range res.Clusters {
		for _, tn := range c.Tenants {
			keys[tn.Name] = tn.Key
		}
	}
	return keys
}

// entryPath is where package cache keeps the entry under k in dir.
func entryPath(dir string, k cache.Key) string {
	h := k.String()
	return filepath.Join(dir, h[:2], h)
}

// headsRecordOf is where package cache keeps the heads record of the repository at
// repo in dir: named by the SHA-256 of its absolute path.
func headsRecordOf(t *testing.T, dir, repo string) string {
	t.Helper()
	abs, err := filepath.Abs(repo)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(dir, "heads", hex.EncodeToString(sum[:16]))
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

// forgeHeadsTable swaps two keys in the table of a heads record and makes its checksum
// match again, as whoever forges one would: the layout is package cache's (heads.go),
// a magic line, the table's length (4 bytes), the table, a CRC-32C of all before.
func forgeHeadsTable(t *testing.T, record string, a, b cache.Key) {
	t.Helper()
	rec, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.IndexByte(rec, '\n') + 1 + 4
	end := start + int(binary.LittleEndian.Uint32(rec[start-4:]))
	table := rec[start:end]
	i, j := bytes.Index(table, a[:]), bytes.Index(table, b[:])
	if i < 0 || j < 0 {
		t.Fatal("the keys are not in the record")
	}
	copy(table[i:], b[:])
	copy(table[j:], a[:])
	binary.LittleEndian.PutUint32(rec[end:], crc32.Checksum(rec[:end], crc32.MakeTable(crc32.Castagnoli)))
	if err := os.WriteFile(record, rec, 0o600); err != nil {
		t.Fatal(err)
	}
}

// contained checks that every object res places with a tenant is in the tenant's
// namespace, or is the tenant's own Namespace or Profile.
func contained(t *testing.T, step string, res *compiler.Result) {
	t.Helper()
	for _, c := range res.Clusters {
		for _, tn := range c.Tenants {
			out, err := tn.Load()
			if err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			for _, o := range append(append([]manifest.Object(nil), out.Platform...), out.Workloads...) {
				own := o.Namespace() == tn.Name || o.Namespace() == "" && o.Name() == tn.Name && (o.Kind() == "Namespace" || o.Kind() == "Profile")
				if !own {
					t.Errorf("%s: %s %s/%s placed with tenant %s", step, o.Kind(), o.Namespace(), o.Name(), tn.Name)
				}
			}
		}
	}
}

// identities lists the objects of res by cluster and tenant, as mlc vet counts them.
func identities(res *compiler.Result) []string {
	var ids []string
	for _, c := range res.Clusters {
		for _, tn := range c.Tenants {
			for _, o := range append(append([]manifest.Object(nil), tn.Platform...), tn.Workloads...) {
				ids = append(ids, c.Name+" "+tn.Name+" "+o.ID())
			}
		}
	}
	return ids
}

// TestPoisonedCache tampers with the cache's files as whoever can write a shared cache
// could: another tenant's entry copied over a tenant's, an older entry of the tenant
// replayed under its new key, the heads records of two repositories swapped, a heads
// table forged to give one tenant's key another's outline and head. Compiled as render
// (objects with their YAML), diff (whole objects) and vet (identities) compile, each
// gives what a compilation without the cache gives, and no object outside its tenant.
func TestPoisonedCache(t *testing.T) {
	repoA := copyDir(t, filepath.Join("..", "examples", "quickstart"))
	// B is A after an edit to nlp: its nlp entry is an older one to A's, and the other way.
	repoB := copyDir(t, repoA)
	appendFile(t, filepath.Join(repoB, "tenants", "nlp", "tenant.cue"), "\nnotebooks: \"scratch\": {image: \"jupyter-scipy\", resources: {cpu: 1, memory: \"2Gi\"}}\n")

	modes := map[string]compiler.Options{"render": {Encode: true}, "diff": {}, "vet": {IdentitiesOnly: true}}
	type want struct {
		tree string
		ids  []string
	}
	wants := map[string]map[string]want{}
	for _, repo := range []string{repoA, repoB} {
		wants[repo] = map[string]want{}
		for mode, opts := range modes {
			opts.NoCache = true
			w := want{}
			if mode == "vet" {
				res, err := compiler.Compile(context.Background(), repo, opts)
				if err != nil {
					t.Fatal(err)
				}
				w.ids = identities(res)
			} else {
				w.tree, _ = rendered(t, repo, opts)
			}
			wants[repo][mode] = w
		}
	}

	for _, poison := range []struct {
		name string
		// poison tampers with the cache dir, warm with both repositories, whose
		// tenants' keys are given.
		poison func(dir string, a, b map[string]cache.Key)
		// evaluated is how many of A's tenants must be evaluated again; vetEvaluated
		// as vet compiles, whose identities A's heads record holds whole, as stored.
		evaluated, vetEvaluated int
	}{
		{"vision's entry copied over nlp's", func(dir string, a, _ map[string]cache.Key) {
			copyFile(t, entryPath(dir, a["vision"]), entryPath(dir, a["nlp"]))
		}, 1, 0},
		{"an older entry of nlp replayed", func(dir string, a, b map[string]cache.Key) {
			copyFile(t, entryPath(dir, b["nlp"]), entryPath(dir, a["nlp"]))
		}, 1, 0},
		{"heads records swapped between repositories", func(dir string, _, _ map[string]cache.Key) {
			ra, rb := headsRecordOf(t, dir, repoA), headsRecordOf(t, dir, repoB)
			tmp := ra + ".tmp"
			for _, mv := range [][2]string{{ra, tmp}, {rb, ra}, {tmp, rb}} {
				if err := os.Rename(mv[0], mv[1]); err != nil {
					t.Fatal(err)
				}
			}
		}, 0, 0},
		{"a forged heads table", func(dir string, a, _ map[string]cache.Key) {
			forgeHeadsTable(t, headsRecordOf(t, dir, repoA), a["vision"], a["nlp"])
		}, 0, 0},
		{"a forged heads table and nlp's entry gone", func(dir string, a, _ map[string]cache.Key) {
			forgeHeadsTable(t, headsRecordOf(t, dir, repoA), a["vision"], a["nlp"])
			if err := os.Remove(entryPath(dir, a["nlp"])); err != nil {
				t.Fatal(err)
			}
		}, 1, 1},
	} {
		t.Run(poison.name, func(t *testing.T) {
			for mode, opts := range modes {
				dir := t.TempDir()
				opts.CacheDir = dir
				keys := map[string]map[string]cache.Key{}
				for _, repo := range []string{repoA, repoB} {
					_, res := rendered(t, repo, compiler.Options{CacheDir: dir, Encode: mode == "render"})
					keys[repo] = tenantKeys(res)
				}
				poison.poison(dir, keys[repoA], keys[repoB])
				for _, repo := range []string{repoA, repoB} {
					name := map[string]string{repoA: "A", repoB: "B"}[repo]
					var res *compiler.Result
					if mode == "vet" {
						var err error
						if res, err = compiler.Compile(context.Background(), repo, opts); err != nil {
							t.Fatal(err)
						}
						if got := identities(res); !reflect.DeepEqual(got, wants[repo][mode].ids) {
							t.Errorf("%s: %s: objects %v, want %v", mode, name, got, wants[repo][mode].ids)
						}
					} else {
						var got string
						if got, res = rendered(t, repo, opts); got != wants[repo][mode].tree {
							t.Errorf("%s: %s: the output differs from a compilation without the cache", mode, name)
						}
					}
					contained(t, mode, res)
					evaluated := poison.evaluated
					if mode == "vet" {
						evaluated = poison.vetEvaluated
					}
					if repo == repoA && res.Stats.Evaluated != evaluated {
						t.Errorf("%s: %d tenants evaluated, want %d", mode, res.Stats.Evaluated, evaluated)
					}
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
			change(&out.Workloads[i])
			out.Workloads[i].Encoded = nil
			if err := out.Workloads[i].Encode(); err != nil {
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
	want, _ := rendered(t, repo, compiler.Options{NoCache: true, Encode: true})
	dir := t.TempDir()
	opts := compiler.Options{CacheDir: dir, Encode: true}
	_, res := rendered(t, repo, opts)
	k := tenantKeys(res)["nlp"]

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
