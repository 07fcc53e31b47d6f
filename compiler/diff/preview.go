package diff

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/gitrev"
)

// Options say which revisions Preview compares.
type Options struct {
	// Dir is the platform repository, in a git work tree (at its top or below).
	Dir string
	// Base is the revision compared against: a branch, tag, commit or expression such
	// as origin/main; HEAD when empty.
	Base string
	// Head is the revision compared; the working tree (Dir as it is on disk, untracked
	// files included) when empty.
	Head string
	// Clusters and Tenants, when not empty, limit the comparison as they limit a render.
	Clusters []string
	Tenants  []string
}

// Preview compiles the base and head revisions of the repository at o.Dir and compares
// them. Revisions are read from git's objects into temporary directories, removed before
// Preview returns; the work tree is only read, and only for the head. Problems in the
// repository are in the Report (an invalid head gives no changes); the error is for the
// rest: not a git repository, an unknown revision, an unknown cluster or tenant.
func Preview(ctx context.Context, o Options) (*Report, error) {
	repo, err := gitrev.Open(ctx, o.Dir)
	if err != nil {
		return nil, err
	}
	if o.Base == "" {
		o.Base = "HEAD"
	}
	baseRev, headRev := Revision{Ref: o.Base}, Revision{Ref: o.Head}
	if baseRev.Commit, err = repo.Resolve(ctx, o.Base); err != nil {
		return nil, err
	}
	if o.Head != "" {
		if headRev.Commit, err = repo.Resolve(ctx, o.Head); err != nil {
			return nil, err
		}
	}
	opts := compiler.Options{Clusters: o.Clusters, Tenants: o.Tenants}

	head, err := compileRevision(ctx, repo, o.Dir, &headRev, opts)
	if err != nil {
		return nil, fmt.Errorf("head %s: %w", headRev.Label(), err)
	}
	var base Snapshot
	switch headRev.State {
	case Absent:
		where := "the top directory"
		if repo.Prefix != "" {
			where = repo.Prefix
		}
		return nil, fmt.Errorf("head %s has no platform repository in %s", headRev.Label(), where)
	case Invalid:
		// An invalid head gives no diff, only its problems.
		baseRev.State = Skipped
	default:
		base, err = compileRevision(ctx, repo, "", &baseRev, opts)
		var usage *compiler.UsageError
		if errors.As(err, &usage) {
			// The selection names a cluster or tenant that the head adds: compile the
			// whole base and keep what the selection names.
			base, err = compileRevision(ctx, repo, "", &baseRev, compiler.Options{})
			base = base.Select(o.Clusters, o.Tenants)
		}
		if err != nil {
			return nil, fmt.Errorf("base %s: %w", baseRev.Label(), err)
		}
	}
	r, err := Compare(base, head)
	if err != nil {
		return nil, err
	}
	r.Dir, r.Base, r.Head = repo.Prefix, baseRev, headRev
	return r, nil
}

// compileRevision compiles rev: its commit exported from git, or the directory dir when
// rev has no commit. It sets rev's State and Diagnostics. A commit without the
// repository's directory, or without a platform repository in it, is Absent.
func compileRevision(ctx context.Context, repo *gitrev.Repo, dir string, rev *Revision, opts compiler.Options) (Snapshot, error) {
	if rev.Commit != "" {
		tmp, cleanup, err := repo.TempExport(ctx, rev.Commit)
		if errors.Is(err, gitrev.ErrNoDirectory) {
			rev.State = Absent
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		defer cleanup()
		if _, err := os.Stat(filepath.Join(tmp, "cue.mod", "module.cue")); errors.Is(err, fs.ErrNotExist) {
			rev.State = Absent
			return nil, nil
		}
		opts.Origin, dir = filepath.Join(repo.Top, filepath.FromSlash(repo.Prefix)), tmp
	}
	res, err := compiler.Compile(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	rev.Diagnostics = res.Diagnostics
	if res.Diagnostics.HasErrors() {
		rev.State = Invalid
		return nil, nil
	}
	rev.State = Compiled
	return FromResult(res), nil
}
