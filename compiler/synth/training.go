package synth

import (
	"fmt"
	"strings"
)

// The most a training job and an experiment's parallel trials request, for the quota:
// CPUs (memory is 4Gi a CPU) and GPUs.
const (
	trainingCPU = 8
	trainingGPU = 2
	trialsCPU   = 4
	trialsGPU   = 2
)

// algorithms are the search algorithms the experiments take in turn.
var algorithms = []string{"random", "tpe", "bayesianoptimization", "grid"}

// training declares the tenant's training jobs, alternately PyTorch on GPUs and
// XGBoost on CPUs, and experiments whose PyTorch trials search a learning rate and an
// optimizer with each algorithm in turn.
func training(s Spec) string {
	var b strings.Builder
	b.WriteString("package ml\n\n")
	if s.TrainingJobs > 0 {
		b.WriteString("queues: \"team-gpu\": clusterQueue: \"team-gpu\"\n\n")
	}
	for n := range s.TrainingJobs {
		if n%2 == 0 {
			fmt.Fprintf(&b, `trainingJobs: "train-%d": {
	framework: "pytorch"
	image:     "ghcr.io/example/train:%d.0"
	command: ["torchrun", "train.py"]
	args: ["--epochs=90", "--lr=0.1"]
	workers:        2
	procsPerWorker: 1
	resources: {cpu: 4, memory: "16Gi", gpu: 1}
	env: {WANDB_MODE: "offline", WANDB_API_KEY: secret: {name: "wandb", key: "api-key"}}
	volumes: {
		data: {claim: "shared-data", mountPath: "/data", readOnly: true}
		dshm: {emptyDir: medium: "Memory", mountPath: "/dev/shm"}
	}
	queue: "team-gpu"
}
`, n, n%7)
			continue
		}
		fmt.Fprintf(&b, `trainingJobs: "train-%d": {
	framework: "xgboost"
	image:     "ghcr.io/example/xgb-train:%d.0"
	command: ["python", "-m", "train"]
	workers: 3
	resources: {cpu: 2, memory: "8Gi"}
	activeDeadlineSeconds: 14400
}
`, n, n%5)
	}
	for n := range s.Experiments {
		fmt.Fprintf(&b, `experiments: "tune-%d": {
	trial: {
		framework: "pytorch"
		image:     "ghcr.io/example/train:1.0"
		command: ["torchrun", "train.py"]
		args: ["--epochs=10", "--lr=${trialParameters.lr}", "--optimizer=${trialParameters.optimizer}"]
		resources: {cpu: 2, memory: "8Gi", gpu: 1}
	}
	parameters: {
		lr: {min: 0.001, max: 0.1, step: 0.001}
		optimizer: values: ["sgd", "adam", "adamw"]
	}
	objective: {metric: "val_accuracy", type: "maximize", goal: 0.95}
	algorithm:      "%s"
	maxTrials:      12
	parallelTrials: 2
}
`, n, algorithms[n%len(algorithms)])
	}
	return b.String()
}
