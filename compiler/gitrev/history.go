package gitrev

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// Commit is a commit and when it was made.
type Commit struct {
	Hash string
	Time time.Time
}

// LastChange returns the newest commit in HEAD's history that changed any of the
// pathspecs, given relative to the repository's directory (a "*" in them matches within
// one directory level, as in shell globs).
// With no pathspecs, it is the last commit that changed anything in the directory.
func (r *Repo) LastChange(ctx context.Context, pathspecs []string) (Commit, error) {
	if len(pathspecs) == 0 {
		pathspecs = []string{"**"}
	}
	args := []string{"log", "-1", "--format=%H %ct", "HEAD", "--"}
	for _, p := range pathspecs {
		if rest, ok := strings.CutPrefix(p, "!"); ok {
			args = append(args, ":(top,glob,exclude)"+path.Join(r.Prefix, rest))
			continue
		}
		args = append(args, ":(top,glob)"+path.Join(r.Prefix, p))
	}
	out, err := git(ctx, r.Top, nil, args...)
	if err != nil {
		return Commit{}, err
	}
	fields := strings.Fields(string(out))
	if len(fields) != 2 {
		return Commit{}, fmt.Errorf("no commit in HEAD's history changed %s", strings.Join(pathspecs, " "))
	}
	secs, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return Commit{}, err
	}
	return Commit{Hash: fields[0], Time: time.Unix(secs, 0).UTC()}, nil
}

// Branch returns the checked-out branch, or "" when HEAD is detached (as in most CI jobs).
func (r *Repo) Branch(ctx context.Context) (string, error) {
	out, err := git(ctx, r.Top, nil, "rev-parse", "--abbrev-ref", "HEAD")
	if err != nil {
		return "", err
	}
	b := strings.TrimSpace(string(out))
	if b == "HEAD" {
		return "", nil
	}
	return b, nil
}

// Dirty reports whether the repository's directory has changes not committed yet.
func (r *Repo) Dirty(ctx context.Context) (bool, error) {
	args := []string{"status", "--porcelain", "--"}
	if r.Prefix != "" {
		args = append(args, ":(top)"+r.Prefix)
	}
	out, err := git(ctx, r.Top, nil, args...)
	if err != nil {
		return false, err
	}
	return len(strings.TrimSpace(string(out))) > 0, nil
}

// RemoteURL returns the URL of the origin remote, or "" when there is none.
func (r *Repo) RemoteURL(ctx context.Context) string {
	out, err := git(ctx, r.Top, nil, "remote", "get-url", "origin")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
