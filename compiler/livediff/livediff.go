// Package livediff compares the objects a repository renders for one cluster with what
// that cluster runs, the way Flux would change it: each rendered object is applied to the
// API server as a server-side dry run, with the field manager and labels Flux's
// kustomize-controller uses, and the result is compared with the live object. What Flux
// would prune comes from the inventories of the Kustomizations mlc wires. The API server
// thereby also checks what offline validation cannot: immutable fields, admission, the
// CRDs the cluster really has.
package livediff

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/diff"
)

// Options say what to compare with which cluster.
type Options struct {
	// Dir is the platform repository, compiled as it is on disk.
	Dir string
	// Cluster is the repository's cluster that Config points at.
	Cluster string
	// Tenants, when not empty, limits the comparison to these tenants (and the cluster's
	// own objects).
	Tenants []string
	// Connect returns the configuration that reaches the cluster's API server and the
	// kubeconfig context's name (for people; may be empty). It is called once the
	// repository has compiled, so that mistakes in the repository or the selection are
	// reported first.
	Connect func() (*rest.Config, string, error)
	// Workers is how many objects are sent to the API server at once; 8 if zero.
	Workers int
}

// Preview compiles the repository for o.Cluster and compares its objects with the
// cluster's. The report's base is the cluster, its head the repository. Problems in the
// repository make the head Invalid, objects the API server refuses make it Rejected; in
// both cases the report has no changes. The error is for the rest: an unknown cluster,
// an unreachable API server, a context whose Flux follows another cluster's artifacts.
func Preview(ctx context.Context, o Options) (*diff.Report, error) {
	if o.Cluster == "" {
		return nil, errors.New("name the cluster to compare with")
	}
	res, err := compiler.Compile(ctx, o.Dir, compiler.Options{Clusters: []string{o.Cluster}, Tenants: o.Tenants})
	if err != nil {
		return nil, err
	}
	base := diff.Revision{Ref: "cluster " + o.Cluster, State: diff.Compiled}
	head := diff.Revision{State: diff.Compiled, Diagnostics: res.Diagnostics}
	if res.Diagnostics.HasErrors() {
		head.State, base.State = diff.Invalid, diff.Skipped
		return finish(nil, nil, base, head)
	}
	if o.Connect == nil {
		return nil, errors.New("no cluster to compare with")
	}
	cfg, context, err := o.Connect()
	if err != nil {
		return nil, err
	}
	if context != "" {
		base.Ref += " (context " + context + ")"
	}
	l, err := newLive(cfg)
	if err != nil {
		return nil, err
	}
	if err := l.reachable(cfg, context); err != nil {
		return nil, err
	}
	p := plan(res, o.Tenants)
	if err := l.checkCluster(ctx, p); err != nil {
		return nil, err
	}
	workers := o.Workers
	if workers <= 0 {
		workers = 8
	}
	sides, rejected, err := l.dryRun(ctx, p, workers)
	if err != nil {
		return nil, err
	}
	if len(rejected) > 0 {
		head.State = diff.Rejected
		head.Diagnostics = append(slices.Clone(head.Diagnostics), rejected...)
		return finish(nil, nil, base, head)
	}
	if err := l.pruned(ctx, p, sides.base); err != nil {
		return nil, err
	}
	return finish(diff.Snapshot{o.Cluster: sides.base}, diff.Snapshot{o.Cluster: sides.head}, base, head)
}

func finish(base, head diff.Snapshot, b, h diff.Revision) (*diff.Report, error) {
	r, err := diff.Compare(base, head)
	if err != nil {
		return nil, err
	}
	r.Base, r.Head = b, h
	return r, nil
}

// live is a connection to the cluster's API server.
type live struct {
	dyn    dynamic.Interface
	disc   discovery.DiscoveryInterface
	mapper meta.RESTMapper
}

func newLive(cfg *rest.Config) (*live, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &live{dyn: dyn, disc: disc, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))}, nil
}

// reachable asks the API server its version, so that a cluster that cannot be reached
// is said once, plainly, rather than as the failure of the first object tried.
func (l *live) reachable(cfg *rest.Config, context string) error {
	if _, err := l.disc.ServerVersion(); err != nil {
		where := cfg.Host
		if context != "" {
			where += " (context " + context + ")"
		}
		return fmt.Errorf("cannot reach the cluster's API server at %s: %w", where, err)
	}
	return nil
}

// rejection is the diagnostic for an object the API server refuses.
func rejection(it item, msg string) diag.Diagnostic {
	return diag.Diagnostic{
		Severity: diag.Error,
		Path:     it.obj.Source,
		Message:  fmt.Sprintf("the cluster refuses %s %s: %s", it.obj.Kind(), objectName(it.obj.Namespace(), it.obj.Name()), msg),
	}
}

func objectName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}
