// Package modeltest holds model values for tests: a platform as the schemas' defaults
// give it and a tenant that declares one valid workload of each kind, for the tests of
// the stages that take model values (check, lower) to edit case by case.
package modeltest

import "github.com/mlc-gitops/mlc/compiler/model"

// Ptr returns a pointer to v, for the optional fields of model values.
func Ptr[T any](v T) *T { return &v }

// Platform is a platform of one cluster, prod, running every tenant on Kubeflow
// Trainer with Kueue, with the defaults the schemas and platform/defaults.cue give
// (trimmed to one catalog image, one GPU type and one serving runtime).
func Platform() *model.Platform {
	return &model.Platform{
		Clusters: map[string]model.Cluster{"prod": {Name: "prod", Tenants: []string{"*"}}},
		Defaults: model.Defaults{
			ImageCatalog: map[string]string{"jupyter-scipy": "ghcr.io/kubeflow/kubeflow/notebook-servers/jupyter-scipy:v1.10.0"},
			Notebook:     model.NotebookDefaults{CPU: "0.5", Memory: "1Gi", LimitFactor: 1.2, WorkspaceSize: "5Gi"},
			GPUTypes:     map[string]model.GPUType{"a100": {Vendor: "nvidia"}},
			Access: model.Access{
				UserIDHeader: "kubeflow-userid",
				Principals:   []string{"cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account", "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"},
			},
			Serving: model.ServingDefaults{Mode: "serverless", CPU: "1", Memory: "2Gi"},
			ServingRuntimes: map[string]model.RuntimeSupport{
				"kserve-sklearnserver": {Formats: []model.RuntimeFormat{{Name: "sklearn", Version: "1", Priority: Ptr(int64(1))}}, Protocols: []string{"v1", "v2"}},
			},
			Training: model.TrainingDefaults{
				Backend: model.BackendTrainer, Scheduler: model.SchedulerKueue,
				Runtimes: map[string]model.TrainingRuntime{
					"torch-distributed":     {Framework: "pytorch", Kind: "ClusterTrainingRuntime"},
					"deepspeed-distributed": {Framework: "mpi", Kind: "ClusterTrainingRuntime"},
				},
				DefaultRuntimes: map[string]string{"pytorch": "torch-distributed", "mpi": "deepspeed-distributed"},
			},
			Katib: model.KatibDefaults{TrialResources: []string{"TrainJob.v1alpha1.trainer.kubeflow.org", "PyTorchJob.v1.kubeflow.org"}},
			Pipelines: model.PipelineDefaults{
				APIEndpoint: "http://ml-pipeline.kubeflow.svc.cluster.local:8888", ScheduleImage: model.DefaultScheduleImage,
			},
			ContainerDefaults: model.ContainerDefaults{CPU: "100m", Memory: "128Mi"},
		},
		Policy: model.Policy{
			AllowedRegistries:  []string{"ghcr.io/", "docker.io/library/"},
			ReservedNamespaces: []string{"team-admin"},
		},
	}
}

// TrainingJob is a valid PyTorch job of two nodes.
func TrainingJob() model.TrainingJob {
	return model.TrainingJob{
		Framework: "pytorch", Image: "ghcr.io/vision/train:1.4.2", Command: []string{"torchrun", "train.py"},
		Workers: 2, Resources: &model.TrainingResources{CPU: "4", Memory: "16Gi"},
	}
}

// Pipeline is a valid pipeline: prep feeds train a dataset.
func Pipeline() model.Pipeline {
	return model.Pipeline{Tasks: map[string]model.PipelineTask{
		"prep": {Image: "ghcr.io/vision/prep:2", Outputs: map[string]string{"dataset": "Dataset"}},
		"train": {
			Image: "ghcr.io/vision/train:1.4.2", Args: []string{"--data", "{{inputs.dataset}}"},
			Inputs: map[string]model.Binding{"dataset": {Task: "prep", Output: "dataset"}},
		},
	}}
}

// Declarations are tenant vision's: one valid workload of each kind, each of which
// passes the checks on Platform.
func Declarations() *model.Declarations {
	return &model.Declarations{
		Tenant: &model.Tenant{
			Name: "vision", Owner: "alice@example.com",
			Contributors: map[string]string{"bob@example.com": "edit"},
			Quota:        &model.Quota{CPU: "64", Memory: "256Gi", GPU: Ptr(int64(8))},
		},
		Notebooks: map[string]model.Notebook{"dev": {
			Type: "jupyterlab", Image: "jupyter-scipy", ImagePullPolicy: "IfNotPresent",
			Resources: model.Resources{CPU: "2", Memory: "8Gi"},
			Workspace: model.Workspace{AccessMode: "ReadWriteOnce"},
		}},
		Serving: map[string]model.ServingEndpoint{"resnet": {
			Model:    &model.ServedModel{Format: "sklearn", StorageURI: "s3://models/resnet/v3"},
			Replicas: &model.Replicas{Min: Ptr(int64(1)), Max: Ptr(int64(2))},
		}},
		Training: map[string]model.TrainingJob{"resnet50": TrainingJob()},
		Experiments: map[string]model.Experiment{"resnet50-hpo": {
			Trial: func() model.TrainingJob {
				j := TrainingJob()
				j.Args = []string{"--lr", "${trialParameters.lr}"}
				return j
			}(),
			Parameters: map[string]model.Parameter{"lr": {
				Min: Ptr(model.NumberSetting("0.0001")), Max: Ptr(model.NumberSetting("0.1")),
			}},
			Objective:      model.Objective{Metric: "val_accuracy", Type: "maximize"},
			Algorithm:      "random",
			MaxTrials:      Ptr(int64(12)),
			ParallelTrials: 3,
		}},
		Pipelines: map[string]model.Pipeline{"nightly": Pipeline()},
	}
}
