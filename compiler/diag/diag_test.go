package diag

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// overrun is a diagnostic with a note per declaration counted, as a quota check makes.
func overrun(notes int) Diagnostic {
	d := Diagnostic{Severity: Error, Pos: Position{File: "tenants/a/tenant.cue", Line: 5, Column: 39}, Path: "tenant.quota.gpu",
		Message: "the tenant's declarations request 3 GPUs in all, more than its quota of 2"}
	for i := range notes {
		d.Notes = append(d.Notes, Note{Pos: Position{File: "tenants/a/notebooks.cue", Line: 3 + i, Column: 2},
			Path: fmt.Sprintf("notebooks.n%d.resources.gpu", i), Message: "this notebook requests 1 GPU of the 3 counted toward tenant.quota.gpu"})
	}
	return d
}

// TestNotesInText: each note is a line of its own under the diagnostic, as compilers
// print related places, up to MaxNotesShown of them and a count of the rest.
func TestNotesInText(t *testing.T) {
	got := overrun(2).String()
	want := "tenants/a/tenant.cue:5:39: tenant.quota.gpu: the tenant's declarations request 3 GPUs in all, more than its quota of 2\n" +
		"\ttenants/a/notebooks.cue:3:2: notebooks.n0.resources.gpu: this notebook requests 1 GPU of the 3 counted toward tenant.quota.gpu\n" +
		"\ttenants/a/notebooks.cue:4:2: notebooks.n1.resources.gpu: this notebook requests 1 GPU of the 3 counted toward tenant.quota.gpu"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	lines := strings.Split(overrun(MaxNotesShown+5).String(), "\n")
	if len(lines) != MaxNotesShown+2 || lines[len(lines)-1] != "\t... and 5 more (--format json lists them all)" {
		t.Errorf("%d lines, the last %q", len(lines), lines[len(lines)-1])
	}
}

// TestNotesInFormats: json keeps every note; github makes each shown note a notice at
// its own line, where a pull request's changed line shows it.
func TestNotesInFormats(t *testing.T) {
	l := List{overrun(MaxNotesShown + 1)}
	var buf bytes.Buffer
	if err := Write(&buf, "json", l); err != nil {
		t.Fatal(err)
	}
	var back List
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 1 || len(back[0].Notes) != MaxNotesShown+1 || back[0].Notes[0] != l[0].Notes[0] {
		t.Errorf("json lost notes:\n%s", buf.String())
	}
	buf.Reset()
	if err := Write(&buf, "github", l); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1+MaxNotesShown {
		t.Fatalf("%d annotations, want %d:\n%s", len(lines), 1+MaxNotesShown, buf.String())
	}
	if !strings.HasPrefix(lines[0], "::error file=tenants/a/tenant.cue,line=5,col=39,") {
		t.Errorf("first annotation: %s", lines[0])
	}
	want := "::notice file=tenants/a/notebooks.cue,line=4,col=2,title=mlc%3A notebooks.n1.resources.gpu::notebooks.n1.resources.gpu: this notebook requests 1 GPU of the 3 counted toward tenant.quota.gpu"
	if lines[2] != want {
		t.Errorf("note annotation:\n%s\nwant:\n%s", lines[2], want)
	}
}

// TestSortKeepsDiagnosticsThatDifferInNotes: Sort drops exact duplicates only.
func TestSortKeepsDiagnosticsThatDifferInNotes(t *testing.T) {
	l := List{overrun(1), overrun(2), overrun(1)}.Sort()
	if len(l) != 2 {
		t.Errorf("%d diagnostics after Sort, want 2:\n%s", len(l), l.Error())
	}
}
