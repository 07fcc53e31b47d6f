package diff

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v2"

	"github.com/mlc-gitops/mlc/compiler/diag"
)

// Formats names the output formats: WriteText, WriteMarkdown and WriteJSON.
var Formats = []string{"text", "markdown", "json"}

// CheckFormat reports a format that is not one of Formats.
func CheckFormat(format string) error {
	for _, f := range Formats {
		if f == format {
			return nil
		}
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// line is one line of a field's or an object's difference, as a unified diff shows it:
// sign is '+' for the head's, '-' for the base's, ' ' for context.
type line struct {
	sign byte
	text string
}

// composite reports whether a value prints on several lines.
func composite(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return len(t) > 0
	case []any:
		return !scalars(t) || len(t) > 4
	}
	return false
}

// inline prints a value on one line: a scalar as YAML writes it ("1" quoted, 1 not), a
// list or map as compact JSON.
func inline(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		b, err := yaml.Marshal(t)
		if s := strings.TrimSuffix(string(b), "\n"); err == nil && !strings.Contains(s, "\n") {
			return s
		}
		return strconv.Quote(t)
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// block prints a value as YAML lines, without the trailing newline.
func block(v any) []string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return []string{fmt.Sprint(v)}
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// fieldLines shows one field's difference.
func fieldLines(f Field) []line {
	var out []line
	side := func(sign byte, v any) {
		if !composite(v) {
			out = append(out, line{sign, "  " + inline(v)})
			return
		}
		for _, l := range block(v) {
			out = append(out, line{sign, "  " + l})
		}
	}
	switch f.Op {
	case Added, Removed:
		sign, v := byte('+'), f.New
		if f.Op == Removed {
			sign, v = '-', f.Old
		}
		if !composite(v) {
			return []line{{sign, f.Path + ": " + inline(v)}}
		}
		out = append(out, line{sign, f.Path + ":"})
		side(sign, v)
	default:
		out = append(out, line{' ', f.Path + ":"})
		side('-', f.Old)
		side('+', f.New)
	}
	return out
}

// objectLines shows a whole added (+) or removed (-) object as YAML.
func objectLines(c *Change) []line {
	sign := byte('+')
	if c.Op == Removed {
		sign = '-'
	}
	var out []line
	for _, l := range block(c.Object) {
		out = append(out, line{sign, l})
	}
	return out
}

// replacement says which object an added or removed version replaces or is replaced by.
func replacement(c *Change) string {
	switch {
	case c.Replaces != "":
		return ", replacing " + c.Replaces
	case c.ReplacedBy != "":
		return ", replaced by " + c.ReplacedBy
	}
	return ""
}

// changeLines shows a change's detail: the object for an added or removed one, the
// fields for a changed one.
func changeLines(c *Change) []line {
	switch {
	case c.ReplacedBy != "":
		return nil // its replacement shows what differs
	case c.Op != Changed && c.Replaces == "":
		return objectLines(c)
	}
	var out []line
	for _, f := range c.Fields {
		out = append(out, fieldLines(f)...)
	}
	return out
}

// calloutFields says what a callout's fields change, on one line.
func calloutFields(co *Callout, code func(string) string) string {
	var parts []string
	for _, f := range co.Fields {
		var s string
		switch {
		case f.Op == Changed:
			s = code(f.Path) + ": " + code(inline(f.Old)) + " → " + code(inline(f.New))
		case f.Op == Added:
			s = code(f.Path) + ": " + code(inline(f.New))
			if co.Op == Changed || co.Replaces != "" {
				s += " (added)"
			}
		default:
			s = code(f.Path) + ": " + code(inline(f.Old))
			if co.Op == Changed || co.Replaces != "" {
				s += " (removed)"
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// countsText says "2 added, 1 removed, 3 changed", leaving out zeros.
func countsText(c Counts) string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{c.Added, "added"}, {c.Removed, "removed"}, {c.Changed, "changed"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// errorCount counts the errors among diagnostics.
func errorCount(l diag.List) int {
	n := 0
	for _, d := range l {
		if d.Severity == diag.Error {
			n++
		}
	}
	return n
}

// baseNote explains a base revision that counts as empty; empty when it compiled.
func (r *Report) baseNote() string {
	switch r.Base.State {
	case Invalid:
		return fmt.Sprintf("The base revision %s does not compile (%s), so every object of the head is shown as added.",
			r.Base.Label(), plural(errorCount(r.Base.Diagnostics), "error", "errors"))
	case Absent:
		where := "the top of the git repository"
		if r.Dir != "" {
			where = r.Dir
		}
		return fmt.Sprintf("The base revision %s has no platform repository in %s, so every object of the head is shown as added.",
			r.Base.Label(), where)
	}
	return ""
}

// headNote explains an invalid head; empty when it compiled.
func (r *Report) headNote() string {
	switch r.Head.State {
	case Invalid:
		return fmt.Sprintf("The head revision %s does not compile (%s): no diff until it does.",
			r.Head.Label(), plural(errorCount(r.Head.Diagnostics), "error", "errors"))
	case Rejected:
		return fmt.Sprintf("%s refuses %s of the head (%s) in a server-side dry run: Flux's apply would fail. No diff until it accepts them.",
			r.Base.Label(), plural(errorCount(r.Head.Diagnostics), "object", "objects"), r.Head.Label())
	}
	return ""
}

// warnings are the head's diagnostics that are not errors.
func (r *Report) warnings() diag.List {
	if r.Head.State == Invalid || r.Head.State == Rejected {
		return nil
	}
	var l diag.List
	for _, d := range r.Head.Diagnostics {
		if d.Severity != diag.Error {
			l = append(l, d)
		}
	}
	return l
}

// title names what is compared: "examples/quickstart: origin/main (…) → working tree".
func (r *Report) title() string {
	s := r.Base.Label() + " → " + r.Head.Label()
	if r.Dir != "" {
		s = r.Dir + ": " + s
	}
	return s
}

// calloutGroup is callouts that say the same thing of the same object in several
// clusters, or of objects of several kinds with one name (a contributor's RoleBinding
// and AuthorizationPolicy): text and Markdown show them once.
type calloutGroup struct {
	*Callout
	kinds    []string
	clusters []string
}

func groupCallouts(cs []Callout) []calloutGroup {
	var groups []calloutGroup
	at := map[string]int{}
	for i := range cs {
		c := &cs[i]
		key := strings.Join([]string{c.Rule, c.Title, c.Tenant, c.Namespace, c.Name, string(c.Op), c.Replaces, c.Note, calloutFields(c, strings.Clone)}, "\x00")
		j, ok := at[key]
		if !ok {
			at[key] = len(groups)
			groups = append(groups, calloutGroup{Callout: c, kinds: []string{c.Kind}, clusters: []string{c.Cluster}})
			continue
		}
		g := &groups[j]
		if !slices.Contains(g.kinds, c.Kind) {
			g.kinds = append(g.kinds, c.Kind)
		}
		if !slices.Contains(g.clusters, c.Cluster) {
			g.clusters = append(g.clusters, c.Cluster)
		}
	}
	return groups
}

// tenantLabel names a tenant for people; the cluster's own objects have none.
func tenantLabel(tenant string) string {
	if tenant == "" {
		return "(cluster)"
	}
	return tenant
}
