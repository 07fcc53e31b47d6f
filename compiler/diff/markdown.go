package diff

import (
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/diag"
)

// MarkdownLimit is the default size limit of the Markdown, in bytes: well under the
// 65,536 characters GitHub accepts in a comment, with room for what a CI job adds.
const MarkdownLimit = 60000

// Marker starts the Markdown, so that a CI job can find the comment it posted before
// and update it instead of adding another.
const Marker = "<!-- mlc diff -->"

// reserve is the room kept for the notes that say what was left out.
const reserve = 1200

// foldRows is the longest summary table shown unfolded.
const foldRows = 20

// WriteMarkdown writes the report as a pull-request comment of at most limit bytes
// (MarkdownLimit when limit is zero or less): the totals, a table of counts per cluster,
// tenant and kind, the callouts, then one collapsible <details> per object. What does not
// fit is left out, most detailed first, and a note says so.
func WriteMarkdown(w io.Writer, r *Report, limit int) error {
	r = r.redacted()
	if limit <= 0 {
		limit = MarkdownLimit
	}
	m := &mdWriter{limit: limit}
	m.WriteString(Marker + "\n### mlc diff\n\n" + mdCode(r.Base.Label()) + " → " + mdCode(r.Head.Label()))
	if r.Dir != "" {
		m.WriteString(" in " + mdCode(r.Dir))
	}
	m.WriteString("\n\n")
	if note := r.headNote(); note != "" {
		m.WriteString("**:x: " + mdText(note) + "**\n\n")
		m.diagnostics(r.Head.Diagnostics, m.avail())
		return write(w, m.String())
	}
	m.notes(r)
	if r.Totals.Total() == 0 {
		m.WriteString("No change to the rendered objects.\n")
		return write(w, m.String())
	}
	m.totals(r)
	m.summary(r.Summary)
	m.review(r.Callouts)
	m.WriteString("#### Changes\n\n")
	m.changes(r.Changes)
	return write(w, m.String())
}

// mdWriter builds the Markdown within its limit.
type mdWriter struct {
	strings.Builder
	limit int
}

// avail is the room left for what comes next, the notes on what was left out aside.
// Each section takes a share of it and leaves the rest to those after it.
func (m *mdWriter) avail() int { return m.limit - reserve - m.Len() }

// notes says why the base counts as empty, and shows the head's warnings.
func (m *mdWriter) notes(r *Report) {
	if note := r.baseNote(); note != "" {
		m.WriteString("> [!NOTE]\n> " + mdText(note) + "\n\n")
		if len(r.Base.Diagnostics) > 0 {
			m.WriteString("<details><summary>Problems in the base revision</summary>\n\n")
			m.diagnostics(r.Base.Diagnostics, m.avail()/8)
			m.WriteString("</details>\n\n")
		}
	}
	if warnings := r.warnings(); len(warnings) > 0 {
		m.WriteString("<details><summary>" + plural(len(warnings), "warning", "warnings") + "</summary>\n\n")
		m.diagnostics(warnings, m.avail()/8)
		m.WriteString("</details>\n\n")
	}
}

func (m *mdWriter) totals(r *Report) {
	m.WriteString("**" + countsText(r.Totals) + "** in " + plural(len(r.Clusters), "cluster", "clusters") + ":")
	for i, c := range r.Clusters {
		if i > 0 {
			m.WriteString(";")
		}
		m.WriteString(" " + mdCode(c.Name) + " " + countsText(c.Counts))
	}
	m.WriteString("\n\n")
}

// summary writes the table of counts; a long one is folded, so that the callouts below
// it stay in sight.
func (m *mdWriter) summary(summary []Row) {
	var rows []string
	for _, row := range summary {
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %d | %d | %d |\n", mdText(row.Cluster), mdText(tenantLabel(row.Tenant)), mdText(row.Kind), row.Added, row.Removed, row.Changed))
	}
	folded := len(rows) > foldRows
	if folded {
		fmt.Fprintf(m, "<details><summary>Changed objects per cluster, tenant and kind (%d rows)</summary>\n\n", len(rows))
	}
	m.WriteString("| cluster | tenant | kind | added | removed | changed |\n| --- | --- | --- | ---: | ---: | ---: |\n")
	if n := m.fill(rows, m.avail()/4); n < len(rows) {
		fmt.Fprintf(m, "\n_…and %d more rows, left out to keep this comment under GitHub's size limit; the totals above count everything._\n", len(rows)-n)
	}
	if folded {
		m.WriteString("\n</details>\n")
	}
	m.WriteString("\n")
}

func (m *mdWriter) review(callouts []Callout) {
	if len(callouts) == 0 {
		return
	}
	groups := groupCallouts(callouts)
	fmt.Fprintf(m, "#### :warning: Review (%d)\n\n", len(groups))
	lines := make([]string, len(groups))
	for i, g := range groups {
		lines[i] = mdCallout(g)
	}
	if n := m.fill(lines, m.avail()/2); n < len(lines) {
		fmt.Fprintf(m, "\n_…and %d more callouts, left out to keep this comment under GitHub's size limit._\n", len(lines)-n)
	}
	m.WriteString("\n")
}

// changes writes a <details> per change while they fit in room, then a line per
// change while those fit, then a note that says what was left out.
func (m *mdWriter) changes(changes []Change) {
	room := m.avail()
	used, brief, shown := 0, 0, 0
	for i := range changes {
		c := &changes[i]
		s := ""
		if brief == 0 {
			s = mdDetails(c)
		}
		if brief > 0 || used+len(s) > room {
			s = "- " + mdHeading(c) + "\n"
			if used+len(s) > room {
				break
			}
			brief++
		}
		m.WriteString(s)
		used += len(s)
		shown++
	}
	if brief == 0 && shown == len(changes) {
		return
	}
	fmt.Fprintf(m, "\n> [!WARNING]\n> **Truncated** to keep this comment under GitHub's size limit: %d of %d objects are listed", shown, len(changes))
	if brief > 0 {
		fmt.Fprintf(m, ", %d of them without details", brief)
	}
	m.WriteString(". Run `mlc diff` (or `mlc diff --format json`) on this branch for everything.\n")
}

// fill writes lines while they fit in room and returns how many it wrote.
func (m *mdWriter) fill(lines []string, room int) int {
	used := 0
	for i, l := range lines {
		if used+len(l) > room {
			return i
		}
		m.WriteString(l)
		used += len(l)
	}
	return len(lines)
}

func (m *mdWriter) diagnostics(l diag.List, room int) {
	var lines []string
	for _, d := range l {
		lines = append(lines, d.String()+"\n")
	}
	fence := mdFence(strings.Join(lines, ""))
	m.WriteString(fence + "text\n")
	n := m.fill(lines, room)
	m.WriteString(fence + "\n\n")
	if n < len(lines) {
		fmt.Fprintf(m, "_…and %d more, left out to keep this comment under GitHub's size limit._\n\n", len(lines)-n)
	}
}

func mdCallout(g calloutGroup) string {
	clusters := make([]string, len(g.clusters))
	for i, c := range g.clusters {
		clusters[i] = mdCode(c)
	}
	s := fmt.Sprintf("- **%s** · %s · %s · %s %s %s", mdText(g.Title), strings.Join(clusters, ", "), mdCode(tenantLabel(g.Tenant)),
		mdText(strings.Join(g.kinds, ", ")), mdCode(g.Name), g.Op)
	if g.Replaces != "" {
		s += ", replacing " + mdCode(g.Replaces)
	}
	if len(g.Fields) > 0 {
		s += ": " + calloutFields(g.Callout, mdCode)
	}
	if g.Note != "" {
		s += " — " + mdText(g.Note)
	}
	return s + "\n"
}

var opIcon = map[Op]string{Added: ":heavy_plus_sign:", Removed: ":heavy_minus_sign:", Changed: ":pencil2:"}

// mdHeading names a change in one line of inline HTML, for a <summary> or a list item.
func mdHeading(c *Change) string {
	s := fmt.Sprintf("%s <b>%s</b> %s · %s · %s <code>%s</code>", opIcon[c.Op], c.Op,
		html.EscapeString(c.Cluster), html.EscapeString(tenantLabel(c.Tenant)), html.EscapeString(c.Kind), html.EscapeString(c.Name))
	if c.Op == Changed || c.Replaces != "" {
		s += " (" + plural(len(c.Fields), "field", "fields") + ")"
	}
	return s + html.EscapeString(replacement(c))
}

// mdDetails shows a change as a collapsible block: the object's YAML when added or
// removed, its fields as a diff when changed.
func mdDetails(c *Change) string {
	if c.ReplacedBy != "" {
		return "- " + mdHeading(c) + "\n" // its replacement shows what differs
	}
	var body strings.Builder
	for _, l := range changeLines(c) {
		body.WriteByte(l.sign)
		body.WriteByte(' ')
		body.WriteString(l.text)
		body.WriteByte('\n')
	}
	fence := mdFence(body.String())
	return "<details><summary>" + mdHeading(c) + "</summary>\n\n" + fence + "diff\n" + body.String() + fence + "\n\n</details>\n"
}

// mdFence is a code fence longer than any run of backticks in s.
func mdFence(s string) string { return strings.Repeat("`", max(3, backticks(s)+1)) }

// mdCode is s as inline code, delimited by more backticks than s holds in a row.
func mdCode(s string) string {
	n := backticks(s)
	if n == 0 {
		return "`" + s + "`"
	}
	delim := strings.Repeat("`", n+1)
	return delim + " " + s + " " + delim
}

// backticks is the length of the longest run of backticks in s.
func backticks(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// mdText escapes the characters that would start Markdown or HTML in running text.
func mdText(s string) string { return mdEscaper.Replace(s) }

var mdEscaper = strings.NewReplacer("\\", "\\\\", "*", "\\*", "_", "\\_", "`", "\\`", "<", "&lt;", ">", "&gt;", "[", "\\[", "]", "\\]", "|", "\\|")

func write(w io.Writer, s string) error {
	_, err := io.WriteString(w, s)
	return err
}
