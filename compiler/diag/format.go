package diag

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Formats lists the names Write accepts.
var Formats = []string{"text", "json", "github"}

// CheckFormat reports a format name Write does not know.
func CheckFormat(format string) error {
	for _, f := range Formats {
		if f == format {
			return nil
		}
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// Write prints the diagnostics in one of Formats: text (one per line), json (an array),
// or github (workflow commands that GitHub Actions shows as annotations on the lines).
func Write(w io.Writer, format string, l List) error {
	switch format {
	case "text":
		for _, d := range l {
			if _, err := fmt.Fprintln(w, d.String()); err != nil {
				return err
			}
		}
		return nil
	case "json":
		if l == nil {
			l = List{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(l)
	case "github":
		for _, d := range l {
			if _, err := fmt.Fprintln(w, githubAnnotation(string(d.Severity), d.Pos, d.Path, d.Message)); err != nil {
				return err
			}
			// Each note a notice at its own line: in a pull request, the line that
			// changed shows one.
			for _, n := range d.Notes[:min(len(d.Notes), MaxNotesShown)] {
				if _, err := fmt.Fprintln(w, githubAnnotation("notice", n.Pos, n.Path, n.Message)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return CheckFormat(format)
}

// githubAnnotation renders a diagnostic or a note (level error, warning or notice) as a
// GitHub Actions workflow command, escaped as the runner expects
// (https://docs.github.com/actions/reference/workflow-commands-for-github-actions).
func githubAnnotation(level string, pos Position, path, msg string) string {
	var props []string
	if pos.File != "" {
		props = append(props, "file="+escapeProperty(pos.File))
		if pos.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", pos.Line))
		}
		if pos.Column > 0 {
			props = append(props, fmt.Sprintf("col=%d", pos.Column))
		}
	}
	title := "mlc"
	if path != "" {
		title = "mlc: " + path
		msg = path + ": " + msg
	}
	props = append(props, "title="+escapeProperty(title))
	return fmt.Sprintf("::%s %s::%s", level, strings.Join(props, ","), escapeData(msg))
}

func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
