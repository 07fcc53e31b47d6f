package names

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// TestDerivedObjects: the names of the objects the controllers derive from what mlc
// writes, as those controllers name them.
func TestDerivedObjects(t *testing.T) {
	p := &model.Platform{Defaults: model.Defaults{
		Serving: model.ServingDefaults{Mode: "serverless"},
		Training: model.TrainingDefaults{
			Runtimes:        map[string]model.TrainingRuntime{"torch-distributed": {Framework: "pytorch"}, "torchtune": {Framework: "pytorch", Initializers: []string{"dataset", "model"}}, "deepspeed": {Framework: "mpi"}},
			DefaultRuntimes: map[string]string{"pytorch": "torch-distributed", "mpi": "deepspeed"},
		},
	}}
	trainer := model.TrainingTarget{Backend: model.BackendTrainer}
	operator := model.TrainingTarget{Backend: model.BackendTrainingOperator}
	ps := int64(1)
	sklearn := &model.ServedModel{Format: "sklearn"}
	cases := []struct {
		name string
		objs []Derived
		want []string // Kind/name, and Kind/name-* for a series
	}{
		{"notebook", NotebookObjects("vision", "dev", model.Notebook{DataVolumes: map[string]model.DataVolume{"Scratch": {Size: "1Gi"}, "ref": {ExistingClaim: "ref"}}}),
			[]string{"Pod/dev-0", "Service/dev", "VirtualService/notebook-vision-dev", "PersistentVolumeClaim/dev-workspace", "PersistentVolumeClaim/dev-datavol-scratch"}},
		{"raw endpoint with a transformer", EndpointObjects(p, "m", model.ServingEndpoint{Mode: "raw", Model: sklearn, Transformer: &model.ServingContainer{}}),
			[]string{"Deployment/m-predictor", "Service/m-predictor", "Deployment/m-transformer", "Service/m-transformer"}},
		{"serverless endpoint", EndpointObjects(p, "m", model.ServingEndpoint{Model: sklearn}),
			[]string{"Service/m", "VirtualService/m", "Service.serving.knative.dev/m-predictor", "Service/m-predictor", "Service/m-predictor-*", "Deployment/m-predictor-*"}},
		{"PyTorch on the Training Operator", TrainingObjects(p, operator, "j", model.TrainingJob{Framework: "pytorch", Workers: 3}),
			[]string{"PyTorchJob/j", "Pod/j-master-0", "Service/j-master-0", "Pod/j-worker-0", "Service/j-worker-0", "Pod/j-worker-1", "Service/j-worker-1"}},
		{"TensorFlow with a chief and a parameter server", TrainingObjects(p, operator, "j", model.TrainingJob{Framework: "tensorflow", Workers: 2, Chief: true, ParameterServers: &ps}),
			[]string{"TFJob/j", "Pod/j-chief-0", "Service/j-chief-0", "Pod/j-ps-0", "Service/j-ps-0", "Pod/j-worker-0", "Service/j-worker-0"}},
		{"MPI on the Training Operator", TrainingObjects(p, operator, "j", model.TrainingJob{Framework: "mpi", Workers: 2}),
			[]string{"MPIJob/j", "Pod/j-launcher", "ConfigMap/j-config", "ServiceAccount/j-launcher", "Role/j-launcher", "RoleBinding/j-launcher", "Pod/j-worker-0", "Pod/j-worker-1"}},
		{"Kubeflow Trainer with initializers", TrainingObjects(p, trainer, "j", model.TrainingJob{Framework: "pytorch", Runtime: "torchtune", Workers: 2}),
			[]string{"TrainJob/j", "Service/j", "Job/j-node-0", "Job/j-dataset-initializer-0", "Job/j-model-initializer-0"}},
		{"MPI on Kubeflow Trainer", TrainingObjects(p, trainer, "j", model.TrainingJob{Framework: "mpi", Workers: 2}),
			[]string{"TrainJob/j", "Service/j", "Job/j-node-0", "Job/j-launcher-0", "ConfigMap/j-mpi-hostfile", "Secret/j-mpi-ssh-auth"}},
		{"experiment", ExperimentObjects(trainer, "hpo", model.Experiment{Algorithm: "tpe", ResumePolicy: "FromVolume", Trial: model.TrainingJob{Framework: "pytorch"}}),
			[]string{"Deployment/hpo-tpe", "Service/hpo-tpe", "Trial/hpo-*", "TrainJob/hpo-*", "PersistentVolumeClaim/hpo-tpe", "Service/hpo-*"}},
		{"scheduled pipeline", PipelineObjects("nightly", model.Pipeline{Schedule: &model.PipelineSchedule{}}), []string{"Job/nightly-*"}},
		{"pipeline without a schedule", PipelineObjects("nightly", model.Pipeline{}), nil},
	}
	for _, tc := range cases {
		var got []string
		for _, o := range tc.objs {
			s := o.Kind + "/" + o.Name
			if o.Series != nil {
				s += "-*"
			}
			got = append(got, s)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, strings.Join(got, " "), strings.Join(tc.want, " "))
		}
	}
}

// TestDerivedSeries: the suffixes of series of names are matched whole.
func TestDerivedSeries(t *testing.T) {
	cases := []struct {
		suffix string
		yes    []string
		no     []string
	}{
		{"revision", []string{"00001", "00042-private"}, []string{"0001", "00001-deployment", "000001", "x00001"}},
		{"trial", []string{"bcdfghjk", "z2456789"}, []string{"abcdefgh", "bcdfghj", "bcdfghjkl", "BCDFGHJK"}},
		{"cron", []string{"29000000", "2900000000"}, []string{"0", "1234567", "29000000-x"}},
	}
	for _, tc := range cases {
		re := map[string]*regexp.Regexp{"revision": revisionSuffix, "trial": trialSuffix, "cron": cronJobSuffix}[tc.suffix]
		for _, s := range tc.yes {
			if !re.MatchString(s) {
				t.Errorf("%s: %q does not match", tc.suffix, s)
			}
		}
		for _, s := range tc.no {
			if re.MatchString(s) {
				t.Errorf("%s: %q matches", tc.suffix, s)
			}
		}
	}
}
