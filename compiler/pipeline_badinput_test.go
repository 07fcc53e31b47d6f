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
			pos: pl + ":6:66", path: "pipelines.nightly.tasks.train.inputs.dataset.task", message: `task prep has no output "data" (has dataset)`,
		},
		{
			name: "an artifact wired to a parameter",
			file: pipelineFile(`	tasks: {
		prep: {image: "ghcr.io/acme/prep:1", outputs: dataset: "Dataset"}
		train: {image: "ghcr.io/acme/train:1", inputs: rows: {task: "prep", output: "dataset", type: "int"}}
	}
`),
			pos: pl + ":6:50", path: "pipelines.nightly.tasks.train.inputs.rows", message: "prep.dataset is a Dataset artifact, wired here to a int parameter",
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
			pos: pl + ":5:18", path: "pipelines.nightly.schedule.cron", message: `"0 25 * * *" is not a schedule a Kubernetes CronJob reads: hour field "25": 25 is above 23`,
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
			pos: pl + ":7:44", path: `pipelines.nightly.tasks.heads.if.">"`, message: "compares a string with a int",
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
			pos: pl + ":3:12", path: "pipelines.nightly", message: "with this pipeline's largest step the tenant's declarations request 16 CPU in all, more than its quota of 8",
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
	if len(res.Clusters) != 0 || !res.Diagnostics.HasErrors() {
		t.Fatalf("no error reported")
	}
	for _, d := range res.Diagnostics {
		if d.Pos.String() == pos && d.Path == path && strings.Contains(d.Message, message) {
			return
		}
	}
	t.Errorf("want a diagnostic at %s, path %q, containing %q; got:\n%s", pos, path, message, res.Diagnostics.Error())
}
