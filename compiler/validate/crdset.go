package validate

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// NewFromCRDs returns a Validator over the given CustomResourceDefinitions and
// the built-in kinds: it knows exactly the custom resources that a cluster
// installing these CRDs serves, and judges them as New's validator judges
// objects of its embedded CRDs. Each element of crds is one
// apiextensions.k8s.io/v1 CustomResourceDefinition, encoded as JSON (as
// kustomize's resource.MarshalJSON gives it; the cheaper form) or as a single
// YAML document. The validator keeps copies of them. The same CRD given twice,
// byte for byte, counts once; two different CRDs for one kind are an error.
//
// NewFromCRDs reads each CRD's kind, scope and versions only; a version's
// schema is read and built when the first object of that version is validated
// (or in Prepare). Validators given byte-identical CRDs share those builds, so
// that clusters on the same release build each schema once in the process,
// and a validator made again for the same CRDs builds nothing again: making
// one per cluster and compilation is cheap (hashing the CRDs). A CRD whose
// schema does not build (or is not structural) is reported when an object of
// that version is validated, as an internal error.
func NewFromCRDs(crds [][]byte) (*Validator, error) {
	return newFromCRDs(crds, sharedEntries)
}

func newFromCRDs(crds [][]byte, cache *entryCache) (*Validator, error) {
	v := &Validator{crds: map[schema.GroupKind]*crdEntry{}, core: coreKinds()}
	for i, raw := range crds {
		key := sha256.Sum256(raw)
		e := cache.lookup(key)
		if e == nil {
			var err error
			if e, err = newEntry(key, raw); err != nil {
				return nil, fmt.Errorf("CRD %d of %d: %w", i+1, len(crds), err)
			}
			e = cache.add(e)
		}
		if other, dup := v.crds[e.gk]; dup {
			if other.key == key {
				continue
			}
			return nil, fmt.Errorf("CRD %d of %d (%s) defines %s, as %s does", i+1, len(crds), e.origin, e.gk, other.origin)
		}
		v.crds[e.gk] = e
	}
	v.fingerprint = fingerprint(v.crds)
	return v, nil
}

// crdHead is what NewFromCRDs reads of a CRD.
type crdHead struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Scope    string `json:"scope"`
		Versions []struct {
			Name   string `json:"name"`
			Served bool   `json:"served"`
		} `json:"versions"`
	} `json:"spec"`
}

// newEntry reads the kind, scope and versions of the CRD raw, JSON or YAML.
func newEntry(key [32]byte, raw []byte) (*crdEntry, error) {
	data, h, err := decodeHead(raw)
	if err != nil {
		return nil, err
	}
	origin := "CRD " + h.Metadata.Name
	if h.Metadata.Name == "" {
		origin = "a CRD without metadata.name"
	}
	fail := func(format string, args ...any) (*crdEntry, error) {
		return nil, fmt.Errorf("%s: %s", origin, fmt.Sprintf(format, args...))
	}
	switch {
	case h.APIVersion != apiextensionsv1.SchemeGroupVersion.String() || h.Kind != "CustomResourceDefinition":
		return fail("not an apiextensions.k8s.io/v1 CustomResourceDefinition, but %s %s", h.APIVersion, h.Kind)
	case h.Spec.Group == "":
		return fail("spec.group: Required value")
	case h.Spec.Names.Kind == "":
		return fail("spec.names.kind: Required value")
	case h.Spec.Scope != string(apiextensionsv1.NamespaceScoped) && h.Spec.Scope != string(apiextensionsv1.ClusterScoped):
		return fail("spec.scope: Unsupported value: %q: supported values: \"Cluster\", \"Namespaced\"", h.Spec.Scope)
	case len(h.Spec.Versions) == 0:
		return fail("spec.versions: Required value")
	}
	e := &crdEntry{
		key:        key,
		origin:     origin,
		gk:         schema.GroupKind{Group: h.Spec.Group, Kind: h.Spec.Names.Kind},
		namespaced: h.Spec.Scope == string(apiextensionsv1.NamespaceScoped),
		versions:   map[string]*crdVersion{},
		source:     func() ([]byte, error) { return data, nil },
	}
	for i, ver := range h.Spec.Versions {
		if ver.Name == "" {
			return fail("spec.versions[%d].name: Required value", i)
		}
		if e.versions[ver.Name] != nil {
			return fail("spec.versions[%d].name: Duplicate value: %q", i, ver.Name)
		}
		e.versions[ver.Name] = &crdVersion{name: ver.Name, served: ver.Served}
	}
	return e, nil
}

// decodeHead returns a copy of raw as JSON (raw itself when it is JSON, else
// its single YAML document converted) and what NewFromCRDs reads of it.
func decodeHead(raw []byte) ([]byte, crdHead, error) {
	var h crdHead
	// An object in JSON starts with '{'; so may one in YAML's flow style,
	// which the JSON decoder refuses as a syntax error.
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		data := bytes.Clone(raw)
		err := json.Unmarshal(data, &h)
		if _, syntax := err.(*json.SyntaxError); !syntax {
			if err != nil {
				return nil, h, fmt.Errorf("not a CustomResourceDefinition: %w", err)
			}
			return data, h, nil
		}
		h = crdHead{}
	}
	data, err := yamlJSON(raw)
	if err != nil {
		return nil, h, err
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, h, fmt.Errorf("not a CustomResourceDefinition: %w", err)
	}
	return data, h, nil
}

// yamlJSON converts the single YAML document raw holds to JSON.
func yamlJSON(raw []byte) ([]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	var doc []byte
	for {
		d, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not YAML: %w", err)
		}
		if len(bytes.TrimSpace(d)) == 0 || yamlCommentsOnly(d) {
			continue
		}
		if doc != nil {
			return nil, errors.New("more than one YAML document; give each CRD on its own")
		}
		doc = d
	}
	if doc == nil {
		return nil, errors.New("empty: no YAML document")
	}
	data, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	return data, nil
}

// yamlCommentsOnly reports whether a YAML document holds comments only.
func yamlCommentsOnly(doc []byte) bool {
	for line := range bytes.Lines(doc) {
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' && !bytes.Equal(line, []byte("---")) {
			return false
		}
	}
	return true
}

// fingerprint identifies a set of CRDs: the sha256 of their keys, sorted.
func fingerprint(crds map[schema.GroupKind]*crdEntry) [32]byte {
	keys := make([][32]byte, 0, len(crds))
	for _, e := range crds {
		keys = append(keys, e.key)
	}
	slices.SortFunc(keys, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	h := sha256.New()
	for _, k := range keys {
		h.Write(k[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Fingerprint identifies the validator's CRDs: two validators with the same
// fingerprint judge every object alike (for the same mlc), so a record that an
// object is valid, kept under it, holds for both. It is the sha256 of the
// sorted sha256s of the CRDs' bytes as given; New's is that of
// NewFromCRDs(EmbeddedCRDs()).
func (v *Validator) Fingerprint() [32]byte { return v.fingerprint }

// entryCache holds the CRD entries of every validator made, by the sha256 of
// the CRD's bytes, with the schemas built for them, for the life of the
// process: as New's embedded schemas always were, so that a validator made
// again for the same CRDs (the next compilation, the other side of a diff)
// builds nothing again. A process meets few distinct CRD sets, one per
// release its platform names.
type entryCache struct {
	mu      sync.Mutex
	entries map[[32]byte]*crdEntry
}

// sharedEntries is the cache of New and NewFromCRDs.
var sharedEntries = newEntryCache()

func newEntryCache() *entryCache {
	return &entryCache{entries: map[[32]byte]*crdEntry{}}
}

// lookup returns the entry of the CRD whose bytes hash to key, or nil.
func (c *entryCache) lookup(key [32]byte) *crdEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[key]
}

// add stores e unless an entry for its key is there already, and returns the
// entry to use.
func (c *entryCache) add(e *crdEntry) *crdEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[e.key]; old != nil {
		return old // made meanwhile by another caller
	}
	c.entries[e.key] = e
	return e
}
