package e2etest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// FieldManager is the field manager of what the tests apply.
const FieldManager = "mlc-e2e"

// DecodeYAML decodes a stream of YAML (or JSON) documents, skipping empty ones.
func DecodeYAML(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

// Resource returns the client for u's kind, in u's namespace when it is namespaced.
func (c *Cluster) Resource(u *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	return resourceFor(c.Dynamic, c, u.GroupVersionKind(), u.GetNamespace())
}

// ResourceFor returns the client for a kind, in namespace ns when it is namespaced.
func (c *Cluster) ResourceFor(gvk schema.GroupVersionKind, ns string) (dynamic.ResourceInterface, error) {
	return resourceFor(c.Dynamic, c, gvk, ns)
}

func resourceFor(dyn dynamic.Interface, c *Cluster, gvk schema.GroupVersionKind, ns string) (dynamic.ResourceInterface, error) {
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		// A CRD installed since the mapper last looked.
		c.Mapper.Reset()
		m, err = c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return dyn.Resource(m.Resource).Namespace(ns), nil
	}
	return dyn.Resource(m.Resource), nil
}

// Apply applies u with server-side apply, taking over conflicting fields.
func (c *Cluster) Apply(ctx context.Context, u *unstructured.Unstructured) error {
	return c.ApplyAs(ctx, FieldManager, u)
}

// ApplyAs is Apply as another field manager.
func (c *Cluster) ApplyAs(ctx context.Context, manager string, u *unstructured.Unstructured) error {
	r, err := c.Resource(u)
	if err != nil {
		return err
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return err
	}
	force := true
	_, err = r.Patch(ctx, u.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: manager, Force: &force})
	if err != nil {
		return fmt.Errorf("applying %s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	return nil
}

// ApplyYAML applies every object of a YAML stream, in order.
func (c *Cluster) ApplyYAML(ctx context.Context, data []byte) error {
	objs, err := DecodeYAML(data)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := c.Apply(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// Create creates u; with dryRun the API server admits and validates it but stores nothing.
func (c *Cluster) Create(ctx context.Context, u *unstructured.Unstructured, dryRun bool) (*unstructured.Unstructured, error) {
	r, err := c.Resource(u)
	if err != nil {
		return nil, err
	}
	opts := metav1.CreateOptions{FieldManager: FieldManager, FieldValidation: metav1.FieldValidationStrict}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return r.Create(ctx, u, opts)
}

// Get reads an object.
func (c *Cluster) Get(ctx context.Context, apiVersion, kind, ns, name string) (*unstructured.Unstructured, error) {
	r, err := c.ResourceFor(schema.FromAPIVersionAndKind(apiVersion, kind), ns)
	if err != nil {
		return nil, err
	}
	return r.Get(ctx, name, metav1.GetOptions{})
}

// UpdateStatus writes u's status through the status subresource, as a controller would.
func (c *Cluster) UpdateStatus(ctx context.Context, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	r, err := c.Resource(u)
	if err != nil {
		return nil, err
	}
	return r.UpdateStatus(ctx, u, metav1.UpdateOptions{FieldManager: FieldManager})
}

// As returns a client that acts as user (with groups), through impersonation.
func (c *Cluster) As(user string, groups ...string) (dynamic.Interface, error) {
	cfg := rest.CopyConfig(c.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return dynamic.NewForConfig(cfg)
}

// CreateAs creates u as another user, through impersonation.
func (c *Cluster) CreateAs(ctx context.Context, user string, u *unstructured.Unstructured) error {
	dyn, err := c.As(user)
	if err != nil {
		return err
	}
	r, err := resourceFor(dyn, c, u.GroupVersionKind(), u.GetNamespace())
	if err != nil {
		return err
	}
	_, err = r.Create(ctx, u, metav1.CreateOptions{FieldManager: FieldManager})
	return err
}
