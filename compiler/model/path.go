package model

import (
	"strconv"
	"strings"
)

// Path joins field names into a CUE path such as notebooks."alice-dev".resources, quoting
// the names that are not identifiers, as CUE prints paths in its errors.
func Path(fields ...string) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('.')
		}
		if isIdentifier(f) {
			b.WriteString(f)
		} else {
			b.WriteString(strconv.Quote(f))
		}
	}
	return b.String()
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r == '$' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return true
}
