// Package synth generates synthetic platform repositories of any size, for benchmarks
// and scale tests: N tenants, each with notebooks, serving endpoints, training jobs and
// experiments and pipelines of varied shapes. WritePlain writes the same platform as one plain CUE
// package, for the cue command to evaluate.
package synth

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Spec sizes a synthetic platform.
type Spec struct {
	Tenants   int
	Notebooks int // per tenant
	Endpoints int // serving endpoints per tenant
	// TrainingJobs and Experiments are per tenant.
	TrainingJobs int
	Experiments  int
	Pipelines    int
	// Clusters is at least 1; the second runs training on the Training Operator.
	Clusters int
}

// ForWorkloads sizes a platform of tenants with workloads each, one cluster, the
// workloads dealt in turn to notebooks, serving endpoints, training jobs, experiments and
// pipelines.
func ForWorkloads(tenants, workloads int) Spec {
	s := Spec{Tenants: tenants, Clusters: 1}
	kinds := []*int{&s.Notebooks, &s.Endpoints, &s.TrainingJobs, &s.Experiments, &s.Pipelines}
	for i := range workloads {
		*kinds[i%len(kinds)]++
	}
	return s
}

// OneTenant sizes a platform of one tenant with the given number of notebooks and no
// other workload, on one cluster: what a large team's tenant costs.
func OneTenant(notebooks int) Spec {
	return Spec{Tenants: 1, Notebooks: notebooks, Clusters: 1}
}

// Workloads is how many workloads each tenant declares.
func (s Spec) Workloads() int {
	return s.Notebooks + s.Endpoints + s.TrainingJobs + s.Experiments + s.Pipelines
}

const moduleFile = "module: \"example.com/synthetic@v0\"\nlanguage: version: \"v0.17.0\"\n"

// tenantFiles are one tenant's files by name, in a fixed order.
func tenantFiles(i int, s Spec) [][2]string {
	return [][2]string{
		{"tenant.cue", tenant(i, s)},
		{"notebooks.cue", notebooks(i, s)},
		{"serving.cue", endpoints(s)},
		{"training.cue", training(s)},
		{"pipelines.cue", pipelines(s)},
	}
}

// TenantName is the name of the i-th tenant.
func TenantName(i int) string { return fmt.Sprintf("team-%05d", i) }

// Write creates the repository in dir.
func Write(dir string, s Spec) error {
	if s.Clusters < 1 {
		s.Clusters = 1
	}
	files := map[string]string{
		"cue.mod/module.cue": moduleFile,
		"platform.cue":       platform(s),
	}
	for i := range s.Tenants {
		for _, f := range tenantFiles(i, s) {
			files["tenants/"+TenantName(i)+"/"+f[0]] = f[1]
		}
	}
	return writeFiles(dir, files)
}

func writeFiles(dir string, files map[string]string) error {
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func platform(s Spec) string {
	var b strings.Builder
	b.WriteString("package ml\n\nclusters: {\n")
	for c := range s.Clusters {
		if c == 1 {
			fmt.Fprintf(&b, "\t\"cluster-%d\": training: backend: \"training-operator\"\n", c)
			continue
		}
		fmt.Fprintf(&b, "\t\"cluster-%d\": {}\n", c)
	}
	b.WriteString(`}

defaults: {
	storageClass: "standard"
	gpuTypes: a100: {
		vendor: "nvidia"
		nodeSelector: "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"
		tolerations: [{key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule"}]
	}
	gpuType: "a100"
	// The schedules' job image must come from an allowed registry too.
	pipelines: scheduleImage: "ghcr.io/example/python:3.13-slim"
}

policy: allowedRegistries: ["ghcr.io/kubeflow/", "ghcr.io/example/"]

// The ClusterQueue the GPU jobs' LocalQueue team-gpu points at.
scheduling: kueue: {
	resourceFlavors: a100: nodeLabels: "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"
	clusterQueues: "team-gpu": resourceGroups: [{flavors: [{name: "a100", resources: {cpu: 64, memory: "256Gi", "nvidia.com/gpu": 8}}]}]
}
`)
	return b.String()
}

func tenant(i int, s Spec) string {
	return fmt.Sprintf(`package ml

tenant: {
	owner: "owner%[1]d@example.com"
	contributors: {
		"dev%[1]d@example.com":    "edit"
		"viewer%[1]d@example.com": "view"
	}
	quota: {cpu: %[2]d, memory: "%[3]dGi", gpu: %[4]d, storage: "%[5]dGi"}
	labels: "cost-center": "cc-%[6]d"
}
`, i, 4*s.Notebooks+16*s.Endpoints+trainingCPU*s.TrainingJobs+trialsCPU*s.Experiments+pipelineCPU*s.Pipelines+1,
		16*s.Notebooks+64*s.Endpoints+4*trainingCPU*s.TrainingJobs+4*trialsCPU*s.Experiments+4*pipelineCPU*s.Pipelines+1,
		s.Notebooks+4*s.Endpoints+trainingGPU*s.TrainingJobs+trialsGPU*s.Experiments+s.Pipelines+1, 200*s.Notebooks+1, i%50)
}

func notebooks(i int, s Spec) string {
	var b strings.Builder
	b.WriteString("package ml\n\n")
	if s.Notebooks > 0 {
		b.WriteString("podDefaults: \"s3-credentials\": {\n\tdescription: \"S3 access\"\n\tsecretVolumes: \"s3\": mountPath: \"/var/secrets/s3\"\n}\n\n")
	}
	for n := range s.Notebooks {
		switch n % 3 {
		case 0:
			fmt.Fprintf(&b, `notebooks: "nb-%d": {
	image: "jupyter-pytorch-cuda"
	resources: {cpu: 2, memory: "8Gi", gpu: 1}
	workspace: size: "50Gi"
	podDefaults: ["access-ml-pipeline", "s3-credentials"]
	env: {TEAM: "team-%d", WANDB_MODE: "offline"}
}
`, n, i)
		case 1:
			fmt.Fprintf(&b, `notebooks: "nb-%d": {
	type:  "vscode"
	image: "codeserver-python"
	resources: {cpu: 1, memory: "4Gi"}
	dataVolumes: scratch: {size: "100Gi", mountPath: "/scratch", keepOnDelete: false}
}
`, n)
		default:
			fmt.Fprintf(&b, `notebooks: "nb-%d": {
	image: "ghcr.io/example/eval:%d.0"
	resources: {cpu: "500m", memory: "2Gi"}
	dataVolumes: data: {existingClaim: "shared-data", mountPath: "/data", readOnly: true}
}
`, n, n%7)
		}
	}
	return b.String()
}

func endpoints(s Spec) string {
	var b strings.Builder
	b.WriteString("package ml\n\n")
	for n := range s.Endpoints {
		switch n % 3 {
		case 0:
			fmt.Fprintf(&b, `servingEndpoints: "model-%d": {
	model: {format: "pytorch", storageUri: "s3://models/model-%d/v3"}
	canary: {storageUri: "s3://models/model-%d/v4", traffic: 10}
	resources: {cpu: 2, memory: "8Gi", gpu: 1}
	replicas: {min: 1, max: 2}
	autoscaling: {metric: "concurrency", target: 10}
}
`, n, n, n)
		case 1:
			fmt.Fprintf(&b, `servingEndpoints: "model-%d": {
	model: {format: "sklearn", storageUri: "gs://models/model-%d", protocol: "v2"}
	replicas: {min: 0, max: 4}
	batching: maxBatchSize: 16
}
`, n, n)
		default:
			fmt.Fprintf(&b, `servingEndpoints: "model-%d": {
	mode: "raw"
	container: {image: "ghcr.io/example/server:%d.0", args: ["--port=8080"]}
	transformer: image: "ghcr.io/example/pre:1.0"
	resources: {cpu: 1, memory: "2Gi"}
	replicas: {min: 1, max: 3}
	autoscaling: {metric: "cpu", target: 70}
}
`, n, n%5)
		}
	}
	return b.String()
}
