package compiler_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler"
)

// trainingExample is an upstream training or Katib example and the CUE a user writes
// for the same intent.
type trainingExample struct {
	// doc is the YAML document of the file that holds the job or experiment.
	doc int
	// platform is added to the platform file: the backend, runtimes the example assumes.
	platform string
	// cue is the tenant's declarations.
	cue string
	// partial marks a Katib example whose trial is a plain batch/v1 Job: the experiment
	// and the trial's container are compared, not the trial's kind (an mlc trial is a
	// training job).
	partial bool
}

// operatorBackend runs training jobs on the Training Operator.
const operatorBackend = `defaults: training: backend: "training-operator"`

// torchHello is the program of Kubeflow Trainer's multi-node example, as CUE.
const torchHello = `"""
		import os
		import torch
		import torch.distributed as dist

		device, backend = ("cuda", "nccl") if torch.cuda.is_available() else ("cpu", "gloo")
		dist.init_process_group(backend=backend)

		print("PyTorch Distributed Environment")
		print(f"Using device: {device}")
		print(f"WORLD_SIZE: {dist.get_world_size()}")
		print(f"RANK: {dist.get_rank()}")
		print(f"LOCAL_RANK: {os.environ['LOCAL_RANK']}")

		"""`

// katibMnist is the trial of Katib's hp-tuning examples: the PyTorch MNIST program.
func katibMnist(epochs string) string {
	return `trial: {
		framework: "pytorch"
		image: "ghcr.io/kubeflow/katib/pytorch-mnist-cpu:latest"
		command: ["python3", "/opt/pytorch-mnist/mnist.py", "--epochs=` + epochs + `", "--batch-size=16",
			"--lr=${trialParameters.lr}", "--momentum=${trialParameters.momentum}"]
		restartPolicy: "Never"
	}`
}

// lrMomentum is the search space most Katib examples share.
const lrMomentum = `lr: {min: 0.01, max: 0.05, description: "Learning rate for the training model"}
		momentum: {min: 0.5, max: 0.9, description: "Momentum for the training model"}`

// trainingExamples are the upstream examples mlc reproduces, by file.
var trainingExamples = map[string]trainingExample{
	"trainer/trainjob_01-multi-node.yaml": {cue: `trainingJobs: "multi-node-example": {
		framework: "pytorch"
		workers: 3
		command: ["torchrun", "--no-python", "python3", "-c", ` + torchHello + `]
	}`},
	"trainer/trainjob_03-kueue-integration.yaml": {
		platform: `scheduling: kueue: {
		resourceFlavors: "default-flavor": {}
		clusterQueues: "cluster-queue": resourceGroups: [{flavors: [{name: "default-flavor", resources: {cpu: 16, memory: "64Gi"}}]}]
	}`,
		cue: `queues: "training-queue": clusterQueue: "cluster-queue"
	trainingJobs: "kueue-example": {
		framework: "pytorch"
		queue: "training-queue"
		workers: 3
		image: "python:3.11-slim"
		command: ["python3", "-c", """
			import time
			print("Training started via Kueue")
			for i in range(10):
			    print(f"Step {i + 1}/10")
			    time.sleep(2)
			print("Training complete")

			"""]
		resources: {cpu: 2, memory: "4Gi", limits: {cpu: 4, memory: "8Gi"}}
	}`},
	"trainer/trainjob_04-volcano-integration.yaml": {
		doc:      1,
		platform: `defaults: training: runtimes: "torch-distributed-volcano": {framework: "pytorch", podGroupPolicy: "volcano"}`,
		cue: `trainingJobs: "volcano-example": {
		framework: "pytorch"
		runtime: "torch-distributed-volcano"
		workers: 4
		command: ["python3", "-c", """
			import os
			import time
			node_rank = os.getenv("PET_NODE_RANK", "0")
			nnodes = os.getenv("PET_NNODES", "1")
			print(f"Node {node_rank}/{nnodes} started via Volcano gang scheduling")
			print(f"All {nnodes} nodes are guaranteed to start together")
			time.sleep(5)
			print(f"Node {node_rank} training complete")

			"""]
		resources: {cpu: 1, memory: "2Gi", limits: {cpu: 2, memory: "4Gi"}}
	}`},
	"trainer/trainjob_05-multi-step.yaml": {
		doc:      1,
		platform: `defaults: training: runtimes: "torch-with-dataset-init": {framework: "pytorch", kind: "TrainingRuntime", initializers: ["dataset"]}`,
		cue: `trainingJobs: "multi-step-example": {
		framework: "pytorch"
		runtime: "torch-with-dataset-init"
		dataset: storageUri: "hf://tatsu-lab/alpaca"
		workers: 2
		command: ["python3", "-c", """
			import os
			path = "/workspace/dataset"
			if os.path.exists(path):
			    print(f"Dataset ready at {path} ({len(os.listdir(path))} entries)")
			else:
			    print(f"Dataset path {path} missing — initializer did not run")
			for epoch in range(3):
			    print(f"Epoch {epoch + 1}/3")
			print("Training complete")

			"""]
		resources: {cpu: 2, memory: "4Gi", limits: {cpu: 4, memory: "8Gi"}}
	}`},
	"training-operator/jaxjob_cpu_demo.yaml": {platform: operatorBackend, cue: `trainingJobs: "jaxjob-simple": {
		framework: "jax"
		image: "ghcr.io/kubeflow/training-v1/jaxjob-simple:latest"
		imagePullPolicy: "Always"
		command: ["python3", "train.py"]
		workers: 2
		restartPolicy: "OnFailure"
	}`},
	"training-operator/mpijob_tensorflow_mnist.yaml": {platform: operatorBackend, cue: `trainingJobs: "tensorflow-mnist": {
		framework: "mpi"
		image: "horovod/horovod:0.28.1"
		command: ["mpirun"]
		args: ["-np", "2", "--allow-run-as-root", "-bind-to", "none", "-map-by", "slot", "-x", "LD_LIBRARY_PATH", "-x", "PATH",
			"-mca", "pml", "ob1", "-mca", "btl", "^openib", "python", "/horovod/examples/tensorflow2/tensorflow2_mnist.py"]
		workers: 2
		procsPerWorker: 1
		resources: {cpu: 2, memory: "4Gi"}
		launcher: resources: {cpu: 1, memory: "2Gi"}
		cleanPods: "Running"
	}`},
	"training-operator/paddlejob_simple_cpu.yaml": {platform: operatorBackend, cue: `trainingJobs: "paddle-simple-cpu": {
		framework: "paddle"
		image: "registry.baidubce.com/paddlepaddle/paddle:2.4.0rc0-cpu"
		imagePullPolicy: "Always"
		command: ["python"]
		args: ["-m", "paddle.distributed.launch", "run_check"]
		port: 37777
		workers: 2
		restartPolicy: "OnFailure"
	}`},
	"training-operator/pytorchjob_cpu_demo.yaml": {platform: operatorBackend, cue: `trainingJobs: "torchrun-cpu": {
		framework: "pytorch"
		image: "pytorch-cpu:py3.8"
		command: ["torchrun", "demo.py"]
		workers: 2
		procsPerWorker: 2
		restartPolicy: "OnFailure"
	}`},
	"training-operator/pytorchjob_elastic_echo.yaml": {platform: operatorBackend, cue: `trainingJobs: "elastic-example-echo": {
		framework: "pytorch"
		image: "ghcr.io/kubeflow/training-v1/pytorch-elastic-example-echo:latest"
		imagePullPolicy: "IfNotPresent"
		env: LOGLEVEL: "DEBUG"
		command: ["python", "-m", "torch.distributed.run", "--rdzv_backend=c10d", "./echo.py"]
		workers: 2
		elastic: {minWorkers: 1, maxWorkers: 2, maxRestarts: 100}
	}`},
	"training-operator/pytorchjob_mnist_gloo.yaml": {platform: operatorBackend, cue: `trainingJobs: "pytorch-dist-mnist-gloo": {
		framework: "pytorch"
		image: "ghcr.io/kubeflow/training-v1/pytorch-dist-mnist:latest"
		args: ["--backend", "gloo"]
		workers: 2
		resources: gpu: 1
		restartPolicy: "OnFailure"
	}`},
	"training-operator/pytorchjob_simple.yaml": {platform: operatorBackend, cue: `trainingJobs: "pytorch-simple": {
		framework: "pytorch"
		image: "docker.io/kubeflowkatib/pytorch-mnist:v1beta1-45c5727"
		imagePullPolicy: "Always"
		command: ["python3", "/opt/pytorch-mnist/mnist.py", "--epochs=1"]
		workers: 2
		restartPolicy: "OnFailure"
	}`},
	"training-operator/tfjob_dist_mnist.yaml": {platform: operatorBackend, cue: `trainingJobs: "dist-mnist-for-e2e-test": {
		framework: "tensorflow"
		image: "ghcr.io/kubeflow/training-v1/tf-dist-mnist-test:latest"
		workers: 3
		chief: true
		parameterServers: 1
		restartPolicy: "Never"
	}`},
	"training-operator/tfjob_simple.yaml": {platform: operatorBackend, cue: `trainingJobs: "tfjob-simple": {
		framework: "tensorflow"
		image: "ghcr.io/kubeflow/training-v1/tf-mnist-with-summaries:latest"
		command: ["python", "/var/tf_mnist/mnist_with_summaries.py"]
		workers: 2
		restartPolicy: "OnFailure"
	}`},
	"katib/trial-pytorchjob-mnist.yaml": {platform: operatorBackend, cue: `experiments: "pytorchjob-mnist": {
		trial: {
			framework: "pytorch"
			image: "ghcr.io/kubeflow/katib/pytorch-mnist-cpu:latest"
			command: ["python3", "/opt/pytorch-mnist/mnist.py", "--epochs=1", "--batch-size=16",
				"--lr=${trialParameters.lr}", "--momentum=${trialParameters.momentum}"]
			workers: 2
			restartPolicy: "OnFailure"
		}
		parameters: {
		` + lrMomentum + `
		}
		objective: {metric: "loss", type: "minimize", goal: 0.001}
		algorithm: "random"
		maxTrials: 12
		parallelTrials: 3
		maxFailedTrials: 3
	}`},
	"katib/trial-tfjob-mnist-with-summaries.yaml": {platform: operatorBackend, cue: `experiments: "tfjob-mnist-with-summaries": {
		trial: {
			framework: "tensorflow"
			image: "ghcr.io/kubeflow/katib/tf-mnist-with-summaries:latest"
			command: ["python", "/opt/tf-mnist-with-summaries/mnist.py", "--epochs=1",
				"--learning-rate=${trialParameters.learning_rate}", "--batch-size=${trialParameters.batch_size}",
				"--log-path=/mnist-with-summaries-logs"]
			workers: 2
			restartPolicy: "OnFailure"
		}
		parameters: {
			learning_rate: {min: 0.01, max: 0.05, description: "Learning rate for the training model"}
			batch_size: {type: "int", min: 32, max: 64, description: "Batch Size"}
		}
		objective: {metric: "accuracy", type: "maximize", goal: 0.99}
		algorithm: "random"
		metricsCollector: {kind: "TensorFlowEvent", path: "/mnist-with-summaries-logs/test"}
		// Metrics come from every worker, not only the first.
		primaryPodLabels: "training.kubeflow.org/replica-type": "worker"
		maxTrials: 12
		parallelTrials: 3
		maxFailedTrials: 3
	}`},
	"katib/hp-tuning_random.yaml": {platform: operatorBackend, partial: true, cue: `experiments: random: {
		` + strings.Replace(katibMnist("1"), `restartPolicy: "Never"`, `restartPolicy: "Never"
		resources: {cpu: 0.5, memory: "1Gi"}`, 1) + `
		parameters: {
		` + lrMomentum + `
		}
		objective: {metric: "loss", type: "minimize", goal: 0.001}
		algorithm: "random"
		maxTrials: 12
		parallelTrials: 3
		maxFailedTrials: 3
	}`},
	"katib/hp-tuning_bayesian-optimization.yaml": {platform: operatorBackend, partial: true, cue: `experiments: "bayesian-optimization": {
		` + katibMnist("1") + `
		parameters: {
		` + lrMomentum + `
		}
		objective: {metric: "loss", type: "minimize", goal: 0.001}
		algorithm: "bayesianoptimization"
		algorithmSettings: random_state: 10
		maxTrials: 12
		parallelTrials: 3
		maxFailedTrials: 3
	}`},
	"katib/hp-tuning_grid.yaml": {platform: operatorBackend, partial: true, cue: `experiments: grid: {
		` + katibMnist("1") + `
		parameters: {
			lr: {min: 0.01, max: 0.05, step: 0.005, description: "Learning rate for the training model"}
			momentum: {min: 0.5, max: 0.9, step: 0.1, description: "Momentum for the training model"}
		}
		objective: {metric: "loss", type: "minimize", goal: 0.001}
		algorithm: "grid"
		maxTrials: 12
		parallelTrials: 3
		maxFailedTrials: 3
	}`},
	"katib/hp-tuning_hyperband.yaml": {platform: operatorBackend, partial: true, cue: `experiments: hyperband: {
		` + katibMnist("${trialParameters.num-epochs}") + `
		parameters: {
		` + lrMomentum + `
			"num-epochs": {type: "int", min: 1, max: 1, description: "Number of epochs to train the model"}
		}
		objective: {metric: "loss", type: "minimize", goal: 0.001}
		algorithm: "hyperband"
		algorithmSettings: {resource_name: "num-epochs", eta: 2, r_l: 2}
		maxTrials: 2
		parallelTrials: 2
		maxFailedTrials: 2
	}`},
	"katib/hp-tuning_tpe.yaml": {platform: operatorBackend, partial: true, cue: `experiments: tpe: {
		` + katibMnist("1") + `
		parameters: {
		` + lrMomentum + `
		}
		objective: {metric: "loss", type: "minimize", goal: 0.001}
		algorithm: "tpe"
		maxTrials: 12
		parallelTrials: 3
		maxFailedTrials: 3
	}`},
	"katib/hp-tuning_multivariate-tpe.yaml": {platform: operatorBackend, partial: true, cue: `experiments: "multivariate-tpe": {
		` + katibMnist("1") + `
		parameters: {
		` + lrMomentum + `
		}
		objective: {metric: "loss", type: "minimize", goal: 0.001}
		algorithm: "multivariate-tpe"
		maxTrials: 12
		parallelTrials: 3
		maxFailedTrials: 3
	}`},
	"katib/early-stopping_median-stop.yaml": {platform: operatorBackend, partial: true, cue: `experiments: "median-stop": {
		` + katibMnist("1") + `
		parameters: {
		` + lrMomentum + `
		}
		objective: {metric: "loss", type: "minimize", goal: 0.001}
		algorithm: "random"
		earlyStopping: {algorithm: "medianstop", settings: {min_trials_required: 1, start_step: 2}}
		retainTrials: true
		maxTrials: 15
		parallelTrials: 2
		maxFailedTrials: 3
	}`},
}

// trainingCannotMatch are the upstream examples mlc cannot reproduce, and why.
var trainingCannotMatch = map[string]string{
	"trainer/trainjob_02-runtime-patches.yaml": "its runtime patch is owned by a platform team's manager and carries JobSet labels, " +
		"annotations, a node selector and tolerations of the team's choosing; mlc writes its own patch, and places pods only by GPU type",
	"training-operator/xgboostjob_iris_train.yaml": "its master and workers run different arguments with different restart policies; " +
		"an mlc job runs one program on every node",
	"training-operator/xgboostjob_lightgbm_dist.yaml": "its master and workers run different arguments with different restart policies; " +
		"an mlc job runs one program on every node",
	"katib/nas_darts-cpu.yaml": "neural architecture search (nasConfig, the darts algorithm): mlc experiments search hyperparameters",
	"katib/nas_darts-gpu.yaml": "neural architecture search (nasConfig, the darts algorithm): mlc experiments search hyperparameters",
}

func trainingExamplesDir(t *testing.T) string {
	dir := filepath.Join("..", "..", "shared", "upstream-examples")
	if _, err := os.Stat(filepath.Join(dir, "katib")); err != nil {
		t.Skipf("upstream examples not available: %v", err)
	}
	return dir
}

// TestTrainingFidelityCoversEveryExample keeps the lists honest: every upstream training
// and Katib example is either reproduced or has a reason why it cannot be.
func TestTrainingFidelityCoversEveryExample(t *testing.T) {
	dir := trainingExamplesDir(t)
	for _, sub := range []string{"trainer", "training-operator", "katib"} {
		files, err := filepath.Glob(filepath.Join(dir, sub, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			name := sub + "/" + filepath.Base(f)
			if strings.HasPrefix(filepath.Base(f), "clustertrainingruntime_") {
				continue // runtimes the platform installs, not what a tenant declares
			}
			_, reproduced := trainingExamples[name]
			_, excused := trainingCannotMatch[name]
			if reproduced == excused {
				t.Errorf("%s: want it in exactly one of trainingExamples and trainingCannotMatch", name)
			}
		}
	}
	for name := range trainingCannotMatch {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("trainingCannotMatch names %s: %v", name, err)
		}
	}
}

// TestTrainingFidelity compiles the CUE a user would write for each upstream training
// job and Katib experiment, and compares mlc's object with the upstream one field by
// field, after normalising both to what the controllers' defaulting makes of them.
func TestTrainingFidelity(t *testing.T) {
	dir := trainingExamplesDir(t)
	for file, ex := range trainingExamples {
		t.Run(file, func(t *testing.T) {
			want := upstreamDoc(t, filepath.Join(dir, file), ex.doc)
			repo := writeRepo(t, map[string]string{
				"tenants/team-a/tenant.cue":    "package ml\n\ntenant: owner: \"alice@example.com\"\n",
				"tenants/team-a/notebooks.cue": "",
				tr:                             "package ml\n\n" + ex.cue + "\n",
				"platform.cue":                 "package ml\n\nclusters: prod: {}\n" + ex.platform + "\n",
			})
			res, err := compiler.Compile(t.Context(), repo, compiler.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Diagnostics.HasErrors() {
				t.Fatal(res.Diagnostics.Error())
			}
			var got map[string]any
			for _, o := range res.Clusters[0].Tenants[0].Workloads {
				if o.Kind() == want["kind"] {
					got = roundTrip(t, tree(t, o))
				}
			}
			if got == nil {
				t.Fatalf("mlc compiled no %s", want["kind"])
			}
			normalizeTraining(want)
			normalizeTraining(got)
			if ex.partial {
				wantC, gotC := jobTrialContainer(t, want), operatorTrialContainer(t, got)
				for _, o := range []map[string]any{want, got} {
					tt := o["spec"].(map[string]any)["trialTemplate"].(map[string]any)
					for _, k := range []string{"trialSpec", "primaryContainerName", "primaryPodLabels", "successCondition", "failureCondition"} {
						delete(tt, k)
					}
				}
				same(t, "the trial's container", wantC, gotC)
			}
			same(t, want["kind"].(string), want, got)
		})
	}
}

func same(t *testing.T, what string, want, got any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		wb, _ := yaml.Marshal(want)
		gb, _ := yaml.Marshal(got)
		t.Errorf("%s differs from upstream\n--- upstream (normalised)\n%s\n--- mlc (normalised)\n%s", what, wb, gb)
	}
}

// upstreamDoc reads the n-th YAML document of an upstream file.
func upstreamDoc(t *testing.T, path string, n int) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	for _, d := range bytes.Split(raw, []byte("\n---")) {
		var m map[string]any
		if err := yaml.Unmarshal(d, &m); err != nil {
			t.Fatal(err)
		}
		if m != nil {
			docs = append(docs, m)
		}
	}
	if n >= len(docs) {
		t.Fatalf("%s has %d documents", path, len(docs))
	}
	return docs[n]
}

func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := yaml.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// jobTrialContainer takes the container out of an upstream experiment's batch/v1 Job
// trial, with the pod's restart policy, and without the container's name.
func jobTrialContainer(t *testing.T, exp map[string]any) map[string]any {
	t.Helper()
	pod := dig(t, exp, "spec", "trialTemplate", "trialSpec", "spec", "template", "spec")
	c := pod["containers"].([]any)[0].(map[string]any)
	c["restartPolicy"] = pod["restartPolicy"]
	delete(c, "name")
	defaultRequests(c)
	return c
}

// operatorTrialContainer takes the container out of an mlc experiment's single-node
// PyTorchJob trial (normalised), with the replica's restart policy, and without the
// container's name and the port the Training Operator gives every PyTorchJob.
func operatorTrialContainer(t *testing.T, exp map[string]any) map[string]any {
	t.Helper()
	master := dig(t, exp, "spec", "trialTemplate", "trialSpec", "spec", "pytorchReplicaSpecs", "Master")
	c := dig(t, master, "template", "spec")["containers"].([]any)[0].(map[string]any)
	c["restartPolicy"] = master["restartPolicy"]
	delete(c, "name")
	d := operatorDefaults["PyTorchJob"]
	if reflect.DeepEqual(c["ports"], []any{map[string]any{"name": d.portName, "containerPort": d.port, "protocol": "TCP"}}) {
		delete(c, "ports")
	}
	return c
}

func dig(t *testing.T, m map[string]any, keys ...string) map[string]any {
	t.Helper()
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("no %s in %v", k, m)
		}
		m = next
	}
	return m
}

// normalizeTraining rewrites a training job or experiment into what the controllers'
// defaulting makes of it, and drops what mlc states but the examples leave to the
// cluster (the namespace).
func normalizeTraining(obj map[string]any) {
	delete(obj["metadata"].(map[string]any), "namespace")
	switch obj["kind"] {
	case "Experiment":
		normalizeExperiment(obj)
	case "TrainJob":
		normalizeTrainJob(obj)
	default:
		normalizeOperatorJob(obj)
	}
}

// normalizeTrainJob applies the TrainJob CRD's defaults, and drops the suspend a queued
// job is created with: Kueue's webhook suspends every job it queues.
func normalizeTrainJob(obj map[string]any) {
	spec := obj["spec"].(map[string]any)
	ref := spec["runtimeRef"].(map[string]any)
	setDefault(ref, "apiGroup", "trainer.kubeflow.org")
	setDefault(ref, "kind", "ClusterTrainingRuntime")
	labels, _ := obj["metadata"].(map[string]any)["labels"].(map[string]any)
	if _, queued := labels["kueue.x-k8s.io/queue-name"]; queued || spec["suspend"] == false {
		delete(spec, "suspend")
	}
	if tr, ok := spec["trainer"].(map[string]any); ok {
		if res, ok := tr["resourcesPerNode"].(map[string]any); ok {
			defaultRequests(map[string]any{"resources": res})
		}
	}
}

// operatorDefaults are the Training Operator's defaults for each kind (SetDefaults_* in
// pkg/apis/kubeflow.org/v1 of github.com/kubeflow/trainer v1.9): the key of its replica
// specs, its restart policy, and the port it adds to its container.
var operatorDefaults = map[string]struct {
	specKey, restart, container, portName string
	port                                  float64
}{
	"PyTorchJob": {"pytorchReplicaSpecs", "OnFailure", "pytorch", "pytorchjob-port", 23456},
	"TFJob":      {"tfReplicaSpecs", "Never", "tensorflow", "tfjob-port", 2222},
	"XGBoostJob": {"xgbReplicaSpecs", "Never", "xgboost", "xgboostjob-port", 9999},
	"MPIJob":     {"mpiReplicaSpecs", "Never", "mpi", "", 0},
	"JAXJob":     {"jaxReplicaSpecs", "Never", "jax", "jaxjob-port", 6666},
	"PaddleJob":  {"paddleReplicaSpecs", "OnFailure", "paddle", "master", 36543},
}

// normalizeOperatorJob applies the Training Operator's defaults and the API server's
// (container port protocol, requests from limits).
func normalizeOperatorJob(obj map[string]any) {
	d := operatorDefaults[obj["kind"].(string)]
	spec := obj["spec"].(map[string]any)
	rp, _ := spec["runPolicy"].(map[string]any)
	if rp == nil {
		rp = map[string]any{}
		spec["runPolicy"] = rp
	}
	setDefault(rp, "cleanPodPolicy", "None")
	setDefault(rp, "suspend", false)
	for _, v := range spec[d.specKey].(map[string]any) {
		rs := v.(map[string]any)
		setDefault(rs, "replicas", float64(1))
		setDefault(rs, "restartPolicy", d.restart)
		pod := rs["template"].(map[string]any)["spec"].(map[string]any)
		for _, x := range pod["containers"].([]any) {
			c := x.(map[string]any)
			if c["name"] == d.container && d.portName != "" {
				ports, _ := c["ports"].([]any)
				if !slices.ContainsFunc(ports, func(p any) bool { return p.(map[string]any)["name"] == d.portName }) {
					c["ports"] = append(ports, map[string]any{"name": d.portName, "containerPort": d.port})
				}
			}
			for _, p := range sliceOf(c["ports"]) {
				setDefault(p.(map[string]any), "protocol", "TCP")
			}
			defaultRequests(c)
		}
	}
	if obj["kind"] == "PyTorchJob" {
		ep, elastic := spec["elasticPolicy"].(map[string]any)
		if !elastic || ep["nProcPerNode"] == nil {
			setDefault(spec, "nprocPerNode", "auto")
		}
	}
}

// normalizeExperiment applies Katib's defaults (its mutating webhook's SetDefault),
// orders the lists Katib treats as sets, names each trial parameter after the parameter
// it refers to (rewriting the template's placeholders to match), and normalises the
// trial's job.
func normalizeExperiment(obj map[string]any) {
	spec := obj["spec"].(map[string]any)
	setDefault(spec, "parallelTrialCount", float64(3))
	setDefault(spec, "resumePolicy", "Never")
	if o, ok := spec["objective"].(map[string]any); ok {
		extract := map[any]string{"minimize": "min", "maximize": "max"}[o["type"]]
		var strategies []any
		for _, m := range append([]any{o["objectiveMetricName"]}, sliceOf(o["additionalMetricNames"])...) {
			strategies = append(strategies, map[string]any{"name": m, "value": extract})
		}
		setDefault(o, "metricStrategies", strategies)
	}
	for _, p := range sliceOf(spec["parameters"]) {
		setDefault(p.(map[string]any)["feasibleSpace"].(map[string]any), "distribution", "uniform")
	}
	mc, _ := spec["metricsCollectorSpec"].(map[string]any)
	if mc == nil {
		mc = map[string]any{}
		spec["metricsCollectorSpec"] = mc
	}
	setDefault(mc, "collector", map[string]any{"kind": "StdOut"})
	if mc["collector"].(map[string]any)["kind"] == "TensorFlowEvent" {
		fs := dig2(mc, "source", "fileSystemPath")
		setDefault(fs, "kind", "Directory")
		setDefault(fs, "path", "/var/log/katib/tfevent/")
	}
	for _, key := range []string{"algorithm", "earlyStopping"} {
		if a, ok := spec[key].(map[string]any); ok {
			sortByName(a["algorithmSettings"])
		}
	}
	sortByName(spec["parameters"])

	t := spec["trialTemplate"].(map[string]any)
	job := t["trialSpec"].(map[string]any)
	kind := job["kind"].(string)
	switch {
	case kind == "Job":
		setDefault(t, "successCondition", `status.conditions.#(type=="Complete")#|#(status=="True")#`)
		setDefault(t, "failureCondition", `status.conditions.#(type=="Failed")#|#(status=="True")#`)
	case operatorDefaults[kind].specKey != "":
		setDefault(t, "successCondition", `status.conditions.#(type=="Succeeded")#|#(status=="True")#`)
		setDefault(t, "failureCondition", `status.conditions.#(type=="Failed")#|#(status=="True")#`)
		setDefault(t, "primaryPodLabels", map[string]any{"training.kubeflow.org/job-role": "master"})
	}
	raw, _ := yaml.Marshal(job)
	text := string(raw)
	for _, p := range sliceOf(t["trialParameters"]) {
		tp := p.(map[string]any)
		text = strings.ReplaceAll(text, "${trialParameters."+tp["name"].(string)+"}", "${trialParameters."+tp["reference"].(string)+"}")
		tp["name"] = tp["reference"]
	}
	sortByName(t["trialParameters"])
	job = map[string]any{}
	_ = yaml.Unmarshal([]byte(text), &job)
	if kind != "Job" {
		job["metadata"] = map[string]any{}
		normalizeTraining(job)
		delete(job, "metadata")
	}
	t["trialSpec"] = job
}

// defaultRequests sets a container's requests that only its limits declare, as the API
// server does, and writes quantities one way.
func defaultRequests(c map[string]any) {
	res, ok := c["resources"].(map[string]any)
	if !ok {
		return
	}
	limits, _ := res["limits"].(map[string]any)
	requests, _ := res["requests"].(map[string]any)
	if requests == nil {
		requests = map[string]any{}
		res["requests"] = requests
	}
	for k, v := range limits {
		setDefault(requests, k, v)
	}
	for _, m := range []map[string]any{limits, requests} {
		for k, v := range m {
			m[k] = yamlNumber(v)
		}
	}
}

func setDefault(m map[string]any, key string, v any) {
	if _, ok := m[key]; !ok {
		m[key] = v
	}
}

func sliceOf(v any) []any { s, _ := v.([]any); return s }

// dig2 returns the map at keys, creating what is missing.
func dig2(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	return m
}

// sortByName orders a list of {name: ...} maps by name.
func sortByName(v any) {
	slices.SortFunc(sliceOf(v), func(a, b any) int {
		return strings.Compare(a.(map[string]any)["name"].(string), b.(map[string]any)["name"].(string))
	})
}
