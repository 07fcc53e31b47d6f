package validate

import (
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

//go:embed crds/*.json
var crdFS embed.FS

// indexRow is one row of crds/index.json, as tools/crdgen writes it.
type indexRow struct {
	File     string          `json:"file"`
	SHA256   string          `json:"sha256"` // of the file's bytes
	Group    string          `json:"group"`
	Kind     string          `json:"kind"`
	Scope    string          `json:"scope"`
	Versions map[string]bool `json:"versions"` // name -> served
}

// embeddedIndex is crds/index.json, read once.
var embeddedIndex = sync.OnceValues(func() ([]indexRow, error) {
	raw, err := crdFS.ReadFile("crds/index.json")
	if err != nil {
		return nil, err
	}
	var idx struct {
		CRDs []indexRow `json:"crds"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, err
	}
	return idx.CRDs, nil
})

// New returns a Validator over the embedded CRDs (the newest upstream ones, for
// a cluster that names no Kubeflow release) and the built-in kinds. It reads
// no CRD file until an object needs it. It panics if the embedded index is
// corrupt, which the package tests rule out.
func New() *Validator {
	v, err := newEmbedded(sharedEntries)
	if err != nil {
		panic(fmt.Sprintf("validate: embedded CRD index: %v", err))
	}
	return v
}

func newEmbedded(cache *entryCache) (*Validator, error) {
	rows, err := embeddedIndex()
	if err != nil {
		return nil, err
	}
	v := &Validator{crds: make(map[schema.GroupKind]*crdEntry, len(rows)), core: coreKinds(), embedded: true}
	for _, r := range rows {
		var key [32]byte
		if n, err := hex.Decode(key[:], []byte(r.SHA256)); err != nil || n != len(key) {
			return nil, fmt.Errorf("%s: bad sha256 %q", r.File, r.SHA256)
		}
		e := cache.lookup(key)
		if e == nil {
			e = cache.add(embeddedEntry(key, r))
		}
		if _, dup := v.crds[e.gk]; dup {
			return nil, fmt.Errorf("%s defined twice", e.gk)
		}
		v.crds[e.gk] = e
	}
	v.fingerprint = fingerprint(v.crds)
	return v, nil
}

// embeddedEntry is the entry of an embedded CRD, from its row of the index.
func embeddedEntry(key [32]byte, r indexRow) *crdEntry {
	file := "crds/" + r.File
	e := &crdEntry{
		key:        key,
		origin:     "embedded " + file,
		gk:         schema.GroupKind{Group: r.Group, Kind: r.Kind},
		namespaced: r.Scope == string(apiextensionsv1.NamespaceScoped),
		versions:   make(map[string]*crdVersion, len(r.Versions)),
		source:     func() ([]byte, error) { return crdFS.ReadFile(file) },
	}
	for name, served := range r.Versions {
		e.versions[name] = &crdVersion{name: name, served: served}
	}
	return e
}

// EmbeddedCRDs returns the embedded CRDs of the given API groups (all of them
// when none is given), each as the JSON of an apiextensions.k8s.io/v1
// CustomResourceDefinition that NewFromCRDs takes: for a cluster whose CRDs of
// some groups (Flux's, which no Kubeflow release installs) are mlc's own. The
// order is that of the embedded files' names. It panics if the embedded files
// are corrupt, which the package tests rule out.
func EmbeddedCRDs(groups ...string) [][]byte {
	rows, err := embeddedIndex()
	if err != nil {
		panic(fmt.Sprintf("validate: embedded CRD index: %v", err))
	}
	var out [][]byte
	for _, r := range rows {
		if len(groups) > 0 && !slices.Contains(groups, r.Group) {
			continue
		}
		raw, err := crdFS.ReadFile("crds/" + r.File)
		if err != nil {
			panic(fmt.Sprintf("validate: embedded CRD: %v", err))
		}
		out = append(out, raw)
	}
	return out
}
