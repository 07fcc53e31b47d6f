package diff

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ANSI colours of the text format.
const (
	bold   = "\x1b[1m"
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	cyan   = "\x1b[36m"
	reset  = "\x1b[0m"
)

// textWriter writes the text format, in colour when asked.
type textWriter struct {
	w     *bufio.Writer
	color bool
}

func (t *textWriter) paint(color, s string) string {
	if !t.color || s == "" {
		return s
	}
	return color + s + reset
}

func (t *textWriter) printf(format string, args ...any) { fmt.Fprintf(t.w, format, args...) }

// WriteText writes the report for a terminal: the totals and a table of counts per
// cluster, tenant and kind first, then the callouts and every change; in ANSI colours
// when color is set.
func WriteText(w io.Writer, r *Report, color bool) error {
	r = r.redacted()
	t := &textWriter{w: bufio.NewWriter(w), color: color}
	t.printf("%s\n", t.paint(bold, "mlc diff "+r.title()))
	if note := r.headNote(); note != "" {
		t.printf("\n%s\n", t.paint(red, note))
		for _, d := range r.Head.Diagnostics {
			t.printf("%s\n", d.String())
		}
		return t.w.Flush()
	}
	for _, d := range r.warnings() {
		t.printf("%s\n", t.paint(yellow, d.String()))
	}
	if note := r.baseNote(); note != "" {
		t.printf("\n%s\n", t.paint(yellow, note))
		for _, d := range r.Base.Diagnostics {
			t.printf("  %s\n", d.String())
		}
	}
	t.printf("\n%s\n", t.totals(r))
	if r.Totals.Total() == 0 {
		return t.w.Flush()
	}
	t.printf("\n")
	t.summary(r.Summary)
	if len(r.Callouts) > 0 {
		t.printf("\n%s\n", t.paint(bold, "Review"))
		for _, g := range groupCallouts(r.Callouts) {
			t.callout(g)
		}
	}
	t.printf("\n%s\n", t.paint(bold, "Changes"))
	last := ""
	for i := range r.Changes {
		c := &r.Changes[i]
		if group := c.Cluster + "/" + c.Tenant; group != last {
			t.printf("%s\n", t.paint(cyan, "cluster "+c.Cluster+", tenant "+tenantLabel(c.Tenant)))
			last = group
		}
		t.change(c)
	}
	return t.w.Flush()
}

func (t *textWriter) totals(r *Report) string {
	if r.Totals.Total() == 0 {
		return "No change to the rendered objects."
	}
	s := t.paint(bold, countsText(r.Totals)) + " in " + plural(len(r.Clusters), "cluster", "clusters")
	var per []string
	for _, c := range r.Clusters {
		per = append(per, c.Name+": "+countsText(c.Counts))
	}
	return s + " (" + strings.Join(per, "; ") + ")"
}

func (t *textWriter) callout(g calloutGroup) {
	s := fmt.Sprintf("  %s %s: %s · %s · %s %s %s", t.paint(yellow, "!"), t.paint(yellow, g.Title),
		strings.Join(g.clusters, ", "), tenantLabel(g.Tenant), strings.Join(g.kinds, ", "), g.Name, g.Op)
	if g.Replaces != "" {
		s += ", replacing " + g.Replaces
	}
	if len(g.Fields) > 0 {
		s += ": " + calloutFields(g.Callout, strings.Clone)
	}
	if g.Note != "" {
		s += " (" + g.Note + ")"
	}
	t.printf("%s\n", s)
}

func (t *textWriter) summary(rows []Row) {
	header := []string{"CLUSTER", "TENANT", "KIND", "ADDED", "REMOVED", "CHANGED"}
	table := [][]string{header}
	for _, r := range rows {
		table = append(table, []string{r.Cluster, tenantLabel(r.Tenant), r.Kind, strconv.Itoa(r.Added), strconv.Itoa(r.Removed), strconv.Itoa(r.Changed)})
	}
	width := make([]int, len(header))
	for _, row := range table {
		for i, cell := range row {
			width[i] = max(width[i], len(cell))
		}
	}
	for n, row := range table {
		var b strings.Builder
		b.WriteString(" ")
		for i, cell := range row {
			b.WriteString(" ")
			if i < 3 {
				b.WriteString(cell + strings.Repeat(" ", width[i]-len(cell)))
			} else {
				b.WriteString(strings.Repeat(" ", width[i]-len(cell)) + cell)
			}
		}
		s := strings.TrimRight(b.String(), " ")
		if n == 0 {
			s = t.paint(bold, s)
		}
		t.printf("%s\n", s)
	}
}

func (t *textWriter) change(c *Change) {
	signs := map[Op]string{Added: "+", Removed: "-", Changed: "~"}
	colors := map[Op]string{Added: green, Removed: red, Changed: yellow}
	t.printf("  %s%s\n", t.paint(colors[c.Op], signs[c.Op]+" "+c.ObjectRef.String()+" "+string(c.Op)), replacement(c))
	for _, l := range changeLines(c) {
		s := "      " + string(l.sign) + " " + l.text
		switch l.sign {
		case '+':
			s = t.paint(green, s)
		case '-':
			s = t.paint(red, s)
		}
		t.printf("%s\n", s)
	}
}
