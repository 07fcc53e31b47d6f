package load

import "fmt"

// numberOutOfBound matches CUE's report of a number outside a bound of the schemas.
var numberOutOfBound = lazyRegexp(`^invalid value (-?[0-9][0-9.eE+-]*) \(out of bound (>=|>|<=|<)(-?[0-9][0-9.eE+-]*)\)$`)

// explainBound says a number out of a schema's bound the way mlc's checks say it:
// "must be 1 or more (got 0)". ok is false for other messages.
func explainBound(msg string) (string, bool) {
	m := numberOutOfBound().FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	got, op, bound := m[1], m[2], m[3]
	switch op {
	case ">=":
		return fmt.Sprintf("must be %s or more (got %s)", bound, got), true
	case ">":
		return fmt.Sprintf("must be more than %s (got %s)", bound, got), true
	case "<=":
		return fmt.Sprintf("must be %s or less (got %s)", bound, got), true
	default:
		return fmt.Sprintf("must be less than %s (got %s)", bound, got), true
	}
}
