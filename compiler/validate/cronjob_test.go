package validate

import (
	"strings"
	"testing"
)

func cronJob() map[string]any {
	return map[string]any{
		"apiVersion": "batch/v1", "kind": "CronJob",
		"metadata": map[string]any{"name": "nightly", "namespace": "vision"},
		"spec": map[string]any{
			"schedule": "0 2 * * *", "timeZone": "Europe/Paris", "concurrencyPolicy": "Forbid",
			"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
				"restartPolicy": "Never",
				"containers": []any{map[string]any{
					"name": "start-run", "image": "python:3", "command": []any{"python3", "-c", "pass"},
					"volumeMounts": []any{map[string]any{"name": "token", "mountPath": "/var/run/token"}},
				}},
				"volumes": []any{map[string]any{"name": "token", "projected": map[string]any{"sources": []any{
					map[string]any{"serviceAccountToken": map[string]any{"path": "token", "audience": "pipelines.kubeflow.org"}},
				}}}},
			}}}},
		},
	}
}

func TestCronJobAccepted(t *testing.T) {
	expect(t, New(), cronJob())
}

func TestCronJobRefused(t *testing.T) {
	jobSpec := func(o map[string]any) map[string]any {
		return o["spec"].(map[string]any)["jobTemplate"].(map[string]any)["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	}
	cases := []struct {
		name, path string
		mutate     func(map[string]any)
	}{
		{"a name too long for its jobs", "metadata.name", func(o map[string]any) {
			o["metadata"].(map[string]any)["name"] = strings.Repeat("a", 53)
		}},
		{"an unknown time zone", "spec.timeZone", func(o map[string]any) { o["spec"].(map[string]any)["timeZone"] = "Mars/Olympus" }},
		{"a pod that restarts always", "spec.jobTemplate.spec.template.spec.restartPolicy", func(o map[string]any) { jobSpec(o)["restartPolicy"] = "Always" }},
		{"a mount of no volume", "spec.jobTemplate.spec.template.spec.containers[0].volumeMounts[0].name", func(o map[string]any) { delete(jobSpec(o), "volumes") }},
		{"an unknown field", "spec.jobTemplate.spec.template.spec.containers[0].imagez", func(o map[string]any) {
			jobSpec(o)["containers"].([]any)[0].(map[string]any)["imagez"] = "x"
		}},
		{"a status", "status", func(o map[string]any) {
			o["status"] = map[string]any{"active": []any{}, "lastScheduleTime": "2026-01-01T00:00:00Z"}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := cronJob()
			tc.mutate(o)
			errs := New().Validate(o)
			if len(errs) != 1 || errs[0].Path != tc.path {
				t.Fatalf("got %v, want one error at %s", errs, tc.path)
			}
		})
	}
}
