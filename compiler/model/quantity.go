package model

import (
	"encoding/json"
	"strconv"
)

// Quantity is a resource amount that CUE lets users write as a number (4, 0.5) or as a
// Kubernetes quantity string ("500m"). It keeps the Kubernetes string form.
type Quantity string

// UnmarshalJSON accepts a JSON number or string.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*q = Quantity(s)
		return nil
	}
	var f json.Number
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	v, err := f.Float64()
	if err != nil {
		return err
	}
	*q = Quantity(strconv.FormatFloat(v, 'f', -1, 64))
	return nil
}
