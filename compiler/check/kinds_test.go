package check

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/model/modeltest"
)

// The tests of this file run Tenant on one declaration kind at a time: a tenant that
// declares one valid workload of each kind (modeltest.Declarations), edited by each case,
// against modeltest.Platform. Each case lists the errors it wants, by path and a part of
// the message, and no others.

// wantDiag is an error a case wants: at path, with a message containing message.
type wantDiag struct{ path, message string }

// checkCase is a change to the valid declarations and platform, and the errors it gives.
type checkCase struct {
	name string
	edit func(p *model.Platform, d *model.Declarations)
	want []wantDiag
}

// runCheckCases checks each case's declarations and compares the errors with its own.
func runCheckCases(t *testing.T, cases []checkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, d := modeltest.Platform(), modeltest.Declarations()
			if tc.edit != nil {
				tc.edit(p, d)
			}
			locate := func(path string) diag.Position {
				return diag.Position{File: "tenants/vision/ml.cue", Line: 1, Column: 1}
			}
			var errs []diag.Diagnostic
			for _, x := range Tenant(p, d, locate) {
				if x.Severity == diag.Error {
					errs = append(errs, x)
				}
			}
			var got []string
			for _, x := range errs {
				got = append(got, x.Path+": "+x.Message)
			}
			for _, w := range tc.want {
				found := false
				for _, x := range errs {
					found = found || (x.Path == w.path && strings.Contains(x.Message, w.message))
				}
				if !found {
					t.Errorf("want an error at %s containing %q; got %q", w.path, w.message, got)
				}
			}
			if len(errs) != len(tc.want) {
				t.Errorf("want %d errors, got %d: %q", len(tc.want), len(errs), got)
			}
		})
	}
}

func TestTenantChecks(t *testing.T) {
	t.Parallel()
	runCheckCases(t, []checkCase{
		{name: "valid"},
		{
			name: "a contributor that is not an email address",
			edit: func(_ *model.Platform, d *model.Declarations) {
				d.Tenant.Contributors = map[string]string{"bob": "edit"}
			},
			want: []wantDiag{{`tenant.contributors.bob`, `contributor "bob" is not an email address`}},
		},
		{
			name: "the owner as a contributor",
			edit: func(_ *model.Platform, d *model.Declarations) {
				d.Tenant.Contributors = map[string]string{"alice@example.com": "edit"}
			},
			want: []wantDiag{{`tenant.contributors."alice@example.com"`, "is the tenant's owner, who is already an admin"}},
		},
		{
			name: "a namespace Kubernetes keeps",
			edit: func(_ *model.Platform, d *model.Declarations) { d.Tenant.Name = "kube-system" },
			want: []wantDiag{{"tenant", `"kube-system" is a namespace the cluster, Flux or Kubeflow keeps for itself`}},
		},
		{
			name: "a namespace the policy reserves",
			edit: func(_ *model.Platform, d *model.Declarations) { d.Tenant.Name = "team-admin" },
			want: []wantDiag{{"tenant", `"team-admin" is reserved by the platform's policy.reservedNamespaces`}},
		},
		{
			name: "a quota of no GPUs",
			edit: func(_ *model.Platform, d *model.Declarations) { d.Tenant.Quota.GPU = modeltest.Ptr(int64(0)) },
			want: []wantDiag{{"tenant.quota.gpu", "must be more than zero (got 0)"}},
		},
		{
			name: "a workload larger than the whole quota",
			edit: func(_ *model.Platform, d *model.Declarations) { d.Tenant.Quota.CPU = "6" },
			// The training job's two nodes of 4 CPUs and, with them, an experiment's three trials.
			want: []wantDiag{
				{"trainingJobs.resnet50.workers", "more than the tenant's whole quota of 6 (tenant.quota.cpu)"},
				{`experiments."resnet50-hpo".parallelTrials`, "more than the tenant's whole quota of 6 (tenant.quota.cpu)"},
			},
		},
		{
			name: "a label value that is not one",
			edit: func(_ *model.Platform, d *model.Declarations) {
				d.Tenant.Labels = map[string]string{"team": "vision team"}
			},
			want: []wantDiag{{"tenant.labels.team", `"vision team" is not a valid label value`}},
		},
	})
}

func TestNotebookChecks(t *testing.T) {
	t.Parallel()
	edit := func(f func(nb *model.Notebook)) func(*model.Platform, *model.Declarations) {
		return func(_ *model.Platform, d *model.Declarations) {
			nb := d.Notebooks["dev"]
			f(&nb)
			d.Notebooks["dev"] = nb
		}
	}
	runCheckCases(t, []checkCase{
		{name: "valid"},
		{name: "a GPU of the only type", edit: edit(func(nb *model.Notebook) { nb.Resources.GPU = 1 })},
		{
			name: "an image neither in the catalog nor a reference",
			edit: edit(func(nb *model.Notebook) { nb.Image = "jupyter-scipyy" }),
			want: []wantDiag{{"notebooks.dev.image", `"jupyter-scipyy" is neither in the platform's image catalog (jupyter-scipy)`}},
		},
		{
			name: "an image from a registry the policy does not allow",
			edit: edit(func(nb *model.Notebook) { nb.Image = "quay.io/acme/lab:1" }),
			want: []wantDiag{{"notebooks.dev.image", `image "quay.io/acme/lab:1" is not from an allowed registry`}},
		},
		{
			name: "a GPU type the platform lacks",
			edit: edit(func(nb *model.Notebook) { nb.Resources.GPU, nb.Resources.GPUType = 1, model.GPUPreference{"h100"} }),
			want: []wantDiag{{"notebooks.dev.resources.gpuType", `no GPU type "h100" in the platform's defaults.gpuTypes (have a100)`}},
		},
		{
			name: "a GPU type without GPUs",
			edit: edit(func(nb *model.Notebook) { nb.Resources.GPUType = model.GPUPreference{"a100"} }),
			want: []wantDiag{{"notebooks.dev.resources.gpuType", "a GPU type without GPUs"}},
		},
		{
			name: "more memory than the policy allows",
			edit: func(p *model.Platform, d *model.Declarations) { p.Policy.Limits.Notebook.Memory = "4Gi" },
			want: []wantDiag{{"notebooks.dev.resources.memory", "memory 8Gi is more than the platform allows a notebook (policy.limits.notebook.memory: 4Gi)"}},
		},
		{
			name: "a name too long for the StatefulSet's pods",
			edit: func(_ *model.Platform, d *model.Declarations) {
				d.Notebooks[strings.Repeat("n", 53)] = d.Notebooks["dev"]
			},
			want: []wantDiag{{`notebooks.` + strings.Repeat("n", 53), "is 53 characters long; at most 52 fit"}},
		},
		{
			name: "a data volume with both a size and a claim",
			edit: edit(func(nb *model.Notebook) {
				nb.DataVolumes = map[string]model.DataVolume{"data": {MountPath: "/data", Size: "1Gi", ExistingClaim: "shared", AccessMode: "ReadWriteOnce"}}
			}),
			want: []wantDiag{{"notebooks.dev.dataVolumes.data", "set either size (a new claim) or existingClaim, not both"}},
		},
		{
			name: "a data volume mounted over the workspace",
			edit: edit(func(nb *model.Notebook) {
				nb.DataVolumes = map[string]model.DataVolume{"data": {MountPath: "/home/jovyan", Size: "1Gi", AccessMode: "ReadWriteOnce"}}
			}),
			want: []wantDiag{{"notebooks.dev.dataVolumes.data.mountPath", "/home/jovyan"}},
		},
		{
			name: "a PodDefault no one declares",
			edit: edit(func(nb *model.Notebook) { nb.PodDefaults = []string{"team-s3"} }),
			want: []wantDiag{{"notebooks.dev.podDefaults[0]", `no PodDefault "team-s3"`}},
		},
		{
			name: "the PodDefault mlc writes",
			edit: edit(func(nb *model.Notebook) { nb.PodDefaults = []string{"access-ml-pipeline"} }),
		},
		{
			name: "a PodDefault named as the one mlc writes",
			edit: func(_ *model.Platform, d *model.Declarations) {
				d.PodDefaults = map[string]model.PodDefault{"access-ml-pipeline": {}}
			},
			want: []wantDiag{{`podDefaults."access-ml-pipeline"`, "mlc writes PodDefault access-ml-pipeline"}},
		},
		{
			name: "two notebooks of one Kubernetes name",
			edit: func(_ *model.Platform, d *model.Declarations) { d.Notebooks["Dev"] = d.Notebooks["dev"] },
			want: []wantDiag{{"notebooks.dev", `"Dev" and "dev" are both named "dev" in Kubernetes`}},
		},
	})
}

func TestServingEndpointChecks(t *testing.T) {
	t.Parallel()
	edit := func(f func(ep *model.ServingEndpoint)) func(*model.Platform, *model.Declarations) {
		return func(_ *model.Platform, d *model.Declarations) {
			ep := d.Serving["resnet"]
			f(&ep)
			d.Serving["resnet"] = ep
		}
	}
	runCheckCases(t, []checkCase{
		{name: "valid"},
		{name: "a canary", edit: edit(func(ep *model.ServingEndpoint) {
			ep.Canary = &model.Canary{StorageURI: "s3://models/resnet/v4", Traffic: 10}
		})},
		{
			name: "a name that starts with a digit",
			edit: func(_ *model.Platform, d *model.Declarations) { d.Serving["2resnet"] = d.Serving["resnet"] },
			want: []wantDiag{{`servingEndpoints."2resnet"`, `serving endpoint name "2resnet" must start with a letter`}},
		},
		{
			name: "nothing to serve",
			edit: edit(func(ep *model.ServingEndpoint) { ep.Model = nil }),
			want: []wantDiag{{"servingEndpoints.resnet", "declare what to serve: model (a format and storageUri) or container"}},
		},
		{
			name: "a canary of a raw deployment",
			edit: edit(func(ep *model.ServingEndpoint) {
				ep.Mode = "raw"
				ep.Canary = &model.Canary{StorageURI: "s3://models/resnet/v4", Traffic: 10}
			}),
			want: []wantDiag{{"servingEndpoints.resnet.canary", "a canary needs serverless mode"}},
		},
		{
			name: "a canary of the same model",
			edit: edit(func(ep *model.ServingEndpoint) {
				ep.Canary = &model.Canary{StorageURI: "s3://models/resnet/v3", Traffic: 10}
			}),
			want: []wantDiag{{"servingEndpoints.resnet.canary.storageUri", "the canary serves the same model as the endpoint"}},
		},
		{
			name: "min replicas above max",
			edit: edit(func(ep *model.ServingEndpoint) { ep.Replicas.Min = modeltest.Ptr(int64(3)) }),
			want: []wantDiag{{"servingEndpoints.resnet.replicas", "min (3) is more than max (2)"}},
		},
		{
			name: "no maximum under a quota",
			edit: edit(func(ep *model.ServingEndpoint) { ep.Replicas.Max = nil }),
			want: []wantDiag{{"servingEndpoints.resnet.replicas", "set replicas.max: the tenant has a quota"}},
		},
		{
			name: "a format no runtime serves",
			edit: edit(func(ep *model.ServingEndpoint) { ep.Model.Format = "pmml" }),
			want: []wantDiag{{"servingEndpoints.resnet.model.format", "no serving runtime serves pmml models"}},
		},
		{
			name: "a protocol the runtime does not speak",
			edit: edit(func(ep *model.ServingEndpoint) {
				ep.Model.Runtime, ep.Model.Protocol = "kserve-sklearnserver", "grpc-v2"
			}),
			want: []wantDiag{{"servingEndpoints.resnet.model.protocol", "runtime kserve-sklearnserver does not speak protocol grpc-v2 (it speaks v1, v2)"}},
		},
		{
			name: "a storage URI of no scheme KServe reads",
			edit: edit(func(ep *model.ServingEndpoint) { ep.Model.StorageURI = "ftp://models/resnet" }),
			want: []wantDiag{{"servingEndpoints.resnet.model.storageUri", "KServe cannot read ftp:// storage"}},
		},
	})
}

func TestTrainingJobChecks(t *testing.T) {
	t.Parallel()
	edit := func(f func(job *model.TrainingJob)) func(*model.Platform, *model.Declarations) {
		return func(_ *model.Platform, d *model.Declarations) {
			job := d.Training["resnet50"]
			f(&job)
			d.Training["resnet50"] = job
		}
	}
	operator := func(p *model.Platform) {
		p.Clusters["prod"] = model.Cluster{Name: "prod", Tenants: []string{"*"}, Training: model.ClusterTraining{Backend: model.BackendTrainingOperator}}
	}
	runCheckCases(t, []checkCase{
		{name: "valid"},
		{name: "MPI with its runtime", edit: edit(func(job *model.TrainingJob) { job.Framework = "mpi" })},
		{name: "a restart policy on the Training Operator", edit: func(p *model.Platform, d *model.Declarations) {
			operator(p)
			job := d.Training["resnet50"]
			job.RestartPolicy = "OnFailure"
			d.Training["resnet50"] = job
		}},
		{
			name: "a name too long for Kubeflow Trainer's pods",
			edit: func(_ *model.Platform, d *model.Declarations) {
				d.Training["j"+strings.Repeat("x", 49)] = d.Training["resnet50"]
			},
			// JobSet's pods are <name>-node-0-1-<5 random>: 50 + 15 > 63.
			want: []wantDiag{{"trainingJobs.j" + strings.Repeat("x", 49), "Kubeflow Trainer derives pod names from it, so at most 48 fit (cluster prod)"}},
		},
		{
			name: "a restart policy on Kubeflow Trainer",
			edit: edit(func(job *model.TrainingJob) { job.RestartPolicy = "OnFailure" }),
			want: []wantDiag{{"trainingJobs.resnet50.restartPolicy", "cluster prod: Kubeflow Trainer takes restartPolicy from the runtime, not from a TrainJob"}},
		},
		{
			name: "a runtime the platform lacks",
			edit: edit(func(job *model.TrainingJob) { job.Runtime = "torchtune" }),
			want: []wantDiag{{"trainingJobs.resnet50.runtime", `cluster prod: Kubeflow Trainer has no runtime "torchtune" in the platform's defaults.training.runtimes (have deepspeed-distributed, torch-distributed)`}},
		},
		{
			name: "a runtime on the Training Operator",
			edit: func(p *model.Platform, d *model.Declarations) {
				operator(p)
				job := d.Training["resnet50"]
				job.Runtime = "torch-distributed"
				d.Training["resnet50"] = job
			},
			want: []wantDiag{{"trainingJobs.resnet50.runtime", "cluster prod: the Training Operator has no runtimes"}},
		},
		{
			name: "a chief of a PyTorch job",
			edit: edit(func(job *model.TrainingJob) { job.Chief = true }),
			want: []wantDiag{
				{"trainingJobs.resnet50.chief", "only TensorFlow jobs have a chief"},
				{"trainingJobs.resnet50.chief", "Kubeflow Trainer has no TensorFlow runtime with a chief"},
			},
		},
		{
			name: "a port of an MPI job",
			edit: func(p *model.Platform, d *model.Declarations) {
				operator(p)
				job := d.Training["resnet50"]
				job.Framework, job.Port = "mpi", modeltest.Ptr(int64(2222))
				job.Launcher = &model.Launcher{Resources: &model.TrainingResources{CPU: "1", Memory: "1Gi"}}
				d.Training["resnet50"] = job
			},
			want: []wantDiag{{"trainingJobs.resnet50.port", "mpi jobs talk over SSH and take no port"}},
		},
		{
			name: "an elastic range that does not hold the workers",
			edit: func(p *model.Platform, d *model.Declarations) {
				operator(p)
				job := d.Training["resnet50"]
				job.Elastic = &model.Elastic{MinWorkers: 3, MaxWorkers: 4}
				d.Training["resnet50"] = job
			},
			want: []wantDiag{{"trainingJobs.resnet50.workers", "an elastic job starts with between minWorkers and maxWorkers nodes (3 to 4), not 2"}},
		},
		{
			name: "a Katib placeholder outside an experiment",
			edit: edit(func(job *model.TrainingJob) { job.Args = []string{"--lr", "${trialParameters.lr}"} }),
			want: []wantDiag{{"trainingJobs.resnet50.args[1]", "${trialParameters.lr} is a Katib trial parameter: only an experiment's trial can use one"}},
		},
		{
			name: "no requests under a quota",
			edit: edit(func(job *model.TrainingJob) { job.Resources = nil }),
			want: []wantDiag{{"trainingJobs.resnet50", "set resources (cpu and memory per node)"}},
		},
		{
			name: "a reserved variable of Trainer's PyTorch runtime",
			edit: edit(func(job *model.TrainingJob) {
				job.Env = map[string]model.EnvValue{"PET_NNODES": {Value: "3"}}
			}),
			want: []wantDiag{{"trainingJobs.resnet50.env.PET_NNODES", "Kubeflow Trainer sets PET_NNODES for pytorch jobs itself"}},
		},
	})
}

func TestExperimentChecks(t *testing.T) {
	t.Parallel()
	edit := func(f func(exp *model.Experiment)) func(*model.Platform, *model.Declarations) {
		return func(_ *model.Platform, d *model.Declarations) {
			exp := d.Experiments["resnet50-hpo"]
			f(&exp)
			d.Experiments["resnet50-hpo"] = exp
		}
	}
	runCheckCases(t, []checkCase{
		{name: "valid"},
		{name: "a categorical parameter", edit: edit(func(exp *model.Experiment) {
			exp.Parameters = map[string]model.Parameter{"lr": {Values: []model.Setting{model.StringSetting("sgd"), model.StringSetting("adam")}}}
		})},
		{
			name: "a parameter the trial does not use",
			edit: edit(func(exp *model.Experiment) {
				exp.Parameters["momentum"] = model.Parameter{Min: modeltest.Ptr(model.NumberSetting("0.5")), Max: modeltest.Ptr(model.NumberSetting("0.9"))}
			}),
			want: []wantDiag{{`experiments."resnet50-hpo".parameters.momentum`, "the trial does not use parameter momentum"}},
		},
		{
			name: "a placeholder of no parameter",
			edit: edit(func(exp *model.Experiment) { exp.Trial.Args = append(exp.Trial.Args, "${trialParameters.batch}") }),
			want: []wantDiag{{`experiments."resnet50-hpo".trial.args[2]`, "${trialParameters.batch} names no parameter of the experiment (have lr)"}},
		},
		{
			name: "a range whose minimum is its maximum",
			edit: edit(func(exp *model.Experiment) {
				exp.Parameters["lr"] = model.Parameter{Min: modeltest.Ptr(model.NumberSetting("0.1")), Max: modeltest.Ptr(model.NumberSetting("0.1"))}
			}),
			want: []wantDiag{{`experiments."resnet50-hpo".parameters.lr`, "min (0.1) must be less than max (0.1)"}},
		},
		{
			name: "more trials at once than in all",
			edit: edit(func(exp *model.Experiment) { exp.MaxTrials = modeltest.Ptr(int64(2)) }),
			want: []wantDiag{{`experiments."resnet50-hpo".parallelTrials`, "3 trials at once is more than maxTrials (2)"}},
		},
		{
			name: "a suspended trial",
			edit: edit(func(exp *model.Experiment) { exp.Trial.Suspend = true }),
			want: []wantDiag{{`experiments."resnet50-hpo".trial.suspend`, "Katib waits for each trial's job to finish"}},
		},
		{
			name: "trials of a kind Katib does not run",
			edit: func(p *model.Platform, d *model.Declarations) {
				p.Defaults.Katib.TrialResources = []string{"PyTorchJob.v1.kubeflow.org"}
			},
			want: []wantDiag{{`experiments."resnet50-hpo".trial.framework`, "cluster prod: Katib is not configured to run TrainJob trials (defaults.katib.trialResources lacks TrainJob.v1alpha1.trainer.kubeflow.org)"}},
		},
		{
			name: "a name too long for the trials' pods",
			edit: func(_ *model.Platform, d *model.Declarations) {
				d.Experiments["e"+strings.Repeat("x", 39)] = d.Experiments["resnet50-hpo"]
			},
			// Trials are <experiment>-<8 characters>, whose pods must fit 63: 48 - 9 = 39.
			want: []wantDiag{{"experiments.e" + strings.Repeat("x", 39), "so at most 39 fit (cluster prod)"}},
		},
		{
			name: "a metric listed as the objective and as another",
			edit: edit(func(exp *model.Experiment) { exp.Objective.AdditionalMetrics = []string{"val_accuracy"} }),
			want: []wantDiag{{`experiments."resnet50-hpo".objective.additionalMetrics[0]`, "val_accuracy is the objective's metric"}},
		},
	})
}

func TestPipelineChecks(t *testing.T) {
	t.Parallel()
	edit := func(f func(pl *model.Pipeline)) func(*model.Platform, *model.Declarations) {
		return func(_ *model.Platform, d *model.Declarations) {
			pl := d.Pipelines["nightly"]
			f(&pl)
			d.Pipelines["nightly"] = pl
		}
	}
	task := func(pl *model.Pipeline, name string, f func(t *model.PipelineTask)) {
		t := pl.Tasks[name]
		f(&t)
		pl.Tasks[name] = t
	}
	schedule := func(cron string) *model.PipelineSchedule {
		return &model.PipelineSchedule{Cron: cron, TimeZone: "Etc/UTC", Enabled: true, Experiment: "Default"}
	}
	runCheckCases(t, []checkCase{
		{name: "valid"},
		{name: "a schedule", edit: edit(func(pl *model.Pipeline) { pl.Schedule = schedule("0 2 * * *") })},
		{name: "an exit task", edit: edit(func(pl *model.Pipeline) {
			pl.Tasks["notify"] = model.PipelineTask{Image: "ghcr.io/vision/notify:1"}
			pl.ExitTask = "notify"
		})},
		{
			name: "no tasks",
			edit: edit(func(pl *model.Pipeline) { pl.Tasks = map[string]model.PipelineTask{} }),
			want: []wantDiag{{"pipelines.nightly.tasks", "a pipeline needs at least one task"}},
		},
		{
			name: "a cycle",
			edit: edit(func(pl *model.Pipeline) {
				task(pl, "prep", func(t *model.PipelineTask) { t.After = []string{"train"} })
			}),
			want: []wantDiag{{"pipelines.nightly.tasks.prep", "tasks wait for each other in a cycle: prep → train → prep"}},
		},
		{
			name: "an input from a task that is not there",
			edit: edit(func(pl *model.Pipeline) {
				task(pl, "train", func(t *model.PipelineTask) { t.Inputs["dataset"] = model.Binding{Task: "prepp", Output: "dataset"} })
			}),
			want: []wantDiag{{"pipelines.nightly.tasks.train.inputs.dataset.task", `no task "prepp" in the pipeline (have prep, train)`}},
		},
		{
			name: "an artifact wired to a parameter",
			edit: edit(func(pl *model.Pipeline) {
				task(pl, "train", func(t *model.PipelineTask) {
					t.Inputs["dataset"] = model.Binding{Task: "prep", Output: "dataset", Type: "int"}
				})
			}),
			want: []wantDiag{{"pipelines.nightly.tasks.train.inputs.dataset", "prep.dataset is a Dataset artifact, wired here to an int parameter"}},
		},
		{
			name: "a placeholder of no input",
			edit: edit(func(pl *model.Pipeline) {
				task(pl, "train", func(t *model.PipelineTask) { t.Args = []string{"{{inputs.data}}"} })
			}),
			want: []wantDiag{{"pipelines.nightly.tasks.train.args[0]", "{{inputs.data}}: the step has no input data (has dataset)"}},
		},
		{
			name: "an exit task that is a group",
			edit: edit(func(pl *model.Pipeline) {
				pl.Tasks["notify"] = model.PipelineTask{Tasks: map[string]model.PipelineTask{"mail": {Image: "ghcr.io/vision/mail:1"}}}
				pl.ExitTask = "notify"
			}),
			want: []wantDiag{{"pipelines.nightly.exitTask", "the exit task must be a step (with an image), not a group"}},
		},
		{
			name: "a cron with an hour of 25",
			edit: edit(func(pl *model.Pipeline) { pl.Schedule = schedule("0 25 * * *") }),
			want: []wantDiag{{"pipelines.nightly.schedule.cron", `"0 25 * * *" is not a schedule a Kubernetes CronJob reads: hour field "25"`}},
		},
		{
			name: "a time zone Kubernetes refuses",
			edit: edit(func(pl *model.Pipeline) {
				pl.Schedule = schedule("@daily")
				pl.Schedule.TimeZone = "Local"
			}),
			want: []wantDiag{{"pipelines.nightly.schedule.timeZone", `Kubernetes refuses "Local"`}},
		},
		{
			name: "a scheduled run of a parameter without a default",
			edit: edit(func(pl *model.Pipeline) {
				pl.Parameters = map[string]model.PipelineParameter{"rows": {Type: "int"}}
				pl.Schedule = schedule("@hourly")
			}),
			want: []wantDiag{{"pipelines.nightly.schedule", "parameter rows has no default, so scheduled runs need a value"}},
		},
		{
			name: "a scheduled run's value of the wrong type",
			edit: edit(func(pl *model.Pipeline) {
				pl.Parameters = map[string]model.PipelineParameter{"rows": {Type: "int", Default: json.RawMessage("10")}}
				pl.Schedule = schedule("@hourly")
				pl.Schedule.Parameters = map[string]json.RawMessage{"rows": json.RawMessage(`"ten"`)}
			}),
			want: []wantDiag{{"pipelines.nightly.schedule.parameters.rows", "parameter rows is an int, given a string"}},
		},
		{
			name: "a name too long for the schedule's CronJob",
			edit: func(_ *model.Platform, d *model.Declarations) {
				pl := d.Pipelines["nightly"]
				pl.Schedule = schedule("@daily")
				d.Pipelines["p"+strings.Repeat("x", 52)] = pl
				delete(d.Pipelines, "nightly")
			},
			want: []wantDiag{{"pipelines.p" + strings.Repeat("x", 52) + ".schedule", fmt.Sprintf("Kubernetes takes at most 52 characters there (p%s has 53)", strings.Repeat("x", 52))}},
		},
	})
}
