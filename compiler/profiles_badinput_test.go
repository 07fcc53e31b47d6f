package compiler_test

import (
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
