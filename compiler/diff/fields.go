package diff

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
)

// canonical encodes an object's content as JSON with sorted keys: two objects are
// equal exactly when their encodings are, whatever the order their maps were built in.
func canonical(content map[string]any) ([]byte, error) {
	return json.Marshal(content)
}

// decode turns a canonical encoding back into plain values: map[string]any, []any,
// string, json.Number, bool and nil, so that values compare and print the same way
// whatever Go types built them.
func decode(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	err := dec.Decode(&m)
	return m, err
}

// compareValues appends the differences between a and b, found at p, to out.
func compareValues(p path, a, b any, out []Field) []Field {
	am, aIsMap := a.(map[string]any)
	bm, bIsMap := b.(map[string]any)
	if aIsMap && bIsMap {
		return compareMaps(p, am, bm, out)
	}
	al, aIsList := a.([]any)
	bl, bIsList := b.([]any)
	if aIsList && bIsList {
		return compareLists(p, al, bl, out)
	}
	if reflect.DeepEqual(a, b) {
		return out
	}
	return append(out, Field{Path: p.String(), Op: Changed, Old: a, New: b, steps: p})
}

func compareMaps(p path, a, b map[string]any, out []Field) []Field {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		av, inA := a[k]
		bv, inB := b[k]
		kp := p.key(k)
		switch {
		case !inB:
			out = append(out, Field{Path: kp.String(), Op: Removed, Old: av, steps: kp})
		case !inA:
			out = append(out, Field{Path: kp.String(), Op: Added, New: bv, steps: kp})
		default:
			out = compareValues(kp, av, bv, out)
		}
	}
	return out
}

// compareLists matches the items of lists of named items (containers, env, volumes,
// ...) by name, compares lists of plain values whole, and other lists item by item.
func compareLists(p path, a, b []any, out []Field) []Field {
	an, aNamed := names(a)
	bn, bNamed := names(b)
	switch {
	case aNamed && bNamed && len(a)+len(b) > 0:
		return compareNamed(p, a, b, an, bn, out)
	case scalars(a) && scalars(b):
		if reflect.DeepEqual(a, b) {
			return out
		}
		return append(out, Field{Path: p.String(), Op: Changed, Old: a, New: b, steps: p})
	}
	for i := range max(len(a), len(b)) {
		ip := p.index(i)
		switch {
		case i >= len(b):
			out = append(out, Field{Path: ip.String(), Op: Removed, Old: a[i], steps: ip})
		case i >= len(a):
			out = append(out, Field{Path: ip.String(), Op: Added, New: b[i], steps: ip})
		default:
			out = compareValues(ip, a[i], b[i], out)
		}
	}
	return out
}

func compareNamed(p path, a, b []any, an, bn []string, out []Field) []Field {
	inA := make(map[string]int, len(an))
	for i, n := range an {
		inA[n] = i
	}
	inB := make(map[string]bool, len(bn))
	var commonB []string
	for i, n := range bn {
		inB[n] = true
		np := p.name(n)
		j, ok := inA[n]
		if !ok {
			out = append(out, Field{Path: np.String(), Op: Added, New: b[i], steps: np})
			continue
		}
		commonB = append(commonB, n)
		out = compareValues(np, a[j], b[i], out)
	}
	var commonA []string
	for i, n := range an {
		if inB[n] {
			commonA = append(commonA, n)
			continue
		}
		np := p.name(n)
		out = append(out, Field{Path: np.String(), Op: Removed, Old: a[i], steps: np})
	}
	if !slices.Equal(commonA, commonB) {
		out = append(out, Field{Path: p.String(), Op: Changed, Old: strings2any(an), New: strings2any(bn), steps: p})
	}
	return out
}

// names returns the names of a list's items when every item is a map with a distinct,
// non-empty string "name".
func names(l []any) ([]string, bool) {
	out := make([]string, 0, len(l))
	seen := make(map[string]bool, len(l))
	for _, v := range l {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		n, ok := m["name"].(string)
		if !ok || n == "" || seen[n] {
			return nil, false
		}
		seen[n] = true
		out = append(out, n)
	}
	return out, true
}

func scalars(l []any) bool {
	for _, v := range l {
		switch v.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

func strings2any(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// leaves calls fn for every single value under v at p: the fields an added or removed
// value is made of, each with op but without its Path string (most are not kept). A
// list of plain values counts as one value.
func leaves(p path, v any, op Op, fn func(Field)) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			leaves(p.key(k), t[k], op, fn)
		}
		return
	case []any:
		if n, ok := names(t); ok && len(t) > 0 {
			for i, item := range t {
				leaves(p.name(n[i]), item, op, fn)
			}
			return
		}
		if !scalars(t) {
			for i, item := range t {
				leaves(p.index(i), item, op, fn)
			}
			return
		}
	}
	f := Field{Op: op, steps: p} // Path is left for the caller to fill, if it keeps f
	if op == Removed {
		f.Old = v
	} else {
		f.New = v
	}
	fn(f)
}

// fieldLeaves calls fn for each single value a field changes: an added or removed map
// or list is taken apart (see leaves); a changed value is itself.
func fieldLeaves(f Field, fn func(Field)) {
	switch f.Op {
	case Added:
		leaves(f.steps, f.New, Added, fn)
	case Removed:
		leaves(f.steps, f.Old, Removed, fn)
	default:
		fn(f)
	}
}
