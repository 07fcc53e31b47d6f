package compiler_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
)

// kueuePlatform is baseRepo's platform with a Kueue ClusterQueue of 2 A100 GPUs on two
// flavors' worth of nodes, for the research team's queue.
const kueuePlatform = `package ml

clusters: prod: {}
defaults: gpuTypes: a100: vendor: "nvidia"
defaults: gpuType: "a100"
policy: allowedRegistries: ["ghcr.io/kubeflow/", "ghcr.io/acme/"]
policy: limits: notebook: gpu: 2
scheduling: kueue: {
	resourceFlavors: a100: nodeLabels: gpu: "a100"
	clusterQueues: research: resourceGroups: [{flavors: [{name: "a100", resources: {
		cpu:              16
		memory:           "64Gi"
		"nvidia.com/gpu": 2
	}}]}]
}
`

// smallTeam is the small research team: a quota of 2 GPUs, a 1-GPU notebook,
// and a 2-node, 1-GPU-per-node job queued through Kueue.
var smallTeam = map[string]string{
	"platform.cue": kueuePlatform,
	nb:             "package ml\n\nnotebooks: dev: {image: \"jupyter-scipy\", resources: {cpu: 2, memory: \"4Gi\", gpu: 1}}\n",
	tr: `package ml

queues: research: clusterQueue: "research"
trainingJobs: resnet: {
	framework: "pytorch"
	image:     "ghcr.io/acme/train:1"
	workers:   2
	resources: {cpu: 1, memory: "1Gi", gpu: 1}
	queue:     "research"
}
`,
}

// TestQueuedJobCountsAgainstItsQueue: the small team's job and notebook together ask
// for 3 GPUs of a quota of 2, but Kueue admits the job by its queue's quota, so it
// compiles, with the LocalQueue, the ClusterQueue and the job's queue label.
func TestQueuedJobCountsAgainstItsQueue(t *testing.T) {
	t.Parallel()
	dir := writeRepo(t, smallTeam)
	res, err := compiler.Compile(context.Background(), dir, compiler.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		t.Fatalf("the queued job should fit:\n%s", res.Diagnostics.Error())
	}
	c := res.Clusters[0]
	var kinds []string
	for _, o := range c.Scheduling {
		kinds = append(kinds, o.Kind()+"/"+o.Name())
	}
	if got := strings.Join(kinds, " "); got != "ResourceFlavor/a100 ClusterQueue/research" {
		t.Errorf("scheduling objects = %s", got)
	}
	var queue, label bool
	for _, o := range c.Tenants[0].Workloads {
		y, _ := o.YAML()
		queue = queue || o.Kind() == "LocalQueue" && strings.Contains(string(y), "clusterQueue: research")
		label = label || o.Kind() == "TrainJob" && strings.Contains(string(y), "kueue.x-k8s.io/queue-name: research")
	}
	if !queue || !label {
		t.Errorf("LocalQueue research compiled: %v; job labelled for it: %v", queue, label)
	}

	// Without the queue, the job counts in the namespace's quota, and the error itemizes
	// the sum with each declaration's line.
	unqueued := map[string]string{tr: strings.Replace(smallTeam[tr], "\tqueue:     \"research\"\n", "", 1)}
	for k, v := range smallTeam {
		if _, ok := unqueued[k]; !ok {
			unqueued[k] = v
		}
	}
	res, err = compiler.Compile(context.Background(), writeRepo(t, unqueued), compiler.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "gpu: 3 requested in all, more than the tenant's quota of 2 (tenant.quota.gpu): trainingJob resnet 2 = 2 nodes x 1 (" + tr + ":7), notebook dev 1 (" + nb + ":3)"
	if !strings.Contains(res.Diagnostics.Error(), want) {
		t.Errorf("want %q in:\n%s", want, res.Diagnostics.Error())
	}
}

// TestQueueBadInput are the mistakes of queues and scheduling objects, each at its line.
func TestQueueBadInput(t *testing.T) {
	t.Parallel()
	volcano := strings.Replace(kueuePlatform, "clusters: prod: {}", "clusters: prod: {}\nclusters: gpu: training: scheduler: \"volcano\"", 1)
	cases := []struct {
		name    string
		changes map[string]string
		pos     string
		path    string
		message string
	}{
		{
			name:    "a queue on a cluster without Kueue",
			changes: map[string]string{"platform.cue": volcano},
			pos:     tr + ":3:9",
			path:    "queues.research",
			message: "cluster gpu: runs this tenant and schedules training with volcano, not Kueue",
		},
		{
			name:    "a job naming a queue the tenant does not declare",
			changes: map[string]string{tr: strings.Replace(smallTeam[tr], "queue:     \"research\"", "queue:     \"gpus\"", 1)},
			pos:     tr + ":9:13",
			path:    "trainingJobs.resnet.queue",
			message: `cluster prod: schedules training with Kueue, and the tenant declares no queue "gpus" (its queues: research)`,
		},
		{
			name:    "a ClusterQueue naming an unknown flavor",
			changes: map[string]string{"platform.cue": strings.Replace(kueuePlatform, `flavors: [{name: "a100"`, `flavors: [{name: "h100"`, 1)},
			pos:     "platform.cue:10:62",
			path:    `scheduling.kueue.clusterQueues.research.resourceGroups[0].flavors[0].name`,
			message: `cluster prod: no ResourceFlavor "h100" in the cluster's scheduling.kueue.resourceFlavors (have a100)`,
		},
		{
			name:    "a ClusterQueue naming an unknown cohort",
			changes: map[string]string{"platform.cue": strings.Replace(kueuePlatform, "clusterQueues: research: resourceGroups", "clusterQueues: research: cohort: \"ml\"\n\tclusterQueues: research: resourceGroups", 1)},
			pos:     "platform.cue:10:35",
			path:    "scheduling.kueue.clusterQueues.research.cohort",
			message: `cluster prod: no cohort "ml" in the cluster's scheduling.kueue.cohorts (have none)`,
		},
		{
			name:    "a cluster's own ClusterQueue naming a flavor it lacks",
			changes: map[string]string{"platform.cue": kueuePlatform + "clusters: staging: scheduling: kueue: clusterQueues: research: resourceGroups: [{flavors: [{name: \"h100\", resources: cpu: 8}]}]\n"},
			pos:     "platform.cue:16:99",
			path:    `clusters.staging.scheduling.kueue.clusterQueues.research.resourceGroups[0].flavors[0].name`,
			message: `cluster staging: no ResourceFlavor "h100" in the cluster's scheduling.kueue.resourceFlavors (have a100)`,
		},
		{
			name:    "a quota that is not a quantity",
			changes: map[string]string{"platform.cue": strings.Replace(kueuePlatform, `memory:           "64Gi"`, `memory:           "64GB"`, 1)},
			pos:     "platform.cue:12:21",
			path:    `scheduling.kueue.clusterQueues.research.resourceGroups.0.flavors.0.resources.memory`,
			message: `"64GB" is not allowed here`,
		},
		{
			name: "flavors of a group with different resources",
			changes: map[string]string{"platform.cue": strings.Replace(strings.Replace(kueuePlatform, "resourceFlavors: a100: nodeLabels: gpu: \"a100\"", "resourceFlavors: a100: nodeLabels: gpu: \"a100\"\n\tresourceFlavors: spot: {}", 1),
				"}}]}]", "}}, {name: \"spot\", resources: cpu: 8}]}]", 1)},
			pos:     "platform.cue:15:21",
			path:    `scheduling.kueue.clusterQueues.research.resourceGroups[0].flavors[1].resources`,
			message: "flavor spot sets no quota for memory, nvidia.com/gpu, which other flavors of the group set",
		},
		{
			name:    "a job that can never fit its queue",
			changes: map[string]string{tr: strings.Replace(smallTeam[tr], "workers:   2", "workers:   3", 1), "tenants/team-a/tenant.cue": "package ml\n\ntenant: {\n\towner: \"alice@example.com\"\n\tquota: {cpu: 8, memory: \"32Gi\", gpu: 4}\n}\n"},
			pos:     tr + ":9:13",
			path:    "trainingJobs.resnet.queue",
			message: "cluster prod: this training job (3 nodes) requests 3 nvidia.com/gpu (3 nodes x 1), more than ClusterQueue research (of queue research) can ever admit: 2 nvidia.com/gpu (2 in flavor a100): Kueue never admits it",
		},
		{
			name:    "a job requesting a resource its ClusterQueue sets no quota for",
			changes: map[string]string{"platform.cue": strings.Replace(kueuePlatform, "\t\t\"nvidia.com/gpu\": 2\n", "", 1)},
			pos:     tr + ":9:13",
			path:    "trainingJobs.resnet.queue",
			message: "ClusterQueue research (of queue research) sets no quota for nvidia.com/gpu: Kueue never admits it",
		},
		{
			name: "a job larger than its Volcano queue's capability",
			changes: map[string]string{
				"platform.cue": strings.Replace(kueuePlatform, "scheduling: kueue: {", "defaults: training: {backend: \"training-operator\", scheduler: \"volcano\"}\nscheduling: volcano: queues: research: {weight: 2, capability: {\"nvidia.com/gpu\": 1}}\nscheduling: kueue: {", 1),
				tr:             strings.Replace(smallTeam[tr], "queues: research: clusterQueue: \"research\"\n", "", 1),
			},
			pos:     tr + ":8:13",
			path:    "trainingJobs.resnet.queue",
			message: "cluster prod: this training job (2 nodes) requests 2 nvidia.com/gpu, more than Volcano Queue research's capability of 1: Volcano never runs it",
		},
		{
			name:    "a queue whose ClusterQueue a cluster lacks",
			changes: map[string]string{tr: strings.Replace(smallTeam[tr], `clusterQueue: "research"`, `clusterQueue: "shared"`, 1)},
			pos:     tr + ":3:33",
			path:    "queues.research.clusterQueue",
			message: `cluster prod: runs this tenant and has no ClusterQueue "shared" (its scheduling.kueue.clusterQueues: research)`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			changes := map[string]string{}
			for k, v := range smallTeam {
				changes[k] = v
			}
			for k, v := range tc.changes {
				changes[k] = v
			}
			res, err := compiler.Compile(context.Background(), writeRepo(t, changes), compiler.Options{NoCache: true})
			if err != nil {
				t.Fatal(err)
			}
			requireRefused(t, res, tc.pos, tc.path, tc.message)
		})
	}
}

// TestQuotaItemized: a quota error lists every declaration counted, with how much, how
// it was counted (replicas.max, twice during a canary) and where it is declared.
func TestQuotaItemized(t *testing.T) {
	t.Parallel()
	endpoint := `package ml

servingEndpoints: m: {
	model: {format: "sklearn", storageUri: "s3://b/m/v1"}
	canary: {storageUri: "s3://b/m/v2", traffic: 10}
	resources: {cpu: 1, memory: "8Gi"}
	replicas: {min: 1, max: 3}
}
`
	for _, tc := range []struct {
		name, memory, extra, want string
	}{
		{"alone", "32Gi", "",
			"servingEndpoints.m.replicas.max: this endpoint at its most replicas alone requests 48Gi memory (3 replicas (replicas.max) x 8Gi, x 2 during canary), more than the tenant's whole quota of 32Gi (tenant.quota.memory)"},
		{"in all", "64Gi", "notebooks: big: {image: \"jupyter-scipy\", resources: {cpu: 1, memory: \"16Gi\"}}\n",
			"memory: 68Gi requested in all, more than the tenant's quota of 64Gi (tenant.quota.memory): endpoint m 48Gi = 3 replicas (replicas.max) x 8Gi, x 2 during canary (" + sv + ":7), notebook big 16Gi (" + nb + ":7), notebook dev 4Gi (" + nb + ":5)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeRepo(t, map[string]string{
				sv:                          endpoint,
				nb:                          baseRepo[nb] + tc.extra,
				"tenants/team-a/tenant.cue": "package ml\n\ntenant: {\n\towner: \"alice@example.com\"\n\tquota: {cpu: 16, memory: \"" + tc.memory + "\"}\n}\n",
			})
			res, err := compiler.Compile(context.Background(), dir, compiler.Options{NoCache: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Diagnostics.Error(); !strings.Contains(got, tc.want) {
				t.Errorf("want %q in:\n%s", tc.want, got)
			}
		})
	}
}
