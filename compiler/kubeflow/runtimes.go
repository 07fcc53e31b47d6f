package kubeflow

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// RuntimeFile is a file of the repository holding runtimes the platform installs
// besides the release's: its path, and the path as platform.cue writes it.
type RuntimeFile struct{ Path, Shown string }

// runtimeKinds are the kinds kubeflow.runtimes may hold: cluster-wide runtimes, which
// tenants' jobs and endpoints name.
var runtimeKinds = map[schema.GroupKind]bool{
	{Group: "trainer.kubeflow.org", Kind: "ClusterTrainingRuntime"}: true,
	{Group: "serving.kserve.io", Kind: "ClusterServingRuntime"}:     true,
}

// addRuntimes puts the platform's runtimes into the built unit that installs their
// CRD, so that they are ordered, checked and, when that unit's webhook would intercept
// them, moved apart (splitGated) as the release's own runtimes are. It returns the
// file each came from, by "<kind>/<name>".
func addRuntimes(built []*Built, files []RuntimeFile) (map[string]string, error) {
	from := map[string]string{}
	var errs []error
	for _, f := range files {
		objs, sum, err := readRuntimes(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("kubeflow.runtimes: %w", err))
			continue
		}
		for _, o := range objs {
			gk := groupKind(o)
			b := unitWithCRD(built, gk)
			if b == nil {
				errs = append(errs, fmt.Errorf("kubeflow.runtimes: %s: %s %s: the install has no CRD of %s: its component is off", f.Shown, gk.Kind, meta(o, "name"), gk))
				continue
			}
			b.Objects = append(b.Objects, o)
			b.Files = append(b.Files, FileSum{Path: f.Path, Sum: sum})
			from[gk.Kind+"/"+meta(o, "name")] = f.Shown
		}
	}
	return from, errors.Join(errs...)
}

// readRuntimes reads a runtime file: one or more YAML documents, each a runtime kind.
func readRuntimes(f RuntimeFile) ([]map[string]any, [sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	if st, err := os.Lstat(f.Path); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		return nil, sum, fmt.Errorf("%s is a symbolic link: mlc reads runtimes from the repository's own files", f.Shown)
	}
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, sum, fmt.Errorf("%s: no such file", f.Shown)
	}
	if err != nil {
		return nil, sum, err
	}
	sum = sha256.Sum256(data)
	var out []map[string]any
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var o map[string]any
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, sum, fmt.Errorf("%s: %v", f.Shown, err)
		}
		if o == nil {
			continue // an empty document
		}
		gk := groupKind(o)
		switch {
		case !runtimeKinds[gk]:
			return nil, sum, fmt.Errorf("%s: %s %q is not a runtime: the file may hold ClusterTrainingRuntimes and ClusterServingRuntimes", f.Shown, gk, meta(o, "name"))
		case meta(o, "name") == "":
			return nil, sum, fmt.Errorf("%s: a %s without metadata.name", f.Shown, gk.Kind)
		case meta(o, "namespace") != "":
			return nil, sum, fmt.Errorf("%s: %s %s: a cluster-wide runtime has no namespace", f.Shown, gk.Kind, meta(o, "name"))
		}
		out = append(out, o)
	}
	if len(out) == 0 {
		return nil, sum, fmt.Errorf("%s: no runtime in the file", f.Shown)
	}
	return out, sum, nil
}

// unitWithCRD returns the built unit that installs the CRD of gk, or nil.
func unitWithCRD(built []*Built, gk schema.GroupKind) *Built {
	for _, b := range built {
		for _, o := range b.Objects {
			if o["kind"] != "CustomResourceDefinition" {
				continue
			}
			group, _ := dig(o, "spec", "group").(string)
			kind, _ := dig(o, "spec", "names", "kind").(string)
			if group == gk.Group && kind == gk.Kind {
				return b
			}
		}
	}
	return nil
}
