package check

import (
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/model/modeltest"
)

// TestContainerDefaultsInQuota checks the default requests of the namespace's
// LimitRange (defaults.containerDefaults: 100m and 128Mi on modeltest's platform)
// against the quota, alone and for the pods of pipeline steps, which hold Argo's wait
// container beside the step's.
func TestContainerDefaultsInQuota(t *testing.T) {
	t.Parallel()
	// only keeps the tenant and its pipelines, under quota q.
	only := func(q model.Quota, f func(pl *model.Pipeline)) func(*model.Platform, *model.Declarations) {
		return func(_ *model.Platform, d *model.Declarations) {
			d.Tenant.Quota = &q
			d.Notebooks, d.Serving, d.Training, d.Experiments = nil, nil, nil, nil
			pl := d.Pipelines["nightly"]
			if f != nil {
				f(&pl)
			}
			d.Pipelines["nightly"] = pl
		}
	}
	resources := func(r *model.PipelineResources) func(pl *model.Pipeline) {
		return func(pl *model.Pipeline) {
			t := pl.Tasks["train"]
			t.Resources = r
			pl.Tasks["train"] = t
		}
	}
	runCheckCases(t, []checkCase{
		{name: "steps without requests in a quota of 1 CPU", edit: only(model.Quota{CPU: "1", Memory: "1Gi"}, nil)},
		{
			name: "a CPU quota under the default request",
			edit: only(model.Quota{CPU: "50m"}, nil),
			want: []wantDiag{
				{"tenant.quota.cpu", "the quota of 50m CPU is under the 100m that every container requesting none gets"},
				{"pipelines.nightly.tasks.prep", "step prep's pod requests 200m CPU: the step sets none and gets 100m"},
				{"pipelines.nightly.tasks.train", "step train's pod requests 200m CPU"},
			},
		},
		{
			name: "a memory quota over the default request, under a step's pod",
			edit: only(model.Quota{Memory: "200Mi"}, nil),
			want: []wantDiag{
				{"pipelines.nightly.tasks.prep", "step prep's pod requests 256Mi memory: the step sets none and gets 128Mi, and Argo's wait container beside it as much (defaults.containerDefaults.memory), more than the tenant's whole quota of 200Mi"},
				{"pipelines.nightly.tasks.train", "step train's pod requests 256Mi memory"},
			},
		},
		{
			name: "a step that fills the quota with its wait container",
			edit: only(model.Quota{CPU: "4"}, resources(&model.PipelineResources{CPU: "3900m", Memory: "1Gi"})),
		},
		{
			name: "a step that would, without its wait container",
			edit: only(model.Quota{CPU: "4"}, resources(&model.PipelineResources{CPU: "4", Memory: "1Gi"})),
			want: []wantDiag{{"pipelines.nightly.tasks.train.resources.cpu", "step train's pod requests 4100m CPU: the step's 4, and 100m for Argo's wait container beside it (defaults.containerDefaults.cpu), more than the tenant's whole quota of 4 (tenant.quota.cpu)"}},
		},
		{
			name: "a step that sets memory only gets the default CPU",
			edit: only(model.Quota{CPU: "150m"}, resources(&model.PipelineResources{Memory: "1Gi"})),
			want: []wantDiag{
				{"pipelines.nightly.tasks.prep", "step prep's pod requests 200m CPU"},
				{"pipelines.nightly.tasks.train", "step train's pod requests 200m CPU: the step sets none and gets 100m"},
			},
		},
		{name: "a quota of GPUs only", edit: only(model.Quota{GPU: modeltest.Ptr(int64(1))}, nil)},
	})
}

// TestPlatformGlueChecks checks the platform settings of what mlc writes in tenant
// namespaces and how tenants' Flux signs in.
func TestPlatformGlueChecks(t *testing.T) {
	t.Parallel()
	flux := func(f model.Flux) func(p *model.Platform) {
		return func(p *model.Platform) {
			f.Repository = "oci://registry.example.com/ml"
			p.Flux = &f
		}
	}
	for _, tc := range []struct {
		name string
		edit func(p *model.Platform)
		// want are errors, warn warnings, each path and a part of the message.
		want, warn []wantDiag
	}{
		{name: "the defaults"},
		{
			name: "default limits over the default requests",
			edit: func(p *model.Platform) {
				p.Defaults.ContainerDefaults.Limits = model.ContainerLimits{CPU: "1", Memory: "128Mi"}
			},
		},
		{
			name: "a default limit under the default request",
			edit: func(p *model.Platform) { p.Defaults.ContainerDefaults.Limits = model.ContainerLimits{Memory: "64Mi"} },
			want: []wantDiag{{"defaults.containerDefaults.limits.memory", "the default limit (64Mi) is under the default request (defaults.containerDefaults.memory: 128Mi)"}},
		},
		{
			name: "a default request of zero",
			edit: func(p *model.Platform) { p.Defaults.ContainerDefaults.CPU = "0" },
			want: []wantDiag{{"defaults.containerDefaults.cpu", "must be more than zero"}},
		},
		{
			name: "access-ml-pipeline listed as shared",
			edit: func(p *model.Platform) { p.Defaults.SharedPodDefaults = []string{"team-s3", "access-ml-pipeline"} },
			warn: []wantDiag{{"defaults.sharedPodDefaults[1]", "mlc writes PodDefault access-ml-pipeline"}},
		},
		{name: "no credentials", edit: flux(model.Flux{})},
		{name: "a cloud provider", edit: flux(model.Flux{Provider: "aws"})},
		{name: "a secret per tenant", edit: flux(model.Flux{TenantPullSecret: "team-registry"})},
		{name: "a secret for the platform and one per tenant", edit: flux(model.Flux{PullSecret: "registry", TenantPullSecret: "team-registry"})},
		{
			name: "the platform's secret only",
			edit: flux(model.Flux{PullSecret: "registry"}),
			want: []wantDiag{{"flux.pullSecret", "set flux.tenantPullSecret, a Secret in each tenant's namespace whose credential pulls that tenant's artifacts only"}},
		},
		{
			name: "a provider and a secret",
			edit: flux(model.Flux{Provider: "gcp", TenantPullSecret: "team-registry"}),
			want: []wantDiag{{"flux.tenantPullSecret", "ignores flux.provider (gcp)"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := modeltest.Platform()
			if tc.edit != nil {
				tc.edit(p)
			}
			locate := func(string) diag.Position { return diag.Position{File: "platform.cue", Line: 1, Column: 1} }
			var errs, warns []diag.Diagnostic
			for _, x := range Platform(p, []string{"vision"}, locate) {
				if x.Severity == diag.Error {
					errs = append(errs, x)
				} else {
					warns = append(warns, x)
				}
			}
			wantDiags(t, "error", errs, tc.want)
			wantDiags(t, "warning", warns, tc.warn)
		})
	}
}

// wantDiags compares diagnostics with those wanted, by path and a part of the message.
func wantDiags(t *testing.T, what string, got []diag.Diagnostic, want []wantDiag) {
	t.Helper()
	var all []string
	for _, x := range got {
		all = append(all, x.Path+": "+x.Message)
	}
	for _, w := range want {
		found := false
		for _, x := range got {
			found = found || (x.Path == w.path && strings.Contains(x.Message, w.message))
		}
		if !found {
			t.Errorf("want a %s at %s containing %q; got %q", what, w.path, w.message, all)
		}
	}
	if len(got) != len(want) {
		t.Errorf("want %d %ss, got %d: %q", len(want), what, len(got), all)
	}
}
