package validate

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// decodeTyped sets dst, a settable zero value, to what strictly decoding the
// JSON encoding of v into dst's type gives (sigs.k8s.io/json's UnmarshalStrict,
// or encoding/json with DisallowUnknownFields, which matches names without
// regard to case but prefers the exact name), without encoding v; v holds
// the plain values normalize gives (string, bool, int64, non-integral
// float64, []any, map[string]any). It reports false whenever it cannot be
// sure that the decoder would accept the JSON with no error and no strict
// error, and would give exactly dst: a field the type does not have (or has
// under another case), a null, a number the field may not hold, a []byte, an
// interface, a float32, a text unmarshaler, a ",string" field, or an embedded
// pointer or name conflict among the fields. Then the caller decodes the JSON
// itself, which also words the errors. Values of types with their own
// UnmarshalJSON (quantities, times, int-or-strings, raw messages) are given
// the JSON encoding of that value alone, which is what the decoder gives them.
func decodeTyped(v any, dst reflect.Value) bool {
	if v == nil {
		return false
	}
	t := dst.Type()
	if t.Kind() == reflect.Pointer {
		// As the decoder does, allocate the value and decode into it (where
		// its own UnmarshalJSON, if any, takes over).
		p := reflect.New(t.Elem())
		if !decodeTyped(v, p.Elem()) {
			return false
		}
		dst.Set(p)
		return true
	}
	switch unmarshalerOf(t) {
	case jsonUnmarshalerType:
		raw, err := json.Marshal(v)
		if err != nil {
			return false
		}
		return dst.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw) == nil
	case textUnmarshalerType:
		return false
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		fields := typeFields(t)
		if fields == nil {
			return false
		}
		for k, e := range m {
			index, ok := fields[k]
			if !ok || !decodeTyped(e, dst.FieldByIndex(index)) {
				return false
			}
		}
		return true
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String || reflect.PointerTo(t.Key()).Implements(textUnmarshaler) {
			return false
		}
		out := reflect.MakeMapWithSize(t, len(m))
		for k, e := range m {
			elem := reflect.New(t.Elem()).Elem()
			if !decodeTyped(e, elem) {
				return false
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), elem)
		}
		dst.Set(out)
		return true
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok || t.Elem().Kind() == reflect.Uint8 {
			return false
		}
		out := reflect.MakeSlice(t, len(l), len(l))
		for i, e := range l {
			if !decodeTyped(e, out.Index(i)) {
				return false
			}
		}
		dst.Set(out)
		return true
	case reflect.String:
		s, ok := v.(string)
		if ok {
			dst.SetString(s)
		}
		return ok
	case reflect.Bool:
		b, ok := v.(bool)
		if ok {
			dst.SetBool(b)
		}
		return ok
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := v.(int64)
		if !ok || dst.OverflowInt(i) {
			return false
		}
		dst.SetInt(i)
		return true
	case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, ok := v.(int64)
		if !ok || i < 0 || dst.OverflowUint(uint64(i)) {
			return false
		}
		dst.SetUint(uint64(i))
		return true
	case reflect.Float64:
		// The decoder parses the digits json.Marshal writes: an int64 in
		// decimal, rounded as the conversion rounds, or a float64's shortest
		// form, which reads back as the same float64.
		switch x := v.(type) {
		case int64:
			dst.SetFloat(float64(x))
			return true
		case float64:
			dst.SetFloat(x)
			return true
		}
	}
	return false
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// What a pointer to a type implements, as far as the decoder cares.
const (
	plainType = iota
	jsonUnmarshalerType
	textUnmarshalerType
)

// unmarshalers caches unmarshalerOf by type.
var unmarshalers sync.Map // reflect.Type -> int

// unmarshalerOf tells whether a pointer to t implements json.Unmarshaler,
// else encoding.TextUnmarshaler, else neither (plainType).
func unmarshalerOf(t reflect.Type) int {
	if u, ok := unmarshalers.Load(t); ok {
		return u.(int)
	}
	u := plainType
	switch p := reflect.PointerTo(t); {
	case p.Implements(jsonUnmarshaler):
		u = jsonUnmarshalerType
	case p.Implements(textUnmarshaler):
		u = textUnmarshalerType
	}
	unmarshalers.Store(t, u)
	return u
}

// fieldIndexes caches typeFields by type.
var fieldIndexes sync.Map // reflect.Type -> map[string][]int

// typeFields returns the JSON names of t's fields with their indexes, as
// encoding/json finds them, or nil where that is not simple to tell: an
// embedded pointer, two fields of one name, or a ",string" option.
func typeFields(t reflect.Type) map[string][]int {
	if f, ok := fieldIndexes.Load(t); ok {
		return f.(map[string][]int)
	}
	fields := map[string][]int{}
	if !collectFields(t, nil, fields) {
		fields = nil
	}
	fieldIndexes.Store(t, fields)
	return fields
}

func collectFields(t reflect.Type, index []int, out map[string][]int) bool {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",string,") {
			return false
		}
		at := append(index[:len(index):len(index)], i)
		if sf.Anonymous && name == "" {
			switch sf.Type.Kind() {
			case reflect.Struct:
				if !collectFields(sf.Type, at, out) {
					return false
				}
				continue
			case reflect.Pointer:
				return false
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if _, dup := out[name]; dup {
			return false
		}
		out[name] = at
	}
	return true
}
