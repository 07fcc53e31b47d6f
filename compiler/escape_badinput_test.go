package compiler_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
)

const (
	rawObjectsCue = "tenants/team-a/objects.cue"
	patchesCue    = "tenants/team-a/patches.cue"
)

// escapePlatform is the base repository's platform, whose policy lets tenants declare
// NetworkPolicies, Roles and RoleBindings, a cluster-scoped kind and a kind no cluster
// serves.
const escapePlatform = `package ml

clusters: prod: {}
defaults: gpuTypes: a100: vendor: "nvidia"
defaults: gpuType: "a100"
policy: allowedRegistries: ["ghcr.io/kubeflow/", "ghcr.io/acme/"]
policy: limits: notebook: gpu: 2
policy: objects: allowedKinds: [
	"NetworkPolicy.networking.k8s.io",
	"Role.rbac.authorization.k8s.io",
	"RoleBinding.rbac.authorization.k8s.io",
	"ClusterRole.rbac.authorization.k8s.io",
	"Widget.example.com",
	"ConfigMap",
]
`

// TestEscapeHatchBadInput is the corpus of raw objects and patches that would reach
// out of the tenant, or that cannot be applied: each is refused at its line, naming
// the field, and nothing is rendered.
func TestEscapeHatchBadInput(t *testing.T) {
	t.Parallel()
	object := func(body string) map[string]string {
		return map[string]string{"platform.cue": escapePlatform, rawObjectsCue: "package ml\n\n" + body}
	}
	patch := func(body string) map[string]string {
		return map[string]string{"platform.cue": escapePlatform, patchesCue: "package ml\n\n" + body}
	}
	cases := []struct {
		name    string
		changes map[string]string
		pos     string
		path    string
		message string
	}{
		{
			name:    "a kind the policy does not list",
			changes: object("objects: Deployment: web: {\n\tapiVersion: \"apps/v1\"\n\tspec: {}\n}\n"),
			pos:     rawObjectsCue + ":4:14", path: "objects.Deployment.web.apiVersion",
			message: "Deployment.apps is not a kind tenants may declare: the platform's policy.objects.allowedKinds lists NetworkPolicy.networking.k8s.io, ",
		},
		{
			name:    "no kinds by default",
			changes: map[string]string{rawObjectsCue: "package ml\n\nobjects: NetworkPolicy: deny: {\n\tapiVersion: \"networking.k8s.io/v1\"\n\tspec: podSelector: {}\n}\n"},
			pos:     rawObjectsCue + ":4:14", path: "objects.NetworkPolicy.deny.apiVersion",
			message: "allowedKinds lists none",
		},
		{
			name:    "another namespace",
			changes: object("objects: NetworkPolicy: deny: {\n\tapiVersion: \"networking.k8s.io/v1\"\n\tmetadata: namespace: \"team-b\"\n\tspec: podSelector: {}\n}\n"),
			pos:     rawObjectsCue + ":5:23", path: "objects.NetworkPolicy.deny.metadata.namespace",
			message: `names namespace "team-b": a tenant's objects live in, and name, its namespace team-a only`,
		},
		{
			name:    "cluster-scoped",
			changes: object("objects: ClusterRole: reader: {\n\tapiVersion: \"rbac.authorization.k8s.io/v1\"\n\trules: []\n}\n"),
			pos:     rawObjectsCue + ":3:23", path: "objects.ClusterRole.reader",
			message: "ClusterRole is cluster-scoped: a tenant declares objects of its namespace only",
		},
		{
			name:    "a kind the cluster does not serve",
			changes: object("objects: Widget: w: {\n\tapiVersion: \"example.com/v1\"\n\tspec: size: 3\n}\n"),
			pos:     rawObjectsCue + ":3:18", path: "objects.Widget.w",
			message: "cluster prod does not serve example.com/v1 Widget",
		},
		{
			name:    "a Secret",
			changes: object("objects: Secret: creds: {\n\tapiVersion: \"v1\"\n\tstringData: password: \"hunter2\"\n}\n"),
			pos:     rawObjectsCue + ":3:18", path: "objects.Secret.creds",
			message: "a tenant may not declare a Secret: a Secret written in the repository is plain text",
		},
		{
			name:    "a Flux Kustomization",
			changes: object("objects: Kustomization: mine: {\n\tapiVersion: \"kustomize.toolkit.fluxcd.io/v1\"\n\tspec: path: \"./\"\n}\n"),
			pos:     rawObjectsCue + ":3:25", path: "objects.Kustomization.mine",
			message: "Flux's objects are the platform's",
		},
		{
			name:    "a ResourceQuota",
			changes: object("objects: ResourceQuota: more: {\n\tapiVersion: \"v1\"\n\tspec: hard: cpu: \"1000\"\n}\n"),
			pos:     rawObjectsCue + ":3:25", path: "objects.ResourceQuota.more",
			message: "the namespace's quota is the platform's",
		},
		{
			name: "a binding of a subject in another namespace",
			changes: object("objects: RoleBinding: peek: {\n\tapiVersion: \"rbac.authorization.k8s.io/v1\"\n" +
				"\troleRef: {apiGroup: \"rbac.authorization.k8s.io\", kind: \"ClusterRole\", name: \"kubeflow-view\"}\n" +
				"\tsubjects: [{kind: \"ServiceAccount\", name: \"default\", namespace: \"team-b\"}]\n}\n"),
			pos: rawObjectsCue + ":6:55", path: "objects.RoleBinding.peek.subjects[0].namespace",
			message: `names namespace "team-b"`,
		},
		{
			name: "a binding to cluster-admin",
			changes: object("objects: RoleBinding: root: {\n\tapiVersion: \"rbac.authorization.k8s.io/v1\"\n" +
				"\troleRef: {apiGroup: \"rbac.authorization.k8s.io\", kind: \"ClusterRole\", name: \"cluster-admin\"}\n" +
				"\tsubjects: [{kind: \"User\", name: \"mallory@example.com\"}]\n}\n"),
			pos: rawObjectsCue + ":5:72", path: "objects.RoleBinding.root.roleRef.name",
			message: "ClusterRole cluster-admin grants more than a tenant may give",
		},
		{
			name:    "a role that grants everything",
			changes: object("objects: Role: all: {\n\tapiVersion: \"rbac.authorization.k8s.io/v1\"\n\trules: [{apiGroups: [\"\"], resources: [\"pods\"], verbs: [\"*\"]}]\n}\n"),
			pos:     rawObjectsCue + ":5:57", path: "objects.Role.all.rules[0].verbs[0]",
			message: `"*" grants everything`,
		},
		{
			name: "the reconciler's own binding",
			changes: object("objects: RoleBinding: \"mlc-reconciler\": {\n\tapiVersion: \"rbac.authorization.k8s.io/v1\"\n" +
				"\troleRef: {apiGroup: \"rbac.authorization.k8s.io\", kind: \"ClusterRole\", name: \"kubeflow-view\"}\n" +
				"\tsubjects: [{kind: \"User\", name: \"bob@example.com\"}]\n}\n"),
			pos: rawObjectsCue + ":3:23", path: `objects.RoleBinding."mlc-reconciler"`,
			message: "RoleBinding mlc-reconciler is an object mlc writes for the tenant",
		},
		{
			name:    "an object the API server would reject",
			changes: object("objects: NetworkPolicy: deny: {\n\tapiVersion: \"networking.k8s.io/v1\"\n\tspec: {podSelector: {}, policyTypes: [\"Sideways\"]}\n}\n"),
			pos:     rawObjectsCue + ":3:25", path: "objects.NetworkPolicy.deny",
			message: `the compiled NetworkPolicy deny would be rejected by the API server: spec.policyTypes[0]: Unsupported value: "Sideways"`,
		},
		{
			name:    "a token in a raw object",
			changes: object("objects: ConfigMap: hub: {\n\tapiVersion: \"v1\"\n\tdata: HUB: \"hf_abcdefghijklmnopqrstuvwxyzABCDEFGH\"\n}\n"),
			pos:     rawObjectsCue + ":5:8", path: "objects.ConfigMap.hub.data.HUB",
			message: "holds what looks like a Hugging Face token",
		},
		{
			name:    "a name that is no DNS subdomain",
			changes: object("objects: Role: \"a:b\": {\n\tapiVersion: \"rbac.authorization.k8s.io/v1\"\n\trules: []\n}\n"),
			pos:     rawObjectsCue + ":3:16", path: `objects.Role."a:b"`,
			message: `"a:b" is not a valid object name`,
		},
		{
			name:    "a policy that allows a kind mlc never allows",
			changes: map[string]string{"platform.cue": baseRepo["platform.cue"] + "policy: objects: allowedKinds: [\"Kustomization.kustomize.toolkit.fluxcd.io\"]\n"},
			pos:     "platform.cue:8:33", path: "policy.objects.allowedKinds[0]",
			message: "mlc never lets tenants declare a Kustomization.kustomize.toolkit.fluxcd.io: Flux's objects are the platform's",
		},
		{
			name:    "a patch that matches nothing",
			changes: patch("patches: gpu: {\n\ttarget: kind: \"TrainJob\"\n\tpatch: \"- {op: add, path: /metadata/labels/a, value: b}\"\n}\n"),
			pos:     patchesCue + ":3:10", path: "patches.gpu",
			message: "the patch matches no object (kind TrainJob)",
		},
		{
			name:    "a patch on the Profile",
			changes: patch("patches: owner: patch: \"\"\"\n\tapiVersion: kubeflow.org/v1\n\tkind: Profile\n\tmetadata: {name: team-a}\n\tspec: {owner: {kind: User, name: mallory@example.com}}\n\t\"\"\"\n"),
			pos:     patchesCue + ":3:10", path: "patches.owner",
			message: "matches no object (group kubeflow.org, version v1, kind Profile, name team-a): a tenant's patches apply to its workloads; its Profile is the platform's",
		},
		{
			name:    "a patch that deletes the LimitRange",
			changes: patch("patches: free: patch: \"\"\"\n\t$patch: delete\n\tapiVersion: v1\n\tkind: LimitRange\n\tmetadata: {name: mlc-container-defaults}\n\t\"\"\"\n"),
			pos:     patchesCue + ":3:10", path: "patches.free",
			message: "its LimitRange is the platform's",
		},
		{
			name:    "a patch on the tenant's Flux Kustomization",
			changes: patch("patches: wiring: {\n\ttarget: {kind: \"Kustomization\", name: \"mlc-tenant\"}\n\tpatch: \"- {op: replace, path: /spec/serviceAccountName, value: default}\"\n}\n"),
			pos:     patchesCue + ":3:10", path: "patches.wiring",
			message: "matches no object (kind Kustomization, name mlc-tenant): a tenant's patches apply to its workloads; its Kustomization is the platform's",
		},
		{
			name:    "a patch on the reconciler's binding",
			changes: patch("patches: rb: {\n\ttarget: {kind: \"RoleBinding\", name: \"mlc-reconciler\"}\n\tpatch: \"- {op: replace, path: /roleRef/name, value: cluster-admin}\"\n}\n"),
			pos:     patchesCue + ":3:10", path: "patches.rb",
			message: "its RoleBinding is the platform's",
		},
		{
			name:    "a patch that deletes a workload",
			changes: patch("patches: gone: patch: \"\"\"\n\t$patch: delete\n\tapiVersion: v1\n\tkind: PersistentVolumeClaim\n\tmetadata: {name: dev-workspace}\n\t\"\"\"\n"),
			pos:     patchesCue + ":3:10", path: "patches.gone",
			message: "the patch removes /PersistentVolumeClaim/team-a/dev-workspace: a patch may change objects, not delete them",
		},
		{
			name:    "a patch that moves a notebook to another namespace",
			changes: patch("patches: move: {\n\ttarget: {kind: \"Notebook\", name: \"dev\"}\n\tpatch: \"- {op: replace, path: /metadata/namespace, value: kube-system}\"\n}\n"),
			pos:     patchesCue + ":3:10", path: "patches.move",
			message: "the patch turns kubeflow.org/Notebook/team-a/dev into kubeflow.org/Notebook/kube-system/dev",
		},
		{
			name:    "a patch that turns a notebook into a RoleBinding",
			changes: patch("patches: rekind: {\n\ttarget: {kind: \"Notebook\", name: \"dev\"}\n\tpatch: \"- {op: replace, path: /kind, value: RoleBinding}\"\n}\n"),
			pos:     patchesCue + ":3:10", path: "patches.rekind",
			message: "a patch may change objects, not their kind, name or namespace",
		},
		{
			name: "a patch that mounts the node's files",
			changes: patch("patches: host: {\n\ttarget: {kind: \"Notebook\", name: \"dev\"}\n" +
				"\tpatch: \"- {op: add, path: /spec/template/spec/volumes, value: [{name: root, hostPath: {path: /}}]}\"\n}\n"),
			pos: patchesCue + ":3:10", path: "patches.host",
			message: "the patch makes Notebook dev's spec.template.spec.volumes[0].hostPath: a hostPath volume reads the node's files",
		},
		{
			name: "a patch that runs a notebook as the reconciler",
			changes: patch("patches: sa: {\n\ttarget: {kind: \"Notebook\", name: \"dev\"}\n" +
				"\tpatch: \"- {op: replace, path: /spec/template/spec/serviceAccountName, value: mlc-reconciler}\"\n}\n"),
			pos: patchesCue + ":3:10", path: "patches.sa",
			message: "mlc-reconciler is the account Flux applies the tenant's artifact as: a pod may not run as it",
		},
		{
			name: "a patch that makes an object the API server would reject",
			changes: patch("patches: typo: {\n\ttarget: {kind: \"Notebook\", name: \"dev\"}\n" +
				"\tpatch: \"- {op: add, path: /spec/replicas, value: 2}\"\n}\n"),
			pos: patchesCue + ":3:10", path: "patches.typo",
			message: "the compiled Notebook dev would be rejected by the API server: spec.replicas: unknown field",
		},
		{
			name:    "a patch for a cluster that does not run the tenant",
			changes: patch("patches: x: {\n\tclusters: [\"staging\"]\n\ttarget: kind: \"Notebook\"\n\tpatch: \"- {op: add, path: /metadata/labels/a, value: b}\"\n}\n"),
			pos:     patchesCue + ":4:13", path: `patches.x.clusters[0]`,
			message: `cluster "staging" does not run tenant team-a (it runs on prod)`,
		},
		{
			name:    "a JSON patch without a target",
			changes: patch("patches: x: patch: \"- {op: add, path: /metadata/labels/a, value: b}\"\n"),
			pos:     patchesCue + ":3:10", path: "patches.x",
			message: "a JSON 6902 patch needs a target",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeRepo(t, tc.changes)
			res, err := compiler.Compile(context.Background(), dir, compiler.Options{NoCache: true})
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			requireRefused(t, res, tc.pos, tc.path, tc.message)
		})
	}
}

// TestChangedPatchRendersAgain: a tenant's patches are among its files, so the cache of
// compiled tenants misses when one changes, and the render shows the new patch.
func TestChangedPatchRendersAgain(t *testing.T) {
	t.Parallel()
	repo := copyDir(t, filepath.Join("..", "examples", "quickstart"))
	file := filepath.Join(repo, "tenants", "vision", "rawobjects.cue")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cached := compiler.Options{CacheDir: t.TempDir()}
	before, _ := rendered(t, repo, cached)
	if !strings.Contains(before, "example.com/cost-center: vision-fraud") {
		t.Fatal("the quickstart's patch is not in its render")
	}
	changed := strings.Replace(string(src), "example.com/cost-center: vision-fraud", "example.com/cost-center: vision-research", 1)
	if changed == string(src) {
		t.Fatal("the quickstart's patch changed its text")
	}
	if err := os.WriteFile(file, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	after, res := rendered(t, repo, cached)
	if res.Stats.Evaluated != 1 {
		t.Errorf("%d tenants evaluated after the patch changed, want 1", res.Stats.Evaluated)
	}
	if !strings.Contains(after, "example.com/cost-center: vision-research") || strings.Contains(after, "vision-fraud") {
		t.Error("the render after the change does not show the changed patch")
	}
	if cold, _ := rendered(t, repo, compiler.Options{NoCache: true}); cold != after {
		t.Error("the cached render differs from one without the cache")
	}
}
