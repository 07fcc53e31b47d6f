package load

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/mlc-gitops/mlc/compiler/diag"
)

// FromCUE turns a CUE error into diagnostics, each placed at the first position in a user
// file (not in mlc's embedded schemas) and naming the field path.
func FromCUE(err error) diag.List { return fromCUE(err, nil) }

// fromCUE is FromCUE that places a diagnostic in one of the secondary files (those that
// only bind the repository to mlc's schemas, like the schema.cue `mlc init` writes) only
// when no other user file has a position for it.
func fromCUE(err error, secondary map[string]bool) diag.List {
	var l diag.List
	// For a conflict, the other places that declare the field, said after the merge of
	// disjunctions (which reads the messages as CUE wrote them).
	also := map[key][]string{}
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		msg := cueerrors.Sanitize(e).Error()
		if format != "" && format != "%s" && format != "%v" {
			msg = fmtMsg(format, args)
		}
		msg = explain(msg)
		if rest, ok := strings.CutPrefix(msg, "incomplete value "); ok {
			msg = "required, but not set (want " + rest + ")"
		}
		path := userPath(strings.Join(e.Path(), "."))
		positions := append([]token.Pos{e.Position()}, cueerrors.Positions(e)...)
		pos := userPosition(positions, secondary)
		if strings.HasPrefix(msg, "conflicting values ") {
			also[key{pos, path}] = otherPlaces(positions, pos)
		}
		l = append(l, diag.Diagnostic{
			Severity: diag.Error,
			Pos:      pos,
			Path:     path,
			Message:  msg,
		})
	}
	l = mergeDisjunctions(l)
	for i, d := range l {
		if others := also[key{d.Pos, d.Path}]; len(others) > 0 && strings.HasPrefix(d.Message, "conflicting values ") {
			l[i].Message += " (declared at " + d.Pos.String() + " and " + strings.Join(others, " and ") + ")"
		}
	}
	return l.Sort()
}

// otherPlaces returns the user files' positions among positions other than pos,
// formatted, without repeats.
func otherPlaces(positions []token.Pos, pos diag.Position) []string {
	var out []string
	for _, p := range positions {
		if !p.IsValid() || strings.HasPrefix(p.Filename(), embeddedPrefix) {
			continue
		}
		if s := PositionOf(p).String(); s != pos.String() && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// The regular expressions here are compiled when first needed, not when mlc starts.
var conflictPattern = lazyRegexp(`^conflicting values (.+?) and (.+?)(?: \(mismatched types [a-z]+ and [a-z]+\))?$`)

// lazyRegexp returns what compiles expr the first time it is called.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// mergeDisjunctions turns CUE's report of a value that matches no alternative of an
// enumeration — "N errors in empty disjunction" and one "conflicting values" per
// alternative — into one diagnostic listing the allowed values.
func mergeDisjunctions(l diag.List) diag.List {
	pairs := map[key][][2]string{}
	for _, d := range l {
		if m := conflictPattern().FindStringSubmatch(d.Message); m != nil {
			k := key{d.Pos, d.Path}
			pairs[k] = append(pairs[k], [2]string{m[1], m[2]})
		}
	}
	merged := map[key]string{}
	for k, ps := range pairs {
		if len(ps) < 2 {
			continue
		}
		// The user's value is the one every pair shares.
		for _, candidate := range ps[0] {
			var others []string
			for _, p := range ps {
				switch candidate {
				case p[0]:
					others = append(others, p[1])
				case p[1]:
					others = append(others, p[0])
				}
			}
			if len(others) == len(ps) {
				for i, o := range others {
					for _, p := range patterns {
						if o == p.expr {
							others[i] = p.meaning
						}
					}
				}
				others = dropCovered(others)
				slices.Sort(others)
				want := "one of " + strings.Join(others, ", ")
				if len(others) == 1 {
					want = others[0]
				}
				merged[k] = fmt.Sprintf("%s is not allowed here; want %s", candidate, want)
				break
			}
		}
	}
	var out diag.List
	done := map[key]bool{}
	for _, d := range l {
		k := key{d.Pos, d.Path}
		msg, ok := merged[k]
		if !ok {
			if strings.Contains(d.Message, "errors in empty disjunction") && (hasMerged(merged, d.Path) || hasOther(l, d)) {
				continue
			}
			out = append(out, d)
			continue
		}
		if !done[k] {
			done[k] = true
			d.Message = msg
			out = append(out, d)
		}
	}
	return out
}

// key identifies the diagnostics about one field at one place.
type key struct {
	pos  diag.Position
	path string
}

// dropCovered leaves out the alternatives a type among them already allows: with bool,
// true and false (a default written as *true | bool); with string, quoted strings.
func dropCovered(alts []string) []string {
	has := func(s string) bool { return slices.Contains(alts, s) }
	return slices.DeleteFunc(slices.Compact(slices.Sorted(slices.Values(alts))), func(a string) bool {
		switch {
		case has("bool") && (a == "true" || a == "false"):
			return true
		case has("string") && strings.HasPrefix(a, `"`):
			return true
		}
		return false
	})
}

// hasOther reports whether another diagnostic is about the same field.
func hasOther(l diag.List, d diag.Diagnostic) bool {
	for _, o := range l {
		if o.Path == d.Path && o.Message != d.Message {
			return true
		}
	}
	return false
}

func hasMerged(merged map[key]string, path string) bool {
	for k := range merged {
		if k.path == path {
			return true
		}
	}
	return false
}

func fmtMsg(format string, args []any) string {
	return strings.TrimSpace(cueerrors.Newf(token.NoPos, format, args...).Error())
}

// userPosition picks the first position that is in a user file, preferring files that
// are not secondary.
func userPosition(positions []token.Pos, secondary map[string]bool) diag.Position {
	var fallback diag.Position
	for _, p := range positions {
		if !p.IsValid() || strings.HasPrefix(p.Filename(), embeddedPrefix) {
			continue
		}
		if !secondary[p.Filename()] {
			return PositionOf(p)
		}
		if fallback.File == "" {
			fallback = PositionOf(p)
		}
	}
	return fallback
}

// patterns name what the schemas' regular expressions mean, so a mismatch says what is
// wanted instead of quoting the expression.
var patterns = []struct{ expr, meaning string }{
	{`=~"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"`, "a Kubernetes name: lower case letters, digits and '-', starting and ending with a letter or digit"},
	{`=~"^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"`, "an email address"},
	{`=~"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$|^[a-z0-9][-a-z0-9]*[*]$"`, "a namespace's name, or the start of one followed by *"},
	{`=~"^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"`, "a Kubernetes quantity such as 500m, 4 or 16Gi"},
	{`=~"^/"`, "an absolute path"},
	{`=~"^(string|int|float|bool|list|struct|Artifact|Dataset|Model|Metrics|ClassificationMetrics|SlicedClassificationMetrics|HTML|Markdown)$"`,
		"a parameter type (string, int, float, bool, list, struct) or an artifact type (Artifact, Dataset, Model, Metrics, ClassificationMetrics, SlicedClassificationMetrics, HTML, Markdown)"},
}

var (
	outOfBound           = lazyRegexp(`^invalid value (.*) \(out of bound (=~".*")\)$`)
	conflictsWithPattern = lazyRegexp(`^conflicting values (.*) and (=~".*") \(mismatched types \w+ and string\)$`)
)

// explain rewrites a pattern mismatch, or a number out of bounds, in words.
func explain(msg string) string {
	if said, ok := explainBound(msg); ok {
		return said
	}
	m := outOfBound().FindStringSubmatch(msg)
	if m == nil {
		// A value of another type than the pattern's: a number for an enumeration.
		if m = conflictsWithPattern().FindStringSubmatch(msg); m == nil {
			return msg
		}
	}
	for _, p := range patterns {
		if m[2] == p.expr {
			return fmt.Sprintf("%s is not %s", m[1], p.meaning)
		}
	}
	// The schemas write an enumeration as a pattern of its words, which CUE checks
	// at once rather than one word after another; said as a disjunction's mismatch.
	if e := enumeration().FindStringSubmatch(m[2]); e != nil {
		words := strings.Split(e[1], "|")
		slices.Sort(words)
		for i, w := range words {
			words[i] = strconv.Quote(w)
		}
		want := "one of " + strings.Join(words, ", ")
		if len(words) == 1 {
			want = words[0]
		}
		return fmt.Sprintf("%s is not allowed here; want %s", m[1], want)
	}
	return msg
}

// enumeration matches a pattern of words only: =~"^(a|b|c)$".
var enumeration = lazyRegexp(`^=~"\^\(([A-Za-z0-9._-]+(?:\|[A-Za-z0-9._-]+)*)\)\$"$`)

// PositionOf converts a CUE position.
func PositionOf(p token.Pos) diag.Position {
	if !p.IsValid() {
		return diag.Position{}
	}
	return diag.Position{File: filepath.ToSlash(p.Filename()), Line: p.Line(), Column: p.Column()}
}

// Locate returns where the field at path of v is written in a user file: the first of the
// conjuncts that make up the value which comes from the user. When the field itself comes
// only from the schemas or defaults, it tries the enclosing fields.
func Locate(v cue.Value, path string) diag.Position { return locate(v, path, nil) }

func locate(v cue.Value, path string, secondary map[string]bool) diag.Position {
	sel := selectors(path)
	for n := len(sel); n >= 0; n-- {
		fv := v.LookupPath(cue.MakePath(sel[:n]...))
		if !fv.Exists() {
			continue
		}
		if p := userPositionOf(fv, secondary); p.File != "" {
			return p
		}
	}
	return diag.Position{}
}

// selectors parses a field path as model.Path writes it. cue.ParsePath refuses an empty
// quoted label (""), which a user can declare, so such a path is split here.
func selectors(path string) []cue.Selector {
	if p := cue.ParsePath(path); p.Err() == nil {
		return p.Selectors()
	}
	var sel []cue.Selector
	for rest := path; rest != ""; rest = strings.TrimPrefix(rest, ".") {
		if rest[0] == '"' {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return sel
			}
			label, _ := strconv.Unquote(q)
			sel, rest = append(sel, cue.Str(label)), rest[len(q):]
		} else {
			i := strings.IndexAny(rest, ".[")
			if i < 0 {
				i = len(rest)
			}
			sel, rest = append(sel, cue.ParsePath(rest[:i]).Selectors()...), rest[i:]
		}
		for strings.HasPrefix(rest, "[") {
			j := strings.IndexByte(rest, ']')
			n, err := strconv.Atoi(rest[1:max(j, 1)])
			if j < 0 || err != nil {
				return sel
			}
			sel, rest = append(sel, cue.Index(n)), rest[j+1:]
		}
	}
	return sel
}

func userPositionOf(v cue.Value, secondary map[string]bool) diag.Position {
	var ps []token.Pos
	collectPositions(v, 3, &ps)
	return userPosition(ps, secondary)
}

// collectPositions gathers the positions of v and of the conjuncts it is made of.
func collectPositions(v cue.Value, depth int, ps *[]token.Pos) {
	*ps = append(*ps, v.Pos())
	if src := v.Source(); src != nil {
		*ps = append(*ps, src.Pos())
	}
	if depth == 0 {
		return
	}
	if op, args := v.Expr(); op == cue.AndOp {
		for _, a := range args {
			collectPositions(a, depth-1, ps)
		}
	}
}

// userPath is a CUE path as the user writes it: without the schema definition the
// instance was unified with.
func userPath(p string) string {
	if rest, ok := strings.CutPrefix(p, "#Repository."); ok {
		return rest
	}
	return strings.TrimPrefix(p, "#TenantDeclarations.")
}
