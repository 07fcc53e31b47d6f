package kfpir

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// specPair is a PipelineSpec and an optional PlatformSpec as decoded maps.
type specPair struct {
	name     string
	pipeline any
	platform any // nil when there is none
	// int64s is set when integral numbers are int64s, as in specs decoded
	// from CUE, rather than float64s.
	int64s bool
}

// slowErr is what ValidateDocuments says of the pair's JSON encodings.
func slowErr(p specPair) error {
	ps, err := json.Marshal(p.pipeline)
	if err != nil {
		return err
	}
	var pl []byte
	if p.platform != nil {
		if pl, err = json.Marshal(p.platform); err != nil {
			return err
		}
	}
	return ValidateDocuments(ps, pl)
}

// decodeJSON decodes doc as encoding/json does, numbers as float64.
func decodeJSON(t testing.TB, doc []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// intsAsInt64 returns v with every integral number as an int64, as specs
// decoded from CUE hold them.
func intsAsInt64(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<62 {
			return int64(x)
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = intsAsInt64(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = intsAsInt64(e)
		}
		return out
	}
	return v
}

// examplePairs are the upstream examples, each with its numbers as float64
// and as int64.
func examplePairs(t testing.TB) []specPair {
	var out []specPair
	for _, ex := range loadExamples(t) {
		p := specPair{name: ex.name, pipeline: decodeJSON(t, ex.docs[0])}
		if len(ex.docs) > 1 {
			p.platform = decodeJSON(t, ex.docs[1])
		}
		out = append(out, p)
		i := specPair{name: ex.name + "/int64", pipeline: intsAsInt64(p.pipeline), int64s: true}
		if p.platform != nil {
			i.platform = intsAsInt64(p.platform)
		}
		out = append(out, i)
	}
	return out
}

// TestValidSpecsExamples wants the fast path to decide every upstream example:
// were it unsure of valid specs, it would save nothing.
func TestValidSpecsExamples(t *testing.T) {
	for _, p := range examplePairs(t) {
		if err := slowErr(p); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if !ValidSpecs(p.pipeline, p.platform) {
			t.Errorf("%s: ValidSpecs is not sure of a valid example", p.name)
		}
	}
}

// TestValidSpecsSound breaks the upstream examples node by node and wants
// ValidateDocuments to accept every variant ValidSpecs accepts. ValidSpecs'
// reach is measured on every tenth variant it falls back on.
func TestValidSpecsSound(t *testing.T) {
	s, err := loadSchema()
	if err != nil {
		t.Fatal(err)
	}
	var variants, decided, sampled, missed int
	for _, p := range examplePairs(t) {
		for i, v := range variantsOf(t, s, p) {
			variants++
			if ValidSpecs(v.pipeline, v.platform) {
				decided++
				if err := slowErr(v); err != nil {
					t.Errorf("%s: ValidSpecs accepts what ValidateDocuments refuses: %v", v.name, err)
				}
				continue
			}
			if i%10 == 0 {
				sampled++
				if slowErr(v) == nil {
					missed++
					t.Logf("%s: valid, and ValidSpecs is not sure", v.name)
				}
			}
		}
	}
	t.Logf("%d variants: ValidSpecs decided %d and fell back on %d; of %d of those, %d were valid",
		variants, decided, variants-decided, sampled, missed)
	if variants < 10000 || decided < 1000 || variants-decided < 1000 {
		t.Errorf("too few variants of each kind: %d, %d decided", variants, decided)
	}
}

// variantsOf returns p broken in every way mutationsAt knows, at every node of
// either spec, and changed as schemaMutations says. Where p differs from
// another pair only in the Go type of its numbers, only schemaMutations
// apply: the others replace nodes with values of every type anyway.
func variantsOf(t testing.TB, s *schema, p specPair) []specPair {
	var out []specPair
	add := func(what string, pipeline, platform any) {
		out = append(out, specPair{name: p.name + ": " + what, pipeline: pipeline, platform: platform})
	}
	if !p.int64s {
		for _, site := range nodes(p.pipeline, nil) {
			for _, m := range mutationsAt(site) {
				add("pipelineSpec"+m.what, edit(p.pipeline, m.path, m.f), p.platform)
			}
		}
		if p.platform != nil {
			for _, site := range nodes(p.platform, nil) {
				for _, m := range mutationsAt(site) {
					add("platformSpec"+m.what, p.pipeline, edit(p.platform, m.path, m.f))
				}
			}
		}
	}
	for _, m := range schemaMutations(t, s, p) {
		if m.platform {
			add("platformSpec"+m.what, p.pipeline, edit(p.platform, m.path, m.f))
		} else {
			add("pipelineSpec"+m.what, edit(p.pipeline, m.path, m.f), p.platform)
		}
	}
	return out
}

// site is a node of a decoded document and where it is.
type site struct {
	path []any // map keys and list indexes
	v    any
}

// nodes lists v and every value under it.
func nodes(v any, path []any) []site {
	out := []site{{path: path, v: v}}
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			out = append(out, nodes(x[k], append(slices.Clip(path), k))...)
		}
	case []any:
		for i, e := range x {
			out = append(out, nodes(e, append(slices.Clip(path), i))...)
		}
	}
	return out
}

// mutation changes the node at path: f returns its new value, or false to
// delete it.
type mutation struct {
	what     string
	path     []any
	f        func(any) (any, bool)
	platform bool
}

// replacements are the values every node is replaced with in turn.
var replacements = []struct {
	name string
	v    any
}{
	{"null", nil},
	{"a string", "x"},
	{"a numeric string", "12"},
	{"NaN", "NaN"},
	{"an unknown enum name", "NOT_AN_ENUM_VALUE"},
	{"an int", int64(7)},
	{"an integral float", float64(7)},
	{"a negative int", int64(-1)},
	{"a non-integral number", 1.5},
	{"a number out of int32", int64(1) << 40},
	{"the largest int64", int64(math.MaxInt64)},
	{"a number out of int64", 1e30},
	{"true", true},
	{"an empty list", []any{}},
	{"a list of null", []any{nil}},
	{"an empty object", map[string]any{}},
	{"an object", map[string]any{"zz": int64(1)}},
}

func mutationsAt(s site) []mutation {
	at := pathString(s.path)
	var out []mutation
	if len(s.path) > 0 {
		out = append(out, mutation{what: at + " deleted", path: s.path, f: func(any) (any, bool) { return nil, false }})
	}
	for _, r := range replacements {
		out = append(out, mutation{what: at + " = " + r.name, path: s.path, f: func(any) (any, bool) { return r.v, true }})
	}
	if m, ok := s.v.(map[string]any); ok {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			out = append(out, mutation{what: at + "." + k + " renamed", path: s.path, f: func(v any) (any, bool) {
				c := maps.Clone(v.(map[string]any))
				c[k+"Zz"] = c[k]
				delete(c, k)
				return c, true
			}})
		}
	}
	return out
}

// schemaMutations adds, at every message of p, each field it lacks (with a
// value of the field's type), a second member of each oneof it sets, and each
// field it sets again under the field's other name.
func schemaMutations(t testing.TB, s *schema, p specPair) []mutation {
	msg := func(name string) protoreflect.MessageDescriptor {
		md, err := s.message(name)
		if err != nil {
			t.Fatal(err)
		}
		return md
	}
	var out []mutation
	var walk func(md protoreflect.MessageDescriptor, v any, path []any, platform bool)
	walk = func(md protoreflect.MessageDescriptor, v any, path []any, platform bool) {
		m, ok := v.(map[string]any)
		if !ok || md.FullName().Parent() == "google.protobuf" {
			return
		}
		at := pathString(path)
		addKey := func(what, k string, val any) {
			out = append(out, mutation{what: at + what, path: path, platform: platform, f: func(v any) (any, bool) {
				c := maps.Clone(v.(map[string]any))
				c[k] = val
				return c, true
			}})
		}
		present := map[protoreflect.Name]bool{}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			fd := md.Fields().ByJSONName(k)
			if fd == nil {
				fd = md.Fields().ByTextName(k)
			}
			if fd == nil {
				continue
			}
			present[fd.Name()] = true
			if other := fd.TextName(); other != k {
				addKey(" with "+k+" again as "+other, other, m[k])
			} else if other := fd.JSONName(); other != k {
				addKey(" with "+k+" again as "+other, other, m[k])
			}
			sub := append(slices.Clip(path), k)
			switch {
			case fd.IsList() && fd.Message() != nil:
				l, _ := m[k].([]any)
				for i, e := range l {
					walk(fd.Message(), e, append(slices.Clip(sub), i), platform)
				}
			case fd.IsMap() && fd.MapValue().Message() != nil:
				mm, _ := m[k].(map[string]any)
				for _, mk := range slices.Sorted(maps.Keys(mm)) {
					walk(fd.MapValue().Message(), mm[mk], append(slices.Clip(sub), mk), platform)
				}
			case fd.Message() != nil:
				walk(fd.Message(), m[k], sub, platform)
			}
		}
		for i := range md.Fields().Len() {
			fd := md.Fields().Get(i)
			if present[fd.Name()] {
				continue
			}
			od := fd.ContainingOneof()
			if od != nil && !od.IsSynthetic() && slices.ContainsFunc(slices.Collect(maps.Keys(present)), func(n protoreflect.Name) bool {
				return md.Fields().ByName(n).ContainingOneof() == od
			}) {
				addKey(" with a second member of oneof "+string(od.Name())+": "+fd.JSONName(), fd.JSONName(), sampleField(fd))
				continue
			}
			addKey(" with "+fd.JSONName()+" added", fd.JSONName(), sampleField(fd))
		}
	}
	walk(msg(PipelineSpecMessage), p.pipeline, nil, false)
	if pm, ok := p.pipeline.(map[string]any); ok && pm["deploymentSpec"] != nil {
		walk(msg(PipelineDeploymentConfigMessage), pm["deploymentSpec"], []any{"deploymentSpec"}, false)
	}
	if p.platform != nil {
		walk(msg(PlatformSpecMessage), p.platform, nil, true)
		execs, _ := dig(p.platform, "platforms", kubernetesPlatform, "deploymentSpec", "executors").(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(execs)) {
			walk(msg(KubernetesExecutorConfigMessage), execs[name],
				[]any{"platforms", kubernetesPlatform, "deploymentSpec", "executors", name}, true)
		}
	}
	return out
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// sampleField is a value of the field's type.
func sampleField(fd protoreflect.FieldDescriptor) any {
	switch {
	case fd.IsList():
		return []any{sampleValue(fd)}
	case fd.IsMap():
		k := "k"
		if fd.MapKey().Kind() != protoreflect.StringKind {
			k = "1"
		}
		return map[string]any{k: sampleValue(fd.MapValue())}
	}
	return sampleValue(fd)
}

func sampleValue(fd protoreflect.FieldDescriptor) any {
	switch fd.Kind() {
	case protoreflect.MessageKind:
		switch fd.Message().FullName() {
		case "google.protobuf.Value":
			return "x"
		case "google.protobuf.ListValue":
			return []any{int64(1)}
		case "google.protobuf.Duration":
			return "5s"
		case "google.protobuf.Struct":
			return map[string]any{"a": int64(1)}
		}
		return map[string]any{}
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		return string(vals.Get(vals.Len() - 1).Name())
	case protoreflect.StringKind:
		return "x"
	case protoreflect.BoolKind:
		return true
	case protoreflect.BytesKind:
		return "aGk="
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return 0.5
	}
	return int64(3)
}

// edit returns a copy of v with f applied to the node at path, copying only
// the maps and lists on the way.
func edit(v any, path []any, f func(any) (any, bool)) any {
	out, _ := editAt(v, path, f)
	return out
}

func editAt(v any, path []any, f func(any) (any, bool)) (any, bool) {
	if len(path) == 0 {
		return f(v)
	}
	switch x := v.(type) {
	case map[string]any:
		k := path[0].(string)
		c := maps.Clone(x)
		if nv, keep := editAt(x[k], path[1:], f); keep {
			c[k] = nv
		} else {
			delete(c, k)
		}
		return c, true
	case []any:
		i := path[0].(int)
		c := slices.Clone(x)
		if nv, keep := editAt(x[i], path[1:], f); keep {
			c[i] = nv
		} else {
			c = slices.Delete(c, i, i+1)
		}
		return c, true
	}
	panic(fmt.Sprintf("no node at %v", path))
}

func pathString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch x := p.(type) {
		case string:
			b.WriteString("." + x)
		case int:
			fmt.Fprintf(&b, "[%d]", x)
		}
	}
	return b.String()
}

// fastBase is a small valid pair: one step, its Kubernetes executor, and a
// retry policy.
func fastBase() (map[string]any, map[string]any) {
	ps := map[string]any{
		"pipelineInfo":  map[string]any{"name": "p"},
		"schemaVersion": "2.1.0",
		"components": map[string]any{"comp-a": map[string]any{
			"executorLabel": "exec-a",
			"inputDefinitions": map[string]any{"parameters": map[string]any{
				"n": map[string]any{"parameterType": "NUMBER_INTEGER"},
			}},
		}},
		"deploymentSpec": map[string]any{"executors": map[string]any{"exec-a": map[string]any{
			"container": map[string]any{"image": "busybox:1", "resources": map[string]any{
				"cpuLimit": 1.5, "accelerator": map[string]any{"count": int64(1), "type": "nvidia.com/gpu"},
			}},
		}}},
		"root": map[string]any{"dag": map[string]any{"tasks": map[string]any{"a": map[string]any{
			"taskInfo":     map[string]any{"name": "a"},
			"componentRef": map[string]any{"name": "comp-a"},
			"retryPolicy": map[string]any{
				"maxRetryCount": int64(3), "backoffDuration": "0s", "backoffFactor": 2.0, "backoffMaxDuration": "3600s",
			},
		}}}},
	}
	pl := map[string]any{"platforms": map[string]any{"kubernetes": map[string]any{
		"deploymentSpec": map[string]any{"executors": map[string]any{"exec-a": map[string]any{
			"tolerations": []any{map[string]any{"key": "gpu", "tolerationSeconds": int64(30)}},
		}}},
	}}}
	return ps, pl
}

// TestValidSpecsCases checks how protojson reads JSON in the corners the
// mutations may not reach: the first fast result is what ValidSpecs must say,
// the second whether ValidateDocuments accepts the pair.
func TestValidSpecsCases(t *testing.T) {
	at := func(m map[string]any, keys ...string) map[string]any {
		for _, k := range keys {
			m = m[k].(map[string]any)
		}
		return m
	}
	param := func(ps, _ map[string]any) map[string]any {
		return at(ps, "components", "comp-a", "inputDefinitions", "parameters", "n")
	}
	retry := func(ps, _ map[string]any) map[string]any {
		return at(ps, "root", "dag", "tasks", "a", "retryPolicy")
	}
	resources := func(ps, _ map[string]any) map[string]any {
		return at(ps, "deploymentSpec", "executors", "exec-a", "container", "resources")
	}
	toleration := func(_, pl map[string]any) map[string]any {
		return at(pl, "platforms", "kubernetes", "deploymentSpec", "executors", "exec-a")["tolerations"].([]any)[0].(map[string]any)
	}
	set := func(node func(ps, pl map[string]any) map[string]any, kv ...any) func(ps, pl map[string]any) {
		return func(ps, pl map[string]any) {
			m := node(ps, pl)
			for i := 0; i < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
		}
	}
	root := func(ps, _ map[string]any) map[string]any { return ps }
	comp := func(ps, _ map[string]any) map[string]any { return at(ps, "components", "comp-a") }
	cases := []struct {
		name       string
		change     func(ps, pl map[string]any)
		fast, slow bool
	}{
		{"as it is", func(ps, pl map[string]any) {}, true, true},
		{"null field", set(root, "pipelineInfo", nil), true, true},
		{"nil map as null", set(root, "pipelineInfo", map[string]any(nil)), true, true},
		{"proto name", func(ps, _ map[string]any) { ps["pipeline_info"] = ps["pipelineInfo"]; delete(ps, "pipelineInfo") }, true, true},
		{"both names", set(root, "pipeline_info", map[string]any{"name": "p"}), false, false},
		{"both names, one null", set(root, "pipeline_info", nil), false, false},
		{"extension name", set(root, "[ml_pipelines.x]", int64(1)), false, false},
		{"oneof and a null member", set(comp, "dag", nil), true, true},
		{"oneof twice", set(comp, "dag", map[string]any{}), false, false},
		{"repeated Value null", set(param, "literals", nil), false, false},
		{"repeated Value with null", set(param, "literals", []any{nil, "a", int64(1)}), true, true},
		{"Value null", set(param, "defaultValue", nil), true, true},
		{"Value object", set(param, "defaultValue", map[string]any{"a": []any{1.5, nil}}), true, true},
		{"enum number", set(param, "parameterType", int64(3)), true, true},
		{"enum number as float", set(param, "parameterType", 3.0), true, true},
		{"enum number out of int32", set(param, "parameterType", int64(1)<<31), false, false},
		{"enum number in a string", set(param, "parameterType", "3"), false, false},
		{"unknown enum name", set(param, "parameterType", "INTEGER"), false, false},
		{"enum null", set(param, "parameterType", nil), true, true},
		{"int32 as string", set(retry, "maxRetryCount", "12"), true, true},
		{"int32 as exponent string", set(retry, "maxRetryCount", "1e1"), false, true},
		{"int32 as -0 string", set(retry, "maxRetryCount", "-0"), false, true},
		{"int32 as padded string", set(retry, "maxRetryCount", " 12"), false, false},
		{"int32 out of range", set(retry, "maxRetryCount", int64(1)<<31), false, false},
		{"int32 as integral float", set(retry, "maxRetryCount", 4.0), true, true},
		{"int32 as fraction", set(retry, "maxRetryCount", 4.5), false, false},
		{"int32 as bool", set(retry, "maxRetryCount", true), false, false},
		{"double as NaN string", set(retry, "backoffFactor", "NaN"), true, true},
		{"double as -Infinity string", set(retry, "backoffFactor", "-Infinity"), true, true},
		{"double as numeric string", set(retry, "backoffFactor", "2.5e0"), true, true},
		{"double as huge string", set(retry, "backoffFactor", "1e400"), false, false},
		{"double as int", set(retry, "backoffFactor", int64(2)), true, true},
		{"double NaN", set(retry, "backoffFactor", math.NaN()), false, false}, // not JSON
		{"duration with nanos", set(retry, "backoffDuration", "1.000000001s"), true, true},
		{"negative duration", set(retry, "backoffDuration", "-5s"), true, true},
		{"duration with plus", set(retry, "backoffDuration", "+5s"), false, true},
		{"duration in minutes", set(retry, "backoffDuration", "5m"), false, false},
		{"duration too long", set(retry, "backoffDuration", "315576000001s"), false, false},
		{"duration with 10 decimals", set(retry, "backoffDuration", "1.0000000001s"), false, false},
		{"duration as number", set(retry, "backoffDuration", int64(5)), false, false},
		{"duration null", set(retry, "backoffDuration", nil), true, true},
		{"Struct null", set(root, "deploymentSpec", nil), true, true},
		{"deployment double as string", set(resources, "cpuLimit", "Infinity"), true, true},
		{"deployment int64 as string", set(func(ps, pl map[string]any) map[string]any { return resources(ps, pl)["accelerator"].(map[string]any) }, "count", "9223372036854775807"), true, true},
		{"deployment int64 past 2^53", set(func(ps, pl map[string]any) map[string]any { return resources(ps, pl)["accelerator"].(map[string]any) }, "count", int64(1)<<53+1), false, true},
		{"deployment largest int64", set(func(ps, pl map[string]any) map[string]any { return resources(ps, pl)["accelerator"].(map[string]any) }, "count", int64(math.MaxInt64)), false, false},
		{"deployment unknown field", set(resources, "gpus", int64(1)), false, false},
		{"executor int64", set(toleration, "tolerationSeconds", int64(1)<<40), true, true},
		{"executor largest int64", set(toleration, "tolerationSeconds", int64(math.MaxInt64)), false, false},
		{"executor int64 as string", set(toleration, "tolerationSeconds", "9223372036854775807"), true, true},
		{"executor unknown field", set(toleration, "seconds", int64(1)), false, false},
		{"executor null", set(func(_, pl map[string]any) map[string]any {
			return at(pl, "platforms", "kubernetes", "deploymentSpec", "executors")
		}, "exec-b", nil), false, false},
		{"other platform's executor not checked", set(func(_, pl map[string]any) map[string]any { return at(pl, "platforms") },
			"vertex", map[string]any{"deploymentSpec": map[string]any{"executors": map[string]any{"e": map[string]any{"x": int64(1)}}}}), true, true},
		{"map keys that encoding/json makes equal", set(func(ps, _ map[string]any) map[string]any { return at(ps, "components") },
			"comp-\xff", map[string]any{}, "comp-\xfe", map[string]any{}), false, false},
		{"invalid UTF-8 in a string", set(comp, "executorLabel", "exec-\xff"), true, true},
		{"a Go type outside JSON", set(param, "literals", []string{"a"}), false, true},
		{"an int", set(retry, "maxRetryCount", 3), true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps, pl := fastBase()
			tc.change(ps, pl)
			p := specPair{pipeline: ps, platform: pl}
			slow := slowErr(p)
			if (slow == nil) != tc.slow {
				t.Fatalf("ValidateDocuments: %v; want valid %v", slow, tc.slow)
			}
			if fast := ValidSpecs(ps, pl); fast != tc.fast {
				t.Errorf("ValidSpecs = %v, want %v", fast, tc.fast)
			}
		})
	}
	t.Run("documents", func(t *testing.T) {
		ps, pl := fastBase()
		if !ValidSpecs(ps, nil) || slowErr(specPair{pipeline: ps}) != nil {
			t.Error("no PlatformSpec")
		}
		if ValidSpecs(ps, map[string]any(nil)) || slowErr(specPair{pipeline: ps, platform: map[string]any(nil)}) == nil {
			t.Error("a nil map is a null PlatformSpec, which is not one")
		}
		if ValidSpecs(nil, pl) || ValidSpecs("x", pl) || ValidSpecs(map[string]any(nil), nil) {
			t.Error("no PipelineSpec")
		}
		if !ValidSpecs(map[string]any{}, map[string]any{}) || slowErr(specPair{pipeline: map[string]any{}, platform: map[string]any{}}) != nil {
			t.Error("empty documents")
		}
	})
}

// BenchmarkValidSpecs judges every upstream example, numbers as int64s as in
// specs decoded from CUE: "slow" as validation did before ValidSpecs (encode,
// then ValidateDocuments), "fast" with ValidSpecs alone.
func BenchmarkValidSpecs(b *testing.B) {
	var pairs []specPair
	for _, p := range examplePairs(b) {
		if p.int64s {
			pairs = append(pairs, p)
		}
	}
	for _, p := range pairs {
		if err := slowErr(p); err != nil || !ValidSpecs(p.pipeline, p.platform) {
			b.Fatalf("%s: %v", p.name, err)
		}
	}
	b.Run("slow", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, p := range pairs {
				if slowErr(p) != nil {
					b.Fatal(p.name)
				}
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, p := range pairs {
				if !ValidSpecs(p.pipeline, p.platform) {
					b.Fatal(p.name)
				}
			}
		}
	})
}
