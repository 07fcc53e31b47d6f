package kubeflow

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"path/filepath"
	"slices"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// generatedFolder is the folder, in the source's root, where the kustomizations mlc
// generates live, in memory only: kustomize loads bases by relative paths.
const generatedFolder = ".mlc-generated"

// buildFS is the file system a build reads: the disk, read-only, plus the kustomizations
// mlc generates (in memory, under generatedRoot), with the remote bases that the
// kustomization files name replaced by their local mirrors. It records what it read, so
// that a build can be cached by the content it depends on.
type buildFS struct {
	filesys.FileSystem // the disk
	generated          map[string][]byte
	mirrors            []Mirror

	mu   sync.Mutex
	read map[string][sha256.Size]byte // the files read, by absolute path
}

func newBuildFS(mirrors []Mirror) *buildFS {
	return &buildFS{
		FileSystem: filesys.MakeFsOnDisk(),
		generated:  map[string][]byte{},
		mirrors:    mirrors,
		read:       map[string][sha256.Size]byte{},
	}
}

// add puts a generated file at path, under generatedRoot.
func (f *buildFS) add(path string, data []byte) { f.generated[path] = data }

func (f *buildFS) isGeneratedDir(path string) bool {
	path = filepath.Clean(path)
	for p := range f.generated {
		if strings.HasPrefix(p, path+"/") {
			return true
		}
	}
	return false
}

// ReadFile reads a generated file, or a file on disk; a kustomization file's remote
// bases are replaced by their mirrors.
func (f *buildFS) ReadFile(path string) ([]byte, error) {
	if data, ok := f.generated[filepath.Clean(path)]; ok {
		return data, nil
	}
	data, err := f.FileSystem.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.read[filepath.Clean(path)] = sha256.Sum256(data)
	f.mu.Unlock()
	if isKustomizationFile(path) && len(f.mirrors) > 0 {
		return f.mirror(path, data)
	}
	return data, nil
}

// Exists, IsDir and CleanedAbs know the generated files and their folders.
func (f *buildFS) Exists(path string) bool {
	if _, ok := f.generated[filepath.Clean(path)]; ok || f.isGeneratedDir(path) {
		return true
	}
	return f.FileSystem.Exists(path)
}

func (f *buildFS) IsDir(path string) bool {
	return f.isGeneratedDir(path) || f.FileSystem.IsDir(path)
}

func (f *buildFS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	clean := filepath.Clean(path)
	if f.isGeneratedDir(clean) {
		return filesys.ConfirmedDir(clean), "", nil
	}
	if _, ok := f.generated[clean]; ok {
		return filesys.ConfirmedDir(filepath.Dir(clean)), filepath.Base(clean), nil
	}
	return f.FileSystem.CleanedAbs(path)
}

// The disk is read-only to a build.
func (f *buildFS) Create(string) (filesys.File, error) { return nil, errReadOnly }
func (f *buildFS) Mkdir(string) error                  { return errReadOnly }
func (f *buildFS) MkdirAll(string) error               { return errReadOnly }
func (f *buildFS) RemoveAll(string) error              { return errReadOnly }
func (f *buildFS) WriteFile(string, []byte) error      { return errReadOnly }

var errReadOnly = fmt.Errorf("a Kubeflow build writes no file")

// files returns the files read, sorted by path, with their SHA-256 sums.
func (f *buildFS) files() []FileSum {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FileSum, 0, len(f.read))
	for p, s := range f.read {
		out = append(out, FileSum{Path: p, Sum: s})
	}
	slices.SortFunc(out, func(a, b FileSum) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// FileSum is a file a build read, and the SHA-256 of what it held.
type FileSum struct {
	Path string
	Sum  [sha256.Size]byte
}

func isKustomizationFile(path string) bool {
	switch filepath.Base(path) {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	return false
}

// mirror replaces, in the kustomization file at path, each entry of resources,
// components and bases that names a mirrored remote with the mirror's folder.
func (f *buildFS) mirror(path string, data []byte) ([]byte, error) {
	if !bytes.Contains(data, []byte("://")) && !bytes.Contains(data, []byte("github.com/")) {
		return data, nil
	}
	var k map[string]any
	if err := yaml.Unmarshal(data, &k); err != nil {
		return data, nil // kustomize reports it
	}
	changed := false
	for _, field := range []string{"resources", "components", "bases"} {
		list, _ := k[field].([]any)
		for i, v := range list {
			s, ok := v.(string)
			if !ok {
				continue
			}
			if local, ok := mirrorOf(f.mirrors, s); ok {
				rel, err := filepath.Rel(filepath.Dir(path), local)
				if err != nil {
					return nil, err
				}
				list[i] = filepath.ToSlash(rel)
				changed = true
			}
		}
	}
	if !changed {
		return data, nil
	}
	return yaml.Marshal(k)
}

// Mirror maps a remote kustomize resource to a local folder. Remote is the reference as
// kustomization files write it, where "<path>" stands for any path; Dir is the folder,
// where "<path>" is replaced by what it stood for.
type Mirror struct {
	Remote string
	Dir    string
}

// mirrorOf returns the local folder of a remote reference, if a mirror maps it.
func mirrorOf(mirrors []Mirror, ref string) (string, bool) {
	for _, m := range mirrors {
		before, after, hasPath := strings.Cut(m.Remote, "<path>")
		if !hasPath {
			if ref == m.Remote {
				return m.Dir, true
			}
			continue
		}
		if !strings.HasPrefix(ref, before) || !strings.HasSuffix(ref, after) || len(ref) < len(before)+len(after) {
			continue
		}
		p := strings.Trim(ref[len(before):len(ref)-len(after)], "/")
		if p == "" || strings.Contains(p, "..") {
			continue
		}
		return strings.ReplaceAll(m.Dir, "<path>", p), true
	}
	return "", false
}
