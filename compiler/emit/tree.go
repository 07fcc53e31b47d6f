// Package emit turns a compiled repository into its deterministic manifest tree, one
// folder per cluster and tenant with a kustomization.yaml in each, and writes it to a
// directory or as one YAML stream.
package emit

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strings"
	"unsafe"

	yaml "go.yaml.in/yaml/v2"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// File is one file of a rendered tree.
type File struct {
	// Path is relative to the tree's root, with forward slashes.
	Path string
	// Data is the file's bytes; nil, in a tree from BuildDeferred, for a file whose
	// bytes are deferred until WriteDir finds it must write them (or Load).
	Data []byte

	deferred *manifest.DeferredYAML
	// reused is the folder the file was laid out in from the index of the tree
	// written before (see BuildOver), and at its place there.
	reused *reusedFolder
	at     int
}

// bytes returns the file's bytes, reading them if they were deferred.
func (f *File) bytes() ([]byte, error) {
	if f.Data != nil {
		return f.Data, nil
	}
	var b []byte
	var err error
	switch {
	case f.deferred != nil:
		b, err = f.deferred.Read()
	case f.reused != nil:
		b, err = f.reused.bytes(f.at)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	f.Data = b
	return f.Data, nil
}

// sum returns the SHA-256 of the file's bytes, without reading them when they are
// deferred.
func (f *File) sum() [sha256.Size]byte {
	if f.Data == nil {
		switch {
		case f.deferred != nil:
			return f.deferred.Sum
		case f.reused != nil:
			return [sha256.Size]byte(f.reused.x.sum(f.reused.start + f.at))
		}
	}
	return sha256.Sum256(f.Data)
}

// unread tells whether the file's bytes are not at hand but known by their SHA-256.
func (f *File) unread() bool { return f.Data == nil && (f.deferred != nil || f.reused != nil) }

// Load reads the bytes of the files whose bytes were deferred (see BuildDeferred).
func (t *Tree) Load() error {
	errs := make([]error, len(t.Files))
	parallel(len(t.Files), ioWorkers(), func(i int) { _, errs[i] = t.Files[i].bytes() })
	return errors.Join(errs...)
}

// Tree is a rendered repository. Files are in canonical order: each directory's
// kustomization.yaml first, then the objects in the order kustomize will emit them.
type Tree struct {
	Files []File
	// streams maps a cluster name to its objects' files in stream order, by index.
	streams map[string][]int
	names   []string
	// keyed are the tenant folders compiled under a key, for the index.
	keyed []keyedFolder
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
//
// Objects that carry their YAML (manifest.Object.Encoded, as the compiler gives them
// with compiler.Options.Encode and the cache keeps them) are not encoded again; the
// others are encoded folder by folder on all cores. The bytes are the same either way.
func Build(res *compiler.Result) (*Tree, error) {
	t, err := build(res, nil, runtime.GOMAXPROCS(0))
	if err != nil {
		return nil, err
	}
	if err := t.Load(); err != nil {
		return nil, err
	}
	return t, nil
}

// BuildDeferred is Build, except that the files of objects whose YAML is deferred
// (manifest.Object.Deferred, as the compiler gives them with compiler.Options.DeferYAML)
// are left unread (File.Data nil) until WriteDir finds it must write them: over the
// tree it wrote before, it knows them by their SHA-256. Load reads them all.
func BuildDeferred(res *compiler.Result) (*Tree, error) {
	return build(res, nil, runtime.GOMAXPROCS(0))
}

// BuildOver is BuildDeferred for a tree to be written over the one p looks at (p from
// StartPrestat, to be handed to WriteDir): the folders of a tenant left out of res
// (compiler.Options.Omit with p.Holds) are laid out from what p's index recorded of
// the tenant's folders under the same key, file names and SHA-256s, without the
// tenant's objects; those are read (compiler.Tenant.Load) only for a file that must be
// written. A nil p, or a tenant the index does not hold, has its objects read.
func BuildOver(res *compiler.Result, p *Prestat) (*Tree, error) {
	x := p.readIndex()
	if x != nil {
		x.keep() // the tree takes its paths
	}
	return build(res, x, runtime.GOMAXPROCS(0))
}

// folder is one folder of objects in the tree: the unit of parallel encoding.
type folder struct {
	dir  string
	objs []manifest.Object
	// reuse, when set, lays the folder out from an index instead of objs.
	reuse *reusedFolder
	// key is the key the folder's objects were compiled under; keyed when known.
	key   Key
	keyed bool
	// files are the folder's places in the tree, from the at-th, filled by encode: its
	// kustomization, then its objects.
	files []File
	at    int
	err   error
}

// size is the folder's number of files.
func (f *folder) size() int {
	if f.reuse != nil {
		return f.reuse.end - f.reuse.start
	}
	return 1 + len(f.objs)
}

func (f *folder) encode() {
	if f.reuse != nil {
		f.reuse.layOut(f.files)
		return
	}
	// The folder's paths in one allocation, each name a part of its path: a tree has
	// tens of thousands.
	all := make([]byte, 0, len(f.objs)*(len(f.dir)+48))
	starts := make([]int, len(f.objs)+1) // of each path in all, then of each name
	names := make([]string, len(f.objs))
	for i, o := range f.objs {
		at := len(all)
		all = o.AppendFileName(append(append(all, f.dir...), '/'))
		if name := all[at+len(f.dir)+1:]; !cleanDir(f.dir) || !cleanName(name) {
			names[i] = string(name)
			all = append(all[:at], joinName(f.dir, names[i])...)
		}
		starts[i] = at
	}
	starts[len(f.objs)] = len(all)
	paths := unsafe.String(unsafe.SliceData(all), len(all)) // all is not written again
	for i, o := range f.objs {
		file := &f.files[1+i]
		file.Path = paths[starts[i]:starts[i+1]]
		if names[i] == "" {
			names[i] = file.Path[len(f.dir)+1:]
		}
		if o.Encoded == nil && o.Deferred != nil {
			file.deferred = o.Deferred
			continue
		}
		b, err := o.YAML()
		if err != nil {
			f.err = fmt.Errorf("encoding %s %s: %w", o.Kind(), o.Name(), err)
			return
		}
		file.Data = b
	}
	f.files[0] = File{Path: joinName(f.dir, KustomizationFile), Data: kustomization(names)}
}

// joinName is path.Join(dir, name) for a clean dir and a file name: mostly a plain
// concatenation, which is exact when name is one clean element of a path.
func joinName(dir, name string) string {
	if !cleanDir(dir) || !cleanName(name) {
		return path.Join(dir, name)
	}
	return dir + "/" + name
}

// cleanDir tells whether dir + "/" + a clean name is a clean path (see joinName).
func cleanDir(dir string) bool { return dir != "" && dir != "." && dir[len(dir)-1] != '/' }

// cleanName tells whether name is one clean element of a path.
func cleanName[S string | []byte](name S) bool {
	dots := 0
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '/':
			return false
		case '.':
			dots++
		}
	}
	return len(name) > 0 && !(dots == len(name) && dots <= 2)
}

// build is Build with the folders encoded by that many workers, those of omitted
// tenants laid out from x when it holds them (see BuildOver).
func build(res *compiler.Result, x *index, workers int) (*Tree, error) {
	t := &Tree{streams: make(map[string][]int, len(res.Clusters))}
	type clusterLayout struct {
		root, platformDirs         []string
		bootstrap                  *folder
		platformFolders, workloads []*folder
		objects                    int
	}
	layouts := make([]clusterLayout, len(res.Clusters))
	var all []*folder
	for i, c := range res.Clusters {
		l := &layouts[i]
		var tenantDirs []string
		platform := make([]*folder, len(c.Tenants))
		workloads := make([]*folder, len(c.Tenants))
		for k := range c.Tenants {
			var err error
			if platform[k], workloads[k], err = tenantFolders(c.Name, &c.Tenants[k], x); err != nil {
				return nil, err
			}
		}
		for k, tn := range c.Tenants {
			if platform[k] != nil {
				l.platformDirs = append(l.platformDirs, tn.Name)
				l.platformFolders = append(l.platformFolders, platform[k])
			}
		}
		for k, tn := range c.Tenants {
			if workloads[k] != nil {
				tenantDirs = append(tenantDirs, path.Join(TenantsDir, tn.Name))
				l.workloads = append(l.workloads, workloads[k])
			}
		}
		l.root = []string{}
		if len(c.Bootstrap) > 0 {
			l.root = append(l.root, BootstrapDir)
			l.bootstrap = &folder{dir: path.Join(c.Name, BootstrapDir), objs: c.Bootstrap}
			all = append(all, l.bootstrap)
		}
		if len(l.platformDirs) > 0 {
			l.root = append(l.root, PlatformDir)
		}
		l.root = append(l.root, tenantDirs...)
		all = append(all, l.platformFolders...)
		all = append(all, l.workloads...)
	}

	// The files, in the tree's order: each cluster's kustomization, its bootstrap
	// folder, its platform folder's kustomization, the platform folders, the workload
	// folders. The folders' places are given out first, then filled.
	n := 0
	for _, l := range layouts {
		n++ // the cluster's kustomization
		if len(l.platformDirs) > 0 {
			n++
		}
	}
	for _, f := range all {
		n += f.size()
	}
	t.Files = make([]File, n)
	at := 0
	place := func(f *folder) {
		f.files, f.at = t.Files[at:at+f.size()], at
		at += len(f.files)
		if f.keyed {
			t.keyed = append(t.keyed, keyedFolder{start: f.at, end: at, key: f.key})
		}
	}
	for i, c := range res.Clusters {
		l := &layouts[i]
		t.Files[at] = File{Path: path.Join(c.Name, KustomizationFile), Data: kustomization(l.root)}
		at++
		if l.bootstrap != nil {
			place(l.bootstrap)
			l.objects += l.bootstrap.size() - 1
		}
		if len(l.platformDirs) > 0 {
			t.Files[at] = File{Path: path.Join(c.Name, PlatformDir, KustomizationFile), Data: kustomization(l.platformDirs)}
			at++
		}
		for _, folders := range [][]*folder{l.platformFolders, l.workloads} {
			for _, f := range folders {
				place(f)
				l.objects += f.size() - 1
			}
		}
	}
	encodeFolders(all, workers)
	for _, f := range all {
		if f.err != nil {
			return nil, f.err
		}
	}
	for i, c := range res.Clusters {
		l := &layouts[i]
		stream := make([]int, 0, l.objects)
		addFolder := func(f *folder) {
			for k := 1; k < f.size(); k++ {
				stream = append(stream, f.at+k)
			}
		}
		if l.bootstrap != nil {
			addFolder(l.bootstrap)
		}
		for _, f := range l.platformFolders {
			addFolder(f)
		}
		for _, f := range l.workloads {
			addFolder(f)
		}
		t.names = append(t.names, c.Name)
		t.streams[c.Name] = stream
	}
	return t, nil
}

// tenantFolders returns the folders of a tenant in a cluster: of its platform objects
// and of its workloads, nil for none. An omitted tenant's are laid out from x when x
// holds folders of its key, else its objects are read.
func tenantFolders(cluster string, tn *compiler.Tenant, x *index) (platform, workloads *folder, err error) {
	keyed := tn.Key != Key{}
	pdir, wdir := path.Join(cluster, PlatformDir, tn.Name), path.Join(cluster, TenantsDir, tn.Name)
	if tn.Omitted {
		if held := x.foldersOf(tn.Key); len(held) > 0 {
			// The index holds every folder a tenant compiled to under a key: one that
			// is not there had no objects.
			for _, i := range held {
				kf := x.folders[i]
				r := &reusedFolder{x: x, start: kf.start, end: kf.end, tenant: tn}
				switch r.dir = path.Dir(x.paths[kf.start]); r.dir {
				case pdir:
					platform = &folder{dir: pdir, reuse: r, key: tn.Key, keyed: true}
				case wdir:
					r.workloads = true
					workloads = &folder{dir: wdir, reuse: r, key: tn.Key, keyed: true}
				}
			}
			return platform, workloads, nil
		}
	}
	out, err := tn.Load()
	if err != nil {
		return nil, nil, err
	}
	if len(out.Platform) > 0 {
		platform = &folder{dir: pdir, objs: out.Platform, key: tn.Key, keyed: keyed}
	}
	if len(out.Workloads) > 0 {
		workloads = &folder{dir: wdir, objs: out.Workloads, key: tn.Key, keyed: keyed}
	}
	return platform, workloads, nil
}

// encodeFolders encodes the folders, by at most workers goroutines at once.
func encodeFolders(folders []*folder, workers int) {
	if workers <= 1 {
		for _, f := range folders {
			f.encode()
		}
		return
	}
	parallel(len(folders), workers, func(i int) { folders[i].encode() })
}

func (t *Tree) add(p string, data []byte) {
	t.Files = append(t.Files, File{Path: p, Data: data})
}

// Clusters returns the names of the clusters in the tree, sorted.
func (t *Tree) Clusters() []string { return slices.Clone(t.names) }

// Stream returns one cluster's objects as a YAML stream, exactly what
// `kustomize build <cluster>` prints for the tree.
//
// The files must have their bytes: a tree from BuildDeferred must be loaded (Load)
// first, or Stream panics.
func (t *Tree) Stream(cluster string) []byte {
	docs := make([][]byte, len(t.streams[cluster]))
	for i, f := range t.streams[cluster] {
		if docs[i] = t.Files[f].Data; docs[i] == nil {
			panic("emit: Stream of a tree whose files are not loaded")
		}
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
