package artifact_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fluxcd/pkg/tar"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mlc-gitops/mlc/compiler/artifact"
)

var files = []artifact.File{
	{Path: "kustomization.yaml", Data: []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- notebook_dev.yaml\n")},
	{Path: "notebook_dev.yaml", Data: []byte("apiVersion: kubeflow.org/v1\nkind: Notebook\nmetadata:\n  name: dev\n")},
	{Path: "sub/dir/file.yaml", Data: []byte("a: 1\n")},
}

var meta = artifact.Metadata{
	Source:   "https://github.com/example/platform",
	Revision: "main@sha1:0123456789abcdef0123456789abcdef01234567",
	Created:  time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC),
}

// registryHost starts go-containerregistry's registry on loopback.
func registryHost(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestPackIsReproducible(t *testing.T) {
	a, err := artifact.Pack(files, meta)
	if err != nil {
		t.Fatal(err)
	}
	reversed := []artifact.File{files[2], files[1], files[0]}
	b, err := artifact.Pack(reversed, meta)
	if err != nil {
		t.Fatal(err)
	}
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da != db {
		t.Errorf("same files in another order: %s vs %s", da, db)
	}
	changed := meta
	changed.Created = meta.Created.Add(time.Second)
	c, _ := artifact.Pack(files, changed)
	if dc, _ := c.Digest(); dc == da {
		t.Errorf("a different created time must change the digest")
	}
}

// TestPushAndPullBack pushes to real registries on loopback, go-containerregistry's and
// the CNCF distribution registry Debian ships (docker-registry), and reads everything
// back: media types, annotations, tags and files, the files through Flux's own tar
// extraction.
func TestPushAndPullBack(t *testing.T) {
	t.Run("go-containerregistry", func(t *testing.T) { pushAndPullBack(t, registryHost(t, nil)) })
	t.Run("docker-registry", func(t *testing.T) { pushAndPullBack(t, distributionRegistry(t)) })
}

// distributionRegistry starts Debian's docker-registry on loopback, with its storage in a
// temporary directory, and returns its host:port. Without the binary the test is skipped,
// unless CI is true: .ci/run installs it.
func distributionRegistry(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("docker-registry is not installed (apt-get install docker-registry); with CI=true it must be")
		}
		t.Skip("docker-registry is not installed: apt-get install docker-registry to run this test")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yml")
	err = os.WriteFile(config, []byte(fmt.Sprintf("version: 0.1\nlog: {level: warn}\nstorage: {filesystem: {rootdirectory: %q}}\nhttp: {addr: %q}\n", filepath.Join(dir, "data"), host)), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "serve", config)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("docker-registry:\n%s", logs.String())
		}
	})
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return host
			}
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("docker-registry did not answer on %s: %v\n%s", host, err, logs.String())
		}
	}
}

func pushAndPullBack(t *testing.T, host string) {
	img, err := artifact.Pack(files, meta)
	if err != nil {
		t.Fatal(err)
	}
	p := &artifact.Pusher{Keychain: authn.NewMultiKeychain()}
	repo := host + "/ml/prod/tenants/vision"
	pushed, err := p.Push(context.Background(), repo, img, []string{"0123abc", "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if !pushed.Uploaded {
		t.Error("first push should upload")
	}
	again, err := p.Push(context.Background(), repo, img, []string{"0123abc", "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Uploaded || again.Digest != pushed.Digest {
		t.Errorf("second push of the same artifact: uploaded=%v digest %s, want a skipped upload of %s", again.Uploaded, again.Digest, pushed.Digest)
	}

	for _, tag := range []string{"0123abc", "prod"} {
		ref, err := name.ParseReference(repo+":"+tag, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		got, err := remote.Image(ref)
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := got.Digest(); d != pushed.Digest {
			t.Errorf("tag %s points at %s, want %s", tag, d, pushed.Digest)
		}
	}
	ref, _ := name.ParseReference(repo+":prod", name.Insecure)
	got, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	m, err := got.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s", m.MediaType)
	}
	if m.Config.MediaType != artifact.ConfigMediaType {
		t.Errorf("config media type %s", m.Config.MediaType)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != artifact.ContentMediaType {
		t.Fatalf("layers %+v", m.Layers)
	}
	want := map[string]string{
		artifact.CreatedAnnotation:  "2026-11-01T12:00:00Z",
		artifact.SourceAnnotation:   meta.Source,
		artifact.RevisionAnnotation: meta.Revision,
	}
	for k, v := range want {
		if m.Annotations[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, m.Annotations[k], v)
		}
	}

	layers, err := got.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	dir := t.TempDir()
	if err := tar.Untar(rc, dir, tar.WithMaxUntarSize(-1)); err != nil {
		t.Fatalf("Flux's Untar rejected the artifact: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil || !bytes.Equal(b, f.Data) {
			t.Errorf("%s: %q, %v", f.Path, b, err)
		}
	}
}

func TestPushFaults(t *testing.T) {
	img, err := artifact.Pack(files, meta)
	if err != nil {
		t.Fatal(err)
	}
	p := &artifact.Pusher{Keychain: authn.NewMultiKeychain(), Backoff: remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 3}}
	ctx := context.Background()

	t.Run("transient errors are retried", func(t *testing.T) {
		var failed atomic.Int32
		host := registryHost(t, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// The first writes meet a registry that is restarting.
				if r.Method != http.MethodHead && r.Method != http.MethodGet && failed.Load() < 3 {
					failed.Add(1)
					_, _ = io.Copy(io.Discard, r.Body)
					http.Error(w, "restarting", http.StatusServiceUnavailable)
					return
				}
				h.ServeHTTP(w, r)
			})
		})
		pushed, err := p.Push(ctx, host+"/ml/retried", img, []string{"rev1", "prod"})
		if err != nil {
			t.Fatalf("push through transient 503s: %v", err)
		}
		if failed.Load() != 3 {
			t.Errorf("%d writes failed, want 3", failed.Load())
		}
		ref, _ := name.ParseReference(host+"/ml/retried:prod", name.Insecure)
		desc, err := remote.Head(ref)
		if err != nil || desc.Digest != pushed.Digest {
			t.Errorf("after the retried push prod names %v (%v), want %s", desc, err, pushed.Digest)
		}
	})
	t.Run("a registry that keeps failing", func(t *testing.T) {
		var writes atomic.Int32
		host := registryHost(t, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodHead && r.Method != http.MethodGet {
					writes.Add(1)
					_, _ = io.Copy(io.Discard, r.Body)
					http.Error(w, "down", http.StatusServiceUnavailable)
					return
				}
				h.ServeHTTP(w, r)
			})
		})
		_, err := p.Push(ctx, host+"/ml/down", img, []string{"rev1"})
		if err == nil || !strings.Contains(err.Error(), "503") {
			t.Errorf("got %v, want the registry's 503", err)
		}
		if writes.Load() < 3 {
			t.Errorf("gave up after %d writes, want the 3 attempts of the backoff", writes.Load())
		}
	})
	t.Run("digest mismatch leaves the moving tag alone", func(t *testing.T) {
		var alter atomic.Bool
		host := registryHost(t, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if alter.Load() && r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
					// A proxy that rewrites what it forwards.
					body, _ := io.ReadAll(r.Body)
					body = append(body, '\n')
					r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
				}
				h.ServeHTTP(w, r)
			})
		})
		err := pushThroughFault(t, p, host+"/ml/prod/vision", img, &alter)
		if !errors.Is(err, artifact.ErrDigestMismatch) || !strings.Contains(err.Error(), "no other tag was moved") {
			t.Fatalf("push through a rewriting proxy: got %v, want a digest mismatch", err)
		}
		t.Logf("digest mismatch: %v", err)
	})

	t.Run("registry unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		host := strings.TrimPrefix(srv.URL, "http://")
		srv.Close()
		_, err := p.Push(ctx, host+"/ml/x", img, []string{"t"})
		if err == nil || !strings.Contains(err.Error(), "cannot reach the registry") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("credentials refused", func(t *testing.T) {
		host := registryHost(t, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, "no", http.StatusUnauthorized)
			})
		})
		_, err := p.Push(ctx, host+"/ml/x", img, []string{"t"})
		if err == nil || !strings.Contains(err.Error(), "refused the credentials") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("interrupted push leaves the moving tag alone", func(t *testing.T) {
		var failManifests atomic.Bool
		host := registryHost(t, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if failManifests.Load() && r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
					// The connection drops while the manifest is written.
					_, _ = io.Copy(io.Discard, r.Body)
					http.Error(w, "gone", http.StatusBadGateway)
					return
				}
				h.ServeHTTP(w, r)
			})
		})
		if err := pushThroughFault(t, p, host+"/ml/prod/platform", img, &failManifests); err == nil {
			t.Fatal("want an error from the interrupted push")
		}
	})
}

// pushThroughFault pushes a first artifact to repo's rev1 and prod tags, then, with fault
// set, img to rev2 and prod. It returns the second push's error, and fails the test if
// prod no longer names the first artifact: a moving tag never follows a failed push.
func pushThroughFault(t *testing.T, p *artifact.Pusher, repo string, img v1.Image, fault *atomic.Bool) error {
	t.Helper()
	ctx := context.Background()
	old, err := artifact.Pack(files[:1], meta)
	if err != nil {
		t.Fatal(err)
	}
	first, err := p.Push(ctx, repo, old, []string{"rev1", "prod"})
	if err != nil {
		t.Fatal(err)
	}
	fault.Store(true)
	_, pushErr := p.Push(ctx, repo, img, []string{"rev2", "prod"})
	fault.Store(false)
	ref, _ := name.ParseReference(repo+":prod", name.Insecure)
	desc, err := remote.Head(ref)
	if err != nil || desc.Digest != first.Digest {
		t.Errorf("prod names %v (%v) after a failed push; want %s", desc, err, first.Digest)
	}
	return pushErr
}
