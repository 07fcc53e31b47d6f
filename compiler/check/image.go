package check

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/distribution/reference"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// An image reference is read with the grammar of github.com/distribution/reference, the
// one containerd (and so the kubelet) normalises references with: what it refuses, a
// node cannot pull, and what it accepts names exactly one registry and repository.

// ImageRef is an image reference as a node pulls it: the registry host (lower case,
// Docker Hub as docker.io) and the repository path's components.
type ImageRef struct {
	Domain string
	Path   []string
}

// ParseImage reads a full image reference ("ghcr.io/acme/train:1", "python:3.12") as a
// node's container runtime does. The error says what is wrong with it.
func ParseImage(ref string) (ImageRef, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ImageRef{}, badReference(ref, err)
	}
	return ImageRef{
		Domain: strings.ToLower(reference.Domain(named)),
		Path:   strings.Split(reference.Path(named), "/"),
	}, nil
}

// badReference explains why a reference does not parse, naming the part at fault
// where it can.
func badReference(ref string, err error) error {
	name := ref
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	parts := strings.Split(name, "/")
	for i, part := range parts {
		if i == len(parts)-1 {
			part, _, _ = strings.Cut(part, ":")
		}
		switch {
		case part == "":
			return fmt.Errorf("it has an empty path component (a '/' at the start or end, or two together)")
		case part == "." || part == "..":
			return fmt.Errorf("%q is not a repository name: an image path is a name, not a file path", part)
		case i > 0 && strings.ToLower(part) != part:
			return fmt.Errorf("the repository path must be lower case (%s)", part)
		}
	}
	return fmt.Errorf("%v; write registry/path/name:tag or @sha256:digest, each path component lower-case letters and digits, separated by '.', '_', '__' or '-'", err)
}

// RegistryPrefix is an entry of policy.allowedRegistries: a registry host, and
// optionally the first components of the repository paths allowed there.
type RegistryPrefix struct {
	Domain string
	Path   []string
}

// ParseRegistryPrefix reads an entry of policy.allowedRegistries: "ghcr.io",
// "ghcr.io/kubeflow/" or "registry.local:5000/team/models". The host comes first, as
// in an image reference; a trailing '/' changes nothing.
func ParseRegistryPrefix(s string) (RegistryPrefix, error) {
	trimmed := strings.TrimSuffix(s, "/")
	domain, path, _ := strings.Cut(trimmed, "/")
	if domain != "localhost" && !strings.ContainsAny(domain, ".:") {
		return RegistryPrefix{}, fmt.Errorf("%q does not start with a registry host: write the host first, as in docker.io/%s", s, trimmed)
	}
	// The host and path are checked by parsing them as an image name, with a path
	// standing in for an entry that allows a whole registry.
	probe := trimmed
	if path == "" {
		probe += "/x"
	}
	named, err := reference.ParseNamed(probe)
	if err != nil {
		// ParseNamed refuses names that are not canonical; an entry for Docker Hub
		// written as index.docker.io is one of them.
		named, err = reference.ParseNormalizedNamed(probe)
	}
	if err != nil {
		return RegistryPrefix{}, fmt.Errorf("%q is not a registry host and path: %w", s, badReference(probe, err))
	}
	if !reference.IsNameOnly(named) {
		return RegistryPrefix{}, fmt.Errorf("%q names a tag or digest: an entry is a registry host, optionally with the start of a repository path", s)
	}
	p := RegistryPrefix{Domain: strings.ToLower(reference.Domain(named))}
	if path != "" {
		p.Path = strings.Split(path, "/")
	}
	return p, nil
}

// Allows reports whether the image comes from the prefix's registry and its path
// starts with the prefix's components, whole components only: "ghcr.io/acme" allows
// "ghcr.io/acme/x" but not "ghcr.io/acme-evil/x".
func (p RegistryPrefix) Allows(img ImageRef) bool {
	return img.Domain == p.Domain && len(img.Path) >= len(p.Path) && slices.Equal(img.Path[:len(p.Path)], p.Path)
}

// anchoredTag matches a whole image tag.
var anchoredTag = regexp.MustCompile(`^(?:` + reference.TagRegexp.String() + `)$`)

// imageTag checks a tag that is put after a runtime's image.
func (r *reporter) imageTag(path, tag string) {
	if !anchoredTag.MatchString(tag) {
		r.errorf(path, "%q is not an image tag: at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", tag)
	}
}

// imageError is what is wrong with an image a workload runs.
type imageError struct {
	// syntax is set when the reference does not parse.
	syntax error
	// allowed lists policy.allowedRegistries when the image comes from none of them.
	allowed []string
}

// judgeImage checks a full image reference against the grammar and the policy's
// allowed registries; nil when both accept it. Entries of the policy that do not parse
// are reported at the policy (checkImagePolicy) and allow nothing here.
func judgeImage(ref string, allowed []string) *imageError {
	img, err := parsedImages.get(ref, ParseImage)
	if err != nil {
		return &imageError{syntax: err}
	}
	if len(allowed) == 0 {
		return nil
	}
	for _, entry := range allowed {
		if p, err := parsedPrefixes.get(entry, ParseRegistryPrefix); err == nil && p.Allows(img) {
			return nil
		}
	}
	return &imageError{allowed: allowed}
}

// A repository names the same few images and registries over and over (every notebook
// of the catalog's images): each is parsed once.
var (
	parsedImages   memo[ImageRef]
	parsedPrefixes memo[RegistryPrefix]
)

// memo keeps the results of a function of a string, for concurrent use.
type memo[T any] struct{ m sync.Map }

type memoEntry[T any] struct {
	v   T
	err error
}

func (c *memo[T]) get(key string, f func(string) (T, error)) (T, error) {
	if e, ok := c.m.Load(key); ok {
		e := e.(memoEntry[T])
		return e.v, e.err
	}
	v, err := f(key)
	c.m.Store(key, memoEntry[T]{v, err})
	return v, err
}

// image checks a full image reference that a workload runs.
func (r *reporter) image(path, ref string, allowed []string) {
	switch e := judgeImage(ref, allowed); {
	case e == nil:
	case e.syntax != nil:
		r.errorf(path, "%q is not a valid image reference: %v", ref, e.syntax)
	default:
		r.errorf(path, "image %q is not from an allowed registry (policy.allowedRegistries: %s)", ref, strings.Join(e.allowed, ", "))
	}
}

// catalogImage checks an image written as a name of the platform's image catalog or
// as a full reference, as notebooks, training jobs and pipeline steps take it.
func (r *reporter) catalogImage(p *model.Platform, path, written string) {
	image := p.ResolveImage(written)
	if image == written && !strings.ContainsAny(written, "/:@") {
		r.errorf(path, "%q is neither in the platform's image catalog (%s) nor a full image reference", written, keyList(p.Defaults.ImageCatalog))
		return
	}
	r.image(path, image, p.Policy.AllowedRegistries)
}

// imagePolicy checks the platform's entries of policy.allowedRegistries and the
// references of its image catalog, at the platform's lines. A catalog image the policy
// does not allow is reported where a tenant uses it.
func (r *reporter) imagePolicy(p *model.Platform) {
	for i, entry := range p.Policy.AllowedRegistries {
		if _, err := ParseRegistryPrefix(entry); err != nil {
			r.errorf(fmt.Sprintf("policy.allowedRegistries[%d]", i), "%v", err)
		}
	}
	if img := p.Defaults.Pipelines.ScheduleImage; img != "" {
		if _, err := ParseImage(img); err != nil {
			r.errorf("defaults.pipelines.scheduleImage", "%q is not a valid image reference: %v", img, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Defaults.ImageCatalog)) {
		if _, err := ParseImage(p.Defaults.ImageCatalog[name]); err != nil {
			r.errorf(model.Path("defaults", "imageCatalog", name), "%q is not a valid image reference: %v", p.Defaults.ImageCatalog[name], err)
		}
	}
}
