package validate

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// manifestsDir holds kubeflow/manifests as upstream publishes it, with copies of
// the remote bases it names (remotes.tsv).
var manifestsDir = filepath.Join(sharedDir, "kubeflow-manifests")

// v111Folders are the folders of kubeflow/manifests v1.11.0 whose CRDs tenants'
// objects use: Istio, Pipelines in Kubernetes-native mode, Katib, PodDefaults,
// notebooks, profiles, Trainer (with JobSet and LeaderWorkerSet), KServe and the
// Training Operator.
var v111Folders = []string{
	"common/istio/istio-crds/base",
	"applications/pipeline/upstream/env/cert-manager/platform-agnostic-multi-user-k8s-native",
	"applications/katib/upstream/installs/katib-with-kubeflow",
	"applications/admission-webhook/upstream/overlays/cert-manager",
	"applications/jupyter/notebook-controller/upstream/overlays/kubeflow",
	"applications/profiles/pss",
	"applications/trainer/overlays",
	"applications/kserve/kserve",
	"applications/training-operator/upstream/overlays/kubeflow",
}

// localRemotes is a file system that reads kustomization files with their remote
// bases replaced by the local copies remotes.tsv names, so that krusty builds
// kubeflow/manifests offline, as the network would give it.
type localRemotes struct {
	filesys.FileSystem
	rewrites []rewrite
}

type rewrite struct {
	re   *regexp.Regexp
	repl string
}

func (f localRemotes) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || !strings.HasPrefix(filepath.Base(path), "kustomization.") {
		return data, err
	}
	s := string(data)
	for _, r := range f.rewrites {
		// kustomize takes bases by relative path only.
		repl, err := filepath.Rel(filepath.Dir(path), r.repl)
		if err != nil {
			return nil, err
		}
		s = r.re.ReplaceAllString(s, repl)
	}
	return []byte(s), nil
}

// readRemotes turns remotes.tsv into rewrites of remote references to absolute
// paths of the local copies.
func readRemotes(t testing.TB) []rewrite {
	t.Helper()
	fd, err := os.Open(filepath.Join(manifestsDir, "remotes.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	abs, err := filepath.Abs(manifestsDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []rewrite
	sc := bufio.NewScanner(fd)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		remote, local, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("remotes.tsv: no tab in %q", line)
		}
		local, _, _ = strings.Cut(local, " ")
		pattern := regexp.QuoteMeta(remote)
		pattern = strings.Replace(pattern, "<path>", "([A-Za-z0-9_./-]+?)", 1)
		repl := filepath.Join(abs, strings.Replace(local, "<path>", "${1}", 1))
		out = append(out, rewrite{re: regexp.MustCompile(pattern), repl: repl})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var v111 struct {
	once sync.Once
	crds [][]byte
	err  error
}

// v111CRDs returns the CRDs of v111Folders as kustomize builds them, as JSON,
// each once.
func v111CRDs(t testing.TB) [][]byte {
	t.Helper()
	root := filepath.Join(manifestsDir, "v1.11.0")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("kubeflow/manifests v1.11.0 not available: %v", err)
	}
	rewrites := readRemotes(t)
	v111.once.Do(func() {
		fs := localRemotes{FileSystem: filesys.MakeFsOnDisk(), rewrites: rewrites}
		k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
		seen := map[string]bool{}
		for _, dir := range v111Folders {
			m, err := k.Run(fs, filepath.Join(root, dir))
			if err != nil {
				v111.err = err
				return
			}
			for _, r := range m.Resources() {
				if r.GetKind() != "CustomResourceDefinition" || seen[r.GetName()] {
					continue
				}
				seen[r.GetName()] = true
				b, err := r.MarshalJSON()
				if err != nil {
					v111.err = err
					return
				}
				v111.crds = append(v111.crds, b)
			}
		}
	})
	if v111.err != nil {
		t.Fatal(v111.err)
	}
	return v111.crds
}

// crdSet is a validator the equivalence tests run on, and its name.
type crdSet struct {
	name string
	v    *Validator
}

// crdSets are the embedded CRDs, and Kubeflow v1.11.0's when the shared
// manifests are there (not in -short mode, where building them is left out).
func crdSets(t testing.TB) []crdSet {
	t.Helper()
	sets := []crdSet{{"embedded", New()}}
	if testing.Short() {
		return sets
	}
	if !haveManifests() {
		t.Log("kubeflow/manifests not available: only the embedded CRDs")
		return sets
	}
	return append(sets, crdSet{"v1.11.0", v111Validator(t)})
}

// v111Validator is a validator over the CRDs of v111Folders.
func v111Validator(t testing.TB) *Validator {
	t.Helper()
	v, err := NewFromCRDs(v111CRDs(t))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// haveManifests reports whether the shared kubeflow/manifests v1.11.0 are there.
func haveManifests() bool {
	_, err := os.Stat(filepath.Join(manifestsDir, "v1.11.0"))
	return err == nil
}
