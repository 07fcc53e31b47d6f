package compiler_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/diag"
)

// tenantCue is the base repository's tenant file, where its quota is.
const tenantCue = "tenants/team-a/tenant.cue"

// TestQuotaOverrunBlamesNoBystander: declarations that together exceed a quota are
// reported at the quota's field, with a note at every declaration counted and the
// message saying what was counted, so that a declaration just added is pointed at
// wherever it sorts, and one that was there before is not blamed for it.
func TestQuotaOverrunBlamesNoBystander(t *testing.T) {
	const endpoint = `package ml

servingEndpoints: resnet: {
	model: {format: "pytorch", storageUri: "s3://models/resnet"}
	resources: {cpu: 1, memory: "2Gi", gpu: 1}
	replicas: {min: 1, max: 2}
}
`
	manyNotebooks := "package ml\n\ntenant: {\n\towner: \"alice@example.com\"\n\tquota: {cpu: 64, memory: \"256Gi\", notebooks: 3}\n}\n"
	existing := "package ml\n\n"
	for _, name := range []string{"zoe", "zack", "zed"} {
		existing += "notebooks: " + name + ": {image: \"jupyter-scipy\", resources: {cpu: 1, memory: \"1Gi\"}}\n"
	}
	added := "package ml\n\n"
	var addedPaths []string
	for _, name := range []string{"ann", "bob", "cid", "dan", "eve", "fay", "gus", "hal"} {
		added += "notebooks: " + name + ": {image: \"jupyter-scipy\", resources: {cpu: 1, memory: \"1Gi\"}}\n"
		addedPaths = append(addedPaths, "notebooks."+name)
	}
	cases := []struct {
		name    string
		changes map[string]string
		// pos, path and message (a part of it) of the one error.
		pos, path, message string
		// notes are the paths of the notes the error must have, in order, and
		// notePos the positions of the first ones.
		notes   []string
		notePos []string
	}{
		{
			name: "a new notebook over the GPU quota beside an endpoint",
			changes: map[string]string{
				sv: endpoint,
				nb: "package ml\n\nnotebooks: dev: {\n\timage: \"jupyter-scipy\"\n\tresources: {cpu: 2, memory: \"4Gi\"}\n}\n" +
					"notebooks: \"new-gpu\": {image: \"jupyter-scipy\", resources: {cpu: 1, memory: \"2Gi\", gpu: 1}}\n",
			},
			pos: tenantCue + ":5:39", path: "tenant.quota.gpu",
			message: "gpu: 3 requested in all, more than the tenant's quota of 2 (tenant.quota.gpu): endpoint resnet 2 = 2 replicas (replicas.max) x 1 (" + sv + ":6), notebook new-gpu 1 (" + nb + ":7)",
			notes:   []string{"servingEndpoints.resnet.replicas.max", `notebooks."new-gpu".resources.gpu`},
			notePos: []string{sv + ":6:26", nb + ":7:88"},
		},
		{
			name: "a new endpoint over the GPU quota beside a notebook",
			changes: map[string]string{
				nb: "package ml\n\nnotebooks: dev: {image: \"jupyter-scipy\", resources: {cpu: 2, memory: \"4Gi\", gpu: 1}}\n",
				sv: endpoint,
			},
			pos: tenantCue + ":5:39", path: "tenant.quota.gpu",
			message: "gpu: 3 requested in all, more than the tenant's quota of 2 (tenant.quota.gpu): endpoint resnet 2 = 2 replicas (replicas.max) x 1 (" + sv + ":6), notebook dev 1 (" + nb + ":3)",
			notes:   []string{"servingEndpoints.resnet.replicas.max", "notebooks.dev.resources.gpu"},
			notePos: []string{sv + ":6:26", nb + ":3:82"},
		},
		{
			name:    "eight new notebooks over the notebook quota, sorting before those there",
			changes: map[string]string{tenantCue: manyNotebooks, nb: existing, "tenants/team-a/more.cue": added},
			pos:     tenantCue + ":5:47", path: "tenant.quota.notebooks",
			message: "notebooks: 11 declared in all, more than the tenant's quota of 3 (tenant.quota.notebooks): notebook ann (tenants/team-a/more.cue:3), notebook bob (tenants/team-a/more.cue:4)",
			notes:   append(slices.Clone(addedPaths), "notebooks.zack", "notebooks.zed", "notebooks.zoe"),
			notePos: []string{"tenants/team-a/more.cue:3:12", "tenants/team-a/more.cue:4:12"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeRepo(t, tc.changes)
			res, err := compiler.Compile(context.Background(), dir, compiler.Options{NoCache: true})
			if err != nil {
				t.Fatal(err)
			}
			var errs []diag.Diagnostic
			for _, d := range res.Diagnostics {
				if d.Severity == diag.Error {
					errs = append(errs, d)
				}
			}
			if len(errs) != 1 || len(res.Clusters) != 0 {
				t.Fatalf("want one error and nothing compiled; got %d clusters and:\n%s", len(res.Clusters), res.Diagnostics.Error())
			}
			d := errs[0]
			if d.Pos.String() != tc.pos || d.Path != tc.path || !strings.Contains(d.Message, tc.message) {
				t.Errorf("got %s\nwant at %s, path %s, containing %q", d, tc.pos, tc.path, tc.message)
			}
			var paths []string
			for _, n := range d.Notes {
				paths = append(paths, n.Path)
				if !strings.Contains(n.Message, "counted toward "+tc.path) {
					t.Errorf("note %s does not say what it was counted toward", n)
				}
			}
			if !slices.Equal(paths, tc.notes) {
				t.Errorf("notes at %v, want %v", paths, tc.notes)
			}
			for i, want := range tc.notePos {
				if i >= len(d.Notes) || d.Notes[i].Pos.String() != want {
					t.Errorf("note %d not at %s:\n%s", i, want, d)
				}
			}
		})
	}
}
