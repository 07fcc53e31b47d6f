package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/cache"
	"github.com/mlc-gitops/mlc/compiler/cache/cachetest"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// compiledKeys compiles repo for clusters (all when none) with the cache in dir, as
// the commands do, and returns the key each tenant was compiled under.
func compiledKeys(t *testing.T, repo, dir string, clusters ...string) map[string]cache.Key {
	t.Helper()
	res, err := compiler.Compile(context.Background(), repo, compiler.Options{CacheDir: dir, Clusters: clusters})
	if err != nil || res.Diagnostics.HasErrors() {
		t.Fatalf("%v %v", err, res.Diagnostics)
	}
	return cachetest.LastKeys(t, dir, repo)
}

// entryFile is where package cache keeps the entry under k in dir.
func entryFile(dir string, k cache.Key) string {
	h := k.String()
	return filepath.Join(dir, h[:2], h)
}

// treeFiles returns every file under dir, relative, with its bytes.
func treeFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// mustRun runs mlc, which must exit 0, and returns its output.
func mustRun(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := mlc(t, args...)
	if code != 0 {
		t.Fatalf("mlc %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return stdout, stderr
}

// TestPoisonedCacheCommands: with vision's cache entry copied over nlp's, or an older
// entry of nlp replayed under its new key, render (over its tree, into its directory
// emptied, into a new one, as a stream) and vet give what they give with --no-cache:
// never vision's objects under nlp.
func TestPoisonedCacheCommands(t *testing.T) {
	for _, poison := range []struct {
		name string
		// poison tampers with the cache in dir, warm from a render of repo into out.
		poison func(t *testing.T, repo, dir, out string)
	}{
		{"vision's entry copied over nlp's", func(t *testing.T, repo, dir, _ string) {
			keys := compiledKeys(t, repo, dir)
			b, err := os.ReadFile(entryFile(dir, keys["vision"]))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(entryFile(dir, keys["nlp"]), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"an older entry of nlp replayed", func(t *testing.T, repo, dir, out string) {
			older, err := os.ReadFile(entryFile(dir, compiledKeys(t, repo, dir)["nlp"]))
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(filepath.Join(repo, "tenants", "nlp", "tenant.cue"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.WriteString("\nnotebooks: \"scratch\": {image: \"jupyter-scipy\", resources: {cpu: 1, memory: \"2Gi\"}}\n")
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			mustRun(t, "render", repo, "-o", out, "-q")
			if err := os.WriteFile(entryFile(dir, compiledKeys(t, repo, dir)["nlp"]), older, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(poison.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv(cache.EnvDir, dir)
			repo := filepath.Join(t.TempDir(), "repo")
			if err := os.CopyFS(repo, os.DirFS(filepath.Join("..", "..", "examples", "quickstart"))); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out")
			mustRun(t, "render", repo, "-o", out, "-q")
			poison.poison(t, repo, dir, out)

			cold := filepath.Join(t.TempDir(), "cold")
			mustRun(t, "render", repo, "-o", cold, "-q", "--no-cache")
			want := treeFiles(t, cold)
			for _, step := range []string{"over its tree", "into its directory emptied", "into a new directory"} {
				switch step {
				case "into its directory emptied": // the cache's index of the tree stays
					if err := os.RemoveAll(out); err != nil {
						t.Fatal(err)
					}
					if err := os.Mkdir(out, 0o755); err != nil {
						t.Fatal(err)
					}
				case "into a new directory":
					out = filepath.Join(t.TempDir(), "out")
				}
				mustRun(t, "render", repo, "-o", out, "-q")
				got := treeFiles(t, out)
				for rel, b := range want {
					if got[rel] != b {
						t.Errorf("render %s: %s differs from --no-cache's", step, rel)
					}
				}
				for rel, b := range got {
					if _, ok := want[rel]; !ok {
						t.Errorf("render %s: %s, which --no-cache does not write", step, rel)
					}
					if strings.HasPrefix(rel, "prod/platform/nlp/") && strings.Contains(b, "vision") {
						t.Errorf("render %s: %s names vision", step, rel)
					}
				}
			}
			wantStream, _ := mustRun(t, "render", repo, "-o", "-", "-q", "--no-cache")
			if got, _ := mustRun(t, "render", repo, "-o", "-", "-q"); got != wantStream {
				t.Errorf("render -o -: the stream differs from --no-cache's")
			}
			wantOut, wantErr := mustRun(t, "vet", repo, "--no-cache")
			if gotOut, gotErr := mustRun(t, "vet", repo); gotOut != wantOut || gotErr != wantErr {
				t.Errorf("vet: %q %q, want %q %q", gotOut, gotErr, wantOut, wantErr)
			}
		})
	}
}

// TestPushReadsNoCache: an entry forged as mlc's own (bound to its key and tenant, its
// objects in the tenant's namespace) changes what render shows, but not what push
// publishes: the same digests as before the forgery.
func TestPushReadsNoCache(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(cache.EnvDir, dir)
	repo, host, target := quickstartToPush(t)

	stdout, _ := mustRun(t, "push", repo.Dir, target, "--cluster", "prod")
	before := pushedDigests(t, host, stdout)

	c, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	k := compiledKeys(t, repo.Dir, dir, "prod")["nlp"]
	e, ok := c.Load(k, "nlp")
	if !ok {
		t.Fatal("push stored no entry for nlp")
	}
	for i := range e.Outputs["prod"].Workloads {
		o := &e.Outputs["prod"].Workloads[i]
		tree, err := o.Tree()
		if err != nil {
			t.Fatal(err)
		}
		tree["metadata"].(map[string]any)["labels"] = map[string]any{"forged": "yes"}
		*o = manifest.Object{Content: tree, Source: o.Source}
		if err := o.Encode(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Store(k, "nlp", e); err != nil {
		t.Fatal(err)
	}
	if stream, _ := mustRun(t, "render", repo.Dir, "-o", "-", "-q", "--cluster", "prod"); !strings.Contains(stream, "forged") {
		t.Fatal("render does not show the forged entry: this test forges nothing")
	}

	stdout, stderr := mustRun(t, "push", repo.Dir, target, "--cluster", "prod")
	if after := pushedDigests(t, host, stdout); after["ml/prod/tenants/nlp"] != before["ml/prod/tenants/nlp"] || strings.Contains(stderr, "uploaded") {
		t.Errorf("push read the forged entry: %v, want %v; %s", after, before, stderr)
	}
}
