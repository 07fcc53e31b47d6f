package validate

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TestFastSchemaSound checks fastSchema against kube-openapi, and the
// structural walk's shortcuts against the steps they skip, on every
// upstream example and on many broken variants of each, against the embedded
// CRDs and those of Kubeflow v1.11.0: whenever the shortcut accepts an object,
// kube-openapi must find no error in it. It also requires the shortcut to
// accept most valid examples, so that it stays useful.
func TestFastSchemaSound(t *testing.T) {
	var mu sync.Mutex
	var checked, fastOK, kubeOK int
	var unsound []string
	current := ""
	verifyFast = func(ok bool, errs field.ErrorList) {
		mu.Lock()
		defer mu.Unlock()
		checked++
		if len(errs) == 0 {
			kubeOK++
		}
		if ok {
			fastOK++
			if len(errs) > 0 && len(unsound) < 20 {
				unsound = append(unsound, fmt.Sprintf("%s: accepted, kube-openapi says %v", current, errs.ToAggregate()))
			}
		}
	}
	defer func() { verifyFast = nil }()
	skipped := map[string]int{}
	ran := map[string]int{}
	verifyStep = func(step string, skip, acted bool) {
		mu.Lock()
		defer mu.Unlock()
		if skip {
			skipped[step]++
		} else {
			ran[step]++
		}
		if skip && acted && len(unsound) < 20 {
			unsound = append(unsound, fmt.Sprintf("%s: step %s skipped, but it changes the object or finds an error", current, step))
		}
	}
	defer func() { verifyStep = nil }()

	docs := readExamples(t)
	for _, set := range crdSets(t) {
		v := set.v
		validKube, validFast := 0, 0
		for _, d := range docs {
			av, _ := d.obj["apiVersion"].(string)
			k, _ := d.obj["kind"].(string)
			if !v.Known(av, k) {
				continue
			}
			current = set.name + ": " + d.name
			before := fastOK
			kb := kubeOK
			v.Validate(d.obj)
			if kubeOK > kb {
				validKube++
				if fastOK > before {
					validFast++
				}
			}
			for i, m := range sampledMutations(d.obj) {
				current = fmt.Sprintf("%s: %s variant %d", set.name, d.name, i)
				v.Validate(m)
			}
		}
		if validFast*10 < validKube*9 {
			t.Errorf("%s: the shortcut accepts only %d of %d valid examples", set.name, validFast, validKube)
		}
		t.Logf("%s: valid examples: %d, of which the shortcut accepts %d", set.name, validKube, validFast)
	}
	for _, u := range unsound {
		t.Error(u)
	}
	t.Logf("steps skipped %v, run %v", skipped, ran)
	t.Logf("%d schema checks, %d accepted by kube-openapi, %d by the shortcut", checked, kubeOK, fastOK)
}

// sampledMutations is mutations, or in -short mode a sample of them spread
// over the whole object.
func sampledMutations(obj map[string]any) []map[string]any {
	variants := mutations(obj)
	if n := 40; testing.Short() && len(variants) > n {
		sample := make([]map[string]any, n)
		for i := range sample {
			sample[i] = variants[i*len(variants)/n]
		}
		variants = sample
	}
	return variants
}

// mutations returns copies of obj, each with one value replaced by a value
// of another type or of an edge value, or one field removed.
func mutations(obj map[string]any) []map[string]any {
	replacements := []any{nil, "", "x", "1Gi", "2006-01-02T15:04:05Z", "not a date", int64(0), int64(-1),
		int64(1 << 40), 0.5, 1e300, true, false, []any{}, []any{"x"}, []any{map[string]any{}},
		map[string]any{}, map[string]any{"x": "y"}, strings.Repeat("a", 300)}
	var out []map[string]any
	var paths [][]any
	var walk func(v any, path []any)
	walk = func(v any, path []any) {
		paths = append(paths, slices.Clone(path))
		switch x := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				walk(x[k], append(path, k))
			}
		case []any:
			for i, e := range x {
				walk(e, append(path, i))
			}
		}
	}
	walk(obj, nil)
	for _, p := range paths {
		if len(p) == 0 || p[0] == "apiVersion" || p[0] == "kind" {
			continue
		}
		for _, r := range append(replacements, remove{}, duplicate{}) {
			c := deepCopy(obj)
			if set(c, p, r) {
				out = append(out, c.(map[string]any))
			}
		}
	}
	return out
}

type remove struct{}

// duplicate repeats the first element of a list.
type duplicate struct{}

func deepCopy(v any) any {
	b, _ := json.Marshal(v)
	var c any
	_ = json.Unmarshal(b, &c)
	return c
}

// set replaces the value at path with r, or removes it when r is remove{}.
func set(v any, path []any, r any) bool {
	for i, step := range path {
		last := i == len(path)-1
		switch x := v.(type) {
		case map[string]any:
			k, ok := step.(string)
			if !ok {
				return false
			}
			if last {
				switch r.(type) {
				case remove:
					delete(x, k)
				case duplicate:
					l, ok := x[k].([]any)
					if !ok || len(l) == 0 {
						return false
					}
					x[k] = append([]any{deepCopy(l[0])}, l...)
				default:
					x[k] = r
				}
				return true
			}
			v = x[k]
		case []any:
			j, ok := step.(int)
			if !ok || j >= len(x) {
				return false
			}
			if last {
				switch r.(type) {
				case remove, duplicate:
					return false
				}
				x[j] = r
				return true
			}
			v = x[j]
		default:
			return false
		}
	}
	return false
}

// TestValidateLeavesInputAlone: Validate shares unchanged parts of the
// caller's object (plainShared) and must copy them before any step that
// changes the object; the caller's object must come out as it went in.
func TestValidateLeavesInputAlone(t *testing.T) {
	v := New()
	for _, d := range readExamples(t) {
		av, _ := d.obj["apiVersion"].(string)
		k, _ := d.obj["kind"].(string)
		if !v.Known(av, k) {
			continue
		}
		for i, m := range append(sampledMutations(d.obj), d.obj) {
			before := runtime.DeepCopyJSONValue(m)
			v.Validate(m)
			if !reflect.DeepEqual(before, m) {
				t.Errorf("%s variant %d: Validate changed its input", d.name, i)
			}
		}
	}
}
