package credential

import (
	"reflect"
	"strings"
	"testing"
)

// Tokens are built here rather than written out, so that no scanner mistakes the tests
// for a leak.
var (
	githubToken = "ghp_" + strings.Repeat("aB3", 12)
	hfToken     = "hf_" + strings.Repeat("xY7", 11)
	slackToken  = "xoxb-" + strings.Repeat("1234-", 3) + "abc"
	jwt         = "eyJ" + strings.Repeat("a", 10) + ".eyJ" + strings.Repeat("b", 10) + "." + strings.Repeat("c", 10)
)

func TestToken(t *testing.T) {
	for _, tc := range []struct {
		s, want string
	}{
		{"AKIAIOSFODNN7EXAMPLE", "an AWS access key ID"},
		{"--key=" + githubToken, "a GitHub token"},
		{"github_pat_" + strings.Repeat("A1_", 8), "a GitHub token"},
		{"glpat-" + strings.Repeat("x", 20), "a GitLab token"},
		{slackToken, "a Slack token"},
		{"https://hooks.slack.com/services/T000/B000/" + strings.Repeat("X", 24), "a Slack webhook URL"},
		{hfToken, "a Hugging Face token"},
		{"sk-proj-" + strings.Repeat("Ab1_", 12), "an OpenAI API key"},
		{"AIza" + strings.Repeat("B", 35), "a Google API key"},
		{"sk_live_" + strings.Repeat("9", 24), "a Stripe secret key"},
		{"-----BEGIN OPENSSH PRIVATE KEY-----\nabc", "a private key"},
		{"-----BEGIN PRIVATE KEY-----", "a private key"},
		{"Bearer " + jwt, "a JSON Web Token"},
	} {
		if got, ok := Token(tc.s); !ok || got != tc.want {
			t.Errorf("Token(%q) = %q, %v; want %q", tc.s, got, ok, tc.want)
		}
	}
	// What a repository holds for other reasons.
	for _, s := range []string{
		"ghcr.io/kubeflow/notebooks/jupyter-pytorch-cuda:v1.10.0",
		"registry.example.com/img@sha256:" + strings.Repeat("0123456789abcdef", 4),
		"sk-learn-iris-classifier-production-model-v2-final",
		"hf_transfer", "hf://facebook/bart-large-cnn", "xox", "AKIA-short",
		"-----BEGIN CERTIFICATE-----", "s3://models/resnet/v3", "TOKENIZERS_PARALLELISM",
	} {
		if what, ok := Token(s); ok {
			t.Errorf("Token(%q) = %q; want no token", s, what)
		}
	}
}

func TestUserInfo(t *testing.T) {
	for _, tc := range []struct {
		s, want string
	}{
		{"https://svc:hunter2@models.example.com/resnet", "https://svc:***@"},
		{"s3://AKIAIOSFODNN7EXAMPLE:abc@bucket/x", "s3://***:***@"},
		{"https://" + githubToken + "@github.com/org/repo", "https://***@"},
		{"--db=postgres://app:p@ss@db:5432/x", "postgres://app:***@"},
		{"http://:only-a-password@host", "http://:***@"},
	} {
		if got, ok := UserInfo(tc.s); !ok || got != tc.want {
			t.Errorf("UserInfo(%q) = %q, %v; want %q", tc.s, got, ok, tc.want)
		}
	}
	for _, s := range []string{
		"ssh://git@github.com/org/repo", "https://host/path@v2", "https://host?q=a@b",
		"mail alice@example.com at https://example.com", "s3://models/resnet/v3", "user@host",
	} {
		if got, ok := UserInfo(s); ok {
			t.Errorf("UserInfo(%q) = %q; want none", s, got)
		}
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{
			`ns/ep: canary: 10% of requests to https://svc:hunter2@host/m/v4, 90% stay on the revision serving now (s3://b/m)`,
			`ns/ep: canary: 10% of requests to https://svc:***@host/m/v4, 90% stay on the revision serving now (s3://b/m)`,
		},
		{`"https://tok3nV4lue@host" and "https://a:b@c"`, `"https://***@host" and "https://a:***@c"`},
		{"ssh://git@github.com/x", "ssh://git@github.com/x"},
		{"token " + githubToken + " here", "token *** here"},
		{"nothing to hide", "nothing to hide"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestValue(t *testing.T) {
	in := map[string]any{
		"storageUri": "https://svc:hunter2@host/m",
		"env": []any{
			map[string]any{"name": "DB_PASSWORD", "value": "hunter2"},
			map[string]any{"name": "HF_HOME", "value": "/cache"},
			map[string]any{"name": "API_TOKEN", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "s", "key": "k"}}},
		},
		"replicas": 3,
	}
	want := map[string]any{
		"storageUri": "https://svc:***@host/m",
		"env": []any{
			map[string]any{"name": "DB_PASSWORD", "value": "***"},
			map[string]any{"name": "HF_HOME", "value": "/cache"},
			map[string]any{"name": "API_TOKEN", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "s", "key": "k"}}},
		},
		"replicas": 3,
	}
	if got := Value(in); !reflect.DeepEqual(got, want) {
		t.Errorf("Value:\n got %v\nwant %v", got, want)
	}
	if in["storageUri"] != "https://svc:hunter2@host/m" {
		t.Errorf("Value changed its input")
	}
}

func TestSecretName(t *testing.T) {
	for _, n := range []string{
		"HF_TOKEN", "DB_PASSWORD", "PGPASSWORD", "apiKey", "api_key", "WANDB_API_KEY", "client_secret",
		"AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "GITHUB_TOKEN", "hfToken", "SECRET_KEY", "DB_PASS",
		"MLFLOW_TRACKING_PASSWORD", "ENCRYPTION_KEY", "authToken", "PRIVATE_KEY",
	} {
		if !SecretName(n) {
			t.Errorf("SecretName(%q) = false, want true", n)
		}
	}
	for _, n := range []string{
		"HF_HOME", "TOKENIZERS_PARALLELISM", "MAX_TOKENS", "max_new_tokens", "PASSWORD_FILE", "SECRET_NAME",
		"TOKEN_PATH", "GOOGLE_APPLICATION_CREDENTIALS", "PWD", "KEY", "PASSPORT_ID", "data_uri", "SORT_KEY",
	} {
		if SecretName(n) {
			t.Errorf("SecretName(%q) = true, want false", n)
		}
	}
}

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"hfToken":        {"HF", "TOKEN"},
		"HF_TOKEN":       {"HF", "TOKEN"},
		"api-key.v2":     {"API", "KEY", "V2"},
		"s3AccessKey":    {"S3", "ACCESS", "KEY"},
		"":               nil,
		"__":             nil,
		"APIKey":         {"APIKEY"},
		"db password":    {"DB", "PASSWORD"},
		"PGPASSWORD_old": {"PGPASSWORD", "OLD"},
	} {
		if got := Words(in); !reflect.DeepEqual(got, want) {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQueryParam(t *testing.T) {
	for s, want := range map[string]string{
		"https://m.example.com/x?token=hunter2tok&sig=abc":                        "token",
		"https://acct.blob.core.windows.net/c/m?sv=2022-11-02&se=2026&sig=abcdef": "sig",
		"https://b.s3.amazonaws.com/m?X-Amz-Algorithm=AWS4&X-Amz-Signature=abc":   "X-Amz-Signature",
		"https://api.example.com/v1?api_key=abc123":                               "api_key",
		"https://example.com/m?generation=12&alt=media":                           "",
		"gs://bucket/model?max_tokens=4":                                          "",
		"token=abc without a URI":                                                 "",
	} {
		got, ok := QueryParam(s)
		if got != want || ok != (want != "") {
			t.Errorf("QueryParam(%q) = %q, %v; want %q", s, got, ok, want)
		}
	}
	if got, want := Redact("note: https://m.example.com/x?token=hunter2tok&sig=s1&v=2 serves"), "note: https://m.example.com/x?token=***&sig=***&v=2 serves"; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
}
