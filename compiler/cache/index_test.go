package cache

import (
	"maps"
	"os"
	"testing"
)

// TestIndex: an index gives back the keys stored for its repository, and a damaged one
// is empty, never an error.
func TestIndex(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got := c.LoadIndex("/repo"); len(got) != 0 {
		t.Fatalf("an index where none was stored: %v", got)
	}
	keys := map[string]Key{}
	for _, name := range []string{"vision", "nlp", "team-00001"} {
		h := NewHasher()
		h.String(name)
		keys[name] = h.Key()
	}
	if err := c.StoreIndex("/repo", keys); err != nil {
		t.Fatal(err)
	}
	if got := c.LoadIndex("/repo"); !maps.Equal(got, keys) {
		t.Errorf("index read back as %v, want %v", got, keys)
	}
	if got := c.LoadIndex("/other"); len(got) != 0 {
		t.Errorf("another repository's index: %v", got)
	}
	good, err := os.ReadFile(c.indexPath("/repo"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{good[:len(good)-10], append([]byte("x"), good...), []byte("mlc-tenant-index/1 /repo\nvision zz\n")} {
		if err := os.WriteFile(c.indexPath("/repo"), bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if got := c.LoadIndex("/repo"); len(got) != 0 {
			t.Errorf("a damaged index gave %v", got)
		}
	}
}
