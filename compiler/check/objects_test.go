package check

import (
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// TestObjectCollisions: two declarations that give rise to one object are reported once,
// at the later of the two, naming the other; names of a series (Knative revisions,
// Katib trials) are matched by their whole suffix.
func TestObjectCollisions(t *testing.T) {
	p := &model.Platform{Defaults: model.Defaults{
		Serving: model.ServingDefaults{Mode: "serverless"},
		Training: model.TrainingDefaults{
			Backend:         model.BackendTrainer,
			Runtimes:        map[string]model.TrainingRuntime{"torch-distributed": {Framework: "pytorch"}},
			DefaultRuntimes: map[string]string{"pytorch": "torch-distributed"},
		},
	}}
	targets := []trainingTarget{{TrainingTarget: model.TrainingTarget{Backend: model.BackendTrainer}}}
	endpoint := model.ServingEndpoint{Model: &model.ServedModel{Format: "sklearn", StorageURI: "s3://b/m"}}
	job := model.TrainingJob{Framework: "pytorch", Workers: 2}
	notebooks := func(names ...string) map[string]model.Notebook {
		m := map[string]model.Notebook{}
		for _, n := range names {
			m[n] = model.Notebook{}
		}
		return m
	}
	cases := []struct {
		name  string
		decls model.Declarations
		// lines places declarations; unplaced ones are on line 0.
		lines map[string]int
		want  string // "<field>: <part of the message>", or "" for no error
	}{
		{
			name:  "a notebook named as a revision, written later",
			decls: model.Declarations{Notebooks: notebooks("m-predictor-00001"), Serving: map[string]model.ServingEndpoint{"m": endpoint}},
			lines: map[string]int{"servingEndpoints.m": 1, `notebooks."m-predictor-00001"`: 2},
			want:  `notebooks."m-predictor-00001": Service m-predictor-00001 of notebook m-predictor-00001 and of serving endpoint m (f.cue:1:1)`,
		},
		{
			name:  "the same, written earlier",
			decls: model.Declarations{Notebooks: notebooks("m-predictor-00001"), Serving: map[string]model.ServingEndpoint{"m": endpoint}},
			lines: map[string]int{"servingEndpoints.m": 2, `notebooks."m-predictor-00001"`: 1},
			want:  "servingEndpoints.m: Service m-predictor-00001 of serving endpoint m and of notebook m-predictor-00001 (f.cue:1:1)",
		},
		{
			name:  "not a revision's number",
			decls: model.Declarations{Notebooks: notebooks("m-predictor-0001", "m-predictor-00001x"), Serving: map[string]model.ServingEndpoint{"m": endpoint}},
		},
		{
			name: "a name with dashes before the series' start",
			decls: model.Declarations{
				Notebooks:   notebooks("a-b-c-bcdfghjk"),
				Experiments: map[string]model.Experiment{"a-b-c": {Trial: job, Algorithm: "random"}},
			},
			lines: map[string]int{`experiments."a-b-c"`: 1, `notebooks."a-b-c-bcdfghjk"`: 2},
			want:  `notebooks."a-b-c-bcdfghjk": Service a-b-c-bcdfghjk of notebook a-b-c-bcdfghjk and of experiment a-b-c (f.cue:1:1) would be one object: the notebook controller makes one, JobSet`,
		},
		{
			name: "not a trial's characters",
			decls: model.Declarations{
				Notebooks:   notebooks("hpo-abcdefgh"), // a, e are not in the alphabet
				Experiments: map[string]model.Experiment{"hpo": {Trial: job, Algorithm: "random"}},
			},
		},
		{
			name:  "two notebooks named alike are uniqueNames' to report",
			decls: model.Declarations{Notebooks: notebooks("a_b", "a-b")},
		},
		{
			name:  "apart",
			decls: model.Declarations{Notebooks: notebooks("dev"), Training: map[string]model.TrainingJob{"resnet": job}, Serving: map[string]model.ServingEndpoint{"m": endpoint}},
		},
		{
			name:  "reported once for a pair",
			decls: model.Declarations{Notebooks: notebooks("resnet"), Training: map[string]model.TrainingJob{"resnet": job}},
			lines: map[string]int{"notebooks.resnet": 1, "trainingJobs.resnet": 2},
			want:  "trainingJobs.resnet: Service resnet of training job resnet and of notebook resnet (f.cue:1:1)",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &reporter{locate: func(path string) diag.Position {
				return diag.Position{File: "f.cue", Line: tc.lines[path], Column: 1}
			}}
			r.objectCollisions(p, &tc.decls, targets)
			var got []string
			for _, d := range r.diags {
				got = append(got, d.Path+": "+d.Message)
			}
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("want no error, got %q", got)
			case tc.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tc.want)):
				t.Errorf("want one error starting %q, got %q", tc.want, got)
			}
		})
	}
}
