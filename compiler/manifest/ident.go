package manifest

import (
	"bytes"
	"strings"
)

// IdentOfYAML reads the identity that an object's YAML, as YAML encodes objects,
// declares: its top-level apiVersion and kind, and the name and namespace in its
// metadata block. It is false for YAML of any other shape, which a parser could read
// otherwise: a second document, a comment, a quoted or flow-style key or value among
// those, or a key given twice.
func IdentOfYAML(b []byte) (Ident, bool) {
	var id Ident
	top := map[string]bool{}
	meta := map[string]bool{}
	inMeta := false
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte("\n"))
		s := string(line)
		switch {
		case strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") || strings.HasPrefix(strings.TrimLeft(s, " "), "#"):
			return Ident{}, false
		case s == "" || s[0] == '-':
			continue
		case s[0] == ' ':
			if !inMeta || strings.HasPrefix(s, "   ") || s[2] == '-' {
				continue
			}
			key, val, _ := strings.Cut(s[2:], ":")
			if !plainKey(key) || meta[key] {
				return Ident{}, false
			}
			meta[key] = true
			switch key {
			case "name":
				id.Name = strings.TrimPrefix(val, " ")
			case "namespace":
				id.Namespace = strings.TrimPrefix(val, " ")
			}
			continue
		}
		key, val, _ := strings.Cut(s, ":")
		if !plainKey(key) || top[key] {
			return Ident{}, false
		}
		top[key] = true
		val = strings.TrimPrefix(val, " ")
		inMeta = key == "metadata" && val == ""
		switch key {
		case "apiVersion":
			id.APIVersion = val
		case "kind":
			id.Kind = val
		}
	}
	for _, v := range []string{id.APIVersion, id.Kind, id.Name, id.Namespace} {
		if !plainValue(v) {
			return Ident{}, false
		}
	}
	return id, top["apiVersion"] && top["kind"] && meta["name"]
}

// plainKey tells whether a key is written plain: not quoted, no flow or anchor syntax.
func plainKey(k string) bool {
	return k != "" && !strings.ContainsAny(k[:1], `"'{[&*!|>?%@`+"`") && !strings.ContainsAny(k, " \t")
}

// plainValue tells whether a scalar is written plain, as names and versions are.
func plainValue(v string) bool {
	return v == "" || !strings.ContainsAny(v[:1], `"'{[&*!|>?%@`+"`") && !strings.Contains(v, " #")
}
