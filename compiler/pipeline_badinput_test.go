package compiler_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
)

const pl = "tenants/team-a/pipelines.cue"

// pipelineFile is a pipeline with a prep step feeding a train step; cases replace parts.
func pipelineFile(body string) string {
	return "package ml\n\npipelines: nightly: {\n" + body + "}\n"
}

// TestBadPipelineInput is the pipeline part of the bad-input corpus: each mistake is
// reported at the user's line with a message that says what is wrong.
func TestBadPipelineInput(t *testing.T) {
	cases := []struct {
		name, file, pos, path, message string
	}{
		{
			name: "a cycle",
			file: pipelineFile(`	tasks: {
		a: {image: "ghcr.io/acme/a:1", inputs: x: {task: "b", output: "out"}, outputs: out: "string"}
		b: {image: "ghcr.io/acme/b:1", inputs: x: {task: "a", output: "out"}, outputs: out: "string"}
	}
`),
			pos: pl + ":5:3", path: "pipelines.nightly.tasks.a", message: "tasks wait for each other in a cycle: a → b → a",
		},
		{
			name: "a dangling task reference",
			file: pipelineFile(`	tasks: {
		prep: {image: "ghcr.io/acme/prep:1", outputs: dataset: "Dataset"}
		train: {image: "ghcr.io/acme/train:1", inputs: dataset: {task: "prepp", output: "dataset"}}
	}
`),
			pos: pl + ":6:66", path: "pipelines.nightly.tasks.train.inputs.dataset.task", message: `no task "prepp" in the pipeline (have prep, train)`,
		},
		{
			name: "a dangling output reference",
			file: pipelineFile(`	tasks: {
		prep: {image: "ghcr.io/acme/prep:1", outputs: dataset: "Dataset"}
		train: {image: "ghcr.io/acme/train:1", inputs: dataset: {task: "prep", output: "data"}}
	}
`),
			pos: pl + ":6:82", path: "pipelines.nightly.tasks.train.inputs.dataset.output", message: `task prep has no output "data" (has dataset)`,
		},
		{
			name: "an artifact wired to a parameter",
			file: pipelineFile(`	tasks: {
		prep: {image: "ghcr.io/acme/prep:1", outputs: dataset: "Dataset"}
		train: {image: "ghcr.io/acme/train:1", inputs: rows: {task: "prep", output: "dataset", type: "int"}}
	}
`),
			pos: pl + ":6:50", path: "pipelines.nightly.tasks.train.inputs.rows", message: "prep.dataset is a Dataset artifact, wired here to an int parameter",
		},
		{
			name: "an artifact of the wrong type",
			file: pipelineFile(`	tasks: {
		prep: {image: "ghcr.io/acme/prep:1", outputs: dataset: "Dataset"}
		train: {image: "ghcr.io/acme/train:1", inputs: model: {task: "prep", output: "dataset", type: "Model"}}
	}
`),
			pos: pl + ":6:50", path: "pipelines.nightly.tasks.train.inputs.model", message: "this input expects a Model artifact, but prep.dataset is a Dataset",
		},
		{
			name: "an output of no KFP type",
			file: pipelineFile(`	tasks: prep: {image: "ghcr.io/acme/prep:1", outputs: dataset: "DataFrame"}
`),
			pos: pl + ":4:64", path: "pipelines.nightly.tasks.prep.outputs.dataset", message: `"DataFrame" is not a parameter type (string, int, float, bool, list, struct) or an artifact type (Artifact, Dataset`,
		},
		{
			name: "a missing required parameter",
			file: pipelineFile(`	parameters: source: type: "string"
	tasks: prep: {image: "ghcr.io/acme/prep:1", inputs: src: parameter: "source"}
	schedule: cron: "0 2 * * *"
`),
			pos: pl + ":6:2", path: "pipelines.nightly.schedule", message: "parameter source has no default, so scheduled runs need a value",
		},
		{
			name: "an empty task list",
			file: pipelineFile("\ttasks: {}\n"),
			pos:  pl + ":4:2", path: "pipelines.nightly.tasks", message: "a pipeline needs at least one task",
		},
		{
			name: "a cron expression that does not parse",
			file: pipelineFile(`	tasks: prep: image: "ghcr.io/acme/prep:1"
	schedule: cron: "0 25 * * *"
`),
			pos: pl + ":5:18", path: "pipelines.nightly.schedule.cron", message: `"0 25 * * *" is not a schedule a Kubernetes CronJob reads: hour field "25": end of range (25) above maximum (23)`,
		},
		{
			name: "a cron with seconds",
			file: pipelineFile(`	tasks: prep: image: "ghcr.io/acme/prep:1"
	schedule: cron: "0 0 2 * * *"
`),
			pos: pl + ":5:18", path: "pipelines.nightly.schedule.cron", message: "want 5 fields (minute hour day-of-month month day-of-week), found 6",
		},
		{
			name: "a time zone in the cron",
			file: pipelineFile(`	tasks: prep: image: "ghcr.io/acme/prep:1"
	schedule: cron: "CRON_TZ=Europe/Paris 0 2 * * *"
`),
			pos: pl + ":5:18", path: "pipelines.nightly.schedule.cron", message: "set the time zone in schedule.timeZone, not in cron",
		},
		{
			name: "an unknown time zone",
			file: pipelineFile(`	tasks: prep: image: "ghcr.io/acme/prep:1"
	schedule: {cron: "0 2 * * *", timeZone: "Europe/Pariss"}
`),
			pos: pl + ":5:42", path: "pipelines.nightly.schedule.timeZone", message: `"Europe/Pariss" is not a time zone of the IANA database`,
		},
		{
			name: "a condition on something not upstream",
			file: pipelineFile(`	tasks: {
		check: {
			if: {task: "flip", output: "side", "==": "heads"}
			tasks: flip: {image: "ghcr.io/acme/flip:1", outputs: side: "string"}
		}
	}
`),
			pos: pl + ":6:15", path: "pipelines.nightly.tasks.check.if.task", message: "flip runs inside check and cannot feed it",
		},
		{
			name: "a condition comparing the wrong type",
			file: pipelineFile(`	tasks: {
		flip: {image: "ghcr.io/acme/flip:1", outputs: side: "string"}
		heads: {
			if: {task: "flip", output: "side", ">": 3}
			tasks: say: {image: "ghcr.io/acme/say:1"}
		}
	}
`),
			pos: pl + ":7:44", path: `pipelines.nightly.tasks.heads.if.">"`, message: "compares a string with an int",
		},
		{
			name: "a loop whose item is not used",
			file: pipelineFile(`	tasks: shards: {
		loop: items: [1, 2, 3]
		tasks: work: image: "ghcr.io/acme/work:1"
	}
`),
			pos: pl + ":5:3", path: "pipelines.nightly.tasks.shards.loop", message: `no task in the loop uses its item: bind an input to {item: "shards"}`,
		},
		{
			name: "a placeholder naming no input",
			file: pipelineFile(`	tasks: prep: {image: "ghcr.io/acme/prep:1", args: ["{{inputs.rows}}"]}
`),
			pos: pl + ":4:53", path: "pipelines.nightly.tasks.prep.args[0]", message: "{{inputs.rows}}: the step has no input rows (has none)",
		},
		{
			name: "a step over the tenant's quota",
			file: pipelineFile(`	tasks: train: {image: "ghcr.io/acme/train:1", resources: {cpu: 16, memory: "8Gi"}}
`),
			pos: pl + ":4:65", path: "pipelines.nightly.tasks.train.resources.cpu", message: "step train's pod requests 16100m CPU: the step's 16, and 100m for Argo's wait container beside it (defaults.containerDefaults.cpu), more than the tenant's whole quota of 8 (tenant.quota.cpu)",
		},
		{
			name: "a step over the quota's memory, beside a small one",
			file: pipelineFile(`	tasks: {
		small: {image: "ghcr.io/acme/a:1", resources: {cpu: 1, memory: "1Gi"}}
		big: {image: "ghcr.io/acme/a:1", resources: {cpu: 1, memory: "40Gi"}}
	}
`),
			pos: pl + ":6:64", path: "pipelines.nightly.tasks.big.resources.memory", message: "step big's pod requests 41088Mi memory: the step's 40Gi, and 128Mi for Argo's wait container beside it (defaults.containerDefaults.memory), more than the tenant's whole quota of 32Gi (tenant.quota.memory)",
		},
		{
			name: "a step named as the exit handler",
			file: pipelineFile(`	tasks: {
		"exit-handler-1": {image: "ghcr.io/acme/a:1"}
		fin: {image: "ghcr.io/acme/a:1"}
	}
	exitTask: "fin"
`),
			pos: pl + ":5:3", path: `pipelines.nightly.tasks."exit-handler-1"`, message: `task "exit-handler-1" is named "exit-handler-1" in the pipeline spec, the name mlc gives the group of the steps the exit task watches; rename the task`,
		},
		{
			name: "a step named as the exit handler, with underscores",
			file: pipelineFile(`	tasks: {
		exit_handler_1: {image: "ghcr.io/acme/a:1"}
		fin: {image: "ghcr.io/acme/a:1"}
	}
	exitTask: "fin"
`),
			pos: pl + ":5:3", path: "pipelines.nightly.tasks.exit_handler_1", message: `task "exit_handler_1" is named "exit-handler-1" in the pipeline spec, the name mlc gives the group of the steps the exit task watches`,
		},
		{
			name: "a step named as a branch",
			file: pipelineFile(`	parameters: n: default: 1
	tasks: {
		pick: branches: [
			{if: {parameter: "n", "==": 1}, tasks: one: image: "ghcr.io/acme/a:1"},
			{tasks: other: image: "ghcr.io/acme/a:1"},
		]
		"pick-2": {image: "ghcr.io/acme/a:1"}
	}
`),
			pos: pl + ":10:3", path: `pipelines.nightly.tasks."pick-2"`, message: `task "pick-2" is named "pick-2" in the pipeline spec, the name mlc gives branch 2 of pick; rename the task`,
		},
		{
			name: "a step waiting for the exit task",
			file: pipelineFile(`	tasks: {
		a: {image: "ghcr.io/acme/a:1", after: ["fin"]}
		fin: {image: "ghcr.io/acme/a:1"}
	}
	exitTask: "fin"
`),
			pos: pl + ":5:42", path: "pipelines.nightly.tasks.a.after[0]", message: "fin is the exit task: it runs after every other task, so no task can wait for it or use its outputs",
		},
		{
			name: "the exit task using a watched step's output",
			file: pipelineFile(`	tasks: {
		a: {image: "ghcr.io/acme/a:1", outputs: o: "string"}
		fin: {image: "ghcr.io/acme/a:1", inputs: x: {task: "a", output: "o"}}
	}
	exitTask: "fin"
`),
			pos: pl + ":6:54", path: "pipelines.nightly.tasks.fin.inputs.x.task", message: "a is one of the steps the exit task watches: the exit task runs whether they succeeded or failed, and cannot use their outputs",
		},
		{
			name: "a loop over items of mixed types",
			file: pipelineFile(`	tasks: l: {
		loop: items: [1, 2, "three"]
		tasks: w: {image: "ghcr.io/acme/a:1", inputs: n: item: "l"}
	}
`),
			pos: pl + ":5:23", path: "pipelines.nightly.tasks.l.loop.items[2]", message: "the items are of one type, and this one is a string where the first is an int: make them alike, or set loop.itemType",
		},
		{
			name: "a field missing from a loop item",
			file: pipelineFile(`	tasks: l: {
		loop: items: [{a: "1"}, {b: "2"}]
		tasks: w: {image: "ghcr.io/acme/a:1", inputs: n: {item: "l", field: "a"}}
	}
`),
			pos: pl + ":6:71", path: "pipelines.nightly.tasks.l.tasks.w.inputs.n.field", message: `item 1 of loop l has no field "a"`,
		},
		{
			name: "a field of mixed types",
			file: pipelineFile(`	tasks: l: {
		loop: items: [{a: "1"}, {a: 2}]
		tasks: w: {image: "ghcr.io/acme/a:1", inputs: n: {item: "l", field: "a"}}
	}
`),
			pos: pl + ":6:71", path: "pipelines.nightly.tasks.l.tasks.w.inputs.n.field", message: "field a is a string in item 0 of loop l and an int in item 1: set type on this input",
		},
		{
			name: "a field of the items of a list output of unknown type",
			file: pipelineFile(`	tasks: {
		gen: {image: "ghcr.io/acme/a:1", outputs: xs: "list"}
		l: {
			loop: {task: "gen", output: "xs"}
			tasks: w: {image: "ghcr.io/acme/a:1", inputs: n: {item: "l", field: "a"}}
		}
	}
`),
			pos: pl + ":8:72", path: "pipelines.nightly.tasks.l.tasks.w.inputs.n.field", message: `mlc cannot tell the type of the items of gen.xs: set loop.itemType: "struct" on loop l`,
		},
		{
			name: "two volumes at one path",
			file: pipelineFile(`	tasks: a: {
		image: "ghcr.io/acme/a:1"
		volumes: {
			creds: {mountPath: "/etc/creds", secret: "creds"}
			other: {mountPath: "/etc/creds", configMap: "other"}
		}
	}
`),
			pos: pl + ":8:23", path: "pipelines.nightly.tasks.a.volumes.other.mountPath", message: "/etc/creds is already where volume creds is mounted: a path holds one volume",
		},
		{
			name: "a placeholder with spaces",
			file: pipelineFile(`	tasks: a: {image: "ghcr.io/acme/a:1", inputs: n: value: 1, args: ["--n", "{{ inputs.n }}"]}
`),
			pos: pl + ":4:75", path: "pipelines.nightly.tasks.a.args[1]", message: "{{ inputs.n }} is not a placeholder: write {{inputs.NAME}} or {{outputs.NAME}}",
		},
		{
			name: "a placeholder in the singular",
			file: pipelineFile(`	tasks: a: {image: "ghcr.io/acme/a:1", inputs: n: value: 1, command: ["run", "{{input.n}}"]}
`),
			pos: pl + ":4:78", path: "pipelines.nightly.tasks.a.command[1]", message: "{{input.n}} is not a placeholder: write {{inputs.NAME}} or {{outputs.NAME}} (a parameter's value or file, an artifact's local path), {{inputs.NAME.uri}} or {{outputs.NAME.uri}} (an artifact's URI); inputs and outputs are plural",
		},
		{
			name: "a placeholder asking for a path",
			file: pipelineFile(`	tasks: {
		prep: {image: "ghcr.io/acme/a:1", outputs: d: "Dataset"}
		a: {image: "ghcr.io/acme/a:1", inputs: d: {task: "prep", output: "d"}, args: ["{{inputs.d.path}}"]}
	}
`),
			pos: pl + ":6:81", path: "pipelines.nightly.tasks.a.args[0]", message: "; {{inputs.NAME}} is already an artifact's local path",
		},
		{
			name: "a placeholder in an env value",
			file: pipelineFile(`	tasks: a: {image: "ghcr.io/acme/a:1", inputs: n: value: 1, env: N: "{{inputs.n}}"}
`),
			pos: pl + ":4:69", path: "pipelines.nightly.tasks.a.env.N", message: `Kubeflow Pipelines fills placeholders only in command and args: the container would get "{{inputs.n}}" as written`,
		},
		{
			name: "a placeholder in a constant",
			file: pipelineFile(`	tasks: a: {image: "ghcr.io/acme/a:1", inputs: {n: value: 1, m: value: "x{{inputs.n}}"}}
`),
			pos: pl + ":4:72", path: "pipelines.nightly.tasks.a.inputs.m.value", message: "a constant is passed as written, and {{inputs.n}} would reach the step as it is",
		},
		{
			name: "a schedule whose job image the policy refuses",
			file: pipelineFile(`	tasks: prep: image: "ghcr.io/acme/prep:1"
	schedule: cron: "@daily"
`),
			pos: pl + ":5:2", path: "pipelines.nightly.schedule", message: `the schedule's job runs the default of defaults.pipelines.scheduleImage, "docker.io/library/python:3.13-slim", which is not from an allowed registry (policy.allowedRegistries: ghcr.io/kubeflow/, ghcr.io/acme/): set defaults.pipelines.scheduleImage in the platform`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantDiagnostic(t, tc.file, tc.pos, tc.path, tc.message)
		})
	}
}

// wantDiagnostic compiles a repository whose only pipeline file is file and wants an
// error at pos, on path, whose message contains message.
func wantDiagnostic(t *testing.T, file, pos, path, message string) {
	t.Helper()
	dir := writeRepo(t, map[string]string{pl: file})
	res, err := compiler.Compile(context.Background(), dir, compiler.Options{NoCache: true})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	requireRefused(t, res, pos, path, message)
}

// requireRefused wants a compilation that compiled nothing and reported an error at
// pos, on path (any path when empty), whose message contains message.
func requireRefused(t *testing.T, res *compiler.Result, pos, path, message string) {
	t.Helper()
	if len(res.Clusters) != 0 || !res.Diagnostics.HasErrors() {
		t.Fatalf("no error reported, or objects compiled:\n%s", res.Diagnostics.Error())
	}
	for _, d := range res.Diagnostics {
		if d.Pos.String() == pos && (path == "" || d.Path == path) && strings.Contains(d.Message, message) {
			return
		}
	}
	t.Errorf("want a diagnostic at %s, path %q, containing %q; got:\n%s", pos, path, message, res.Diagnostics.Error())
}
