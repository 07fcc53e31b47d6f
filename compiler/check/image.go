package check

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// image checks that a full image reference parses and comes from an allowed registry.
func (r *reporter) image(path, ref string, allowed []string) {
	parsed, err := name.ParseReference(ref)
	if err != nil {
		r.errorf(path, "%q is not a valid image reference: %v", ref, err)
		return
	}
	if len(allowed) == 0 {
		return
	}
	full := parsed.Context().String()
	for _, prefix := range allowed {
		if registryMatch(ref, prefix) || registryMatch(full, prefix) || registryMatch(full, normaliseDockerHub(prefix)) {
			return
		}
	}
	r.errorf(path, "image %q is not from an allowed registry (policy.allowedRegistries: %s)", ref, strings.Join(allowed, ", "))
}

// registryMatch reports whether ref starts with prefix at a path boundary, so that
// "ghcr.io/kubeflow" allows "ghcr.io/kubeflow/x" but not "ghcr.io/kubeflowx/y".
func registryMatch(ref, prefix string) bool {
	if !strings.HasPrefix(ref, prefix) {
		return false
	}
	rest := ref[len(prefix):]
	return strings.HasSuffix(prefix, "/") || rest == "" || rest[0] == '/' || rest[0] == ':' || rest[0] == '@'
}

// normaliseDockerHub writes Docker Hub prefixes the way go-containerregistry names them.
func normaliseDockerHub(prefix string) string {
	if rest, ok := strings.CutPrefix(prefix, "docker.io/"); ok {
		return "index.docker.io/" + rest
	}
	if prefix == "docker.io" {
		return "index.docker.io"
	}
	return prefix
}
