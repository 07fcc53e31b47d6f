package check

import (
	"strings"
	"testing"
)

// TestJudgeImage: images are read with the container runtime's grammar and compared
// with policy.allowedRegistries host to host and path component to path component.
func TestJudgeImage(t *testing.T) {
	allowed := []string{"ghcr.io/example/", "ghcr.io/kubeflow", "docker.io/library/", "registry.local:5000", "GHCR.io/Upper-Host-Case-Entry/"}
	cases := []struct {
		ref  string
		want string // "" when allowed, "registry" when refused by the policy, else part of the syntax error
	}{
		{"ghcr.io/example/train:1", ""},
		{"ghcr.io/example/team/train@sha256:" + strings.Repeat("a", 64), ""},
		{"ghcr.io/kubeflow/kubeflow/notebook-servers/jupyter-scipy:v1.10.0", ""},
		{"python:3.12", ""}, // docker.io/library/python
		{"docker.io/library/python:3.12", ""},
		{"index.docker.io/library/python:3.12", ""},
		{"registry.local:5000/anything/at/all:1", ""},
		{"GHCR.IO/example/train:1", ""}, // hosts are not case sensitive
		{"ghcr.io/example/../../evil/miner:1", `".." is not a repository name`},
		{"ghcr.io/example/./miner:1", `"." is not a repository name`},
		{"ghcr.io/example//miner:1", "empty path component"},
		{"ghcr.io/example/miner/:1", "empty path component"},
		{"ghcr.io/Example/miner:1", "must be lower case"},
		{"ghcr.io/example/miner:1 ", "invalid reference format"},
		{"ghcr.io/example/miner@sha256:abc", "invalid reference format"},
		{strings.Repeat("a", 64), "64-byte hexadecimal"},
		{"ghcr.io/example-evil/miner:1", "registry"}, // a prefix of a component is not the component
		{"ghcr.io/examplex:1", "registry"},
		{"ghcr.io/kubeflowx/y:1", "registry"},
		{"ghcr.io/upper-host-case-entry/x:1", "registry"}, // the entry's path is not lower case: it allows nothing
		{"docker.io/bitnami/redis:7", "registry"},
		{"redis:7", ""},                    // docker.io/library/redis
		{"registry.local/x:1", "registry"}, // another port is another registry
		{"evil.io/ghcr.io/example/x:1", "registry"},
		{"ghcr.io.evil.io/example/x:1", "registry"},
	}
	for _, tc := range cases {
		e := judgeImage(tc.ref, allowed)
		switch {
		case tc.want == "" && e != nil:
			t.Errorf("%q: refused (%+v), want allowed", tc.ref, *e)
		case tc.want == "":
		case e == nil:
			t.Errorf("%q: allowed, want refused (%s)", tc.ref, tc.want)
		case tc.want == "registry" && (e.syntax != nil || len(e.allowed) == 0):
			t.Errorf("%q: %+v, want refused by the policy", tc.ref, *e)
		case tc.want != "registry" && (e.syntax == nil || !strings.Contains(e.syntax.Error(), tc.want)):
			t.Errorf("%q: %+v, want a syntax error containing %q", tc.ref, *e, tc.want)
		}
	}
	if e := judgeImage("ghcr.io/anyone/x:1", nil); e != nil {
		t.Errorf("no policy: refused %+v", *e)
	}
}

// TestParseRegistryPrefix: entries of policy.allowedRegistries name a registry host
// first, and a path of whole components; anything else is refused with a reason.
func TestParseRegistryPrefix(t *testing.T) {
	cases := []struct {
		entry, domain, path, err string
	}{
		{entry: "ghcr.io", domain: "ghcr.io"},
		{entry: "ghcr.io/", domain: "ghcr.io"},
		{entry: "ghcr.io/kubeflow/", domain: "ghcr.io", path: "kubeflow"},
		{entry: "ghcr.io/a/b", domain: "ghcr.io", path: "a/b"},
		{entry: "localhost/x", domain: "localhost", path: "x"},
		{entry: "registry.local:5000/team", domain: "registry.local:5000", path: "team"},
		{entry: "index.docker.io/library", domain: "docker.io", path: "library"},
		{entry: "docker.io/bitnami", domain: "docker.io", path: "bitnami"},
		{entry: "Quay.IO/x", domain: "quay.io", path: "x"},
		{entry: "kubeflow/", err: "does not start with a registry host"},
		{entry: "ghcr.io/a/../b", err: `".." is not a repository name`},
		{entry: "ghcr.io//a", err: "empty path component"},
		{entry: "ghcr.io/A", err: "must be lower case"},
		{entry: "ghcr.io/a/b:1", err: "names a tag or digest"},
		{entry: "ghcr.io/a b", err: "invalid reference format"},
	}
	for _, tc := range cases {
		p, err := ParseRegistryPrefix(tc.entry)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one containing %q", tc.entry, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.entry, err)
		case p.Domain != tc.domain || strings.Join(p.Path, "/") != tc.path:
			t.Errorf("%q: %q %q, want %q %q", tc.entry, p.Domain, p.Path, tc.domain, tc.path)
		}
	}
}
