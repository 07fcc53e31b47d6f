package kubeflow

import (
	"encoding/json"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/validate"
)

// TestUserIDHeaderOfRelease: the header and prefix the catalog says the release reads
// the user from are those of its build: the gateway writes the token's email into the
// header, and the dashboard reads it with the prefix.
func TestUserIDHeaderOfRelease(t *testing.T) {
	t.Parallel()
	built := buildUnits(t, sharedSettings(sharedManifests(t)), "oauth2-proxy", "central-dashboard")
	ra := object(t, built["oauth2-proxy"], "RequestAuthentication", "dex-jwt")
	if got := asYAML(t, dig(ra, "spec", "jwtRules").([]any)[0].(map[string]any)["outputClaimToHeaders"]); !strings.Contains(got, "- claim: email\n  header: "+v1_11_0.UserIDHeader+"\n") {
		t.Errorf("dex-jwt writes the email into:\n%s\nwant %s", got, v1_11_0.UserIDHeader)
	}
	params := object(t, built["central-dashboard"], "ConfigMap", "centraldashboard-parameters")
	if dig(params, "data", "CD_USERID_HEADER") != v1_11_0.UserIDHeader || dig(params, "data", "CD_USERID_PREFIX") != v1_11_0.UserIDPrefix {
		t.Errorf("the dashboard reads %v", dig(params, "data"))
	}
}

// TestDexUsers: Dex's static users are the platform's, each reading its hash from a
// key of the encrypted dex-passwords Secret; the rest of Dex's configuration is
// upstream's.
func TestDexUsers(t *testing.T) {
	t.Parallel()
	k := sharedSettings(sharedManifests(t))
	k.Auth = &model.KubeflowAuth{DexUsers: []model.KubeflowDexUser{
		{Email: "ana@example.org", HashKey: "DEX_USER_PASSWORD"},
		{Email: "bo@example.org", Username: "bo-admin", UserID: "42", HashKey: "DEX_USER_PASSWORD"},
	}}
	cm := object(t, buildUnits(t, k, "dex")["dex"], "ConfigMap", "dex")
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(dig(cm, "data", "config.yaml").(string)), &cfg); err != nil {
		t.Fatal(err)
	}
	want := "- email: ana@example.org\n  hashFromEnv: DEX_USER_PASSWORD\n  userID: ana@example.org\n  username: ana\n" +
		"- email: bo@example.org\n  hashFromEnv: DEX_USER_PASSWORD\n  userID: \"42\"\n  username: bo-admin\n"
	if got := asYAML(t, cfg["staticPasswords"]); got != want {
		t.Errorf("staticPasswords:\n%s\nwant\n%s", got, want)
	}
	if cfg["issuer"] != "http://dex.auth.svc.cluster.local:5556/dex" || !strings.Contains(asYAML(t, cfg["staticClients"]), "redirectURIs:\n  - /oauth2/callback") {
		t.Errorf("upstream's configuration lost:\n%s", asYAML(t, cfg))
	}
}

// TestExternalIssuer: with an external issuer, oauth2-proxy discovers it instead of
// calling Dex's in-cluster endpoints, and the gateway accepts its tokens, writing the
// email claim into the user header.
func TestExternalIssuer(t *testing.T) {
	t.Parallel()
	k := sharedSettings(sharedManifests(t))
	k.Components = map[string]bool{"dex": false}
	delete(k.Secrets, "auth/dex-passwords")
	delete(k.Secrets, "auth/dex-oidc-client")
	k.Auth = &model.KubeflowAuth{OIDC: &model.KubeflowOIDC{Issuer: "https://login.example.org/realms/ml", EmailClaim: "upn"}}
	objs := buildUnits(t, k, "oauth2-proxy")["oauth2-proxy"]
	cfg := dig(object(t, objs, "ConfigMap", "oauth2-proxy"), "data", "oauth2_proxy.cfg").(string)
	for _, want := range []string{
		"\noidc_issuer_url = \"https://login.example.org/realms/ml\"\n", "\nscope = \"openid email profile groups\"\n",
		"\noidc_email_claim = \"upn\"\n", "\noidc_groups_claim = \"groups\"\n", "\nrelative_redirect_url = true\n",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("oauth2_proxy.cfg has no %q:\n%s", want, cfg)
		}
	}
	for _, dex := range []string{"login_url", "redeem_url", "oidc_jwks_url", "skip_oidc_discovery"} {
		if strings.Contains(cfg, "\n"+dex+" ") {
			t.Errorf("oauth2_proxy.cfg still sets %s", dex)
		}
	}
	if v := dig(object(t, objs, "ConfigMap", "oauth2-proxy-parameters"), "data", "ALLOW_SELF_SIGNED_ISSUER"); v != "false" {
		t.Errorf("ALLOW_SELF_SIGNED_ISSUER = %v", v)
	}
	rule := asYAML(t, dig(object(t, objs, "RequestAuthentication", "dex-jwt"), "spec", "jwtRules"))
	for _, want := range []string{"issuer: https://login.example.org/realms/ml\n", "- claim: upn\n    header: kubeflow-userid\n", "- claim: groups\n    header: kubeflow-groups\n"} {
		if !strings.Contains(rule, want) {
			t.Errorf("dex-jwt's rule has no %q:\n%s", want, rule)
		}
	}
}

// TestAuthErrors: auth settings that contradict each other, the components or
// defaults.access are errors naming the field.
func TestAuthErrors(t *testing.T) {
	dir := sharedManifests(t)
	user := []model.KubeflowDexUser{{Email: "ana@example.org", HashKey: "DEX_USER_PASSWORD"}}
	issuer := &model.KubeflowOIDC{Issuer: "https://login.example.org"}
	for _, tc := range []struct {
		name string
		set  func(k *model.Kubeflow, s *Settings)
		want string
	}{
		{"both", func(k *model.Kubeflow, _ *Settings) { k.Auth = &model.KubeflowAuth{DexUsers: user, OIDC: issuer} },
			"kubeflow.auth: set dexUsers or oidc, not both: with an external issuer, Dex is off"},
		{"issuer with dex", func(k *model.Kubeflow, _ *Settings) { k.Auth = &model.KubeflowAuth{OIDC: issuer} },
			"kubeflow.auth.oidc: Dex is on; users sign in at https://login.example.org instead, so turn it off (components: dex: false)"},
		{"issuer without oauth2-proxy", func(k *model.Kubeflow, _ *Settings) {
			k.Components = map[string]bool{"dex": false, "oauth2Proxy": false}
			k.Auth = &model.KubeflowAuth{OIDC: issuer}
		}, "kubeflow.auth.oidc: the setting configures oauth2-proxy, whose component oauth2Proxy is off"},
		{"users without dex", func(k *model.Kubeflow, _ *Settings) {
			k.Components = map[string]bool{"dex": false}
			k.Auth = &model.KubeflowAuth{DexUsers: user}
		}, "kubeflow.auth.dexUsers: the setting configures dex, whose component dex is off"},
		{"unknown hash key", func(k *model.Kubeflow, _ *Settings) {
			k.Auth = &model.KubeflowAuth{DexUsers: []model.KubeflowDexUser{{Email: "ana@example.org", HashKey: "ANA_HASH"}}}
		}, "kubeflow.auth.dexUsers[0].hashKey: auth/dex-passwords (secrets/dex-passwords.sops.yaml) has no key ANA_HASH; it has DEX_USER_PASSWORD"},
		{"hashes not replaced", func(k *model.Kubeflow, _ *Settings) {
			delete(k.Secrets, "auth/dex-passwords")
			k.Auth = &model.KubeflowAuth{DexUsers: user}
		}, "kubeflow.auth.dexUsers: the users' hashes are keys of the Secret auth/dex-passwords, which kubeflow.secrets does not replace"},
		{"hashes' file missing", func(k *model.Kubeflow, _ *Settings) {
			k.Secrets["auth/dex-passwords"] = "secrets/gone.sops.yaml"
			k.Auth = &model.KubeflowAuth{DexUsers: user}
		}, ""},
		{"user twice", func(k *model.Kubeflow, _ *Settings) {
			k.Auth = &model.KubeflowAuth{DexUsers: append(user, model.KubeflowDexUser{Email: "Ana@example.org", HashKey: "DEX_USER_PASSWORD"})}
		}, "kubeflow.auth.dexUsers[1].email: Ana@example.org is listed twice"},
		{"another header", func(_ *model.Kubeflow, s *Settings) { s.UserIDHeader = "x-user" },
			`defaults.access.userIdHeader: "x-user", but Kubeflow v1.11.0 as mlc installs it forwards the user's email in "kubeflow-userid"`},
		{"a prefix", func(_ *model.Kubeflow, s *Settings) { s.UserIDPrefix = "accounts.google.com:" },
			`defaults.access.userIdPrefix: "accounts.google.com:", but Kubeflow v1.11.0 as mlc installs it writes the user's email in kubeflow-userid with the prefix ""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := sharedSettings(dir)
			s := testSettings
			s.UserIDHeader = "kubeflow-userid"
			tc.set(k, &s)
			// A missing file is left to the check of every encrypted Secret (want "").
			if _, err := NewPlan(k, s, Resolver(exampleRepo(), ""), noFetch); (err == nil) != (tc.want == "") || err != nil && err.Error() != tc.want {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestSettingsObjectsValid: the objects the ingress and issuer settings patch or add are
// valid under the CRDs of the same install (Istio's Gateway and RequestAuthentication,
// cert-manager's Certificate).
func TestSettingsObjectsValid(t *testing.T) {
	t.Parallel()
	k := sharedSettings(sharedManifests(t))
	k.Components = map[string]bool{"dex": false}
	delete(k.Secrets, "auth/dex-passwords")
	delete(k.Secrets, "auth/dex-oidc-client")
	k.Auth = &model.KubeflowAuth{OIDC: &model.KubeflowOIDC{Issuer: "https://login.example.org"}}
	k.Ingress = &model.KubeflowIngress{Hosts: []string{"kubeflow.example.org"},
		TLS: &model.KubeflowTLS{SecretName: "kubeflow-tls", Issuer: &model.KubeflowIssuer{Kind: "ClusterIssuer", Name: "letsencrypt"}}}
	built := buildUnits(t, k, "cert-manager", "istio", "istio-gateways", "oauth2-proxy")
	var crds [][]byte
	for _, o := range append(built["istio"], built["cert-manager"]...) {
		if o["kind"] == "CustomResourceDefinition" {
			b, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			crds = append(crds, b)
		}
	}
	vd, err := validate.NewFromCRDs(crds)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []map[string]any{
		object(t, built["istio-gateways"], "Gateway", "kubeflow-gateway"),
		object(t, built["oauth2-proxy"], "RequestAuthentication", "dex-jwt"),
		object(t, built["istio-gateways"], "Certificate", "kubeflow-tls"),
	} {
		av, _ := o["apiVersion"].(string)
		if !vd.Known(av, o["kind"].(string)) {
			t.Fatalf("no CRD of the install defines %s %s", av, o["kind"])
		}
		for _, fe := range vd.Validate(o) {
			t.Errorf("%s %s: %s: %s", o["kind"], meta(o, "name"), fe.Path, fe.Message)
		}
	}
	// Both settings merge into oauth2-proxy's parameters.
	params := dig(object(t, built["oauth2-proxy"], "ConfigMap", "oauth2-proxy-parameters"), "data")
	if p := params.(map[string]any); p["FORCE_HTTPS"] != "true" || p["ALLOW_SELF_SIGNED_ISSUER"] != "false" {
		t.Errorf("oauth2-proxy-parameters: %v", p)
	}
	// The check can fail: a server without a port is refused.
	gw := object(t, built["istio-gateways"], "Gateway", "kubeflow-gateway")
	delete(dig(gw, "spec", "servers").([]any)[1].(map[string]any), "port")
	if len(vd.Validate(gw)) == 0 {
		t.Error("a Gateway server without a port passed validation")
	}
}
