package compiler_test

import "testing"

// refusedLaterCases are the part of TestBadInput's corpus that Kubernetes or a Kubeflow
// controller would refuse, or run wrongly, after the API server had taken the objects:
// image references, mount paths, numbers out of the upstream bounds, PodDefaults the
// platform provides and objects that two declarations would both need.
func refusedLaterCases(t testing.TB) []struct {
	name    string
	changes map[string]string
	pos     string
	path    string
	message string
} {
	return []struct {
		name    string
		changes map[string]string
		pos     string
		path    string
		message string
	}{
		{
			name:    "an image path that climbs out of the allowed registry path",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: image: \"ghcr.io/acme/../../evil/miner:1\"\n"},
			pos:     nb + ":3:24",
			path:    "notebooks.dev.image",
			message: `"ghcr.io/acme/../../evil/miner:1" is not a valid image reference: ".." is not a repository name`,
		},
		{
			name:    "an image path with an empty component",
			changes: map[string]string{tr: with(t, resnet, `"ghcr.io/acme/train:1"`, `"ghcr.io/acme//train:1"`)},
			pos:     tr + ":5:13",
			path:    "trainingJobs.resnet.image",
			message: "it has an empty path component",
		},
		{
			name:    "an image whose first path component only starts like the allowed one",
			changes: map[string]string{tr: with(t, resnet, `"ghcr.io/acme/train:1"`, `"ghcr.io/acme-evil/train:1"`)},
			pos:     tr + ":5:13",
			path:    "trainingJobs.resnet.image",
			message: `image "ghcr.io/acme-evil/train:1" is not from an allowed registry`,
		},
		{
			name:    "an image path in upper case",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: container: image: \"ghcr.io/acme/Server:1\"\n"},
			pos:     sv + ":3:40",
			path:    "servingEndpoints.m.container.image",
			message: "the repository path must be lower case (Server)",
		},
		{
			name:    "a serving runtime image with a dot component",
			changes: map[string]string{sv: "package ml\n\nservingRuntimes: rt: {\n\timage: \"ghcr.io/acme/./srv:1\"\n\tformats: [{name: \"sklearn\"}]\n}\n"},
			pos:     sv + ":4:9",
			path:    "servingRuntimes.rt.image",
			message: `"." is not a repository name`,
		},
		{
			name:    "a pipeline step image that climbs out of the allowed path",
			changes: map[string]string{pl: pipelineFile("\ttasks: prep: image: \"ghcr.io/acme/../kubeflow/prep:1\"\n")},
			pos:     pl + ":4:22",
			path:    "pipelines.nightly.tasks.prep.image",
			message: `".." is not a repository name`,
		},
		{
			name:    "a runtime version that is not an image tag",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: model: {format: \"sklearn\", storageUri: \"s3://b/m\", runtimeVersion: \"1.0/../x\"}\n"},
			pos:     sv + ":3:89",
			path:    "servingEndpoints.m.model.runtimeVersion",
			message: `"1.0/../x" is not an image tag`,
		},
		{
			name:    "an allowed registry without a host",
			changes: map[string]string{"platform.cue": with(t, baseRepo["platform.cue"], `"ghcr.io/kubeflow/"`, `"kubeflow/"`)},
			pos:     "platform.cue:6:29",
			path:    "policy.allowedRegistries[0]",
			message: `"kubeflow/" does not start with a registry host: write the host first, as in docker.io/kubeflow`,
		},
		{
			name:    "an allowed registry entry with a tag",
			changes: map[string]string{"platform.cue": with(t, baseRepo["platform.cue"], `"ghcr.io/acme/"`, `"ghcr.io/acme/nb:1"`)},
			pos:     "platform.cue:6:50",
			path:    "policy.allowedRegistries[1]",
			message: "names a tag or digest",
		},
		{
			name:    "a catalog image that does not parse",
			changes: map[string]string{"platform.cue": baseRepo["platform.cue"] + "defaults: imageCatalog: py: \"ghcr.io/acme/../py:3\"\n"},
			pos:     "platform.cue:8:29",
			path:    "defaults.imageCatalog.py",
			message: `".." is not a repository name`,
		},
		{
			name:    "a PodDefault named as the one mlc writes for Kubeflow Pipelines",
			changes: map[string]string{nb: baseRepo[nb] + "podDefaults: \"access-ml-pipeline\": env: KF_PIPELINES_SA_TOKEN_PATH: \"/tmp/token\"\n"},
			pos:     nb + ":7:14",
			path:    "podDefaults.\"access-ml-pipeline\"",
			message: "mlc writes PodDefault access-ml-pipeline, the token for Kubeflow Pipelines' API, in the namespace of every tenant with pipelines or a notebook selecting it, and this one would replace it: choose another name",
		},
		{
			name: "a PodDefault named as one the platform shares",
			changes: map[string]string{
				"platform.cue": baseRepo["platform.cue"] + "defaults: sharedPodDefaults: [\"team-s3\"]\n",
				nb:             baseRepo[nb] + "podDefaults: team_s3: description: \"mine\"\n",
			},
			pos:     nb + ":7:14",
			path:    "podDefaults.team_s3",
			message: "the platform provides PodDefault team-s3 in every tenant namespace (defaults.sharedPodDefaults), and this one would replace it",
		},
		{
			name:    "a data volume at the notebook's /dev/shm",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tdataVolumes: cache: {mountPath: \"/dev/shm\", size: \"1Gi\"}\n}\n"},
			pos:     nb + ":5:34",
			path:    "notebooks.dev.dataVolumes.cache.mountPath",
			message: "/dev/shm is where the notebook's shared memory (shm) is mounted: mount this volume elsewhere, or set shm: false",
		},
		{
			name:    "a data volume at /dev/shm written another way",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tdataVolumes: cache: {mountPath: \"/data/../dev//shm/\", size: \"1Gi\"}\n}\n"},
			pos:     nb + ":5:34",
			path:    "notebooks.dev.dataVolumes.cache.mountPath",
			message: "/data/../dev//shm/ is where the notebook's shared memory (shm) is mounted",
		},
		{
			name:    "a data volume over the service account token",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tdataVolumes: secrets: {mountPath: \"/var/run/secrets\", existingClaim: \"mine\"}\n}\n"},
			pos:     nb + ":5:36",
			path:    "notebooks.dev.dataVolumes.secrets.mountPath",
			message: "/var/run/secrets would hold /var/run/secrets/kubernetes.io/serviceaccount, where Kubernetes' token of the pod's service account is mounted",
		},
		{
			name:    "a data volume inside a read-only one",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tdataVolumes: {\n\t\tref: {mountPath: \"/ref\", existingClaim: \"ref\", readOnly: true}\n\t\tscratch: {mountPath: \"/ref/scratch\", size: \"1Gi\"}\n\t}\n}\n"},
			pos:     nb + ":7:24",
			path:    "notebooks.dev.dataVolumes.scratch.mountPath",
			message: "/ref/scratch is inside /ref, where data volume ref is mounted read-only",
		},
		{
			name: "a PodDefault's secret where the notebook mounts a data volume",
			changes: map[string]string{nb: `package ml

podDefaults: aws: secretVolumes: "aws-creds": mountPath: "/data"
notebooks: dev: {
	image: "jupyter-scipy"
	dataVolumes: data: {mountPath: "/data", size: "1Gi"}
	podDefaults: ["aws"]
}
`},
			pos:     nb + ":7:16",
			path:    "notebooks.dev.podDefaults[0]",
			message: "/data is already where data volume data is mounted: a path holds one volume",
		},
		{
			name:    "two secrets of a PodDefault at one path",
			changes: map[string]string{nb: baseRepo[nb] + "podDefaults: aws: secretVolumes: {a: mountPath: \"/creds\", b: mountPath: \"/creds/\"}\n"},
			pos:     nb + ":7:73",
			path:    "podDefaults.aws.secretVolumes.b.mountPath",
			message: "/creds/ is already where secret a is mounted",
		},
		{
			name: "a data volume where Kubeflow Pipelines' PodDefault mounts its token",
			changes: map[string]string{
				nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tpodDefaults: [\"access-ml-pipeline\"]\n\tdataVolumes: kfp: {mountPath: \"/var/run/secrets/kubeflow\", size: \"1Gi\"}\n}\n",
			},
			pos:     nb + ":6:32",
			path:    "notebooks.dev.dataVolumes.kfp.mountPath",
			message: "/var/run/secrets/kubeflow would hold /var/run/secrets/kubeflow/pipelines, where Kubeflow Pipelines' token (PodDefault access-ml-pipeline) is mounted",
		},
		{
			name:    "a training volume over a runtime's initializer volume",
			changes: map[string]string{tr: with(t, resnet, "workers:   2", "workers:   2\n\truntime: \"torchtune-llama3.2-1b\"\n\tvolumes: data: {claim: \"data\", mountPath: \"/workspace/data\"}")},
			pos:     tr + ":8:44",
			path:    "trainingJobs.resnet.volumes.data.mountPath",
			message: "/workspace/data is inside /workspace, where the volume runtime torchtune-llama3.2-1b downloads the data set and model into (cluster prod) is mounted",
		},
		{
			name: "an MPI job's volume at the Training Operator's hostfile",
			changes: map[string]string{
				"platform.cue": baseRepo["platform.cue"] + "defaults: training: backend: \"training-operator\"\n",
				tr:             with(t, with(t, resnet, `framework: "pytorch"`, `framework: "mpi"`), "workers:   2", "workers:   2\n\tlauncher: resources: {cpu: 1, memory: \"1Gi\"}\n\tvolumes: hosts: {configMap: \"hosts\", mountPath: \"/etc/mpi\"}"),
			},
			pos:     tr + ":8:50",
			path:    "trainingJobs.resnet.volumes.hosts.mountPath",
			message: "/etc/mpi is where the Training Operator's MPI hostfile (cluster prod) is mounted",
		},
		{
			name:    "a pipeline step volume at Kubeflow Pipelines' scratch space",
			changes: map[string]string{pl: pipelineFile("\ttasks: a: {\n\t\timage: \"ghcr.io/acme/a:1\"\n\t\tvolumes: data: {mountPath: \"/s3\", claim: \"data\"}\n\t}\n")},
			pos:     pl + ":6:30",
			path:    "pipelines.nightly.tasks.a.volumes.data.mountPath",
			message: "/s3 is where Kubeflow Pipelines' scratch space for artifacts is mounted",
		},
		{
			name:    "a pipeline step claim inside its secret volume",
			changes: map[string]string{pl: pipelineFile("\ttasks: a: {\n\t\timage: \"ghcr.io/acme/a:1\"\n\t\tvolumes: {\n\t\t\tcreds: {mountPath: \"/etc/creds\", secret: \"creds\"}\n\t\t\tcache: {mountPath: \"/etc/creds/cache\", claim: \"cache\"}\n\t\t}\n\t}\n")},
			pos:     pl + ":7:23",
			path:    "pipelines.nightly.tasks.a.volumes.creds.mountPath",
			message: "/etc/creds would hold /etc/creds/cache, where volume cache is mounted, but is read-only",
		},
		{
			name:    "a negative batch size",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: {\n\tmodel: {format: \"sklearn\", storageUri: \"s3://b/m\"}\n\treplicas: max: 2\n\tbatching: maxBatchSize: -32\n}\n"},
			pos:     sv + ":6:26",
			path:    "servingEndpoints.m.batching.maxBatchSize",
			message: "must be 1 or more (got -32)",
		},
		{
			name:    "a batch latency of zero",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: {\n\tmodel: {format: \"sklearn\", storageUri: \"s3://b/m\"}\n\treplicas: max: 2\n\tbatching: maxLatency: 0\n}\n"},
			pos:     sv + ":6:24",
			path:    "servingEndpoints.m.batching.maxLatency",
			message: "must be 1 or more (got 0)",
		},
		{
			name:    "an autoscaling target of zero",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: {\n\tmodel: {format: \"sklearn\", storageUri: \"s3://b/m\"}\n\treplicas: max: 2\n\tautoscaling: {metric: \"concurrency\", target: 0}\n}\n"},
			pos:     sv + ":6:47",
			path:    "servingEndpoints.m.autoscaling.target",
			message: "must be 1 or more (got 0)",
		},
		{
			name:    "a request timeout of zero",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: {\n\tmodel: {format: \"sklearn\", storageUri: \"s3://b/m\"}\n\treplicas: max: 2\n\ttimeout: 0\n}\n"},
			pos:     sv + ":6:11",
			path:    "servingEndpoints.m.timeout",
			message: "must be 1 or more (got 0)",
		},
		{
			name:    "negative canary traffic",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: {\n\tmodel: {format: \"sklearn\", storageUri: \"s3://b/v1\"}\n\tcanary: {storageUri: \"s3://b/v2\", traffic: -5}\n}\n"},
			pos:     sv + ":5:45",
			path:    "servingEndpoints.m.canary.traffic",
			message: "must be 0 or more (got -5)",
		},
		{
			name:    "a serving runtime priority of zero",
			changes: map[string]string{sv: "package ml\n\nservingRuntimes: rt: {\n\timage: \"ghcr.io/acme/srv:1\"\n\tformats: [{name: \"sklearn\", priority: 0}]\n}\n"},
			pos:     sv + ":5:40",
			path:    "servingRuntimes.rt.formats.0.priority",
			message: "must be 1 or more (got 0)",
		},
		{
			name:    "a training port beyond the port numbers",
			changes: map[string]string{tr: with(t, resnet, "workers:   2", "workers:   2\n\tport: 70000")},
			pos:     tr + ":7:8",
			path:    "trainingJobs.resnet.port",
			message: "must be 65535 or less (got 70000)",
		},
		{
			name:    "a negative backoff limit",
			changes: map[string]string{tr: with(t, resnet, "workers:   2", "workers:   2\n\tbackoffLimit: -1")},
			pos:     tr + ":7:16",
			path:    "trainingJobs.resnet.backoffLimit",
			message: "must be 0 or more (got -1)",
		},
		{
			name:    "zero processes per node",
			changes: map[string]string{tr: with(t, resnet, "workers:   2", "workers:   2\n\tprocsPerWorker: 0")},
			pos:     tr + ":7:18",
			path:    "trainingJobs.resnet.procsPerWorker",
			message: "must be 1 or more (got 0)",
		},
		{
			name:    "an experiment with no trials at once",
			changes: map[string]string{tr: with(t, hpo, "parallelTrials: 2", "parallelTrials: 0")},
			pos:     tr + ":14:18",
			path:    "experiments.hpo.parallelTrials",
			message: "must be 1 or more (got 0)",
		},
		{
			name:    "a grid step of zero",
			changes: map[string]string{tr: with(t, hpo, "lr: {min: 0.01, max: 0.1}", "lr: {min: 0.01, max: 0.1, step: 0}")},
			pos:     tr + ":10:46",
			path:    "experiments.hpo.parameters.lr.step",
			message: "must be more than 0 (got 0)",
		},
		{
			name:    "a retry backoff that shrinks",
			changes: map[string]string{pl: pipelineFile("\ttasks: a: {image: \"ghcr.io/acme/a:1\", retry: {count: 2, factor: 0.5}}\n")},
			pos:     pl + ":4:66",
			path:    "pipelines.nightly.tasks.a.retry.factor",
			message: "must be 1 or more (got 0.5)",
		},
		{
			name:    "a negative GPU limit for notebooks",
			changes: map[string]string{"platform.cue": with(t, baseRepo["platform.cue"], "gpu: 2", "gpu: -1")},
			pos:     "platform.cue:7:32",
			path:    "policy.limits.notebook.gpu",
			message: "must be 0 or more (got -1)",
		},
		{
			name: "a notebook named as a raw endpoint's predictor",
			changes: map[string]string{
				nb: "package ml\n\nnotebooks: \"image-captioner-predictor\": image: \"jupyter-scipy\"\n",
				sv: "package ml\n\nservingEndpoints: \"image-captioner\": {\n\tmode: \"raw\"\n\tcontainer: image: \"ghcr.io/acme/captioner:1\"\n\treplicas: max: 1\n}\n",
			},
			pos:     sv + ":3:19",
			path:    `servingEndpoints."image-captioner"`,
			message: "Service image-captioner-predictor of serving endpoint image-captioner and of notebook image-captioner-predictor (" + nb + ":3:12) would be one object: KServe (the predictor) makes one, the notebook controller the other; rename one of them",
		},
		{
			name: "a notebook named as a serverless endpoint's predictor, declared after it",
			changes: map[string]string{nb: `package ml

servingEndpoints: m: {
	model: {format: "sklearn", storageUri: "s3://b/m"}
	replicas: max: 1
}
notebooks: "m-predictor": image: "jupyter-scipy"
`},
			pos:     nb + ":7:12",
			path:    `notebooks."m-predictor"`,
			message: "Service m-predictor of notebook m-predictor and of serving endpoint m (" + nb + ":3:19) would be one object: the notebook controller makes one, Knative (the predictor's route) the other",
		},
		{
			name: "a notebook named as a revision of a serverless endpoint",
			changes: map[string]string{nb: `package ml

servingEndpoints: m: {
	model: {format: "sklearn", storageUri: "s3://b/m"}
	replicas: max: 1
}
notebooks: "m-predictor-00001": image: "jupyter-scipy"
`},
			pos:     nb + ":7:12",
			path:    `notebooks."m-predictor-00001"`,
			message: "Service m-predictor-00001 of notebook m-predictor-00001 and of serving endpoint m",
		},
		{
			name: "a notebook and a serverless endpoint of one name",
			changes: map[string]string{
				nb: "package ml\n\nnotebooks: m: image: \"jupyter-scipy\"\n",
				sv: "package ml\n\nservingEndpoints: m: {\n\tmodel: {format: \"sklearn\", storageUri: \"s3://b/m\"}\n\treplicas: max: 1\n}\n",
			},
			pos:     sv + ":3:19",
			path:    "servingEndpoints.m",
			message: "Service m of serving endpoint m and of notebook m (" + nb + ":3:12) would be one object: KServe (the endpoint's address) makes one, the notebook controller the other",
		},
		{
			name: "two serverless endpoints, one named as the other's transformer",
			changes: map[string]string{sv: `package ml

servingEndpoints: a: {
	model: {format: "sklearn", storageUri: "s3://b/a"}
	transformer: image: "ghcr.io/acme/t:1"
	replicas: max: 1
}
servingEndpoints: "a-transformer": {
	model: {format: "sklearn", storageUri: "s3://b/b"}
	replicas: max: 1
}
`},
			pos:     sv + ":8:19",
			path:    `servingEndpoints."a-transformer"`,
			message: "Service a-transformer of serving endpoint a-transformer and of serving endpoint a (" + sv + ":3:19) would be one object",
		},
		{
			name: "a notebook and a Kubeflow Trainer job of one name",
			changes: map[string]string{
				nb: "package ml\n\nnotebooks: resnet: image: \"jupyter-scipy\"\n",
				tr: resnet,
			},
			pos:     tr + ":3:15",
			path:    "trainingJobs.resnet",
			message: "Service resnet of training job resnet and of notebook resnet (" + nb + ":3:12) would be one object: JobSet (Kubeflow Trainer's headless Service for the nodes) makes one, the notebook controller the other",
		},
		{
			name: "a notebook whose pod is a Training Operator job's",
			changes: map[string]string{
				"platform.cue": baseRepo["platform.cue"] + "defaults: training: backend: \"training-operator\"\n",
				nb:             "package ml\n\nnotebooks: \"resnet-worker\": image: \"jupyter-scipy\"\n",
				tr:             resnet,
			},
			pos:     tr + ":3:15",
			path:    "trainingJobs.resnet",
			message: "Pod resnet-worker-0 of training job resnet and of notebook resnet-worker (" + nb + ":3:12) would be one object: the Training Operator makes one, the notebook's StatefulSet the other",
		},
		{
			name: "a notebook named as an experiment's suggestion service",
			changes: map[string]string{
				nb: "package ml\n\nnotebooks: \"hpo-random\": image: \"jupyter-scipy\"\n",
				tr: hpo,
			},
			pos:     tr + ":3:14",
			path:    "experiments.hpo",
			message: "Service hpo-random of experiment hpo and of notebook hpo-random (" + nb + ":3:12) would be one object: Katib (the suggestion service) makes one, the notebook controller the other",
		},
		{
			name:    "a training job named as one of an experiment's trials",
			changes: map[string]string{tr: hpo + with(t, resnet, "package ml\n\ntrainingJobs: resnet:", "trainingJobs: \"hpo-bcdfghjk\":")},
			pos:     tr + ":16:15",
			path:    `trainingJobs."hpo-bcdfghjk"`,
			message: "TrainJob hpo-bcdfghjk of training job hpo-bcdfghjk and of experiment hpo (" + tr + ":3:14) would be one object: mlc makes one, Katib (the trials' jobs) the other",
		},
		{
			name:    "a notebook named as Kubeflow Pipelines' artifact server",
			changes: map[string]string{nb: "package ml\n\nnotebooks: \"ml-pipeline-ui-artifact\": image: \"jupyter-scipy\"\n"},
			pos:     nb + ":3:12",
			path:    `notebooks."ml-pipeline-ui-artifact"`,
			message: "Service ml-pipeline-ui-artifact of notebook ml-pipeline-ui-artifact would be the one Kubeflow Pipelines (in every profile namespace) keeps: rename the notebook",
		},
		{
			name: "a notebook's workspace claim named as another notebook's data volume claim",
			changes: map[string]string{nb: `package ml

notebooks: a: {image: "jupyter-scipy", dataVolumes: "b-workspace": {mountPath: "/b", size: "1Gi"}}
notebooks: "a-datavol-b": image: "jupyter-scipy"
`},
			pos:     nb + ":4:12",
			path:    `notebooks."a-datavol-b"`,
			message: "PersistentVolumeClaim a-datavol-b-workspace of notebook a-datavol-b and of notebook a (" + nb + ":3:12) would be one object: mlc (the workspace) makes one, mlc (data volume b-workspace) the other",
		},
		{
			name: "a quota under the default requests of containers",
			changes: map[string]string{
				nb:                          "",
				"tenants/team-a/tenant.cue": "package ml\n\ntenant: {\n\towner: \"alice@example.com\"\n\tquota: {cpu: \"50m\", memory: \"32Gi\", gpu: 2}\n}\n",
			},
			pos:     "tenants/team-a/tenant.cue:5:15",
			path:    "tenant.quota.cpu",
			message: "the quota of 50m CPU is under the 100m that every container requesting none gets in the namespace (the platform's defaults.containerDefaults.cpu)",
		},
		{
			name:    "a default limit under the default request",
			changes: map[string]string{"platform.cue": baseRepo["platform.cue"] + "defaults: containerDefaults: limits: memory: \"64Mi\"\n"},
			pos:     "platform.cue:8:46",
			path:    "defaults.containerDefaults.limits.memory",
			message: "the default limit (64Mi) is under the default request (defaults.containerDefaults.memory: 128Mi): the API server refuses such a LimitRange",
		},
		{
			name:    "a registry Secret that tenants would share",
			changes: map[string]string{"platform.cue": baseRepo["platform.cue"] + "flux: {repository: \"oci://registry.example.com/ml\", pullSecret: \"registry\"}\n"},
			pos:     "platform.cue:8:65",
			path:    "flux.pullSecret",
			message: "the platform's registry Secret registry stays in flux-system, since tenants' contributors can read the Secrets of their namespace: set flux.tenantPullSecret",
		},
	}
}
