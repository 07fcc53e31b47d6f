package wire

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/mlc-gitops/mlc/internal/filestat"
)

// TestRoundTrip: what the Append functions write reads back, their lengths are those
// encoding/binary gives, and a record cut anywhere reads as Bad, never as a panic.
func TestRoundTrip(t *testing.T) {
	stats := []filestat.Stat{
		{},
		{Size: 1, Mode: 0o100644, Dev: 2049, Ino: 1 << 40, Mtime: -1, Ctime: 1 << 62},
		{Size: math.MaxUint64, Mode: math.MaxUint64, Dev: math.MaxUint64, Ino: math.MaxUint64, Mtime: math.MinInt64, Ctime: math.MaxInt64},
	}
	var b []byte
	for _, st := range stats {
		before := len(b)
		b = AppendStat(b, st)
		if got := len(b) - before; got != StatLen(st) {
			t.Errorf("StatLen(%+v) = %d, appended %d", st, StatLen(st), got)
		}
		b = AppendBytes(b, "path/of/a/file")
		b = AppendBytes(b, []byte{})
		b = binary.AppendVarint(b, st.Mtime)
	}
	r := Reader{B: b}
	for _, st := range stats {
		if got := r.Stat(); got != st {
			t.Errorf("stat read back as %+v, want %+v", got, st)
		}
		if got := r.Bytes(); string(got) != "path/of/a/file" || cap(got) != len(got) {
			t.Errorf("bytes read back as %q (cap %d)", got, cap(got))
		}
		if got := r.Bytes(); len(got) != 0 {
			t.Errorf("empty bytes read back as %q", got)
		}
		if got := r.Varint(); got != st.Mtime {
			t.Errorf("varint read back as %d, want %d", got, st.Mtime)
		}
	}
	if r.Bad || len(r.B) != 0 {
		t.Errorf("after reading all: bad %v, %d bytes left", r.Bad, len(r.B))
	}
	for _, n := range []uint64{0, 1, 127, 128, 1 << 35, math.MaxUint64} {
		if got, want := UvarintLen(n), len(binary.AppendUvarint(nil, n)); got != want {
			t.Errorf("UvarintLen(%d) = %d, want %d", n, got, want)
		}
	}
	for _, n := range []int64{0, -1, 63, -64, 64, math.MinInt64, math.MaxInt64} {
		if got, want := VarintLen(n), len(binary.AppendVarint(nil, n)); got != want {
			t.Errorf("VarintLen(%d) = %d, want %d", n, got, want)
		}
	}
	for cut := range len(b) {
		r := Reader{B: bytes.Clone(b[:cut])}
		for range stats {
			r.Stat()
			r.Bytes()
			r.Bytes()
			r.Varint()
		}
		if !r.Bad {
			t.Fatalf("a record cut at %d of %d bytes reads whole", cut, len(b))
		}
	}
}
