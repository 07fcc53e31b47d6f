package model

import "testing"

func TestPlatformGPUType(t *testing.T) {
	t.Parallel()
	two := map[string]GPUType{"a100": {Vendor: "nvidia"}, "mi300": {Vendor: "amd"}}
	cases := []struct {
		name      string
		defaults  Defaults
		requested string
		// want is the type's name and resource, or "" with ok false.
		want, resource string
		ok             bool
	}{
		{name: "none declared: NVIDIA", want: "nvidia", resource: "nvidia.com/gpu", ok: true},
		{name: "the only one", defaults: Defaults{GPUTypes: map[string]GPUType{"mi300": {Vendor: "amd"}}}, want: "mi300", resource: "amd.com/gpu", ok: true},
		{name: "several, the default", defaults: Defaults{GPUTypes: two, GPUType: "mi300"}, want: "mi300", resource: "amd.com/gpu", ok: true},
		{name: "several, named", defaults: Defaults{GPUTypes: two, GPUType: "mi300"}, requested: "a100", want: "a100", resource: "nvidia.com/gpu", ok: true},
		{name: "several, none named", defaults: Defaults{GPUTypes: two}},
		{name: "unknown", defaults: Defaults{GPUTypes: two}, requested: "h100", want: "h100"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &Platform{Defaults: tc.defaults}
			name, g, ok := p.GPUType(tc.requested)
			if name != tc.want || ok != tc.ok || (ok && g.ResourceName() != tc.resource) {
				t.Errorf("got %q (%s), %v; want %q (%s), %v", name, g.ResourceName(), ok, tc.want, tc.resource, tc.ok)
			}
		})
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
