package check

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// labels checks label keys and values where they are written, rather than leaving them
// to the API schema check, which can only point at the declaration.
func (r *reporter) labels(path string, labels map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		p := path + "." + model.Path(k)
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			r.errorf(p, "%q is not a valid label key: %s", k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(labels[k]); len(errs) > 0 {
			r.errorf(p, "%q is not a valid label value: %s", labels[k], strings.Join(errs, "; "))
		}
	}
}

// annotations checks annotation keys.
func (r *reporter) annotations(path string, annotations map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(annotations)) {
		if errs := validation.IsQualifiedName(strings.ToLower(k)); len(errs) > 0 {
			r.errorf(path+"."+model.Path(k), "%q is not a valid annotation key: %s", k, strings.Join(errs, "; "))
		}
	}
}

// notebookObjectNames checks what the notebook's objects would otherwise get wrong: labels
// mlc sets itself, and two volumes of the pod with one name.
func (r *reporter) notebookObjectNames(path, name string, nb model.Notebook) {
	r.labels(path+".labels", nb.Labels)
	r.annotations(path+".annotations", nb.Annotations)
	if _, set := nb.Labels["app"]; set {
		r.errorf(path+".labels.app", "the app label is the notebook's name, as the spawner sets it; choose another key")
	}
	for i, pd := range nb.PodDefaults {
		if model.NormalizeName(pd) == "app" {
			r.errorf(path+".podDefaults["+strconv.Itoa(i)+"]", "a PodDefault named app would take over the notebook's app label; rename it")
		}
	}
	claims := map[string]string{}
	if nb.WorkspaceEnabled() {
		claims[names.WorkspaceClaimName(name)] = "workspace"
	}
	for _, key := range slices.Sorted(maps.Keys(nb.DataVolumes)) {
		dv := nb.DataVolumes[key]
		claim := dv.ExistingClaim
		if dv.Volume != "" {
			claim = dv.Volume
		}
		if claim == "" {
			claim = names.DataVolumeClaimName(name, key)
		}
		vpath := path + "." + model.Path("dataVolumes", key)
		if other, dup := claims[claim]; dup {
			r.errorf(vpath, "claim %s is already mounted as %s; mount it once", claim, other)
		}
		claims[claim] = key
	}
}

// controlDomains are the label and annotation domains that tell Kubernetes, Flux, Istio,
// Kubeflow or mlc what to do with an object. A tenant's Profile is cluster-scoped and
// applied with the platform's rights, so the tenant may not set these on it: Flux's
// kustomize.toolkit.fluxcd.io/prune: disabled would keep the namespace after the
// tenant is removed, pod-security.kubernetes.io/enforce would lift its pod security.
var controlDomains = []string{"kubernetes.io", "k8s.io", "fluxcd.io", "istio.io", "kubeflow.org", "knative.dev", "kserve.io", "mlc-gitops.github.io"}

// controlKeys are keys without a domain that controllers read on a namespace or profile.
var controlKeys = []string{"owner", "istio-injection"}

// tenantMetadata checks the tenant's labels and annotations, which go on its Profile:
// valid, and none that controls a controller.
func (r *reporter) tenantMetadata(t *model.Tenant) {
	r.labels("tenant.labels", t.Labels)
	r.annotations("tenant.annotations", t.Annotations)
	for field, keys := range map[string]map[string]string{"labels": t.Labels, "annotations": t.Annotations} {
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			if controls(k) {
				r.errorf("tenant."+field+"."+model.Path(k),
					"%s is a key Kubernetes, Flux, Istio, Kubeflow or mlc act on; the platform sets such keys, a tenant cannot set them on its Profile", k)
			}
		}
	}
}

// controls tells whether a label or annotation key is one of controlKeys or in one of
// controlDomains (the domain itself or under it).
func controls(key string) bool {
	if slices.Contains(controlKeys, key) {
		return true
	}
	domain, _, ok := strings.Cut(key, "/")
	if !ok {
		return false
	}
	for _, d := range controlDomains {
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	return false
}
