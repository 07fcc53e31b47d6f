package gitrev

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// entry is one file of a tree, as git ls-tree lists it.
type entry struct {
	mode   string
	object string
	path   string // relative to the listed tree, with forward slashes
}

// Git's file modes for the entries Export writes.
const (
	modeFile       = "100644"
	modeExecutable = "100755"
	modeSymlink    = "120000"
)

// Export writes the files that commit holds under the repository's directory to dst,
// creating it if needed, reading git's objects directly: the work tree,
// the index and the checked-out branch are left alone, and no .gitattributes filter or
// export rule changes a byte. Submodules are skipped. When the commit does not hold the
// directory, the error wraps ErrNoDirectory.
func (r *Repo) Export(ctx context.Context, commit, dst string) error {
	tree := r.treeish(commit)
	if out, err := git(ctx, r.Top, nil, "cat-file", "-t", tree); err != nil || strings.TrimSpace(string(out)) != "tree" {
		var ge *gitError
		if err == nil || errors.As(err, &ge) {
			return fmt.Errorf("commit %s: %w: %s", short(commit), ErrNoDirectory, r.dirName())
		}
		return err
	}
	out, err := git(ctx, r.Top, nil, "ls-tree", "-r", "-z", tree)
	if err != nil {
		return err
	}
	entries, err := parseTree(out)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	var blobs, links []entry
	for _, e := range entries {
		switch e.mode {
		case modeFile, modeExecutable:
			blobs = append(blobs, e)
		case modeSymlink:
			links = append(links, e)
		}
	}
	// Symbolic links last, so that no file is written through one.
	if err := r.writeBlobs(ctx, dst, blobs, writeFile); err != nil {
		return err
	}
	return r.writeBlobs(ctx, dst, links, writeSymlink)
}

// TempExport exports commit to a new temporary directory. Call cleanup to remove it.
func (r *Repo) TempExport(ctx context.Context, commit string) (dir string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", "mlc-rev-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	if err := r.Export(ctx, commit, dir); err != nil {
		cleanup()
		return "", nil, err
	}
	return dir, cleanup, nil
}

// parseTree reads the output of git ls-tree -r -z: "<mode> <type> <object>\t<path>\x00".
func parseTree(out []byte) ([]entry, error) {
	var entries []entry
	for rec := range bytes.SplitSeq(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		meta, p, ok := strings.Cut(string(rec), "\t")
		fields := strings.Fields(meta)
		if !ok || len(fields) != 3 {
			return nil, fmt.Errorf("git ls-tree: unexpected line %q", rec)
		}
		if !filepath.IsLocal(filepath.FromSlash(p)) {
			return nil, fmt.Errorf("git ls-tree: path %q leaves the directory", p)
		}
		entries = append(entries, entry{mode: fields[0], object: fields[2], path: p})
	}
	return entries, nil
}

// writeBlobs reads the entries' blobs with one git cat-file --batch and hands each to write.
func (r *Repo) writeBlobs(ctx context.Context, dst string, entries []entry, write func(path, mode string, data []byte) error) (err error) {
	if len(entries) == 0 {
		return nil
	}
	cmd := exec.CommandContext(ctx, "git", "-C", r.Top, "cat-file", "--batch")
	var ids strings.Builder
	for _, e := range entries {
		ids.WriteString(e.object + "\n")
	}
	cmd.Stdin = strings.NewReader(ids.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return
		}
		if werr := cmd.Wait(); werr != nil {
			err = &gitError{args: []string{"cat-file", "--batch"}, stderr: strings.TrimSpace(stderr.String()), err: werr}
		}
	}()
	br := bufio.NewReader(stdout)
	for _, e := range entries {
		data, err := readBlob(br, e.object)
		if err != nil {
			return err
		}
		if err := write(filepath.Join(dst, filepath.FromSlash(e.path)), e.mode, data); err != nil {
			return err
		}
	}
	return nil
}

// readBlob reads one answer of git cat-file --batch: "<object> blob <size>\n<data>\n".
func readBlob(br *bufio.Reader, object string) ([]byte, error) {
	header, err := br.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("git cat-file: reading %s: %w", object, err)
	}
	fields := strings.Fields(header)
	if len(fields) != 3 || fields[0] != object || fields[1] != "blob" {
		return nil, fmt.Errorf("git cat-file: unexpected answer %q for %s", strings.TrimSpace(header), object)
	}
	size, err := strconv.ParseInt(fields[2], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("git cat-file: unexpected size in %q", strings.TrimSpace(header))
	}
	data := make([]byte, size+1) // the content and its terminating newline
	if _, err := io.ReadFull(br, data); err != nil {
		return nil, fmt.Errorf("git cat-file: reading %s: %w", object, err)
	}
	return data[:size], nil
}

func writeFile(path, mode string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	perm := os.FileMode(0o644)
	if mode == modeExecutable {
		perm = 0o755
	}
	return os.WriteFile(path, data, perm)
}

func writeSymlink(path, _ string, target []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.Symlink(string(target), path)
}

// short abbreviates a commit hash for messages.
func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
