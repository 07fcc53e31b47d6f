package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderCacheAndStats: --stats goes to standard error, so the stream stays clean;
// a second render comes from the cache with the same bytes, and --no-cache evaluates
// every tenant again.
func TestRenderCacheAndStats(t *testing.T) {
	t.Setenv("MLC_CACHE_DIR", t.TempDir())
	repo := filepath.Join("..", "..", "examples", "quickstart")
	var streams []string
	for _, step := range []struct {
		args []string
		want string
	}{
		{nil, "(2 evaluated, 0 from the cache)"},
		{nil, "(0 evaluated, 2 from the cache)"},
		{[]string{"--no-cache"}, "(2 evaluated, 0 from the cache)"},
	} {
		code, out, stderr := mlc(t, append([]string{"render", repo, "-o", "-", "-q", "--stats"}, step.args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stderr, step.want) || !strings.Contains(stderr, "tenant") {
			t.Errorf("%v: stats lack %q:\n%s", step.args, step.want, stderr)
		}
		if strings.Contains(out, "evaluated") {
			t.Errorf("stats leaked into the stream")
		}
		streams = append(streams, out)
	}
	if streams[1] != streams[0] || streams[2] != streams[0] {
		t.Errorf("cached and uncached renders differ")
	}
}

// TestRenderTenantNotOnCluster: a tenant the selected cluster does not run is a usage
// error naming the clusters that do.
func TestRenderTenantNotOnCluster(t *testing.T) {
	repo := filepath.Join("..", "..", "examples", "quickstart")
	code, out, stderr := mlc(t, "render", repo, "-o", "-", "--cluster", "staging", "--tenant", "nlp", "--no-cache")
	if code != 2 || out != "" || !strings.Contains(stderr, `cluster staging does not run tenant "nlp"; it runs on prod`) {
		t.Errorf("exit %d, %q, %q", code, out, stderr)
	}
}

// TestNoCacheOnEveryCompilingCommand: vet and push take --no-cache like render.
func TestNoCacheOnEveryCompilingCommand(t *testing.T) {
	for _, cmd := range []string{"vet", "push"} {
		if code, out, _ := mlc(t, cmd, "--help"); code != 0 || !strings.Contains(out, "--no-cache") {
			t.Errorf("%s --help: exit %d, no --no-cache", cmd, code)
		}
	}
	t.Setenv("MLC_CACHE_DIR", t.TempDir())
	if code, _, stderr := mlc(t, "vet", filepath.Join("..", "..", "examples", "quickstart"), "--no-cache"); code != 0 {
		t.Errorf("vet --no-cache: exit %d: %s", code, stderr)
	}
}
