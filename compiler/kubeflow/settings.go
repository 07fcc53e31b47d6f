package kubeflow

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// namedSettings adds to the plan's parts the patches and generated configuration that
// carry the platform's named settings (ingress, the dashboard's links, auth), and checks
// defaults.access against the install. A setting of a component that is off is an
// error, as nothing would carry it.
func namedSettings(k *model.Kubeflow, settings Settings, p *Plan) error {
	if err := checkAccess(p.Release, settings); err != nil {
		return err
	}
	if err := authSettings(k, p); err != nil {
		return err
	}
	if in := k.Ingress; in != nil {
		if err := ingressSettings(k, in, p); err != nil {
			return err
		}
	}
	return dashboardSettings(k, p)
}

// dashboardSettings merges the platform's dashboard links into upstream's, and drops
// upstream's links to the pages of components that are off.
func dashboardSettings(k *model.Kubeflow, p *Plan) error {
	var off []string
	for _, c := range slices.Sorted(maps.Keys(p.Release.DashboardPages)) {
		if !enabled(k, c) {
			off = append(off, p.Release.DashboardPages[c])
		}
	}
	d := k.Dashboard
	if d == nil && (len(off) == 0 || !enabled(k, "centralDashboard")) {
		return nil
	}
	if d == nil {
		d = &model.KubeflowDashboard{}
	}
	part, err := settingPart(p, "central-dashboard", "kubeflow.dashboard", "centralDashboard")
	if err != nil {
		return err
	}
	u, _ := p.Release.Unit(part.Name)
	return dashboardLinks(part, filepath.Join(p.Source.Dir, filepath.FromSlash(u.DashboardConfig)), d, off)
}

// settingPart returns the plan's part of a unit that a setting (field) configures, or
// an error when the unit's component is off.
func settingPart(p *Plan, unit, field, component string) (*Part, error) {
	for i := range p.Parts {
		if p.Parts[i].Name == unit {
			return &p.Parts[i], nil
		}
	}
	return nil, fmt.Errorf("%s: the setting configures %s, whose component %s is off", field, unit, component)
}

// ingressSettings writes the hosts and TLS into Kubeflow's gateway, marks oauth2-proxy's
// cookie secure under TLS, exposes the gateway's Service, and sets Knative's domain.
func ingressSettings(k *model.Kubeflow, in *model.KubeflowIngress, p *Plan) error {
	for i, h := range in.Hosts {
		if slices.Contains(in.Hosts[:i], h) {
			return fmt.Errorf("kubeflow.ingress.hosts[%d]: %q is listed twice", i, h)
		}
	}
	if len(in.Hosts) > 0 || in.TLS != nil {
		gw, err := settingPart(p, "istio-gateways", "kubeflow.ingress", "istio")
		if err != nil {
			return err
		}
		gw.Settings = append(gw.Settings, gatewayPatch(in))
	}
	if in.TLS != nil && in.TLS.Issuer != nil {
		if err := certificate(k, in, p); err != nil {
			return err
		}
	}
	if in.TLS != nil && enabled(k, "oauth2Proxy") {
		op, _ := settingPart(p, "oauth2-proxy", "kubeflow.ingress.tls", "oauth2Proxy")
		// FORCE_HTTPS is upstream's parameter for oauth2-proxy's --cookie-secure.
		op.ConfigMaps = append(op.ConfigMaps, types.ConfigMapArgs{GeneratorArgs: types.GeneratorArgs{
			Namespace: "oauth2-proxy", Name: "oauth2-proxy-parameters", Behavior: "merge",
			KvPairSources: types.KvPairSources{LiteralSources: []string{"FORCE_HTTPS=true"}},
		}})
	}
	if in.ServiceType != "" || len(in.ServiceAnnotations) > 0 {
		istio, err := settingPart(p, "istio", "kubeflow.ingress", "istio")
		if err != nil {
			return err
		}
		istio.Settings = append(istio.Settings, gatewayServicePatch(in))
	}
	if in.ServingDomain != "" {
		kn, err := settingPart(p, "knative-serving", "kubeflow.ingress.servingDomain", "knative")
		if err != nil {
			return err
		}
		kn.Settings = append(kn.Settings, jsonPatch(resid.Gvk{Version: "v1", Kind: "ConfigMap"}, "config-domain", "knative-serving",
			map[string]any{"op": "remove", "path": "/data/example.com"},
			map[string]any{"op": "add", "path": "/data/" + in.ServingDomain, "value": ""}))
	}
	return nil
}

// gatewayPatch replaces the servers of Kubeflow's gateway: HTTP on port 80 for the
// hosts, and with TLS, HTTPS on port 443 and HTTP redirected to it.
func gatewayPatch(in *model.KubeflowIngress) types.Patch {
	hosts := in.Hosts
	if len(hosts) == 0 {
		hosts = []string{"*"}
	}
	httpServer := map[string]any{
		"port":  map[string]any{"number": 80, "name": "http", "protocol": "HTTP"},
		"hosts": hosts,
	}
	servers := []any{httpServer}
	if in.TLS != nil {
		httpServer["tls"] = map[string]any{"httpsRedirect": true}
		servers = append(servers, map[string]any{
			"port":  map[string]any{"number": 443, "name": "https", "protocol": "HTTPS"},
			"hosts": hosts,
			"tls":   map[string]any{"mode": "SIMPLE", "credentialName": in.TLS.SecretName},
		})
	}
	return jsonPatch(resid.Gvk{Group: "networking.istio.io", Kind: "Gateway"}, "kubeflow-gateway", "kubeflow",
		map[string]any{"op": "replace", "path": "/spec/servers", "value": servers})
}

// certificate adds to the gateway's unit a cert-manager Certificate of the hosts, in
// the Secret the gateway serves.
func certificate(k *model.Kubeflow, in *model.KubeflowIngress, p *Plan) error {
	switch {
	case !enabled(k, "certManager"):
		return fmt.Errorf("kubeflow.ingress.tls.issuer: mlc asks cert-manager for the certificate, and the component certManager is off")
	case len(in.Hosts) == 0 || slices.Contains(in.Hosts, "*"):
		return fmt.Errorf("kubeflow.ingress.tls.issuer: a certificate is for host names: set kubeflow.ingress.hosts, without \"*\"")
	}
	gw, err := settingPart(p, "istio-gateways", "kubeflow.ingress", "istio")
	if err != nil {
		return err
	}
	b, err := yaml.Marshal(map[string]any{
		"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
		"metadata": map[string]any{"name": in.TLS.SecretName, "namespace": "istio-system"},
		"spec": map[string]any{
			"secretName": in.TLS.SecretName,
			"dnsNames":   in.Hosts,
			"issuerRef":  map[string]any{"group": "cert-manager.io", "kind": in.TLS.Issuer.Kind, "name": in.TLS.Issuer.Name},
		},
	})
	if err != nil {
		return err
	}
	const name = "certificate.yaml"
	if gw.Files == nil {
		gw.Files = map[string][]byte{}
	}
	gw.Files[name] = b
	gw.Objects = append(gw.Objects, name)
	return nil
}

// gatewayServicePatch sets the type and annotations of the ingress gateway's Service.
func gatewayServicePatch(in *model.KubeflowIngress) types.Patch {
	md := map[string]any{"name": "istio-ingressgateway", "namespace": "istio-system"}
	if len(in.ServiceAnnotations) > 0 {
		md["annotations"] = in.ServiceAnnotations
	}
	svc := map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": md}
	if in.ServiceType != "" {
		svc["spec"] = map[string]any{"type": in.ServiceType}
	}
	b, err := yaml.Marshal(svc)
	if err != nil {
		panic(err) // plain data
	}
	return types.Patch{Patch: string(b)}
}

// jsonPatch is a JSON 6902 patch of one object.
func jsonPatch(gvk resid.Gvk, name, namespace string, ops ...map[string]any) types.Patch {
	b, err := yaml.Marshal(ops)
	if err != nil {
		panic(err) // plain data
	}
	return types.Patch{
		Target: &types.Selector{ResId: resid.ResId{Gvk: gvk, Name: name, Namespace: namespace}},
		Patch:  string(b),
	}
}

// dashboardLinks merges the platform's links into upstream's centraldashboard-config,
// read from the release's file, drops upstream's links to pages under the paths off,
// and patches the ConfigMap with the result.
func dashboardLinks(part *Part, file string, d *model.KubeflowDashboard, off []string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("kubeflow.source: the central dashboard's configuration: %w", err)
	}
	var cm struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(b, &cm); err != nil {
		return fmt.Errorf("kubeflow.source: %s: %w", file, err)
	}
	var links map[string]any
	if err := json.Unmarshal([]byte(cm.Data["links"]), &links); err != nil {
		return fmt.Errorf("kubeflow.source: %s: data.links: %w", file, err)
	}
	for _, l := range []struct {
		name  string
		links []model.KubeflowLink
		menu  bool
	}{
		{"menuLinks", d.MenuLinks, true},
		{"externalLinks", d.ExternalLinks, true},
		{"quickLinks", d.QuickLinks, false},
		{"documentationItems", d.DocumentationItems, false},
	} {
		upstream, _ := links[l.name].([]any)
		merged, err := mergeLinks("kubeflow.dashboard."+l.name, upstream, l.links, l.menu, off)
		if err != nil {
			return err
		}
		links[l.name] = merged
	}
	out, err := json.MarshalIndent(links, "", "  ")
	if err != nil {
		return err
	}
	patch, err := yaml.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": cm.Metadata.Name, "namespace": "kubeflow"},
		"data":     map[string]any{"links": string(out)},
	})
	if err != nil {
		return err
	}
	part.Settings = append(part.Settings, types.Patch{Patch: string(patch)})
	return nil
}

// mergeLinks merges a list of the platform's links into upstream's: a link with the
// text of one of upstream's replaces it in place, or drops it (remove); the others
// follow upstream's, in order. Upstream's links to a page under one of the paths off
// (of a component not installed) are dropped, and a section left empty with them.
func mergeLinks(field string, upstream []any, links []model.KubeflowLink, menu bool, off []string) ([]any, error) {
	out := slices.Clone(upstream)
	own := make([]bool, len(out)) // written by the platform
	textOf := func(v any) string { m, _ := v.(map[string]any); s, _ := m["text"].(string); return s }
	var removed []string
	for i, l := range links {
		at := fmt.Sprintf("%s[%d]", field, i)
		if slices.ContainsFunc(links[:i], func(o model.KubeflowLink) bool { return o.Text == l.Text }) {
			return nil, fmt.Errorf("%s: a second link with the text %q", at, l.Text)
		}
		j := slices.IndexFunc(out, func(v any) bool { return textOf(v) == l.Text })
		if l.Remove {
			if j < 0 {
				var texts []string
				for _, v := range upstream {
					texts = append(texts, fmt.Sprintf("%q", textOf(v)))
				}
				return nil, fmt.Errorf("%s: remove: upstream's %s has no link with the text %q; it has [%s]", at, field[strings.LastIndex(field, ".")+1:], l.Text, strings.Join(texts, ", "))
			}
			removed = append(removed, l.Text)
			continue
		}
		entry, err := linkEntry(at, l, menu)
		if err != nil {
			return nil, err
		}
		if j >= 0 {
			out[j], own[j] = entry, true
		} else {
			out, own = append(out, entry), append(own, true)
		}
	}
	kept := []any{}
	for i, v := range out {
		if slices.Contains(removed, textOf(v)) {
			continue
		}
		if !own[i] {
			if v = withoutPages(v, off); v == nil {
				continue
			}
		}
		kept = append(kept, v)
	}
	return kept, nil
}

// withoutPages returns a link of upstream's, or nil when it leads to a page under one
// of the paths off; a section keeps its other items, or is nil without any.
func withoutPages(v any, off []string) any {
	m, _ := v.(map[string]any)
	under := func(e map[string]any) bool {
		link, _ := e["link"].(string)
		return slices.ContainsFunc(off, func(p string) bool { return strings.HasPrefix(link, p) })
	}
	items, section := m["items"].([]any)
	if !section {
		if under(m) {
			return nil
		}
		return v
	}
	var kept []any
	for _, it := range items {
		if e, _ := it.(map[string]any); !under(e) {
			kept = append(kept, it)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	c := maps.Clone(m)
	c["items"] = kept
	return c
}

// linkEntry writes a link as the central dashboard reads it.
func linkEntry(at string, l model.KubeflowLink, menu bool) (map[string]any, error) {
	switch {
	case len(l.Items) > 0 && l.Link != "":
		return nil, fmt.Errorf("%s: a section (items) has no link of its own", at)
	case len(l.Items) == 0 && l.Link == "":
		return nil, fmt.Errorf("%s: link: the link's path or URL is not set", at)
	}
	e := map[string]any{"text": l.Text}
	if !menu {
		e["link"] = l.Link
		if l.Desc != "" {
			e["desc"] = l.Desc
		}
		return e, nil
	}
	e["type"] = "item"
	if l.Link != "" {
		e["link"] = l.Link
	}
	if l.Icon != "" {
		e["icon"] = l.Icon
	}
	if l.Iframe != nil {
		e["iframe"] = *l.Iframe
	}
	if len(l.Items) > 0 {
		e["type"] = "section"
		var items []any
		for _, it := range l.Items {
			items = append(items, map[string]any{"type": "item", "text": it.Text, "link": it.Link})
		}
		e["items"] = items
	}
	return e, nil
}
