//go:build unix

package emit

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
)

// TestSwapKilledAtEachStep: a WriteDir killed (SIGKILL) before any step of its swap, or
// while it undoes a swap whose step failed, leaves a directory that Recover brings to
// the whole old tree or the whole new one, with no swap folder: the old one when killed
// before the commit or once the undoing is done, the new one in between (Recover
// finishes a committed swap when it can).
func TestSwapKilledAtEachStep(t *testing.T) {
	if dir := os.Getenv("MLC_SWAP_TEST_DIR"); dir != "" {
		killedSwap(dir)
		return
	}
	before, after, steps := swapReference(t)
	check := func(dir string, killed, want string) {
		t.Helper()
		if err := Recover(dir); err != nil {
			t.Fatalf("%s: %v", killed, err)
		}
		got := dirState(t, dir)
		if got != want {
			t.Errorf("%s; after Recover the directory holds\n%s\nwant\n%s", killed, got, want)
		}
	}
	for k := range steps {
		old, _ := swapTrees()
		dir := oldOutput(t, old)
		if !runKilledSwap(t, dir, -1, k) {
			t.Fatalf("the swap ended before step %d", k)
		}
		want := after
		if k == 0 {
			want = before
		}
		check(dir, "killed before step "+strconv.Itoa(k), want)
	}
	if testing.Short() {
		return // a process for each step of each undoing
	}
	for fail := 1; fail < steps-2; fail++ {
		var dirs []string
		for kill := fail + 1; ; kill++ {
			old, _ := swapTrees()
			dir := oldOutput(t, old)
			if !runKilledSwap(t, dir, fail, kill) {
				break
			}
			dirs = append(dirs, dir)
		}
		if len(dirs) < 2 { // the undoing, if any; the removal of the journal, of the swap folder
			t.Fatalf("step %d failed: killed at %d steps after it", fail, len(dirs))
		}
		for i, dir := range dirs {
			want := after
			if i == len(dirs)-1 {
				want = before // the journal was removed: the undoing is done
			}
			check(dir, "step "+strconv.Itoa(fail)+" failed, killed before step "+strconv.Itoa(fail+1+i), want)
		}
	}
}

// runKilledSwap writes the new tree over dir in a process of this test, failing its swap's
// step fail and killing it before step kill; it reports whether it was killed.
func runKilledSwap(t *testing.T, dir string, fail, kill int) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSwapKilledAtEachStep$")
	cmd.Env = append(os.Environ(), "MLC_SWAP_TEST_DIR="+dir, "MLC_SWAP_TEST_FAIL="+strconv.Itoa(fail), "MLC_SWAP_TEST_KILL="+strconv.Itoa(kill))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
	}
	if err != nil {
		t.Fatalf("the writing process: %v\n%s", err, out)
	}
	return false
}

// killedSwap is the writing process of runKilledSwap.
func killedSwap(dir string) {
	fail, _ := strconv.Atoi(os.Getenv("MLC_SWAP_TEST_FAIL"))
	kill, _ := strconv.Atoi(os.Getenv("MLC_SWAP_TEST_KILL"))
	swapStep = func(n int) error {
		if n == kill {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
		if n == fail {
			return errors.New("injected")
		}
		return nil
	}
	_, new := swapTrees()
	_ = new.WriteDir(dir)
	os.Exit(0)
}
