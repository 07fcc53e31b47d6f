package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"cuelang.org/go/cue"

	"github.com/mlc-gitops/mlc/compiler/diag"
)

// DecodeTenant decodes the tenant's declarations (the TenantFields) into x, a struct with
// JSON tags. It goes through JSON, which costs a fraction of cue.Value.Decode. A value
// that fits no Go field (a number too large for it) is returned as a diagnostic at the
// value's line.
func (inst *Instance) DecodeTenant(x any) error {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for field := range TenantFields {
		v := inst.Value.LookupPath(cue.MakePath(cue.Str(field)))
		if !v.Exists() {
			continue
		}
		b, err := v.MarshalJSON()
		if err != nil {
			return err
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		name, _ := json.Marshal(field)
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(b)
	}
	buf.WriteByte('}')
	err := json.Unmarshal(buf.Bytes(), x)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return inst.misfit(typeErr)
	}
	return err
}

// misfit places a value that fits no Go field: JSON names the struct path but not the
// map keys, so it finds the value itself.
func (inst *Instance) misfit(e *json.UnmarshalTypeError) error {
	literal := strings.TrimPrefix(e.Value, "number ")
	var d diag.Diagnostic
	inst.Value.Walk(func(v cue.Value) bool {
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
