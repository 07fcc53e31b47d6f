package validate_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/validate"
)

// TestTypedDecodeSound checks decodeTyped against the strict JSON decoding it
// stands in for, on the built-in objects of a synthetic fleet, of the upstream
// examples and of the package tests, and on many broken variants of each:
// whenever decodeTyped decodes an object, the JSON decoding must find no error
// and give the same value. It also requires decodeTyped to decode every object
// mlc compiles, so that it stays useful.
func TestTypedDecodeSound(t *testing.T) {
	var mu sync.Mutex
	var typed, total int
	var unsound []string
	current := ""
	validate.SetVerifyTyped(func(kind string, ok bool, strict []error, err error, same bool) {
		mu.Lock()
		defer mu.Unlock()
		total++
		if !ok {
			return
		}
		typed++
		if (err != nil || len(strict) > 0 || !same) && len(unsound) < 20 {
			unsound = append(unsound, fmt.Sprintf("%s (%s): decoded, but the JSON decoding gives err %v, strict %v, same value %v", current, kind, err, strict, same))
		}
	})
	defer validate.SetVerifyTyped(nil)

	v := validate.New()
	fleet := fleetObjects(t)
	var objs []map[string]any
	builtIn := func(o map[string]any) bool {
		av, _ := o["apiVersion"].(string)
		return av == "v1" || av == "batch/v1" || av == "rbac.authorization.k8s.io/v1"
	}
	compiled := 0
	for _, o := range fleet {
		if builtIn(o) {
			objs = append(objs, o)
			compiled++
		}
	}
	for _, o := range validate.UpstreamObjects(t) {
		if builtIn(o) {
			objs = append(objs, o)
		}
	}
	for _, s := range coreSamples {
		var o map[string]any
		if err := json.Unmarshal([]byte(s), &o); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	for i, o := range objs {
		before := typed
		current = fmt.Sprintf("object %d %s %v", i, o["kind"], o["metadata"])
		if errs := v.Validate(o); errs == nil && i < compiled && typed == before {
			t.Errorf("%s: accepted, but not decoded from the map", current)
		}
		for j, m := range validate.Mutations(o) {
			current = fmt.Sprintf("object %d %s variant %d", i, o["kind"], j)
			v.Validate(m)
		}
	}
	for _, u := range unsound {
		t.Error(u)
	}
	if compiled == 0 {
		t.Error("the fleet has no built-in objects")
	}
	t.Logf("%d built-in objects (%d compiled), %d decodings, %d from the map", len(objs), compiled, total, typed)
}

// coreSamples are built-in objects with the fields mlc's do not have.
var coreSamples = []string{
	`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a.yaml": "x: 1"}, "binaryData": {"bin": "AAEC"}}`,
	`{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque", "data": {"k": "dmFsdWU="}, "stringData": {"p": "plain"}}`,
	`{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "n", "creationTimestamp": "2024-01-01T00:00:00Z"}, "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": 5}}}}`,
	`{"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"}, "spec": {"hard": {"cpu": "8", "requests.nvidia.com/gpu": 2, "memory": "32Gi"}}}`,
	`{"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults"}, "spec": {"limits": [{"type": "Container", "default": {"cpu": "1"}, "defaultRequest": {"cpu": "100m"}}]}}`,
	`{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "x"}, "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]},
	  "rules": [{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]}`,
	`{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c", "namespace": "n", "labels": {"a": "b"}},
	  "spec": {"schedule": "0 2 * * *", "timeZone": "Etc/UTC", "startingDeadlineSeconds": 60, "successfulJobsHistoryLimit": 3,
	  "jobTemplate": {"spec": {"backoffLimit": 2, "activeDeadlineSeconds": 3600, "template": {"metadata": {"labels": {"a": "b"}}, "spec": {
	    "restartPolicy": "OnFailure", "terminationGracePeriodSeconds": 30,
	    "containers": [{"name": "c", "image": "i", "env": [{"name": "A", "value": "1"}], "ports": [{"containerPort": 80}],
	      "resources": {"limits": {"cpu": 0.5, "memory": "1Gi"}}, "livenessProbe": {"httpGet": {"path": "/", "port": "http"}},
	      "securityContext": {"runAsUser": 1000, "readOnlyRootFilesystem": true}}],
	    "volumes": [{"name": "v", "emptyDir": {"sizeLimit": "1Gi"}}]}}}}}}`,
}

// TestKatibDecodeSound checks, as TestTypedDecodeSound does, the decoding of
// Experiment specs from the map against the decoding of their JSON, on the
// fleet's Experiments, the upstream Katib examples and their variants.
func TestKatibDecodeSound(t *testing.T) {
	var typed, total int
	var unsound []string
	current := ""
	validate.SetVerifyKatib(func(ok bool, err error, same bool) {
		total++
		if !ok {
			return
		}
		typed++
		if (err != nil || !same) && len(unsound) < 20 {
			unsound = append(unsound, fmt.Sprintf("%s: decoded, but the JSON decoding gives err %v, same value %v", current, err, same))
		}
	})
	defer validate.SetVerifyKatib(nil)

	v := validate.New()
	isExperiment := func(o map[string]any) bool { return o["kind"] == "Experiment" }
	var objs []map[string]any
	compiled := 0
	for _, o := range fleetObjects(t) {
		if isExperiment(o) {
			objs = append(objs, o)
			compiled++
		}
	}
	for _, o := range validate.UpstreamObjects(t) {
		if isExperiment(o) {
			objs = append(objs, o)
		}
	}
	for i, o := range objs {
		before := typed
		current = fmt.Sprintf("experiment %d %v", i, o["metadata"])
		v.Validate(o)
		if i < compiled && typed == before {
			t.Errorf("%s: not decoded from the map", current)
		}
		for j, m := range validate.Mutations(o) {
			current = fmt.Sprintf("experiment %d variant %d", i, j)
			v.Validate(m)
		}
	}
	for _, u := range unsound {
		t.Error(u)
	}
	if compiled == 0 {
		t.Error("the fleet has no Experiment")
	}
	t.Logf("%d Experiments (%d compiled), %d decodings, %d from the map", len(objs), compiled, total, typed)
}
