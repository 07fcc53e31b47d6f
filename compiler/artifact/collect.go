package artifact

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/mlc-gitops/mlc/compiler/emit"
	"github.com/mlc-gitops/mlc/compiler/gitrev"
	"github.com/mlc-gitops/mlc/compiler/kubeflow"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// Artifact is one artifact of a rendered repository: a cluster's platform folder, its
// Kubeflow components folder, or one of its tenant folders.
type Artifact struct {
	Cluster string
	// Tenant is empty for the platform and components artifacts.
	Tenant string
	// Components is true for the artifact of the Kubeflow the cluster installs.
	Components bool
	// Repository is where the artifact is pushed, without the oci:// scheme.
	Repository string
	Files      []File
	// Inputs are the pathspecs, relative to the repository, whose history dates the
	// artifact ("!" before one excludes what it matches); nil means the whole repository.
	Inputs []string
}

// Name is how the artifact is shown: "prod/platform" or "prod/tenants/vision".
func (a Artifact) Name() string {
	if a.Components {
		return a.Cluster + "/" + emit.ComponentsDir
	}
	if a.Tenant == "" {
		return a.Cluster + "/" + emit.PlatformDir
	}
	return a.Cluster + "/" + emit.TenantsDir + "/" + a.Tenant
}

// Collect splits a rendered tree into artifacts: per cluster, its platform folder, its
// components folder and each tenant's folder, each with the kustomization.yaml at its root that Flux builds.
func Collect(tree *emit.Tree, flux *model.Flux) []Artifact {
	var out []Artifact
	index := map[string]int{}
	for _, f := range tree.Files {
		parts := strings.SplitN(f.Path, "/", 4)
		var a Artifact
		var rel string
		switch {
		case len(parts) >= 3 && parts[1] == emit.PlatformDir:
			a = Artifact{Cluster: parts[0], Repository: trimScheme(names.PlatformArtifact(flux, parts[0]))}
			rel = strings.Join(parts[2:], "/")
		case len(parts) == 4 && parts[1] == emit.TenantsDir:
			a = Artifact{Cluster: parts[0], Tenant: parts[2], Repository: trimScheme(names.TenantArtifact(flux, parts[0], parts[2]))}
			a.Inputs = []string{"cue.mod/**", "*.cue", path.Join("tenants", parts[2], "**")}
			rel = parts[3]
		case len(parts) >= 3 && parts[1] == emit.ComponentsDir:
			a = Artifact{Cluster: parts[0], Components: true, Repository: trimScheme(kubeflow.Artifact(flux, parts[0]))}
			// Built from the platform's files: a commit that changes only tenants does
			// not date it anew (which would give it a new digest).
			a.Inputs = []string{"**", "!tenants/**"}
			rel = strings.Join(parts[2:], "/")
		default:
			continue
		}
		i, ok := index[a.Name()]
		if !ok {
			i = len(out)
			index[a.Name()] = i
			out = append(out, a)
		}
		out[i].Files = append(out[i].Files, File{Path: rel, Data: f.Data})
	}
	return out
}

func trimScheme(url string) string { return strings.TrimPrefix(url, "oci://") }

// Dater finds an artifact's metadata from the repository's git history, so that an
// artifact whose inputs did not change keeps its digest from commit to commit.
type Dater struct {
	Repo *gitrev.Repo
	// Source is the repository URL for the source annotation.
	Source string
	// Branch names the branch in revisions; from git when empty.
	Branch string
	// Epoch, when set (SOURCE_DATE_EPOCH), is the created time of every artifact.
	Epoch *time.Time
}

// Metadata returns the source, revision and creation time of an artifact: those of the
// last commit that changed its inputs.
func (d *Dater) Metadata(ctx context.Context, a Artifact) (Metadata, error) {
	c, err := d.Repo.LastChange(ctx, a.Inputs)
	if err != nil {
		return Metadata{}, fmt.Errorf("dating %s from git history: %w", a.Name(), err)
	}
	branch := d.Branch
	if branch == "" {
		if branch, err = d.Repo.Branch(ctx); err != nil {
			return Metadata{}, err
		}
	}
	if branch == "" {
		branch = "HEAD"
	}
	m := Metadata{Source: d.Source, Revision: branch + "@sha1:" + c.Hash, Created: c.Time}
	if d.Epoch != nil {
		m.Created = *d.Epoch
	}
	return m, nil
}
