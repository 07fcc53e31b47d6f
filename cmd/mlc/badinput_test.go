//go:build unix

package main

import (
	"bytes"
	"io/fs"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/tools/txtar"
)

// corpusBase is the repository every case of the bad-input corpus changes.
const corpusBase = "../../examples/quickstart"

// TestBadInputCorpus renders each repository of testdata/badinput: the quickstart
// example changed as the case's archive says, into an OUT that holds a render of the
// example. Each must exit 1, print nothing on stdout, report every `want` of the case
// on stderr at its file:line:col, and leave OUT as it was.
//
// An archive's files replace or add the repository's (those under outside/ are written
// beside the repository instead, at $OUTSIDE); its comment holds one directive a line:
//
//	want POS TEXT         a line of stderr starts with "POS: " and contains TEXT
//	note POS TEXT         the same of a note, a line under an error indented by a tab
//	absent TEXT           stderr does not hold TEXT (a secret the case writes)
//	remove PATH           the file is removed
//	symlink PATH TARGET   PATH is a symlink to TARGET ($OUTSIDE expanded)
//	fifo PATH             PATH is a named pipe
//	socket PATH           PATH is a Unix socket
//	size PATH N           PATH is a file of N spaces
func TestBadInputCorpus(t *testing.T) {
	cases, err := filepath.Glob("testdata/badinput/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 120 {
		t.Errorf("the corpus must keep at least 120 cases, has %d", len(cases))
	}
	ref := filepath.Join(t.TempDir(), "out")
	if code, _, errs := mlc(t, "render", "--no-cache", "-q", corpusBase, "-o", ref); code != 0 {
		t.Fatalf("render of the base: exit %d: %s", code, errs)
	}
	before := readTree(t, ref)
	for _, file := range cases {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			repo, wants, absent := corpusRepo(t, ar)
			if len(wants) == 0 {
				t.Fatal("the case wants nothing")
			}
			out := filepath.Join(t.TempDir(), "out")
			copyTree(t, ref, out)
			code, stdout, stderr := mlc(t, "render", repo, "-o", out)
			stderr = strings.ReplaceAll(stderr, repo+string(filepath.Separator), "") // as run in the repository
			if code != exitInvalid {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, exitInvalid, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout: %q", stdout)
			}
			for _, w := range wants {
				if !reported(stderr, w[0], w[1]) {
					t.Errorf("want %s containing %q; stderr:\n%s", w[0], w[1], stderr)
				}
			}
			for _, text := range absent {
				if strings.Contains(stderr, text) {
					t.Errorf("stderr shows %q:\n%s", text, stderr)
				}
			}
			if after := readTree(t, out); !maps.EqualFunc(before, after, bytes.Equal) {
				t.Errorf("OUT changed: %d files before, %d after", len(before), len(after))
			}
		})
	}
}

// reported tells whether a line of stderr is a diagnostic at pos whose text holds text.
func reported(stderr, pos, text string) bool {
	for line := range strings.Lines(stderr) {
		if rest, ok := strings.CutPrefix(line, pos+": "); ok && strings.Contains(rest, text) {
			return true
		}
	}
	return false
}

// corpusRepo writes the base repository changed as ar says into a temporary folder,
// and returns it with the case's wants (position, text) and what stderr must not show.
func corpusRepo(t *testing.T, ar *txtar.Archive) (string, [][2]string, []string) {
	t.Helper()
	top := t.TempDir()
	repo, outside := filepath.Join(top, "repo"), filepath.Join(top, "outside")
	copyTree(t, corpusBase, repo)
	for _, f := range ar.Files {
		dst := filepath.Join(repo, filepath.FromSlash(f.Name))
		if rest, ok := strings.CutPrefix(f.Name, "outside/"); ok {
			dst = filepath.Join(outside, filepath.FromSlash(rest))
		}
		writeBytes(t, dst, f.Data)
	}
	var wants [][2]string
	var absent []string
	for line := range strings.Lines(string(ar.Comment)) {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		at := func(i int) string {
			if i >= len(fields) {
				t.Fatalf("directive %q lacks an argument", strings.TrimSpace(line))
			}
			return fields[i]
		}
		path := func(i int) string { return filepath.Join(repo, filepath.FromSlash(at(i))) }
		switch fields[0] {
		case "want", "note":
			_, text, _ := strings.Cut(strings.TrimSpace(line)[len(fields[0])+1:], " ")
			pos := at(1)
			if fields[0] == "note" {
				pos = "\t" + pos
			}
			wants = append(wants, [2]string{pos, strings.TrimSpace(text)})
		case "absent":
			absent = append(absent, at(1))
		case "remove":
			if err := os.Remove(path(1)); err != nil {
				t.Fatal(err)
			}
		case "symlink":
			mkdirFor(t, path(1))
			if err := os.Symlink(strings.ReplaceAll(at(2), "$OUTSIDE", outside), path(1)); err != nil {
				t.Skip("no symlinks here:", err)
			}
		case "fifo":
			mkdirFor(t, path(1))
			if err := syscall.Mkfifo(path(1), 0o644); err != nil {
				t.Skip("no named pipes here:", err)
			}
		case "socket":
			mkdirFor(t, path(1))
			l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path(1), Net: "unix"})
			if err != nil {
				t.Skip("no Unix sockets here:", err)
			}
			l.SetUnlinkOnClose(false)
			l.Close()
		case "size":
			n, err := strconv.Atoi(at(2))
			if err != nil {
				t.Fatal(err)
			}
			writeBytes(t, path(1), bytes.Repeat([]byte(" "), n))
		default:
			t.Fatalf("unknown directive %q", fields[0])
		}
	}
	return repo, wants, absent
}

// readTree returns every file under dir by its path relative to it (a symlink as
// "-> target"), to compare trees with.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	tree := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			tree[rel] = []byte("-> " + target)
			return err
		}
		tree[rel], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// copyTree copies the regular files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	tree := readTree(t, src)
	for _, rel := range slices.Sorted(maps.Keys(tree)) {
		writeBytes(t, filepath.Join(dst, rel), tree[rel])
	}
}

func writeBytes(t *testing.T, p string, data []byte) {
	t.Helper()
	mkdirFor(t, p)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mkdirFor(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
}
