package compiler_test

import (
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
)

// objectsRepo declares every form of the tenant objects, and a workload of every kind
// that names them, on a cluster of each training backend.
var objectsRepo = map[string]string{
	"platform.cue": platformWithIdentities + `
clusters: ops: training: backend: "training-operator"
policy: workloadIdentity: azure: ["11111111-2222-3333-4444-555555555555"]
defaults: pipelines: scheduleImage: "ghcr.io/acme/python:3.13"
`,
	objectsCue: `package ml

serviceAccounts: {
	"s3-reader": {
		aws: roleArn: "arn:aws:iam::123456789012:role/team-a-s3"
		imagePullSecrets: ["registry"]
		labels: team: "a"
	}
	"gcs-reader": gcp: serviceAccount: "team-a@ml-prod.iam.gserviceaccount.com"
	"blob-reader": azure: {clientId: "11111111-2222-3333-4444-555555555555", tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47"}
}

volumes: {
	"coco-2017": {size: "100Gi", accessMode: "ReadOnlyMany", dataSource: snapshot: "coco-v1"}
	models: {size: "20Gi", accessMode: "ReadWriteMany", storageClass: "nfs", keepOnDelete: false}
	"coco-copy": {size: "100Gi", dataSource: claim: "coco-2017", annotations: note: "copy"}
}

configMaps: settings: {
	data: {LOG_LEVEL: "info", "app.yaml": "batch: 32\n"}
	binaryData: "logo.png": "iVBORw0KGgo="
	immutable: true
}
`,
	nb: `package ml

notebooks: dev: {
	image: "jupyter-scipy"
	resources: {cpu: 2, memory: "4Gi"}
	serviceAccount: "blob-reader"
	dataVolumes: coco: {volume: "coco-2017", mountPath: "/data/coco", readOnly: true}
	env: LOG_LEVEL: configMap: {name: "settings", key: "LOG_LEVEL"}
}

podDefaults: blob: {serviceAccountName: "blob-reader"}

trainingJobs: train: {
	framework: "pytorch"
	image: "ghcr.io/acme/train:1"
	workers: 2
	resources: {cpu: 1, memory: "1Gi"}
	serviceAccount: "blob-reader"
	volumes: {
		coco: {volume: "coco-2017", mountPath: "/data/coco", readOnly: true}
		out: {volume: "models", mountPath: "/models"}
	}
}

servingEndpoints: detector: {
	model: {format: "pytorch", storageUri: "pvc://models/detector/v1"}
	resources: {cpu: 1, memory: "2Gi"}
	replicas: {min: 1, max: 2}
	serviceAccount: "gcs-reader"
}

pipelines: prep: {
	tasks: resize: {
		image: "ghcr.io/acme/prep:1"
		volumes: out: {volume: "models", mountPath: "/models"}
	}
	schedule: {cron: "0 3 * * *", serviceAccount: "blob-reader"}
}
`,
}

// TestTenantObjectsCompile compiles every form of service account, volume and ConfigMap
// and the workloads that use them for both training backends: everything passes the
// checks and the upstream schemas (compile validates every object), and the objects
// carry what was declared.
func TestTenantObjectsCompile(t *testing.T) {
	t.Parallel()
	res, err := compiler.Compile(t.Context(), writeRepo(t, objectsRepo), compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Diagnostics) > 0 {
		t.Fatalf("diagnostics:\n%s", res.Diagnostics.Error())
	}
	if len(res.Clusters) != 2 {
		t.Fatalf("compiled %d clusters, want 2", len(res.Clusters))
	}
	for _, c := range res.Clusters {
		yaml := map[string]string{}
		for _, tn := range c.Tenants {
			for _, o := range tn.Workloads {
				b, err := o.YAML()
				if err != nil {
					t.Fatal(err)
				}
				yaml[o.Kind()+"/"+o.Name()] = string(b)
			}
		}
		want := map[string][]string{
			"ServiceAccount/s3-reader":        {"eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/team-a-s3", "- name: registry", "team: a"},
			"ServiceAccount/gcs-reader":       {"iam.gke.io/gcp-service-account: team-a@ml-prod.iam.gserviceaccount.com"},
			"ServiceAccount/blob-reader":      {"azure.workload.identity/client-id: 11111111-2222-3333-4444-555555555555", "azure.workload.identity/tenant-id: 72f988bf-86f1-41af-91ab-2d7cd011db47"},
			"PersistentVolumeClaim/coco-2017": {"- ReadOnlyMany", "kind: VolumeSnapshot", "name: coco-v1", "storage: 100Gi", "kustomize.toolkit.fluxcd.io/prune: disabled"},
			"PersistentVolumeClaim/models":    {"- ReadWriteMany", "storageClassName: nfs"},
			"PersistentVolumeClaim/coco-copy": {"kind: PersistentVolumeClaim", "name: coco-2017", "note: copy", "kustomize.toolkit.fluxcd.io/prune: disabled"},
			"ConfigMap/settings":              {"LOG_LEVEL: info", "logo.png: iVBORw0KGgo=", "immutable: true"},
			"Notebook/dev":                    {"azure.workload.identity/use: \"true\"", "serviceAccountName: blob-reader", "claimName: coco-2017", "configMapKeyRef"},
			"PodDefault/blob":                 {"azure.workload.identity/use: \"true\"", "serviceAccountName: blob-reader"},
			"InferenceService/detector":       {"storageUri: pvc://models/detector/v1", "serviceAccountName: gcs-reader"},
			"PipelineVersion/prep-*":          {"pvcMount", "constant: models", "podMetadata:", "azure.workload.identity/use: \"true\""},
		}
		job := "TrainJob/train"
		if c.Name == "ops" {
			job = "PyTorchJob/train"
		}
		want[job] = []string{"azure.workload.identity/use: \"true\"", "serviceAccountName: blob-reader", "claimName: coco-2017", "claimName: models"}
		for id, parts := range want {
			got, ok := yaml[id]
			if prefix, series := strings.CutSuffix(id, "*"); series {
				for have, y := range yaml {
					if strings.HasPrefix(have, prefix) {
						got, ok = y, true
					}
				}
			}
			if !ok {
				t.Errorf("cluster %s: no %s", c.Name, id)
				continue
			}
			for _, p := range parts {
				if !strings.Contains(got, p) {
					t.Errorf("cluster %s: %s lacks %q:\n%s", c.Name, id, p, got)
				}
			}
		}
	}
}
