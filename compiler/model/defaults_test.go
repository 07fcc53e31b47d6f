package model

import (
	"encoding/json"
	"testing"
)

func TestPlatformGPUType(t *testing.T) {
	t.Parallel()
	two := map[string]GPUType{"a100": {Vendor: "nvidia"}, "mi300": {Vendor: "amd"}}
	cases := []struct {
		name      string
		defaults  Defaults
		requested GPUPreference
		// cluster, when set, is the GPU types of the cluster the platform is seen from.
		cluster []string
		// want is the type's name and resource, or "" with ok false.
		want, resource string
		ok             bool
	}{
		{name: "none declared: NVIDIA", want: "nvidia", resource: "nvidia.com/gpu", ok: true},
		{name: "the only one", defaults: Defaults{GPUTypes: map[string]GPUType{"mi300": {Vendor: "amd"}}}, want: "mi300", resource: "amd.com/gpu", ok: true},
		{name: "several, the default", defaults: Defaults{GPUTypes: two, GPUType: "mi300"}, want: "mi300", resource: "amd.com/gpu", ok: true},
		{name: "several, named", defaults: Defaults{GPUTypes: two, GPUType: "mi300"}, requested: GPUPreference{"a100"}, want: "a100", resource: "nvidia.com/gpu", ok: true},
		{name: "several, none named", defaults: Defaults{GPUTypes: two}},
		{name: "unknown", defaults: Defaults{GPUTypes: two}, requested: GPUPreference{"h100"}, want: "h100"},
		{name: "preferred first", defaults: Defaults{GPUTypes: two}, requested: GPUPreference{"mi300", "a100"}, want: "mi300", resource: "amd.com/gpu", ok: true},
		{name: "unknown skipped", defaults: Defaults{GPUTypes: two}, requested: GPUPreference{"h100", "a100"}, want: "a100", resource: "nvidia.com/gpu", ok: true},
		{name: "the cluster's", defaults: Defaults{GPUTypes: two}, requested: GPUPreference{"mi300", "a100"}, cluster: []string{"a100"}, want: "a100", resource: "nvidia.com/gpu", ok: true},
		{name: "none on the cluster", defaults: Defaults{GPUTypes: two}, requested: GPUPreference{"mi300", "a100"}, cluster: []string{}, want: "mi300"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &Platform{Defaults: tc.defaults}
			if tc.cluster != nil {
				p = p.OnCluster(tc.cluster)
			}
			name, g, ok := p.GPUType(tc.requested)
			if name != tc.want || ok != tc.ok || (ok && g.ResourceName() != tc.resource) {
				t.Errorf("got %q (%s), %v; want %q (%s), %v", name, g.ResourceName(), ok, tc.want, tc.resource, tc.ok)
			}
		})
	}
}

func TestGPUPreferenceJSON(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{`"a100"`: "a100", `["h100","a100"]`: "h100, a100"} {
		var g GPUPreference
		if err := json.Unmarshal([]byte(in), &g); err != nil || g.String() != want {
			t.Errorf("%s: got %q, %v; want %q", in, g, err, want)
		}
	}
	var g GPUPreference
	if err := json.Unmarshal([]byte(`3`), &g); err == nil {
		t.Errorf("a number decoded as %q", g)
	}
}

func TestPlatformTrainingTarget(t *testing.T) {
	t.Parallel()
	p := &Platform{Defaults: Defaults{Training: TrainingDefaults{Backend: BackendTrainer, Scheduler: SchedulerKueue}}}
	cases := []struct {
		cluster ClusterTraining
		want    TrainingTarget
	}{
		{ClusterTraining{}, TrainingTarget{Backend: BackendTrainer, Scheduler: SchedulerKueue}},
		{ClusterTraining{Backend: BackendTrainingOperator}, TrainingTarget{Backend: BackendTrainingOperator, Scheduler: SchedulerKueue}},
		{ClusterTraining{Scheduler: SchedulerVolcano}, TrainingTarget{Backend: BackendTrainer, Scheduler: SchedulerVolcano}},
	}
	for _, tc := range cases {
		if got := p.TrainingTarget(Cluster{Training: tc.cluster}); got != tc.want {
			t.Errorf("cluster %+v: %+v, want %+v", tc.cluster, got, tc.want)
		}
	}
}

func TestServedModelProtocolVersion(t *testing.T) {
	t.Parallel()
	cases := []struct{ format, declared, want string }{
		{"sklearn", "", "v1"},
		{"mlflow", "", "v2"},
		{"onnx", "", "v2"},
		{"triton", "", "v2"},
		{"sklearn", "v2", "v2"},
	}
	for _, tc := range cases {
		m := &ServedModel{Format: tc.format, Protocol: tc.declared}
		if got := m.ProtocolVersion(); got != tc.want {
			t.Errorf("%s, declared %q: %s, want %s", tc.format, tc.declared, got, tc.want)
		}
	}
}
