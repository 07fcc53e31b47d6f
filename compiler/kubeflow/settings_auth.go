package kubeflow

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// dexPasswords and oauth2ProxySecret are the Secrets, by kubeflow.secrets key, that
// hold Dex's users' hashes and oauth2-proxy's OIDC client.
const (
	dexPasswords      = "auth/dex-passwords"
	oauth2ProxySecret = "oauth2-proxy/oauth2-proxy"
)

// checkAccess refuses defaults.access that differs from the header and prefix the
// release's applications read the user from: tenants' AuthorizationPolicies would name
// a header no request carries.
func checkAccess(rel *Release, s Settings) error {
	if s.UserIDHeader == "" {
		return nil // not given: nothing to compare
	}
	if s.UserIDHeader != rel.UserIDHeader {
		return fmt.Errorf("defaults.access.userIdHeader: %q, but Kubeflow %s as mlc installs it forwards the user's email in %q", s.UserIDHeader, rel.Version, rel.UserIDHeader)
	}
	if s.UserIDPrefix != rel.UserIDPrefix {
		return fmt.Errorf("defaults.access.userIdPrefix: %q, but Kubeflow %s as mlc installs it writes the user's email in %s with the prefix %q", s.UserIDPrefix, rel.Version, rel.UserIDHeader, rel.UserIDPrefix)
	}
	return nil
}

// authSettings writes Dex's users, or the external issuer, into the units that sign
// users in.
func authSettings(k *model.Kubeflow, p *Plan) error {
	a := k.Auth
	switch {
	case a == nil:
		return nil
	case len(a.DexUsers) > 0 && a.OIDC != nil:
		return fmt.Errorf("kubeflow.auth: set dexUsers or oidc, not both: with an external issuer, Dex is off")
	case len(a.DexUsers) > 0:
		return dexUsers(k, p)
	case a.OIDC != nil:
		return externalIssuer(k, p)
	}
	return nil
}

// dexUsers replaces the static users of Dex's configuration, each of whose hash Dex
// reads from a key of the encrypted Secret auth/dex-passwords.
func dexUsers(k *model.Kubeflow, p *Plan) error {
	part, err := settingPart(p, "dex", "kubeflow.auth.dexUsers", "dex")
	if err != nil {
		return err
	}
	file, ok := p.Secrets[dexPasswords]
	if !ok {
		return fmt.Errorf("kubeflow.auth.dexUsers: the users' hashes are keys of the Secret %s, which kubeflow.secrets does not replace", dexPasswords)
	}
	// A file that cannot be read is reported with the other encrypted Secrets' problems.
	keys, readable := secretKeys(file.Path)
	var users []any
	for i, u := range k.Auth.DexUsers {
		at := fmt.Sprintf("kubeflow.auth.dexUsers[%d]", i)
		if slices.ContainsFunc(k.Auth.DexUsers[:i], func(o model.KubeflowDexUser) bool { return strings.EqualFold(o.Email, u.Email) }) {
			return fmt.Errorf("%s.email: %s is listed twice", at, u.Email)
		}
		if readable && !slices.Contains(keys, u.HashKey) {
			return fmt.Errorf("%s.hashKey: %s (%s) has no key %s; it has %s", at, dexPasswords, file.Shown, u.HashKey, strings.Join(keys, ", "))
		}
		name, id := u.Username, u.UserID
		if name == "" {
			name, _, _ = strings.Cut(u.Email, "@")
		}
		if id == "" {
			id = u.Email
		}
		users = append(users, map[string]any{"email": u.Email, "username": name, "userID": id, "hashFromEnv": u.HashKey})
	}
	u, _ := p.Release.Unit("dex")
	cfg, err := readDexConfig(filepath.Join(p.Source.Dir, filepath.FromSlash(u.DexConfig)))
	if err != nil {
		return err
	}
	cfg["staticPasswords"] = users
	return patchDexConfig(part, cfg)
}

// readDexConfig reads Dex's configuration from the release's ConfigMap file.
func readDexConfig(file string) (map[string]any, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("kubeflow.source: Dex's configuration: %w", err)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cm); err != nil {
		return nil, fmt.Errorf("kubeflow.source: %s: %w", file, err)
	}
	if err := yaml.Unmarshal([]byte(cm.Data["config.yaml"]), &cfg); err != nil || cfg == nil {
		return nil, fmt.Errorf("kubeflow.source: %s: data.config.yaml is not Dex's configuration: %v", file, err)
	}
	return cfg, nil
}

// patchDexConfig sets Dex's ConfigMap to the configuration.
func patchDexConfig(part *Part, cfg map[string]any) error {
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	patch, err := yaml.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "dex", "namespace": "auth"},
		"data":     map[string]any{"config.yaml": string(b)},
	})
	if err != nil {
		return err
	}
	part.Settings = append(part.Settings, types.Patch{Patch: string(patch)})
	return nil
}

// secretKeys returns the keys of a Secret manifest (SOPS encrypts values, not keys),
// and whether the file could be read as one.
func secretKeys(path string) ([]string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var s struct {
		Data       map[string]any `json:"data"`
		StringData map[string]any `json:"stringData"`
	}
	if err := yaml.Unmarshal(b, &s); err != nil {
		return nil, false
	}
	var keys []string
	for _, m := range []map[string]any{s.Data, s.StringData} {
		for k := range m {
			keys = append(keys, k)
		}
	}
	return sortedUnique(keys), true
}

// externalIssuer points oauth2-proxy, and the gateway's check of the tokens it
// forwards, at an external OIDC issuer instead of Dex.
func externalIssuer(k *model.Kubeflow, p *Plan) error {
	o := withDefaults(*k.Auth.OIDC)
	if enabled(k, "dex") {
		return fmt.Errorf("kubeflow.auth.oidc: Dex is on; users sign in at %s instead, so turn it off (components: dex: false)", o.Issuer)
	}
	part, err := settingPart(p, "oauth2-proxy", "kubeflow.auth.oidc", "oauth2Proxy")
	if err != nil {
		return err
	}
	if _, ok := p.Secrets[oauth2ProxySecret]; !ok {
		return fmt.Errorf("kubeflow.auth.oidc: the issuer's client ID and secret are the client-id and client-secret of the Secret %s, which kubeflow.secrets does not replace", oauth2ProxySecret)
	}
	u, _ := p.Release.Unit("oauth2-proxy")
	b, err := os.ReadFile(filepath.Join(p.Source.Dir, filepath.FromSlash(u.OAuth2ProxyConfig)))
	if err != nil {
		return fmt.Errorf("kubeflow.source: oauth2-proxy's configuration: %w", err)
	}
	const name = "oauth2_proxy.cfg"
	if part.Files == nil {
		part.Files = map[string][]byte{}
	}
	part.Files[name] = []byte(issuerConfig(string(b), &o))
	part.ConfigMaps = append(part.ConfigMaps,
		types.ConfigMapArgs{GeneratorArgs: types.GeneratorArgs{
			Namespace: "oauth2-proxy", Name: "oauth2-proxy", Behavior: "merge",
			KvPairSources: types.KvPairSources{FileSources: []string{name}},
		}},
		// upstream accepts a self-signed certificate of its in-cluster Dex
		types.ConfigMapArgs{GeneratorArgs: types.GeneratorArgs{
			Namespace: "oauth2-proxy", Name: "oauth2-proxy-parameters", Behavior: "merge",
			KvPairSources: types.KvPairSources{LiteralSources: []string{"ALLOW_SELF_SIGNED_ISSUER=false"}},
		}})
	part.Settings = append(part.Settings, jsonPatch(resid.Gvk{Group: "security.istio.io", Kind: "RequestAuthentication"}, "dex-jwt", "istio-system",
		map[string]any{"op": "replace", "path": "/spec/jwtRules/0/issuer", "value": o.Issuer},
		map[string]any{"op": "replace", "path": "/spec/jwtRules/0/outputClaimToHeaders", "value": []any{
			map[string]any{"header": p.Release.UserIDHeader, "claim": o.EmailClaim},
			map[string]any{"header": "kubeflow-groups", "claim": o.GroupsClaim},
		}}))
	return nil
}

// cfgLine matches a setting of oauth2-proxy's configuration file.
var cfgLine = regexp.MustCompile(`^([a-z_]+)\s*=`)

// issuerConfig rewrites upstream's oauth2-proxy configuration for an external issuer:
// its URL and scopes, the claims, and discovery instead of Dex's in-cluster endpoints.
func issuerConfig(cfg string, o *model.KubeflowOIDC) string {
	set := map[string]string{
		"oidc_issuer_url":       strconv.Quote(o.Issuer),
		"scope":                 strconv.Quote(strings.Join(o.Scopes, " ")),
		"oidc_email_claim":      strconv.Quote(o.EmailClaim),
		"oidc_groups_claim":     strconv.Quote(o.GroupsClaim),
		"provider_display_name": strconv.Quote(o.Issuer),
	}
	// Dex's endpoints, which discovery of the issuer gives instead.
	drop := []string{"skip_oidc_discovery", "login_url", "redeem_url", "oidc_jwks_url"}
	var out []string
	for _, line := range strings.Split(cfg, "\n") {
		if m := cfgLine.FindStringSubmatch(line); m != nil {
			if slices.Contains(drop, m[1]) {
				continue
			}
			if v, ok := set[m[1]]; ok {
				line = m[1] + " = " + v
				delete(set, m[1])
			}
		}
		out = append(out, line)
	}
	for _, key := range slices.Sorted(maps.Keys(set)) {
		out = append(out, key+" = "+set[key])
	}
	return strings.Join(out, "\n") + "\n"
}

// withDefaults fills what the schema's defaults fill, for settings not from CUE.
func withDefaults(o model.KubeflowOIDC) model.KubeflowOIDC {
	if len(o.Scopes) == 0 {
		o.Scopes = []string{"openid", "email", "profile", "groups"}
	}
	if o.EmailClaim == "" {
		o.EmailClaim = "email"
	}
	if o.GroupsClaim == "" {
		o.GroupsClaim = "groups"
	}
	return o
}
