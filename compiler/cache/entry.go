package cache

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// Entry is a compiled tenant: its warnings, and its output for each cluster that runs
// it. Objects read from the cache carry their YAML and identity, not their Content
// (see manifest.Object.Slim).
type Entry struct {
	Diagnostics diag.List
	Outputs     map[string]*lower.Output
	// Version is the mlc that compiled the entry (Cache.Version).
	Version string
}

// entryMagic starts every entry file: the format's name and version.
const entryMagic = "mlc cache entry 6\n"

// castagnoli is the CRC-32C table: the checksum that catches a damaged entry, computed
// by the CPU's own instruction where it has one (an entry is no secret, and a forger
// could recompute any checksum: what binds an entry is its key, see Load).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// An entry file is entryMagic, the CRC-32C of the rest (4 bytes, little-endian), then the header and the objects'
// YAML one after the other, in the header's order. The header holds, as length-prefixed
// fields: the key, the tenant, the version, the diagnostics (JSON), and per cluster its
// name, notes, and each object's identity, source and YAML length.

// encode returns the entry's file, bound to k and tenant.
func (e *Entry) encode(k Key, tenant, version string) ([]byte, error) {
	diags, err := json.Marshal(e.Diagnostics)
	if err != nil {
		return nil, err
	}
	var w writer
	w.bytes(k[:])
	w.string(tenant)
	w.string(version)
	w.bytes(diags)
	var yaml []byte
	objects := func(objs []manifest.Object) error {
		w.uvarint(uint64(len(objs)))
		for _, o := range objs {
			b, err := o.YAML()
			if err != nil {
				return err
			}
			id := o.Identity()
			for _, s := range []string{id.APIVersion, id.Kind, id.Name, id.Namespace, o.Source} {
				w.string(s)
			}
			w.uvarint(uint64(len(b)))
			yaml = append(yaml, b...)
		}
		return nil
	}
	clusters := sortedKeys(e.Outputs)
	w.uvarint(uint64(len(clusters)))
	for _, cluster := range clusters {
		out := e.Outputs[cluster]
		w.string(cluster)
		w.uvarint(uint64(len(out.Notes)))
		for _, n := range out.Notes {
			w.string(n)
		}
		if err := objects(out.Platform); err != nil {
			return nil, err
		}
		if err := objects(out.Workloads); err != nil {
			return nil, err
		}
	}
	rest := append(w.b, yaml...)
	b := binary.LittleEndian.AppendUint32([]byte(entryMagic), crc32.Checksum(rest, castagnoli))
	return append(b, rest...), nil
}

var errDamaged = errors.New("cache: damaged entry")

// decodeEntry decodes an entry file; it fails unless the file is whole and bound to k
// and tenant. The objects' YAML shares the file's bytes.
func decodeEntry(b []byte, k Key, tenant string) (*Entry, error) {
	rest, ok := bytes.CutPrefix(b, []byte(entryMagic))
	if !ok || len(rest) < 4 {
		return nil, errDamaged
	}
	sum, rest := binary.LittleEndian.Uint32(rest), rest[4:]
	if crc32.Checksum(rest, castagnoli) != sum {
		return nil, errDamaged
	}
	r := reader{b: rest}
	if !bytes.Equal(r.bytes(), k[:]) || r.string() != tenant {
		return nil, fmt.Errorf("cache: entry read for %s under %s is another's", tenant, k)
	}
	e := &Entry{Version: r.string(), Outputs: map[string]*lower.Output{}}
	if diags := r.bytes(); !r.bad {
		if err := json.Unmarshal(diags, &e.Diagnostics); err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
	}
	type pending struct {
		obj  *manifest.Object
		size int
	}
	var sizes []pending
	objects := func() []manifest.Object {
		n := r.count()
		objs := make([]manifest.Object, n)
		for i := range objs {
			id := &manifest.Ident{APIVersion: r.string(), Kind: r.string(), Name: r.string(), Namespace: r.string()}
			objs[i] = manifest.Object{Ident: id, Source: r.string()}
			sizes = append(sizes, pending{size: r.count()})
		}
		return objs
	}
	for range r.count() {
		cluster := r.string()
		out := &lower.Output{}
		for range r.count() {
			out.Notes = append(out.Notes, r.string())
		}
		first := len(sizes)
		out.Platform = objects()
		out.Workloads = objects()
		for i := range out.Platform {
			sizes[first+i].obj = &out.Platform[i]
		}
		for i := range out.Workloads {
			sizes[first+len(out.Platform)+i].obj = &out.Workloads[i]
		}
		e.Outputs[cluster] = out
	}
	if r.bad {
		return nil, errDamaged
	}
	yaml := r.b
	for _, p := range sizes {
		if p.size > len(yaml) {
			return nil, errDamaged
		}
		p.obj.Encoded, yaml = yaml[:p.size:p.size], yaml[p.size:]
	}
	if len(yaml) != 0 {
		return nil, errDamaged
	}
	return e, nil
}

// writer appends the header's fields.
type writer struct{ b []byte }

func (w *writer) uvarint(n uint64) { w.b = binary.AppendUvarint(w.b, n) }
func (w *writer) bytes(b []byte)   { w.uvarint(uint64(len(b))); w.b = append(w.b, b...) }
func (w *writer) string(s string)  { w.uvarint(uint64(len(s))); w.b = append(w.b, s...) }

// reader reads the header's fields; past the end, or on a bad length, it is bad and
// gives zero values.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) count() int {
	n, size := binary.Uvarint(r.b)
	if size <= 0 || n > uint64(len(r.b)) {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[size:]
	return int(n)
}

func (r *reader) bytes() []byte {
	n := r.count()
	if n > len(r.b) {
		r.bad, r.b = true, nil
		return nil
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}

func (r *reader) string() string { return string(r.bytes()) }
