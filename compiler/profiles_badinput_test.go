package compiler_test

import (
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
)

// TestBadProfilesInput is the bad-input corpus of GPU preferences, Profile plugins,
// group contributors and PodDefaults: each mistake is reported at its file, line and
// field, and nothing is rendered.
func TestBadProfilesInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		changes map[string]string
		// pos, path and message (all of it) of the one error expected.
		pos, path, message string
	}{
		{
			name: "GPU types no cluster running the tenant has",
			changes: map[string]string{
				"platform.cue": gpuPlatform + "defaults: gpuTypes: h100: vendor: \"nvidia\"\n",
				nb:             "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tresources: {gpu: 1, gpuType: [\"h100\", \"mi300\"]}\n}\n",
			},
			pos: nb + ":5:22", path: "notebooks.dev.resources.gpuType",
			message: "cluster us, which runs this tenant, has none of the GPU types h100, mi300 (its gpuTypes: a100)",
		},
		{
			name:    "a sidecar image from a registry the policy does not allow",
			changes: map[string]string{nb: podDefaultWith(`sidecars: [{name: "proxy", image: "quay.io/acme/proxy:1"}]`)},
			pos:     nb + ":5:36", path: "podDefaults.cache.sidecars[0].image",
			message: `image "quay.io/acme/proxy:1" is not from an allowed registry (policy.allowedRegistries: ghcr.io/kubeflow/, ghcr.io/acme/)`,
		},
		{
			name:    "an init container mounting a volume the PodDefault lacks",
			changes: map[string]string{nb: podDefaultWith(`initContainers: [{name: "warm", image: "ghcr.io/acme/warm:1", volumeMounts: scratch: mountPath: "/s"}]`)},
			pos:     nb + ":5:78", path: "podDefaults.cache.initContainers[0].volumeMounts.scratch",
			message: "no volume scratch in this PodDefault's volumes or secretVolumes",
		},
		{
			name:    "a PodDefault volume with two sources",
			changes: map[string]string{nb: podDefaultWith(`volumes: scratch: {emptyDir: {}, claim: "data", mountPath: "/s"}`)},
			pos:     nb + ":5:11", path: "podDefaults.cache.volumes.scratch",
			message: "set one source: claim, secret, configMap, emptyDir or volume (got 2)",
		},
		{
			name:    "a pod field Kubernetes does not pass to containers",
			changes: map[string]string{nb: podDefaultWith(`sidecars: [{name: "proxy", image: "ghcr.io/acme/proxy:1", env: NODE: field: "spec.hostname"}]`)},
			pos:     nb + ":5:78", path: "podDefaults.cache.sidecars[0].env.NODE.field",
			message: `"spec.hostname" is not a field Kubernetes passes to a container: metadata.name, metadata.namespace, metadata.uid, metadata.labels['<key>'], metadata.annotations['<key>'], spec.nodeName, spec.serviceAccountName, status.hostIP, status.hostIPs, status.podIP or status.podIPs`,
		},
		{
			name: "an AWS IAM role the policy does not allow the tenant",
			changes: map[string]string{
				"platform.cue": baseRepo["platform.cue"] + "policy: profilePlugins: awsIamRoles: [\"arn:aws:iam::123456789012:role/kf-{tenant}\"]\n",
				tenantCue:      tenantWith(`plugins: awsIamForServiceAccount: {awsIamRole: "arn:aws:iam::123456789012:role/kf-admin", annotateOnly: true}`),
			},
			pos: tenantCue + ":5:49", path: "tenant.plugins.awsIamForServiceAccount.awsIamRole",
			message: "AWS IAM role arn:aws:iam::123456789012:role/kf-admin is not one the platform allows tenant team-a (policy.profilePlugins.awsIamRoles: arn:aws:iam::123456789012:role/kf-{tenant})",
		},
		{
			name:    "a Google service account on a platform that allows none",
			changes: map[string]string{tenantCue: tenantWith(`plugins: workloadIdentity: gcpServiceAccount: "kf@p.iam.gserviceaccount.com"`)},
			pos:     tenantCue + ":5:48", path: "tenant.plugins.workloadIdentity.gcpServiceAccount",
			message: "the platform allows tenants no Google service account (policy.profilePlugins.gcpServiceAccounts is empty)",
		},
		{
			name: "an AWS role whose trust policy the controller would change",
			changes: map[string]string{
				"platform.cue": baseRepo["platform.cue"] + "policy: profilePlugins: awsIamRoles: [\"arn:aws:iam::123456789012:role/kf-{tenant}\"]\n",
				tenantCue:      tenantWith(`plugins: awsIamForServiceAccount: awsIamRole: "arn:aws:iam::123456789012:role/kf-team-a"`),
			},
			pos: tenantCue + ":5:11", path: "tenant.plugins.awsIamForServiceAccount",
			message: "without annotateOnly: true the profile controller changes the role's trust policy in AWS IAM, which the platform does not allow (policy.profilePlugins.awsTrustPolicyChanges is false): set annotateOnly: true and have the platform trust system:serviceaccount:team-a:default-editor",
		},
		{
			name:    "a contributor group the groups header cannot carry",
			changes: map[string]string{tenantCue: tenantWith(`contributorGroups: "ml,research": "view"`)},
			pos:     tenantCue + ":5:36", path: `tenant.contributorGroups."ml,research"`,
			message: `group "ml,research" cannot be matched in the groups header, which lists a user's groups comma-separated: name it without ',' or '*'`,
		},
		{
			name:    "a sidecar named like the notebook's container",
			changes: map[string]string{nb: podDefaultWith(`sidecars: [{name: "dev", image: "ghcr.io/acme/proxy:1"}]`)},
			pos:     nb + ":10:16", path: "notebooks.dev.podDefaults[0]",
			message: "PodDefault cache injects a container dev, a name the notebook's own container has already: the API server refuses the pod; rename one",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := compiler.Compile(t.Context(), writeRepo(t, tc.changes), compiler.Options{NoCache: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Clusters) != 0 || len(res.Diagnostics) != 1 {
				t.Fatalf("want one error and nothing compiled; got %d clusters and:\n%s", len(res.Clusters), res.Diagnostics.Error())
			}
			d := res.Diagnostics[0]
			if d.Pos.String() != tc.pos || d.Path != tc.path || d.Message != tc.message {
				t.Errorf("got %s: %s: %s\nwant %s: %s: %s", d.Pos, d.Path, d.Message, tc.pos, tc.path, tc.message)
			}
		})
	}
}

// podDefaultWith is the base repository's notebook file with a PodDefault cache, whose
// fifth line is body, selected by the notebook.
func podDefaultWith(body string) string {
	return "package ml\n\npodDefaults: cache: {\n\tdescription: \"Cache\"\n\t" + body + "\n}\n" +
		"notebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tresources: {cpu: 2, memory: \"4Gi\"}\n\tpodDefaults: [\"cache\"]\n}\n"
}

// TestSidecarsCountTowardQuota: the containers a notebook's PodDefault injects are
// charged to the notebook: here a sidecar's CPU (and the default memory of the
// namespace's LimitRange for the init container that requests none, less than the
// notebook's own) takes the tenant over its CPU quota, where the notebook alone fits.
func TestSidecarsCountTowardQuota(t *testing.T) {
	t.Parallel()
	for sidecarCPU, over := range map[string]bool{"6": false, "7": true} {
		body := `sidecars: [{name: "proxy", image: "ghcr.io/acme/proxy:1", resources: cpu: ` + sidecarCPU + `}], initContainers: [{name: "warm", image: "ghcr.io/acme/warm:1"}]`
		res, err := compiler.Compile(t.Context(), writeRepo(t, map[string]string{nb: podDefaultWith(body)}), compiler.Options{NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		if over != res.Diagnostics.HasErrors() {
			t.Errorf("a sidecar of %s CPUs beside a notebook of 2, under a quota of 8: errors %v, want %v:\n%s", sidecarCPU, res.Diagnostics.HasErrors(), over, res.Diagnostics.Error())
			continue
		}
		if over && !strings.Contains(res.Diagnostics.Error(), "requests 9 CPU") {
			t.Errorf("want the CPU quota overrun counting the notebook's pod at 9 CPUs; got:\n%s", res.Diagnostics.Error())
		}
		if over {
			continue
		}
		// The init container that requests nothing is written with the namespace's
		// default requests (and no limits, as the platform sets no default limits),
		// which the quota needs whatever order admission runs in.
		for _, o := range res.Clusters[0].Tenants[0].Workloads {
			if o.Kind() != "PodDefault" {
				continue
			}
			tree, err := o.Tree()
			if err != nil {
				t.Fatal(err)
			}
			init := tree["spec"].(map[string]any)["initContainers"].([]any)[0].(map[string]any)
			want := map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "128Mi"}}
			for _, d := range fieldDiffs("initContainers[0].resources", want, init["resources"]) {
				t.Error(d)
			}
		}
	}
}

// tenantWith is the base repository's tenant file with line, a field of the tenant,
// as its fifth line.
func tenantWith(line string) string {
	return strings.Replace(baseRepo[tenantCue], "\tquota:", "\t"+line+"\n\tquota:", 1)
}

// TestProfilePluginsAndGroups compiles a tenant with both Profile plugins and a
// contributor group, and reads the Profile's plugins, the group's RoleBinding and its
// AuthorizationPolicy back as the profile controller, KFAM and Istio read them.
func TestProfilePluginsAndGroups(t *testing.T) {
	t.Parallel()
	platform := baseRepo["platform.cue"] + `policy: profilePlugins: {
	awsIamRoles: ["arn:aws:iam::123456789012:role/kf-{tenant}"]
	gcpServiceAccounts: ["kf-{tenant}@ml-prod.iam.gserviceaccount.com"]
}
`
	tenant := tenantWith(`plugins: {
		awsIamForServiceAccount: {awsIamRole: "arn:aws:iam::123456789012:role/kf-team-a", annotateOnly: true}
		workloadIdentity: gcpServiceAccount: "kf-team-a@ml-prod.iam.gserviceaccount.com"
	}
	contributorGroups: "ml-research": "edit"`)
	res, err := compiler.Compile(t.Context(), writeRepo(t, map[string]string{"platform.cue": platform, tenantCue: tenant}), compiler.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		t.Fatal(res.Diagnostics.Error())
	}
	got := map[string]map[string]any{}
	for _, o := range res.Clusters[0].Tenants[0].Platform {
		tree, err := o.Tree()
		if err != nil {
			t.Fatal(err)
		}
		got[o.Kind()+"/"+o.Name()] = tree
	}
	const binding = "group-ml-research-clusterrole-edit"
	want := map[string]map[string]any{
		"Profile/team-a": {"spec": map[string]any{"plugins": []any{
			map[string]any{"kind": "AwsIamForServiceAccount", "spec": map[string]any{"awsIamRole": "arn:aws:iam::123456789012:role/kf-team-a", "annotateOnly": true}},
			map[string]any{"kind": "WorkloadIdentity", "spec": map[string]any{"gcpServiceAccount": "kf-team-a@ml-prod.iam.gserviceaccount.com"}},
		}}},
		"RoleBinding/" + binding: {
			"metadata": map[string]any{"annotations": map[string]any{"user": "ml-research", "role": "edit"}},
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kubeflow-edit"},
			"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "ml-research"}},
		},
		"AuthorizationPolicy/" + binding: {"spec": map[string]any{"rules": []any{map[string]any{
			"from": []any{map[string]any{"source": map[string]any{"principals": []any{
				"cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account", "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"}}}},
			"when": []any{map[string]any{"key": "request.headers[kubeflow-groups]", "values": []any{"ml-research", "ml-research,*", "*,ml-research"}}},
		}}}},
	}
	for id, fields := range want {
		obj, ok := got[id]
		if !ok {
			t.Errorf("no %s compiled", id)
			continue
		}
		for field, w := range fields {
			g := obj[field]
			if field == "metadata" {
				g = map[string]any{"annotations": obj["metadata"].(map[string]any)["annotations"]}
			}
			if field == "spec" && id == "Profile/team-a" {
				g = map[string]any{"plugins": obj["spec"].(map[string]any)["plugins"]}
			}
			for _, d := range fieldDiffs(id+"."+field, w, g) {
				t.Error(d)
			}
		}
	}
}
