package load

import (
	"crypto/sha256"
	"reflect"
	"testing"

	"github.com/mlc-gitops/mlc/internal/filestat"
)

// FuzzFileIndex decodes any bytes behind a valid checksum (a file index is read from the
// cache directory, which anyone who can write it can forge): the decoder never panics,
// and what it accepts encodes back to what decodes the same.
func FuzzFileIndex(f *testing.F) {
	x := &FileIndex{
		Root:  "/repo",
		Stamp: 1 << 40,
		Files: []IndexedFile{
			{Path: "platform.cue", Stat: filestat.Stat{Size: 10, Mode: 0o100644, Ino: 7}, Sum: Sum{1}},
			{Path: "tenants/a/tenant.cue", Stat: filestat.Stat{Size: 20, Mode: 0o100644, Ino: 8}, Sum: Sum{2}},
		},
		Dirs: []IndexedDir{{Path: "tenants/a", Stat: filestat.Stat{Mode: 0o40755}, Files: []string{"tenants/a/tenant.cue"}}},
	}
	b, err := x.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	body := b[:len(b)-sha256.Size]
	f.Add(body)
	f.Add(body[:len(body)/2])
	f.Add([]byte(fileIndexMagic))
	f.Fuzz(func(t *testing.T, body []byte) {
		sum := sha256.Sum256(body)
		var got FileIndex
		if got.UnmarshalBinary(append(body[:len(body):len(body)], sum[:]...)) != nil {
			return
		}
		again, err := got.MarshalBinary()
		if err != nil {
			t.Fatalf("a decoded index does not encode: %v", err)
		}
		var back FileIndex
		if err := back.UnmarshalBinary(again); err != nil {
			t.Fatalf("an encoded index does not decode: %v", err)
		}
		if !reflect.DeepEqual(normalized(got), normalized(back)) {
			t.Errorf("round trip changed the index:\n%+v\n%+v", got, back)
		}
	})
}

// normalized makes empty slices nil, which encoding does not tell apart.
func normalized(x FileIndex) FileIndex {
	if len(x.Files) == 0 {
		x.Files = nil
	}
	if len(x.Dirs) == 0 {
		x.Dirs = nil
	}
	for i := range x.Dirs {
		if len(x.Dirs[i].Files) == 0 {
			x.Dirs[i].Files = nil
		}
	}
	return x
}
