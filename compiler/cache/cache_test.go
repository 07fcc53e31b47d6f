package cache

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/internal/filestat"
)

func sampleEntry() *Entry {
	workloads := []manifest.Object{{
		Source: `notebooks."dev"`,
		Content: map[string]any{
			"apiVersion": "kubeflow.org/v1",
			"kind":       "Notebook",
			"metadata":   map[string]any{"name": "dev", "labels": map[string]string{"a": "b"}, "annotations": map[string]any(nil)},
			"spec": map[string]any{
				"replicas": int32(2), "count": int64(-3), "n": 7, "ratio": 0.25, "on": true, "none": nil,
				"args":  []string{"x", "y"},
				"empty": []any{}, "nilList": []any(nil), "emptyMap": map[string]any{},
				"items": []map[string]any{{"k": uint8(3)}},
				"f32":   float32(1.5),
			},
		},
	}}
	return &Entry{
		Diagnostics: diag.List{{Severity: diag.Warning, Pos: diag.Position{File: "tenants/a/x.cue", Line: 3, Column: 2}, Path: "notebooks.dev", Message: "careful"}},
		Outputs: map[string]*lower.Output{
			"prod":    {Platform: []manifest.Object{{Source: "tenant", Content: map[string]any{"kind": "Profile"}}}, Workloads: workloads, Notes: []string{"a note"}},
			"staging": {Workloads: workloads},
		},
	}
}

func TestRoundTripKeepsTypes(t *testing.T) {
	e := sampleEntry()
	b, err := e.encode(Key{}, "a", "v1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	// Each object's digest is read back, in the order stored: the platform object,
	// then the shared workloads (the lists of "prod", the first cluster).
	var want []Digest
	for _, o := range append(slices.Clone(e.Outputs["prod"].Platform), e.Outputs["prod"].Workloads...) {
		d, ok := (&Cache{version: func() string { return "v1" }}).ObjectDigest(o.Content)
		if !ok {
			t.Fatalf("no digest of %v", o.Content)
		}
		want = append(want, d)
	}
	if !slices.Equal(got.digests, want) {
		t.Errorf("digests %x, want %x", got.digests, want)
	}
	if !equalEntries(got, e) {
		t.Errorf("round trip changed the entry:\n got %#v\nwant %#v", got.Outputs["prod"].Workloads[0].Content, e.Outputs["prod"].Workloads[0].Content)
	}
	if &got.Outputs["prod"].Workloads[0] != &got.Outputs["staging"].Workloads[0] {
		t.Errorf("shared workloads were not shared again")
	}
	// Objects stored without their YAML come whole even to a slim reader.
	if slim, _, err := readEntry(bytes.NewReader(b), "", int64(len(b)), readSlim); err != nil || !equalEntries(slim, e) || slim.Encoded() {
		t.Errorf("a slim read of objects without YAML: %v, equal %v", err, equalEntries(slim, e))
	}
	again, _ := e.encode(Key{}, "a", "v1")
	if string(again) != string(b) {
		t.Errorf("encoding is not deterministic")
	}
}

func TestRefusesUnknownTypes(t *testing.T) {
	type named string
	for _, v := range []any{named("x"), &struct{}{}, struct{}{}, map[int]any{}} {
		e := &Entry{Outputs: map[string]*lower.Output{"c": {Workloads: []manifest.Object{{Content: map[string]any{"v": v}}}}}}
		if _, err := e.encode(Key{}, "a", "v1"); err == nil {
			t.Errorf("%T was stored", v)
		}
	}
}

func TestCorruptEntriesAreMisses(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := NewHasher()
	h.String("x")
	k := h.Key()
	if _, ok := c.Load(k, "a"); ok {
		t.Fatal("hit in an empty cache")
	}
	if err := c.Store(k, "a", encodedSample(t)); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Load(k, "a"); !ok {
		t.Fatal("miss after store")
	}
	slim, ok := c.LoadSlim(k, "a")
	if !ok {
		t.Fatal("slim miss after store")
	}
	good, _ := os.ReadFile(c.path(k))
	for i := 0; i < len(good); i += 7 {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0x5a
		for _, b := range [][]byte{bad, good[:i]} {
			if err := os.WriteFile(c.path(k), b, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, ok := c.Load(k, "a"); ok {
				t.Fatalf("corrupt entry (byte %d) was a hit", i)
			}
			// A slim read does not read the contents, so damage there goes unseen;
			// anything it returns must be the entry as stored.
			if got, ok := c.LoadSlim(k, "a"); ok && !reflect.DeepEqual(got, slim) {
				t.Fatalf("corrupt entry (byte %d) read slim as another entry", i)
			}
		}
	}
}

// encodedSample is sampleEntry with every object's YAML.
func encodedSample(t *testing.T) *Entry {
	e := sampleEntry()
	for _, out := range e.Outputs {
		for _, l := range [][]manifest.Object{out.Platform, out.Workloads} {
			for i := range l {
				if err := l[i].Encode(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return e
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

// TestEntryKeepsYAML: the objects' YAML goes through the cache as it is, and an entry
// whose YAML is damaged is a miss.
func TestEntryKeepsYAML(t *testing.T) {
	if sampleEntry().Encoded() {
		t.Fatal("an entry without YAML says it has it")
	}
	e := encodedSample(t)
	if !e.Encoded() {
		t.Fatal("an encoded entry says it is not")
	}
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var k Key
	if err := c.Store(k, "a", e); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Load(k, "a")
	if !ok || !equalEntries(got, e) || !got.Encoded() {
		t.Fatalf("round trip: %v, equal %v", ok, equalEntries(got, e))
	}
	// Read slim, every object is what Slim makes of it, and nothing else changes.
	slim, ok := c.LoadSlim(k, "a")
	if !ok || !slim.Encoded() {
		t.Fatalf("slim load: %v", ok)
	}
	for name, out := range e.Outputs {
		want := &lower.Output{Platform: slices.Clone(out.Platform), Workloads: slices.Clone(out.Workloads), Notes: out.Notes}
		manifest.SlimAll(want.Platform)
		manifest.SlimAll(want.Workloads)
		if !reflect.DeepEqual(slim.Outputs[name], want) {
			t.Errorf("%s read slim:\n got %#v\nwant %#v", name, slim.Outputs[name], want)
		}
	}
	// Read deferred, every object is slim and its YAML is read when wanted, from the
	// entry as stored; an entry changed meanwhile says so.
	deferred, ok := c.LoadDeferred(k, "a")
	if !ok {
		t.Fatal("deferred: miss")
	}
	for name, out := range e.Outputs {
		got := deferred.Outputs[name]
		for i, o := range append(slices.Clone(out.Platform), out.Workloads...) {
			d := append(slices.Clone(got.Platform), got.Workloads...)[i]
			if d.Encoded != nil || d.Deferred == nil || d.Deferred.Sum != sha256.Sum256(o.Encoded) || d.Content != nil || d.Ident == nil || *d.Ident != o.Identity() {
				t.Fatalf("%s: deferred object %d: %+v", name, i, d)
			}
			if b, err := d.YAML(); err != nil || !bytes.Equal(b, o.Encoded) {
				t.Errorf("%s: deferred YAML of object %d: %v %q", name, i, err, b)
			}
		}
	}
	again, _ := c.LoadDeferred(k, "a")
	stored, err := os.ReadFile(c.path(k))
	if err != nil {
		t.Fatal(err)
	}
	damaged := bytes.Clone(stored)
	damaged[bytes.Index(damaged, e.Outputs["prod"].Workloads[0].Encoded)+3] ^= 1
	if err := os.WriteFile(c.path(k), damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := again.Outputs["prod"].Workloads[0].YAML(); err == nil || !strings.Contains(err.Error(), "changed while mlc was rendering") {
		t.Errorf("deferred YAML of a damaged entry: %v", err)
	}
	if err := os.WriteFile(c.path(k), stored, 0o644); err != nil {
		t.Fatal(err)
	}
	// Read for identities, every object is its identity alone, stored with YAML or not.
	for _, stored := range []*Entry{e, sampleEntry()} {
		if err := c.Store(k, "a", stored); err != nil {
			t.Fatal(err)
		}
		ids, ok := c.LoadIdentities(k, "a")
		if !ok {
			t.Fatal("identities: miss")
		}
		for name, out := range stored.Outputs {
			want := &lower.Output{Notes: out.Notes}
			for _, o := range out.Platform {
				want.Platform = append(want.Platform, o.IdentityOnly())
			}
			for _, o := range out.Workloads {
				want.Workloads = append(want.Workloads, o.IdentityOnly())
			}
			if !reflect.DeepEqual(ids.Outputs[name], want) {
				t.Errorf("%s read for identities:\n got %#v\nwant %#v", name, ids.Outputs[name], want)
			}
		}
	}
	if err := c.Store(k, "a", e); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(slim.Diagnostics, e.Diagnostics) {
		t.Errorf("diagnostics read slim: %v, want %v", slim.Diagnostics, e.Diagnostics)
	}
	b, err := os.ReadFile(c.path(k))
	if err != nil {
		t.Fatal(err)
	}
	doc := e.Outputs["prod"].Workloads[0].Encoded
	i := bytes.Index(b, doc)
	if i < 0 {
		t.Fatal("the YAML is not in the entry as it is")
	}
	for _, damage := range []func([]byte) []byte{
		func(b []byte) []byte { b[i+len(doc)/2] ^= 1; return b },                                      // a flipped bit
		func(b []byte) []byte { return append(b[:i+len(doc)/2:i+len(doc)/2], b[i+len(doc)/2+1:]...) }, // a byte lost
	} {
		if err := os.WriteFile(c.path(k), damage(bytes.Clone(b)), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Load(k, "a"); ok {
			t.Errorf("a damaged entry was loaded")
		}
	}
	// A YAML document that does not end its last line, though the checksum matches.
	e.Outputs["prod"].Workloads[0].Encoded = doc[:len(doc)-1]
	enc, err := e.encode(Key{}, "a", "v1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeEntry(enc); err == nil {
		t.Errorf("a YAML document without its final newline was accepted")
	}
}

// equalEntries compares what entries hold, not the digests read with them.
func equalEntries(a, b *Entry) bool {
	return reflect.DeepEqual(a.Diagnostics, b.Diagnostics) && reflect.DeepEqual(a.Outputs, b.Outputs)
}

// TestVersionRemembered: the executable's version is hashed once and then read from the
// cache, while the executable's stat is the same and was settled when recorded.
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
	b, ok := c.LoadRecord(versionRecord, exe)
	if !ok {
		t.Fatal("no record of the version")
	}
	info, err := os.Stat(exe)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := filestat.FromInfo(info)
	// The test binary was just built: its stat is not settled at the record's stamp
	// unless that is well after.
	settled := versionRecordOf(exe, st, time.Now().Add(time.Minute).UnixNano(), "f00d"+strings.Repeat("0", 60))
	if _, ok := parseVersionRecord(settled, exe, st); !ok {
		t.Fatal("a settled record was not trusted")
	}
	for name, rec := range map[string][]byte{
		"unsettled":     versionRecordOf(exe, st, st.Ctime, "f00d"+strings.Repeat("0", 60)),
		"another file":  versionRecordOf(exe+"x", st, time.Now().Add(time.Minute).UnixNano(), "f00d"+strings.Repeat("0", 60)),
		"another stat":  versionRecordOf(exe, filestat.Stat{Size: st.Size + 1, Mode: st.Mode, Dev: st.Dev, Ino: st.Ino, Mtime: st.Mtime, Ctime: st.Ctime}, time.Now().Add(time.Minute).UnixNano(), "f00d"+strings.Repeat("0", 60)),
		"short version": versionRecordOf(exe, st, time.Now().Add(time.Minute).UnixNano(), "f00d"),
		"damaged":       b[:len(b)-3],
	} {
		if _, ok := parseVersionRecord(rec, exe, st); ok {
			t.Errorf("%s: the record was trusted", name)
		}
	}
	// A new process (a new Cache) reads the settled record instead of hashing.
	if err := c.StoreRecord(versionRecord, exe, settled); err != nil {
		t.Fatal(err)
	}
	again, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if v := again.Version(); v != "f00d"+strings.Repeat("0", 60) {
		t.Errorf("version %q, want the one recorded", v)
	}
}

// TestLargeHeadReadInTwo: an entry whose head is longer than the first read (headGuess)
// reads the same, slim, deferred and for identities, as a small one.
func TestLargeHeadReadInTwo(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var objs []manifest.Object
	for i := range 200 {
		o := manifest.Object{Source: fmt.Sprintf("notebooks.n%d", i), Content: map[string]any{
			"apiVersion": "kubeflow.org/v1", "kind": "Notebook",
			"metadata": map[string]any{"name": fmt.Sprintf("notebook-with-a-long-name-%04d", i), "namespace": "team"},
		}}
		if err := o.Encode(); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	e := &Entry{Outputs: map[string]*lower.Output{"prod": {Workloads: objs}}}
	var k Key
	k[0] = 7
	if err := c.Store(k, "a", e); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(c.path(k))
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := layoutOf(b); l.headEnd <= headGuess {
		t.Fatalf("head of %d bytes fits the first read", l.headEnd)
	}
	for name, load := range map[string]func(Key, string) (*Entry, bool){"slim": c.LoadSlim, "deferred": c.LoadDeferred, "identities": c.LoadIdentities} {
		got, ok := load(k, "a")
		if !ok || len(got.Outputs["prod"].Workloads) != len(objs) {
			t.Fatalf("%s: %v", name, ok)
		}
		for i, o := range got.Outputs["prod"].Workloads {
			if o.Identity() != objs[i].Identity() || o.Source != objs[i].Source {
				t.Fatalf("%s: object %d is %+v", name, i, o)
			}
			if name == "identities" {
				continue
			}
			if y, err := o.YAML(); err != nil || !bytes.Equal(y, objs[i].Encoded) {
				t.Fatalf("%s: YAML of object %d: %v", name, i, err)
			}
		}
	}
}

// TestLoadOutline: an outline has the entry's diagnostics and each output's notes, and
// no object at all, whether the entry holds YAML or not, read from the entry or from a
// heads record.
func TestLoadOutline(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var k Key
	for _, stored := range []*Entry{encodedSample(t), sampleEntry()} {
		c.UseHeads("/repo", Outlines) // remembers the head stored, for SaveHeads
		if err := c.Store(k, "a", stored); err != nil {
			t.Fatal(err)
		}
		for _, via := range []string{"entry", "heads record"} {
			if via == "heads record" {
				if err := c.SaveHeads("/repo", map[string]Key{"a": k}); err != nil {
					t.Fatal(err)
				}
				c, _ = Open(dir)
				c.UseHeads("/repo", Outlines)
				// The record serves the head: the entry's own head may be damaged,
				// past its binding.
				damageHead(t, c, k, "a")
			}
			got, ok := c.LoadOutline(k, "a")
			if !ok {
				t.Fatalf("outline via %s: miss", via)
			}
			if !reflect.DeepEqual(got.Diagnostics, stored.Diagnostics) {
				t.Errorf("outline via %s: diagnostics %v, want %v", via, got.Diagnostics, stored.Diagnostics)
			}
			want := map[string]*lower.Output{}
			for name, out := range stored.Outputs {
				want[name] = &lower.Output{Notes: out.Notes}
			}
			if !reflect.DeepEqual(got.Outputs, want) {
				t.Errorf("outline via %s:\n got %#v\nwant %#v", via, got.Outputs, want)
			}
			if got.ObjectCount() != stored.ObjectCount() || got.ObjectCount() != 3 {
				t.Errorf("outline via %s counts %d objects, want %d", via, got.ObjectCount(), stored.ObjectCount())
			}
		}
		dir = t.TempDir()
		c, _ = Open(dir)
	}
}
