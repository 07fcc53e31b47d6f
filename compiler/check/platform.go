package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// Platform checks the platform settings against the tenants the repository has.
func Platform(p *model.Platform, tenants []string, locate Locator) diag.List {
	r := &reporter{locate: locate}
	if len(p.Clusters) == 0 {
		r.errorf("clusters", "no clusters declared: add at least one, such as `clusters: prod: {}`, to platform.cue")
	}
	onCluster := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(p.Clusters)) {
		c := p.Clusters[name]
		r.dnsLabel(model.Path("clusters", name), name, "cluster name", 63)
		for _, t := range c.Tenants {
			if t != "*" && !slices.Contains(tenants, t) {
				r.errorf(model.Path("clusters", name, "tenants"), "no tenant %q: there is no directory tenants/%s/", t, t)
			}
			onCluster[t] = true
		}
	}
	if !onCluster["*"] && len(p.Clusters) > 0 {
		for _, t := range tenants {
			if !onCluster[t] {
				r.warnf("clusters", "tenant %q runs on no cluster: add it to a cluster's tenants", t)
			}
		}
	}
	r.profilePluginPolicy(p)
	d := p.Defaults
	if d.GPUType != "" {
		if _, ok := d.GPUTypes[d.GPUType]; !ok {
			r.errorf("defaults.gpuType", "no GPU type %q in defaults.gpuTypes (have %s)", d.GPUType, keyList(d.GPUTypes))
		}
	}
	r.quantity("defaults.notebook.cpu", string(d.Notebook.CPU))
	r.quantity("defaults.notebook.memory", d.Notebook.Memory)
	r.quantity("defaults.notebook.workspaceSize", d.Notebook.WorkspaceSize)
	for _, name := range slices.Sorted(maps.Keys(p.Clusters)) {
		for i, g := range p.Clusters[name].GPUTypes {
			if _, ok := d.GPUTypes[g]; !ok {
				r.errorf(fmt.Sprintf("%s[%d]", model.Path("clusters", name, "gpuTypes"), i), "no GPU type %q in defaults.gpuTypes (have %s)", g, keyList(d.GPUTypes))
			}
		}
	}
	r.trainingDefaults(p)
	r.imagePolicy(p)
	lim := p.Policy.Limits.Notebook
	if lim.CPU != "" {
		r.quantity("policy.limits.notebook.cpu", string(lim.CPU))
	}
	if lim.Memory != "" {
		r.quantity("policy.limits.notebook.memory", lim.Memory)
	}
	r.platformSecrets(p)
	r.sharedPodDefaults(p)
	r.containerDefaults(p)
	r.fluxCredentials(p.Flux)
	r.scheduling(p)
	r.allowedKinds(p.Policy.Objects.AllowedKinds)
	return r.diags
}

func keyList[V any](m map[string]V) string {
	keys := slices.Sorted(maps.Keys(m))
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}

// fluxCredentials checks how the clusters' Flux signs in to the registry. A tenant's
// contributors can read the Secrets of its namespace, so the platform's credential is
// never used there: tenants' OCIRepositories sign in with the cloud provider's identity,
// or with a Secret of their own namespace that can pull that tenant's artifacts only.
func (r *reporter) fluxCredentials(f *model.Flux) {
	switch {
	case f == nil:
	case f.Provider != "" && (f.PullSecret != "" || f.TenantPullSecret != ""):
		field := "flux.pullSecret"
		if f.PullSecret == "" {
			field = "flux.tenantPullSecret"
		}
		r.errorf(field, "Flux signs in with a Secret and ignores flux.provider (%s) when an OCIRepository names both: keep one", f.Provider)
	case f.PullSecret != "" && f.TenantPullSecret == "":
		r.errorf("flux.pullSecret", "the platform's registry Secret %s stays in %s, since tenants' contributors can read the Secrets of their namespace: set flux.tenantPullSecret, a Secret in each tenant's namespace whose credential pulls that tenant's artifacts only (<repository>/<cluster>/tenants/<tenant>), or flux.provider instead", f.PullSecret, names.FluxNamespace)
	}
}
