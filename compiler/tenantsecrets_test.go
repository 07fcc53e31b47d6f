package compiler_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
)

// TestEncryptedSecretInTheCacheKey: the tenant's encrypted file is part of its cache
// key. Rotating the file (SOPS re-encrypts it whole) compiles the tenant again, and the
// new bytes, exactly, are published; so does a new file the tenant does not name yet.
func TestEncryptedSecretInTheCacheKey(t *testing.T) {
	repo := copyDir(t, filepath.Join("..", "examples", "quickstart"))
	file := filepath.Join(repo, "tenants", "vision", "secrets", "wandb.sops.yaml")
	rotated, err := os.ReadFile(filepath.Join("testdata", "sops", "wandb-rotated.sops.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cached := compiler.Options{CacheDir: t.TempDir()}
	step := func(name string, wantEvaluated int) string {
		t.Helper()
		got, res := rendered(t, repo, cached)
		if cold, _ := rendered(t, repo, compiler.Options{NoCache: true}); got != cold {
			t.Errorf("%s: the output differs from a render without the cache", name)
		}
		if res.Stats.Evaluated != wantEvaluated {
			t.Errorf("%s: %d tenants evaluated, want %d", name, res.Stats.Evaluated, wantEvaluated)
		}
		return got
	}
	step("cold", 2)
	step("warm", 0)
	if err := os.WriteFile(file, rotated, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := step("rotated", 1); !strings.Contains(got, string(rotated)) {
		t.Error("the rotated file is not published byte for byte")
	}
	step("warm again", 0)
	if err := os.WriteFile(filepath.Join(repo, "tenants", "vision", "secrets", "next.sops.yaml"), rotated, 0o644); err != nil {
		t.Fatal(err)
	}
	step("a new file in the tenant's folder", 1)
}

// TestEncryptedSecretPublishedAsIs: the file is in the tenant's artifact byte for byte,
// only the tenant's main Kustomization decrypts (its pipelines' applies no Secret), and
// no tenant without encrypted Secrets has decryption.
func TestEncryptedSecretPublishedAsIs(t *testing.T) {
	dir := filepath.Join("..", "examples", "quickstart")
	want, err := os.ReadFile(filepath.Join(dir, "tenants", "vision", "secrets", "wandb.sops.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tree := renderTree(t, dir, compiler.Options{NoCache: true})
	files := map[string][]byte{}
	for _, f := range tree.Files {
		files[f.Path] = f.Data
	}
	for _, cluster := range []string{"prod", "staging"} {
		if got := files[cluster+"/tenants/vision/secret_wandb.yaml"]; !bytes.Equal(got, want) {
			t.Errorf("%s: the published Secret differs from the repository's file:\n%s", cluster, got)
		}
		for file, decrypts := range map[string]bool{
			"platform/vision/kustomization_mlc-tenant.yaml":           true,
			"platform/vision/kustomization_mlc-tenant-pipelines.yaml": false,
			"platform/nlp/kustomization_mlc-tenant.yaml":              false,
		} {
			data, ok := files[cluster+"/"+file]
			if !ok {
				continue // the cluster does not run the tenant
			}
			if got := bytes.Contains(data, []byte("decryption:\n    provider: sops\n    secretRef:\n      name: sops-keys\n")); got != decrypts {
				t.Errorf("%s/%s: decryption %v, want %v:\n%s", cluster, file, got, decrypts, data)
			}
		}
	}
}

// TestExternalSecret: an external secret compiles to an ExternalSecret of the store the
// clusters allow, valid by External Secrets' CRD, and its keys are the ones references
// must name; a store a cluster does not list is an error at the store's line.
func TestExternalSecret(t *testing.T) {
	repo := copyDir(t, filepath.Join("..", "examples", "quickstart"))
	appendFile(t, filepath.Join(repo, "platform.cue"), `
clusters: prod: externalSecrets: clusterSecretStores: ["vault"]
clusters: staging: externalSecrets: {clusterSecretStores: ["vault"], secretStores: ["team"]}
`)
	secrets := filepath.Join(repo, "tenants", "vision", "secrets.cue")
	appendFile(t, secrets, `
secrets: hf: external: {
	store: "vault"
	data: token: {remoteKey: "ml/hf", property: "token"}
}
notebooks: "alice-dev": env: HF_TOKEN: secret: {name: "hf", key: "token"}
`)
	got, _ := rendered(t, repo, compiler.Options{NoCache: true})
	want := `# prod/tenants/vision/externalsecret_hf.yaml
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: hf
  namespace: vision
spec:
  data:
  - remoteRef:
      key: ml/hf
      property: token
    secretKey: token
  refreshInterval: 1h
  secretStoreRef:
    kind: ClusterSecretStore
    name: vault
  target:
    creationPolicy: Owner
    name: hf
`
	if !strings.Contains(got, want) {
		t.Errorf("no ExternalSecret as wanted in the render:\n%s", want)
	}

	for _, tc := range []struct{ name, decl, want string }{
		{"a store prod does not list", `secrets: gh: external: {store: "team", storeKind: "SecretStore", extract: ["ml/gh"]}`, `cluster prod lets tenants read no SecretStore "team" (clusters.prod.externalSecrets.secretStores: none)`},
		{"a key the store's data lacks", `notebooks: "alice-dev": env: HF_USER: secret: {name: "hf", key: "user"}`, `Secret "hf" (secrets.hf) has no key "user"; its keys: token`},
		{"both sources", `secrets: db: {sops: "db.yaml", external: {store: "vault", extract: ["ml/db"]}}`, "set sops (a file encrypted with SOPS) or external (an ExternalSecret), not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := copyDir(t, repo)
			appendFile(t, filepath.Join(bad, "tenants", "vision", "secrets.cue"), "\n"+tc.decl+"\n")
			res, err := compiler.Compile(context.Background(), bad, compiler.Options{NoCache: true})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Diagnostics.HasErrors() || !strings.Contains(res.Diagnostics.Error(), tc.want) {
				t.Fatalf("diagnostics %v, want %q", res.Diagnostics, tc.want)
			}
			if d := res.Diagnostics[0]; d.Pos.File != "tenants/vision/secrets.cue" || d.Pos.Line == 0 {
				t.Errorf("at %v, want the declaration's line", d.Pos)
			}
		})
	}
}

// TestEncryptedSecretWithoutFlux: without Flux wiring nothing decrypts the file, which
// is said as a warning at the declaration.
func TestEncryptedSecretWithoutFlux(t *testing.T) {
	repo := copyDir(t, filepath.Join("..", "examples", "quickstart"))
	platform := filepath.Join(repo, "platform.cue")
	src, err := os.ReadFile(platform)
	if err != nil {
		t.Fatal(err)
	}
	flux := regexp.MustCompile(`(?s)\nflux: \{.*?\n\}\n`)
	if !flux.Match(src) {
		t.Fatal("the quickstart's platform.cue has no flux block to remove")
	}
	if err := os.WriteFile(platform, flux.ReplaceAll(src, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(context.Background(), repo, compiler.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() || len(res.Diagnostics) != 1 {
		t.Fatalf("diagnostics %v, want one warning", res.Diagnostics)
	}
	if d := res.Diagnostics[0]; d.Pos.File != "tenants/vision/secrets.cue" || d.Path != "secrets.wandb.sops" || !strings.Contains(d.Message, "nothing the render writes decrypts this Secret") {
		t.Errorf("got %v at %v", d.Message, d.Pos)
	}
}
