package e2etest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// StandIns play, in the test process, the parts of a Kubeflow installation that would
// run as pods, which this cluster cannot run (docs/e2e.md names each):
//
//   - the webhook servers: one TLS server answers every admission webhook that an
//     installed MutatingWebhookConfiguration or ValidatingWebhookConfiguration names by
//     its clientConfig.service, reached through that service as the API server reaches
//     any webhook; it admits, except for the upstream rules in admissionRules, and
//     mutating webhooks answer with no patch;
//   - cert-manager's cainjector (and istiod's and the Trainer's own certificate
//     rotation): each such webhook's caBundle is set to the CA of the server's
//     certificates;
//   - the pods behind the webhooks' services: an EndpointSlice per service points its
//     webhook ports at the server;
//   - readiness: Deployments, StatefulSets and DaemonSets get the status their
//     controllers write once the pods are ready, PersistentVolumeClaims the Bound phase
//     the volume binder writes, Jobs the status of a completed Job, so that Flux's
//     health checks (wait: true) pass;
//   - the controllers of customStandIns: cert-manager (issuers Ready, certificates
//     issued into their Secrets), Kubeflow's notebook controller and KServe's (notebooks
//     running, inference services Ready).
//
// Webhook configurations, services and CRDs are followed as they come and change, so
// that an installation applied by Flux is served the same as one applied by the test.
type StandIns struct {
	c     *Cluster
	logf  func(string, ...any)
	hooks *webhookServer

	factory    informers.SharedInformerFactory
	dynFactory dynamicinformer.DynamicSharedInformerFactory
	queue      workqueue.TypedRateLimitingInterface[workItem]
	cancel     context.CancelFunc
	wg         sync.WaitGroup

	// mu serialises the reconciles of the webhooks: the background one and Sync's.
	mu       sync.Mutex
	probeGen int

	// custom are the kinds of customStandIns followed so far, by GroupKind.String().
	customMu sync.Mutex
	custom   map[string]followed
}

// workItem is a reconcile to do: all webhooks (kind "webhooks"), or one workload's
// readiness.
type workItem struct{ kind, namespace, name string }

var webhooksItem = workItem{kind: "webhooks"}

// ErrNoHostAddress says that the machine has no address the API server may route a
// webhook to: an EndpointSlice takes no loopback or link-local address.
var ErrNoHostAddress = errors.New("no non-loopback, non-link-local IP address on this machine: the webhook stand-in needs one, as an EndpointSlice may not point at loopback")

// StartStandIns starts the stand-ins for whatever webhook configurations, services and
// workloads the cluster has, and keeps them up to date as objects come and change, until
// Stop. It returns ErrNoHostAddress when the machine has no address the webhooks can be
// reached at. Call Sync before relying on webhooks just installed.
func (c *Cluster) StartStandIns(ctx context.Context) (*StandIns, error) {
	hooks, err := startWebhookServer(c)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &StandIns{
		c: c, logf: c.logf, hooks: hooks, cancel: cancel,
		factory:    informers.NewSharedInformerFactory(c.Client, 0),
		dynFactory: dynamicinformer.NewDynamicSharedInformerFactory(c.Dynamic, 0),
		custom:     map[string]followed{},
		queue:      workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[workItem]()),
	}
	if s.logf == nil {
		s.logf = func(string, ...any) {}
	}
	webhooks := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { s.queue.Add(webhooksItem) },
		UpdateFunc: func(any, any) { s.queue.Add(webhooksItem) },
		DeleteFunc: func(any) { s.queue.Add(webhooksItem) },
	}
	for _, inf := range []cache.SharedIndexInformer{
		s.factory.Admissionregistration().V1().MutatingWebhookConfigurations().Informer(),
		s.factory.Admissionregistration().V1().ValidatingWebhookConfigurations().Informer(),
		s.factory.Core().V1().Services().Informer(),
	} {
		if _, err := inf.AddEventHandler(webhooks); err != nil {
			s.Stop()
			return nil, err
		}
	}
	if err := s.watchReadiness(); err != nil {
		s.Stop()
		return nil, err
	}
	if err := s.watchCustomResources(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	s.factory.Start(ctx.Done())
	s.dynFactory.Start(ctx.Done())
	for typ, ok := range s.factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			s.Stop()
			return nil, fmt.Errorf("stand-ins: the cache of %v did not sync", typ)
		}
	}
	for typ, ok := range s.dynFactory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			s.Stop()
			return nil, fmt.Errorf("stand-ins: the cache of %v did not sync", typ)
		}
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for s.work(ctx) {
		}
	}()
	s.logf("e2e: stand-ins up, webhooks served at %s", hooks.addr)
	return s, nil
}

// Stop stops the stand-ins. It is safe to call more than once.
func (s *StandIns) Stop() {
	s.cancel()
	s.queue.ShutDown()
	s.factory.Shutdown()
	s.dynFactory.Shutdown()
	s.wg.Wait()
	s.hooks.close()
}

// CABundle is the PEM of the CA that signs the webhook server's certificates: what each
// webhook's caBundle is set to.
func (s *StandIns) CABundle() []byte { return s.hooks.caPEM }

// Calls returns how many admission requests the webhook server answered, per route
// ("mutating <service>.<namespace>.svc<path>").
func (s *StandIns) Calls() map[string]int { return s.hooks.callCounts() }

// work does one item of the queue; it returns false once the queue is shut down.
func (s *StandIns) work(ctx context.Context) bool {
	item, quit := s.queue.Get()
	if quit {
		return false
	}
	defer s.queue.Done(item)
	var err error
	if item == webhooksItem {
		s.mu.Lock()
		err = s.reconcileWebhooks(ctx)
		s.mu.Unlock()
	} else if custom, cerr := s.reconcileCustom(ctx, item); custom {
		err = cerr
		if apierrors.IsNotFound(err) {
			err = nil
		}
	} else {
		err = s.reconcileReadiness(ctx, item)
	}
	switch {
	case err == nil:
		s.queue.Forget(item)
	case ctx.Err() == nil:
		// A conflict with a writer that got there first, mostly: try again shortly.
		if s.queue.NumRequeues(item) == 5 {
			s.logf("e2e: stand-ins: %s %s/%s: still failing: %v", item.kind, item.namespace, item.name, err)
		}
		s.queue.AddRateLimited(item)
	}
	return true
}

// Sync makes the webhooks of every configuration the cluster has now live: their
// caBundles set and their services' EndpointSlices written, then waits until the API
// server routes requests through them, which it does once its own caches have caught up.
func (s *StandIns) Sync(ctx context.Context) error {
	t0 := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reconcileWebhooks(ctx); err != nil {
		return err
	}
	if err := s.probe(ctx); err != nil {
		return err
	}
	s.logf("e2e: webhooks live in %s", time.Since(t0).Round(time.Millisecond))
	return nil
}
