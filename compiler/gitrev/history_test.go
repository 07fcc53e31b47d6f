package gitrev_test

import (
	"context"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/gitrev"
	"github.com/mlc-gitops/mlc/compiler/gitrev/gittest"
)

// TestLastChangeExcludes: a pathspec with "!" before it leaves out what it matches, so
// that an artifact of the platform's files is not dated by a tenant's commit.
func TestLastChangeExcludes(t *testing.T) {
	gittest.Isolate(t)
	r := gittest.New(t)
	r.Write("platform.cue", "package ml\n")
	platform := r.Commit("platform")
	r.Write("tenants/vision/tenant.cue", "package ml\n")
	tenant := r.Commit("tenant")
	repo, err := gitrev.Open(context.Background(), r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		specs []string
		want  string
	}{
		{nil, tenant},
		{[]string{"**", "!tenants/**"}, platform},
		{[]string{"tenants/**"}, tenant},
	} {
		c, err := repo.LastChange(context.Background(), tc.specs)
		if err != nil || c.Hash != tc.want {
			t.Errorf("LastChange(%q) = %s, %v; want %s", tc.specs, c.Hash, err, tc.want)
		}
	}
}
