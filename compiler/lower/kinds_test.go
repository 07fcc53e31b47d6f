package lower

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/model/modeltest"
)

// The tests of this file lower one declaration kind at a time: tenant vision of
// modeltest.Declarations with only the declarations a case sets, on modeltest.Platform.
// Each case lists every object it wants (kind and name) and, for some, the fields that
// carry the declaration.

// wantObject is an object a case wants, and some of its fields by path.
type wantObject struct {
	// id is Kind/name; a name ending in * is matched by its start.
	id string
	// fields are values by path: a.b[0].c, with ["key"] for keys holding dots.
	fields map[string]any
}

// lowerCase is declarations of one kind, how the cluster runs training, and what they
// lower to.
type lowerCase struct {
	name string
	// edit sets the case's declarations on a tenant that declares nothing else.
	edit func(p *model.Platform, d *model.Declarations)
	// operator lowers for a cluster whose training backend is the Training Operator.
	operator bool
	// platform and workloads are every object of Output.Platform and Output.Workloads;
	// platform leaves out what mlc writes in every namespace that needs it (the
	// LimitRange, the PodDefault access-ml-pipeline) unless glue is set.
	platform, workloads []wantObject
	glue                bool
}

// isGlue reports whether o is an object mlc writes in every tenant namespace that needs
// it, whatever the tenant declares.
func isGlue(o manifest.Object) bool {
	return o.Kind() == "LimitRange" || (o.Kind() == "PodDefault" && o.Name() == "access-ml-pipeline")
}

func runLowerCases(t *testing.T, cases []lowerCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := modeltest.Platform()
			d := &model.Declarations{Tenant: modeltest.Declarations().Tenant}
			if tc.edit != nil {
				tc.edit(p, d)
			}
			target := Target{Training: p.DefaultTrainingTarget()}
			if tc.operator {
				target.Training.Backend = model.BackendTrainingOperator
			}
			out := Tenant(p, target, d)
			if !tc.glue {
				out.Platform = slices.DeleteFunc(out.Platform, isGlue)
			}
			wantObjects(t, "platform", out.Platform, tc.platform)
			wantObjects(t, "workloads", out.Workloads, tc.workloads)
		})
	}
}

// wantObjects compares objects with want: the same kinds and names, in the order Output
// has them (manifest.Sort's), and the wanted fields' values (compared as JSON).
func wantObjects(t *testing.T, what string, objs []manifest.Object, want []wantObject) {
	t.Helper()
	var got, wantIDs []string
	for _, o := range objs {
		got = append(got, o.Kind()+"/"+o.Name())
	}
	for _, w := range want {
		wantIDs = append(wantIDs, w.id)
	}
	match := len(got) == len(want)
	for i := 0; match && i < len(got); i++ {
		match = got[i] == want[i].id || (strings.HasSuffix(want[i].id, "*") && strings.HasPrefix(got[i], strings.TrimSuffix(want[i].id, "*")))
	}
	if !match {
		t.Fatalf("%s:\n got %s\nwant %s", what, strings.Join(got, " "), strings.Join(wantIDs, " "))
	}
	for i, w := range want {
		for _, path := range slices.Sorted(maps.Keys(w.fields)) {
			v, ok := lookup(objs[i].Content, path)
			if !ok {
				t.Errorf("%s %s: no %s", what, got[i], path)
				continue
			}
			gotJSON, _ := json.Marshal(v)
			wantJSON, _ := json.Marshal(w.fields[path])
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("%s %s: %s is %s, want %s", what, got[i], path, gotJSON, wantJSON)
			}
		}
	}
}

// pathStep matches one step of a field path: .name, ["key"] or [index].
var pathStep = regexp.MustCompile(`^(?:\.?([A-Za-z0-9_$-]+)|\["([^"]*)"\]|\[([0-9]+)\])`)

// lookup returns the value at path in v.
func lookup(v any, path string) (any, bool) {
	for path != "" {
		m := pathStep.FindStringSubmatch(path)
		if m == nil {
			return nil, false
		}
		path = path[len(m[0]):]
		switch {
		case m[3] != "":
			l, _ := v.([]any)
			i, _ := strconv.Atoi(m[3])
			if i >= len(l) {
				return nil, false
			}
			v = l[i]
		default:
			key := m[1] + m[2]
			obj, _ := v.(map[string]any)
			x, ok := obj[key]
			if !ok {
				return nil, false
			}
			v = x
		}
	}
	return v, true
}

// theProfile is the tenant's Profile, always in Output.Platform.
var theProfile = wantObject{id: "Profile/vision", fields: map[string]any{
	"spec.owner.name": "alice@example.com",
}}

func TestLowerTenant(t *testing.T) {
	t.Parallel()
	contributor := "user-bob-example-com-clusterrole-edit"
	runLowerCases(t, []lowerCase{
		{
			name: "owner and quota",
			edit: func(_ *model.Platform, d *model.Declarations) { d.Tenant.Contributors = nil },
			platform: []wantObject{{id: "Profile/vision", fields: map[string]any{
				"metadata.name":                      "vision",
				"spec.owner":                         map[string]any{"kind": "User", "name": "alice@example.com"},
				"spec.resourceQuotaSpec.hard.cpu":    "64",
				"spec.resourceQuotaSpec.hard.memory": "256Gi",
				`spec.resourceQuotaSpec.hard["requests.nvidia.com/gpu"]`: "8",
			}}},
		},
		{
			name: "a contributor",
			platform: []wantObject{
				theProfile,
				{id: "RoleBinding/" + contributor, fields: map[string]any{
					"roleRef.name":     "kubeflow-edit",
					"subjects[0].name": "bob@example.com",
				}},
				{id: "AuthorizationPolicy/" + contributor, fields: map[string]any{
					"metadata.namespace":                         "vision",
					"metadata.annotations":                       map[string]any{"user": "bob@example.com", "role": "edit"},
					"spec.rules[0].when[0].key":                  "request.headers[kubeflow-userid]",
					"spec.rules[0].when[0].values":               []any{"bob@example.com"},
					"spec.rules[0].from[0].source.principals[1]": "cluster.local/ns/kubeflow/sa/ml-pipeline-ui",
				}},
			},
		},
		{
			name: "no quota",
			edit: func(_ *model.Platform, d *model.Declarations) { d.Tenant.Quota, d.Tenant.Contributors = nil, nil },
			platform: []wantObject{{id: "Profile/vision", fields: map[string]any{
				"spec": map[string]any{"owner": map[string]any{"kind": "User", "name": "alice@example.com"}},
			}}},
		},
		{
			name: "a PodDefault",
			edit: func(_ *model.Platform, d *model.Declarations) {
				d.Tenant.Contributors = nil
				d.PodDefaults = map[string]model.PodDefault{"S3_Creds": {
					Description: "S3 credentials",
					Env:         map[string]model.EnvValue{"AWS_REGION": {Value: "eu-west-1"}},
				}}
			},
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "PodDefault/s3-creds", fields: map[string]any{
				"spec.desc":     "S3 credentials",
				"spec.selector": map[string]any{"matchLabels": map[string]any{"s3-creds": "true"}},
				"spec.env":      []any{map[string]any{"name": "AWS_REGION", "value": "eu-west-1"}},
			}}},
		},
	})
}

func TestLowerNotebook(t *testing.T) {
	t.Parallel()
	set := func(f func(nb *model.Notebook)) func(*model.Platform, *model.Declarations) {
		return func(_ *model.Platform, d *model.Declarations) {
			d.Tenant.Contributors = nil
			nb := modeltest.Declarations().Notebooks["dev"]
			f(&nb)
			d.Notebooks = map[string]model.Notebook{"dev": nb}
		}
	}
	const container = "spec.template.spec.containers[0]"
	runLowerCases(t, []lowerCase{
		{
			name:     "defaults",
			edit:     set(func(*model.Notebook) {}),
			platform: []wantObject{theProfile},
			workloads: []wantObject{
				{id: "PersistentVolumeClaim/dev-workspace", fields: map[string]any{
					"spec.resources.requests.storage":                           "5Gi",
					"spec.accessModes":                                          []any{"ReadWriteOnce"},
					`metadata.annotations["kustomize.toolkit.fluxcd.io/prune"]`: "disabled",
				}},
				{id: "Notebook/dev", fields: map[string]any{
					"metadata.namespace": "vision",
					`metadata.annotations["notebooks.kubeflow.org/server-type"]`: "jupyter",
					`metadata.annotations["notebooks.kubeflow.org/creator"]`:     "alice@example.com",
					"metadata.labels.app":                   "dev",
					container + ".image":                    "ghcr.io/kubeflow/kubeflow/notebook-servers/jupyter-scipy:v1.10.0",
					container + ".resources":                map[string]any{"requests": map[string]any{"cpu": "2", "memory": "8Gi"}, "limits": map[string]any{"cpu": "2.4", "memory": "9.6Gi"}},
					container + ".volumeMounts":             []any{map[string]any{"name": "dev-workspace", "mountPath": "/home/jovyan"}},
					"spec.template.spec.serviceAccountName": "default-editor",
				}},
			},
		},
		{
			name: "no workspace, a new data volume, shared memory and a GPU",
			edit: set(func(nb *model.Notebook) {
				nb.Workspace.Enabled = modeltest.Ptr(false)
				nb.DataVolumes = map[string]model.DataVolume{"Scratch": {MountPath: "/scratch", Size: "20Gi", AccessMode: "ReadWriteOnce"}}
				nb.SHM = true
				nb.Resources.GPU = 1
			}),
			platform: []wantObject{theProfile},
			workloads: []wantObject{
				{id: "PersistentVolumeClaim/dev-datavol-scratch", fields: map[string]any{
					"spec.resources.requests.storage": "20Gi",
					// A data volume's claim is pruned with the notebook unless it says keep.
					"metadata": map[string]any{"name": "dev-datavol-scratch", "namespace": "vision"},
				}},
				{id: "Notebook/dev", fields: map[string]any{
					container + ".volumeMounts": []any{
						map[string]any{"name": "dev-datavol-scratch", "mountPath": "/scratch"},
						map[string]any{"name": "dshm", "mountPath": "/dev/shm"},
					},
					container + `.resources.limits["nvidia.com/gpu"]`: "1",
				}},
			},
		},
		{
			name: "an existing claim, stopped, in VS Code",
			edit: set(func(nb *model.Notebook) {
				nb.Type = "vscode"
				nb.Stopped = true
				nb.Workspace.Enabled = modeltest.Ptr(false)
				nb.DataVolumes = map[string]model.DataVolume{"shared": {MountPath: "/shared", ExistingClaim: "team-data", ReadOnly: true}}
			}),
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "Notebook/dev", fields: map[string]any{
				`metadata.annotations["notebooks.kubeflow.org/server-type"]`:      "group-one",
				`metadata.annotations["notebooks.kubeflow.org/http-rewrite-uri"]`: "/",
				`metadata.annotations["kubeflow-resource-stopped"]`:               "1970-01-01T00:00:00Z",
				"spec.template.spec.volumes": []any{map[string]any{
					"name": "team-data", "persistentVolumeClaim": map[string]any{"claimName": "team-data", "readOnly": true},
				}},
			}}},
		},
	})
}

func TestLowerServingEndpoint(t *testing.T) {
	t.Parallel()
	set := func(f func(ep *model.ServingEndpoint)) func(*model.Platform, *model.Declarations) {
		return func(_ *model.Platform, d *model.Declarations) {
			d.Tenant.Contributors = nil
			ep := modeltest.Declarations().Serving["resnet"]
			f(&ep)
			d.Serving = map[string]model.ServingEndpoint{"resnet": ep}
		}
	}
	const mode = `metadata.annotations["serving.kserve.io/deploymentMode"]`
	runLowerCases(t, []lowerCase{
		{
			name:     "a model, serverless",
			edit:     set(func(*model.ServingEndpoint) {}),
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "InferenceService/resnet", fields: map[string]any{
				mode:                         "Serverless",
				"spec.predictor.model":       map[string]any{"modelFormat": map[string]any{"name": "sklearn"}, "storageUri": "s3://models/resnet/v3"},
				"spec.predictor.minReplicas": 1,
				"spec.predictor.maxReplicas": 2,
				"metadata.namespace":         "vision",
			}}},
		},
		{
			name: "a canary",
			edit: set(func(ep *model.ServingEndpoint) {
				ep.Canary = &model.Canary{StorageURI: "s3://models/resnet/v4", Traffic: 10}
			}),
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "InferenceService/resnet", fields: map[string]any{
				"spec.predictor.model.storageUri":     "s3://models/resnet/v4",
				"spec.predictor.canaryTrafficPercent": 10,
			}}},
		},
		{
			name: "raw, with the platform's default mode",
			edit: func(p *model.Platform, d *model.Declarations) {
				p.Defaults.Serving.Mode = "raw"
				set(func(*model.ServingEndpoint) {})(p, d)
			},
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "InferenceService/resnet", fields: map[string]any{
				mode: "RawDeployment",
			}}},
		},
		{
			name: "an MLflow model is served with protocol v2",
			edit: set(func(ep *model.ServingEndpoint) {
				ep.Model.Format = "mlflow"
			}),
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "InferenceService/resnet", fields: map[string]any{
				"spec.predictor.model.protocolVersion": "v2",
				"spec.predictor.model.modelFormat":     map[string]any{"name": "mlflow"},
			}}},
		},
	})
}

func TestLowerTrainingJob(t *testing.T) {
	t.Parallel()
	set := func(f func(job *model.TrainingJob)) func(*model.Platform, *model.Declarations) {
		return func(_ *model.Platform, d *model.Declarations) {
			d.Tenant.Contributors = nil
			job := modeltest.TrainingJob()
			f(&job)
			d.Training = map[string]model.TrainingJob{"resnet50": job}
		}
	}
	runLowerCases(t, []lowerCase{
		{
			name:     "on Kubeflow Trainer",
			edit:     set(func(job *model.TrainingJob) { job.Queue = "research" }),
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "TrainJob/resnet50", fields: map[string]any{
				"apiVersion":         "trainer.kubeflow.org/v1alpha1",
				"metadata.namespace": "vision",
				`metadata.labels["kueue.x-k8s.io/queue-name"]`: "research",
				"spec.runtimeRef":       map[string]any{"apiGroup": "trainer.kubeflow.org", "kind": "ClusterTrainingRuntime", "name": "torch-distributed"},
				"spec.trainer.numNodes": 2,
				"spec.trainer.image":    "ghcr.io/vision/train:1.4.2",
				"spec.trainer.command":  []any{"torchrun", "train.py"},
				"spec.trainer.resourcesPerNode": map[string]any{
					"requests": map[string]any{"cpu": "4", "memory": "16Gi"},
					"limits":   map[string]any{"cpu": "4", "memory": "16Gi"},
				},
			}}},
		},
		{
			name:     "PyTorch on the Training Operator",
			edit:     set(func(job *model.TrainingJob) { job.Workers = 3; job.RestartPolicy = "OnFailure" }),
			operator: true,
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "PyTorchJob/resnet50", fields: map[string]any{
				"apiVersion": "kubeflow.org/v1",
				"spec.pytorchReplicaSpecs.Master.replicas":                                           1,
				"spec.pytorchReplicaSpecs.Worker.replicas":                                           2,
				"spec.pytorchReplicaSpecs.Worker.restartPolicy":                                      "OnFailure",
				"spec.pytorchReplicaSpecs.Master.template.spec.containers[0].name":                   "pytorch",
				"spec.pytorchReplicaSpecs.Master.template.spec.containers[0].image":                  "ghcr.io/vision/train:1.4.2",
				"spec.pytorchReplicaSpecs.Worker.template.spec.containers[0].resources.requests.cpu": "4",
			}}},
		},
		{
			name: "MPI on the Training Operator: only the launcher runs the command",
			edit: set(func(job *model.TrainingJob) {
				job.Framework = "mpi"
				job.Launcher = &model.Launcher{Resources: &model.TrainingResources{CPU: "1", Memory: "2Gi"}}
			}),
			operator: true,
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "MPIJob/resnet50", fields: map[string]any{
				"spec.mpiReplicaSpecs.Launcher.replicas":                                       1,
				"spec.mpiReplicaSpecs.Launcher.template.spec.containers[0].command":            []any{"torchrun", "train.py"},
				"spec.mpiReplicaSpecs.Launcher.template.spec.containers[0].resources.requests": map[string]any{"cpu": "1", "memory": "2Gi"},
				"spec.mpiReplicaSpecs.Worker.replicas":                                         2,
				"spec.mpiReplicaSpecs.Worker.template.spec.containers[0]": map[string]any{
					"name": "mpi", "image": "ghcr.io/vision/train:1.4.2",
					"resources": map[string]any{
						"requests": map[string]any{"cpu": "4", "memory": "16Gi"},
						"limits":   map[string]any{"cpu": "4", "memory": "16Gi"},
					},
				},
			}}},
		},
		{
			name: "a GPU type's scheduling in the runtime patch",
			edit: func(p *model.Platform, d *model.Declarations) {
				p.Defaults.GPUTypes["a100"] = model.GPUType{Vendor: "nvidia", NodeSelector: map[string]string{"gpu": "a100"}}
				set(func(job *model.TrainingJob) { job.Resources.GPU = 2 })(p, d)
			},
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "TrainJob/resnet50", fields: map[string]any{
				`spec.trainer.resourcesPerNode.limits["nvidia.com/gpu"]`:                                                              "2",
				"spec.runtimePatches[0].manager":                                                                                      "mlc-gitops.github.io/mlc",
				"spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].name":                                     "node",
				"spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec.nodeSelector": map[string]any{"gpu": "a100"},
			}}},
		},
	})
}

func TestLowerExperiment(t *testing.T) {
	t.Parallel()
	set := func(f func(exp *model.Experiment)) func(*model.Platform, *model.Declarations) {
		return func(_ *model.Platform, d *model.Declarations) {
			d.Tenant.Contributors = nil
			exp := modeltest.Declarations().Experiments["resnet50-hpo"]
			f(&exp)
			d.Experiments = map[string]model.Experiment{"resnet50-hpo": exp}
		}
	}
	runLowerCases(t, []lowerCase{
		{
			name:     "trials on Kubeflow Trainer",
			edit:     set(func(*model.Experiment) {}),
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "Experiment/resnet50-hpo", fields: map[string]any{
				"apiVersion":                              "kubeflow.org/v1beta1",
				"spec.objective":                          map[string]any{"type": "maximize", "objectiveMetricName": "val_accuracy"},
				"spec.algorithm":                          map[string]any{"algorithmName": "random"},
				"spec.parameters":                         []any{map[string]any{"name": "lr", "parameterType": "double", "feasibleSpace": map[string]any{"min": "0.0001", "max": "0.1"}}},
				"spec.parallelTrialCount":                 3,
				"spec.maxTrialCount":                      12,
				"spec.trialTemplate.primaryContainerName": "node",
				"spec.trialTemplate.primaryPodLabels": map[string]any{
					"jobset.sigs.k8s.io/replicatedjob-name": "node", "batch.kubernetes.io/job-completion-index": "0",
				},
				"spec.trialTemplate.trialParameters":             []any{map[string]any{"name": "lr", "reference": "lr"}},
				"spec.trialTemplate.trialSpec.kind":              "TrainJob",
				"spec.trialTemplate.trialSpec.spec.trainer.args": []any{"--lr", "${trialParameters.lr}"},
				"spec.trialTemplate.successCondition":            `status.conditions.#(type=="Complete")#|#(status=="True")#`,
			}}},
		},
		{
			name:     "trials on the Training Operator",
			edit:     set(func(*model.Experiment) {}),
			operator: true,
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "Experiment/resnet50-hpo", fields: map[string]any{
				"spec.trialTemplate.trialSpec.kind":                                     "PyTorchJob",
				"spec.trialTemplate.primaryContainerName":                               "pytorch",
				"spec.trialTemplate.primaryPodLabels":                                   map[string]any{"training.kubeflow.org/job-role": "master"},
				"spec.trialTemplate.successCondition":                                   `status.conditions.#(type=="Succeeded")#|#(status=="True")#`,
				"spec.trialTemplate.trialSpec.spec.pytorchReplicaSpecs.Worker.replicas": 1,
			}}},
		},
		{
			name: "early stopping, and a categorical parameter",
			edit: set(func(exp *model.Experiment) {
				exp.Parameters["optimizer"] = model.Parameter{Values: []model.Setting{model.StringSetting("sgd"), model.StringSetting("adam")}}
				exp.Trial.Args = append(exp.Trial.Args, "--optimizer", "${trialParameters.optimizer}")
				exp.EarlyStopping = &model.EarlyStopping{Algorithm: "medianstop", Settings: map[string]model.Setting{"min_trials_required": model.NumberSetting("3")}}
			}),
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "Experiment/resnet50-hpo", fields: map[string]any{
				"spec.parameters[1]": map[string]any{"name": "optimizer", "parameterType": "categorical", "feasibleSpace": map[string]any{"list": []any{"sgd", "adam"}}},
				"spec.earlyStopping": map[string]any{"algorithmName": "medianstop", "algorithmSettings": []any{map[string]any{"name": "min_trials_required", "value": "3"}}},
			}}},
		},
	})
}

func TestLowerPipeline(t *testing.T) {
	t.Parallel()
	set := func(f func(pl *model.Pipeline)) func(*model.Platform, *model.Declarations) {
		return func(_ *model.Platform, d *model.Declarations) {
			d.Tenant.Contributors = nil
			pl := modeltest.Pipeline()
			f(&pl)
			d.Pipelines = map[string]model.Pipeline{"nightly": pl}
		}
	}
	const spec = "spec.pipelineSpec."
	schedule := &model.PipelineSchedule{Cron: "0 2 * * *", TimeZone: "Europe/Paris", Experiment: "Default"}
	runLowerCases(t, []lowerCase{
		{
			name:     "prep feeds train",
			edit:     set(func(*model.Pipeline) {}),
			platform: []wantObject{theProfile},
			workloads: []wantObject{
				{id: "Pipeline/nightly", fields: map[string]any{"metadata.namespace": "vision"}},
				{id: "PipelineVersion/nightly-*", fields: map[string]any{
					"spec.pipelineName":                          "nightly",
					spec + "pipelineInfo.name":                   "nightly",
					spec + "schemaVersion":                       "2.1.0",
					spec + "root.dag.tasks.train.dependentTasks": []any{"prep"},
					spec + "root.dag.tasks.train.inputs.artifacts.dataset.taskOutputArtifact":                     map[string]any{"producerTask": "prep", "outputArtifactKey": "dataset"},
					spec + `deploymentSpec.executors["exec-train"].container.args`:                                []any{"--data", "{{$.inputs.artifacts['dataset'].path}}"},
					spec + `components["comp-prep"].outputDefinitions.artifacts.dataset.artifactType.schemaTitle`: "system.Dataset",
				}},
			},
		},
		{
			name: "an exit task watches the others",
			edit: set(func(pl *model.Pipeline) {
				pl.Tasks["notify"] = model.PipelineTask{Image: "ghcr.io/vision/notify:1"}
				pl.ExitTask = "notify"
			}),
			platform: []wantObject{theProfile},
			workloads: []wantObject{
				{id: "Pipeline/nightly"},
				{id: "PipelineVersion/nightly-*", fields: map[string]any{
					spec + "root.dag.tasks.notify.dependentTasks":                             []any{"exit-handler-1"},
					spec + "root.dag.tasks.notify.triggerPolicy":                              map[string]any{"strategy": "ALL_UPSTREAM_TASKS_COMPLETED"},
					spec + `root.dag.tasks["exit-handler-1"].componentRef.name`:               "comp-exit-handler-1",
					spec + `components["comp-exit-handler-1"].dag.tasks.train.dependentTasks`: []any{"prep"},
				}},
			},
		},
		{
			name:     "a schedule, suspended",
			edit:     set(func(pl *model.Pipeline) { pl.Schedule = schedule }),
			platform: []wantObject{theProfile},
			workloads: []wantObject{
				{id: "CronJob/nightly", fields: map[string]any{
					"metadata.namespace": "vision",
					`metadata.labels["pipelines.kubeflow.org/pipeline"]`: "nightly",
					"spec.schedule": "0 2 * * *",
					"spec.timeZone": "Europe/Paris",
					"spec.suspend":  true,
					"spec.jobTemplate.spec.template.spec.containers[0].image":  "docker.io/library/python:3.13-slim",
					"spec.jobTemplate.spec.template.spec.containers[0].env[1]": map[string]any{"name": "MLC_PIPELINE", "value": "nightly"},
					"spec.jobTemplate.spec.template.spec.containers[0].env[3]": map[string]any{"name": "MLC_RUN_PARAMETERS", "value": "{}"},
				}},
				{id: "Pipeline/nightly"},
				{id: "PipelineVersion/nightly-*"},
			},
		},
	})
}

// TestLowerPipelineVersionFollowsTheSpec: the version is named after the spec, so a
// schedule's job starts the version this revision renders, and a changed pipeline is a
// new version.
func TestLowerPipelineVersionFollowsTheSpec(t *testing.T) {
	t.Parallel()
	p := modeltest.Platform()
	version := func(pl model.Pipeline) (name, scheduled string) {
		d := &model.Declarations{Tenant: modeltest.Declarations().Tenant, Pipelines: map[string]model.Pipeline{"nightly": pl}}
		for _, o := range Tenant(p, Target{Training: p.DefaultTrainingTarget()}, d).Workloads {
			switch o.Kind() {
			case "PipelineVersion":
				name = o.Name()
			case "CronJob":
				v, _ := lookup(o.Content, "spec.jobTemplate.spec.template.spec.containers[0].env[2].value")
				scheduled, _ = v.(string)
			}
		}
		return name, scheduled
	}
	pl := modeltest.Pipeline()
	pl.Schedule = &model.PipelineSchedule{Cron: "@daily", TimeZone: "Etc/UTC", Enabled: true, Experiment: "Default"}
	first, scheduled := version(pl)
	if !regexp.MustCompile(`^nightly-[0-9a-f]{10}$`).MatchString(first) || scheduled != first {
		t.Fatalf("version %q, scheduled %q: want nightly-<10 hex digits>, scheduled", first, scheduled)
	}
	pl.Tasks["prep"] = model.PipelineTask{Image: "ghcr.io/vision/prep:3", Outputs: pl.Tasks["prep"].Outputs}
	if second, _ := version(pl); second == first || !strings.HasPrefix(second, "nightly-") {
		t.Errorf("a new prep image gives version %q, the old one %q", second, first)
	}
}
