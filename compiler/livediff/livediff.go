// Package livediff compares the objects a repository renders for one cluster with what
// that cluster runs, the way Flux would change it. It runs Flux's own apply, the
// ResourceManager of github.com/fluxcd/pkg/ssa that kustomize-controller uses, against
// a client that sends only dry runs: each Kustomization's objects with Flux's field
// manager and owner labels, in Flux's stages, diffed by ssa against the live objects;
// what Flux would prune is what the inventories of the Kustomizations mlc wires hold and
// the repository no longer renders, as ssa's prune would delete it. The API server
// thereby also checks what offline validation cannot: immutable fields, admission, the
// CRDs the cluster really has.
package livediff

import (
	"context"
	"errors"
	"fmt"
	"slices"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"github.com/fluxcd/pkg/ssa"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/discovery"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mlc-gitops/mlc/compiler"
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

// Flux's kustomize-controller applies with this field manager, and labels every object
// with the Kustomization that applied it (ssa's owner labels, under fluxGroup).
const (
	fluxFieldManager = "kustomize-controller"
	fluxGroup        = "kustomize.toolkit.fluxcd.io"
	// ownFieldManager applies what no Kustomization applies: the cluster's bootstrap,
	// or everything when the platform has no Flux wiring.
	ownFieldManager = "mlc"
)

// live is a connection to the cluster's API server, through Flux's apply machinery.
type live struct {
	// client only ever sends dry runs: nothing the preview does is stored.
	client client.Client
	disc   discovery.DiscoveryInterface
	// flux applies as kustomize-controller does, own as mlc applies the bootstrap.
	flux, own *ssa.ResourceManager
}

// scheme holds the Kubernetes and Flux types the preview reads.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(kustomizev1.AddToScheme(s))
	utilruntime.Must(sourcev1.AddToScheme(s))
	return s
}()

func newLive(cfg *rest.Config) (*live, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	if cfg.WarningHandler == nil && cfg.WarningHandlerWithContext == nil {
		cfg.WarningHandler = rest.WarningLogger{} // client-go's: the API server's warnings on stderr
	}
	dryRun := true
	// The client logs as client-go does, through klog: controller-runtime's own logger
	// is for controllers, and says so on stderr when nobody set it.
	c, err := client.New(cfg, client.Options{Scheme: scheme, DryRun: &dryRun, Log: klog.Background()})
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &live{
		client: c,
		disc:   disc,
		flux:   ssa.NewResourceManager(c, nil, ssa.Owner{Field: fluxFieldManager, Group: fluxGroup}),
		own:    ssa.NewResourceManager(c, nil, ssa.Owner{Field: ownFieldManager}),
	}, nil
}

// manager is the resource manager that applies as by does.
func (l *live) manager(by applier) *ssa.ResourceManager {
	if by == (applier{}) {
		return l.own
	}
	return l.flux
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

func objectName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}
