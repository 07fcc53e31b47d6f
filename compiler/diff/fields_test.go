package diff

import (
	"encoding/json"
	"slices"
	"testing"
)

// fieldsOf compares two objects given as JSON and returns "op path" per difference.
func fieldsOf(t *testing.T, a, b string) []string {
	t.Helper()
	am, err := decode([]byte(a))
	if err != nil {
		t.Fatal(err)
	}
	bm, err := decode([]byte(b))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range compareValues(nil, am, bm, nil) {
		out = append(out, string(f.Op)+" "+f.Path)
	}
	return out
}

func TestCompareFields(t *testing.T) {
	cases := []struct {
		name string
		a, b string
		want []string
	}{
		{"key order and formatting", `{"a": 1, "b": {"c": "x", "d": [1, 2]}}`, `{"b":{"d":[1,2],"c":"x"},"a":1}`, nil},
		{"scalar", `{"spec": {"replicas": 1}}`, `{"spec": {"replicas": 2}}`, []string{"changed spec.replicas"}},
		{"string is not number", `{"v": "1"}`, `{"v": 1}`, []string{"changed v"}},
		{"added and removed keys", `{"a": 1, "b": 2}`, `{"b": 2, "c": 3}`, []string{"removed a", "added c"}},
		{"keys that are not words are quoted", `{"limits": {"nvidia.com/gpu": "1"}}`, `{"limits": {"nvidia.com/gpu": "2"}}`, []string{`changed limits["nvidia.com/gpu"]`}},
		{
			"containers matched by name, not position",
			`{"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}]}`,
			`{"containers": [{"name": "new", "image": "z:1"}, {"name": "a", "image": "x:1"}, {"name": "b", "image": "y:2"}]}`,
			[]string{"added containers[name=new]", "changed containers[name=b].image"},
		},
		{
			"env item removed in the middle",
			`{"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}, {"name": "C", "value": "3"}]}`,
			`{"env": [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}]}`,
			[]string{"removed env[name=B]"},
		},
		{
			"named items reordered",
			`{"volumes": [{"name": "a"}, {"name": "b"}]}`,
			`{"volumes": [{"name": "b"}, {"name": "a"}]}`,
			[]string{"changed volumes"},
		},
		{
			"volumeMounts by name",
			`{"volumeMounts": [{"name": "ws", "mountPath": "/home"}, {"name": "dshm", "mountPath": "/dev/shm"}]}`,
			`{"volumeMounts": [{"name": "data", "mountPath": "/data"}, {"name": "ws", "mountPath": "/home/jovyan"}, {"name": "dshm", "mountPath": "/dev/shm"}]}`,
			[]string{"added volumeMounts[name=data]", "changed volumeMounts[name=ws].mountPath"},
		},
		{"plain list compared whole", `{"accessModes": ["ReadWriteOnce"]}`, `{"accessModes": ["ReadWriteMany"]}`, []string{"changed accessModes"}},
		{
			"unnamed items by index",
			`{"tolerations": [{"key": "a"}, {"key": "b"}]}`,
			`{"tolerations": [{"key": "a"}, {"key": "c"}, {"key": "d"}]}`,
			[]string{"changed tolerations[1].key", "added tolerations[2]"},
		},
		{
			"duplicate names fall back to positions",
			`{"l": [{"name": "a", "v": 1}, {"name": "a", "v": 2}]}`,
			`{"l": [{"name": "a", "v": 1}, {"name": "a", "v": 3}]}`,
			[]string{"changed l[1].v"},
		},
		{"map becomes list", `{"x": {"a": 1}}`, `{"x": [1]}`, []string{"changed x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := fieldsOf(t, tc.a, tc.b); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReorderedFieldHoldsNames(t *testing.T) {
	a, _ := decode([]byte(`{"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}`))
	b, _ := decode([]byte(`{"env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}`))
	fs := compareValues(nil, a, b, nil)
	if len(fs) != 1 {
		t.Fatalf("got %d fields, want 1", len(fs))
	}
	got, _ := json.Marshal([]any{fs[0].Old, fs[0].New})
	if string(got) != `[["A","B"],["B","A"]]` {
		t.Errorf("reordered field: %s", got)
	}
}

func TestPathString(t *testing.T) {
	p := path(nil).key("spec").key("containers").name("main").key("resources").key("limits").key("nvidia.com/gpu")
	if got, want := p.String(), `spec.containers[name=main].resources.limits["nvidia.com/gpu"]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	p = path(nil).key("metadata").key("annotations").key("a b").key("rules").index(0).name("x y")
	if got, want := p.String(), `metadata.annotations["a b"].rules[0][name="x y"]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestPattern(t *testing.T) {
	gpu := path(nil).key("spec").key("template").key("spec").key("containers").name("nb").key("resources").key("limits").key("nvidia.com/gpu")
	cpu := path(nil).key("spec").key("template").key("spec").key("containers").name("nb").key("resources").key("limits").key("cpu")
	quota := path(nil).key("spec").key("resourceQuotaSpec")
	cases := []struct {
		pattern string
		p       path
		want    bool
	}{
		{"**.resources.limits.*gpu*", gpu, true},
		{"**.resources.limits.*GPU*", gpu, true},
		{"**.resources.limits.*gpu*", cpu, false},
		{"**.resources.requests.*gpu*", gpu, false},
		{"spec.*.spec.containers.*.resources.limits.*", gpu, true},
		{"spec.resourceQuotaSpec.**", quota, true},
		{"spec.resourceQuotaSpec.**", quota.key("hard").key("cpu"), true},
		{"spec.resourceQuotaSpec.**", path(nil).key("spec"), false},
		{"spec.predictor.canaryTrafficPercent", path(nil).key("spec").key("predictor").key("canaryTrafficPercent"), true},
		{"spec.predictor.canaryTrafficPercent", path(nil).key("spec").key("predictor"), false},
		{"**.image", gpu, false},
		{"**.requests.*gpu*|**.limits.*gpu*", gpu, true},
		{"**.requests.*gpu*|**.limits.cpu", gpu, false},
	}
	for _, tc := range cases {
		if got := compilePatterns(tc.pattern).match(tc.p); got != tc.want {
			t.Errorf("%s matches %s: %v, want %v", tc.pattern, tc.p, got, tc.want)
		}
	}
}
