package compiler_test

import "testing"

// refusedLaterCases are the part of TestBadInput's corpus that Kubernetes or a Kubeflow
// controller would refuse, or run wrongly, after the API server had taken the objects:
// image references, mount paths, numbers out of the upstream bounds, PodDefaults the
// platform provides and objects that two declarations would both need.
func refusedLaterCases(t testing.TB) []struct {
	name    string
	changes map[string]string
	pos     string
	path    string
	message string
} {
	return []struct {
		name    string
		changes map[string]string
		pos     string
		path    string
		message string
	}{
		{
			name:    "an image path that climbs out of the allowed registry path",
			changes: map[string]string{nb: "package ml\n\nnotebooks: dev: image: \"ghcr.io/acme/../../evil/miner:1\"\n"},
			pos:     nb + ":3:24",
			path:    "notebooks.dev.image",
			message: `"ghcr.io/acme/../../evil/miner:1" is not a valid image reference: ".." is not a repository name`,
		},
		{
			name:    "an image path with an empty component",
			changes: map[string]string{tr: with(t, resnet, `"ghcr.io/acme/train:1"`, `"ghcr.io/acme//train:1"`)},
			pos:     tr + ":5:13",
			path:    "trainingJobs.resnet.image",
			message: "it has an empty path component",
		},
		{
			name:    "an image whose first path component only starts like the allowed one",
			changes: map[string]string{tr: with(t, resnet, `"ghcr.io/acme/train:1"`, `"ghcr.io/acme-evil/train:1"`)},
			pos:     tr + ":5:13",
			path:    "trainingJobs.resnet.image",
			message: `image "ghcr.io/acme-evil/train:1" is not from an allowed registry`,
		},
		{
			name:    "an image path in upper case",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: container: image: \"ghcr.io/acme/Server:1\"\n"},
			pos:     sv + ":3:40",
			path:    "servingEndpoints.m.container.image",
			message: "the repository path must be lower case (Server)",
		},
		{
			name:    "a serving runtime image with a dot component",
			changes: map[string]string{sv: "package ml\n\nservingRuntimes: rt: {\n\timage: \"ghcr.io/acme/./srv:1\"\n\tformats: [{name: \"sklearn\"}]\n}\n"},
			pos:     sv + ":4:9",
			path:    "servingRuntimes.rt.image",
			message: `"." is not a repository name`,
		},
		{
			name:    "a pipeline step image that climbs out of the allowed path",
			changes: map[string]string{pl: pipelineFile("\ttasks: prep: image: \"ghcr.io/acme/../kubeflow/prep:1\"\n")},
			pos:     pl + ":4:22",
			path:    "pipelines.nightly.tasks.prep.image",
			message: `".." is not a repository name`,
		},
		{
			name:    "a runtime version that is not an image tag",
			changes: map[string]string{sv: "package ml\n\nservingEndpoints: m: model: {format: \"sklearn\", storageUri: \"s3://b/m\", runtimeVersion: \"1.0/../x\"}\n"},
			pos:     sv + ":3:89",
			path:    "servingEndpoints.m.model.runtimeVersion",
			message: `"1.0/../x" is not an image tag`,
		},
		{
			name:    "an allowed registry without a host",
			changes: map[string]string{"platform.cue": with(t, baseRepo["platform.cue"], `"ghcr.io/kubeflow/"`, `"kubeflow/"`)},
			pos:     "platform.cue:6:29",
			path:    "policy.allowedRegistries[0]",
			message: `"kubeflow/" does not start with a registry host: write the host first, as in docker.io/kubeflow`,
		},
		{
			name:    "an allowed registry entry with a tag",
			changes: map[string]string{"platform.cue": with(t, baseRepo["platform.cue"], `"ghcr.io/acme/"`, `"ghcr.io/acme/nb:1"`)},
			pos:     "platform.cue:6:50",
			path:    "policy.allowedRegistries[1]",
			message: "names a tag or digest",
		},
		{
			name:    "a catalog image that does not parse",
			changes: map[string]string{"platform.cue": baseRepo["platform.cue"] + "defaults: imageCatalog: py: \"ghcr.io/acme/../py:3\"\n"},
			pos:     "platform.cue:8:29",
			path:    "defaults.imageCatalog.py",
			message: `".." is not a repository name`,
		},
		{
			name:    "a PodDefault named as the one Kubeflow Pipelines keeps in every namespace",
			changes: map[string]string{nb: baseRepo[nb] + "podDefaults: \"access-ml-pipeline\": env: KF_PIPELINES_SA_TOKEN_PATH: \"/tmp/token\"\n"},
			pos:     nb + ":7:14",
			path:    "podDefaults.\"access-ml-pipeline\"",
			message: "Kubeflow Pipelines keeps PodDefault access-ml-pipeline in every profile namespace, and this one would replace it: choose another name",
		},
		{
			name: "a PodDefault named as one the platform shares",
			changes: map[string]string{
				"platform.cue": baseRepo["platform.cue"] + "defaults: sharedPodDefaults: [\"team-s3\"]\n",
				nb:             baseRepo[nb] + "podDefaults: team_s3: description: \"mine\"\n",
			},
			pos:     nb + ":7:14",
			path:    "podDefaults.team_s3",
			message: "the platform provides PodDefault team-s3 in every tenant namespace (defaults.sharedPodDefaults), and this one would replace it",
		},
	}
}
