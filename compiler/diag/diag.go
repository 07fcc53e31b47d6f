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
	// Notes point at the other places the problem has to do with: each declaration
	// counted toward a quota that they exceed together, say.
	Notes []Note `json:"notes,omitempty"`
}

// Note is a place a diagnostic has to do with, and what it has to do with it.
type Note struct {
	Pos     Position `json:"position"`
	Path    string   `json:"path,omitempty"`
	Message string   `json:"message"`
}

// MaxNotesShown is how many of a diagnostic's notes the text and github formats show;
// the json format has them all.
const MaxNotesShown = 10

// String formats the diagnostic the way compilers do: "file:line:col: path: message",
// and each of its first MaxNotesShown notes the same way on a line of its own,
// indented.
func (d Diagnostic) String() string {
	var b strings.Builder
	writePos(&b, d.Pos)
	if d.Severity == Warning {
		b.WriteString("warning: ")
	}
	writeMessage(&b, d.Path, d.Message)
	for i, n := range d.Notes {
		b.WriteString("\n\t")
		if i == MaxNotesShown {
			fmt.Fprintf(&b, "... and %d more (--format json lists them all)", len(d.Notes)-i)
			break
		}
		b.WriteString(n.String())
	}
	return b.String()
}

// String formats the note as a diagnostic: "file:line:col: path: message".
func (n Note) String() string {
	var b strings.Builder
	writePos(&b, n.Pos)
	writeMessage(&b, n.Path, n.Message)
	return b.String()
}

func writePos(b *strings.Builder, pos Position) {
	if s := pos.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
}

func writeMessage(b *strings.Builder, path, msg string) {
	if path != "" {
		b.WriteString(path)
		b.WriteString(": ")
	}
	b.WriteString(msg)
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

// Sort orders the diagnostics by file, line, column, path, message and notes, and drops
// exact duplicates, so that reports are the same from run to run.
func (l List) Sort() List {
	slices.SortFunc(l, func(a, b Diagnostic) int {
		return cmp.Or(
			comparePositions(a.Pos, b.Pos),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Message, b.Message),
			slices.CompareFunc(a.Notes, b.Notes, compareNotes),
		)
	})
	return slices.CompactFunc(l, func(a, b Diagnostic) bool {
		return a.Severity == b.Severity && a.Pos == b.Pos && a.Path == b.Path && a.Message == b.Message && slices.Equal(a.Notes, b.Notes)
	})
}

func compareNotes(a, b Note) int {
	return cmp.Or(comparePositions(a.Pos, b.Pos), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Message, b.Message))
}

// comparePositions orders positions by file, line and column.
func comparePositions(a, b Position) int {
	return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
}

// Error makes the list usable as an error: one diagnostic per line.
func (l List) Error() string {
	lines := make([]string, len(l))
	for i, d := range l {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}
