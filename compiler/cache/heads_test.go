package cache

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// useHeads makes c use repo's heads record and returns the keys it names.
func useHeads(c *Cache, repo string) map[string]Key {
	c.UseHeads(repo, HeadsDecoded)
	return c.LastKeys()
}

// savedHeads stores the tenants in a new cache and saves the heads record of "/repo"
// naming them; then it opens the cache again, as the next process does, has it use the
// record as use says, and returns it with the tenants' keys, which the record must give.
func savedHeads(t *testing.T, use HeadsUse, names ...string) (*Cache, map[string]Key) {
	t.Helper()
	dir := t.TempDir()
	c, _ := Open(dir)
	useHeads(c, "/repo")
	keys := storedTenants(t, c, names...)
	if err := c.SaveHeads("/repo", keys); err != nil {
		t.Fatal(err)
	}
	c, _ = Open(dir)
	c.UseHeads("/repo", use)
	if got := c.LastKeys(); !maps.Equal(got, keys) {
		t.Fatalf("keys %v, want %v", got, keys)
	}
	return c, keys
}

// storedTenants stores one encoded entry per name in c and returns their keys.
func storedTenants(t *testing.T, c *Cache, names ...string) map[string]Key {
	t.Helper()
	keys := map[string]Key{}
	for _, name := range names {
		h := NewHasher()
		h.String(name)
		keys[name] = h.Key()
		o := manifest.Object{Source: "tenant", Content: map[string]any{
			"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name},
		}}
		if err := o.Encode(); err != nil {
			t.Fatal(err)
		}
		e := &Entry{Outputs: map[string]*lower.Output{"prod": {Platform: []manifest.Object{o}, Notes: []string{"note of " + name}}}}
		if err := c.Store(keys[name], name, e); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// TestHeads: a heads record gives back the keys saved for its repository, and serves
// the heads of their entries without reading the entries; the YAML is still read from
// the entry, and an entry gone since makes the record go too. A damaged record is
// empty, never an error.
func TestHeads(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := useHeads(c, "/repo"); len(got) != 0 {
		t.Fatalf("a record where none was saved: %v", got)
	}
	keys := storedTenants(t, c, "vision", "nlp", "team-00001")
	if err := c.SaveHeads("/repo", keys); err != nil {
		t.Fatal(err)
	}
	record := c.recordPath(headsRecord, "/repo")
	before, err := os.Stat(record)
	if err != nil {
		t.Fatal(err)
	}

	// A new process: the record names the keys and holds the heads.
	c, _ = Open(dir)
	if got := useHeads(c, "/repo"); !maps.Equal(got, keys) {
		t.Errorf("keys read back as %v, want %v", got, keys)
	}
	if got := useHeads(c, "/other"); len(got) != 0 {
		t.Errorf("another repository's record: %v", got)
	}
	useHeads(c, "/repo")
	// The entries' heads come from the record: an entry whose head is damaged on disk
	// still reads, and its YAML, read from the entry, is checked.
	p := c.path(keys["vision"])
	stored, _ := os.ReadFile(p)
	damaged := bytes.Clone(stored)
	damaged[afterBinding("vision")] ^= 1
	damaged[bytes.Index(damaged, []byte("name: vision"))] ^= 1
	if err := os.WriteFile(p, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	e, ok := c.LoadDeferred(keys["vision"], "vision")
	if !ok || e.Outputs["prod"].Notes[0] != "note of vision" || e.Outputs["prod"].Platform[0].Name() != "vision" {
		t.Fatalf("deferred from the record: %v %+v", ok, e)
	}
	if _, err := e.Outputs["prod"].Platform[0].YAML(); err == nil || !strings.Contains(err.Error(), "changed while mlc was rendering") {
		t.Errorf("YAML of a damaged entry: %v", err)
	}
	// Decoded ahead of time, an entry is handed out once; read again, it is decoded again.
	if again, ok := c.LoadDeferred(keys["vision"], "vision"); !ok || again == e || &again.Outputs["prod"].Platform[0] == &e.Outputs["prod"].Platform[0] || again.Outputs["prod"].Platform[0].Name() != "vision" {
		t.Errorf("read twice: %v, the same entry %v", ok, again == e)
	}
	if ids, ok := c.LoadIdentities(keys["vision"], "vision"); !ok || ids.Outputs["prod"].Platform[0].Name() != "vision" {
		t.Errorf("identities from the record: %v", ok)
	}
	if _, ok := c.LoadSlim(keys["vision"], "vision"); ok {
		t.Errorf("a slim read, which reads the entry, took a damaged one")
	}
	// Nothing changed: the record is not written again.
	if err := c.SaveHeads("/repo", keys); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(record); !os.SameFile(before, after) {
		t.Errorf("an unchanged record was written again")
	}
	// An entry gone: the record does not stand for it where its YAML may be wanted.
	// Read before it went, its YAML cannot be read, and the record goes, so that the
	// next compilation reads the entries.
	e, ok = c.LoadDeferred(keys["nlp"], "nlp")
	if !ok {
		t.Fatal("deferred from the record: miss")
	}
	if err := os.Remove(c.path(keys["nlp"])); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.LoadDeferred(keys["nlp"], "nlp"); ok {
		t.Error("deferred from the record of an entry gone: a hit")
	}
	if _, ok := c.LoadOutline(keys["nlp"], "nlp"); ok {
		t.Error("outline from the record of an entry gone: a hit")
	}
	if _, err := e.Outputs["prod"].Platform[0].YAML(); err == nil || !strings.Contains(err.Error(), "reading the cache entry") {
		t.Errorf("YAML of an entry gone: %v", err)
	}
	if _, err := os.Stat(record); !os.IsNotExist(err) {
		t.Errorf("the record of an entry gone is kept: %v", err)
	}

	// A changed key is saved, with the head of the entry stored for it.
	if err := os.WriteFile(p, stored, 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ = Open(dir)
	useHeads(c, "/repo")
	changed := storedTenants(t, c, "nlp")
	keys["nlp"] = changed["nlp"]
	if err := c.SaveHeads("/repo", keys); err != nil {
		t.Fatal(err)
	}
	c, _ = Open(dir)
	if got := useHeads(c, "/repo"); !maps.Equal(got, keys) {
		t.Errorf("keys read back as %v, want %v", got, keys)
	}
	if err := os.Remove(c.path(keys["nlp"])); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.LoadIdentities(keys["nlp"], "nlp"); !ok {
		t.Errorf("the new entry's head is not in the record")
	}

	good, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	// A damaged table: no record at all.
	flipped := bytes.Clone(good)
	flipped[bytes.Index(flipped, []byte("team-00001"))] ^= 1
	for _, bad := range [][]byte{good[:headsHeaderLen+8], append([]byte("x"), good...), flipped} {
		if err := os.WriteFile(record, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if got := useHeads(c, "/repo"); len(got) != 0 {
			t.Errorf("a damaged record gave %v", got)
		}
	}
	// Damaged heads: the keys hold, and the heads are read from the entries.
	if err := os.WriteFile(record, good[:len(good)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	c, _ = Open(dir)
	if got := useHeads(c, "/repo"); !maps.Equal(got, keys) {
		t.Errorf("keys read back as %v from a record with damaged heads, want %v", got, keys)
	}
	if head, _, _, ok := c.recordedHead(keys["vision"], readIdentity); ok {
		t.Errorf("a damaged record gave a head of %d bytes", len(head))
	}
	if ids, ok := c.LoadIdentities(keys["vision"], "vision"); !ok || ids.Outputs["prod"].Platform[0].Name() != "vision" {
		t.Errorf("identities of an entry whose head in the record is damaged: %v", ok)
	}
}

// TestTrimKeepsEntriesNamedByHeads: an entry read through a heads record is not read
// itself, so its own time grows old; Trim keeps it while the record is recent.
func TestTrimKeepsEntriesNamedByHeads(t *testing.T) {
	dir := t.TempDir()
	c, _ := Open(dir)
	useHeads(c, "/repo")
	keys := storedTenants(t, c, "vision", "nlp")
	named := map[string]Key{"vision": keys["vision"]}
	if err := c.SaveHeads("/repo", named); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	old := now.Add(-MaxAge - time.Hour)
	for _, k := range keys {
		_ = os.Chtimes(c.path(k), old, old)
	}
	if err := c.trim(now, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.path(keys["vision"])); err != nil {
		t.Errorf("an entry named by a recent record was trimmed")
	}
	if _, err := os.Stat(c.path(keys["nlp"])); err == nil {
		t.Errorf("an old entry no record names was kept")
	}
	// Once the record is old too, both go.
	_ = os.Chtimes(c.recordPath(headsRecord, "/repo"), old, old)
	if err := c.trim(now, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.path(keys["vision"])); err == nil {
		t.Errorf("an entry named only by an old record was kept")
	}
}

// TestHeadsNotDecodedAhead: a compilation that does not defer YAML (mlc vet) has the
// record read but its entries not decoded ahead; they are read from it when wanted.
func TestHeadsNotDecodedAhead(t *testing.T) {
	c, keys := savedHeads(t, Heads, "vision", "nlp")
	if len(c.heads.decoded) != 0 {
		t.Errorf("%d entries decoded ahead", len(c.heads.decoded))
	}
	damageHead(t, c, keys["vision"], "vision")
	for name, load := range map[string]func(Key, string) (*Entry, bool){"identities": c.LoadIdentities, "deferred": c.LoadDeferred} {
		if e, ok := load(keys["vision"], "vision"); !ok || e.Outputs["prod"].Platform[0].Name() != "vision" {
			t.Errorf("%s: not read from the record", name)
		}
	}
}

// TestHeadsCopiedWhenNotRead: a compilation that reads only the outlines still saves a
// record with every head: those it did not read are copied from the record before.
func TestHeadsCopiedWhenNotRead(t *testing.T) {
	c, keys := savedHeads(t, Outlines, "a", "b", "c", "d")
	if c.heads.all != nil {
		t.Errorf("the heads were read for outlines only")
	}
	if e, ok := c.LoadOutline(keys["c"], "c"); !ok || e.Outputs["prod"].Notes[0] != "note of c" || e.ObjectCount() != 1 {
		t.Errorf("outline from the record: %v %+v", ok, e)
	}
	// "b" is stored again under another key; the others' heads come from the record.
	h := NewHasher()
	h.String("b again")
	newB := h.Key()
	e, _ := c.Load(keys["b"], "b")
	if err := c.Store(newB, "b", e); err != nil {
		t.Fatal(err)
	}
	keys["b"] = newB
	if err := c.SaveHeads("/repo", keys); err != nil {
		t.Fatal(err)
	}
	c, _ = Open(c.dir)
	c.UseHeads("/repo", Heads)
	if got := c.LastKeys(); !maps.Equal(got, keys) {
		t.Fatalf("keys %v, want %v", got, keys)
	}
	for name, k := range keys {
		damageHead(t, c, k, name)
		if e, ok := c.LoadIdentities(k, name); !ok || e.Outputs["prod"].Platform[0].Name() != name {
			t.Errorf("%s: not read from the record", name)
		}
		if e, ok := c.LoadOutline(k, name); !ok || e.Outputs["prod"].Notes[0] != "note of "+name {
			t.Errorf("%s: outline not read from the record", name)
		}
	}
}

// afterBinding is the place of a byte of an entry's head past its binding to tenant.
func afterBinding(tenant string) int { return headerLen + len(Key{}) + 1 + len(tenant) + 1 }

// damageHead flips a byte of the head of the entry under k for tenant, past its
// binding: the entry cannot be read from its file, and is still there.
func damageHead(t *testing.T, c *Cache, k Key, tenant string) {
	t.Helper()
	b, err := os.ReadFile(c.path(k))
	if err != nil {
		t.Fatal(err)
	}
	b[afterBinding(tenant)] ^= 1
	if err := os.WriteFile(c.path(k), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// loads are the ways an entry is read, by name.
func loads(c *Cache) map[string]func(Key, string) (*Entry, bool) {
	return map[string]func(Key, string) (*Entry, bool){
		"whole": c.Load, "slim": c.LoadSlim, "deferred": c.LoadDeferred, "identities": c.LoadIdentities, "outline": c.LoadOutline,
	}
}

// TestEntriesAreBound: an entry is read only for the key it was stored under and its
// tenant. Another tenant's entry copied over it, or an older entry of its own tenant
// replayed under its new key, is a miss however it is read, also when a heads record
// holds the outline and head of the entry that was there: only the identities, which
// the record's head holds whole, are still read from it.
func TestEntriesAreBound(t *testing.T) {
	c, keys := savedHeads(t, HeadsDecoded, "vision", "nlp", "nlp older")
	for name, load := range loads(c) {
		if e, ok := load(keys["nlp"], "nlp"); !ok || e.Outputs["prod"].Notes[0] != "note of nlp" {
			t.Fatalf("%s: the entry as stored: %v", name, ok)
		}
		if _, ok := load(keys["nlp"], "vision"); ok {
			t.Errorf("%s: nlp's entry was read for vision", name)
		}
	}
	older := keys["nlp older"]
	if err := c.Store(older, "nlp", mustLoad(t, c, older, "nlp older")); err != nil {
		t.Fatal(err)
	}
	for what, from := range map[string]Key{"another tenant's entry": keys["vision"], "an older entry": older} {
		b, err := os.ReadFile(c.path(from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(c.path(keys["nlp"]), b, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, record := range []bool{false, true} {
			c, _ := Open(c.dir)
			if record {
				c.UseHeads("/repo", HeadsDecoded)
			}
			for name, load := range loads(c) {
				e, ok := load(keys["nlp"], "nlp")
				// Identities are read from the record's head alone, which is nlp's.
				if asStored := record && name == "identities"; ok != asStored || ok && e.Outputs["prod"].Notes[0] != "note of nlp" {
					t.Errorf("%s copied over nlp's: read %s %v (heads record %v)", what, name, ok, record)
				}
			}
		}
	}
}

func mustLoad(t *testing.T, c *Cache, k Key, tenant string) *Entry {
	t.Helper()
	e, ok := c.Load(k, tenant)
	if !ok {
		t.Fatalf("no entry of %s", tenant)
	}
	return e
}

// forgeHeads swaps two keys in the table of the heads record at p and makes its
// checksum match again (see the layout in heads.go), as whoever forges a record would.
func forgeHeads(t *testing.T, p string, a, b Key) {
	t.Helper()
	rec, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	end := headsHeaderLen + int(binary.LittleEndian.Uint32(rec[len(headsMagic):]))
	table := rec[headsHeaderLen:end]
	i, j := bytes.Index(table, a[:]), bytes.Index(table, b[:])
	if i < 0 || j < 0 {
		t.Fatal("the keys are not in the record")
	}
	copy(table[i:], b[:])
	copy(table[j:], a[:])
	binary.LittleEndian.PutUint32(rec[end:], crc32.Checksum(rec[:end], crcTable))
	if err := os.WriteFile(p, rec, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestForgedHeadsRecord: a heads record whose table gives one tenant's key another
// tenant's outline and head (a forged record, its checksum right) gives neither: each
// tenant is read from its own entry, and is a miss once that is gone. A record copied
// from another repository is no record.
func TestForgedHeadsRecord(t *testing.T) {
	for via, use := range map[string]HeadsUse{"outlines": Outlines, "heads": Heads, "decoded heads": HeadsDecoded} {
		c, keys := savedHeads(t, use, "vision", "nlp")
		record := c.recordPath(headsRecord, "/repo")
		forgeHeads(t, record, keys["vision"], keys["nlp"])
		c, _ = Open(c.dir)
		c.UseHeads("/repo", use)
		if got := c.LastKeys(); got["nlp"] != keys["vision"] {
			t.Fatalf("the record was not forged: %v", got)
		}
		for _, name := range []string{"vision", "nlp"} {
			if _, ok := c.LoadDigests(keys[name], map[string]string{"vision": "nlp", "nlp": "vision"}[name]); ok {
				t.Errorf("%s: %s's digests were read for the other tenant", via, name)
			}
		}
		for name, load := range loads(c) {
			for _, tenant := range []string{"vision", "nlp"} {
				if e, ok := load(keys[tenant], tenant); !ok || e.Outputs["prod"].Notes[0] != "note of "+tenant {
					t.Errorf("%s: %s read %s: %v", via, tenant, name, ok)
				}
			}
		}
		c, _ = Open(c.dir)
		c.UseHeads("/repo", use)
		if err := os.Remove(c.path(keys["nlp"])); err != nil {
			t.Fatal(err)
		}
		for name, load := range loads(c) {
			if e, ok := load(keys["nlp"], "nlp"); ok {
				t.Errorf("%s: read %s from a forged record: %+v", via, name, e.Outputs["prod"])
			}
		}

		other := c.recordPath(headsRecord, "/other")
		if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(record)
		if err := os.WriteFile(other, b, 0o600); err != nil {
			t.Fatal(err)
		}
		c.UseHeads("/other", use)
		if got := c.LastKeys(); len(got) != 0 {
			t.Errorf("%s: another repository's record was read: %v", via, got)
		}
	}
}
