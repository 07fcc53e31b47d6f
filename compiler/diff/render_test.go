package diff

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/synth"
)

func render(t *testing.T, r *Report, format string, limit int) string {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch format {
	case "text":
		err = WriteText(&b, r, false)
	case "color":
		err = WriteText(&b, r, true)
	case "markdown":
		err = WriteMarkdown(&b, r, limit)
	case "json":
		err = WriteJSON(&b, r)
	default:
		t.Fatalf("format %s", format)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// checkMarkdown checks the limit and what GitHub needs to render the comment as meant:
// the marker first, balanced <details> and code fences.
func checkMarkdown(t *testing.T, md string, limit int) {
	t.Helper()
	if len(md) > limit {
		t.Errorf("Markdown is %d bytes, over the limit of %d", len(md), limit)
	}
	if !strings.HasPrefix(md, Marker+"\n") {
		t.Errorf("Markdown does not start with the marker")
	}
	var outside strings.Builder // the Markdown outside code blocks
	open := ""                  // the fence of the code block we are in
	for l := range strings.Lines(md) {
		run := len(l) - len(strings.TrimLeft(l, "`"))
		switch {
		case open == "" && run >= 3:
			open = l[:run]
		case open != "" && run >= len(open) && strings.TrimSpace(l[run:]) == "":
			open = ""
		case open == "":
			outside.WriteString(l)
		}
	}
	if open != "" {
		t.Errorf("a code block is not closed")
	}
	if opened, closed := strings.Count(outside.String(), "<details>"), strings.Count(outside.String(), "</details>"); opened != closed {
		t.Errorf("%d <details> but %d </details>", opened, closed)
	}
}

// copySnapshot copies every object deeply, so that one side can be edited.
func copySnapshot(t *testing.T, s Snapshot) Snapshot {
	out := Snapshot{}
	for c, tenants := range s {
		out[c] = map[string][]manifest.Object{}
		for tn, objs := range tenants {
			for _, o := range objs {
				tree, err := o.Tree()
				if err != nil {
					t.Fatal(err)
				}
				b, err := json.Marshal(tree)
				if err != nil {
					t.Fatal(err)
				}
				var m map[string]any
				if err := json.Unmarshal(b, &m); err != nil {
					t.Fatal(err)
				}
				out[c][tn] = append(out[c][tn], manifest.Object{Content: m, Source: o.Source})
			}
		}
	}
	return out
}

// TestMarkdownLimitOnLargeChange compiles a platform of 300 tenants with 10 notebooks
// each and requires the comment to stay within the limit, and say what it left out,
// when it is all new and when every notebook's image changes.
func TestMarkdownLimitOnLargeChange(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles 300 tenants")
	}
	dir := t.TempDir()
	if err := synth.Write(dir, synth.Spec{Tenants: 300, Notebooks: 10}); err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(context.Background(), dir, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		t.Fatal(res.Diagnostics.Error())
	}
	base := FromResult(res)

	t.Run("all added", func(t *testing.T) {
		r := compare(t, nil, base)
		r.Base = Revision{Ref: "origin/main", Commit: strings.Repeat("a", 40), State: Absent}
		if r.Totals.Added < 300*10 {
			t.Fatalf("only %d objects added", r.Totals.Added)
		}
		md := render(t, r, "markdown", MarkdownLimit)
		checkMarkdown(t, md, MarkdownLimit)
		for _, want := range []string{"has no platform repository", "**Truncated**", "objects are listed, ", "without details", "more callouts", "more rows", "<b>added</b>"} {
			if !strings.Contains(md, want) {
				t.Errorf("Markdown lacks %q", want)
			}
		}
		if len(md) < MarkdownLimit*3/4 {
			t.Errorf("Markdown is only %d bytes: the room is not used", len(md))
		}
		again := compare(t, nil, base)
		again.Base = r.Base
		if render(t, again, "markdown", MarkdownLimit) != md {
			t.Errorf("the same comparison rendered different Markdown")
		}
	})

	t.Run("every image changed", func(t *testing.T) {
		head := copySnapshot(t, base)
		edited := 0
		for _, tenants := range head {
			for _, objs := range tenants {
				for _, o := range objs {
					if o.Kind() != "Notebook" {
						continue
					}
					spec := o.Content["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
					c := spec["containers"].([]any)[0].(map[string]any)
					c["image"] = "ghcr.io/example/new:" + o.Name()
					edited++
				}
			}
		}
		r := compare(t, base, head)
		if r.Totals != (Counts{Changed: edited}) || len(r.Callouts) != edited {
			t.Fatalf("totals %+v, %d callouts; want %d changed and called out", r.Totals, len(r.Callouts), edited)
		}
		md := render(t, r, "markdown", MarkdownLimit)
		checkMarkdown(t, md, MarkdownLimit)
		if !strings.Contains(md, "**Truncated**") || !strings.Contains(md, "```diff\n  spec.template.spec.containers[name=") {
			t.Errorf("Markdown lacks the truncation note or a field diff")
		}
	})
}

// manyChanges is a report of n changed notebooks and n new claims in one tenant.
func manyChanges(t *testing.T, n int) *Report {
	var base, head []manifest.Object
	for i := range n {
		name := fmt.Sprintf("nb-%03d", i)
		base = append(base, notebook(t, name, "x:1", 0))
		head = append(head, notebook(t, name, "x:2", 1), pvc(t, name+"-ws", true))
	}
	return compare(t, snapshot("prod", "vision", base...), snapshot("prod", "vision", head...))
}

func TestMarkdownTruncatesInOrder(t *testing.T) {
	r := manyChanges(t, 40)
	full := render(t, r, "markdown", 1<<20)
	checkMarkdown(t, full, 1<<20)
	if strings.Contains(full, "Truncated") || strings.Count(full, "<details><summary>") != 80 {
		t.Errorf("with room enough, every object has its details and nothing is truncated")
	}
	for _, limit := range []int{4000, 8000, 16000, 30000} {
		md := render(t, r, "markdown", limit)
		checkMarkdown(t, md, limit)
		if !strings.Contains(md, "**Truncated**") {
			t.Errorf("limit %d: no truncation note", limit)
		}
		if !strings.Contains(md, "**40 added, 40 changed** in 1 cluster") {
			t.Errorf("limit %d: the totals must always be there", limit)
		}
	}
}

func TestMarkdownEscapes(t *testing.T) {
	a := object(t, `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "v"}, "data": {"x": "plain"}}`)
	b := object(t, "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\", \"namespace\": \"v\"}, \"data\": {\"x\": \"```\\n</details>\"}}")
	md := render(t, compare(t, snapshot("p", "v", a), snapshot("p", "v", b)), "markdown", 0)
	checkMarkdown(t, md, MarkdownLimit)
	if !strings.Contains(md, "````diff\n") {
		t.Errorf("a value holding ``` needs a longer fence:\n%s", md)
	}
	if got := mdCode("a`b"); got != "`` a`b ``" {
		t.Errorf("mdCode: %s", got)
	}
	if got := mdText("<b>*x*</b>"); got != `&lt;b&gt;\*x\*&lt;/b&gt;` {
		t.Errorf("mdText: %s", got)
	}
}

func TestTextColor(t *testing.T) {
	r := manyChanges(t, 1)
	plain, color := render(t, r, "text", 0), render(t, r, "color", 0)
	if strings.Contains(plain, "\x1b[") {
		t.Errorf("plain text holds escape sequences")
	}
	if !strings.Contains(color, green+"      + apiVersion: v1"+reset) || !strings.Contains(color, red+"      -   x:1"+reset) {
		t.Errorf("coloured text lacks green additions or red removals:\n%q", color)
	}
	if stripped := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(color, ""); stripped != plain {
		t.Errorf("colour changes more than colours:\n%s\n---\n%s", stripped, plain)
	}
}

func TestInvalidRevisions(t *testing.T) {
	errs := diag.List{{Severity: diag.Error, Pos: diag.Position{File: "tenants/vision/notebooks.cue", Line: 5, Column: 19}, Path: "notebooks.a.resources.cpu", Message: "too many"}}
	head := &Report{Schema: Schema, Base: Revision{Ref: "HEAD", Commit: "0123456789abcdef", State: Compiled}, Head: Revision{State: Invalid, Diagnostics: errs}}
	for _, format := range []string{"text", "markdown"} {
		out := render(t, head, format, 0)
		if !strings.Contains(out, "The head revision working tree does not compile (1 error)") || !strings.Contains(out, "tenants/vision/notebooks.cue:5:19: notebooks.a.resources.cpu: too many") {
			t.Errorf("%s: an invalid head shows its problems:\n%s", format, out)
		}
	}
	r := manyChanges(t, 1)
	r.Base = Revision{Ref: "origin/main", Commit: "0123456789abcdef", State: Invalid, Diagnostics: errs}
	for _, format := range []string{"text", "markdown"} {
		out := render(t, r, format, 0)
		if !strings.Contains(out, "The base revision origin/main (0123456789ab) does not compile (1 error), so every object of the head is shown as added.") ||
			!strings.Contains(out, "notebooks.cue:5:19") {
			t.Errorf("%s: an invalid base is said:\n%s", format, out)
		}
	}
}

func TestLabel(t *testing.T) {
	for _, tc := range []struct {
		r    Revision
		want string
	}{
		{Revision{}, "working tree"},
		{Revision{Ref: "HEAD", Commit: "0123456789abcdef0123"}, "HEAD (0123456789ab)"},
		{Revision{Ref: "0123456789abcdef0123", Commit: "0123456789abcdef0123"}, "0123456789ab"},
	} {
		if got := tc.r.Label(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.r, got, tc.want)
		}
	}
}
