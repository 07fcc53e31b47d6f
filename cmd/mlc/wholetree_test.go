//go:build unix

package main

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlc-gitops/mlc/compiler/emit"
	"github.com/mlc-gitops/mlc/compiler/synth"
)

// TestWholeTree runs the real mlc binary, as processes, over one output directory: killed
// at random instants, and two at once. Each time the directory holds exactly the whole
// tree of one repository, never a mix, and nothing mlc staged.
func TestWholeTree(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mlc and renders a few hundred times")
	}
	bin := filepath.Join(t.TempDir(), "mlc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// Two multi-cluster repositories that differ in every tenant folder: the first has
	// a third cluster and three tenants more, the second more notebooks each.
	repos := [2]string{t.TempDir(), t.TempDir()}
	for i, s := range []synth.Spec{
		{Tenants: 12, Notebooks: 6, Endpoints: 2, TrainingJobs: 1, Clusters: 3},
		{Tenants: 9, Notebooks: 9, Endpoints: 2, TrainingJobs: 1, Clusters: 2},
	} {
		if err := synth.Write(repos[i], s); err != nil {
			t.Fatal(err)
		}
	}
	r := &renderer{t: t, bin: bin, cache: t.TempDir()}
	t.Run("killed", func(t *testing.T) { r.t = t; testKilled(r, repos) })
	t.Run("concurrent", func(t *testing.T) { r.t = t; testConcurrent(r, repos) })
}

// testKilled renders one repository, then the other, over the same output directory,
// killing each render (SIGKILL) at a random instant of its run; the next mlc run into
// the directory (here one that fails on its input) leaves it holding the whole old tree
// or the whole new one, with the user's files.
func testKilled(r *renderer, repos [2]string) {
	t := r.t
	const kills = 60
	user := map[string]string{ // in folders the renders rebuild and remove
		"NOTES.md":            "mine\n",
		"cluster-0/mine.txt":  "also mine\n",
		"cluster-2/notes.txt": "kept when cluster-2 goes\n",
	}
	var want [2]fileTree
	for i, repo := range repos {
		want[i] = r.reference(repo, user)
	}
	broken := t.TempDir()
	if err := os.CopyFS(broken, os.DirFS(repos[0])); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(broken, "tenants", synth.TenantName(0), "tenant.cue"), []byte("package ml\n\ntenant: owner: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "out")
	r.prepare(out, user)
	r.render(repos[0], out)
	var took [2]time.Duration // a whole render into the other's tree, the cache warm
	for i := range 2 {
		start := time.Now()
		r.render(repos[1-i], out)
		took[1-i] = time.Since(start)
	}
	seed := time.Now().UnixNano()
	if s := os.Getenv("MLC_KILL_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (MLC_KILL_SEED reruns it); whole renders took %v and %v", seed, took[0], took[1])
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	// Spread over a whole render and then some: a render after a kill may have more to
	// read (the kill can leave no tree index), and some finish before their kill.
	spread := max(took[0], took[1]) * 3 / 2

	holds := 0 // the repository whose tree out holds
	var kept, replaced, finished, leftovers, committed int
	for k := range kills {
		next := 1 - holds
		delay := time.Duration(rng.Int64N(int64(spread) + 1))
		cmd := exec.Command(r.bin, "render", repos[next], "-o", out, "-q")
		cmd.Env = r.env()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay) // the instant of the kill
		_ = cmd.Process.Signal(syscall.SIGKILL)
		if cmd.Wait() == nil {
			finished++
		}
		if _, err := os.Lstat(filepath.Join(out, emit.SwapFolder)); err == nil {
			leftovers++
			if _, err := os.Lstat(filepath.Join(out, emit.SwapFolder, "journal")); err == nil {
				committed++
			}
		}
		if code, stderr := r.run("render", broken, "-o", out); code != 1 {
			t.Fatalf("kill %d: the render after it: exit %d, want 1 (the repository has errors):\n%s", k, code, stderr)
		}
		got := readFileTree(t, out)
		switch {
		case got.equal(want[holds]):
			kept++
		case got.equal(want[next]):
			holds = next
			replaced++
		default:
			t.Fatalf("kill %d, %v into the render of %s: the output is neither tree:\nagainst the old: %s\nagainst the new: %s",
				k, delay, repos[next], got.diff(want[holds]), got.diff(want[next]))
		}
	}
	t.Logf("%d kills: the old tree kept %d times, the new one there %d times (%d renders finished before their kill); %d left a swap folder, %d of them committed",
		kills, kept, replaced, finished, leftovers, committed)
}

// testConcurrent starts two renders of different repositories into one output
// directory at once, many times, into a directory that holds a tree and into one that
// does not exist yet. Both succeed; the directory holds the tree of one of them, and of
// the one that said it waited, if one did.
func testConcurrent(r *renderer, repos [2]string) {
	t := r.t
	var want [2]fileTree
	for i, repo := range repos {
		want[i] = r.reference(repo, nil)
	}
	waited := 0
	const rounds = 10
	for round := range rounds {
		out := filepath.Join(t.TempDir(), "out")
		if round%2 == 1 {
			r.render(repos[round%4/2], out)
		}
		var wg sync.WaitGroup
		var stderr [2]string
		for i := range 2 {
			wg.Go(func() {
				var code int
				if code, stderr[i] = r.run("render", repos[i], "-o", out, "-q"); code != 0 {
					t.Errorf("round %d: render %d: exit %d:\n%s", round, i, code, stderr[i])
				}
			})
		}
		wg.Wait()
		got := readFileTree(t, out)
		last := slices.IndexFunc(stderr[:], func(s string) bool { return strings.Contains(s, "waiting for another mlc render into "+out) })
		switch {
		case last >= 0:
			waited++
			if !got.equal(want[last]) {
				t.Errorf("round %d: render %d waited, but the output is not its tree: %s", round, last, got.diff(want[last]))
			}
		case !got.equal(want[0]) && !got.equal(want[1]):
			t.Errorf("round %d: the output is neither tree:\n%s\n%s", round, got.diff(want[0]), got.diff(want[1]))
		}
		for i, s := range stderr {
			if strings.Contains(s, "mlc:") {
				t.Errorf("round %d: render %d said:\n%s", round, i, s)
			}
		}
	}
	t.Logf("in %d of %d rounds a render waited for the other", waited, rounds)
}

// renderer runs the mlc binary with a cache of its own.
type renderer struct {
	t          *testing.T
	bin, cache string
}

func (r *renderer) env() []string {
	return append(os.Environ(), "MLC_CACHE_DIR="+r.cache)
}

// run runs mlc and returns its exit code and standard error.
func (r *renderer) run(args ...string) (int, string) {
	cmd := exec.Command(r.bin, args...)
	cmd.Env = r.env()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		r.t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// render renders repo into out, which must succeed.
func (r *renderer) render(repo, out string) {
	r.t.Helper()
	if code, stderr := r.run("render", repo, "-o", out, "-q"); code != 0 {
		r.t.Fatalf("render %s: exit %d:\n%s", repo, code, stderr)
	}
}

// prepare makes out holding the user's files (path: content).
func (r *renderer) prepare(out string, user map[string]string) {
	for rel, content := range user {
		p := filepath.Join(out, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

// reference renders repo into a new directory holding the user's files, and returns
// what it holds then.
func (r *renderer) reference(repo string, user map[string]string) fileTree {
	out := filepath.Join(r.t.TempDir(), "out")
	r.prepare(out, user)
	r.render(repo, out)
	return readFileTree(r.t, out)
}

// fileTree is what a directory holds: each folder, each file's mode and bytes, and each
// symlink's target, by path.
type fileTree map[string]string

func readFileTree(t *testing.T, dir string) fileTree {
	t.Helper()
	tree := fileTree{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			tree[rel+"/"] = "folder"
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			tree[rel] = "-> " + target
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		tree[rel] = info.Mode().String() + "\n" + string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tree) < 2 {
		t.Fatalf("%s holds %d files", dir, len(tree))
	}
	return tree
}

func (a fileTree) equal(b fileTree) bool {
	if len(a) != len(b) {
		return false
	}
	for p, s := range a {
		if bs, ok := b[p]; !ok || bs != s {
			return false
		}
	}
	return true
}

// diff names the first few paths a and b differ at.
func (a fileTree) diff(b fileTree) string {
	var d []string
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for p := range a {
			if !yield(p) {
				return
			}
		}
		for p := range b {
			if _, ok := a[p]; !ok && !yield(p) {
				return
			}
		}
	}) {
		as, aok := a[p]
		bs, bok := b[p]
		switch {
		case !bok:
			d = append(d, "+"+p)
		case !aok:
			d = append(d, "-"+p)
		case as != bs:
			d = append(d, "~"+p)
		}
	}
	if len(d) > 8 {
		d = append(d[:8], fmt.Sprintf("and %d more", len(d)-8))
	}
	return strings.Join(d, " ")
}
