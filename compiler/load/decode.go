package load

import (
	"bytes"
	"encoding/json"

	"cuelang.org/go/cue"
)

// DecodeTenant decodes the tenant's declarations (the TenantFields) into x, a struct with
// JSON tags. It goes through JSON, which costs a fraction of cue.Value.Decode.
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
	return json.Unmarshal(buf.Bytes(), x)
}
