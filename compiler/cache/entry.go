package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"math"
	"slices"
	"unsafe"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/internal/wire"
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

	// key and tenant are what the entry is bound to (see boundTo), filled when read.
	key    Key
	tenant string
	// digests are the digests of the objects, in the order stored, filled when read.
	digests []Digest
	// objects counts the objects of an outline (LoadOutline), whose Outputs have none;
	// outlineLen is how many bytes of the head it was read from.
	objects, outlineLen int
}

// boundTo tells whether e, as read, was stored under k for tenant. It is the one check
// of the entry's binding that every read passes: an entry found under a key it was not
// stored under (another tenant's copied there, or the tenant's own older one replayed)
// or for another tenant is a miss. The file's name is not trusted for either.
func (e *Entry) boundTo(k Key, tenant string) bool { return e.key == k && e.tenant == tenant }

// ObjectCount counts the entry's objects over its outputs, also when it is an outline.
func (e *Entry) ObjectCount() int {
	n := e.objects
	for _, out := range e.Outputs {
		n += len(out.Platform) + len(out.Workloads)
	}
	return n
}

// Digest identifies an object's Content for the running mlc (see ObjectDigest).
type Digest [sha256.Size]byte

// ObjectDigest hashes content (an object's Content) together with the cache's mlc
// version (Cache.Version), false when it cannot be encoded. Two objects with the same
// digest are the same object judged by the same mlc: an object that was valid once is
// valid again.
func (c *Cache) ObjectDigest(content map[string]any) (Digest, bool) {
	enc := &encoder{}
	if err := enc.mapAny(content); err != nil {
		return Digest{}, false
	}
	return digestOf(c.Version(), enc.buf), true
}

// digestOf hashes an object's Content as the codec wrote it, for mlc version.
func digestOf(version string, content []byte) Digest {
	h := sha256.New()
	h.Write([]byte(version))
	h.Write([]byte{0})
	h.Write(content)
	var d Digest
	h.Sum(d[:0])
	return d
}

// Encoded tells whether every object of the entry carries its YAML (or defers it).
func (e *Entry) Encoded() bool {
	for _, out := range e.Outputs {
		for _, l := range [][]manifest.Object{out.Platform, out.Workloads} {
			for _, o := range l {
				if o.Encoded == nil && o.Deferred == nil {
					return false
				}
			}
		}
	}
	return true
}

// magic starts every entry; a new layout gets a new one, which makes old entries misses.
const magic = "mlc-tenant-entry/7\n"

// An entry is three parts, each ending with a CRC-32C of itself:
//
//	magic, the lengths of the head and of the YAML (4 bytes each), the head, checksum
//	the objects' YAML, checksum
//	the objects' Content, checksum
//
// The head holds the key the entry is stored under and the name of its tenant (see
// boundTo), the diagnostics, the outputs (each cluster's notes and which lists of
// objects it has), the number of objects of each list, then each object's source, identity, YAML length and SHA-256, Content
// length and digest (ObjectDigest); its checksum
// covers the magic and the lengths too. The YAML and the Content follow in the order of
// the head's objects. A render reads the head and the YAML (LoadSlim), or the head
// alone and the YAML only if it must (LoadDeferred); vet reads the head alone
// (LoadIdentities); only mlc diff reads the Content, about half of an entry and most of
// the work of decoding one.
const (
	headerLen  = len(magic) + 8
	trailerLen = 4
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// encode writes e (see the layout above), bound to key k and tenant, its objects'
// digests for mlc version.
func (e *Entry) encode(k Key, tenant, version string) ([]byte, error) {
	head := &encoder{buf: append(make([]byte, 0, 16<<10), magic...)}
	head.buf = append(head.buf, 0, 0, 0, 0, 0, 0, 0, 0) // the lengths, set below
	yaml := make([]byte, 0, 64<<10)
	contents := &encoder{buf: make([]byte, 0, 64<<10)}
	head.buf = append(head.buf, k[:]...)
	head.string(tenant)
	head.uvarint(uint64(len(e.Diagnostics)) + 1)
	for _, d := range e.Diagnostics {
		head.string(string(d.Severity))
		head.string(d.Pos.File)
		head.varint(int64(d.Pos.Line))
		head.varint(int64(d.Pos.Column))
		head.string(d.Path)
		head.string(d.Message)
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
	head.uvarint(uint64(len(names)) + 1)
	for i, n := range names {
		head.string(n)
		head.uvarint(refs[i][0])
		head.uvarint(refs[i][1])
		notes := e.Outputs[n].Notes
		head.uvarint(uint64(len(notes)) + 1)
		for _, s := range notes {
			head.string(s)
		}
	}
	head.uvarint(uint64(len(lists)) + 1)
	for _, l := range lists {
		head.uvarint(uint64(len(l)) + 1)
	}
	for _, l := range lists {
		for _, o := range l {
			head.string(o.Source)
			head.string(o.APIVersion())
			head.string(o.Kind())
			head.string(o.Name())
			head.string(o.Namespace())
			// The YAML's length + 1 and its SHA-256; 0 when the object was not encoded.
			doc, err := storedYAML(o)
			if err != nil {
				return nil, err
			}
			if doc == nil {
				head.uvarint(0)
			} else {
				head.uvarint(uint64(len(doc)) + 1)
				sum := sha256.Sum256(doc)
				head.buf = append(head.buf, sum[:]...)
				yaml = append(yaml, doc...)
			}
			before := len(contents.buf)
			if err := contents.mapAny(o.Content); err != nil {
				return nil, err
			}
			head.uvarint(uint64(len(contents.buf) - before))
			d := digestOf(version, contents.buf[before:])
			head.buf = append(head.buf, d[:]...)
		}
	}
	if uint64(len(head.buf)) > math.MaxUint32 || uint64(len(yaml)) > math.MaxUint32 {
		return nil, fmt.Errorf("cache: entry of %d bytes is too large", len(head.buf)+len(yaml))
	}
	binary.LittleEndian.PutUint32(head.buf[len(magic):], uint32(len(head.buf)-headerLen))
	binary.LittleEndian.PutUint32(head.buf[len(magic)+4:], uint32(len(yaml)))
	b := binary.LittleEndian.AppendUint32(head.buf, crc32.Checksum(head.buf, crcTable))
	b = append(b, yaml...)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(yaml, crcTable))
	b = append(b, contents.buf...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(contents.buf, crcTable)), nil
}

// storedYAML is the YAML an entry keeps of o: nil when o has none.
func storedYAML(o manifest.Object) ([]byte, error) {
	if o.Encoded == nil && o.Deferred == nil {
		return nil, nil
	}
	return o.YAML()
}

// layout is where an entry's parts lie: each part's offset and length, its checksum
// included.
type layout struct {
	headEnd, yamlEnd int64 // end of the head's and of the YAML's part
}

// layoutOf reads the header at the start of an entry (at least headerLen bytes).
func layoutOf(b []byte) (layout, error) {
	if len(b) < headerLen || string(b[:len(magic)]) != magic {
		return layout{}, errCorrupt
	}
	headLen := int64(binary.LittleEndian.Uint32(b[len(magic):]))
	yamlLen := int64(binary.LittleEndian.Uint32(b[len(magic)+4:]))
	l := layout{headEnd: int64(headerLen) + headLen + trailerLen}
	l.yamlEnd = l.headEnd + yamlLen + trailerLen
	return l, nil
}

// checked returns part less its checksum, or an error when the checksum does not match.
func checked(part []byte) ([]byte, error) {
	if len(part) < trailerLen {
		return nil, errCorrupt
	}
	body, sum := part[:len(part)-trailerLen], binary.LittleEndian.Uint32(part[len(part)-trailerLen:])
	if crc32.Checksum(body, crcTable) != sum {
		return nil, errCorrupt
	}
	return body, nil
}

// outlineOf returns the outline of an entry's head as the entry holds it (header, head
// and checksum): the start of the head that an outline is decoded from (readOutline),
// sharing raw's bytes; nil when raw is not a head.
func outlineOf(raw []byte) []byte {
	l, err := layoutOf(raw)
	if err != nil || l.headEnd != int64(len(raw)) {
		return nil
	}
	head, err := checked(raw)
	if err != nil {
		return nil
	}
	e, err := decodeHead(head[headerLen:], nil, nil, readOutline, nil)
	if err != nil {
		return nil
	}
	return head[headerLen : headerLen+e.outlineLen : headerLen+e.outlineLen]
}

// decodeOutline decodes an outline, as outlineOf returns it.
func decodeOutline(outline []byte) (*Entry, error) {
	return decodeHead(outline, nil, nil, readOutline, nil)
}

// binding reads what an entry is bound to, which starts its head (see encode).
func (d *decoder) binding() (k Key, tenant string) {
	copy(k[:], d.Next(uint64(len(k))))
	return k, d.string()
}

// errNeedContents tells a slim reader that some object was stored without its YAML, so
// the entry must be read whole.
var errNeedContents = errors.New("cache entry has objects without YAML")

// decodeEntry reads what encode wrote, whole; anything else is an error.
func decodeEntry(b []byte) (*Entry, error) {
	l, err := layoutOf(b)
	if err != nil || l.yamlEnd > int64(len(b)) {
		return nil, errCorrupt
	}
	head, err := checked(b[:l.headEnd])
	if err != nil {
		return nil, err
	}
	yaml, err := checked(b[l.headEnd:l.yamlEnd])
	if err != nil {
		return nil, err
	}
	contents, err := checked(b[l.yamlEnd:])
	if err != nil {
		return nil, err
	}
	return decodeHead(head[headerLen:], yaml, contents, readWhole, nil)
}

// readMode says how much of each object a reader wants.
type readMode int

const (
	// readWhole wants the objects as stored.
	readWhole readMode = iota
	// readSlim wants them slimmed (manifest.Object.Slim): their YAML and identity.
	readSlim
	// readDeferred wants them slimmed, their YAML deferred (manifest.DeferredYAML).
	readDeferred
	// readIdentity wants only their identity (manifest.Object.IdentityOnly).
	readIdentity
	// readOutline wants no objects at all: the diagnostics and each output's notes.
	readOutline
)

// decodeHead reads an entry's head (less its header and checksum), each object's YAML
// from yaml (readWhole, readSlim) and its Content from contents (readWhole); a part not
// read may be nil. readSlim and readDeferred fail with errNeedContents when an object
// was stored without its YAML. For readDeferred, the objects' YAML is deferred to from.
// The head's bytes are shared by the strings decoded from them: they must not change.
func decodeHead(head, yaml, contents []byte, mode readMode, from manifest.YAMLSource) (e *Entry, err error) {
	defer func() {
		// The checksum matched, so this is a bug in the codec; still a miss, not a crash.
		if r := recover(); r != nil {
			e, err = nil, fmt.Errorf("%w: %v", errCorrupt, r)
		}
	}()
	d := &decoder{Reader: wire.Reader{B: head}, shared: true}
	c := &decoder{Reader: wire.Reader{B: contents}}
	yamlOff := 0
	e = &Entry{Outputs: map[string]*lower.Output{}}
	e.key, e.tenant = d.binding()
	n, _ := d.count()
	for range n {
		var dg diag.Diagnostic
		dg.Severity = diag.Severity(d.string())
		dg.Pos.File = d.string()
		dg.Pos.Line = int(d.Varint())
		dg.Pos.Column = int(d.Varint())
		dg.Path = d.string()
		dg.Message = d.string()
		e.Diagnostics = append(e.Diagnostics, dg)
	}
	// The outputs, whose lists of objects follow.
	type outputRefs struct {
		name                string
		platform, workloads uint64
	}
	n, _ = d.count()
	refs := make([]outputRefs, n)
	for i := range refs {
		refs[i] = outputRefs{name: d.string(), platform: d.Uvarint(), workloads: d.Uvarint()}
		out := &lower.Output{}
		k, _ := d.count()
		for range k {
			out.Notes = append(out.Notes, d.string())
		}
		if d.Bad {
			return nil, errCorrupt
		}
		e.Outputs[refs[i].name] = out
	}
	n, _ = d.count()
	sizes := make([]int, n)
	for i := range sizes {
		// Not d.count: an outline ends with the sizes, before the objects they count.
		size := d.Uvarint()
		if size == 0 || size-1 > uint64(len(head)) {
			d.fail()
		}
		sizes[i] = int(size - 1)
	}
	if d.Bad {
		return nil, errCorrupt
	}
	if mode == readOutline {
		for _, r := range refs {
			for _, i := range []uint64{r.platform, r.workloads} {
				if i > uint64(len(sizes)) {
					return nil, errCorrupt
				}
				if i > 0 {
					e.objects += sizes[i-1]
				}
			}
		}
		e.outlineLen = len(head) - len(d.B)
		return e, nil
	}
	lists := make([][]manifest.Object, n)
	// What every object of a slim entry points to, allocated once for the entry.
	var idents []manifest.Ident
	var deferred []manifest.DeferredYAML
	for i := range lists {
		k := sizes[i]
		if k > len(d.B) { // each object takes a byte at least
			return nil, errCorrupt
		}
		lists[i] = make([]manifest.Object, k)
		if mode != readWhole {
			idents = make([]manifest.Ident, k)
		}
		if mode == readDeferred {
			deferred = make([]manifest.DeferredYAML, k)
		}
		for j := range lists[i] {
			o := &lists[i][j]
			o.Source = d.string()
			id := manifest.Ident{APIVersion: d.string(), Kind: d.string(), Name: d.string(), Namespace: d.string()}
			var sum [sha256.Size]byte
			yamlLen := int(d.Uvarint())
			if yamlLen > 0 {
				yamlLen--
				copy(sum[:], d.Next(uint64(sha256.Size)))
				if yamlLen == 0 {
					return nil, errCorrupt
				}
			}
			size := d.Uvarint()
			if mode == readWhole || mode == readIdentity {
				e.digests = append(e.digests, d.digest())
			} else { // a render does not judge what it read
				d.Next(uint64(len(Digest{})))
			}
			if d.Bad {
				return nil, errCorrupt
			}
			switch {
			case mode == readIdentity:
				idents[j] = id
				o.Ident = &idents[j]
				yamlOff += yamlLen
				continue
			case mode != readWhole && yamlLen == 0:
				return nil, errNeedContents
			case mode == readDeferred:
				idents[j] = id
				o.Ident = &idents[j]
				deferred[j] = manifest.DeferredYAML{Sum: sum, From: from, Off: yamlOff, Len: yamlLen}
				o.Deferred = &deferred[j]
				yamlOff += yamlLen
				continue
			}
			if yamlLen > 0 {
				if yamlOff+yamlLen > len(yaml) || yaml[yamlOff+yamlLen-1] != '\n' {
					return nil, errCorrupt
				}
				o.Encoded = yaml[yamlOff : yamlOff+yamlLen : yamlOff+yamlLen]
				yamlOff += yamlLen
			}
			if mode == readSlim {
				idents[j] = id
				o.Ident = &idents[j]
				continue
			}
			if size > uint64(len(c.B)) {
				return nil, errCorrupt
			}
			one := &decoder{Reader: wire.Reader{B: c.B[:size:size]}}
			c.B = c.B[size:]
			o.Content = one.mapAny()
			if one.Bad || len(one.B) != 0 {
				return nil, errCorrupt
			}
		}
	}
	list := func(i uint64) []manifest.Object {
		if i == 0 {
			return nil
		}
		if i > uint64(len(lists)) {
			d.fail()
			return nil
		}
		return lists[i-1]
	}
	for _, r := range refs {
		out := e.Outputs[r.name]
		out.Platform, out.Workloads = list(r.platform), list(r.workloads)
	}
	if d.Bad || len(d.B) != 0 || len(c.B) != 0 || mode != readIdentity && mode != readDeferred && yamlOff != len(yaml) {
		return nil, errCorrupt
	}
	return e, nil
}
