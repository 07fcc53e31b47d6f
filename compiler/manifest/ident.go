package manifest

import (
	"bytes"
	"slices"
	"strings"
)

// IdentOfYAML reads the identity that an object's YAML, as YAML encodes objects,
// declares: its top-level apiVersion and kind, and the name and namespace in its
// metadata block. It is false for YAML of any other shape, which a parser could read
// otherwise: a second document, a comment, a quoted or flow-style key or value among
// those, or a key given twice.
func IdentOfYAML(b []byte) (Ident, bool) {
	var id Ident
	var top, meta []string // the keys seen
	inMeta := false
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte("\n"))
		switch {
		case len(line) == 0 || line[0] == '-' && !bytes.HasPrefix(line, []byte("---")):
			continue // a list item at the top
		case line[0] == ' ':
			// Only the metadata block's own keys matter; deeper lines cannot change them.
			if !inMeta || len(line) < 3 || line[2] == ' ' || line[2] == '-' {
				continue
			}
			key, val, _ := strings.Cut(string(line[2:]), ":")
			if !plainKey(key) || slices.Contains(meta, key) {
				return Ident{}, false
			}
			meta = append(meta, key)
			switch key {
			case "name":
				id.Name = strings.TrimPrefix(val, " ")
			case "namespace":
				id.Namespace = strings.TrimPrefix(val, " ")
			}
			continue
		}
		key, val, _ := strings.Cut(string(line), ":")
		if !plainKey(key) || slices.Contains(top, key) {
			return Ident{}, false // also a document marker or a comment
		}
		top = append(top, key)
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
	return id, slices.Contains(top, "apiVersion") && slices.Contains(top, "kind") && slices.Contains(meta, "name")
}

// plainKey tells whether a key is written plain: not quoted, no flow or anchor syntax.
func plainKey(k string) bool {
	return k != "" && !strings.ContainsAny(k[:1], `"'{[&*!|>?%@#.-`+"`") && !strings.ContainsAny(k, " \t")
}

// plainValue tells whether a scalar is written plain, as names and versions are.
func plainValue(v string) bool {
	return v == "" || !strings.ContainsAny(v[:1], `"'{[&*!|>?%@`+"`") && !strings.Contains(v, " #")
}
