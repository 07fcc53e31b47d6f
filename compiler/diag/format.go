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
			if _, err := fmt.Fprintln(w, githubAnnotation(d)); err != nil {
				return err
			}
		}
		return nil
	}
	return CheckFormat(format)
}

// githubAnnotation renders d as a GitHub Actions workflow command, escaped as the runner
// expects (https://docs.github.com/actions/reference/workflow-commands-for-github-actions).
func githubAnnotation(d Diagnostic) string {
	var props []string
	if d.Pos.File != "" {
		props = append(props, "file="+escapeProperty(d.Pos.File))
		if d.Pos.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", d.Pos.Line))
		}
		if d.Pos.Column > 0 {
			props = append(props, fmt.Sprintf("col=%d", d.Pos.Column))
		}
	}
	title := "mlc"
	if d.Path != "" {
		title = "mlc: " + d.Path
	}
	props = append(props, "title="+escapeProperty(title))
	msg := d.Message
	if d.Path != "" {
		msg = d.Path + ": " + msg
	}
	return fmt.Sprintf("::%s %s::%s", d.Severity, strings.Join(props, ","), escapeData(msg))
}

func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
