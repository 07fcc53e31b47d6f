package main

import (
	"strings"
	"testing"
)

// TestCredentialsNeverPrinted: a password in a storage URI and in a notebook's env,
// written where the platform's policy lets them compile (with warnings), appear in no
// traffic line, warning or diff; where the policy refuses them, the error and the diff
// of the invalid head hide them too.
func TestCredentialsNeverPrinted(t *testing.T) {
	g, dir := quickstartRepo(t)
	allow := `policy: {
	secrets: literalCredentials: "warning"
`
	edit(t, dir, "platform.cue", "policy: {\n", allow)
	g.Commit("allow literal credentials, for a while")
	edit(t, dir, "tenants/vision/serving.cue", `canary: {storageUri: "s3://models/resnet/v4", traffic: 10}`,
		`canary: {storageUri: "https://svc:hunter2@models.example.com/resnet/v4", traffic: 10}`)
	edit(t, dir, "tenants/vision/notebooks.cue", `WANDB_PROJECT: "resnet"`, `WANDB_PROJECT: "resnet", DB_PASSWORD: "hunter2"`)

	code, out, stderr := mlc(t, "render", dir, "-o", "-", "--cluster", "staging")
	if code != 0 {
		t.Fatalf("render: exit %d: %s", code, stderr)
	}
	traffic := "traffic: vision/resnet: canary: 10% of requests to https://svc:***@models.example.com/resnet/v4, 90% stay on the revision serving now (s3://models/resnet/v3)"
	if !strings.Contains(stderr, traffic) || !strings.Contains(stderr, "warning: servingEndpoints.resnet.canary.storageUri: the user info of https://svc:***@...") {
		t.Errorf("render: want the traffic line and the warning, redacted; got:\n%s", stderr)
	}
	if strings.Contains(stderr, "hunter2") {
		t.Errorf("render printed the password:\n%s", stderr)
	}
	if !strings.Contains(out, "hunter2") {
		t.Errorf("the policy allows the value: the manifests hold it as written")
	}

	for _, format := range []string{"markdown", "text", "json"} {
		code, out, stderr := mlc(t, "diff", dir, "--format", format, "--color", "never")
		if code != 0 {
			t.Fatalf("diff --format %s: exit %d: %s", format, code, stderr)
		}
		if strings.Contains(out+stderr, "hunter2") {
			t.Errorf("diff --format %s printed the password:\n%s", format, out)
		}
		if !strings.Contains(out, "https://svc:***@models.example.com/resnet/v4") || !strings.Contains(out, "DB_PASSWORD") {
			t.Errorf("diff --format %s does not show the changes:\n%s", format, out)
		}
	}

	// By default, the same repository does not compile; what says so hides the password.
	edit(t, dir, "platform.cue", allow, "policy: {\n")
	for _, args := range [][]string{{"vet", dir}, {"render", dir, "-o", "-"}, {"diff", dir, "--format", "markdown"}} {
		code, out, stderr := mlc(t, args...)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1", args[0], code)
		}
		if strings.Contains(out+stderr, "hunter2") {
			t.Errorf("%s printed the password:\n%s%s", args[0], out, stderr)
		}
		if !strings.Contains(out+stderr, "tenants/vision/serving.cue:7:24: servingEndpoints.resnet.canary.storageUri: the user info of https://svc:***@...") {
			t.Errorf("%s: want the error at the URI; got:\n%s%s", args[0], out, stderr)
		}
	}
}
