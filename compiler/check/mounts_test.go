package check

import (
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/diag"
)

// TestContainerMounts: one volume per path, nothing over, under or around the mounts
// others add, and nothing under a read-only volume; a writable volume may hold another
// (Kubeflow's spawner mounts data volumes under the workspace).
func TestContainerMounts(t *testing.T) {
	shm := mount{path: "/dev/shm", what: "shared memory", hint: "set shm: false"}
	user := func(p string, readOnly bool) mount {
		return mount{path: p, what: "volume at " + p, field: "v" + p, readOnly: readOnly}
	}
	cases := []struct {
		name   string
		mounts []mount
		want   string // part of the one error, at the last mount's field; "" for none
	}{
		{"apart", []mount{shm, user("/data", false), user("/scratch", false)}, ""},
		{"under a writable volume", []mount{shm, user("/home/jovyan", false), user("/home/jovyan/data", true)}, ""},
		{"a sibling with a common prefix", []mount{user("/data", true), user("/data2", false)}, ""},
		{"at a path mounted by others", []mount{shm, user("/dev/shm", false)}, "/dev/shm is where shared memory is mounted: set shm: false"},
		{"at it, written otherwise", []mount{shm, user("/dev/./shm/", false)}, "is where shared memory is mounted"},
		{"at it, through ..", []mount{shm, user("/data/../dev/shm", false)}, "is where shared memory is mounted"},
		{"inside a path mounted by others", []mount{shm, user("/dev/shm/x", false)}, "/dev/shm/x is inside /dev/shm, where shared memory is mounted"},
		{"around a path mounted by others", []mount{shm, user("/dev", false)}, "/dev would hold /dev/shm, where shared memory is mounted"},
		{"twice at one path", []mount{user("/data", false), user("/data", false)}, "/data is already where volume at /data is mounted: a path holds one volume"},
		{"under a read-only volume", []mount{user("/creds", true), user("/creds/cache", false)}, "/creds/cache is inside /creds, where volume at /creds is mounted read-only"},
		{"read-only around another", []mount{user("/creds/cache", false), user("/creds", true)}, "/creds would hold /creds/cache, where volume at /creds/cache is mounted, but is read-only"},
		{"at the root", []mount{user("/", false)}, "a volume cannot be mounted at /"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &reporter{locate: func(string) diag.Position { return diag.Position{} }}
			r.containerMounts(tc.mounts)
			last := tc.mounts[len(tc.mounts)-1].field
			switch {
			case tc.want == "" && len(r.diags) > 0:
				t.Errorf("want no error, got %s", r.diags.Error())
			case tc.want == "":
			case len(r.diags) != 1:
				t.Errorf("want one error containing %q, got %d: %s", tc.want, len(r.diags), r.diags.Error())
			case r.diags[0].Path != last || !strings.Contains(r.diags[0].Message, tc.want):
				t.Errorf("want an error at %s containing %q, got %s: %s", last, tc.want, r.diags[0].Path, r.diags[0].Message)
			}
		})
	}
}
