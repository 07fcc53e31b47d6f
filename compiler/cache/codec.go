package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"unsafe"

	"github.com/mlc-gitops/mlc/internal/wire"
)

// The codec writes Go values built of basic types, slices, string-keyed maps and `any`,
// so that decoding gives back the very same Go types (an int32 stays an int32, a nil map
// stays nil): the emitted YAML and the diff's comparisons depend on them. JSON would turn
// every number into a float64. Map keys are written sorted, so the bytes are deterministic.
// A value of any other type (a struct, a pointer, a named type) is refused, and the
// tenant is then not cached.

// Type descriptors. Basic kinds are written as their reflect.Kind, below these.
const (
	tagNil   = 0xff // a nil interface value
	tagSlice = 0xfe
	tagMap   = 0xfd // map[string]elem
	tagAny   = 0xfc // the interface type any
)

var (
	anyType    = reflect.TypeFor[any]()
	basicTypes = map[reflect.Kind]reflect.Type{}
)

func init() {
	for _, v := range []any{false, 0, int8(0), int16(0), int32(0), int64(0), uint(0), uint8(0), uint16(0), uint32(0), uint64(0), float32(0), float64(0), ""} {
		t := reflect.TypeOf(v)
		basicTypes[t.Kind()] = t
	}
}

var errCorrupt = errors.New("cache entry is corrupt")

type encoder struct{ buf []byte }

func (e *encoder) uvarint(n uint64) { e.buf = binary.AppendUvarint(e.buf, n) }
func (e *encoder) varint(n int64)   { e.buf = binary.AppendVarint(e.buf, n) }
func (e *encoder) string(s string)  { e.uvarint(uint64(len(s))); e.buf = append(e.buf, s...) }

// typ writes the descriptor of t.
func (e *encoder) typ(t reflect.Type) error {
	switch {
	case t == anyType:
		e.buf = append(e.buf, tagAny)
	case basicTypes[t.Kind()] == t:
		e.buf = append(e.buf, byte(t.Kind()))
	case t.Kind() == reflect.Slice && t.Name() == "":
		e.buf = append(e.buf, tagSlice)
		return e.typ(t.Elem())
	case t.Kind() == reflect.Map && t.Name() == "" && t.Key() == basicTypes[reflect.String]:
		e.buf = append(e.buf, tagMap)
		return e.typ(t.Elem())
	default:
		return fmt.Errorf("cache: cannot store a %s", t)
	}
	return nil
}

// any writes a dynamic value: its type descriptor, then the value.
func (e *encoder) any(v any) error {
	// The types lowering builds most, without reflection.
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, tagNil)
		return nil
	case string:
		e.buf = append(e.buf, byte(reflect.String))
		e.string(x)
		return nil
	case map[string]any:
		e.buf = append(e.buf, tagMap, tagAny)
		return e.mapAny(x)
	case []any:
		e.buf = append(e.buf, tagSlice, tagAny)
		if x == nil {
			e.uvarint(0)
			return nil
		}
		e.uvarint(uint64(len(x)) + 1)
		for _, el := range x {
			if err := e.any(el); err != nil {
				return err
			}
		}
		return nil
	}
	rv := reflect.ValueOf(v)
	if err := e.typ(rv.Type()); err != nil {
		return err
	}
	return e.value(rv)
}

func (e *encoder) mapAny(m map[string]any) error {
	if m == nil {
		e.uvarint(0)
		return nil
	}
	e.uvarint(uint64(len(m)) + 1)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e.string(k)
		if err := e.any(m[k]); err != nil {
			return err
		}
	}
	return nil
}

// value writes v, whose type the reader knows from its descriptor.
func (e *encoder) value(v reflect.Value) error {
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			e.buf = append(e.buf, tagNil)
			return nil
		}
		return e.any(v.Elem().Interface())
	case reflect.Bool:
		if v.Bool() {
			e.buf = append(e.buf, 1)
		} else {
			e.buf = append(e.buf, 0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.varint(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		e.uvarint(v.Uint())
	case reflect.Float32, reflect.Float64:
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v.Float()))
	case reflect.String:
		e.string(v.String())
	case reflect.Slice:
		if v.IsNil() {
			e.uvarint(0)
			return nil
		}
		e.uvarint(uint64(v.Len()) + 1)
		for i := range v.Len() {
			if err := e.value(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if v.IsNil() {
			e.uvarint(0)
			return nil
		}
		e.uvarint(uint64(v.Len()) + 1)
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int {
			switch {
			case a.String() < b.String():
				return -1
			case a.String() > b.String():
				return 1
			}
			return 0
		})
		for _, k := range keys {
			e.string(k.String())
			if err := e.value(v.MapIndex(k)); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("cache: cannot store a %s", v.Type())
	}
	return nil
}

type decoder struct {
	wire.Reader
	// shared makes strings share B's memory instead of copying it: B is then never to
	// be modified.
	shared bool
}

func (d *decoder) fail() { d.Bad, d.B = true, nil }

func (d *decoder) byte() byte {
	if b := d.Next(1); len(b) == 1 {
		return b[0]
	}
	return 0
}

// count reads a length written as n+1 (0 for nil); each element takes at least a byte,
// so a length beyond the bytes left is corruption, not a reason to allocate.
func (d *decoder) count() (n int, isNil bool) {
	c := d.Uvarint()
	if c == 0 {
		return 0, true
	}
	if c-1 > uint64(len(d.B)) {
		d.fail()
		return 0, true
	}
	return int(c - 1), false
}

func (d *decoder) string() string {
	n := d.Uvarint()
	if n > uint64(len(d.B)) {
		d.fail()
		return ""
	}
	var s string
	if d.shared && n > 0 {
		s = unsafe.String(&d.B[0], n)
	} else {
		s = string(d.B[:n])
	}
	d.B = d.B[n:]
	return s
}

// digest reads a Digest, written as its bytes.
func (d *decoder) digest() Digest {
	var g Digest
	if len(d.B) < len(g) {
		d.fail()
		return g
	}
	copy(g[:], d.B)
	d.B = d.B[len(g):]
	return g
}

// typ reads a type descriptor.
func (d *decoder) typ(tag byte) reflect.Type {
	switch tag {
	case tagAny:
		return anyType
	case tagSlice:
		if el := d.typ(d.byte()); el != nil {
			return reflect.SliceOf(el)
		}
	case tagMap:
		if el := d.typ(d.byte()); el != nil {
			return reflect.MapOf(basicTypes[reflect.String], el)
		}
	default:
		if t, ok := basicTypes[reflect.Kind(tag)]; ok {
			return t
		}
	}
	d.fail()
	return nil
}

// any reads a dynamic value written by encoder.any.
func (d *decoder) any() any {
	tag := d.byte()
	switch tag {
	case tagNil:
		return nil
	case byte(reflect.String):
		return d.string()
	case tagMap:
		if len(d.B) > 0 && d.B[0] == tagAny {
			d.B = d.B[1:]
			return d.mapAny()
		}
	case tagSlice:
		if len(d.B) > 0 && d.B[0] == tagAny {
			d.B = d.B[1:]
			n, isNil := d.count()
			if isNil {
				return []any(nil)
			}
			s := make([]any, n)
			for i := range s {
				s[i] = d.any()
			}
			return s
		}
	}
	t := d.typ(tag)
	if t == nil {
		return nil
	}
	v := reflect.New(t).Elem()
	d.value(v)
	return v.Interface()
}

func (d *decoder) mapAny() map[string]any {
	n, isNil := d.count()
	if isNil {
		return nil
	}
	m := make(map[string]any, n)
	for range n {
		k := d.string()
		m[k] = d.any()
	}
	return m
}

// value reads into v, a settable value of the type the descriptor gave.
func (d *decoder) value(v reflect.Value) {
	if d.Bad {
		return
	}
	switch v.Kind() {
	case reflect.Interface:
		if x := d.any(); x != nil {
			v.Set(reflect.ValueOf(x))
		}
	case reflect.Bool:
		v.SetBool(d.byte() == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(d.Varint())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(d.Uvarint())
	case reflect.Float32, reflect.Float64:
		if len(d.B) < 8 {
			d.fail()
			return
		}
		v.SetFloat(math.Float64frombits(binary.LittleEndian.Uint64(d.B)))
		d.B = d.B[8:]
	case reflect.String:
		v.SetString(d.string())
	case reflect.Slice:
		n, isNil := d.count()
		if isNil {
			return
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			d.value(s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		n, isNil := d.count()
		if isNil {
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), n)
		for range n {
			k := reflect.ValueOf(d.string())
			el := reflect.New(v.Type().Elem()).Elem()
			d.value(el)
			m.SetMapIndex(k, el)
		}
		v.Set(m)
	default:
		d.fail()
	}
}
