package load

import "testing"

// TestExplainBound: a number out of a schema's bound is said as the checks say it; other
// messages are left to the rest of explain.
func TestExplainBound(t *testing.T) {
	cases := []struct{ msg, want string }{
		{"invalid value -32 (out of bound >=1)", "must be 1 or more (got -32)"},
		{"invalid value 0 (out of bound >0)", "must be more than 0 (got 0)"},
		{"invalid value 120 (out of bound <=100)", "must be 100 or less (got 120)"},
		{"invalid value 0.5 (out of bound >=1)", "must be 1 or more (got 0.5)"},
		{"invalid value 9223372036854775807 (out of bound <=2147483647)", "must be 2147483647 or less (got 9223372036854775807)"},
		{"invalid value 1e+3 (out of bound <10)", "must be less than 10 (got 1e+3)"},
		{`invalid value "x" (out of bound =~"^/")`, ""},
		{"conflicting values 1 and 2", ""},
	}
	for _, tc := range cases {
		got, ok := explainBound(tc.msg)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.msg, got, ok, tc.want)
		}
	}
}
