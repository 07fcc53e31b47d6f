package compiler_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
)

// baseRepo is a small valid repository; each bad-input case changes some of its files.
var baseRepo = map[string]string{
	"cue.mod/module.cue": "module: \"example.com/p@v0\"\nlanguage: version: \"v0.17.0\"\n",
	"platform.cue": `package ml

clusters: prod: {}
defaults: gpuTypes: a100: vendor: "nvidia"
defaults: gpuType: "a100"
policy: allowedRegistries: ["ghcr.io/kubeflow/", "ghcr.io/acme/"]
policy: limits: notebook: gpu: 2
`,
	"tenants/team-a/tenant.cue": `package ml

tenant: {
	owner: "alice@example.com"
	quota: {cpu: 8, memory: "32Gi", gpu: 2}
}
`,
	"tenants/team-a/notebooks.cue": `package ml

notebooks: dev: {
	image: "jupyter-scipy"
	resources: {cpu: 2, memory: "4Gi"}
}
`,
}

// writeRepo writes the base repository with changes applied (an empty value deletes a
// file) into a temporary directory.
func writeRepo(t testing.TB, changes map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files := maps.Clone(baseRepo)
	for k, v := range changes {
		if v == "" {
			delete(files, k)
		} else {
			files[k] = v
		}
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	nb = "tenants/team-a/notebooks.cue"
	sv = "tenants/team-a/serving.cue"
)

// TestBadInput is the corpus of mistakes users make: each must be reported at the right
// file, line and column, with a message that says what is wrong, and nothing rendered.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name    string
		changes map[string]string
		pos     string // file:line:col of the diagnostic
		path    string // field path
		message string // part of the message
	}{
		{
			name:    "syntax error",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n"},
			pos:     nb + ":4:25",
			message: "expected '}', found 'EOF'",
		},
		{
			name:    "unknown field",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tcpus: 2\n}\n"},
			pos:     nb + ":5:2",
			path:    "notebooks.dev.cpus",
			message: "field not allowed",
		},
		{
			name:    "wrong type",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tshm: \"yes\"\n}\n"},
			pos:     nb + ":5:7",
			path:    "notebooks.dev.shm",
			message: `"yes" is not allowed here; want bool`,
		},
		{
			name:    "negative quota",
			changes: map[string]string{"tenants/team-a/tenant.cue": "package ml\n\ntenant: {\n\towner: \"alice@example.com\"\n\tquota: cpu: -4\n}\n"},
			pos:     "tenants/team-a/tenant.cue:5:14",
			path:    "tenant.quota.cpu",
			message: "must be more than zero (got -4)",
		},
		{
			name:    "zero quota",
			changes: map[string]string{"tenants/team-a/tenant.cue": "package ml\n\ntenant: {\n\towner: \"alice@example.com\"\n\tquota: {cpu: 8, gpu: 0}\n}\n"},
			pos:     "tenants/team-a/tenant.cue:5:23",
			path:    "tenant.quota.gpu",
			message: "must be more than zero (got 0)",
		},
		{
			name:    "zero memory quota",
			changes: map[string]string{"tenants/team-a/tenant.cue": "package ml\n\ntenant: {\n\towner: \"alice@example.com\"\n\tquota: memory: \"0Gi\"\n}\n"},
			pos:     "tenants/team-a/tenant.cue:5:17",
			path:    "tenant.quota.memory",
			message: "must be more than zero (got 0Gi)",
		},
		{
			name:    "notebook over the tenant's quota",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tresources: {cpu: 16, memory: \"4Gi\"}\n}\n"},
			pos:     nb + ":5:19",
			path:    "notebooks.dev.resources.cpu",
			message: "this notebook alone requests 16 CPU, more than the tenant's whole quota of 8 (tenant.quota.cpu)",
		},
		{
			name: "notebooks together over the quota",
			changes: map[string]string{nb: `package ml

notebooks: a: {image: "jupyter-scipy", resources: {cpu: 4, memory: "4Gi"}}
notebooks: b: {image: "jupyter-scipy", resources: {cpu: 2, memory: "4Gi", gpu: 2}}
notebooks: c: {image: "jupyter-scipy", resources: {cpu: 3, memory: "4Gi"}}
`},
			pos:     tenantCue + ":5:15",
			path:    "tenant.quota.cpu",
			message: "cpu: 9 requested in all, more than the tenant's quota of 8 (tenant.quota.cpu): notebook a 4 (" + nb + ":3), notebook c 3 (" + nb + ":5), notebook b 2 (" + nb + ":4)",
		},
		{
			name:    "GPUs over the quota",
			changes: map[string]string{nb: "package ml\n\nnotebooks: a: {image: \"jupyter-scipy\", resources: gpu: 2}\nnotebooks: b: {image: \"jupyter-scipy\", resources: gpu: 1}\n"},
			pos:     tenantCue + ":5:39",
			path:    "tenant.quota.gpu",
			message: "gpu: 3 requested in all, more than the tenant's quota of 2 (tenant.quota.gpu): notebook a 2 (" + nb + ":3), notebook b 1 (" + nb + ":4)",
		},
		{
			name:    "image from a registry the policy does not allow",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: image: \"docker.io/library/python:3.12\"\n"},
			pos:     nb + ":3:24",
			path:    "notebooks.dev.image",
			message: `image "docker.io/library/python:3.12" is not from an allowed registry (policy.allowedRegistries: ghcr.io/kubeflow/, ghcr.io/acme/)`,
		},
		{
			name:    "registry prefix is not a path boundary",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: image: \"ghcr.io/acmecorp/nb:1\"\n"},
			pos:     nb + ":3:24",
			path:    "notebooks.dev.image",
			message: "not from an allowed registry",
		},
		{
			name:    "image reference that does not parse",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: image: \"ghcr.io/acme/Note Book:1\"\n"},
			pos:     nb + ":3:24",
			path:    "notebooks.dev.image",
			message: `"ghcr.io/acme/Note Book:1" is not a valid image reference`,
		},
		{
			name:    "image name not in the catalog",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: image: \"jupyter-julia\"\n"},
			pos:     nb + ":3:24",
			path:    "notebooks.dev.image",
			message: `"jupyter-julia" is neither in the platform's image catalog`,
		},
		{
			name:    "two notebooks with the same name after normalisation",
			changes: map[string]string{nb: "package ml\n\nnotebooks: alice_dev: image: \"jupyter-scipy\"\nnotebooks: \"alice-dev\": image: \"jupyter-scipy\"\n"},
			pos:     nb + ":3:12",
			path:    "notebooks.alice_dev",
			message: `"alice-dev" and "alice_dev" are both named "alice-dev" in Kubernetes`,
		},
		{
			name:    "a tenant directory declaring another tenant",
			changes: map[string]string{"tenants/team-a/tenant.cue": "package ml\n\ntenant: {\n\tname:  \"team-b\"\n\towner: \"alice@example.com\"\n}\n"},
			pos:     "tenants/team-a/tenant.cue:4:2",
			path:    "tenant.name",
			message: `tenants/team-a/ can only declare tenant "team-a", not "team-b"`,
		},
		{
			name:    "a tenant directory declaring platform settings",
			changes: map[string]string{nb: "package ml\n\nclusters: dev: {}\n"},
			pos:     nb + ":3:1",
			path:    "clusters",
			message: "a tenant directory may only declare tenant, notebooks, podDefaults, servingEndpoints, servingRuntimes, trainingJobs, experiments, pipelines, serviceAccounts, volumes, configMaps, secrets, queues, objects and patches",
		},
		{
			name:    "a name that is not DNS-1123",
			changes: map[string]string{nb: "package ml\n\nnotebooks: \"dev!\": image: \"jupyter-scipy\"\n"},
			pos:     nb + ":3:12",
			path:    `notebooks."dev!"`,
			message: `notebook name "dev!" is not a valid Kubernetes name`,
		},
		{
			name:    "a notebook name too long for the notebook controller",
			changes: map[string]string{nb: "package ml\n\nnotebooks: \"" + strings.Repeat("a", 53) + "\": image: \"jupyter-scipy\"\n"},
			pos:     nb + ":3:12",
			message: "is 53 characters long; at most 52 fit",
		},
		{
			name:    "a tenant directory that is not a DNS-1123 label",
			changes: map[string]string{"tenants/Team_B/tenant.cue": "package ml\n\ntenant: owner: \"bob@example.com\"\n"},
			pos:     "tenants/Team_B",
			path:    "tenant.name",
			message: `tenant (directory) name "Team_B" is not a valid Kubernetes name`,
		},
		{
			name:    "missing cue.mod",
			changes: map[string]string{"cue.mod/module.cue": ""},
			pos:     "cue.mod/module.cue",
			message: "no cue.mod/module.cue here",
		},
		{
			name:    "empty repository",
			changes: map[string]string{"platform.cue": "", "tenants/team-a/tenant.cue": "", nb: ""},
			pos:     "platform.cue",
			message: "no platform files",
		},
		{
			name:    "no clusters",
			changes: map[string]string{"platform.cue": "package ml\n\ndefaults: storageClass: \"fast\"\n"},
			pos:     "platform.cue",
			path:    "clusters",
			message: "no clusters declared",
		},
		{
			name:    "a cluster naming a tenant that does not exist",
			changes: map[string]string{"platform.cue": strings.Replace(baseRepo["platform.cue"], "clusters: prod: {}", "clusters: prod: tenants: [\"team-z\"]", 1)},
			pos:     "platform.cue:3:17",
			path:    "clusters.prod.tenants",
			message: `no tenant "team-z"`,
		},
		{
			name:    "a GPU type the platform does not have",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tresources: {gpu: 1, gpuType: \"h100\"}\n}\n"},
			pos:     nb + ":5:31",
			path:    "notebooks.dev.resources.gpuType",
			message: `no GPU type "h100" in the platform's defaults.gpuTypes (have a100)`,
		},
		{
			name:    "more GPUs than the policy allows",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tresources: gpu: 3\n}\n"},
			pos:     nb + ":5:18",
			path:    "notebooks.dev.resources.gpu",
			message: "3 GPUs is more than the platform allows a notebook (policy.limits.notebook.gpu: 2)",
		},
		{
			name:    "a PodDefault nobody declared",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tpodDefaults: [\"s3\"]\n}\n"},
			pos:     nb + ":5:16",
			path:    "notebooks.dev.podDefaults[0]",
			message: `no PodDefault "s3"`,
		},
		{
			name:    "a data volume both new and existing",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tdataVolumes: data: {mountPath: \"/data\", size: \"1Gi\", existingClaim: \"data\"}\n}\n"},
			pos:     nb + ":5:15",
			path:    "notebooks.dev.dataVolumes.data",
			message: "set either size (a new claim) or existingClaim, not both",
		},
		{
			name:    "a contributor that is not an email address",
			changes: map[string]string{"tenants/team-a/tenant.cue": "package ml\n\ntenant: {\n\towner: \"alice@example.com\"\n\tcontributors: bob: \"edit\"\n}\n"},
			pos:     "tenants/team-a/tenant.cue:5:21",
			path:    "tenant.contributors.bob",
			message: `contributor "bob" is not an email address`,
		},
		{
			name:    "a role Kubeflow does not have",
			changes: map[string]string{"tenants/team-a/tenant.cue": "package ml\n\ntenant: {\n\towner: \"alice@example.com\"\n\tcontributors: \"bob@example.com\": \"owner\"\n}\n"},
			pos:     "tenants/team-a/tenant.cue:5:35",
			path:    `tenant.contributors."bob@example.com"`,
			message: `"owner" is not allowed here; want one of "admin", "edit", "view"`,
		},
		{
			name:    "an owner that is not an email address",
			changes: map[string]string{"tenants/team-a/tenant.cue": "package ml\n\ntenant: owner: \"alice\"\n"},
			pos:     "tenants/team-a/tenant.cue:3:16",
			path:    "tenant.owner",
			message: `"alice" is not an email address`,
		},
		{
			name:    "a tenant without an owner",
			changes: map[string]string{"tenants/team-a/tenant.cue": "package ml\n\ntenant: quota: cpu: 4\n"},
			pos:     "tenants/team-a/tenant.cue:3:1",
			path:    "tenant.owner",
			message: "required, but not set",
		},
		{
			name:    "a tenant directory without a tenant",
			changes: map[string]string{"tenants/team-a/tenant.cue": ""},
			pos:     "tenants/team-a",
			path:    "tenant",
			message: "no tenant declared in tenants/team-a/",
		},
		{
			name:    "a file in another package",
			changes: map[string]string{nb: "package notebooks\n\nnotebooks: dev: image: \"jupyter-scipy\"\n"},
			pos:     nb + ":1:1",
			message: `package "notebooks", but platform.cue is in package "ml"`,
		},
		{
			name:    "a memory size that is not a quantity",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tresources: memory: \"16GB\"\n}\n"},
			pos:     nb + ":5:21",
			path:    "notebooks.dev.resources.memory",
			message: `"16GB" is not a Kubernetes quantity such as 500m, 4 or 16Gi`,
		},
		{
			name:    "an environment variable name Kubernetes refuses",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tenv: \"A=B\": \"x\"\n}\n"},
			pos:     nb + ":5:14",
			path:    `notebooks.dev.env."A=B"`,
			message: `"A=B" is not a valid environment variable name`,
		},
		{
			name:    "two volumes at one mount path",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tdataVolumes: home: {mountPath: \"/home/jovyan\", existingClaim: \"old-home\"}\n}\n"},
			pos:     nb + ":5:33",
			path:    "notebooks.dev.dataVolumes.home.mountPath",
			message: "/home/jovyan is already where workspace is mounted",
		},
		{
			name: "a catalog image from a registry the policy does not allow",
			changes: map[string]string{
				"platform.cue": baseRepo["platform.cue"] + "defaults: imageCatalog: py: \"docker.io/library/python:3.12\"\n",
				nb:             "package ml\n\nnotebooks: dev: image: \"py\"\n",
			},
			pos:     nb + ":3:24",
			path:    "notebooks.dev.image",
			message: `image "docker.io/library/python:3.12" is not from an allowed registry`,
		},
		{
			name:    "a label Kubernetes refuses",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tlabels: \"team\": \"data science\"\n}\n"},
			pos:     nb + ":5:18",
			path:    "notebooks.dev.labels.team",
			message: `"data science" is not a valid label value`,
		},
		{
			name:    "a label mlc sets itself",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tlabels: app: \"mine\"\n}\n"},
			pos:     nb + ":5:15",
			path:    "notebooks.dev.labels.app",
			message: "the app label is the notebook's name",
		},
		{
			name:    "a claim mounted twice",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tdataVolumes: old: {existingClaim: \"dev-workspace\", mountPath: \"/old\"}\n}\n"},
			pos:     nb + ":5:15",
			path:    "notebooks.dev.dataVolumes.old",
			message: "claim dev-workspace is already mounted as workspace",
		},
		{
			name:    "a cluster with a GPU type the platform does not have",
			changes: map[string]string{"platform.cue": strings.Replace(baseRepo["platform.cue"], "clusters: prod: {}", "clusters: prod: gpuTypes: [\"h100\"]", 1)},
			pos:     "platform.cue:3:28",
			path:    "clusters.prod.gpuTypes[0]",
			message: `no GPU type "h100" in defaults.gpuTypes (have a100)`,
		},
		{
			name:    "an unknown model format",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: model: {format: \"caffe\", storageUri: \"s3://b/m\"}\n"},
			pos:     sv + ":3:38",
			path:    "servingEndpoints.m.model.format",
			message: `"caffe" is not allowed here; want one of "huggingface", "lightgbm", "mlflow", "onnx", "paddle", "pmml", "pytorch", "sklearn", "tensorflow", "triton", "xgboost"`,
		},
		{
			name:    "a number for a model format",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: model: {format: 3, storageUri: \"s3://b/m\"}\n"},
			pos:     sv + ":3:38",
			path:    "servingEndpoints.m.model.format",
			message: `3 is not allowed here; want one of "huggingface", "lightgbm"`,
		},
		{
			name:    "a runtime that cannot serve the format",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: model: {format: \"sklearn\", storageUri: \"s3://b/m\", runtime: \"kserve-torchserve\"}\n"},
			pos:     sv + ":3:82",
			path:    "servingEndpoints.m.model.runtime",
			message: "runtime kserve-torchserve cannot serve sklearn models (it serves pytorch 1)",
		},
		{
			name:    "a runtime that does not speak the protocol",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: model: {format: \"tensorflow\", storageUri: \"s3://b/m\", runtime: \"kserve-tensorflow-serving\", protocol: \"v2\"}\n"},
			pos:     sv + ":3:124",
			path:    "servingEndpoints.m.model.protocol",
			message: "runtime kserve-tensorflow-serving does not speak protocol v2 (it speaks v1, grpc-v1)",
		},
		{
			name:    "a format no runtime serves over the protocol",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: model: {format: \"mlflow\", storageUri: \"s3://b/m\", protocol: \"v1\"}\n"},
			pos:     sv + ":3:82",
			path:    "servingEndpoints.m.model.protocol",
			message: "no serving runtime speaks protocol v1 for mlflow models; these serve the format: kserve-mlserver (v2)",
		},
		{
			name:    "canary traffic over 100",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: {\n\tmodel: {format: \"sklearn\", storageUri: \"s3://b/v1\"}\n\tcanary: {storageUri: \"s3://b/v2\", traffic: 120}\n}\n"},
			pos:     sv + ":5:45",
			path:    "servingEndpoints.m.canary.traffic",
			message: "must be 100 or less (got 120)",
		},
		{
			name:    "a canary in raw mode",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: {\n\tmode: \"raw\"\n\tmodel: {format: \"sklearn\", storageUri: \"s3://b/v1\"}\n\tcanary: {storageUri: \"s3://b/v2\", traffic: 10}\n}\n"},
			pos:     sv + ":6:2",
			path:    "servingEndpoints.m.canary",
			message: "a canary needs serverless mode",
		},
		{
			name:    "min replicas over max",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: {\n\tmodel: {format: \"sklearn\", storageUri: \"s3://b/m\"}\n\treplicas: {min: 3, max: 2}\n}\n"},
			pos:     sv + ":5:2",
			path:    "servingEndpoints.m.replicas",
			message: "min (3) is more than max (2)",
		},
		{
			name:    "scale to zero in raw mode",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: {\n\tmode: \"raw\"\n\tmodel: {format: \"sklearn\", storageUri: \"s3://b/m\"}\n\treplicas: {min: 0, max: 2}\n}\n"},
			pos:     sv + ":6:18",
			path:    "servingEndpoints.m.replicas.min",
			message: "scaling to zero needs serverless mode",
		},
		{
			name:    "a storage URI without a scheme",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: model: {format: \"sklearn\", storageUri: \"models/iris\"}\n"},
			pos:     sv + ":3:61",
			path:    "servingEndpoints.m.model.storageUri",
			message: `storage URI "models/iris" has no scheme`,
		},
		{
			name:    "a storage URI scheme KServe cannot read",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: model: {format: \"sklearn\", storageUri: \"ftp://host/iris\"}\n"},
			pos:     sv + ":3:61",
			path:    "servingEndpoints.m.model.storageUri",
			message: "KServe cannot read ftp:// storage",
		},
		{
			name:    "an endpoint's worst case over the quota",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: {\n\tmodel: {format: \"sklearn\", storageUri: \"s3://b/m\"}\n\tresources: {cpu: 2, memory: \"4Gi\"}\n\treplicas: max: 4\n}\n"},
			pos:     tenantCue + ":5:15",
			path:    "tenant.quota.cpu",
			message: "cpu: 10 requested in all, more than the tenant's quota of 8 (tenant.quota.cpu): endpoint m 8 = 4 replicas (replicas.max) x 2 (" + sv + ":6), notebook dev 2 (" + nb + ":5)",
		},
		{
			name: "an endpoint's replicas over the pod quota",
			changes: map[string]string{
				"tenants/team-a/tenant.cue": "package ml\n\ntenant: {\n\towner: \"alice@example.com\"\n\tquota: {cpu: 64, pods: 4}\n}\n",
				sv:                          "package ml\n\nservingEndpoints: m: {\n\tmodel: {format: \"sklearn\", storageUri: \"s3://b/m\"}\n\tresources: {cpu: 1, memory: \"1Gi\"}\n\treplicas: max: 4\n}\n",
			},
			pos:     tenantCue + ":5:25",
			path:    "tenant.quota.pods",
			message: "pods: 5 run at most in all, more than the tenant's quota of 4 (tenant.quota.pods): endpoint m 4 = 4 replicas (replicas.max) x 1 (" + sv + ":6), notebook dev 1 (" + nb + ":3)",
		},
		{
			name:    "an endpoint without a maximum in a tenant with a quota",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: model: {format: \"sklearn\", storageUri: \"s3://b/m\"}\n"},
			pos:     sv + ":3:19",
			path:    "servingEndpoints.m.replicas",
			message: "set replicas.max",
		},
		{
			name: "GPUs a cluster running the tenant does not have",
			changes: map[string]string{
				"platform.cue": strings.Replace(baseRepo["platform.cue"], "clusters: prod: {}", "clusters: prod: gpuTypes: []", 1),
				nb:             "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tresources: gpu: 1\n}\n",
			},
			pos:     nb + ":5:2",
			path:    "notebooks.dev.resources",
			message: "cluster prod, which runs this tenant, has no a100 GPUs",
		},
		{
			name:    "a default Trainer runtime for another framework",
			changes: map[string]string{"platform.cue": baseRepo["platform.cue"] + "defaults: training: defaultRuntimes: pytorch: \"jax-distributed\"\n"},
			pos:     "platform.cue:8:47",
			path:    "defaults.training.defaultRuntimes.pytorch",
			message: "runtime jax-distributed runs jax jobs, not pytorch",
		},
		{
			name:    "a framework the cluster's training backend lacks",
			changes: map[string]string{tr: with(t, resnet, `framework: "pytorch"`, `framework: "tensorflow"`)},
			pos:     tr + ":4:13",
			path:    "trainingJobs.resnet.framework",
			message: "cluster prod: Kubeflow Trainer has no runtime for tensorflow jobs",
		},
		{
			name:    "a training job with zero workers",
			changes: map[string]string{tr: with(t, resnet, "workers:   2", "workers:   0")},
			pos:     tr + ":6:13",
			path:    "trainingJobs.resnet.workers",
			message: "must be 1 or more (got 0)",
		},
		{
			name:    "a setting the cluster's training backend cannot express",
			changes: map[string]string{tr: with(t, resnet, "workers:   2", "workers:   2\n\trestartPolicy: \"Never\"")},
			pos:     tr + ":7:17",
			path:    "trainingJobs.resnet.restartPolicy",
			message: "cluster prod: Kubeflow Trainer takes restartPolicy from the runtime, not from a TrainJob",
		},
		{
			name:    "elastic training on Kubeflow Trainer",
			changes: map[string]string{tr: with(t, resnet, "workers:   2", "workers:   2\n\telastic: {minWorkers: 1, maxWorkers: 2}")},
			pos:     tr + ":7:2",
			path:    "trainingJobs.resnet.elastic",
			message: "Kubeflow Trainer has no elastic training",
		},
		{
			name:    "a training job's GPUs over the quota",
			changes: map[string]string{tr: with(t, resnet, "workers:   2", "workers:   3")},
			pos:     tr + ":6:13",
			path:    "trainingJobs.resnet.workers",
			message: "this training job (3 nodes) alone requests 3 GPUs (3 nodes x 1), more than the tenant's whole quota of 2 (tenant.quota.gpu)",
		},
		{
			name: "an elastic job's most workers over the quota",
			changes: map[string]string{
				"platform.cue": baseRepo["platform.cue"] + "defaults: training: backend: \"training-operator\"\n",
				tr:             with(t, resnet, "workers:   2", "workers:   1\n\telastic: {minWorkers: 1, maxWorkers: 3}"),
			},
			pos:     tr + ":6:13",
			path:    "trainingJobs.resnet.workers",
			message: "this training job (up to 3 nodes) alone requests 3 GPUs (3 nodes x 1), more than the tenant's whole quota of 2 (tenant.quota.gpu)",
		},
		{
			name: "training GPUs a cluster running the tenant does not have",
			changes: map[string]string{
				"platform.cue": strings.Replace(baseRepo["platform.cue"], "clusters: prod: {}", "clusters: prod: gpuTypes: []", 1),
				tr:             resnet,
			},
			pos:     tr + ":7:2",
			path:    "trainingJobs.resnet.resources",
			message: "cluster prod, which runs this tenant, has no a100 GPUs",
		},
		{
			name:    "suspend on a job Kueue admits",
			changes: map[string]string{tr: with(t, resnet, "workers:   2", "workers:   2\n\tqueue: \"gpu\"\n\tsuspend: true")},
			pos:     tr + ":8:11",
			path:    "trainingJobs.resnet.suspend",
			message: "Kueue suspends and resumes queued jobs itself",
		},
		{
			name:    "a trial parameter in a training job",
			changes: map[string]string{tr: with(t, resnet, "workers:   2", "workers:   2\n\targs: [\"--lr=${trialParameters.lr}\"]")},
			pos:     tr + ":7:9",
			path:    "trainingJobs.resnet.args[0]",
			message: "${trialParameters.lr} is a Katib trial parameter: only an experiment's trial can use one",
		},
		{
			name:    "a parameter with min not under max",
			changes: map[string]string{tr: with(t, hpo, "lr: {min: 0.01, max: 0.1}", "lr: {min: 0.1, max: 0.1}")},
			pos:     tr + ":10:14",
			path:    "experiments.hpo.parameters.lr",
			message: "min (0.1) must be less than max (0.1)",
		},
		{
			name:    "a parameter the trial does not use",
			changes: map[string]string{tr: with(t, hpo, "parameters: lr: {min: 0.01, max: 0.1}", "parameters: {\n\t\tlr: {min: 0.01, max: 0.1}\n\t\tmomentum: {min: 0.5, max: 0.9}\n\t}")},
			pos:     tr + ":12:3",
			path:    "experiments.hpo.parameters.momentum",
			message: "the trial does not use parameter momentum: write ${trialParameters.momentum} where the trial takes its value",
		},
		{
			name:    "a trial parameter the experiment does not declare",
			changes: map[string]string{tr: with(t, hpo, `args: ["--lr=${trialParameters.lr}"]`, `args: ["--lr=${trialParameters.lr}", "--momentum=${trialParameters.momentum}"]`)},
			pos:     tr + ":7:40",
			path:    "experiments.hpo.trial.args[1]",
			message: `${trialParameters.momentum} names no parameter of the experiment (have lr): declare "momentum" in parameters`,
		},
		{
			name:    "an algorithm setting the algorithm does not take",
			changes: map[string]string{tr: with(t, hpo, `algorithm: "random"`, "algorithm: \"random\"\n\talgorithmSettings: gamma: 0.5")},
			pos:     tr + ":13:28",
			path:    "experiments.hpo.algorithmSettings.gamma",
			message: "random takes random_state, not gamma",
		},
		{
			name:    "an algorithm setting its suggestion service refuses",
			changes: map[string]string{tr: with(t, hpo, `algorithm: "random"`, "algorithm: \"bayesianoptimization\"\n\talgorithmSettings: acq_func: \"UCB\"")},
			pos:     tr + ":13:31",
			path:    "experiments.hpo.algorithmSettings.acq_func",
			message: "must be one of gp_hedge, LCB, EI, PI, EIps, PIps (got UCB)",
		},
		{
			name:    "an algorithm Katib does not have",
			changes: map[string]string{tr: with(t, hpo, `algorithm: "random"`, `algorithm: "genetic"`)},
			pos:     tr + ":12:13",
			path:    "experiments.hpo.algorithm",
			message: `"genetic" is not allowed here; want one of`,
		},
		{
			name:    "grid search over a double without a step",
			changes: map[string]string{tr: with(t, hpo, `algorithm: "random"`, `algorithm: "grid"`)},
			pos:     tr + ":10:14",
			path:    "experiments.hpo.parameters.lr",
			message: "grid search needs a step for double parameters",
		},
		{
			name: "a grid smaller than maxTrials",
			changes: map[string]string{tr: with(t, with(t, with(t, hpo, `algorithm: "random"`, `algorithm: "grid"`),
				"lr: {min: 0.01, max: 0.1}", "lr: {min: 0.01, max: 0.1, step: 0.01}"), "maxTrials:      6", "maxTrials:      20")},
			pos:     tr + ":13:18",
			path:    "experiments.hpo.maxTrials",
			message: "the grid has 10 points, fewer than maxTrials (20)",
		},
		{
			name: "hyperband with fewer parallel trials than its first bracket",
			changes: map[string]string{tr: with(t, with(t, with(t, hpo,
				`args: ["--lr=${trialParameters.lr}"]`, `args: ["--lr=${trialParameters.lr}", "--epochs=${trialParameters.epochs}"]`),
				"parameters: lr: {min: 0.01, max: 0.1}", "parameters: {lr: {min: 0.01, max: 0.1}, epochs: {type: \"int\", min: 1, max: 9}}"),
				`algorithm: "random"`, "algorithm: \"hyperband\"\n\talgorithmSettings: {resource_name: \"epochs\", eta: 3, r_l: 9}")},
			pos:     tr + ":15:18",
			path:    "experiments.hpo.parallelTrials",
			message: "hyperband with eta 3 and r_l 9 runs 9 trials at once in its first bracket: set parallelTrials to 9 or more",
		},
		{
			name:    "more trials at once than in all",
			changes: map[string]string{tr: with(t, hpo, "parallelTrials: 2", "parallelTrials: 8")},
			pos:     tr + ":14:18",
			path:    "experiments.hpo.parallelTrials",
			message: "8 trials at once is more than maxTrials (6)",
		},
		{
			name:    "an experiment's parallel trials over the quota",
			changes: map[string]string{tr: with(t, with(t, hpo, "parallelTrials: 2", "parallelTrials: 7"), "maxTrials:      6", "maxTrials:      12")},
			pos:     tenantCue + ":5:15",
			path:    "tenant.quota.cpu",
			message: "cpu: 9 requested in all, more than the tenant's quota of 8 (tenant.quota.cpu): experiment hpo 7 = 7 trials at once x 1 (" + tr + ":",
		},
		{
			name:    "a metrics filter without a name and a value group",
			changes: map[string]string{tr: with(t, hpo, "maxTrials:      6", "maxTrials:      6\n\tmetricsCollector: {kind: \"StdOut\", filter: [\"loss=(.*)\"]}")},
			pos:     tr + ":14:46",
			path:    "experiments.hpo.metricsCollector.filter[0]",
			message: "needs two groups, the metric's name and its value",
		},
		{
			name:    "an experiment name too long for its trials' pod names",
			changes: map[string]string{tr: with(t, hpo, "experiments: hpo:", "experiments: "+strings.Repeat("a", 40)+":")},
			pos:     tr + ":3:14",
			path:    "experiments." + strings.Repeat("a", 40),
			message: "Katib names each trial's TrainJob <experiment>-<8 characters>, and Kubeflow Trainer derives pod names from that, so at most 39 fit (cluster prod)",
		},
		{
			name: "a trial kind the platform's Katib does not run",
			changes: map[string]string{
				"platform.cue": baseRepo["platform.cue"] + "defaults: training: backend: \"training-operator\"\n",
				tr:             with(t, hpo, `framework: "pytorch"`, `framework: "jax"`),
			},
			pos:     tr + ":5:14",
			path:    "experiments.hpo.trial.framework",
			message: "cluster prod: Katib is not configured to run JAXJob trials (defaults.katib.trialResources lacks JAXJob.v1.kubeflow.org)",
		},
		{
			name:    "a number too large for Kubernetes",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tresources: gpu: 99999999999999999999\n}\n"},
			pos:     nb + ":5:18",
			path:    "notebooks.dev.resources.gpu",
			message: "99999999999999999999 is too large: it must fit a int64",
		},
		{
			name:    "replicas beyond an int32",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: {\n\tmodel: {format: \"sklearn\", storageUri: \"s3://b/m\"}\n\treplicas: max: 9223372036854775807\n}\n"},
			pos:     sv + ":5:17",
			path:    "servingEndpoints.m.replicas.max",
			message: "must be 2147483647 or less (got 9223372036854775807)",
		},
	}
	cases = append(cases, refusedLaterCases(t)...)
	if len(cases) < 20 {
		t.Fatalf("the corpus must keep at least 20 cases, has %d", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeRepo(t, tc.changes)
			res, err := compiler.Compile(context.Background(), dir, compiler.Options{})
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if !res.Diagnostics.HasErrors() {
				t.Fatalf("no error reported")
			}
			if len(res.Clusters) != 0 {
				t.Errorf("objects were compiled despite the error")
			}
			for _, d := range res.Diagnostics {
				if d.Pos.String() == tc.pos && (tc.path == "" || d.Path == tc.path) && strings.Contains(d.Message, tc.message) {
					return
				}
			}
			t.Errorf("want a diagnostic at %s, path %q, containing %q; got:\n%s", tc.pos, tc.path, tc.message, res.Diagnostics.Error())
		})
	}
}

// TestTenantFilesMayUseDefinitions: a tenant's own definitions and hidden fields are not
// declarations of anything, so they are allowed; they help a file share settings.
func TestTenantFilesMayUseDefinitions(t *testing.T) {
	dir := writeRepo(t, map[string]string{nb: `package ml

#Small: {cpu: 1, memory: "2Gi"}
_image: "jupyter-scipy"

notebooks: a: {image: _image, resources: #Small}
notebooks: b: {image: _image, resources: #Small}
`})
	res, err := compiler.Compile(t.Context(), dir, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Diagnostics) > 0 {
		t.Fatal(res.Diagnostics.Error())
	}
	if n := len(res.Clusters[0].Tenants[0].Workloads); n != 4 {
		t.Errorf("%d objects, want 2 notebooks and their 2 workspace claims", n)
	}
}
