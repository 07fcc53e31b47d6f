package e2etest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// InstallStats say what ApplyOrdered applied and how long each stage took.
type InstallStats struct {
	CRDs, Namespaces, Webhooks, Rest time.Duration
	// Applied are the objects the API server accepted, as they were sent.
	Applied []*unstructured.Unstructured
}

// ApplyOrdered applies an installation's objects server-side in one ordered pass, the
// order in which it goes in at once: its CustomResourceDefinitions, until established;
// its namespaces; its webhook configurations and services, then s.Sync, so that every
// webhook is live for what follows; then the rest, in the order given. Each object the
// API server refuses is an error of the result; a refused CRD or namespace stops the pass.
// A namespaced object without a namespace goes to "default", as kubectl apply puts it.
func (c *Cluster) ApplyOrdered(ctx context.Context, objs []*unstructured.Unstructured, s *StandIns) (InstallStats, []error) {
	return c.ApplyOrderedAs(ctx, FieldManager, objs, s)
}

// ApplyOrderedAs is ApplyOrdered with another field manager: "kubectl" applies as
// `kubectl apply --server-side` does.
func (c *Cluster) ApplyOrderedAs(ctx context.Context, manager string, objs []*unstructured.Unstructured, s *StandIns) (InstallStats, []error) {
	var st InstallStats
	var crds, namespaces, plumbing, rest []*unstructured.Unstructured
	for _, o := range objs {
		switch o.GroupVersionKind().GroupKind().String() {
		case "CustomResourceDefinition.apiextensions.k8s.io":
			crds = append(crds, o)
		case "Namespace":
			namespaces = append(namespaces, o)
		case "MutatingWebhookConfiguration.admissionregistration.k8s.io",
			"ValidatingWebhookConfiguration.admissionregistration.k8s.io", "Service":
			plumbing = append(plumbing, o)
		default:
			rest = append(rest, o)
		}
	}
	t0 := time.Now()
	if err := c.applyCRDs(ctx, manager, crds); err != nil {
		return st, []error{err}
	}
	st.CRDs = time.Since(t0)
	for _, group := range [][]*unstructured.Unstructured{plumbing, rest} {
		for i, o := range group {
			if o.GetNamespace() != "" {
				continue
			}
			namespaced, err := c.namespaced(o)
			if err != nil {
				return st, []error{err}
			}
			if namespaced {
				group[i] = o.DeepCopy()
				group[i].SetNamespace("default")
			}
		}
	}
	t0 = time.Now()
	for _, o := range namespaces {
		if err := c.ApplyAs(ctx, manager, o); err != nil {
			return st, []error{err}
		}
	}
	st.Applied = append(slices.Clone(crds), namespaces...)
	st.Namespaces = time.Since(t0)
	t0 = time.Now()
	var errs []error
	apply := func(o *unstructured.Unstructured) {
		if err := c.ApplyAs(ctx, manager, o); err != nil {
			errs = append(errs, err)
			return
		}
		st.Applied = append(st.Applied, o)
	}
	for _, o := range plumbing {
		apply(o)
	}
	if err := s.Sync(ctx); err != nil {
		return st, append(errs, fmt.Errorf("the webhooks do not go live: %w", err))
	}
	st.Webhooks = time.Since(t0)
	t0 = time.Now()
	for _, o := range rest {
		apply(o)
	}
	st.Rest = time.Since(t0)
	return st, errs
}

// namespaced reports whether u's kind is namespaced. An unknown kind is left for Apply
// to report.
func (c *Cluster) namespaced(u *unstructured.Unstructured) (bool, error) {
	gvk := u.GroupVersionKind()
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return m.Scope.Name() == meta.RESTScopeNameNamespace, nil
}
