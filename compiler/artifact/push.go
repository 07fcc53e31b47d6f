package artifact

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Pusher publishes artifacts to an OCI registry with the user's Docker credentials
// (config file and credential helpers).
type Pusher struct {
	// Insecure allows plain HTTP to any registry; loopback registries always may use it.
	Insecure bool
	// Progress, when set, receives upload progress updates.
	Progress chan<- v1.Update
	// Keychain resolves credentials; authn.DefaultKeychain when nil.
	Keychain authn.Keychain
	// Transport is the HTTP transport; remote's default when nil.
	Transport http.RoundTripper
	// Backoff spaces the retries of requests that fail transiently (connection errors,
	// HTTP 408, 429, 5xx); DefaultBackoff when zero.
	Backoff remote.Backoff
}

// DefaultBackoff tries a request five times over about 15 seconds, long enough to
// ride out a registry's restart or a rate limit's window.
var DefaultBackoff = remote.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.1, Steps: 5}

// ErrDigestMismatch is a registry that, after the upload, names something else than
// the artifact mlc computed: a proxy or the registry changed the manifest.
var ErrDigestMismatch = errors.New("digest mismatch")

// Pushed is what a push did.
type Pushed struct {
	// Repository is the artifact's repository, without a scheme.
	Repository string
	Digest     v1.Hash
	// Uploaded is false when the registry already had the digest and only tags moved.
	Uploaded bool
}

// Push uploads img to repository (no scheme) unless the registry already holds its digest,
// then points each tag at it, in order. Put the moving tags last: a tag moves only after
// the artifact is complete in the registry, so it never names a half-pushed one.
func (p *Pusher) Push(ctx context.Context, repository string, img v1.Image, tags []string) (Pushed, error) {
	out := Pushed{Repository: repository}
	var opts []name.Option
	if p.Insecure || isLoopback(repository) {
		opts = append(opts, name.Insecure)
	}
	repo, err := name.NewRepository(repository, opts...)
	if err != nil {
		return out, fmt.Errorf("%s: not a valid OCI repository: %w", repository, err)
	}
	if out.Digest, err = img.Digest(); err != nil {
		return out, err
	}
	keychain := p.Keychain
	if keychain == nil {
		keychain = authn.DefaultKeychain
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain)}
	if p.Transport != nil {
		ropts = append(ropts, remote.WithTransport(p.Transport))
	}
	if p.Progress != nil {
		ropts = append(ropts, remote.WithProgress(p.Progress))
	}
	backoff := p.Backoff
	if backoff == (remote.Backoff{}) {
		backoff = DefaultBackoff
	}
	ropts = append(ropts, remote.WithRetryBackoff(backoff))

	_, err = remote.Head(repo.Digest(out.Digest.String()), ropts...)
	switch {
	case err == nil:
		// The registry has this exact artifact: nothing to upload.
	case isNotFound(err):
		if len(tags) == 0 {
			return out, errors.New("no tag to push to")
		}
		if err := remote.Write(repo.Tag(tags[0]), img, ropts...); err != nil {
			return out, describe(repository, err)
		}
		out.Uploaded = true
		// The moving tags follow only once the registry holds exactly this artifact.
		desc, err := remote.Head(repo.Tag(tags[0]), ropts...)
		if err != nil {
			return out, describe(repository+":"+tags[0], err)
		}
		if desc.Digest != out.Digest {
			return out, fmt.Errorf("%s:%s: the registry holds %s after the upload, not the artifact's %s (a proxy or the registry changed the manifest); no other tag was moved: %w",
				repository, tags[0], desc.Digest, out.Digest, ErrDigestMismatch)
		}
		tags = tags[1:]
	default:
		return out, describe(repository, err)
	}
	for _, tag := range tags {
		if err := remote.Tag(repo.Tag(tag), img, ropts...); err != nil {
			return out, describe(repository+":"+tag, err)
		}
	}
	return out, nil
}

func isNotFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}

// describe turns registry errors into messages that say what to do.
func describe(ref string, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%s: the registry refused the credentials (HTTP %d); log in with `docker login` or a credential helper: %w", ref, terr.StatusCode, err)
		}
	}
	var nerr net.Error
	if errors.As(err, &nerr) || strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "no such host") {
		return fmt.Errorf("%s: cannot reach the registry: %w", ref, err)
	}
	return fmt.Errorf("%s: %w", ref, err)
}

// isLoopback reports whether a repository's registry is on this machine.
func isLoopback(repository string) bool {
	host, _, _ := strings.Cut(repository, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
