package lower

import (
	"encoding/json"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/model/modeltest"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// TestLowerNamespaceGlue lowers what mlc writes in a tenant's namespace whatever the
// tenant declares: the LimitRange where the quota limits CPU or memory, and the
// PodDefault access-ml-pipeline where pipelines or notebooks use it.
func TestLowerNamespaceGlue(t *testing.T) {
	t.Parallel()
	limitRange := func(limit map[string]any) wantObject {
		return wantObject{id: "LimitRange/" + names.LimitRangeName, fields: map[string]any{
			"metadata.namespace": "vision",
			"spec.limits":        []any{limit},
		}}
	}
	kfpPodDefault := wantObject{id: "PodDefault/access-ml-pipeline", fields: map[string]any{
		"metadata.namespace": "vision",
		"spec.selector":      map[string]any{"matchLabels": map[string]any{"access-ml-pipeline": "true"}},
		"spec.env":           []any{map[string]any{"name": "KF_PIPELINES_SA_TOKEN_PATH", "value": "/var/run/secrets/kubeflow/pipelines/token"}},
		"spec.volumes[0].projected.sources[0].serviceAccountToken": map[string]any{"audience": "pipelines.kubeflow.org", "expirationSeconds": 7200, "path": "token"},
		"spec.volumeMounts": []any{map[string]any{"name": "kfp-token", "mountPath": "/var/run/secrets/kubeflow/pipelines", "readOnly": true}},
	}}
	quota := func(q *model.Quota) func(*model.Platform, *model.Declarations) {
		return func(_ *model.Platform, d *model.Declarations) { d.Tenant.Quota, d.Tenant.Contributors = q, nil }
	}
	runLowerCases(t, []lowerCase{
		{
			name:     "a quota of CPU",
			edit:     quota(&model.Quota{CPU: "8"}),
			glue:     true,
			platform: []wantObject{theProfile, limitRange(map[string]any{"type": "Container", "defaultRequest": map[string]any{"cpu": "100m", "memory": "128Mi"}})},
		},
		{
			name: "a quota of memory, and default limits",
			edit: func(p *model.Platform, d *model.Declarations) {
				quota(&model.Quota{Memory: "8Gi"})(p, d)
				p.Defaults.ContainerDefaults.Limits = model.ContainerLimits{Memory: "512Mi"}
			},
			glue: true,
			platform: []wantObject{theProfile, limitRange(map[string]any{
				"type": "Container", "defaultRequest": map[string]any{"cpu": "100m", "memory": "128Mi"}, "default": map[string]any{"memory": "512Mi"},
			})},
		},
		{name: "a quota of GPUs only", edit: quota(&model.Quota{GPU: modeltest.Ptr(int64(2))}), glue: true, platform: []wantObject{theProfile}},
		{name: "no quota", edit: quota(nil), glue: true, platform: []wantObject{theProfile}},
		{
			name: "a pipeline",
			edit: func(p *model.Platform, d *model.Declarations) {
				quota(nil)(p, d)
				d.Pipelines = map[string]model.Pipeline{"nightly": modeltest.Pipeline()}
			},
			glue:      true,
			platform:  []wantObject{theProfile, kfpPodDefault},
			workloads: []wantObject{{id: "Pipeline/nightly"}, {id: "PipelineVersion/nightly-*"}},
		},
		{
			name: "a notebook that selects it",
			edit: func(p *model.Platform, d *model.Declarations) {
				quota(nil)(p, d)
				nb := modeltest.Declarations().Notebooks["dev"]
				nb.PodDefaults = []string{"access-ml-pipeline"}
				d.Notebooks = map[string]model.Notebook{"dev": nb}
			},
			glue:      true,
			platform:  []wantObject{theProfile, kfpPodDefault},
			workloads: []wantObject{{id: "PersistentVolumeClaim/dev-workspace"}, {id: "Notebook/dev"}},
		},
	})
}

// TestFluxTenantWiring checks how a tenant's Flux objects follow its artifact: the
// credentials its OCIRepository signs in with, and the Kustomization that applies its
// Pipelines first, from the same source.
func TestFluxTenantWiring(t *testing.T) {
	t.Parallel()
	platformDep := map[string]any{"name": names.PlatformFluxName, "namespace": names.FluxNamespace}
	withPipeline := modeltest.Declarations()
	noPipeline := modeltest.Declarations()
	noPipeline.Pipelines = nil
	for _, tc := range []struct {
		name string
		edit func(*model.Flux)
		d    *model.Declarations
		// source is the tenant OCIRepository's spec fields of credentials, bootstrap
		// the platform's.
		source, bootstrap map[string]any
		// pipelines tells whether the tenant has a pipelines Kustomization.
		pipelines bool
	}{
		{name: "no credentials", d: noPipeline, source: map[string]any{}, bootstrap: map[string]any{}},
		{
			name: "a cloud provider", d: noPipeline, edit: func(f *model.Flux) { f.Provider = "azure" },
			source: map[string]any{"provider": "azure"}, bootstrap: map[string]any{"provider": "azure"},
		},
		{
			name: "a secret for the platform and one per tenant", d: noPipeline,
			edit:      func(f *model.Flux) { f.PullSecret, f.TenantPullSecret = "registry", "vision-registry" },
			source:    map[string]any{"secretRef": map[string]any{"name": "vision-registry"}},
			bootstrap: map[string]any{"secretRef": map[string]any{"name": "registry"}},
		},
		{name: "pipelines", d: withPipeline, source: map[string]any{}, bootstrap: map[string]any{}, pipelines: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs := fluxTenant(tc.edit, tc.d)
			f := &model.Flux{Repository: "oci://registry.example.com/ml", Interval: "5m", Timeout: "10m"}
			if tc.edit != nil {
				tc.edit(f)
			}
			boot := map[string]any{}
			for _, o := range FluxBootstrap(f, "prod") {
				if o.Kind() == "OCIRepository" {
					boot = credentials(o.Content["spec"].(map[string]any))
				}
			}
			wantJSON(t, "the platform's OCIRepository credentials", boot, tc.bootstrap)
			wantJSON(t, "the tenant's OCIRepository credentials", credentials(objs["OCIRepository/"+names.TenantFluxName].Content["spec"].(map[string]any)), tc.source)

			main := objs["Kustomization/"+names.TenantFluxName].Content["spec"].(map[string]any)
			first, has := objs["Kustomization/"+names.TenantPipelinesFluxName]
			if has != tc.pipelines {
				t.Fatalf("a pipelines Kustomization: %v, want %v", has, tc.pipelines)
			}
			if !tc.pipelines {
				wantJSON(t, "the tenant's dependsOn", main["dependsOn"], []any{platformDep})
				return
			}
			wantJSON(t, "the tenant's dependsOn", main["dependsOn"], []any{platformDep, map[string]any{"name": names.TenantPipelinesFluxName}})
			spec := first.Content["spec"].(map[string]any)
			for _, field := range []string{"path", "sourceRef", "dependsOn", "serviceAccountName", "targetNamespace", "prune"} {
				want := main[field]
				switch field {
				case "path":
					want = "./pipelines"
				case "dependsOn":
					want = []any{platformDep}
				}
				wantJSON(t, "the pipelines Kustomization's "+field, spec[field], want)
			}
		})
	}
}

// credentials returns the fields of an OCIRepository's spec that say how it signs in.
func credentials(spec map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"provider", "secretRef"} {
		if v, ok := spec[k]; ok {
			out[k] = v
		}
	}
	return out
}

// wantJSON compares got with want as JSON.
func wantJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s: %s, want %s", what, g, w)
	}
}
