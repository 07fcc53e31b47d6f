package load

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/mlc-gitops/mlc/compiler/diag"
)

// FromCUE turns a CUE error into diagnostics, each placed at the first position in a user
// file (not in mlc's embedded schemas) and naming the field path.
func FromCUE(err error) diag.List {
	var l diag.List
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		msg := cueerrors.Sanitize(e).Error()
		if format != "" {
			msg = fmtMsg(format, args)
		}
		if rest, ok := strings.CutPrefix(msg, "incomplete value "); ok {
			msg = "required, but not set (want " + rest + ")"
		}
		path := strings.TrimPrefix(strings.Join(e.Path(), "."), "#Repository.")
		positions := append([]token.Pos{e.Position()}, cueerrors.Positions(e)...)
		l = append(l, diag.Diagnostic{
			Severity: diag.Error,
			Pos:      userPosition(positions),
			Path:     path,
			Message:  msg,
		})
	}
	return mergeDisjunctions(l).Sort()
}

var conflictPattern = regexp.MustCompile(`^conflicting values (".*") and (".*")$`)

// mergeDisjunctions turns CUE's report of a value that matches no alternative of an
// enumeration — "N errors in empty disjunction" and one "conflicting values" per
// alternative — into one diagnostic listing the allowed values.
func mergeDisjunctions(l diag.List) diag.List {
	pairs := map[key][][2]string{}
	for _, d := range l {
		if m := conflictPattern.FindStringSubmatch(d.Message); m != nil {
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
				slices.Sort(others)
				merged[k] = fmt.Sprintf("%s is not allowed here; want one of %s", candidate, strings.Join(others, ", "))
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
			if strings.Contains(d.Message, "errors in empty disjunction") && hasMerged(merged, d.Path) {
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

// userPosition picks the first position that is in a user file.
func userPosition(positions []token.Pos) diag.Position {
	for _, p := range positions {
		if p.IsValid() && !strings.HasPrefix(p.Filename(), embeddedPrefix) {
			return PositionOf(p)
		}
	}
	return diag.Position{}
}

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
func Locate(v cue.Value, path string) diag.Position {
	sel := cue.ParsePath(path).Selectors()
	for n := len(sel); n >= 0; n-- {
		fv := v.LookupPath(cue.MakePath(sel[:n]...))
		if !fv.Exists() {
			continue
		}
		if p := userPositionOf(fv); p.File != "" {
			return p
		}
	}
	return diag.Position{}
}

func userPositionOf(v cue.Value) diag.Position {
	var ps []token.Pos
	collectPositions(v, 3, &ps)
	return userPosition(ps)
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
