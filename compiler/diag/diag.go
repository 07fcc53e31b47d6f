// Package diag holds the diagnostics mlc reports about a platform repository: what is
// wrong, at which file, line and column, and in which field.
package diag

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity tells whether a diagnostic stops the compilation.
type Severity string

const (
	// Error means the input is wrong and nothing is rendered.
	Error Severity = "error"
	// Warning means the input compiles, but probably not as its author intended.
	Warning Severity = "warning"
)

// Position is a place in a file of the repository. File is relative to the repository
// root, with forward slashes. Line and Column start at 1; zero means unknown.
type Position struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// String formats the position as file:line:col, leaving out what is unknown.
func (p Position) String() string {
	switch {
	case p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Diagnostic is one problem found in the repository.
type Diagnostic struct {
	Severity Severity `json:"severity"`
	Pos      Position `json:"position"`
	// Path is the CUE field path, such as notebooks.dev.resources.cpu; empty when the
	// problem is not about one field.
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// String formats the diagnostic the way compilers do: "file:line:col: path: message".
func (d Diagnostic) String() string {
	var b strings.Builder
	if s := d.Pos.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	if d.Severity == Warning {
		b.WriteString("warning: ")
	}
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// List is a set of diagnostics.
type List []Diagnostic

// Errorf appends an error at pos.
func (l *List) Errorf(pos Position, path, format string, args ...any) {
	*l = append(*l, Diagnostic{Severity: Error, Pos: pos, Path: path, Message: fmt.Sprintf(format, args...)})
}

// HasErrors reports whether any diagnostic is an error.
func (l List) HasErrors() bool {
	return slices.ContainsFunc(l, func(d Diagnostic) bool { return d.Severity == Error })
}

// Sort orders the diagnostics by file, line, column, path and message, and drops exact
// duplicates, so that reports are the same from run to run.
func (l List) Sort() List {
	slices.SortFunc(l, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return slices.Compact(l)
}

// Error makes the list usable as an error: one diagnostic per line.
func (l List) Error() string {
	lines := make([]string, len(l))
	for i, d := range l {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}
