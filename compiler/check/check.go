// Package check runs the semantic checks that CUE schemas cannot express: names valid
// and unique as Kubernetes needs them, images that parse and come from allowed
// registries, requests within policy limits and the tenant's quota, references that
// resolve. Every problem is reported at the user's line.
package check

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// Locator finds where the field at a CUE path is written.
type Locator func(path string) diag.Position

// reporter collects diagnostics, placing each at its field.
type reporter struct {
	locate Locator
	diags  diag.List
	// clusters are those that run the tenant being checked.
	clusters []model.Cluster
	// decls are the declarations of the tenant being checked.
	decls *model.Declarations
}

func (r *reporter) errorf(path, format string, args ...any) {
	r.diags.Errorf(r.locate(path), path, format, args...)
}

func (r *reporter) warnf(path, format string, args ...any) {
	r.diags = append(r.diags, diag.Diagnostic{
		Severity: diag.Warning, Pos: r.locate(path), Path: path, Message: fmt.Sprintf(format, args...),
	})
}

// quantity parses a resource quantity and reports it if it does not parse or is not
// positive. ok is false when it was reported.
func (r *reporter) quantity(path, s string) (q resource.Quantity, ok bool) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		r.errorf(path, "%q is not a Kubernetes quantity (like 4, 500m or 16Gi)", s)
		return q, false
	}
	if q.Sign() <= 0 {
		r.errorf(path, "must be more than zero (got %s)", s)
		return q, false
	}
	return q, true
}

func parseQuantity(s string) (resource.Quantity, error) { return resource.ParseQuantity(s) }

// gpu checks the GPU types a request accepts (path is its resources): each one is the
// platform's, and every cluster running the tenant has one of them (or, when it names
// none, the platform's default).
func (r *reporter) gpu(p *model.Platform, path string, requested model.GPUPreference) {
	if len(requested) > 0 {
		path += ".gpuType"
	}
	for _, name := range requested {
		if _, ok := p.Defaults.GPUTypes[name]; !ok {
			r.errorf(path, "no GPU type %q in the platform's defaults.gpuTypes (have %s)", name, keyList(p.Defaults.GPUTypes))
			return
		}
	}
	name, _, ok := p.GPUType(requested)
	if !ok {
		r.errorf(path, "the platform has several GPU types (%s): name one with gpuType, or set defaults.gpuType", keyList(p.Defaults.GPUTypes))
		return
	}
	for _, c := range r.clusters {
		if _, _, ok := p.GPUTypeOn(c, requested); ok {
			continue
		}
		if len(requested) > 1 {
			r.errorf(path, "cluster %s, which runs this tenant, has none of the GPU types %s (its gpuTypes: %s)", c.Name, requested, strings.Join(c.GPUTypes, ", "))
		} else {
			r.errorf(path, "cluster %s, which runs this tenant, has no %s GPUs (its gpuTypes: %s)", c.Name, name, strings.Join(c.GPUTypes, ", "))
		}
	}
}

// dnsLabel reports a name that is not a DNS-1123 label of at most max characters.
func (r *reporter) dnsLabel(path, name, what string, max int) bool {
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		r.errorf(path, "%s %q is not a valid Kubernetes name: lower case letters, digits and '-', starting and ending with a letter or digit", what, name)
		return false
	}
	if len(name) > max {
		r.errorf(path, "%s %q is %d characters long; at most %d fit", what, name, len(name), max)
		return false
	}
	return true
}
