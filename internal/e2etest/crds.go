package e2etest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// UpstreamCRDs returns the upstream CRD files of everything mlc compiles to (Kubeflow,
// KServe, Katib, Trainer, Istio): the copies in the shared folder beside the repository
// (../shared/crds, or $MLC_SHARED_CRDS). Flux's own come from the Flux modules instead.
func UpstreamCRDs() ([]string, error) {
	dir := os.Getenv("MLC_SHARED_CRDS")
	if dir == "" {
		root, err := ModuleRoot()
		if err != nil {
			return nil, err
		}
		dir = filepath.Join(filepath.Dir(root), "shared", "crds")
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "flux" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("the upstream CRDs (set MLC_SHARED_CRDS to their folder): %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no CRDs in %s", dir)
	}
	sched, err := SchedulerCRDs()
	if err != nil {
		return nil, err
	}
	return append(files, sched...), nil
}

// SchedulerCRDs returns the CRD files of Kueue and Volcano, which tenants' queues and
// the platform's scheduling objects need and which Kubeflow does not install: the
// copies in the shared folder (../shared/crds-extra/{kueue,volcano}, or
// $MLC_SHARED_CRDS_EXTRA/...).
func SchedulerCRDs() ([]string, error) {
	dir := os.Getenv("MLC_SHARED_CRDS_EXTRA")
	if dir == "" {
		root, err := ModuleRoot()
		if err != nil {
			return nil, err
		}
		dir = filepath.Join(filepath.Dir(root), "shared", "crds-extra")
	}
	var files []string
	for _, sub := range []string{"kueue", "volcano"} {
		found, err := filepath.Glob(filepath.Join(dir, sub, "*.yaml"))
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("no %s CRDs in %s (set MLC_SHARED_CRDS_EXTRA to their folder)", sub, filepath.Join(dir, sub))
		}
		files = append(files, found...)
	}
	return files, nil
}

// ModuleRoot is the folder of this repository's go.mod, found from the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/mlc-gitops/mlc\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the mlc repository")
		}
		dir = parent
	}
}

// FluxCRDs returns the CRD files of the Flux controllers hack/e2e.sh built (none when
// they have not been built: Require reports that).
func FluxCRDs() []string {
	files, _ := filepath.Glob(filepath.Join(BinDir(), "crds", "*.yaml"))
	return files
}
