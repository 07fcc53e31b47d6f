package e2etest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// KubeflowRelease is the kubeflow/manifests release the tests install.
const KubeflowRelease = "v1.11.0"

// The lines of example/kustomization.yaml that choose how Kubeflow Pipelines stores
// pipelines: upstream's example keeps them in KFP's database; mlc's pipelines need the
// Kubernetes-native mode (Pipeline and PipelineVersion objects).
const (
	kfpDatabaseOverlay = "../applications/pipeline/upstream/env/cert-manager/platform-agnostic-multi-user"
	kfpNativeOverlay   = "../applications/pipeline/upstream/env/cert-manager/platform-agnostic-multi-user-k8s-native"
)

// KubeflowManifests returns the folder with upstream's kubeflow/manifests (the release
// in KubeflowRelease/, the remote bases under remote/, their map in remotes.tsv): the
// copy in the shared folder beside the repository (../shared/kubeflow-manifests), or
// $MLC_SHARED_KUBEFLOW.
func KubeflowManifests() (string, error) {
	dir := os.Getenv("MLC_SHARED_KUBEFLOW")
	if dir == "" {
		root, err := ModuleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(filepath.Dir(root), "shared", "kubeflow-manifests")
	}
	if _, err := os.Stat(filepath.Join(dir, "remotes.tsv")); err != nil {
		return "", fmt.Errorf("kubeflow/manifests %s (set MLC_SHARED_KUBEFLOW to its folder): %w", KubeflowRelease, err)
	}
	return dir, nil
}

// BuildKubeflow runs kustomize (krusty, in memory) on the folder path of the release in
// manifests, as `kustomize build` would, with the remote bases resolved to the local
// copies that remotes.tsv names. For the example install, the Pipelines line is swapped
// for the Kubernetes-native overlay.
func BuildKubeflow(manifests, path string) ([]*unstructured.Unstructured, error) {
	manifests, err := filepath.Abs(manifests)
	if err != nil {
		return nil, err
	}
	fs, err := newMirrorFS(manifests)
	if err != nil {
		return nil, err
	}
	root := filepath.Join(manifests, KubeflowRelease)
	example := filepath.Join(root, "example", "kustomization.yaml")
	fs.edits[example] = func(b []byte) ([]byte, error) {
		line := regexp.MustCompile(`(?m)^- ` + regexp.QuoteMeta(kfpDatabaseOverlay) + `([ \t].*)?$`)
		if len(line.FindAll(b, -1)) != 1 {
			return nil, fmt.Errorf("%s: no single line `- %s` to swap for the Kubernetes-native overlay", example, kfpDatabaseOverlay)
		}
		return line.ReplaceAll(b, []byte("- "+kfpNativeOverlay)), nil
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(fs, filepath.Join(root, path))
	if fs.err != nil {
		// kustomize reads a kustomization file it cannot read as a missing one.
		return nil, fmt.Errorf("kustomize build %s: %w", path, fs.err)
	}
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", path, err)
	}
	var objs []*unstructured.Unstructured
	for _, r := range res.Resources() {
		b, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %s: %w", path, r.CurId(), err)
		}
		// Decoded as the API machinery does: whole numbers as int64.
		o, err := runtime.Decode(unstructured.UnstructuredJSONScheme, b)
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %s: %w", path, r.CurId(), err)
		}
		objs = append(objs, o.(*unstructured.Unstructured))
	}
	return objs, nil
}

var exampleInstall struct {
	once sync.Once
	objs []*unstructured.Unstructured
	err  error
	took time.Duration
}

// KubeflowExampleInstall returns the objects of upstream's example install (example/),
// with Pipelines in Kubernetes-native mode, built once per process. The objects are
// shared: copy one before changing it.
func KubeflowExampleInstall() ([]*unstructured.Unstructured, error) {
	exampleInstall.once.Do(func() {
		dir, err := KubeflowManifests()
		if err != nil {
			exampleInstall.err = err
			return
		}
		t0 := time.Now()
		exampleInstall.objs, exampleInstall.err = BuildKubeflow(dir, "example")
		exampleInstall.took = time.Since(t0)
	})
	return exampleInstall.objs, exampleInstall.err
}

// KubeflowExampleBuildTime is how long KubeflowExampleInstall's build took (zero before
// it ran).
func KubeflowExampleBuildTime() time.Duration { return exampleInstall.took }

// mirrorFS is the disk, except that the remote bases named in kustomization files are
// rewritten to the local copies (the mirror map of remotes.tsv) and that some files are
// read edited.
type mirrorFS struct {
	filesys.FileSystem
	remotes []remote
	// edits change the files at these paths as they are read.
	edits map[string]func([]byte) ([]byte, error)
	// err is the first error of ReadFile, which kustomize does not report.
	err error
}

// remote maps a remote kustomize resource to its local copy: match finds it in a
// kustomization file (the <path> of remotes.tsv is its first group), local is the folder
// it stands for, with $1 for the path.
type remote struct {
	match *regexp.Regexp
	local string
}

func newMirrorFS(manifests string) (*mirrorFS, error) {
	tsv := filepath.Join(manifests, "remotes.tsv")
	f, err := os.Open(tsv)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fs := &mirrorFS{FileSystem: filesys.MakeFsOnDisk(), edits: map[string]func([]byte) ([]byte, error){}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		url, local, ok := strings.Cut(line, "\t")
		fields := strings.Fields(local)
		if !ok || len(fields) == 0 {
			return nil, fmt.Errorf("%s:%d: want a remote URL, a tab and a local folder", tsv, n)
		}
		// <path> stands for the rest of the path up to the query.
		pattern := strings.ReplaceAll(regexp.QuoteMeta(url), regexp.QuoteMeta("<path>"), `([^?\s]*)`)
		fs.remotes = append(fs.remotes, remote{
			match: regexp.MustCompile(pattern),
			local: strings.ReplaceAll(filepath.Join(manifests, fields[0]), "<path>", "${1}"),
		})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(fs.remotes) == 0 {
		return nil, fmt.Errorf("%s: no remote bases", tsv)
	}
	return fs, nil
}

// unmappedRemote finds a list item of a kustomization file that is a remote base.
var unmappedRemote = regexp.MustCompile(`(?m)^\s*-\s+(https?://|git@|github\.com/)\S*`)

// ReadFile reads a file, with the remote bases of a kustomization file resolved.
func (fs *mirrorFS) ReadFile(path string) ([]byte, error) {
	b, err := fs.FileSystem.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, err = fs.resolve(path, b)
	if err != nil && fs.err == nil {
		fs.err = err
	}
	return b, err
}

// resolve edits the file at path, and resolves the remote bases of a kustomization file.
func (fs *mirrorFS) resolve(path string, b []byte) ([]byte, error) {
	var err error
	if change, ok := fs.edits[path]; ok {
		if b, err = change(b); err != nil {
			return nil, err
		}
	}
	switch filepath.Base(path) {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
	default:
		return b, nil
	}
	// kustomize takes no absolute folder as a base: the local copy, relative to the file.
	for _, r := range fs.remotes {
		var relErr error
		b = r.match.ReplaceAllFunc(b, func(m []byte) []byte {
			local := string(r.match.Expand(nil, []byte(r.local), m, r.match.FindSubmatchIndex(m)))
			rel, err := filepath.Rel(filepath.Dir(path), local)
			if err != nil {
				relErr = err
			}
			return []byte(rel)
		})
		if relErr != nil {
			return nil, relErr
		}
	}
	if m := unmappedRemote.Find(b); m != nil {
		return nil, fmt.Errorf("%s: remotes.tsv maps no local copy for %s", path, bytes.TrimSpace(m))
	}
	return b, nil
}
