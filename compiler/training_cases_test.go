package compiler_test

import (
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
)

// tr is the training file of the bad-input cases.
const tr = "tenants/team-a/training.cue"

// hpo is a valid experiment for baseRepo; each bad-input case about experiments changes
// one thing in it, so that its diagnostic can only come from that change.
const hpo = `package ml

experiments: hpo: {
	trial: {
		framework: "pytorch"
		image:     "ghcr.io/acme/train:1"
		args: ["--lr=${trialParameters.lr}"]
		resources: {cpu: 1, memory: "1Gi"}
	}
	parameters: lr: {min: 0.01, max: 0.1}
	objective: {metric: "loss", type: "minimize"}
	algorithm: "random"
	maxTrials:      6
	parallelTrials: 2
}
`

// resnet is a valid training job for baseRepo, changed the same way.
const resnet = `package ml

trainingJobs: resnet: {
	framework: "pytorch"
	image:     "ghcr.io/acme/train:1"
	workers:   2
	resources: {cpu: 1, memory: "1Gi", gpu: 1}
}
`

// with returns base with old, which must be in it once, replaced by new.
func with(t testing.TB, base, old, new string) string {
	t.Helper()
	if strings.Count(base, old) != 1 {
		t.Fatalf("%q is not in the base text once", old)
	}
	return strings.Replace(base, old, new, 1)
}

// TestTrainingCasesStartValid keeps the bases of the training bad-input cases valid, so
// that each case's diagnostic comes from its own change.
func TestTrainingCasesStartValid(t *testing.T) {
	for name, content := range map[string]string{"experiment": hpo, "training job": resnet} {
		t.Run(name, func(t *testing.T) {
			dir := writeRepo(t, map[string]string{tr: content})
			res, err := compiler.Compile(t.Context(), dir, compiler.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Diagnostics) > 0 {
				t.Fatal(res.Diagnostics.Error())
			}
		})
	}
}
