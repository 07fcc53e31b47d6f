package kubeflow

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// TestFetcher clones a release from git at its tag, once: a second fetch reads the
// clone, and a tag the repository does not have is an error naming it.
func TestFetcher(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.MkdirAll(filepath.Join(repo, "example"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "example", "kustomization.yaml"), []byte("resources: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-qm", "release")
	git("tag", "v1.11.0")

	cache := t.TempDir()
	fetch := Fetcher(cache)
	src := model.KubeflowGit{URL: "file://" + repo, Tag: "v1.11.0"}
	dir, err := fetch(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "example", "kustomization.yaml")); err != nil {
		t.Fatalf("the clone has no example: %v", err)
	}
	// The clone is kept: the repository may go, the release is read from the cache.
	if err := os.RemoveAll(repo); err != nil {
		t.Fatal(err)
	}
	again, err := fetch(src)
	if err != nil || again != dir {
		t.Errorf("second fetch: %q, %v; want %q", again, err, dir)
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Errorf("the cache holds %d entries, want the one clone", len(entries))
	}
	_, err = fetch(model.KubeflowGit{URL: "file://" + repo, Tag: "v9.9.9"})
	if err == nil || !strings.Contains(err.Error(), "git clone file://"+repo+" at v9.9.9") {
		t.Errorf("err = %v", err)
	}
}
