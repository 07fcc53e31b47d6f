package status

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText prints the report as a table, one line per artifact, then the problems.
func WriteText(w io.Writer, rep *Report, problems []Problem) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tAPPLIED\tREADY\tREASON\tWORKLOADS")
	for _, u := range rep.Units {
		if !u.Found {
			fmt.Fprintf(tw, "%s\t-\t-\tnot in the cluster\t-\n", u.Tenant)
			continue
		}
		ready, reason := "Unknown", ""
		if u.Ready != nil {
			ready, reason = string(u.Ready.Status), u.Ready.Reason
		}
		if u.Suspended {
			reason = "Suspended"
		}
		workloads := "-"
		if n := len(u.Workloads); n > 0 {
			healthy := 0
			for _, wl := range u.Workloads {
				if wl.Healthy() {
					healthy++
				}
			}
			workloads = fmt.Sprintf("%d/%d healthy", healthy, n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Tenant, orDash(shortRevision(u.Applied)), ready, orDash(reason), workloads)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(problems) > 0 {
		fmt.Fprintln(w)
		for _, p := range problems {
			fmt.Fprintln(w, p.String())
		}
	}
	return nil
}

// WriteJSON prints the report and its problems as one JSON object.
func WriteJSON(w io.Writer, rep *Report, problems []Problem) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if problems == nil {
		problems = []Problem{}
	}
	return enc.Encode(struct {
		*Report
		Problems []Problem `json:"problems"`
	}{rep, problems})
}

// shortRevision abbreviates "prod@sha256:<64 hex>" to "prod@sha256:<12 hex>".
func shortRevision(rev string) string {
	if i := strings.LastIndex(rev, "@"); i >= 0 {
		return rev[:i+1] + short(rev[i+1:])
	}
	return short(rev)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
