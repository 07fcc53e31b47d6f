// Package gitrev reads revisions of a git repository without touching its work tree:
// it resolves refs to commits and exports the files a commit holds under a directory
// to another place, straight from git's objects.
package gitrev

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path"
	"strings"
)

// ErrNotRepository is returned, wrapped, when a directory is not inside a git work tree.
var ErrNotRepository = errors.New("not a git repository")

// ErrNoDirectory is returned, wrapped, by Export when the commit does not hold the
// repository's directory, as when it was added after that commit.
var ErrNoDirectory = errors.New("directory not in the revision")

// Repo is a directory inside a git work tree.
type Repo struct {
	// Top is the absolute path of the work tree's top-level directory.
	Top string
	// Prefix is the directory relative to Top, with forward slashes and no trailing
	// slash; empty when the directory is Top itself.
	Prefix string
}

// Open finds the git work tree that holds dir.
func Open(ctx context.Context, dir string) (*Repo, error) {
	out, err := git(ctx, dir, nil, "rev-parse", "--show-toplevel", "--show-prefix")
	if err != nil {
		var ge *gitError
		if errors.As(err, &ge) {
			return nil, fmt.Errorf("%s: %w, or git cannot read it: %s", dir, ErrNotRepository, ge.stderr)
		}
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	r := &Repo{Top: lines[0]}
	if len(lines) > 1 {
		r.Prefix = strings.TrimSuffix(lines[1], "/")
	}
	return r, nil
}

// RevisionError is a revision that names no commit in the repository.
type RevisionError struct {
	// Rev is the revision as given.
	Rev string
	// Shallow tells that the clone is shallow, so the commit may exist but not have
	// been fetched.
	Shallow bool
}

func (e *RevisionError) Error() string {
	msg := fmt.Sprintf("unknown revision %q: no such commit in this clone", e.Rev)
	if e.Shallow {
		return msg + "; it is a shallow clone, so the commit may not have been fetched: run `git fetch --unshallow`" +
			" (GitHub Actions: actions/checkout with fetch-depth: 0; GitLab CI: GIT_DEPTH: 0)"
	}
	return msg + "; check the name, or fetch it first (`git fetch origin`)"
}

// Resolve returns the full hash of the commit that rev names: a branch, tag, hash or
// any expression git understands, such as origin/main or HEAD~2.
func (r *Repo) Resolve(ctx context.Context, rev string) (string, error) {
	if rev == "" || strings.HasPrefix(rev, "-") {
		return "", &RevisionError{Rev: rev}
	}
	out, err := git(ctx, r.Top, nil, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if err == nil {
		return strings.TrimSpace(string(out)), nil
	}
	var ge *gitError
	if !errors.As(err, &ge) {
		return "", err
	}
	shallow, err := r.Shallow(ctx)
	if err != nil {
		return "", err
	}
	return "", &RevisionError{Rev: rev, Shallow: shallow}
}

// Shallow reports whether the clone is shallow, missing history.
func (r *Repo) Shallow(ctx context.Context) (bool, error) {
	out, err := git(ctx, r.Top, nil, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(out)) == "true", nil
}

// treeish names the repository's directory in commit, in git's <rev>:<path> syntax.
func (r *Repo) treeish(commit string) string {
	if r.Prefix == "" {
		return commit + "^{tree}"
	}
	return commit + ":" + r.Prefix
}

// dirName is the directory for messages: its path in the git repository.
func (r *Repo) dirName() string {
	if r.Prefix == "" {
		return "the top directory"
	}
	return path.Clean(r.Prefix)
}

// gitError is git exiting with an error.
type gitError struct {
	args   []string
	stderr string
	err    error
}

func (e *gitError) Error() string {
	return fmt.Sprintf("git %s: %v: %s", strings.Join(e.args, " "), e.err, e.stderr)
}

func (e *gitError) Unwrap() error { return e.err }

// git runs git in dir and returns its standard output.
func git(ctx context.Context, dir string, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, &gitError{args: args, stderr: strings.TrimSpace(stderr.String()), err: err}
		}
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("git is not installed or not on PATH: %w", err)
		}
		return nil, err
	}
	return stdout.Bytes(), nil
}
