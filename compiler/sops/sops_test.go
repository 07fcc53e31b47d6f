package sops

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func read(t *testing.T, path ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(path...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCheck: a Secret manifest encrypted with SOPS, in YAML or JSON, gives its names
// and keys; anything less than one Secret encrypted in every value is refused, naming
// the file and never a value.
func TestCheck(t *testing.T) {
	t.Parallel()
	yamlFile := read(t, "..", "..", "examples", "quickstart", "tenants", "vision", "secrets", "wandb.sops.yaml")
	jsonFile := read(t, "..", "testdata", "sops", "db.sops.json")
	for _, tc := range []struct {
		name, data, want string
		keys             []string
	}{
		{"YAML", yamlFile, "", []string{"api-key"}},
		{"JSON, data and stringData", jsonFile, "", []string{"password", "user"}},
		{"a plaintext value", strings.Replace(yamlFile, "api-key: ENC[", "user: hunter2-not-real\n    api-key: ENC[", 1), "stringData.user not encrypted", nil},
		{"no mac", strings.Replace(yamlFile, "    mac: ", "    notmac: ", 1), "not encrypted with SOPS", nil},
		{"no sops metadata", yamlFile[:strings.Index(yamlFile, "sops:")], "not encrypted with SOPS", nil},
		{"a ConfigMap", strings.Replace(yamlFile, "kind: Secret", "kind: ConfigMap", 1), "not a Secret", nil},
		{"two documents", yamlFile + "---\n" + yamlFile, "holds 2 YAML documents", nil},
		{"no final newline", strings.TrimSuffix(yamlFile, "\n"), "does not end with a newline", nil},
		{"not YAML", "{", "not a Secret manifest", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Check([]byte(tc.data), "tenants/x/s.yaml")
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want == "" && !slices.Equal(s.Keys, tc.keys):
				t.Errorf("keys %v, want %v", s.Keys, tc.keys)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "tenants/x/s.yaml")):
				t.Errorf("err = %v, want %q naming the file", err, tc.want)
			case err != nil && strings.Contains(err.Error(), "hunter2"):
				t.Errorf("err shows a value: %v", err)
			}
		})
	}
}
