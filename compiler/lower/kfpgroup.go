package lower

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// loop sets a loop group's iterator: over a constant list, a list parameter or a list
// output, with the item passed in as an input of the group.
func (b *irBuilder) loop(n *model.PipelineNode, spec map[string]any) {
	l := n.Task.Loop
	item := b.channel(source{loop: n})
	iter := map[string]any{"itemInput": item}
	switch {
	case l.Parameter != "":
		src := source{param: l.Parameter}
		ch := b.channel(src)
		b.declare(n, ch, groupInput{typ: model.TypeList, src: src})
		iter["items"] = map[string]any{"inputParameter": ch}
	case l.Task != "":
		src := source{producer: b.tree.ByName[l.Task], output: l.Output}
		ch := b.channel(src)
		b.declare(n, ch, groupInput{typ: model.TypeList, src: src})
		iter["items"] = map[string]any{"inputParameter": ch}
	default:
		iter["items"] = map[string]any{"raw": pythonJSON(l.Items)}
	}
	b.declare(n, item, groupInput{typ: b.tree.LoopItemType(n), src: source{loop: n}})
	spec["parameterIterator"] = iter
	if l.Parallelism != nil {
		spec["iteratorPolicy"] = map[string]any{"parallelismLimit": *l.Parallelism}
	}
}

// itemType is the type of a loop's items.
func (b *irBuilder) itemType(n *model.PipelineNode) string { return b.tree.LoopItemType(n) }

// pythonJSON writes a list as Python's json.dumps(items, sort_keys=True) does, which is
// how the SDK writes a loop's constant items: ", " and ": " between elements, keys
// sorted, non-ASCII and control characters as \uXXXX, and <, > and & as they are.
func pythonJSON(items []json.RawMessage) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		d := json.NewDecoder(bytes.NewReader(it))
		d.UseNumber()
		var v any
		if d.Decode(&v) != nil {
			b.Write(it)
			continue
		}
		writePython(&b, v)
	}
	b.WriteByte(']')
	return b.String()
}

func writePython(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case json.Number:
		b.WriteString(x.String())
	case string:
		b.WriteByte('"')
		for _, r := range x {
			switch {
			case r == '"' || r == '\\':
				b.WriteByte('\\')
				b.WriteRune(r)
			case r == '\n':
				b.WriteString(`\n`)
			case r == '\r':
				b.WriteString(`\r`)
			case r == '\t':
				b.WriteString(`\t`)
			case r == '\b':
				b.WriteString(`\b`)
			case r == '\f':
				b.WriteString(`\f`)
			case r < 0x20 || r > 0x7e && r <= 0xffff:
				fmt.Fprintf(b, `\u%04x`, r)
			case r > 0xffff:
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePython(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range slices.Sorted(maps.Keys(x)) {
			if i > 0 {
				b.WriteString(", ")
			}
			writePython(b, k)
			b.WriteString(": ")
			writePython(b, x[k])
		}
		b.WriteByte('}')
	}
}

// condition writes one condition as the SDK's CEL expression over the group's inputs.
func (b *irBuilder) condition(n *model.PipelineNode, c model.BranchCondition) string {
	var src source
	var typ string
	if c.Parameter != "" {
		src = source{param: c.Parameter}
		typ = b.pipe.Parameters[c.Parameter].Kind()
	} else {
		producer := b.tree.ByName[c.Task]
		src = source{producer: producer, output: c.Output}
		if producer != nil && producer.Task != nil {
			typ = producer.Task.Outputs[c.Output]
		}
	}
	ch := b.channel(src)
	b.declare(n, ch, groupInput{typ: typ, src: src})
	op, operand := c.Operator()
	left := "inputs.parameter_values['" + ch + "']"
	right := string(operand)
	rtyp := model.ValueType(operand)
	switch {
	case typ == model.TypeInt && rtyp == model.TypeFloat:
		left = "double(int(" + left + "))"
	case typ == model.TypeInt:
		left = "int(" + left + ")"
	case typ == model.TypeFloat && rtyp == model.TypeInt:
		right = "double(" + right + ")"
	}
	if rtyp == model.TypeString {
		var s string
		_ = json.Unmarshal(operand, &s)
		right = celString(s, '\'')
	}
	expr := left + " " + op + " " + right
	if c.Negate {
		return "!(" + expr + ")"
	}
	return expr
}

// resources is a step container's resource spec, in both the current and the
// deprecated fields, as the SDK writes them.
func (b *irBuilder) resources(r *model.PipelineResources) map[string]any {
	if r == nil {
		return nil
	}
	out := map[string]any{}
	cpuLimit, memLimit := string(r.CPU), r.Memory
	if r.Limits != nil {
		if r.Limits.CPU != "" {
			cpuLimit = string(r.Limits.CPU)
		}
		if r.Limits.Memory != "" {
			memLimit = r.Limits.Memory
		}
	}
	cpu := func(current, legacy, q string) {
		if q == "" {
			return
		}
		v, err := resource.ParseQuantity(q)
		if err != nil {
			return
		}
		out[current] = strconv.FormatInt(v.MilliValue(), 10) + "m"
		out[legacy] = float64(v.MilliValue()) / 1000
	}
	memory := func(current, legacy, q string) {
		if q == "" {
			return
		}
		v, err := resource.ParseQuantity(q)
		if err != nil {
			return
		}
		out[current] = q
		out[legacy] = float64(v.Value()) / 1e9
	}
	cpu("resourceCpuRequest", "cpuRequest", string(r.CPU))
	cpu("resourceCpuLimit", "cpuLimit", cpuLimit)
	memory("resourceMemoryRequest", "memoryRequest", r.Memory)
	memory("resourceMemoryLimit", "memoryLimit", memLimit)
	if r.GPU > 0 {
		_, g, _ := b.plat.GPUType(r.GPUType)
		count := strconv.FormatInt(r.GPU, 10)
		out["accelerator"] = map[string]any{
			"resourceType": g.ResourceName(), "resourceCount": count,
			"type": g.ResourceName(), "count": count,
		}
	}
	return out
}

// kubernetes is a step's KubernetesExecutorConfig: secrets, config maps and claims,
// node selection and its deadline.
func (b *irBuilder) kubernetes(n *model.PipelineNode) map[string]any {
	t := n.Task
	k := map[string]any{}
	nameParam := func(name string) map[string]any {
		return map[string]any{"runtimeValue": map[string]any{"constant": name}}
	}
	secretEnv, configEnv := map[string][]any{}, map[string][]any{}
	for _, name := range slices.Sorted(maps.Keys(t.Env)) {
		v := t.Env[name]
		switch {
		case v.Secret != nil:
			secretEnv[v.Secret.Name] = append(secretEnv[v.Secret.Name], map[string]any{"secretKey": v.Secret.Key, "envVar": name})
		case v.ConfigMap != nil:
			configEnv[v.ConfigMap.Name] = append(configEnv[v.ConfigMap.Name], map[string]any{"configMapKey": v.ConfigMap.Key, "envVar": name})
		}
	}
	for _, s := range slices.Sorted(maps.Keys(secretEnv)) {
		appendList(k, "secretAsEnv", map[string]any{"secretName": s, "secretNameParameter": nameParam(s), "keyToEnv": secretEnv[s]})
	}
	for _, c := range slices.Sorted(maps.Keys(configEnv)) {
		appendList(k, "configMapAsEnv", map[string]any{"configMapName": c, "configMapNameParameter": nameParam(c), "keyToEnv": configEnv[c]})
	}
	for _, name := range slices.Sorted(maps.Keys(t.Volumes)) {
		v := t.Volumes[name]
		switch {
		case v.Secret != "":
			appendList(k, "secretAsVolume", map[string]any{"secretName": v.Secret, "secretNameParameter": nameParam(v.Secret), "mountPath": v.MountPath, "optional": false})
		case v.ConfigMap != "":
			appendList(k, "configMapAsVolume", map[string]any{"configMapName": v.ConfigMap, "configMapNameParameter": nameParam(v.ConfigMap), "mountPath": v.MountPath, "optional": false})
		case v.Claim != "":
			appendList(k, "pvcMount", map[string]any{"constant": v.Claim, "pvcNameParameter": nameParam(v.Claim), "mountPath": v.MountPath})
		case v.Volume != "":
			claim := claimOf(v.Volume)
			appendList(k, "pvcMount", map[string]any{"constant": claim, "pvcNameParameter": nameParam(claim), "mountPath": v.MountPath})
		}
	}
	selector := maps.Clone(t.NodeSelector)
	tols := slices.Clone(t.Tolerations)
	if r := t.Resources; r != nil && r.GPU > 0 {
		_, g, _ := b.plat.GPUType(r.GPUType)
		if len(g.NodeSelector) > 0 && selector == nil {
			selector = map[string]string{}
		}
		for key, v := range g.NodeSelector {
			if _, set := selector[key]; !set {
				selector[key] = v
			}
		}
		tols = append(tols, g.Tolerations...)
	}
	if len(selector) > 0 {
		k["nodeSelector"] = map[string]any{"labels": stringMap(selector)}
	}
	if len(tols) > 0 {
		k["tolerations"] = tolerations(tols)
	}
	if t.Timeout != "" {
		k["activeDeadlineSeconds"] = strconv.FormatInt(model.DurationSeconds(t.Timeout), 10)
	}
	if len(b.pipe.PodLabels) > 0 {
		k["podMetadata"] = map[string]any{"labels": stringMap(b.pipe.PodLabels)}
	}
	return k
}

func appendList(m map[string]any, key string, v any) {
	l, _ := m[key].([]any)
	m[key] = append(l, v)
}

// celString writes s as a CEL string literal between quote (' or "): the SDK writes a
// condition's string as '...' without escaping, which breaks on a quote or a backslash.
func celString(s string, quote byte) string {
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == '\\' || r == rune(quote):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}
