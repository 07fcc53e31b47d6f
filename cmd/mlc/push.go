package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/artifact"
	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/emit"
	"github.com/mlc-gitops/mlc/compiler/gitrev"
	"github.com/mlc-gitops/mlc/compiler/model"
)

type pushFlags struct {
	selection
	cache      cacheFlag
	source     string
	branch     string
	insecure   bool
	allowDirty bool
	parallel   int
}

func newPushCommand() *cobra.Command {
	var f pushFlags
	cmd := &cobra.Command{
		Use:   "push [DIR] [oci://REPOSITORY]",
		Short: "Render and publish each cluster's artifacts for Flux to pull",
		Long: `push renders the repository (DIR, or the current directory) and publishes, for every
selected cluster, one OCI artifact with the platform's objects, one with the Kubeflow the
cluster installs (when platform.cue declares kubeflow) and one per tenant, in the format of
'flux push artifact', under REPOSITORY (or the platform's flux.repository):

  <repository>/<cluster>/platform
  <repository>/<cluster>/components
  <repository>/<cluster>/tenants/<tenant>

Each artifact is tagged with the commit being pushed, then the tag the cluster follows
(flux.tag, the cluster's name by default) is moved to it. The revision and created
annotations come from the last commit that changed the artifact's inputs (SOURCE_DATE_EPOCH
overrides the time), so a commit that does not touch a tenant leaves its digest as it
was, and Flux does not reconcile it. An artifact the registry already holds is not
uploaded again. Credentials come from the Docker config and credential helpers; plain
HTTP is used for registries on loopback, or with --insecure.

What reaches the clusters depends on the repository and mlc alone: push compiles every
tenant afresh and reads nothing from mlc's cache, which anyone who can write the cache
directory (a CI cache shared between jobs, say) could have changed. It stores what it
compiled there, for later renders and diffs; --no-cache leaves the cache alone.`,
		Example: `  # On merge to main, in CI
  mlc push --cluster prod oci://registry.example.com/ml-platform

  # Every cluster, to the repository the platform declares
  mlc push

  # A local registry
  mlc push examples/quickstart oci://localhost:5000/ml --cluster staging`,
		Args:              cobra.MaximumNArgs(2),
		ValidArgsFunction: completeDirs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, repository := ".", ""
			for _, a := range args {
				if strings.HasPrefix(a, "oci://") {
					repository = a
				} else {
					dir = a
				}
			}
			return runPush(cmd, dir, repository, f)
		},
	}
	f.register(cmd, "push")
	f.cache.register(cmd)
	cmd.Flags().StringVar(&f.source, "source", "", "source URL for the artifacts' annotation (default: the git origin)")
	cmd.Flags().StringVar(&f.branch, "branch", "", "branch name in the revision annotation (default: the checked-out branch, or $GITHUB_REF_NAME / $CI_COMMIT_REF_NAME)")
	cmd.Flags().BoolVar(&f.insecure, "insecure", false, "use plain HTTP for a registry that is not on loopback")
	cmd.Flags().BoolVar(&f.allowDirty, "allow-dirty", false, "push even though the repository has uncommitted changes")
	cmd.Flags().IntVar(&f.parallel, "parallel", 4, "artifacts pushed at once")
	return cmd
}

func runPush(cmd *cobra.Command, dir, repository string, f pushFlags) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	repo, err := gitrev.Open(ctx, dir)
	if err != nil {
		return fmt.Errorf("mlc push dates artifacts from git history, so it runs in a git checkout: %w", err)
	}
	if dirty, err := repo.Dirty(ctx); err != nil {
		return err
	} else if dirty && !f.allowDirty {
		return errors.New("the repository has uncommitted changes: commit them first, so the artifacts match their revision (or pass --allow-dirty)")
	}
	opts := f.cache.apply(f.options())
	// The artifacts must not depend on what the cache holds: see the command's help.
	opts.WriteOnlyCache = true
	res, err := compiler.Compile(ctx, dir, opts)
	if err != nil {
		return err
	}
	if err := diag.Write(cmd.ErrOrStderr(), "text", fromWorkingDir(dir, res.Diagnostics)); err != nil {
		return err
	}
	if res.Diagnostics.HasErrors() {
		return errInvalid
	}
	flux, err := fluxSettings(res.Platform, repository)
	if err != nil {
		return err
	}
	tree, err := emit.Build(res)
	if err != nil {
		return err
	}
	dater := &artifact.Dater{Repo: repo, Source: f.source, Branch: f.branch}
	if dater.Source == "" {
		dater.Source = repo.RemoteURL(ctx)
	}
	if dater.Branch == "" {
		dater.Branch = firstEnv("GITHUB_REF_NAME", "CI_COMMIT_REF_NAME")
	}
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		secs, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", epoch)
		}
		t := time.Unix(secs, 0).UTC()
		dater.Epoch = &t
	}
	head, err := repo.Resolve(ctx, "HEAD")
	if err != nil {
		return err
	}
	arts := artifact.Collect(tree, flux)
	return pushAll(ctx, cmd, arts, dater, flux, head, f)
}

// fluxSettings returns the platform's Flux settings, with the repository from the command
// line when given.
func fluxSettings(p *model.Platform, repository string) (*model.Flux, error) {
	var flux model.Flux
	if p.Flux != nil {
		flux = *p.Flux
	}
	if repository != "" {
		flux.Repository = repository
	}
	if flux.Repository == "" {
		return nil, errors.New("no repository to push to: give oci://REPOSITORY, or set flux.repository in platform.cue")
	}
	return &flux, nil
}

func pushAll(ctx context.Context, cmd *cobra.Command, arts []artifact.Artifact, dater *artifact.Dater, flux *model.Flux, head string, f pushFlags) error {
	pusher := &artifact.Pusher{Insecure: f.insecure}
	type result struct {
		pushed artifact.Pushed
		err    error
	}
	results := make([]result, len(arts))
	sem := make(chan struct{}, max(1, f.parallel))
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for i, a := range arts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r := &results[i]
			meta, err := dater.Metadata(ctx, a)
			if err != nil {
				r.err = err
				return
			}
			img, err := artifact.Pack(a.Files, meta)
			if err != nil {
				r.err = err
				return
			}
			r.pushed, r.err = pusher.Push(ctx, a.Repository, img, []string{head, flux.TagFor(a.Cluster)})
			mu.Lock()
			done++
			state := "unchanged"
			if r.pushed.Uploaded {
				state = "uploaded (" + humanBytes(artifactSize(img)) + ")"
			}
			if r.err != nil {
				state = "failed"
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "[%d/%d] %s %s\n", done, len(arts), a.Name(), state)
			mu.Unlock()
		})
	}
	wg.Wait()
	var failed []string
	for i, a := range arts {
		r := results[i]
		if r.err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", a.Name(), r.err)
			failed = append(failed, a.Name())
			continue
		}
		fmt.Fprintf(cmd.OutOrStdout(), "oci://%s@%s\n", r.pushed.Repository, r.pushed.Digest)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d artifacts not pushed (%s); the tags Flux follows were not moved for them", len(failed), len(arts), strings.Join(failed, ", "))
	}
	return nil
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// artifactSize is the bytes an artifact's upload carries: its config and layers.
func artifactSize(img v1.Image) int64 {
	m, err := img.Manifest()
	if err != nil {
		return 0
	}
	n := m.Config.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n
}

// humanBytes formats a size the way people read it: 512 B, 14.2 KiB, 3.1 MiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
