package artifact_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/fluxcd/pkg/oci"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/crane"

	"github.com/mlc-gitops/mlc/compiler/artifact"
)

// TestFluxPullsWhatMLCPushes pulls a pushed artifact with Flux's own OCI client
// (github.com/fluxcd/pkg/oci, as the flux CLI does) and checks what Flux reads from it.
func TestFluxPullsWhatMLCPushes(t *testing.T) {
	if artifact.ConfigMediaType != oci.CanonicalConfigMediaType || artifact.ContentMediaType != oci.CanonicalContentMediaType {
		t.Fatalf("media types drifted from Flux's: %s, %s", oci.CanonicalConfigMediaType, oci.CanonicalContentMediaType)
	}
	host := registryHost(t, nil)
	img, err := artifact.Pack(files, meta)
	if err != nil {
		t.Fatal(err)
	}
	repo := host + "/ml/prod/platform"
	pushed, err := (&artifact.Pusher{Keychain: authn.NewMultiKeychain()}).Push(context.Background(), repo, img, []string{"prod"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	got, err := oci.NewClient([]crane.Option{crane.Insecure}).Pull(context.Background(), repo+":prod", dir)
	if err != nil {
		t.Fatalf("Flux's client cannot pull the artifact: %v", err)
	}
	if got.Revision != meta.Revision || got.Source != meta.Source || got.Created != "2026-11-01T12:00:00Z" || got.Digest != repo+"@"+pushed.Digest.String() {
		t.Errorf("Flux read %+v", got)
	}
	b, err := os.ReadFile(filepath.Join(dir, "notebook_dev.yaml"))
	if err != nil || string(b) != string(files[1].Data) {
		t.Errorf("extracted file: %q, %v", b, err)
	}
}
