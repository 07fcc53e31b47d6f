package graph

import (
	"fmt"
	"strings"
)

// Formats are the output formats of Write.
var Formats = []string{"mermaid", "dot"}

// Mermaid draws the graph as a Mermaid flowchart.
func Mermaid(g *Graph) string {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	var nodes func(ns []*Node, indent string)
	nodes = func(ns []*Node, indent string) {
		for _, n := range ns {
			if n.Group {
				fmt.Fprintf(&b, "%ssubgraph %s[%s]\n", indent, n.ID, mermaidText(n.Label))
				nodes(n.Children, indent+"  ")
				fmt.Fprintf(&b, "%send\n", indent)
				continue
			}
			fmt.Fprintf(&b, "%s%s[%s]\n", indent, n.ID, mermaidText(n.Label))
		}
	}
	nodes(g.Nodes, "  ")
	for _, e := range g.Edges {
		arrow := "-->"
		if e.Order {
			arrow = "-.->"
		}
		if e.Label != "" {
			fmt.Fprintf(&b, "  %s %s|%s| %s\n", e.From, arrow, mermaidText(e.Label), e.To)
		} else {
			fmt.Fprintf(&b, "  %s %s %s\n", e.From, arrow, e.To)
		}
	}
	return b.String()
}

// mermaidEntities writes what Mermaid's flowchart syntax would read in a quoted label as
// its entity codes: Mermaid has no backslash escapes, so Go's %q is not a Mermaid string.
var mermaidEntities = strings.NewReplacer(
	"#", "#35;", `"`, "#quot;", "&", "#amp;", "<", "#lt;", ">", "#gt;", "\n", " ", "\r", " ", "\t", " ",
)

// mermaidText is a label as a quoted Mermaid string.
func mermaidText(s string) string { return `"` + mermaidEntities.Replace(s) + `"` }

// DOT draws the graph in Graphviz's DOT language; groups are clusters, and an edge
// into or out of a group goes to or from its first task.
func DOT(g *Graph) string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n  compound=true;\n  rankdir=TB;\n  node [shape=box];\n", dotString(g.Name))
	anchor := map[string]string{}
	var nodes func(ns []*Node, indent string)
	nodes = func(ns []*Node, indent string) {
		for _, n := range ns {
			if !n.Group {
				fmt.Fprintf(&b, "%s%s [label=%s];\n", indent, n.ID, dotString(n.Label))
				anchor[n.ID] = n.ID
				continue
			}
			fmt.Fprintf(&b, "%ssubgraph cluster_%s {\n%s  label=%s;\n", indent, n.ID, indent, dotString(n.Label))
			nodes(n.Children, indent+"  ")
			fmt.Fprintf(&b, "%s}\n", indent)
			if len(n.Children) > 0 {
				anchor[n.ID] = anchor[n.Children[0].ID]
			}
		}
	}
	nodes(g.Nodes, "  ")
	for _, e := range g.Edges {
		var attrs []string
		if e.Label != "" {
			attrs = append(attrs, "label="+dotString(e.Label))
		}
		if e.Order {
			attrs = append(attrs, "style=dashed")
		}
		if from := anchor[e.From]; from != e.From {
			attrs = append(attrs, "ltail=cluster_"+e.From)
		}
		if to := anchor[e.To]; to != e.To {
			attrs = append(attrs, "lhead=cluster_"+e.To)
		}
		fmt.Fprintf(&b, "  %s -> %s", anchor[e.From], anchor[e.To])
		if len(attrs) > 0 {
			fmt.Fprintf(&b, " [%s]", strings.Join(attrs, ", "))
		}
		b.WriteString(";\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// dotEscapes writes a DOT string's specials: its quote and backslash (a backslash
// followed by a letter is an escape of Graphviz's, \N the node's name), and line breaks.
var dotEscapes = strings.NewReplacer(`"`, `\"`, `\`, `\\`, "\n", `\n`, "\r", "")

// dotString is s as a quoted DOT string.
func dotString(s string) string { return `"` + dotEscapes.Replace(s) + `"` }
