package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"cuelang.org/go/cue"

	"github.com/mlc-gitops/mlc/compiler/diag"
)

// DecodeTenant decodes the tenant's declarations (the TenantFields) into x, a pointer to
// a struct with JSON tags or to a map, as encoding/json would decode their JSON, but
// without making it (see valueDecoder), which was a large part of a tenant's time. A
// value that fits no Go field (a number too large for it) is returned as a diagnostic
// at the value's line. A tenant evaluated in shards is evaluated here, a shard at a
// time, and the problems CUE finds in it are returned as a diag.List.
func (inst *Instance) DecodeTenant(x any) error {
	rv := reflect.ValueOf(x)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("load: DecodeTenant needs a non-nil pointer, not %T", x)
	}
	var d valueDecoder
	var err error
	if inst.shards != nil {
		err = inst.shards.decode(inst, &d, rv.Elem())
	} else {
		err = d.decodeTenant(inst.Value, rv.Elem())
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case d.misfit != nil:
		m := d.misfit
		path := userPath(m.v.Path().String())
		return diag.List{{Severity: diag.Error, Pos: inst.Locate(path), Path: path,
			Message: fmt.Sprintf("%s is too large: it must fit a %s", m.text, m.goType)}}
	case errors.As(err, &typeErr):
		return inst.misfit(typeErr)
	}
	return err
}

// decodeTenant decodes the tenant fields of v into target, a struct or a map.
func (d *valueDecoder) decodeTenant(v cue.Value, target reflect.Value) error {
	if target.Kind() == reflect.Map {
		return d.decodeMap(v, target, tenantFields().sorted)
	}
	return d.decode(v, target)
}

// misfit places a value that fits no Go field: JSON names the struct path but not the
// map keys, so it finds the value itself.
func (inst *Instance) misfit(e *json.UnmarshalTypeError) error {
	literal := strings.TrimPrefix(e.Value, "number ")
	var d diag.Diagnostic
	current := inst.Value
	if inst.shards != nil {
		current = inst.shards.val // the shard being decoded
	}
	current.Walk(func(v cue.Value) bool {
		if d.Pos.File != "" {
			return false
		}
		if v.IncompleteKind() == cue.IntKind {
			if s, err := v.MarshalJSON(); err == nil && string(s) == literal {
				d.Path = userPath(v.Path().String())
				d.Pos = inst.Locate(d.Path)
			}
		}
		return true
	}, nil)
	if d.Pos.File == "" {
		return misfitError(e)
	}
	d.Severity = diag.Error
	d.Message = fmt.Sprintf("%s is too large: it must fit a %s", literal, e.Type)
	return diag.List{d}
}

func misfitError(e *json.UnmarshalTypeError) error {
	return fmt.Errorf("%s: %s does not fit a %s", e.Field, e.Value, e.Type)
}
