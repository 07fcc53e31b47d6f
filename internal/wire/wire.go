// Package wire reads and writes the fields of the binary files mlc keeps between runs,
// such as the repository's file index and the output tree's index: varints, bytes and
// file stats, each as encoding/binary writes varints.
package wire

import (
	"encoding/binary"
	"math/bits"

	"github.com/mlc-gitops/mlc/internal/filestat"
)

// Reader reads fields from the front of B. A field that is not there whole makes Bad
// true and B empty: every read after it gives zero, so that a decoder checks Bad once,
// where it is convenient, rather than after each field.
type Reader struct {
	B   []byte
	Bad bool
}

func (r *Reader) fail() { r.Bad, r.B = true, nil }

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	v, n := binary.Uvarint(r.B)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.B = r.B[n:]
	return v
}

// Varint reads a signed varint.
func (r *Reader) Varint() int64 {
	v, n := binary.Varint(r.B)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.B = r.B[n:]
	return v
}

// Next reads n bytes as they are. They are B's, capped: appending to them copies.
func (r *Reader) Next(n uint64) []byte {
	if n > uint64(len(r.B)) {
		r.fail()
		return nil
	}
	b := r.B[:n:n]
	r.B = r.B[n:]
	return b
}

// Bytes reads bytes written with their length first (AppendBytes).
func (r *Reader) Bytes() []byte { return r.Next(r.Uvarint()) }

// Stat reads a stat written by AppendStat.
func (r *Reader) Stat() filestat.Stat {
	var st filestat.Stat
	st.Size, st.Mode, st.Dev, st.Ino = r.Uvarint(), r.Uvarint(), r.Uvarint(), r.Uvarint()
	st.Mtime, st.Ctime = r.Varint(), r.Varint()
	return st
}

// AppendBytes appends s with its length first.
func AppendBytes[S string | []byte](b []byte, s S) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// AppendStat appends st: its size, mode, device and inode as unsigned varints, its
// modification and change times as signed ones.
func AppendStat(b []byte, st filestat.Stat) []byte {
	b = binary.AppendUvarint(b, st.Size)
	b = binary.AppendUvarint(b, st.Mode)
	b = binary.AppendUvarint(b, st.Dev)
	b = binary.AppendUvarint(b, st.Ino)
	b = binary.AppendVarint(b, st.Mtime)
	return binary.AppendVarint(b, st.Ctime)
}

// StatLen is how many bytes AppendStat appends for st.
func StatLen(st filestat.Stat) int {
	return UvarintLen(st.Size) + UvarintLen(st.Mode) + UvarintLen(st.Dev) + UvarintLen(st.Ino) +
		VarintLen(st.Mtime) + VarintLen(st.Ctime)
}

// UvarintLen is how many bytes binary.AppendUvarint appends for n.
func UvarintLen(n uint64) int { return max(bits.Len64(n)+6, 7) / 7 }

// VarintLen is how many bytes binary.AppendVarint appends for n.
func VarintLen(n int64) int {
	u := uint64(n) << 1
	if n < 0 {
		u = ^u
	}
	return UvarintLen(u)
}
