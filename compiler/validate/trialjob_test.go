package validate_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/validate"
)

// TestTrialJobSound checks that building a trial's job from the template's
// map gives what Katib's substitution on the JSON text gives: the same
// errors, and after normalization the same job. It runs on the fleet's
// Experiments, the upstream Katib examples, their generic variants, and
// variants aimed at the substitution (odd parameter names and values,
// placeholders in keys or split across strings, large integers, keys that
// fold to "kind"). It also requires the map path for every Experiment mlc
// compiles.
func TestTrialJobSound(t *testing.T) {
	var byMap, total int
	var unsound []string
	current := ""
	validate.SetVerifyTrialJob(func(step string, mapOK, same bool) {
		if step == "job" {
			total++
		}
		if !mapOK {
			return
		}
		if step == "job" {
			byMap++
		}
		if !same && len(unsound) < 20 {
			unsound = append(unsound, fmt.Sprintf("%s: the %s from the map is not the text's", current, step))
		}
	})
	defer validate.SetVerifyTrialJob(nil)

	v := validate.New()
	isExperiment := func(o map[string]any) bool { return o["kind"] == "Experiment" }
	var objs []map[string]any
	compiled := 0
	for _, o := range fleetObjects(t) {
		if isExperiment(o) {
			objs = append(objs, o)
			compiled++
		}
	}
	for _, o := range validate.UpstreamObjects(t) {
		if isExperiment(o) {
			objs = append(objs, o)
		}
	}
	for i, o := range objs {
		before := byMap
		current = fmt.Sprintf("experiment %d %v", i, o["metadata"])
		v.Validate(o)
		if i < compiled && byMap == before {
			t.Errorf("%s: job not built from the map", current)
		}
		variants := append(validate.Mutations(o), trialMutations(o)...)
		for j, m := range variants {
			current = fmt.Sprintf("experiment %d variant %d", i, j)
			v.Validate(m)
		}
	}
	for _, u := range unsound {
		t.Error(u)
	}
	if compiled == 0 {
		t.Error("the fleet has no Experiment")
	}
	t.Logf("%d Experiments (%d compiled), %d jobs, %d from the map", len(objs), compiled, total, byMap)
}

// trialMutations returns variants of an Experiment aimed at the trial
// parameters' substitution.
func trialMutations(obj map[string]any) []map[string]any {
	var out []map[string]any
	// edit applies f to a copy of obj's spec and trial template.
	edit := func(f func(spec, tt, ts map[string]any)) {
		c := jsonCopy(obj)
		spec, _ := c["spec"].(map[string]any)
		tt, _ := spec["trialTemplate"].(map[string]any)
		ts, _ := tt["trialSpec"].(map[string]any)
		if ts == nil {
			return
		}
		f(spec, tt, ts)
		out = append(out, c)
	}
	tps, _ := dig(obj, "spec", "trialTemplate", "trialParameters").([]any)
	names := []string{`a"b`, `a\b`, `a<b`, `a>b`, `a&b`, "a b", "a$b", "a.b", "a:b", "a,b", "é", "a\u2028b", "a\tb", "a}b", "", "x"}
	for j := range tps {
		for _, n := range names {
			edit(func(_, tt, ts map[string]any) {
				p := tt["trialParameters"].([]any)[j].(map[string]any)
				old, _ := p["name"].(string)
				p["name"] = n
				replaceStrings(ts, "${trialParameters."+old+"}", "${trialParameters."+n+"}")
			})
		}
	}
	params, _ := dig(obj, "spec", "parameters").([]any)
	values := []string{`q"uote`, `back\slash`, "<tag>&amp;", "\u2028", "é", "${trialParameters.x}", "${trialParameters.", "}", "$", "0.1", ""}
	for i := range params {
		for _, val := range values {
			edit(func(spec, _, _ map[string]any) {
				fs, _ := spec["parameters"].([]any)[i].(map[string]any)["feasibleSpace"].(map[string]any)
				if fs == nil {
					return
				}
				if _, ok := fs["min"]; ok {
					fs["min"] = val
				} else {
					fs["list"] = []any{val}
				}
			})
		}
	}
	placeholder := "${trialParameters.x}"
	if len(tps) > 0 {
		if n, ok := tps[0].(map[string]any)["name"].(string); ok {
			placeholder = "${trialParameters." + n + "}"
		}
	}
	for _, f := range []func(spec, tt, ts map[string]any){
		func(_, _, ts map[string]any) { ts["x-"+placeholder] = "v" },
		func(_, _, ts map[string]any) { ts["$"] = "v" },
		func(_, _, ts map[string]any) {
			ts["metadata"] = map[string]any{"labels": map[string]any{"a": placeholder}}
		},
		func(_, _, ts map[string]any) { ts["metadata"] = map[string]any{"name": placeholder} },
		func(_, _, ts map[string]any) { ts["metadata"] = "m" },
		func(_, _, ts map[string]any) { ts["zz"] = []any{"${trialParameters.", "x}"} },
		func(_, _, ts map[string]any) { ts["zz"] = []any{"${trialParameters.", 1} },
		func(_, _, ts map[string]any) { ts["zz"] = "${trialParameters.}" },
		func(_, _, ts map[string]any) { ts["zz"] = "${trialParameters" + placeholder + "}" },
		func(_, _, ts map[string]any) { ts["zz"] = placeholder + placeholder + "\\\"<" + placeholder },
		func(_, _, ts map[string]any) { ts["zz"] = int64(1<<60 + 1) },
		func(_, _, ts map[string]any) { ts["zz"] = int64(1 << 53) },
		func(_, _, ts map[string]any) { ts["zz"] = -float64(1 << 60) },
		func(_, _, ts map[string]any) { ts["zz"] = 1e300 },
		func(_, _, ts map[string]any) { ts["zz"] = 0.1 },
		// The trial's kind matters where the conditions are left to Katib.
		func(_, tt, ts map[string]any) { delete(tt, "successCondition"); ts["Kind"] = "Job" },
		func(_, tt, ts map[string]any) { delete(tt, "successCondition"); ts["KIND"] = "TFJob" },
		func(_, tt, ts map[string]any) { delete(tt, "successCondition"); ts["\u212aind"] = "Job" },
		func(_, tt, ts map[string]any) { delete(tt, "failureCondition"); delete(ts, "kind"); ts["Kind"] = "Job" },
		func(_, tt, ts map[string]any) { delete(tt, "failureCondition"); delete(ts, "kind"); ts["KiNd"] = "Job" },
		func(_, tt, ts map[string]any) {
			delete(tt, "failureCondition")
			delete(ts, "kind")
			ts["\u212aind"] = "Job"
		},
		func(_, tt, ts map[string]any) { delete(tt, "successCondition"); ts["kind"] = 1 },
		func(_, tt, ts map[string]any) { delete(tt, "successCondition"); ts["kind"] = nil },
		func(_, tt, _ map[string]any) { delete(tt, "successCondition") },
		func(_, tt, ts map[string]any) { delete(tt, "successCondition"); ts["kind"] = "Job" },
		func(_, tt, _ map[string]any) {
			tt["trialParameters"] = append(slices.Clone(tt["trialParameters"].([]any)), map[string]any{"name": "meta", "reference": "${trialSpec.Name}"})
		},
		func(spec, _, _ map[string]any) { delete(spec, "parameters") },
	} {
		edit(f)
	}
	return out
}

// dig returns the value at path in v, or nil.
func dig(v any, path ...string) any {
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// jsonCopy is a deep copy of obj, with the numbers mlc's objects hold.
func jsonCopy(obj map[string]any) map[string]any {
	b, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	var c map[string]any
	if err := d.Decode(&c); err != nil {
		panic(err)
	}
	return c
}

// replaceStrings replaces old by new in every string below v.
func replaceStrings(v any, old, new string) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Collect(maps.Keys(x)) {
			if s, ok := x[k].(string); ok {
				x[k] = strings.ReplaceAll(s, old, new)
			} else {
				replaceStrings(x[k], old, new)
			}
		}
	case []any:
		for i, e := range x {
			if s, ok := e.(string); ok {
				x[i] = strings.ReplaceAll(s, old, new)
			} else {
				replaceStrings(e, old, new)
			}
		}
	}
}
