package kubeflow

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// Fetcher returns a function that gives the folder of kubeflow/manifests at a git tag:
// a shallow clone, made once under dir and kept there, since a release's tag does not
// move. The clone is made beside its place and renamed into it, so that a folder there
// is always whole.
func Fetcher(dir string) func(model.KubeflowGit) (string, error) {
	return func(g model.KubeflowGit) (string, error) {
		sum := sha256.Sum256([]byte(g.URL + "\x00" + g.Tag))
		dest := filepath.Join(dir, hex.EncodeToString(sum[:8]))
		if st, err := os.Stat(filepath.Join(dest, ".git")); err == nil && st.IsDir() {
			return dest, nil
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		tmp, err := os.MkdirTemp(dir, ".clone-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(tmp)
		var stderr bytes.Buffer
		cmd := exec.Command("git", "clone", "--quiet", "--depth", "1", "--branch", g.Tag, "--", g.URL, tmp)
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("git clone %s at %s: %v: %s", g.URL, g.Tag, err, strings.TrimSpace(stderr.String()))
		}
		if err := os.Rename(tmp, dest); err != nil && !exists(dest) {
			return "", err
		}
		return dest, nil
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
