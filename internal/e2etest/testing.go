package e2etest

import (
	"context"
	"errors"
	"testing"
)

// New starts a cluster for the test and stops it when the test and its subtests end,
// whether they pass or fail; a failing test's report gets the end of each server's log.
// It skips or fails as Require says when the binaries are missing.
func New(t testing.TB, opts Options) *Cluster {
	t.Helper()
	Require(t)
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	c, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("end of the cluster's logs:\n%s", c.Logs(6000))
		}
		c.Stop()
	})
	return c
}

// NewRegistry starts an in-process OCI registry on loopback for the test.
func NewRegistry(t testing.TB) *Registry {
	r := StartRegistry()
	t.Cleanup(r.Close)
	return r
}

// RequireUpstreamCRDs returns the upstream CRD files, failing (in CI or without -short)
// or skipping the test when they cannot be found.
func RequireUpstreamCRDs(t testing.TB) []string {
	t.Helper()
	files, err := UpstreamCRDs()
	if err != nil {
		unavailable(t, err.Error())
	}
	return files
}

// NewStandIns starts the stand-ins of the cluster's webhooks and workloads
// (Cluster.StartStandIns) for the test, and stops them when it ends. It skips the test
// when the machine has no address the API server may route webhooks to.
func NewStandIns(t testing.TB, c *Cluster) *StandIns {
	t.Helper()
	s, err := c.StartStandIns(context.Background())
	if errors.Is(err, ErrNoHostAddress) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// RequireKubeflowManifests returns the folder of upstream's kubeflow/manifests
// (KubeflowManifests), failing (in CI or without -short) or skipping the test when it
// cannot be found.
func RequireKubeflowManifests(t testing.TB) string {
	t.Helper()
	dir, err := KubeflowManifests()
	if err != nil {
		unavailable(t, err.Error())
	}
	return dir
}
