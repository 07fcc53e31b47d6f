package load

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestRefusedTenantFile: a tenant file mlc does not read (here a symlink to nothing) is
// reported at the file when the tenant is evaluated, not as an error of the evaluator:
// the platform and the other tenants are evaluated all the same.
func TestRefusedTenantFile(t *testing.T) {
	dir := writeRepo(t, map[string]string{
		"platform.cue":         apartPlatform,
		"tenants/a/tenant.cue": "package ml\n\ntenant: owner: \"a@example.com\"\n",
		"tenants/b/tenant.cue": "package ml\n\ntenant: owner: \"b@example.com\"\n",
	})
	if err := os.Symlink("missing.cue", filepath.Join(dir, "tenants/a/broken.cue")); err != nil {
		t.Skip(err)
	}
	ev := evaluatorOf(t, dir)
	ev.Platform(func(inst *Instance) {
		if inst.Diagnostics.HasErrors() {
			t.Errorf("platform: %v", inst.Diagnostics)
		}
	})
	got := evaluateTenants(t, ev, nil)
	if want := "tenants/a/broken.cue: is a symlink that cannot be followed"; !strings.HasPrefix(got["a"], want) {
		t.Errorf("tenant a: %q, want %q", got["a"], want)
	}
	if got["b"] != "" {
		t.Errorf("tenant b: %s", got["b"])
	}
}

// TestFilesReadWhenNeeded: the evaluator reads the platform files when it is made, and a
// tenant's files only when that tenant is evaluated, each once, through the ReadFunc it
// was given; a path the repository does not list is never read.
func TestFilesReadWhenNeeded(t *testing.T) {
	dir := writeRepo(t, map[string]string{
		"platform.cue":         apartPlatform,
		"defaults.cue":         "package ml\n",
		"tenants/a/tenant.cue": "package ml\n\ntenant: owner: \"a@example.com\"\n",
		"tenants/a/nb.cue":     "package ml\n",
		"tenants/b/tenant.cue": "package ml\n\ntenant: owner: \"b@example.com\"\n",
	})
	repo, err := Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var read []string
	ev, err := NewEvaluator(repo, func(rel string) ([]byte, error) {
		mu.Lock()
		read = append(read, rel)
		mu.Unlock()
		return ReadFile(repo.Root, rel)
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"defaults.cue", "platform.cue"}; !slices.Equal(read, want) {
		t.Errorf("made: read %v, want %v", read, want)
	}
	ev.Platform(func(*Instance) {})
	if got := evaluateTenants(t, ev, []string{"a"}); got["a"] != "" || len(got) != 1 {
		t.Errorf("evaluated %v", got)
	}
	evaluateTenants(t, ev, []string{"a"})
	slices.Sort(read)
	if want := []string{"defaults.cue", "platform.cue", "tenants/a/nb.cue", "tenants/a/tenant.cue"}; !slices.Equal(read, want) {
		t.Errorf("after tenant a twice: read %v, want %v", read, want)
	}
	if _, err := ev.source("cue.mod/module.cue"); err == nil {
		t.Error("a file the repository does not list was read")
	}
}

// evaluateTenants evaluates the tenants (all when nil) and returns their diagnostics.
func evaluateTenants(t *testing.T, ev *Evaluator, tenants []string) map[string]string {
	t.Helper()
	var mu sync.Mutex
	got := map[string]string{}
	err := ev.Tenants(context.Background(), Options{Tenants: tenants}, func(inst *Instance) {
		mu.Lock()
		defer mu.Unlock()
		got[inst.Tenant.Name] = inst.Diagnostics.Error()
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// evaluatorOf finds the repository at dir and makes its evaluator, which must succeed.
func evaluatorOf(tb testing.TB, dir string) *Evaluator {
	tb.Helper()
	repo, err := Find(dir)
	if err != nil {
		tb.Fatal(err)
	}
	ev, err := NewEvaluator(repo, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}
