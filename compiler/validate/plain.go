package validate

import (
	"maps"
	"math"
	"slices"
	"unicode/utf8"
)

// plainCopy returns a deep copy of v equal to what normalize's JSON round trip
// gives (encoding/json's Marshal, then utiljson's Unmarshal, which keeps
// integers as int64 and makes other numbers float64), without encoding
// anything. It returns false when v holds a value whose round trip it does
// not reproduce exactly (a type other than the plain JSON ones and Go's
// integers, a float32, a json.Number, a non-finite float, an integral float
// beyond 2^53, a string that is not valid UTF-8); the caller then takes the round trip itself.
func plainCopy(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case string:
		return x, utf8.ValidString(x)
	case bool:
		return x, true
	case map[string]any:
		if x == nil {
			return nil, true // encodes as null
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			if !utf8.ValidString(k) {
				return nil, false
			}
			c, ok := plainCopy(e)
			if !ok {
				return nil, false
			}
			m[k] = c
		}
		return m, true
	case []any:
		if x == nil {
			return nil, true // encodes as null
		}
		s := make([]any, len(x))
		for i, e := range x {
			c, ok := plainCopy(e)
			if !ok {
				return nil, false
			}
			s[i] = c
		}
		return s, true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint:
		return uintValue(uint64(x))
	case uint64:
		return uintValue(x)
	case uint32:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint8:
		return int64(x), true
	case float64:
		return floatValue(x)
	}
	return nil, false
}

func uintValue(u uint64) (any, bool) {
	if u > math.MaxInt64 {
		return nil, false // decoded as a float64; left to the round trip
	}
	return int64(u), true
}

// floatValue is f after the round trip: encoding/json writes an integral
// float64 below 1e21 without exponent or fraction, and the decoder reads
// that back as an int64 when it fits. Beyond 2^53 the digits written are the
// shortest that identify f, not f's own, so those are left to the round trip.
func floatValue(f float64) (any, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, false // not encodable; the round trip reports it
	}
	if f != math.Trunc(f) {
		return f, true
	}
	if math.Abs(f) <= 1<<53 {
		return int64(f), true
	}
	return nil, false
}

// plainShared is plainCopy without the copy: it returns v normalized as the
// JSON round trip would, sharing every map and slice of v that needs no
// change, and allocating new ones only on the way to a value that changes.
// changed reports that the result is not v itself. The result must be treated
// as read-only where it is shared; see crdEntry.validate.
func plainShared(v any) (out any, changed, ok bool) {
	switch x := v.(type) {
	case nil, bool, int64:
		return v, false, true
	case string:
		return v, false, utf8.ValidString(x)
	case float64:
		f, ok := floatValue(x)
		if !ok {
			return nil, false, false
		}
		_, isInt := f.(int64)
		if isInt {
			return f, true, true
		}
		return v, false, true
	case map[string]any:
		if x == nil {
			return nil, true, true // encodes as null
		}
		var clone map[string]any
		for k, e := range x {
			if !utf8.ValidString(k) {
				return nil, false, false
			}
			n, ch, ok := plainShared(e)
			if !ok {
				return nil, false, false
			}
			if ch {
				if clone == nil {
					clone = maps.Clone(x)
				}
				clone[k] = n
			}
		}
		if clone != nil {
			return clone, true, true
		}
		return v, false, true
	case []any:
		if x == nil {
			return nil, true, true // encodes as null
		}
		var clone []any
		for i, e := range x {
			n, ch, ok := plainShared(e)
			if !ok {
				return nil, false, false
			}
			if ch {
				if clone == nil {
					clone = slices.Clone(x)
				}
				clone[i] = n
			}
		}
		if clone != nil {
			return clone, true, true
		}
		return v, false, true
	}
	// Other integers, and what plainCopy declines.
	c, ok := plainCopy(v)
	return c, ok, ok
}
