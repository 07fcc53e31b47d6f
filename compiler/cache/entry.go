package cache

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"maps"
	"slices"
	"unsafe"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// Entry is one compiled tenant: what the compiler keeps of it once it has been
// checked, lowered and validated.
type Entry struct {
	// Diagnostics are the tenant's warnings, at their positions. A tenant with errors
	// is never stored.
	Diagnostics diag.List
	// Outputs are the tenant's objects by cluster name. Each object's YAML
	// (manifest.Object.Encoded) is kept when it was encoded, so that a render does not
	// encode an unchanged tenant again.
	Outputs map[string]*lower.Output
}

// Encoded tells whether every object of the entry carries its YAML.
func (e *Entry) Encoded() bool {
	for _, out := range e.Outputs {
		for _, l := range [][]manifest.Object{out.Platform, out.Workloads} {
			for _, o := range l {
				if o.Encoded == nil {
					return false
				}
			}
		}
	}
	return true
}

// magic starts every entry; a new layout gets a new one, which makes old entries misses.
const magic = "mlc-tenant-entry/2\n"

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// encode writes e, ending with a checksum of everything before it.
func (e *Entry) encode() ([]byte, error) {
	enc := &encoder{buf: append(make([]byte, 0, 64<<10), magic...)}
	enc.uvarint(uint64(len(e.Diagnostics)) + 1)
	for _, d := range e.Diagnostics {
		enc.string(string(d.Severity))
		enc.string(d.Pos.File)
		enc.varint(int64(d.Pos.Line))
		enc.varint(int64(d.Pos.Column))
		enc.string(d.Path)
		enc.string(d.Message)
	}
	// Clusters with the same lowering target share their workloads; they are written
	// once, and shared again when read.
	type listID struct {
		first *manifest.Object
		n     int
	}
	ids := map[listID]int{}
	var lists [][]manifest.Object
	index := func(l []manifest.Object) uint64 {
		if len(l) == 0 {
			return 0
		}
		id := listID{unsafe.SliceData(l), len(l)}
		i, ok := ids[id]
		if !ok {
			lists = append(lists, l)
			i = len(lists)
			ids[id] = i
		}
		return uint64(i)
	}
	names := slices.Sorted(maps.Keys(e.Outputs))
	refs := make([][2]uint64, len(names))
	for i, n := range names {
		refs[i] = [2]uint64{index(e.Outputs[n].Platform), index(e.Outputs[n].Workloads)}
	}
	enc.uvarint(uint64(len(lists)) + 1)
	for _, l := range lists {
		enc.uvarint(uint64(len(l)) + 1)
		for _, o := range l {
			enc.string(o.Source)
			if err := enc.mapAny(o.Content); err != nil {
				return nil, err
			}
			// The YAML: its length + 1, 0 when the object was not encoded.
			if o.Encoded == nil {
				enc.uvarint(0)
			} else {
				enc.uvarint(uint64(len(o.Encoded)) + 1)
				enc.buf = append(enc.buf, o.Encoded...)
			}
		}
	}
	enc.uvarint(uint64(len(names)) + 1)
	for i, n := range names {
		enc.string(n)
		enc.uvarint(refs[i][0])
		enc.uvarint(refs[i][1])
		notes := e.Outputs[n].Notes
		enc.uvarint(uint64(len(notes)) + 1)
		for _, s := range notes {
			enc.string(s)
		}
	}
	return binary.LittleEndian.AppendUint32(enc.buf, crc32.Checksum(enc.buf, crcTable)), nil
}

// decodeEntry reads what encode wrote; anything else is an error.
func decodeEntry(b []byte) (e *Entry, err error) {
	if len(b) < len(magic)+4 || string(b[:len(magic)]) != magic {
		return nil, errCorrupt
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, crcTable) != sum {
		return nil, errCorrupt
	}
	defer func() {
		// The checksum matched, so this is a bug in the codec; still a miss, not a crash.
		if r := recover(); r != nil {
			e, err = nil, fmt.Errorf("%w: %v", errCorrupt, r)
		}
	}()
	d := &decoder{buf: body[len(magic):]}
	e = &Entry{Outputs: map[string]*lower.Output{}}
	n, _ := d.count()
	for range n {
		var dg diag.Diagnostic
		dg.Severity = diag.Severity(d.string())
		dg.Pos.File = d.string()
		dg.Pos.Line = int(d.varint())
		dg.Pos.Column = int(d.varint())
		dg.Path = d.string()
		dg.Message = d.string()
		e.Diagnostics = append(e.Diagnostics, dg)
	}
	n, _ = d.count()
	lists := make([][]manifest.Object, n)
	for i := range lists {
		k, _ := d.count()
		lists[i] = make([]manifest.Object, k)
		for j := range lists[i] {
			lists[i][j].Source = d.string()
			lists[i][j].Content = d.mapAny()
			lists[i][j].Encoded = d.yaml()
		}
	}
	list := func() []manifest.Object {
		i := d.uvarint()
		if i == 0 {
			return nil
		}
		if i > uint64(len(lists)) {
			d.fail()
			return nil
		}
		return lists[i-1]
	}
	n, _ = d.count()
	for range n {
		name := d.string()
		out := &lower.Output{Platform: list(), Workloads: list()}
		k, _ := d.count()
		for range k {
			out.Notes = append(out.Notes, d.string())
		}
		e.Outputs[name] = out
	}
	if d.err != nil || len(d.buf) != 0 {
		return nil, errCorrupt
	}
	return e, nil
}
