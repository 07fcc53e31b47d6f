package lower

import (
	_ "embed"
	"encoding/json"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// ScheduleScript starts a run of a pipeline version through KFP's REST API: a Python 3
// program that needs nothing but the standard library. Its environment names the
// pipeline, the version and the run parameters (MLC_NAMESPACE, MLC_PIPELINE,
// MLC_PIPELINE_VERSION, MLC_RUN_PARAMETERS, MLC_EXPERIMENT, MLC_RUN_SERVICE_ACCOUNT) and,
// when they are not the in-cluster ones, the endpoints: MLC_KUBERNETES_API,
// MLC_KUBERNETES_TOKEN_PATH, MLC_KUBERNETES_CA, KF_PIPELINES_ENDPOINT and
// KF_PIPELINES_SA_TOKEN_PATH.
//
//go:embed pipelineschedule.py
var ScheduleScript string

// Where and how a schedule's job reaches KFP.
const (
	// KFPTokenAudience is the audience KFP's API server reviews tokens for
	// (common.DefaultTokenReviewAudience in kubeflow/pipelines).
	KFPTokenAudience = "pipelines.kubeflow.org"
	// kfpTokenDir is where the access-ml-pipeline PodDefault mounts that token, and where
	// the KFP SDK looks for it (KF_PIPELINES_SA_TOKEN_PATH).
	kfpTokenDir = "/var/run/secrets/kubeflow/pipelines"
	// scheduleAccount is the profile's service account that may read the namespace's
	// pipelines and create runs in it (kubeflow-edit).
	scheduleAccount = "default-editor"
	// PipelineLabel names the pipeline an object belongs to, as KFP labels versions.
	PipelineLabel = "pipelines.kubeflow.org/pipeline"
)

// scheduleCronJob is a CronJob that starts a run of the pipeline version at each tick of
// the schedule. Its job runs as the namespace's default-editor with the token KFP's API
// server accepts (a projected service account token for KFPTokenAudience) mounted the
// way the access-ml-pipeline PodDefault mounts it, without depending on it.
func scheduleCronJob(p *model.Platform, ns, name, version, src string, labels map[string]string, s *model.PipelineSchedule) manifest.Object {
	params, _ := json.Marshal(s.Parameters) // sorted keys, compact values
	if s.Parameters == nil {
		params = []byte("{}")
	}
	env := []any{
		envVar("MLC_NAMESPACE", ns),
		envVar("MLC_PIPELINE", name),
		envVar("MLC_PIPELINE_VERSION", version),
		envVar("MLC_RUN_PARAMETERS", string(params)),
		envVar("MLC_EXPERIMENT", s.Experiment),
	}
	if s.ServiceAccount != "" {
		env = append(env, envVar("MLC_RUN_SERVICE_ACCOUNT", s.ServiceAccount))
	}
	env = append(env,
		envVar("KF_PIPELINES_ENDPOINT", p.Defaults.Pipelines.APIEndpoint),
		envVar(KFPTokenEnv, KFPTokenPath))
	podLabels := map[string]any{
		PipelineLabel: name,
		// The job ends when the script does: an Istio sidecar would keep it running.
		"sidecar.istio.io/inject": "false",
	}
	container := map[string]any{
		"name":    "start-run",
		"image":   p.Defaults.Pipelines.ScheduleImage,
		"command": []any{"python3", "-c", ScheduleScript},
		"env":     env,
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "50m", "memory": "64Mi"},
			"limits":   map[string]any{"cpu": "200m", "memory": "128Mi"},
		},
		"securityContext": map[string]any{
			"allowPrivilegeEscalation": false,
			"readOnlyRootFilesystem":   true,
			"capabilities":             map[string]any{"drop": []any{"ALL"}},
		},
		"volumeMounts": []any{map[string]any{"name": "kfp-token", "mountPath": kfpTokenDir, "readOnly": true}},
	}
	pod := map[string]any{
		"serviceAccountName":           scheduleAccount,
		"automountServiceAccountToken": true,
		"restartPolicy":                "Never",
		"securityContext": map[string]any{
			"runAsNonRoot": true, "runAsUser": 65534, "runAsGroup": 65534, "fsGroup": 65534,
			"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		},
		"containers": []any{container},
		"volumes": []any{map[string]any{
			"name": "kfp-token",
			"projected": map[string]any{"sources": []any{map[string]any{
				"serviceAccountToken": map[string]any{"path": "token", "audience": KFPTokenAudience, "expirationSeconds": 7200},
			}}},
		}},
	}
	meta := metadata(name, ns, labels, nil)
	metaLabels, _ := meta["labels"].(map[string]any)
	if metaLabels == nil {
		metaLabels = map[string]any{}
		meta["labels"] = metaLabels
	}
	metaLabels[PipelineLabel] = name
	return manifest.Object{Source: src + ".schedule", Content: map[string]any{
		"apiVersion": "batch/v1", "kind": "CronJob",
		"metadata": meta,
		"spec": map[string]any{
			"schedule":                   s.Cron,
			"timeZone":                   s.TimeZone,
			"suspend":                    !s.Enabled,
			"concurrencyPolicy":          "Forbid",
			"startingDeadlineSeconds":    300,
			"successfulJobsHistoryLimit": 3,
			"failedJobsHistoryLimit":     3,
			"jobTemplate": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{PipelineLabel: name}},
				"spec": map[string]any{
					"backoffLimit":          1,
					"activeDeadlineSeconds": 300,
					"template": map[string]any{
						"metadata": map[string]any{"labels": podLabels},
						"spec":     pod,
					},
				},
			},
		},
	}}
}

func envVar(name, value string) map[string]any {
	return map[string]any{"name": name, "value": value}
}
