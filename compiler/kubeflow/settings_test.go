package kubeflow

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// buildUnits plans an install of the settings and builds the named units of it.
func buildUnits(t *testing.T, k *model.Kubeflow, units ...string) map[string][]map[string]any {
	t.Helper()
	p, err := NewPlan(k, testSettings, Resolver(exampleRepo(), ""), noFetch)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]map[string]any{}
	for _, part := range p.Parts {
		if !slices.Contains(units, part.Name) {
			continue
		}
		b, err := Build(p.Source, part)
		if err != nil {
			t.Fatal(err)
		}
		out[part.Name] = b.Objects
	}
	return out
}

// object returns the object of a kind and name among objs, or fails.
func object(t *testing.T, objs []map[string]any, kind, name string) map[string]any {
	t.Helper()
	i := slices.IndexFunc(objs, func(o map[string]any) bool {
		return o["kind"] == kind && (meta(o, "name") == name || strings.HasPrefix(meta(o, "name"), name+"-") && kind == "ConfigMap")
	})
	if i < 0 {
		t.Fatalf("no %s %s", kind, name)
	}
	return objs[i]
}

func asYAML(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestIngressSettings: the hosts and TLS go into Kubeflow's gateway (HTTP redirected
// to HTTPS), oauth2-proxy's cookie is secure under TLS, and Knative serves under the
// serving domain; without the settings, the objects are upstream's.
func TestIngressSettings(t *testing.T) {
	dir := sharedManifests(t)
	units := []string{"istio-gateways", "oauth2-proxy", "knative-serving"}
	for _, tc := range []struct {
		name         string
		ingress      *model.KubeflowIngress
		servers      string
		forceHTTPS   string
		domainConfig map[string]any
	}{
		{"upstream", nil,
			"- hosts:\n  - '*'\n  port:\n    name: http\n    number: 80\n    protocol: HTTP\n",
			"false", map[string]any{"example.com": ""}},
		{"hosts", &model.KubeflowIngress{Hosts: []string{"kubeflow.example.org", "*.ml.example.org"}},
			"- hosts:\n  - kubeflow.example.org\n  - '*.ml.example.org'\n  port:\n    name: http\n    number: 80\n    protocol: HTTP\n",
			"false", map[string]any{"example.com": ""}},
		{"tls and serving domain", &model.KubeflowIngress{Hosts: []string{"kubeflow.example.org"}, ServingDomain: "serving.example.org",
			TLS: &model.KubeflowTLS{SecretName: "kubeflow-tls", Issuer: &model.KubeflowIssuer{Kind: "ClusterIssuer", Name: "letsencrypt"}}},
			"- hosts:\n  - kubeflow.example.org\n  port:\n    name: http\n    number: 80\n    protocol: HTTP\n  tls:\n    httpsRedirect: true\n" +
				"- hosts:\n  - kubeflow.example.org\n  port:\n    name: https\n    number: 443\n    protocol: HTTPS\n  tls:\n    credentialName: kubeflow-tls\n    mode: SIMPLE\n",
			"true", map[string]any{"serving.example.org": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := sharedSettings(dir)
			k.Ingress = tc.ingress
			built := buildUnits(t, k, units...)
			gw := object(t, built["istio-gateways"], "Gateway", "kubeflow-gateway")
			if got := asYAML(t, dig(gw, "spec", "servers")); got != tc.servers {
				t.Errorf("gateway servers:\n%s\nwant\n%s", got, tc.servers)
			}
			params := object(t, built["oauth2-proxy"], "ConfigMap", "oauth2-proxy-parameters")
			if got := dig(params, "data", "FORCE_HTTPS"); got != tc.forceHTTPS || dig(params, "data", "ENABLE_M2M_TOKENS") != "true" {
				t.Errorf("oauth2-proxy-parameters: %v, want FORCE_HTTPS=%s and upstream's other values", dig(params, "data"), tc.forceHTTPS)
			}
			// The Deployment reads the merged ConfigMap, under its new hashed name.
			deploy := asYAML(t, object(t, built["oauth2-proxy"], "Deployment", "oauth2-proxy"))
			if !strings.Contains(deploy, "name: "+meta(params, "name")+"\n") {
				t.Errorf("oauth2-proxy's Deployment does not name %s", meta(params, "name"))
			}
			// With an issuer, a Certificate of the hosts fills the gateway's Secret.
			i := slices.IndexFunc(built["istio-gateways"], func(o map[string]any) bool { return o["kind"] == "Certificate" })
			if want := tc.ingress != nil && tc.ingress.TLS != nil; (i >= 0) != want {
				t.Errorf("a Certificate: %v, want %v", i >= 0, want)
			} else if want {
				cert := asYAML(t, built["istio-gateways"][i])
				if want := "metadata:\n  name: kubeflow-tls\n  namespace: istio-system\nspec:\n  dnsNames:\n  - kubeflow.example.org\n  issuerRef:\n    group: cert-manager.io\n    kind: ClusterIssuer\n    name: letsencrypt\n  secretName: kubeflow-tls\n"; !strings.HasSuffix(cert, want) {
					t.Errorf("certificate:\n%s\nwant it to end with\n%s", cert, want)
				}
			}
			domain := dig(object(t, built["knative-serving"], "ConfigMap", "config-domain"), "data").(map[string]any)
			delete(domain, "_example")
			if !reflect.DeepEqual(domain, tc.domainConfig) {
				t.Errorf("config-domain data = %v, want %v", domain, tc.domainConfig)
			}
		})
	}
}

// dashboardLinksOf returns the links of the built central dashboard's configuration.
func dashboardLinksOf(t *testing.T, k *model.Kubeflow) map[string][]map[string]any {
	t.Helper()
	cm := object(t, buildUnits(t, k, "central-dashboard")["central-dashboard"], "ConfigMap", "centraldashboard-config")
	var links map[string][]map[string]any
	if err := json.Unmarshal([]byte(dig(cm, "data", "links").(string)), &links); err != nil {
		t.Fatal(err)
	}
	if dig(cm, "data", "settings") == nil {
		t.Error("the dashboard's settings were lost")
	}
	return links
}

func texts(links []map[string]any) []string {
	var out []string
	for _, l := range links {
		out = append(out, l["text"].(string))
	}
	return out
}

// TestDashboardLinks: the platform's links are merged into upstream's: a link of the
// same text replaces upstream's in place, remove drops one, and the others follow.
func TestDashboardLinks(t *testing.T) {
	dir := sharedManifests(t)
	t.Parallel()
	k := sharedSettings(dir)
	upstream := dashboardLinksOf(t, k)
	yes := true
	k.Dashboard = &model.KubeflowDashboard{
		MenuLinks: []model.KubeflowLink{
			{Text: "Katib Experiments", Remove: true},
			{Text: "Volumes", Link: "/volumes/", Icon: "device:storage"},
			{Text: "Monitoring", Icon: "timeline", Items: []model.KubeflowLink{{Text: "Grafana", Link: "/grafana/"}}},
		},
		ExternalLinks:      []model.KubeflowLink{{Text: "Runbook", Link: "https://wiki.example.org/ml", Icon: "launch", Iframe: &yes}},
		DocumentationItems: []model.KubeflowLink{{Text: "Team guide", Link: "https://wiki.example.org/ml/guide", Desc: "How the team runs Kubeflow"}},
	}
	got := dashboardLinksOf(t, k)
	wantMenu := []string{"Notebooks", "TensorBoards", "Volumes", "KServe Endpoints", "Pipelines", "Monitoring"}
	if !slices.Equal(texts(got["menuLinks"]), wantMenu) {
		t.Errorf("menu = %v, want %v", texts(got["menuLinks"]), wantMenu)
	}
	if m := got["menuLinks"][5]; m["type"] != "section" || m["icon"] != "timeline" || asYAML(t, m["items"]) != "- link: /grafana/\n  text: Grafana\n  type: item\n" {
		t.Errorf("section: %v", m)
	}
	if e := got["externalLinks"]; len(e) != 1 || e[0]["link"] != "https://wiki.example.org/ml" || e[0]["iframe"] != true || e[0]["type"] != "item" {
		t.Errorf("external links: %v", e)
	}
	docs := texts(got["documentationItems"])
	if len(docs) != len(upstream["documentationItems"])+1 || docs[len(docs)-1] != "Team guide" {
		t.Errorf("documentation items: %v", docs)
	}
	if !reflect.DeepEqual(got["quickLinks"], upstream["quickLinks"]) {
		t.Errorf("quick links changed: %v", got["quickLinks"])
	}
}

// TestSettingErrors: named settings that cannot apply are errors naming their field.
func TestSettingErrors(t *testing.T) {
	dir := sharedManifests(t)
	for _, tc := range []struct {
		name string
		set  func(k *model.Kubeflow)
		want string
	}{
		{"istio off", func(k *model.Kubeflow) {
			k.Components = map[string]bool{"istio": false}
			k.Ingress = &model.KubeflowIngress{Hosts: []string{"kubeflow.example.org"}}
		}, "kubeflow.ingress: the setting configures istio-gateways, whose component istio is off"},
		{"host twice", func(k *model.Kubeflow) {
			k.Ingress = &model.KubeflowIngress{Hosts: []string{"a.example.org", "a.example.org"}}
		}, `kubeflow.ingress.hosts[1]: "a.example.org" is listed twice`},
		{"certificate without cert-manager", func(k *model.Kubeflow) {
			k.Components = map[string]bool{"certManager": false}
			k.Ingress = &model.KubeflowIngress{Hosts: []string{"a.example.org"}, TLS: &model.KubeflowTLS{SecretName: "tls", Issuer: &model.KubeflowIssuer{Kind: "ClusterIssuer", Name: "le"}}}
		}, "kubeflow.ingress.tls.issuer: mlc asks cert-manager for the certificate, and the component certManager is off"},
		{"certificate without hosts", func(k *model.Kubeflow) {
			k.Ingress = &model.KubeflowIngress{TLS: &model.KubeflowTLS{SecretName: "tls", Issuer: &model.KubeflowIssuer{Kind: "ClusterIssuer", Name: "le"}}}
		}, `kubeflow.ingress.tls.issuer: a certificate is for host names: set kubeflow.ingress.hosts, without "*"`},
		{"gateway service without istio", func(k *model.Kubeflow) {
			k.Components = map[string]bool{"istio": false}
			k.Ingress = &model.KubeflowIngress{ServiceType: "NodePort"}
		}, "kubeflow.ingress: the setting configures istio, whose component istio is off"},
		{"knative off", func(k *model.Kubeflow) {
			k.Components = map[string]bool{"knative": false}
			k.Ingress = &model.KubeflowIngress{ServingDomain: "serving.example.org"}
		}, "kubeflow.ingress.servingDomain: the setting configures knative-serving, whose component knative is off"},
		{"dashboard off", func(k *model.Kubeflow) {
			k.Components = map[string]bool{"centralDashboard": false}
			k.Dashboard = &model.KubeflowDashboard{QuickLinks: []model.KubeflowLink{{Text: "x", Link: "/x/"}}}
		}, "kubeflow.dashboard: the setting configures central-dashboard, whose component centralDashboard is off"},
		{"remove unknown", func(k *model.Kubeflow) {
			k.Dashboard = &model.KubeflowDashboard{QuickLinks: []model.KubeflowLink{{Text: "Upload a pipeline", Remove: true}}}
		}, `kubeflow.dashboard.quickLinks[0]: remove: upstream's quickLinks has no link with the text "Upload a pipeline"; it has ["Create a new Notebook", "Upload a Pipeline", "View Pipeline Runs"]`},
		{"link twice", func(k *model.Kubeflow) {
			k.Dashboard = &model.KubeflowDashboard{MenuLinks: []model.KubeflowLink{{Text: "A", Link: "/a/"}, {Text: "A", Link: "/b/"}}}
		}, `kubeflow.dashboard.menuLinks[1]: a second link with the text "A"`},
		{"no link", func(k *model.Kubeflow) {
			k.Dashboard = &model.KubeflowDashboard{ExternalLinks: []model.KubeflowLink{{Text: "A"}}}
		}, "kubeflow.dashboard.externalLinks[0]: link: the link's path or URL is not set"},
		{"section with link", func(k *model.Kubeflow) {
			k.Dashboard = &model.KubeflowDashboard{MenuLinks: []model.KubeflowLink{{Text: "A", Link: "/a/", Items: []model.KubeflowLink{{Text: "B", Link: "/b/"}}}}}
		}, "kubeflow.dashboard.menuLinks[0]: a section (items) has no link of its own"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := sharedSettings(dir)
			tc.set(k)
			if _, err := NewPlan(k, testSettings, Resolver(exampleRepo(), ""), noFetch); err == nil || err.Error() != tc.want {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestDashboardLinksOfComponentsOff: upstream's links to the pages of a component that
// is off are dropped (a section with its items), the platform's own links are kept, and
// each page path of the catalog is one upstream's links use.
func TestDashboardLinksOfComponentsOff(t *testing.T) {
	dir := sharedManifests(t)
	t.Parallel()
	upstream := dashboardLinksOf(t, sharedSettings(dir))
	menu := asYAML(t, upstream["menuLinks"])
	for c, path := range v1_11_0.DashboardPages {
		if !strings.Contains(menu, "link: "+path) {
			t.Errorf("no menu link of upstream's leads to %s's pages under %s", c, path)
		}
	}
	k := sharedSettings(dir)
	k.Components = map[string]bool{"katib": false, "pipelines": false}
	k.Dashboard = &model.KubeflowDashboard{MenuLinks: []model.KubeflowLink{{Text: "Katib Experiments", Remove: true}, {Text: "Runs", Link: "/pipeline/#/runs"}}}
	got := dashboardLinksOf(t, k)
	if want := []string{"Notebooks", "TensorBoards", "Volumes", "KServe Endpoints", "Runs"}; !slices.Equal(texts(got["menuLinks"]), want) {
		t.Errorf("menu = %v, want %v", texts(got["menuLinks"]), want)
	}
	if want := []string{"Create a new Notebook"}; !slices.Equal(texts(got["quickLinks"]), want) {
		t.Errorf("quick links = %v, want %v", texts(got["quickLinks"]), want)
	}
	if got["externalLinks"] == nil || len(got["documentationItems"]) != len(upstream["documentationItems"]) {
		t.Errorf("other lists changed: %v", got)
	}
}

// TestGatewayService: the gateway's Service gets the type and annotations of the
// ingress setting, and keeps upstream's ports; without them it is upstream's ClusterIP.
func TestGatewayService(t *testing.T) {
	dir := sharedManifests(t)
	for _, tc := range []struct {
		name, typ, annotation string
		ingress               *model.KubeflowIngress
	}{
		{"upstream", "ClusterIP", "", nil},
		{"load balancer", "LoadBalancer", "internal", &model.KubeflowIngress{ServiceType: "LoadBalancer",
			ServiceAnnotations: map[string]string{"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := sharedSettings(dir)
			k.Ingress = tc.ingress
			svc := object(t, buildUnits(t, k, "istio")["istio"], "Service", "istio-ingressgateway")
			if got := dig(svc, "spec", "type"); got != tc.typ {
				t.Errorf("type %v, want %s", got, tc.typ)
			}
			got, _ := dig(svc, "metadata", "annotations", "service.beta.kubernetes.io/aws-load-balancer-scheme").(string)
			if got != tc.annotation {
				t.Errorf("annotation %q, want %q", got, tc.annotation)
			}
			if ports := asYAML(t, dig(svc, "spec", "ports")); !strings.Contains(ports, "port: 443\n") || !strings.Contains(ports, "port: 80\n") {
				t.Errorf("ports:\n%s", ports)
			}
		})
	}
}
