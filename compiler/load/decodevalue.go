package load

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"

	"cuelang.org/go/cue"
)

// valueDecoder decodes evaluated CUE values into Go values with JSON tags as
// encoding/json would decode the values' JSON, without making it: struct fields are
// looked up by name, as iterating a CUE struct sorts its fields (the cost of
// cue.Value.Decode and of MarshalJSON). TestDecodeTenantIsJSON compares the two.
type valueDecoder struct {
	// misfit is set to the first value that does not fit its Go type.
	misfit *misfitValue
}

type misfitValue struct {
	v      cue.Value
	goType reflect.Type
	text   string
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
var rawMessageType = reflect.TypeFor[json.RawMessage]()

// viaJSON reports whether values of t are decoded from their JSON: types that decode
// themselves, raw JSON, and interfaces (which hold what encoding/json makes).
func viaJSON(t reflect.Type) bool {
	return t == rawMessageType || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshalerType)
}

type structField struct {
	index []int
	path  cue.Path
	typ   reflect.Type
}

var structFields sync.Map // reflect.Type → []structField

func fieldsOf(t reflect.Type) []structField {
	if f, ok := structFields.Load(t); ok {
		return f.([]structField)
	}
	var out []structField
	for _, sf := range reflect.VisibleFields(t) {
		if !sf.IsExported() || sf.Anonymous {
			continue
		}
		name := sf.Name
		if tag, ok := sf.Tag.Lookup("json"); ok {
			n, _, _ := strings.Cut(tag, ",")
			if n == "-" {
				continue
			}
			if n != "" {
				name = n
			}
		}
		out = append(out, structField{index: sf.Index, path: cue.MakePath(cue.Str(name)), typ: sf.Type})
	}
	structFields.Store(t, out)
	return out
}

func (d *valueDecoder) decode(v cue.Value, rv reflect.Value) error {
	v, _ = v.Default()
	t := rv.Type()
	if viaJSON(t) {
		b, err := v.MarshalJSON()
		if err != nil {
			return err
		}
		return json.Unmarshal(b, rv.Addr().Interface())
	}
	if v.Kind() == cue.NullKind {
		switch t.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice:
			rv.SetZero()
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			rv.Set(reflect.New(t.Elem()))
		}
		return d.decode(v, rv.Elem())
	case reflect.Struct:
		for _, f := range fieldsOf(t) {
			fv := v.LookupPath(f.path)
			if !fv.Exists() {
				continue
			}
			if err := d.decode(fv, rv.FieldByIndex(f.index)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		return d.decodeMap(v, rv, nil)
	case reflect.Slice:
		list, err := v.List()
		if err != nil {
			return err
		}
		s := reflect.MakeSlice(t, 0, 0)
		for list.Next() {
			elem := reflect.New(t.Elem()).Elem()
			if err := d.decode(list.Value(), elem); err != nil {
				return err
			}
			s = reflect.Append(s, elem)
		}
		rv.Set(s)
		return nil
	case reflect.String:
		s, err := v.String()
		if err != nil {
			return err
		}
		rv.SetString(s)
	case reflect.Bool:
		b, err := v.Bool()
		if err != nil {
			return err
		}
		rv.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := v.Int64()
		if err != nil || rv.OverflowInt(n) {
			return d.doesNotFit(v, t)
		}
		rv.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := v.Uint64()
		if err != nil || rv.OverflowUint(n) {
			return d.doesNotFit(v, t)
		}
		rv.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := v.Float64()
		if err != nil || math.IsInf(f, 0) || rv.OverflowFloat(f) {
			return d.doesNotFit(v, t)
		}
		rv.SetFloat(f)
	default:
		return fmt.Errorf("cannot decode into %s", t)
	}
	return nil
}

func (d *valueDecoder) doesNotFit(v cue.Value, t reflect.Type) error {
	b, _ := v.MarshalJSON()
	d.misfit = &misfitValue{v: v, goType: t, text: string(b)}
	return fmt.Errorf("%s does not fit a %s", b, t)
}

// decodeMap decodes the fields of struct v into the map rv: the regular fields, or
// only those named (in that order) when names is not nil.
func (d *valueDecoder) decodeMap(v cue.Value, rv reflect.Value, names []string) error {
	t := rv.Type()
	if t.Key().Kind() != reflect.String {
		return fmt.Errorf("cannot decode into %s", t)
	}
	if rv.IsNil() {
		rv.Set(reflect.MakeMap(t))
	}
	add := func(name string, fv cue.Value) error {
		elem := reflect.New(t.Elem()).Elem()
		if err := d.decode(fv, elem); err != nil {
			return err
		}
		rv.SetMapIndex(reflect.ValueOf(name).Convert(t.Key()), elem)
		return nil
	}
	if names != nil {
		for _, name := range names {
			if fv := v.LookupPath(cue.MakePath(cue.Str(name))); fv.Exists() {
				if err := add(name, fv); err != nil {
					return err
				}
			}
		}
		return nil
	}
	iter, err := v.Fields()
	if err != nil {
		return err
	}
	for iter.Next() {
		if err := add(iter.Selector().Unquoted(), iter.Value()); err != nil {
			return err
		}
	}
	return nil
}
