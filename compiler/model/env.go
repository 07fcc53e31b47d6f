package model

import "encoding/json"

// EnvValue is an environment variable's value: a plain string, or a key of a Secret or
// ConfigMap.
type EnvValue struct {
	Value     string  `json:"-"`
	Secret    *KeyRef `json:"secret,omitempty"`
	ConfigMap *KeyRef `json:"configMap,omitempty"`
	// Field is a field of the pod (a fieldRef's fieldPath), as PodDefault containers take it.
	Field string `json:"field,omitempty"`
	// source is set when the value was written as a source, with or without one set.
	source bool
}

// KeyRef is a key of a Secret or ConfigMap.
type KeyRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// UnmarshalJSON accepts a string or an object with secret or configMap.
func (e *EnvValue) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		*e = EnvValue{}
		return json.Unmarshal(b, &e.Value)
	}
	type source EnvValue
	var s source
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*e = EnvValue(s)
	e.source = true
	return nil
}

// IsRef reports whether the value comes from a Secret or ConfigMap.
func (e EnvValue) IsRef() bool { return e.Secret != nil || e.ConfigMap != nil }

// NamesNoSource reports a value written as a source that names neither a Secret nor a
// ConfigMap.
func (e EnvValue) NamesNoSource() bool { return e.source && !e.IsRef() && e.Field == "" }
