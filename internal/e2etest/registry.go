package e2etest

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Registry is an OCI registry in this process (go-containerregistry's, in memory) on
// 127.0.0.1, over plain HTTP.
type Registry struct {
	srv *httptest.Server
	// Host is host:port, for references such as Host + "/ml/prod/platform:prod".
	Host string
}

// StartRegistry starts a registry on a free loopback port.
func StartRegistry() *Registry {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	return &Registry{srv: srv, Host: strings.TrimPrefix(srv.URL, "http://")}
}

// Close stops the registry.
func (r *Registry) Close() { r.srv.Close() }
