package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

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
const entryMagic = "mlc cache entry 5\n"

// An entry file is entryMagic, the SHA-256 of the rest, then the length of a JSON
// header, the header (entryHeader) and the objects' YAML one after the other, in the
// header's order.
type entryHeader struct {
	Key         string                  `json:"key"`
	Tenant      string                  `json:"tenant"`
	Version     string                  `json:"version"`
	Diagnostics diag.List               `json:"diagnostics,omitempty"`
	Outputs     map[string]outputHeader `json:"outputs"`
}

type outputHeader struct {
	Notes     []string       `json:"notes,omitempty"`
	Platform  []objectHeader `json:"platform,omitempty"`
	Workloads []objectHeader `json:"workloads,omitempty"`
}

type objectHeader struct {
	manifest.Ident
	Source string `json:"source"`
	Size   int    `json:"size"`
}

// encode returns the entry's file, bound to k and tenant.
func (e *Entry) encode(k Key, tenant, version string) ([]byte, error) {
	h := entryHeader{Key: k.String(), Tenant: tenant, Version: version, Diagnostics: e.Diagnostics, Outputs: map[string]outputHeader{}}
	var yaml bytes.Buffer
	objects := func(objs []manifest.Object) ([]objectHeader, error) {
		var out []objectHeader
		for _, o := range objs {
			b, err := o.YAML()
			if err != nil {
				return nil, err
			}
			yaml.Write(b)
			out = append(out, objectHeader{Ident: o.Identity(), Source: o.Source, Size: len(b)})
		}
		return out, nil
	}
	for _, cluster := range sortedKeys(e.Outputs) {
		out := e.Outputs[cluster]
		var oh outputHeader
		var err error
		if oh.Platform, err = objects(out.Platform); err != nil {
			return nil, err
		}
		if oh.Workloads, err = objects(out.Workloads); err != nil {
			return nil, err
		}
		oh.Notes = out.Notes
		h.Outputs[cluster] = oh
	}
	head, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	rest := binary.AppendUvarint(nil, uint64(len(head)))
	rest = append(append(rest, head...), yaml.Bytes()...)
	sum := sha256.Sum256(rest)
	b := append([]byte(entryMagic), sum[:]...)
	return append(b, rest...), nil
}

var errDamaged = errors.New("cache: damaged entry")

// decodeEntry decodes an entry file; it fails unless the file is whole and bound to k
// and tenant.
func decodeEntry(b []byte, k Key, tenant string) (*Entry, error) {
	rest, ok := bytes.CutPrefix(b, []byte(entryMagic))
	if !ok || len(rest) < sha256.Size {
		return nil, errDamaged
	}
	sum, rest := rest[:sha256.Size], rest[sha256.Size:]
	if sha256.Sum256(rest) != [sha256.Size]byte(sum) {
		return nil, errDamaged
	}
	n, size := binary.Uvarint(rest)
	if size <= 0 || n > uint64(len(rest)-size) {
		return nil, errDamaged
	}
	var h entryHeader
	if err := json.Unmarshal(rest[size:size+int(n)], &h); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if h.Key != k.String() || h.Tenant != tenant {
		return nil, fmt.Errorf("cache: entry of %s under %s read for %s under %s", h.Tenant, h.Key, tenant, hex.EncodeToString(k[:]))
	}
	yaml := rest[size+int(n):]
	objects := func(hs []objectHeader) ([]manifest.Object, error) {
		objs := make([]manifest.Object, len(hs))
		for i, oh := range hs {
			if oh.Size < 0 || oh.Size > len(yaml) {
				return nil, errDamaged
			}
			id := oh.Ident
			objs[i] = manifest.Object{Ident: &id, Source: oh.Source, Encoded: yaml[:oh.Size:oh.Size]}
			yaml = yaml[oh.Size:]
		}
		return objs, nil
	}
	e := &Entry{Diagnostics: h.Diagnostics, Outputs: map[string]*lower.Output{}, Version: h.Version}
	for _, cluster := range sortedKeys(h.Outputs) {
		oh := h.Outputs[cluster]
		out := &lower.Output{Notes: oh.Notes}
		var err error
		if out.Platform, err = objects(oh.Platform); err != nil {
			return nil, err
		}
		if out.Workloads, err = objects(oh.Workloads); err != nil {
			return nil, err
		}
		e.Outputs[cluster] = out
	}
	if len(yaml) != 0 {
		return nil, errDamaged
	}
	return e, nil
}
