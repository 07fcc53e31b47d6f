//go:build unix

package dirlock

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"testing"
)

// acquireAsync takes the lock of dir on another goroutine: waiting receives the holder
// the wait is announced with, and got the lock once taken.
func acquireAsync(t *testing.T, dir string) (waiting chan int, got chan *Lock) {
	waiting, got = make(chan int, 1), make(chan *Lock, 1)
	go func() {
		l, err := Acquire(dir, func(holder int) { waiting <- holder })
		if err != nil {
			t.Error(err)
		}
		got <- l
	}()
	return waiting, got
}

// wantHolder checks the holder a wait was announced with: the process's id where it can
// be told (Linux), else 0.
func wantHolder(t *testing.T, holder, pid int) {
	t.Helper()
	if runtime.GOOS != "linux" {
		pid = 0
	}
	if holder != pid {
		t.Errorf("waiting for pid %d, want %d", holder, pid)
	}
}

// TestAcquireWaits: a second lock of a directory waits, named the holder, until the first
// is released; then it is taken.
func TestAcquireWaits(t *testing.T) {
	dir := t.TempDir()
	first, err := Acquire(dir, func(int) { t.Error("the first lock waited") })
	if err != nil {
		t.Fatal(err)
	}
	waiting, got := acquireAsync(t, dir)
	wantHolder(t, <-waiting, os.Getpid())
	select {
	case <-got:
		t.Fatal("the second lock was taken while the first was held")
	default:
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	second := <-got
	if second == nil {
		t.Fatal("no second lock")
	}
	if err := second.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(t.TempDir()+"/missing", nil); err == nil {
		t.Error("a missing directory was locked")
	}
}

// TestKilledHolderReleases: a process killed with SIGKILL while it holds the lock
// releases it; nothing is left in the directory.
func TestKilledHolderReleases(t *testing.T) {
	if dir := os.Getenv("DIRLOCK_TEST_HOLD"); dir != "" {
		if _, err := Acquire(dir, nil); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		select {} // until killed
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledHolderReleases$")
	cmd.Env = append(os.Environ(), "DIRLOCK_TEST_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "locked\n" {
		t.Fatalf("the holder said %q (%v)", line, err)
	}
	waiting, got := acquireAsync(t, dir)
	wantHolder(t, <-waiting, cmd.Process.Pid)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if l := <-got; l == nil || l.Release() != nil {
		t.Fatal("not locked after the holder was killed")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the lock left %v in the directory", entries)
	}
}
