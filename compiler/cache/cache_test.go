package cache

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/internal/statindex"
)

func sampleEntry() *Entry {
	workloads := []manifest.Object{{
		Source: `notebooks."dev"`,
		Content: map[string]any{
			"apiVersion": "kubeflow.org/v1",
			"kind":       "Notebook",
			"metadata":   map[string]any{"name": "dev", "namespace": "team-a", "labels": map[string]any{"a": "b"}},
			"spec":       map[string]any{"replicas": int64(2), "ratio": 0.25, "on": true, "args": []any{"x", "y"}},
		},
	}}
	profile := manifest.Object{Source: "tenant", Content: map[string]any{"apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": map[string]any{"name": "team-a"}}}
	return &Entry{
		Diagnostics: diag.List{{Severity: diag.Warning, Pos: diag.Position{File: "tenants/a/x.cue", Line: 3, Column: 2}, Path: "notebooks.dev", Message: "careful",
			Notes: []diag.Note{{Pos: diag.Position{File: "tenants/a/y.cue", Line: 1}, Message: "also here"}}}},
		Outputs: map[string]*lower.Output{
			"prod":    {Platform: []manifest.Object{profile}, Workloads: workloads, Notes: []string{"a note"}},
			"staging": {Workloads: workloads},
		},
	}
}

func keyOf(s string) Key {
	h := NewHasher()
	h.String(s)
	return h.Key()
}

// TestRoundTrip: an entry reads back with its warnings, notes and each object's
// identity, source and YAML, slim (without Content), and with the mlc that stored it.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	c, _ := Open(t.TempDir())
	want := sampleEntry()
	if err := c.Store(keyOf("a"), "team-a", want); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Load(keyOf("a"), "team-a")
	if !ok {
		t.Fatal("miss")
	}
	if !reflect.DeepEqual(got.Diagnostics, want.Diagnostics) || got.Version != c.Version() {
		t.Errorf("diagnostics %+v, version %q", got.Diagnostics, got.Version)
	}
	for cluster, out := range want.Outputs {
		g := got.Outputs[cluster]
		if g == nil || !reflect.DeepEqual(g.Notes, out.Notes) || len(g.Platform) != len(out.Platform) || len(g.Workloads) != len(out.Workloads) {
			t.Fatalf("%s: %+v", cluster, g)
		}
		for i, o := range append(append([]manifest.Object{}, out.Platform...), out.Workloads...) {
			r := append(append([]manifest.Object{}, g.Platform...), g.Workloads...)[i]
			yaml, _ := o.YAML()
			if r.Content != nil || r.Identity() != o.Identity() || r.Source != o.Source || !bytes.Equal(r.Encoded, yaml) {
				t.Errorf("%s: object %d: %+v, want %s from %s:\n%s", cluster, i, r, o.ID(), o.Source, yaml)
			}
		}
	}
	if len(got.Outputs) != 2 {
		t.Errorf("outputs for %d clusters", len(got.Outputs))
	}
}

// TestEntriesAreBound: an entry is read only for the key and tenant it was stored
// under: copied under another key, asked for by another tenant, damaged in any byte or
// cut short, it is a miss.
func TestEntriesAreBound(t *testing.T) {
	t.Parallel()
	c, _ := Open(t.TempDir())
	k, other := keyOf("a"), keyOf("b")
	if err := c.Store(k, "team-a", sampleEntry()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(c.path(k))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Load(k, "team-b"); ok {
		t.Error("another tenant read the entry")
	}
	write := func(data []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(c.path(other)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(c.path(other), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(b)
	if _, ok := c.Load(other, "team-a"); ok {
		t.Error("an entry copied under another key was read")
	}
	for i := 0; i < len(b); i += 7 {
		damaged := bytes.Clone(b)
		damaged[i] ^= 0x04
		if _, err := decodeEntry(damaged, k, "team-a"); err == nil {
			t.Fatalf("a flipped bit at byte %d of %d was not noticed", i, len(b))
		}
	}
	for _, n := range []int{0, 10, len(entryMagic) + 40, len(b) - 1} {
		if _, err := decodeEntry(b[:n], k, "team-a"); err == nil {
			t.Errorf("an entry cut at %d was read", n)
		}
	}
}

func TestTrim(t *testing.T) {
	dir := t.TempDir()
	c, _ := Open(dir)
	now := time.Now()
	var keys []Key
	for i := range 4 {
		h := NewHasher()
		h.Bytes([]byte{byte(i)})
		keys = append(keys, h.Key())
		if err := c.Store(keys[i], "a", sampleEntry()); err != nil {
			t.Fatal(err)
		}
	}
	old := now.Add(-MaxAge - time.Hour)
	_ = os.Chtimes(c.path(keys[0]), old, old)
	for i := 1; i < 4; i++ {
		used := now.Add(-time.Duration(4-i) * time.Minute)
		_ = os.Chtimes(c.path(keys[i]), used, used)
	}
	st, _ := os.Stat(c.path(keys[1]))
	c.maxSize = 2 * st.Size()
	// Records (the executable's version, written by Store) count as well; they are new.
	records, _ := filepath.Glob(filepath.Join(dir, "exe", "*"))
	for _, r := range records {
		if st, err := os.Stat(r); err == nil {
			c.maxSize += st.Size()
		}
	}
	if err := c.trim(now, false); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{false, false, true, true} {
		if _, err := os.Stat(c.path(keys[i])); (err == nil) != want {
			t.Errorf("entry %d kept: %v, want %v", i, err == nil, want)
		}
	}
	// Not again within a day.
	_ = os.Chtimes(c.path(keys[2]), old, old)
	if err := c.trim(now, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.path(keys[2])); err != nil {
		t.Errorf("trimmed twice in a day")
	}
	if _, err := os.Stat(filepath.Join(dir, "trimmed")); err != nil {
		t.Error(err)
	}
}

func TestVersion(t *testing.T) {
	start := time.Now()
	if Version() == "" {
		t.Fatal("no version for a test binary")
	}
	t.Logf("version %s in %v", Version()[:12], time.Since(start))
}

// TestVersionRemembered: the executable's version is recorded with its stat, and a new
// process whose executable's stat the record vouches for takes the recorded version
// without hashing; a stat too close to the record's stamp, or another stat, does not.
func TestVersionRemembered(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version() != Version() || Version() == "" {
		t.Fatalf("version %q, want %q", c.Version(), Version())
	}
	exe, _ := os.Executable()
	info, err := os.Stat(exe)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := statindex.FromInfo(info)
	if !ok {
		t.Skip("stats vouch for nothing here")
	}
	fake := statindex.Sum{0xf0, 0x0d}
	record := func(stamp time.Time, st statindex.Stat) {
		x := statindex.New(stamp)
		x.Add(exe, st, fake)
		b, _ := x.MarshalBinary()
		if err := c.StoreRecord(versionRecord, exe, b); err != nil {
			t.Fatal(err)
		}
	}
	changed := st
	changed.Size++
	for _, tc := range []struct {
		name  string
		stamp time.Time
		st    statindex.Stat
		fake  bool
	}{
		{"settled", time.Unix(0, st.Ctime).Add(time.Minute), st, true},
		{"unsettled", time.Unix(0, st.Ctime), st, false},
		{"another stat", time.Unix(0, st.Ctime).Add(time.Minute), changed, false},
	} {
		record(tc.stamp, tc.st)
		again, _ := Open(dir)
		if got := again.Version() == "f00d"+strings.Repeat("0", 60); got != tc.fake {
			t.Errorf("%s: took the recorded version: %v, want %v", tc.name, got, tc.fake)
		}
	}
}
