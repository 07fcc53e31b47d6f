package cache

import (
	"testing"
)

// FuzzDecodeEntry: whatever bytes an entry file holds, decoding it for a key and tenant
// fails or gives an entry whose objects' YAML lies within the file; it never panics.
func FuzzDecodeEntry(f *testing.F) {
	k := keyOf("a")
	good, err := sampleEntry().encode(k, "team-a", "v1")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(entryMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b, k, "team-a")
		if err != nil {
			return
		}
		total := 0
		for _, out := range e.Outputs {
			for _, o := range append(out.Platform, out.Workloads...) {
				total += len(o.Encoded)
			}
		}
		if total > len(b) {
			t.Errorf("%d bytes of YAML from a %d-byte file", total, len(b))
		}
	})
}
