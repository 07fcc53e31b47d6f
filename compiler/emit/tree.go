// Package emit turns a compiled repository into its deterministic manifest tree, one
// folder per cluster and tenant with a kustomization.yaml in each, and writes it to a
// directory or as one YAML stream.
package emit

import (
	"bytes"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v2"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/kubeflow"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/names"
	"github.com/mlc-gitops/mlc/internal/parallel"
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
	// streams maps a cluster name to its objects' files in stream order, by index.
	streams map[string][]int
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
	// ComponentsDir holds the Kubeflow the cluster installs: a folder per unit, and one
	// (kubeflow.FluxDir) of their Flux Kustomizations.
	ComponentsDir = kubeflow.Dir
)

// Build lays out a compiled repository as a tree:
//
//	<cluster>/kustomization.yaml
//	<cluster>/flux-system/{kustomization.yaml, ...}      (with Flux wiring)
//	<cluster>/components/flux/{kustomization.yaml, ...}  (with Kubeflow and Flux wiring)
//	<cluster>/components/<unit>/{kustomization.yaml, <kind>_<namespace>_<name>.yaml, ...}
//	<cluster>/platform/kustomization.yaml
//	<cluster>/platform/{resourceflavor_<name>.yaml, clusterqueue_<name>.yaml, ...}  (scheduling)
//	<cluster>/platform/<tenant>/{kustomization.yaml, profile_<tenant>.yaml, ...}
//	<cluster>/tenants/<tenant>/{kustomization.yaml, notebook_<name>.yaml, ...}
//	<cluster>/tenants/<tenant>/pipelines/{kustomization.yaml, pipeline_<name>.yaml, ...}
//
// `kustomize build <cluster>` gives the cluster's objects in the order of Stream. An
// object's file holds its YAML (manifest.Object.YAML: the one it carries, or encoded
// now); folders are encoded on all cores, and the bytes are the same either way.
func Build(res *compiler.Result) (*Tree, error) {
	return build(res, runtime.GOMAXPROCS(0))
}

// folder is one folder of objects in the tree: the unit of parallel encoding.
type folder struct {
	dir  string
	objs []manifest.Object
	// qualified names files by namespace too: a Kubeflow unit has objects of one kind
	// and name in several namespaces.
	qualified bool
	// bare folders have no kustomization of their own: their files are listed by the
	// kustomization of the folder they are in (the cluster's scheduling objects, in
	// its platform folder).
	bare bool
	// files are its kustomization, then one per object; filled by encode.
	files []File
	err   error
}

func (f *folder) encode() {
	if f.bare {
		f.files = make([]File, len(f.objs))
		for i, o := range f.objs {
			b, err := o.YAML()
			if err != nil {
				f.err = fmt.Errorf("encoding %s %s: %w", o.Kind(), o.Name(), err)
				return
			}
			f.files[i] = File{Path: path.Join(f.dir, o.FileName()), Data: b}
		}
		return
	}
	f.files = make([]File, 1+len(f.objs))
	names := make([]string, len(f.objs))
	seen := map[string]int{}
	for i, o := range f.objs {
		b, err := o.YAML()
		if err != nil {
			f.err = fmt.Errorf("encoding %s %s: %w", o.Kind(), o.Name(), err)
			return
		}
		if names[i] = o.FileName(); f.qualified {
			names[i] = qualifiedFileName(o, seen)
		}
		f.files[1+i] = File{Path: path.Join(f.dir, names[i]), Data: b}
	}
	f.files[0] = File{Path: path.Join(f.dir, KustomizationFile), Data: kustomization(names)}
}

// clusterLayout is a cluster's part of the tree, before its folders are encoded.
type clusterLayout struct {
	name string
	// root lists the resources of the cluster's kustomization, platform those of its
	// platform folder's (none: no platform folder).
	root, platform []string
	// folders are the bootstrap folder, the platform folders from platformAt, then
	// the workload folders.
	folders    []*folder
	platformAt int
}

// layOut plans a cluster's folders; their files are not encoded yet.
func layOut(c *compiler.Cluster) *clusterLayout {
	l := &clusterLayout{name: c.Name, root: []string{}}
	if len(c.Bootstrap) > 0 {
		l.root = append(l.root, BootstrapDir)
		l.folders = append(l.folders, &folder{dir: path.Join(c.Name, BootstrapDir), objs: c.Bootstrap})
	}
	if in := c.Kubeflow; in != nil {
		if len(in.Flux) > 0 {
			dir := path.Join(ComponentsDir, kubeflow.FluxDir)
			l.root = append(l.root, dir)
			l.folders = append(l.folders, &folder{dir: path.Join(c.Name, dir), objs: in.Flux})
		}
		for _, u := range in.Units {
			dir := path.Join(ComponentsDir, u.Name)
			l.root = append(l.root, dir)
			l.folders = append(l.folders, &folder{dir: path.Join(c.Name, dir), objs: u.Objects, qualified: true})
		}
	}
	l.platformAt = len(l.folders)
	if len(c.Scheduling) > 0 {
		// Cluster-scoped: files of the platform folder itself, before the tenants'.
		l.folders = append(l.folders, &folder{dir: path.Join(c.Name, PlatformDir), objs: c.Scheduling, bare: true})
		for _, o := range c.Scheduling {
			l.platform = append(l.platform, o.FileName())
		}
	}
	var workloads []*folder
	var tenantDirs []string
	for _, tn := range c.Tenants {
		if len(tn.Platform) > 0 {
			l.platform = append(l.platform, tn.Name)
			l.folders = append(l.folders, &folder{dir: path.Join(c.Name, PlatformDir, tn.Name), objs: tn.Platform})
		}
		// A tenant's Pipelines are a folder of their own in its artifact, which Flux
		// applies before the rest (lower.AppliedFirst); the cluster's kustomization
		// lists it first too.
		first, rest := splitFirst(tn.Workloads)
		// A tenant whose pipelines Kustomization exists has the folder it applies, be it
		// empty: its first pipeline lands there.
		if len(first) > 0 || hasPipelinesFlux(tn.Platform) {
			tenantDirs = append(tenantDirs, path.Join(TenantsDir, tn.Name, names.PipelinesDir))
			workloads = append(workloads, &folder{dir: path.Join(c.Name, TenantsDir, tn.Name, names.PipelinesDir), objs: first})
		}
		if len(rest) > 0 || len(first) > 0 {
			tenantDirs = append(tenantDirs, path.Join(TenantsDir, tn.Name))
			workloads = append(workloads, &folder{dir: path.Join(c.Name, TenantsDir, tn.Name), objs: rest})
		}
	}
	if len(l.platform) > 0 {
		l.root = append(l.root, PlatformDir)
	}
	l.root = append(l.root, tenantDirs...)
	l.folders = append(l.folders, workloads...)
	return l
}

// splitFirst splits a tenant's workloads into those applied first and the rest, in
// their order; without any applied first, rest is objs itself.
func splitFirst(objs []manifest.Object) (first, rest []manifest.Object) {
	if !slices.ContainsFunc(objs, lower.AppliedFirst) {
		return nil, objs
	}
	for _, o := range objs {
		if lower.AppliedFirst(o) {
			first = append(first, o)
		} else {
			rest = append(rest, o)
		}
	}
	return first, rest
}

// build is Build with the folders encoded by that many workers.
func build(res *compiler.Result, workers int) (*Tree, error) {
	layouts := make([]*clusterLayout, len(res.Clusters))
	var all []*folder
	for i := range res.Clusters {
		layouts[i] = layOut(&res.Clusters[i])
		all = append(all, layouts[i].folders...)
	}
	parallel.For(len(all), workers, func(i int) { all[i].encode() })
	for _, f := range all {
		if f.err != nil {
			return nil, f.err
		}
	}
	t := &Tree{streams: make(map[string][]int, len(layouts))}
	for _, l := range layouts {
		t.addCluster(l)
	}
	return t, nil
}

// addCluster appends a cluster's files, encoded, in the tree's order: its
// kustomization, its bootstrap folder, its platform folder's kustomization, the
// platform folders, the workload folders.
func (t *Tree) addCluster(l *clusterLayout) {
	t.Files = append(t.Files, File{Path: path.Join(l.name, KustomizationFile), Data: kustomization(l.root)})
	stream := []int{}
	for i, f := range l.folders {
		if i == l.platformAt && len(l.platform) > 0 {
			t.Files = append(t.Files, File{Path: path.Join(l.name, PlatformDir, KustomizationFile), Data: kustomization(l.platform)})
		}
		for k, file := range f.files {
			if k > 0 || f.bare {
				stream = append(stream, len(t.Files))
			}
			t.Files = append(t.Files, file)
		}
	}
	t.names = append(t.names, l.name)
	t.streams[l.name] = stream
}

// Clusters returns the names of the clusters in the tree, sorted.
func (t *Tree) Clusters() []string { return slices.Clone(t.names) }

// Stream returns one cluster's objects as a YAML stream, exactly what
// `kustomize build <cluster>` prints for the tree; but a file published as the
// repository holds it (a SOPS-encrypted Secret) is in it as it is, where kustomize
// prints the same values re-encoded.
func (t *Tree) Stream(cluster string) []byte {
	docs := make([][]byte, len(t.streams[cluster]))
	for i, f := range t.streams[cluster] {
		docs[i] = t.Files[f].Data
	}
	return bytes.Join(docs, []byte("---\n"))
}

// kustomization is the kustomization written in every folder. FIFO order keeps
// kustomize's output in the canonical order mlc lists the resources in. The bytes are
// those yaml.v2 gives for the document (and sigs.k8s.io/yaml through JSON; both tested):
// written directly when every resource is a plain scalar, encoded by yaml.v2 otherwise.
func kustomization(resources []string) []byte {
	const (
		head = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:"
		tail = "sortOptions:\n  order: fifo\n"
	)
	n := len(head) + len(" []\n") + len(tail)
	for _, r := range resources {
		if !plainScalar(r) {
			return kustomizationYAML(resources)
		}
		n += len("- \n") + len(r)
	}
	b := make([]byte, 0, n)
	b = append(b, head...)
	if len(resources) == 0 {
		b = append(b, " []\n"...)
	} else {
		b = append(b, '\n')
		for _, r := range resources {
			b = append(b, "- "...)
			b = append(b, r...)
			b = append(b, '\n')
		}
	}
	return append(b, tail...)
}

// plainScalar tells whether yaml.v2 writes s as it is, unquoted: s is made of letters,
// digits and "._/-", starts with a letter, and cannot be read back as another type.
// yaml.v2 looks up a plain scalar that starts with one of "yYnNoOtTfF" among its
// booleans and nulls (yes, No, on, OFF, true, null, ...); those that are short enough to
// be one are left to it. Any other first letter reads as a string. Without spaces a
// plain scalar is never wrapped.
func plainScalar(s string) bool {
	if s == "" || !isASCIILetter(s[0]) {
		return false
	}
	if len(s) <= len("false") && strings.IndexByte("yYnNoOtTfF", s[0]) >= 0 {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isASCIILetter(c) && (c < '0' || c > '9') && c != '.' && c != '_' && c != '/' && c != '-' {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// kustomizationYAML is kustomization encoded by yaml.v2.
func kustomizationYAML(resources []string) []byte {
	if resources == nil {
		resources = []string{}
	}
	b, err := yaml.Marshal(yaml.MapSlice{
		{Key: "apiVersion", Value: "kustomize.config.k8s.io/v1beta1"},
		{Key: "kind", Value: "Kustomization"},
		{Key: "resources", Value: resources},
		{Key: "sortOptions", Value: yaml.MapSlice{{Key: "order", Value: "fifo"}}},
	})
	if err != nil {
		panic(err) // strings always encode
	}
	return b
}

// qualifiedFileName is an object's file name in a Kubeflow unit's folder:
// kind_namespace_name.yaml (kind_name.yaml when cluster-scoped), lower case, with
// characters a file name should not hold replaced, and a number added when two objects
// of different groups would share it. seen counts the names given.
func qualifiedFileName(o manifest.Object, seen map[string]int) string {
	name := strings.ToLower(o.Kind())
	if ns := o.Namespace(); ns != "" {
		name += "_" + ns
	}
	name += "_" + strings.Map(func(r rune) rune {
		if r == ':' || r == '/' || r == '\\' || r == '*' {
			return '-'
		}
		return r
	}, o.Name())
	seen[name]++
	if n := seen[name]; n > 1 {
		name += "-" + strconv.Itoa(n)
	}
	return name + ".yaml"
}

// hasPipelinesFlux tells whether a tenant's platform objects hold the Kustomization
// that applies its pipelines folder.
func hasPipelinesFlux(objs []manifest.Object) bool {
	return slices.ContainsFunc(objs, func(o manifest.Object) bool {
		return o.Kind() == "Kustomization" && o.Name() == names.TenantPipelinesFluxName
	})
}
