// Package emit turns a compiled repository into its deterministic manifest tree, one
// folder per cluster and tenant with a kustomization.yaml in each, and writes it to a
// directory or as one YAML stream.
package emit

import (
	"bytes"
	"fmt"
	"path"
	"slices"

	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// File is one file of a rendered tree.
type File struct {
	// Path is relative to the tree's root, with forward slashes.
	Path string
	Data []byte
}

// Tree is a rendered repository. Files are in canonical order: each directory's
// kustomization.yaml first, then the objects in the order kustomize will emit them.
type Tree struct {
	Files []File
	// Clusters maps a cluster name to the objects of the cluster in stream order.
	streams map[string][][]byte
	names   []string
}

// KustomizationFile is the name of the file that lists a folder's resources.
const KustomizationFile = "kustomization.yaml"

// Layout of a cluster's folder: platform/<tenant>/ holds what the platform applies for a
// tenant (its Profile and access), tenants/<tenant>/ what lives in the tenant's namespace.
const (
	PlatformDir = "platform"
	TenantsDir  = "tenants"
	// BootstrapDir holds what the cluster's Flux needs once to follow the platform artifact.
	BootstrapDir = "flux-system"
)

// Build lays out a compiled repository as a tree:
//
//	<cluster>/kustomization.yaml
//	<cluster>/flux-system/{kustomization.yaml, ...}      (with Flux wiring)
//	<cluster>/platform/kustomization.yaml
//	<cluster>/platform/<tenant>/{kustomization.yaml, profile_<tenant>.yaml, ...}
//	<cluster>/tenants/<tenant>/{kustomization.yaml, notebook_<name>.yaml, ...}
//
// `kustomize build <cluster>` gives the cluster's objects in the order of Stream.
func Build(res *compiler.Result) (*Tree, error) {
	t := &Tree{streams: map[string][][]byte{}}
	for _, c := range res.Clusters {
		var platformDirs, tenantDirs []string
		var stream [][]byte
		addFolder := func(dir string, objs []manifest.Object) error {
			var names []string
			var docs [][]byte
			for _, o := range objs {
				b, err := o.YAML()
				if err != nil {
					return fmt.Errorf("encoding %s %s: %w", o.Kind(), o.Name(), err)
				}
				names = append(names, o.FileName())
				docs = append(docs, b)
			}
			t.add(path.Join(dir, KustomizationFile), kustomization(names))
			for i, n := range names {
				t.add(path.Join(dir, n), docs[i])
			}
			stream = append(stream, docs...)
			return nil
		}
		for _, tn := range c.Tenants {
			if len(tn.Platform) == 0 {
				continue
			}
			platformDirs = append(platformDirs, tn.Name)
		}
		for _, tn := range c.Tenants {
			if len(tn.Workloads) > 0 {
				tenantDirs = append(tenantDirs, path.Join(TenantsDir, tn.Name))
			}
		}
		root := []string{}
		if len(c.Bootstrap) > 0 {
			root = append(root, BootstrapDir)
		}
		if len(platformDirs) > 0 {
			root = append(root, PlatformDir)
		}
		root = append(root, tenantDirs...)
		t.add(path.Join(c.Name, KustomizationFile), kustomization(root))
		if len(c.Bootstrap) > 0 {
			if err := addFolder(path.Join(c.Name, BootstrapDir), c.Bootstrap); err != nil {
				return nil, err
			}
		}
		if len(platformDirs) > 0 {
			t.add(path.Join(c.Name, PlatformDir, KustomizationFile), kustomization(platformDirs))
		}
		for _, tn := range c.Tenants {
			if len(tn.Platform) > 0 {
				if err := addFolder(path.Join(c.Name, PlatformDir, tn.Name), tn.Platform); err != nil {
					return nil, err
				}
			}
		}
		for _, tn := range c.Tenants {
			if len(tn.Workloads) > 0 {
				if err := addFolder(path.Join(c.Name, TenantsDir, tn.Name), tn.Workloads); err != nil {
					return nil, err
				}
			}
		}
		t.names = append(t.names, c.Name)
		t.streams[c.Name] = stream
	}
	return t, nil
}

func (t *Tree) add(p string, data []byte) {
	t.Files = append(t.Files, File{Path: p, Data: data})
}

// Clusters returns the names of the clusters in the tree, sorted.
func (t *Tree) Clusters() []string { return slices.Clone(t.names) }

// Stream returns one cluster's objects as a YAML stream, exactly what
// `kustomize build <cluster>` prints for the tree.
func (t *Tree) Stream(cluster string) []byte {
	return bytes.Join(t.streams[cluster], []byte("---\n"))
}

// kustomizationDoc is the kustomization written in every folder. FIFO order keeps
// kustomize's output in the canonical order mlc lists the resources in.
type kustomizationDoc struct {
	APIVersion  string   `json:"apiVersion"`
	Kind        string   `json:"kind"`
	Resources   []string `json:"resources"`
	SortOptions struct {
		Order string `json:"order"`
	} `json:"sortOptions"`
}

func kustomization(resources []string) []byte {
	k := kustomizationDoc{APIVersion: "kustomize.config.k8s.io/v1beta1", Kind: "Kustomization", Resources: resources}
	if k.Resources == nil {
		k.Resources = []string{}
	}
	k.SortOptions.Order = "fifo"
	b, err := yaml.Marshal(k)
	if err != nil {
		panic(err) // a struct of strings always encodes
	}
	return b
}
