package kubeflow

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler/patch"
)

// Source is where a release's manifests are read from: a checkout of kubeflow/manifests
// at the release's tag, and local mirrors of the remote bases its kustomizations name.
type Source struct {
	// Dir is the checkout's root, which holds applications/, common/ and example/.
	Dir     string
	Mirrors []Mirror
}

// Part is what a component is built from: kustomize folders of the release and the
// kustomize components applied over them, relative to the source's root, and the
// patches that carry its settings.
type Part struct {
	Name       string
	Resources  []string
	Components []string
	Images     []types.Image
	// Patches are the platform's own (kubeflow.patches.<unit>), each of which must
	// match an object; Settings are the patches mlc makes of other settings.
	Patches  []types.Patch
	Settings []types.Patch
	// ConfigMaps merge generated files into the release's generated ConfigMaps; Files
	// are those files, by name, beside the generated kustomization.
	ConfigMaps []types.ConfigMapArgs
	Files      map[string][]byte
	// Objects are files of Files that are resources of the unit, beside the release's.
	Objects []string
}

// Built is a component's objects, as kustomize built them, and the files the build read.
type Built struct {
	Name    string
	Objects []map[string]any
	Files   []FileSum
}

// Build builds a part of a release from src with kustomize, in memory.
func Build(src Source, p Part) (*Built, error) {
	fs := newBuildFS(src.Mirrors)
	k := map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1",
		"kind":       "Kustomization",
	}
	// The generated kustomization is two folders below the root.
	var res, comps []string
	for _, r := range p.Resources {
		res = append(res, "../../"+r)
	}
	for _, c := range p.Components {
		comps = append(comps, "../../"+c)
	}
	k["resources"] = append(res, p.Objects...)
	if len(comps) > 0 {
		k["components"] = comps
	}
	if len(p.Images) > 0 {
		k["images"] = p.Images
	}
	if patches := append(slices.Clone(p.Patches), p.Settings...); len(patches) > 0 {
		k["patches"] = patches
	}
	if len(p.ConfigMaps) > 0 {
		k["configMapGenerator"] = p.ConfigMaps
	}
	data, err := yaml.Marshal(k)
	if err != nil {
		return nil, err
	}
	root := filepath.Join(src.Dir, generatedFolder, p.Name)
	fs.add(root+"/kustomization.yaml", data)
	for name, b := range p.Files {
		fs.add(root+"/"+name, b)
	}

	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	// One kustomize run at a time in the process, tenants' patches included: kustomize
	// keeps its OpenAPI schema in a global that builds set and strategic merges read.
	var m resmap.ResMap
	patch.Exclusive(func() {
		m, err = quietly(func() (resmap.ResMap, error) { return krusty.MakeKustomizer(opts).Run(fs, root) })
	})
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", p.Name, err)
	}
	if err := unmatchedPatches(m, p); err != nil {
		return nil, err
	}
	b := &Built{Name: p.Name, Files: fs.files()}
	for _, r := range m.Resources() {
		obj, err := r.Map()
		if err != nil {
			return nil, fmt.Errorf("building %s: %s: %w", p.Name, r.CurId(), err)
		}
		b.Objects = append(b.Objects, obj)
	}
	return b, nil
}

// quietly runs a kustomize build without its warnings: kustomize writes upstream's
// deprecated fields to the standard error and the log, which are upstream's to fix,
// not the user's. Builds run one at a time (buildMu), and nothing else of mlc writes
// there while they run.
func quietly(build func() (resmap.ResMap, error)) (resmap.ResMap, error) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return build()
	}
	defer null.Close()
	stderr, logs := os.Stderr, log.Writer()
	os.Stderr = null
	log.SetOutput(io.Discard)
	defer func() { os.Stderr = stderr; log.SetOutput(logs) }()
	return build()
}

// unmatchedPatches refuses a platform patch whose target selects no object of the
// unit's build: kustomize skips it without a word, and the setting it carries is lost.
func unmatchedPatches(m resmap.ResMap, p Part) error {
	var errs []error
	for i, patch := range p.Patches {
		if patch.Target == nil {
			continue // kustomize refuses a strategic merge patch whose object is absent
		}
		if sel, err := m.Select(*patch.Target); err != nil {
			errs = append(errs, fmt.Errorf("kubeflow.patches.%s[%d]: target: %w", p.Name, i, err))
		} else if len(sel) == 0 {
			errs = append(errs, fmt.Errorf("kubeflow.patches.%s[%d]: its target matches no object of the unit (after the unit's patches): %s", p.Name, i, describeSelector(patch.Target)))
		}
	}
	return errors.Join(errs...)
}

// describeSelector writes a kustomize target as platform.cue would.
func describeSelector(s *types.Selector) string {
	var parts []string
	for _, f := range [][2]string{{"group", s.Group}, {"version", s.Version}, {"kind", s.Kind}, {"name", s.Name},
		{"namespace", s.Namespace}, {"labelSelector", s.LabelSelector}, {"annotationSelector", s.AnnotationSelector}} {
		if f[1] != "" {
			parts = append(parts, fmt.Sprintf("%s: %q", f[0], f[1]))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
