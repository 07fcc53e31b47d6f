package diff

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// encryptedSecret is the object mlc publishes for a SOPS-encrypted file: its bytes.
func encryptedSecret(t *testing.T, file string) manifest.Object {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return manifest.Object{Source: "secrets.wandb", Ident: &manifest.Ident{APIVersion: "v1", Kind: "Secret", Name: "wandb", Namespace: "vision"}, Encoded: data}
}

// TestSecretShowsKeysNeverValues: an encrypted Secret added, changed (a key added, a
// value rotated) and removed shows its name and keys, and no value, not even encrypted,
// in every format; each change is called out.
func TestSecretShowsKeysNeverValues(t *testing.T) {
	t.Parallel()
	v1 := encryptedSecret(t, filepath.Join("..", "..", "examples", "quickstart", "tenants", "vision", "secrets", "wandb.sops.yaml"))
	v2 := encryptedSecret(t, filepath.Join("..", "testdata", "sops", "wandb-rotated.sops.yaml"))
	snap := func(objs ...manifest.Object) Snapshot { return Snapshot{"prod": {"vision": objs}} }
	for _, tc := range []struct {
		name       string
		base, head Snapshot
		op         Op
		want       []string
	}{
		{"added", snap(), snap(v1), Added, []string{"api-key", encryptedValue, "keys api-key"}},
		{"rotated", snap(v1), snap(v2), Changed, []string{"stringData.api-key", changedValue, "stringData.entity", "keys api-key, entity"}},
		{"removed", snap(v2), snap(), Removed, []string{"wandb", "keys api-key, entity"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := Compare(tc.base, tc.head)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Changes) != 1 || r.Changes[0].Op != tc.op {
				t.Fatalf("changes %+v, want one %s", r.Changes, tc.op)
			}
			if len(r.Callouts) != 1 || r.Callouts[0].Rule != "secret" {
				t.Errorf("callouts %+v, want the secret rule's", r.Callouts)
			}
			if tc.op == Changed {
				for _, f := range r.Changes[0].Fields {
					if strings.HasPrefix(f.Path, "sops") || f.Path == "stringData.api-key" && f.New != changedValue {
						t.Errorf("field %s: %v -> %v", f.Path, f.Old, f.New)
					}
				}
			}
			var text, md, js strings.Builder
			if err := WriteText(&text, r, false); err != nil {
				t.Fatal(err)
			}
			if err := WriteMarkdown(&md, r, 0); err != nil {
				t.Fatal(err)
			}
			if err := WriteJSON(&js, r); err != nil {
				t.Fatal(err)
			}
			for name, out := range map[string]string{"text": text.String(), "markdown": md.String(), "json": js.String()} {
				for _, w := range tc.want {
					if !strings.Contains(out, w) {
						t.Errorf("%s: no %q in\n%s", name, w, out)
					}
				}
				for _, never := range []string{"ENC[", "AGE ENCRYPTED", "mac", "lastmodified"} {
					if strings.Contains(out, never) {
						t.Errorf("%s shows %q:\n%s", name, never, out)
					}
				}
			}
		})
	}
}
