// Command crdgen turns upstream CustomResourceDefinition YAML files into the
// compact JSON schemas that compiler/validate embeds.
//
// -in is a comma-separated list of input folders. For every CRD under them it writes <group>_<plural>.json into -out: an
// apiextensions.k8s.io/v1 CustomResourceDefinition (so that
// validate.NewFromCRDs takes it as it takes a cluster's own) keeping only what
// validating a custom resource needs: metadata.name, group, names (kind,
// listKind, plural), scope and, per version, name, served, storage,
// subresources and schema.openAPIV3Schema. Every description (schema nodes and
// externalDocs) is stripped to keep the binary small; everything else in the
// schema is kept verbatim (defaults, enums, CEL rules, list types,
// int-or-string, embedded-resource, preserve-unknown-fields, ...). It also
// writes index.json (group/kind/scope/versions and the sha256 of each file,
// so that validate.New reads no file before it is needed) and PROVENANCE.md
// (inputs and their sha256, joined with the upstream facts recorded in the
// PROVENANCE.md of each input folder, or of its parent when the folder has none:
// one such document may describe several folders).
//
// Every input CRD must pass the API server's own CRD validation; crdgen fails
// otherwise, so the embedded schemas are always ones a cluster would accept.
//
// When two input files define the same CRD, the one whose base name follows
// the controller-gen convention <group>_<plural>.yaml wins and the other is
// listed as skipped in PROVENANCE.md (shared/crds keeps a pinned older
// OCIRepository release beside the default-branch one this way).
//
// Output is deterministic: files are sorted, JSON keys are sorted, and the
// JSON is compact with a trailing newline.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/install"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

func main() {
	in := flag.String("in", "../shared/crds", "comma-separated directories holding the upstream CRD YAML files (searched recursively)")
	out := flag.String("out", "compiler/validate/crds", "directory to write the compact JSON schemas into")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("crdgen: ")
	if err := run(strings.Split(*in, ","), *out); err != nil {
		log.Fatal(err)
	}
}

// input is one CRD read from one YAML file.
type input struct {
	rel string // path relative to the folder of its PROVENANCE.md, slash-separated
	// from is that folder as seen from the repository root, for PROVENANCE.md.
	from   string
	sha256 string
	crd    *apiextensionsv1.CustomResourceDefinition
}

// skipped records an input file that was left out, and why.
type skipped struct {
	rel, reason string
}

func run(inDirs []string, outDir string) error {
	var inputs []input
	upstream := map[string]upstreamRow{} // by from/rel
	var roots []string
	for _, dir := range inDirs {
		root := provenanceRoot(dir)
		from := displayPath(root)
		in, err := readInputs(dir, root, from)
		if err != nil {
			return err
		}
		inputs = append(inputs, in...)
		if slices.Contains(roots, from) {
			continue
		}
		roots = append(roots, from)
		rows, err := readUpstreamProvenance(filepath.Join(root, "PROVENANCE.md"))
		if err != nil {
			return err
		}
		for rel, row := range rows {
			upstream[from+"/"+rel] = row
		}
	}
	slices.SortFunc(inputs, func(a, b input) int { return strings.Compare(a.path(), b.path()) })
	kept, skips, err := dedupe(inputs)
	if err != nil {
		return err
	}
	for _, in := range kept {
		if err := validateCRD(in.crd); err != nil {
			return fmt.Errorf("%s: %w", in.path(), err)
		}
	}

	files := map[string][]byte{}
	var index []indexEntry
	for _, in := range kept {
		name := outName(in.crd)
		if _, dup := files[name]; dup {
			return fmt.Errorf("%s: output file %s written twice", in.path(), name)
		}
		data, err := compact(in.crd)
		if err != nil {
			return fmt.Errorf("%s: %w", in.path(), err)
		}
		files[name] = data
		index = append(index, newIndexEntry(name, data, in.crd))
	}
	idx, err := canonicalJSON(map[string]any{"crds": index})
	if err != nil {
		return err
	}
	files["index.json"] = idx

	files["PROVENANCE.md"] = provenance(roots, kept, skips, upstream)

	return writeOutputs(outDir, files)
}

// path is where the input file is, as seen from the repository root.
func (in input) path() string { return in.from + "/" + in.rel }

// provenanceRoot is the folder whose PROVENANCE.md describes dir's files: dir's own,
// else its parent's when that has one, else dir.
func provenanceRoot(dir string) string {
	dir = filepath.Clean(dir)
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if _, err := os.Stat(filepath.Join(d, "PROVENANCE.md")); err == nil {
			return d
		}
	}
	return dir
}

// displayPath is dir as seen from the root of the module crdgen runs in (the
// repository), slash-separated; dir as given when there is no such root.
func displayPath(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return filepath.ToSlash(dir)
	}
	mod, err := os.Getwd()
	for err == nil {
		if _, statErr := os.Stat(filepath.Join(mod, "go.mod")); statErr == nil {
			if rel, err := filepath.Rel(mod, abs); err == nil {
				return filepath.ToSlash(rel)
			}
			break
		}
		if mod == filepath.Dir(mod) {
			break
		}
		mod = filepath.Dir(mod)
	}
	return filepath.ToSlash(dir)
}

// readInputs reads every *.yaml / *.yml file under dir, naming each relative to root.
func readInputs(dir, root, from string) ([]input, error) {
	var inputs []input
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		crd, err := decodeCRD(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		sum := sha256.Sum256(raw)
		inputs = append(inputs, input{rel: filepath.ToSlash(rel), from: from, sha256: hex.EncodeToString(sum[:]), crd: crd})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(inputs) == 0 {
		return nil, fmt.Errorf("no CRD YAML files under %s", dir)
	}
	return inputs, nil
}

// decodeCRD strictly decodes the single apiextensions.k8s.io/v1 CRD document in raw.
func decodeCRD(raw []byte) (*apiextensionsv1.CustomResourceDefinition, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	var crd *apiextensionsv1.CustomResourceDefinition
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(doc)) == 0 || isOnlyComments(doc) {
			continue
		}
		if crd != nil {
			return nil, errors.New("more than one YAML document; expected exactly one CRD")
		}
		crd = &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(doc, crd); err != nil {
			return nil, err
		}
	}
	if crd == nil {
		return nil, errors.New("no YAML document")
	}
	if crd.APIVersion != "apiextensions.k8s.io/v1" || crd.Kind != "CustomResourceDefinition" {
		return nil, fmt.Errorf("not an apiextensions.k8s.io/v1 CustomResourceDefinition (%s %s)", crd.APIVersion, crd.Kind)
	}
	return crd, nil
}

func isOnlyComments(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") && line != "---" {
			return false
		}
	}
	return true
}

// dedupe keeps one file per CRD name. Among duplicates, the file named
// <group>_<plural>.yaml is kept; anything else is an error.
func dedupe(inputs []input) ([]input, []skipped, error) {
	byName := map[string][]input{}
	var order []string
	for _, in := range inputs {
		n := in.crd.Name
		if _, seen := byName[n]; !seen {
			order = append(order, n)
		}
		byName[n] = append(byName[n], in)
	}
	var kept []input
	var skips []skipped
	for _, n := range order {
		group := byName[n]
		if len(group) == 1 {
			kept = append(kept, group[0])
			continue
		}
		var canonical []input
		for _, in := range group {
			if path.Base(in.rel) == in.crd.Spec.Group+"_"+in.crd.Spec.Names.Plural+".yaml" {
				canonical = append(canonical, in)
			}
		}
		if len(canonical) != 1 {
			return nil, nil, fmt.Errorf("CRD %s is defined by %d files and not exactly one is named <group>_<plural>.yaml", n, len(group))
		}
		kept = append(kept, canonical[0])
		for _, in := range group {
			if in.path() != canonical[0].path() {
				skips = append(skips, skipped{rel: in.path(), reason: fmt.Sprintf("same CRD (%s) as `%s`, which is kept", n, canonical[0].path())})
			}
		}
	}
	slices.SortFunc(kept, func(a, b input) int { return strings.Compare(outName(a.crd), outName(b.crd)) })
	return kept, skips, nil
}

// validateCRD runs the API server's create-time validation of a CRD.
func validateCRD(crd *apiextensionsv1.CustomResourceDefinition) error {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	v1 := crd.DeepCopy()
	scheme.Default(v1)
	internal := &apiextensions.CustomResourceDefinition{}
	if err := scheme.Convert(v1, internal, nil); err != nil {
		return err
	}
	if errs := crdvalidation.ValidateCustomResourceDefinition(context.Background(), internal); len(errs) > 0 {
		return fmt.Errorf("the API server would reject this CRD: %w", errs.ToAggregate())
	}
	return nil
}

func outName(crd *apiextensionsv1.CustomResourceDefinition) string {
	return crd.Spec.Group + "_" + crd.Spec.Names.Plural + ".json"
}

// compact renders the parts of crd that validation needs, descriptions stripped.
func compact(crd *apiextensionsv1.CustomResourceDefinition) ([]byte, error) {
	versions := make([]map[string]any, 0, len(crd.Spec.Versions))
	for _, v := range crd.Spec.Versions {
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			return nil, fmt.Errorf("version %s has no openAPIV3Schema", v.Name)
		}
		s := v.Schema.OpenAPIV3Schema.DeepCopy()
		stripDescriptions(s)
		ver := map[string]any{
			"name":    v.Name,
			"served":  v.Served,
			"storage": v.Storage,
			"schema":  map[string]any{"openAPIV3Schema": s},
		}
		if v.Subresources != nil {
			ver["subresources"] = v.Subresources
		}
		versions = append(versions, ver)
	}
	return canonicalJSON(map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata":   map[string]any{"name": crd.Name},
		"spec": map[string]any{
			"group": crd.Spec.Group,
			"names": map[string]any{
				"kind":     crd.Spec.Names.Kind,
				"listKind": listKind(crd),
				"plural":   crd.Spec.Names.Plural,
			},
			"scope":    string(crd.Spec.Scope),
			"versions": versions,
		},
	})
}

func listKind(crd *apiextensionsv1.CustomResourceDefinition) string {
	if crd.Spec.Names.ListKind != "" {
		return crd.Spec.Names.ListKind
	}
	return crd.Spec.Names.Kind + "List" // the API server's default
}

// stripDescriptions removes the description of every schema node reachable
// from s. Property *names* called "description" are untouched.
func stripDescriptions(s *apiextensionsv1.JSONSchemaProps) {
	if s == nil {
		return
	}
	s.Description = ""
	if s.ExternalDocs != nil {
		s.ExternalDocs.Description = ""
	}
	stripMap := func(m map[string]apiextensionsv1.JSONSchemaProps) {
		for k, sub := range m {
			stripDescriptions(&sub)
			m[k] = sub
		}
	}
	stripSlice := func(l []apiextensionsv1.JSONSchemaProps) {
		for i := range l {
			stripDescriptions(&l[i])
		}
	}
	stripMap(s.Properties)
	stripMap(s.PatternProperties)
	stripMap(s.Definitions)
	stripSlice(s.AllOf)
	stripSlice(s.AnyOf)
	stripSlice(s.OneOf)
	stripDescriptions(s.Not)
	if s.Items != nil {
		stripDescriptions(s.Items.Schema)
		stripSlice(s.Items.JSONSchemas)
	}
	if s.AdditionalProperties != nil {
		stripDescriptions(s.AdditionalProperties.Schema)
	}
	if s.AdditionalItems != nil {
		stripDescriptions(s.AdditionalItems.Schema)
	}
	for k, dep := range s.Dependencies {
		stripDescriptions(dep.Schema)
		s.Dependencies[k] = dep
	}
}

// canonicalJSON marshals v with every object's keys sorted, compact, without
// HTML escaping, and with a trailing newline.
func canonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	// Round-trip through generic values so that struct fields get sorted
	// like map keys; UseNumber keeps every number's text as it was.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(generic); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// indexEntry is one row of index.json.
type indexEntry struct {
	File     string          `json:"file"`
	SHA256   string          `json:"sha256"` // of the file's bytes
	Group    string          `json:"group"`
	Kind     string          `json:"kind"`
	Scope    string          `json:"scope"`
	Versions map[string]bool `json:"versions"` // version name -> served
}

func newIndexEntry(file string, data []byte, crd *apiextensionsv1.CustomResourceDefinition) indexEntry {
	sum := sha256.Sum256(data)
	e := indexEntry{File: file, SHA256: hex.EncodeToString(sum[:]), Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind, Scope: string(crd.Spec.Scope), Versions: map[string]bool{}}
	for _, v := range crd.Spec.Versions {
		e.Versions[v.Name] = v.Served
	}
	return e
}

// writeOutputs replaces the generated files in dir: stale *.json files are
// removed so that a CRD dropped from the input disappears from the output.
func writeOutputs(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	for _, p := range old {
		if _, keep := files[filepath.Base(p)]; !keep {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), files[n], 0o644); err != nil {
			return err
		}
	}
	return nil
}
