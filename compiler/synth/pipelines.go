package synth

import (
	"fmt"
	"strings"
)

// pipelineCPU is what a pipeline's largest step requests, in CPUs (memory is 4Gi a CPU).
const pipelineCPU = 8

// pipelines declares the tenant's pipelines, shaped like the quickstart's nightly one:
// prepare a data set, train on it, and a notification as the exit task, on a schedule.
func pipelines(s Spec) string {
	var b strings.Builder
	b.WriteString("package ml\n\n")
	for n := range s.Pipelines {
		fmt.Fprintf(&b, `pipelines: "flow-%d": {
	description: "Data preparation and training, %d"
	parameters: {
		source: {type: "string", description: "Where the raw data is"}
		epochs: default: %d
	}
	tasks: {
		prep: {
			image: "ghcr.io/example/prep:%d.0"
			command: ["python", "-m", "prep", "--source", "{{inputs.source}}", "--out", "{{outputs.dataset}}"]
			inputs: source: parameter: "source"
			outputs: dataset: "Dataset"
			resources: {cpu: 2, memory: "8Gi"}
			retry: {count: 2, backoff: "60s"}
		}
		train: {
			image: "ghcr.io/example/train:1.0"
			command: ["python", "-m", "train"]
			args: ["--data", "{{inputs.dataset}}", "--epochs", "{{inputs.epochs}}", "--model", "{{outputs.model}}"]
			inputs: {
				dataset: {task: "prep", output: "dataset"}
				epochs: parameter: "epochs"
			}
			outputs: model: "Model"
			resources: {cpu: %d, memory: "%dGi", gpu: 1}
			timeout: "6h"
		}
		notify: {
			image: "ghcr.io/example/notify:1.0"
			args: ["flow-%d finished"]
		}
	}
	exitTask: "notify"
	schedule: {
		cron: "0 %d * * *"
		parameters: source: "s3://data/flow-%d"
	}
}
`, n, n, 5+n%10, n%4, pipelineCPU, 4*pipelineCPU, n, n%24, n)
	}
	return b.String()
}
