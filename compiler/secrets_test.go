package compiler_test

import (
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// The files of secretRepo, a repository where every kind of declaration that runs a
// container takes a variable from a Secret and one from a ConfigMap. Each case of the
// corpus below changes one reference of it into a plain value, or breaks one.
const (
	secPlatform = `package ml

clusters: prod: {}
clusters: ops: training: backend: "training-operator"
defaults: gpuTypes: a100: vendor: "nvidia"
defaults: gpuType: "a100"
policy: allowedRegistries: ["ghcr.io/kubeflow/", "ghcr.io/acme/", "docker.io/library/"]
`
	secTenant = `package ml

tenant: {
	owner: "alice@example.com"
	quota: {cpu: 64, memory: "256Gi", gpu: 2}
}
`
	secNotebooks = `package ml

notebooks: dev: {
	image: "jupyter-scipy"
	resources: {cpu: 1, memory: "2Gi"}
	podDefaults: ["creds"]
	env: {
		HF_HOME:  "/home/jovyan/.cache"
		HF_TOKEN: secret: {name: "hf", key: "token"}
		REGION: configMap: {name: "site.settings", key: "region"}
	}
}

podDefaults: creds: env: {
	MLFLOW_TRACKING_PASSWORD: secret: {name: "mlflow", key: "password"}
	MLFLOW_TRACKING_URI: configMap: {name: "mlflow", key: "tracking_uri"}
}
`
	secServing = `package ml

servingEndpoints: scorer: {
	model: {
		format:     "sklearn"
		storageUri: "s3://models/scorer/v1"
		env: AWS_SECRET_ACCESS_KEY: secret: {name: "s3", key: "secret-key"}
	}
	resources: {cpu: 1, memory: "2Gi"}
	replicas: {min: 1, max: 1}
	logging: url: "http://sink.team-a.svc.cluster.local"
	transformer: {
		image: "ghcr.io/acme/transformer:1"
		env: FEATURE_STORE_API_KEY: secret: {name: "features", key: "api-key"}
		resources: {cpu: 1, memory: "1Gi"}
	}
	explainer: {
		image: "ghcr.io/acme/explainer:1"
		env: EXPLAIN_MODE: configMap: {name: "explainer", key: "mode"}
		resources: {cpu: 1, memory: "1Gi"}
	}
}

servingEndpoints: custom: {
	container: {
		image: "ghcr.io/acme/server:1"
		env: DB_PASSWORD: secret: {name: "db", key: "password"}
	}
	resources: {cpu: 1, memory: "1Gi"}
	replicas: {min: 1, max: 1}
}

servingRuntimes: fast: {
	image: "ghcr.io/acme/runtime:1"
	env: LICENSE_TOKEN: secret: {name: "license", key: "token"}
	formats: [{name: "sklearn", autoSelect: false}]
}
`
	secTraining = `package ml

trainingJobs: resnet: {
	framework: "pytorch"
	image:     "ghcr.io/acme/train:1"
	env: {
		WANDB_API_KEY: secret: {name: "wandb", key: "api-key"}
		DATA_URI: "s3://data/resnet"
	}
	resources: {cpu: 1, memory: "1Gi"}
}

experiments: hpo: {
	trial: {
		framework: "pytorch"
		image:     "ghcr.io/acme/train:1"
		args: ["--lr=${trialParameters.lr}"]
		env: HF_TOKEN: secret: {name: "hf", key: "token"}
		resources: {cpu: 1, memory: "1Gi"}
	}
	parameters: lr: {min: 0.01, max: 0.1}
	objective: {metric: "loss", type: "minimize"}
	algorithm: "random"
	maxTrials:      4
	parallelTrials: 2
}
`
	secPipelines = `package ml

pipelines: nightly: {
	parameters: source: {type: "string", default: "s3://data/incoming"}
	tasks: {
		prep: {
			image: "ghcr.io/acme/prep:1"
			inputs: source: parameter: "source"
			env: DB_PASSWORD: secret: {name: "db", key: "password"}
			outputs: dataset: "Dataset"
		}
		publish: {
			if: {parameter: "source", "!=": ""}
			tasks: push: {
				image: "ghcr.io/acme/push:1"
				inputs: dataset: {task: "prep", output: "dataset"}
				env: REGISTRY_TOKEN: secret: {name: "registry", key: "token"}
				env: REGISTRY_URL: configMap: {name: "registry", key: "url"}
			}
		}
	}
	schedule: {cron: "0 2 * * *", parameters: source: "s3://data/nightly"}
}
`
)

const (
	secNb = "tenants/team-a/notebooks.cue"
	secSv = "tenants/team-a/serving.cue"
	secTr = "tenants/team-a/training.cue"
	secPl = "tenants/team-a/pipelines.cue"
)

// secretRepo writes the repository with changes on top of its files.
func secretRepo(t *testing.T, changes map[string]string) string {
	t.Helper()
	files := map[string]string{
		"platform.cue":              secPlatform,
		"tenants/team-a/tenant.cue": secTenant,
		secNb:                       secNotebooks,
		secSv:                       secServing,
		secTr:                       secTraining,
		secPl:                       secPipelines,
	}
	maps.Copy(files, changes)
	return writeRepo(t, files)
}

func compileRepo(t *testing.T, dir string) *compiler.Result {
	t.Helper()
	res, err := compiler.Compile(t.Context(), dir, compiler.Options{NoCache: true})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return res
}

// clusterObject returns an object of a kind and name compiled for a cluster.
func clusterObject(t *testing.T, res *compiler.Result, cluster, kind, name string) manifest.Object {
	t.Helper()
	for _, c := range res.Clusters {
		for _, tn := range c.Tenants {
			for _, o := range tn.Workloads {
				if c.Name == cluster && o.Kind() == kind && o.Name() == name {
					return o
				}
			}
		}
	}
	t.Fatalf("no %s %s compiled for cluster %s", kind, name, cluster)
	return manifest.Object{}
}

// at follows keys (string) and list indexes (int) into an object.
func at(t *testing.T, v any, steps ...any) any {
	t.Helper()
	for i, s := range steps {
		switch s := s.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("no map at %v", steps[:i])
			}
			v = m[s]
		case int:
			l, ok := v.([]any)
			if !ok || s >= len(l) {
				t.Fatalf("no item %d at %v", s, steps[:i])
			}
			v = l[s]
		}
	}
	return v
}

// envVarOf finds a variable by name in a container's env list.
func envVarOf(t *testing.T, env any, name string) map[string]any {
	t.Helper()
	list, _ := env.([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok && m["name"] == name {
			return m
		}
	}
	t.Fatalf("no variable %s in %v", name, env)
	return nil
}

func keyRef(kind, name, key string) map[string]any {
	return map[string]any{"name": "", "valueFrom": map[string]any{kind: map[string]any{"name": name, "key": key}}}
}

// TestEnvReferencesEverywhere: every kind of declaration that runs a container takes a
// Secret's or ConfigMap's key in one shape, and each compiles to a valueFrom (or, in a
// pipeline, to KFP's secretAsEnv and configMapAsEnv) where its upstream API reads it;
// Compile validates every object against the upstream schemas.
func TestEnvReferencesEverywhere(t *testing.T) {
	res := compileRepo(t, secretRepo(t, nil))
	if len(res.Diagnostics) > 0 {
		t.Fatal(res.Diagnostics.Error())
	}
	for _, tc := range []struct {
		cluster, kind, name string
		env                 []any // the path to the env list
		variable            string
		want                map[string]any
	}{
		{"prod", "Notebook", "dev", []any{"spec", "template", "spec", "containers", 0, "env"}, "HF_TOKEN", keyRef("secretKeyRef", "hf", "token")},
		{"prod", "Notebook", "dev", []any{"spec", "template", "spec", "containers", 0, "env"}, "REGION", keyRef("configMapKeyRef", "site.settings", "region")},
		{"prod", "PodDefault", "creds", []any{"spec", "env"}, "MLFLOW_TRACKING_PASSWORD", keyRef("secretKeyRef", "mlflow", "password")},
		{"prod", "PodDefault", "creds", []any{"spec", "env"}, "MLFLOW_TRACKING_URI", keyRef("configMapKeyRef", "mlflow", "tracking_uri")},
		{"prod", "InferenceService", "scorer", []any{"spec", "predictor", "model", "env"}, "AWS_SECRET_ACCESS_KEY", keyRef("secretKeyRef", "s3", "secret-key")},
		{"prod", "InferenceService", "scorer", []any{"spec", "transformer", "containers", 0, "env"}, "FEATURE_STORE_API_KEY", keyRef("secretKeyRef", "features", "api-key")},
		{"prod", "InferenceService", "scorer", []any{"spec", "explainer", "containers", 0, "env"}, "EXPLAIN_MODE", keyRef("configMapKeyRef", "explainer", "mode")},
		{"prod", "InferenceService", "custom", []any{"spec", "predictor", "containers", 0, "env"}, "DB_PASSWORD", keyRef("secretKeyRef", "db", "password")},
		{"prod", "ServingRuntime", "fast", []any{"spec", "containers", 0, "env"}, "LICENSE_TOKEN", keyRef("secretKeyRef", "license", "token")},
		{"prod", "TrainJob", "resnet", []any{"spec", "trainer", "env"}, "WANDB_API_KEY", keyRef("secretKeyRef", "wandb", "api-key")},
		{"ops", "PyTorchJob", "resnet", []any{"spec", "pytorchReplicaSpecs", "Master", "template", "spec", "containers", 0, "env"}, "WANDB_API_KEY", keyRef("secretKeyRef", "wandb", "api-key")},
		{"prod", "Experiment", "hpo", []any{"spec", "trialTemplate", "trialSpec", "spec", "trainer", "env"}, "HF_TOKEN", keyRef("secretKeyRef", "hf", "token")},
		{"ops", "Experiment", "hpo", []any{"spec", "trialTemplate", "trialSpec", "spec", "pytorchReplicaSpecs", "Master", "template", "spec", "containers", 0, "env"}, "HF_TOKEN", keyRef("secretKeyRef", "hf", "token")},
	} {
		t.Run(tc.kind+"/"+tc.name+"/"+tc.cluster+"/"+tc.variable, func(t *testing.T) {
			obj := clusterObject(t, res, tc.cluster, tc.kind, tc.name)
			got := envVarOf(t, at(t, tree(t, obj), tc.env...), tc.variable)
			tc.want["name"] = tc.variable
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}

	// A pipeline step's references are KFP's Kubernetes settings of its executor.
	executors := at(t, tree(t, pipelineVersion(t, res)), "spec", "platformSpec", "platforms", "kubernetes", "deploymentSpec", "executors")
	for _, tc := range []struct {
		executor, field string
		want            map[string]any
	}{
		{"exec-prep", "secretAsEnv", map[string]any{"secretName": "db", "keyToEnv": []any{map[string]any{"secretKey": "password", "envVar": "DB_PASSWORD"}}}},
		{"exec-push", "secretAsEnv", map[string]any{"secretName": "registry", "keyToEnv": []any{map[string]any{"secretKey": "token", "envVar": "REGISTRY_TOKEN"}}}},
		{"exec-push", "configMapAsEnv", map[string]any{"configMapName": "registry", "keyToEnv": []any{map[string]any{"configMapKey": "url", "envVar": "REGISTRY_URL"}}}},
	} {
		got, _ := at(t, executors, tc.executor, tc.field, 0).(map[string]any)
		for k, v := range tc.want {
			if !reflect.DeepEqual(got[k], v) {
				t.Errorf("%s %s: %s is %v, want %v", tc.executor, tc.field, k, got[k], v)
			}
		}
	}
}

// pipelineVersion returns the one PipelineVersion compiled for cluster prod.
func pipelineVersion(t *testing.T, res *compiler.Result) manifest.Object {
	t.Helper()
	for _, c := range res.Clusters {
		for _, tn := range c.Tenants {
			for _, o := range tn.Workloads {
				if c.Name == "prod" && o.Kind() == "PipelineVersion" {
					return o
				}
			}
		}
	}
	t.Fatal("no PipelineVersion compiled")
	return manifest.Object{}
}

// Credentials for the corpus, built here so that no scanner takes the tests for a leak.
var (
	fakeGitHubToken = "ghp_" + strings.Repeat("aB3", 12)
	fakeAWSKeyID    = "AKIA" + strings.Repeat("Q", 16)
	fakeJWT         = "eyJ" + strings.Repeat("h", 12) + ".eyJ" + strings.Repeat("p", 12) + "." + strings.Repeat("s", 12)
	fakePEM         = "-----BEGIN RSA PRIVATE KEY-----\\nMIIEow"
)

// secretCase changes old into new in one file of secretRepo: the diagnostic must be at
// the first place needle is in the changed file, on path, and contain message. No
// message may show secret. A credential case compiles, with a warning at the same place,
// when the platform's policy lowers literal credentials to warnings.
type secretCase struct {
	name, file, old, new, needle, path, message, secret string
	credential                                          bool
}

var secretBases = map[string]string{
	"platform.cue": secPlatform, secNb: secNotebooks, secSv: secServing, secTr: secTraining, secPl: secPipelines,
}

func secretCases() []secretCase {
	return []secretCase{
		// Variables named like credentials, in every kind of declaration.
		{name: "notebook", file: secNb, old: `HF_TOKEN: secret: {name: "hf", key: "token"}`, new: `HF_TOKEN: "hf_abc123"`, needle: `"hf_abc123"`,
			path: "notebooks.dev.env.HF_TOKEN", message: `HF_TOKEN looks like a credential, and its value would be in the repository and in the rendered manifests: keep it in a Secret and write HF_TOKEN: secret: {name: "...", key: "..."}`, secret: "hf_abc123", credential: true},
		{name: "PodDefault", file: secNb, old: `MLFLOW_TRACKING_PASSWORD: secret: {name: "mlflow", key: "password"}`, new: `MLFLOW_TRACKING_PASSWORD: "hunter2"`, needle: `"hunter2"`,
			path: "podDefaults.creds.env.MLFLOW_TRACKING_PASSWORD", message: "MLFLOW_TRACKING_PASSWORD looks like a credential", secret: "hunter2", credential: true},
		{name: "served model", file: secSv, old: `AWS_SECRET_ACCESS_KEY: secret: {name: "s3", key: "secret-key"}`, new: `AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI"`, needle: `"wJalrXUtnFEMI"`,
			path: "servingEndpoints.scorer.model.env.AWS_SECRET_ACCESS_KEY", message: "AWS_SECRET_ACCESS_KEY looks like a credential", secret: "wJalrXUtnFEMI", credential: true},
		{name: "transformer", file: secSv, old: `FEATURE_STORE_API_KEY: secret: {name: "features", key: "api-key"}`, new: `FEATURE_STORE_API_KEY: "k-123"`, needle: `"k-123"`,
			path: "servingEndpoints.scorer.transformer.env.FEATURE_STORE_API_KEY", message: "FEATURE_STORE_API_KEY looks like a credential", secret: "k-123", credential: true},
		{name: "explainer, a token by its shape", file: secSv, old: `EXPLAIN_MODE: configMap: {name: "explainer", key: "mode"}`, new: `EXPLAIN_MODE: "` + fakeGitHubToken + `"`, needle: `"ghp_`,
			path: "servingEndpoints.scorer.explainer.env.EXPLAIN_MODE", message: "holds what looks like a GitHub token, which would be in the repository", secret: fakeGitHubToken, credential: true},
		{name: "custom predictor", file: secSv, old: `DB_PASSWORD: secret: {name: "db", key: "password"}`, new: `DB_PASSWORD: "hunter2"`, needle: `"hunter2"`,
			path: "servingEndpoints.custom.container.env.DB_PASSWORD", message: "DB_PASSWORD looks like a credential", secret: "hunter2", credential: true},
		{name: "serving runtime", file: secSv, old: `LICENSE_TOKEN: secret: {name: "license", key: "token"}`, new: `LICENSE_TOKEN: "lic-42"`, needle: `"lic-42"`,
			path: "servingRuntimes.fast.env.LICENSE_TOKEN", message: "LICENSE_TOKEN looks like a credential", secret: "lic-42", credential: true},
		{name: "training job", file: secTr, old: `WANDB_API_KEY: secret: {name: "wandb", key: "api-key"}`, new: `WANDB_API_KEY: "0123abcd"`, needle: `"0123abcd"`,
			path: "trainingJobs.resnet.env.WANDB_API_KEY", message: "WANDB_API_KEY looks like a credential", secret: "0123abcd", credential: true},
		{name: "experiment trial", file: secTr, old: `env: HF_TOKEN: secret: {name: "hf", key: "token"}`, new: `env: HF_TOKEN: "hf_xyz"`, needle: `"hf_xyz"`,
			path: "experiments.hpo.trial.env.HF_TOKEN", message: "HF_TOKEN looks like a credential", secret: "hf_xyz", credential: true},
		{name: "pipeline step", file: secPl, old: `DB_PASSWORD: secret: {name: "db", key: "password"}`, new: `DB_PASSWORD: "hunter2"`, needle: `"hunter2"`,
			path: "pipelines.nightly.tasks.prep.env.DB_PASSWORD", message: "DB_PASSWORD looks like a credential", secret: "hunter2", credential: true},
		{name: "pipeline step in a group", file: secPl, old: `REGISTRY_TOKEN: secret: {name: "registry", key: "token"}`, new: `REGISTRY_TOKEN: "tok-1"`, needle: `"tok-1"`,
			path: "pipelines.nightly.tasks.publish.tasks.push.env.REGISTRY_TOKEN", message: "REGISTRY_TOKEN looks like a credential", secret: "tok-1", credential: true},

		// Credentials in URIs, wherever a URI is.
		{name: "storageUri with a password", file: secSv, old: `storageUri: "s3://models/scorer/v1"`, new: `storageUri: "https://svc:hunter2@models.example.com/scorer"`, needle: `"https://svc`,
			path: "servingEndpoints.scorer.model.storageUri", message: "the user info of https://svc:***@... holds a credential, which would be in the repository and in the rendered manifests: remove it from the URI, and give KServe the credentials through the endpoint's serviceAccount", secret: "hunter2", credential: true},
		{name: "canary storageUri with a token", file: secSv, old: `replicas: {min: 1, max: 1}
	logging`, new: `replicas: {min: 1, max: 1}
	canary: {storageUri: "https://` + fakeGitHubToken + `@models.example.com/scorer/v2", traffic: 10}
	logging`, needle: `"https://ghp`,
			path: "servingEndpoints.scorer.canary.storageUri", message: "holds what looks like a GitHub token", secret: fakeGitHubToken, credential: true},
		{name: "canary storageUri with a token-only user info", file: secSv, old: `replicas: {min: 1, max: 1}
	logging`, new: `replicas: {min: 1, max: 1}
	canary: {storageUri: "https://Zm9vYmFyYmF6cXV4@models.example.com/scorer/v2", traffic: 10}
	logging`, needle: `"https://Zm9v`,
			path: "servingEndpoints.scorer.canary.storageUri", message: "the user info of https://***@... holds a credential", secret: "Zm9vYmFyYmF6cXV4", credential: true},
		{name: "logging URL", file: secSv, old: `url: "http://sink.team-a.svc.cluster.local"`, new: `url: "http://sink:s3cret@sink.team-a.svc.cluster.local"`, needle: `"http://sink:`,
			path: "servingEndpoints.scorer.logging.url", message: "the user info of http://sink:***@... holds a credential", secret: "s3cret", credential: true},
		{name: "a URI in a job's arguments", file: secTr, old: `image:     "ghcr.io/acme/train:1"
	env: {`, new: `image:     "ghcr.io/acme/train:1"
	args: ["--out=s3://admin:pa55@minio.local/out"]
	env: {`, needle: `"--out`,
			path: "trainingJobs.resnet.args[0]", message: "the user info of s3://admin:***@... holds a credential", secret: "pa55", credential: true},
		{name: "a pipeline parameter's default URI", file: secPl, old: `default: "s3://data/incoming"`, new: `default: "https://etl:pw0rd@data.example.com/in"`, needle: `"https://etl`,
			path: "pipelines.nightly.parameters.source.default", message: "the user info of https://etl:***@... holds a credential", secret: "pw0rd", credential: true},
		{name: "a schedule's parameter URI", file: secPl, old: `parameters: source: "s3://data/nightly"`, new: `parameters: source: "https://etl:pw0rd@data.example.com/nightly"`, needle: `"https://etl`,
			path: "pipelines.nightly.schedule.parameters.source", message: "the user info of https://etl:***@... holds a credential", secret: "pw0rd", credential: true},
		{name: "the platform's KFP endpoint", file: "platform.cue", old: `policy: allowedRegistries`, new: `defaults: pipelines: apiEndpoint: "http://kfp:s3cret@ml-pipeline.kubeflow:8888"
policy: allowedRegistries`, needle: `"http://kfp`,
			path: "defaults.pipelines.apiEndpoint", message: "the user info of http://kfp:***@... holds a credential", secret: "s3cret", credential: true},

		// Pipeline values named like credentials.
		{name: "a pipeline parameter's default", file: secPl, old: `parameters: source: {type: "string", default: "s3://data/incoming"}`, new: `parameters: source: {type: "string", default: "s3://data/incoming"}
	parameters: api_token: {type: "string", default: "t0k"}`, needle: `"t0k"`,
			path: "pipelines.nightly.parameters.api_token.default", message: "parameter api_token looks like a credential, and its default would be in the repository, the pipeline spec and every run's record: give it no default", secret: "t0k", credential: true},
		{name: "a schedule's parameter", file: secPl, old: `schedule: {cron: "0 2 * * *", parameters: source: "s3://data/nightly"}`, new: `parameters: dbPassword: type: "string"
	schedule: {cron: "0 2 * * *", parameters: {source: "s3://data/nightly", dbPassword: "hunter2"}}`, needle: `"hunter2"`,
			path: "pipelines.nightly.schedule.parameters.dbPassword", message: "parameter dbPassword looks like a credential, and this value would be in the repository, the schedule's CronJob and every run's record", secret: "hunter2", credential: true},
		{name: "a step's constant input", file: secPl, old: `inputs: source: parameter: "source"`, new: `inputs: source: parameter: "source"
			inputs: api_key: value: "k3y"`, needle: `"k3y"`,
			path: "pipelines.nightly.tasks.prep.inputs.api_key.value", message: "input api_key looks like a credential, and this constant would be in the repository and the pipeline spec", secret: "k3y", credential: true},

		// Tokens by their shape, in any string.
		{name: "an AWS key ID in an annotation", file: secNb, old: `podDefaults: ["creds"]`, new: `podDefaults: ["creds"]
	annotations: note: "key ` + fakeAWSKeyID + `"`, needle: `"key AKIA`,
			path: "notebooks.dev.annotations.note", message: "holds what looks like an AWS access key ID", secret: fakeAWSKeyID, credential: true},
		{name: "a private key", file: secNb, old: `HF_HOME:  "/home/jovyan/.cache"`, new: `HF_HOME:  "/home/jovyan/.cache"
		TLS_KEY: "` + fakePEM + `"`, needle: `"-----BEGIN`,
			path: "notebooks.dev.env.TLS_KEY", message: "holds what looks like a private key", secret: "MIIEow", credential: true},
		{name: "a JSON Web Token in a runtime's arguments", file: secSv, old: `image: "ghcr.io/acme/runtime:1"`, new: `image: "ghcr.io/acme/runtime:1"
	args: ["--auth=Bearer ` + fakeJWT + `"]`, needle: `"--auth`,
			path: "servingRuntimes.fast.args[0]", message: "holds what looks like a JSON Web Token", secret: fakeJWT, credential: true},

		// References Kubernetes would refuse.
		{name: "a Secret key with a space (training)", file: secTr, old: `{name: "wandb", key: "api-key"}`, new: `{name: "wandb", key: "api key!"}`, needle: `"api key!"`,
			path: "trainingJobs.resnet.env.WANDB_API_KEY.secret.key", message: `"api key!" is not a valid Secret key: a valid config key must consist of alphanumeric characters, '-', '_' or '.'`},
		{name: "a Secret key with a space (pipeline)", file: secPl, old: `{name: "db", key: "password"}`, new: `{name: "db", key: "api key!"}`, needle: `"api key!"`,
			path: "pipelines.nightly.tasks.prep.env.DB_PASSWORD.secret.key", message: `"api key!" is not a valid Secret key`},
		{name: "a ConfigMap key with a slash", file: secNb, old: `key: "region"`, new: `key: "site/region"`, needle: `"site/region"`,
			path: "notebooks.dev.env.REGION.configMap.key", message: `"site/region" is not a valid ConfigMap key`},
		{name: "a Secret key too long", file: secSv, old: `{name: "license", key: "token"}`, new: `{name: "license", key: "` + strings.Repeat("k", 254) + `"}`, needle: `"kkk`,
			path: "servingRuntimes.fast.env.LICENSE_TOKEN.secret.key", message: "must be no more than 253 characters"},
		{name: "a Secret name that is not a DNS subdomain", file: secSv, old: `{name: "db", key: "password"}`, new: `{name: "DB_Creds", key: "password"}`, needle: `"DB_Creds"`,
			path: "servingEndpoints.custom.container.env.DB_PASSWORD.secret.name", message: `"DB_Creds" is not a valid Secret name: a lowercase RFC 1123 subdomain`},
		{name: "a ConfigMap name that is not a DNS subdomain", file: secNb, old: `configMap: {name: "mlflow",`, new: `configMap: {name: "-mlflow",`, needle: `"-mlflow"`,
			path: "podDefaults.creds.env.MLFLOW_TRACKING_URI.configMap.name", message: `"-mlflow" is not a valid ConfigMap name`},
		{name: "both a Secret and a ConfigMap", file: secTr, old: `env: HF_TOKEN: secret: {name: "hf", key: "token"}`, new: `env: HF_TOKEN: {secret: {name: "hf", key: "token"}, configMap: {name: "hf", key: "token"}}`, needle: `HF_TOKEN: {secret`,
			path: "experiments.hpo.trial.env.HF_TOKEN", message: "set secret or configMap, not both"},
		{name: "no source", file: secNb, old: `HF_TOKEN: secret: {name: "hf", key: "token"}`, new: `HF_TOKEN: {}`, needle: `HF_TOKEN: {}`,
			path: "notebooks.dev.env.HF_TOKEN", message: "set the value's source: secret: {name, key} or configMap: {name, key}"},
		{name: "a variable name Kubernetes refuses", file: secNb, old: `MLFLOW_TRACKING_URI: configMap`, new: `"1MLFLOW": configMap`, needle: `"1MLFLOW"`,
			path: `podDefaults.creds.env."1MLFLOW"`, message: `"1MLFLOW" is not a valid environment variable name`},
	}
}

// content is the changed file.
func (tc secretCase) content(t *testing.T) string {
	t.Helper()
	return with(t, secretBases[tc.file], tc.old, tc.new)
}

// posOf is where needle first is in a file's content, as file:line:col.
func posOf(t *testing.T, file, content, needle string) string {
	t.Helper()
	i := strings.Index(content, needle)
	if i < 0 {
		t.Fatalf("%q is not in %s", needle, file)
	}
	line := strings.Count(content[:i], "\n") + 1
	col := i - strings.LastIndex(content[:i], "\n")
	return fmt.Sprintf("%s:%d:%d", file, line, col)
}

// TestSecretsCorpus: every way a credential can be written into the repository, and every
// reference Kubernetes would refuse, is an error at its line, naming the field and saying
// what to write instead; nothing compiles, and no message shows the credential.
func TestSecretsCorpus(t *testing.T) {
	cases := secretCases()
	if len(cases) < 30 {
		t.Fatalf("the corpus must keep at least 30 cases, has %d", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			content := tc.content(t)
			res := compileRepo(t, secretRepo(t, map[string]string{tc.file: content}))
			if !res.Diagnostics.HasErrors() || len(res.Clusters) != 0 {
				t.Fatalf("want an error and nothing compiled; got:\n%s", res.Diagnostics.Error())
			}
			wantAt(t, res.Diagnostics, diag.Error, posOf(t, tc.file, content, tc.needle), tc.path, tc.message)
			noSecret(t, res.Diagnostics, tc.secret)
		})
	}
}

// TestLiteralCredentialsAsWarnings: with policy.secrets.literalCredentials: "warning",
// each credential of the corpus compiles as written, with a warning at the same place
// that still hides it, while a reference Kubernetes would refuse stays an error.
func TestLiteralCredentialsAsWarnings(t *testing.T) {
	platform := secPlatform + "policy: secrets: literalCredentials: \"warning\"\n"
	for _, tc := range secretCases() {
		t.Run(tc.name, func(t *testing.T) {
			content := tc.content(t)
			files := map[string]string{"platform.cue": platform, tc.file: content}
			if tc.file == "platform.cue" {
				files[tc.file] = content + "policy: secrets: literalCredentials: \"warning\"\n"
			}
			res := compileRepo(t, secretRepo(t, files))
			pos := posOf(t, tc.file, files[tc.file], tc.needle)
			if !tc.credential {
				wantAt(t, res.Diagnostics, diag.Error, pos, tc.path, tc.message)
				return
			}
			if res.Diagnostics.HasErrors() || len(res.Clusters) == 0 {
				t.Fatalf("want it compiled; got:\n%s", res.Diagnostics.Error())
			}
			wantAt(t, res.Diagnostics, diag.Warning, pos, tc.path, tc.message+"")
			wantAt(t, res.Diagnostics, diag.Warning, pos, tc.path, "(policy.secrets.literalCredentials lets it through)")
			noSecret(t, res.Diagnostics, tc.secret)
		})
	}
	// What the platform allows is written as the user wrote it.
	res := compileRepo(t, secretRepo(t, map[string]string{
		"platform.cue": platform,
		secNb:          with(t, secNotebooks, `HF_TOKEN: secret: {name: "hf", key: "token"}`, `HF_TOKEN: "hf_abc123"`),
	}))
	env := at(t, tree(t, clusterObject(t, res, "prod", "Notebook", "dev")), "spec", "template", "spec", "containers", 0, "env")
	if got := envVarOf(t, env, "HF_TOKEN"); got["value"] != "hf_abc123" {
		t.Errorf("HF_TOKEN is %v, want the value as written", got)
	}
}

// TestNotCredentials: values that only look close to credentials compile without a word.
func TestNotCredentials(t *testing.T) {
	res := compileRepo(t, secretRepo(t, map[string]string{
		secNb: with(t, secNotebooks, `HF_HOME:  "/home/jovyan/.cache"`, `HF_HOME:  "/home/jovyan/.cache"
		TOKENIZERS_PARALLELISM: "false"
		MAX_NEW_TOKENS: "512"
		PASSWORD_FILE: "/var/run/secrets/db/password"
		SECRET_NAME: "db"
		GOOGLE_APPLICATION_CREDENTIALS: "/var/secrets/gcp/key.json"
		DB_PASSWORD: "$(MLFLOW_TRACKING_PASSWORD)"
		API_TOKEN: ""
		DISABLE_TOKEN: "true"
		REPO: "ssh://git@github.com/acme/models.git"
		IMAGE: "ghcr.io/acme/server@sha256:`+strings.Repeat("0a", 32)+`"`),
		secTr: with(t, secTraining, `args: ["--lr=${trialParameters.lr}"]`, `args: ["--lr=${trialParameters.lr}"]
		env: SWEEP_TOKEN: "${trialParameters.lr}"`),
	}))
	if len(res.Diagnostics) > 0 {
		t.Fatal(res.Diagnostics.Error())
	}
}

// wantAt fails unless a diagnostic of the severity is at pos, on path, containing message.
func wantAt(t *testing.T, l diag.List, sev diag.Severity, pos, path, message string) {
	t.Helper()
	for _, d := range l {
		if d.Severity == sev && d.Pos.String() == pos && d.Path == path && strings.Contains(d.Message, message) {
			return
		}
	}
	t.Errorf("want a %s at %s, path %s, containing %q; got:\n%s", sev, pos, path, message, l.Error())
}

// noSecret fails if a message shows the secret.
func noSecret(t *testing.T, l diag.List, secret string) {
	t.Helper()
	if secret != "" && strings.Contains(l.Error(), secret) {
		t.Errorf("a message shows %q:\n%s", secret, l.Error())
	}
}

// TestRedactedMessagesAndNotes: a credential in a URI is never shown, whatever prints
// it: the note on an endpoint's traffic, where the policy lets it compile, and a CUE
// error that quotes the value.
func TestRedactedMessagesAndNotes(t *testing.T) {
	res := compileRepo(t, secretRepo(t, map[string]string{
		"platform.cue": secPlatform + "policy: secrets: literalCredentials: \"warning\"\n",
		secSv: with(t, secServing, `storageUri: "s3://models/scorer/v1"`, `storageUri: "https://svc:hunter2@models.example.com/scorer/v1"`) +
			`servingEndpoints: scorer: canary: {storageUri: "https://tok3nOnlyUserInfo@models.example.com/scorer/v2", traffic: 10}` + "\n",
	}))
	if res.Diagnostics.HasErrors() {
		t.Fatal(res.Diagnostics.Error())
	}
	var notes []string
	for _, c := range res.Clusters {
		for _, tn := range c.Tenants {
			notes = append(notes, tn.Notes...)
		}
	}
	all := strings.Join(notes, "\n")
	want := "team-a/scorer: canary: 10% of requests to https://***@models.example.com/scorer/v2, 90% stay on the revision serving now (https://svc:***@models.example.com/scorer/v1)"
	if !strings.Contains(all, want) {
		t.Errorf("want the note %q; got:\n%s", want, all)
	}
	for _, secret := range []string{"hunter2", "tok3nOnlyUserInfo"} {
		if strings.Contains(all, secret) {
			t.Errorf("a note shows %q:\n%s", secret, all)
		}
	}
	noSecret(t, res.Diagnostics, "hunter2")

	// CUE quotes the value it refuses.
	res = compileRepo(t, secretRepo(t, map[string]string{
		secSv: with(t, secServing, `url: "http://sink.team-a.svc.cluster.local"`, `url: "http://sink:hunter2@sink.team-a.svc.cluster.local" & "http://sink.team-a.svc"`),
	}))
	wantAt(t, res.Diagnostics, diag.Error, posOf(t, secSv, with(t, secServing, `url: "http://sink.team-a.svc.cluster.local"`, `url: "http://sink:hunter2@sink.team-a.svc.cluster.local" & "http://sink.team-a.svc"`), `"http://sink:`),
		"servingEndpoints.scorer.logging.url", "http://sink:***@sink.team-a.svc.cluster.local")
	noSecret(t, res.Diagnostics, "hunter2")
}
