package diff

import (
	"regexp"
	"strconv"
	"strings"
)

// step is one step of a path into an object: a map key, a list item by name, or a list
// item by index.
type step struct {
	kind  stepKind
	key   string // the map key, or the list item's name
	index int
}

type stepKind uint8

const (
	keyStep stepKind = iota
	nameStep
	indexStep
)

// path is a field's place in an object.
type path []step

// with returns p extended by s, never sharing p's backing array.
func (p path) with(s step) path {
	out := make(path, len(p), len(p)+1)
	copy(out, p)
	return append(out, s)
}

func (p path) key(k string) path  { return p.with(step{kind: keyStep, key: k}) }
func (p path) name(n string) path { return p.with(step{kind: nameStep, key: n}) }
func (p path) index(i int) path   { return p.with(step{kind: indexStep, index: i}) }

// plainKey is a key written as is in a path; others are quoted in brackets.
var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// plainName is a list item's name written as is in [name=...].
var plainName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// String writes the path as Field.Path documents it.
func (p path) String() string {
	var b strings.Builder
	for _, s := range p {
		switch s.kind {
		case keyStep:
			if plainKey.MatchString(s.key) {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(s.key)
			} else {
				b.WriteString("[" + strconv.Quote(s.key) + "]")
			}
		case nameStep:
			if plainName.MatchString(s.key) {
				b.WriteString("[name=" + s.key + "]")
			} else {
				b.WriteString("[name=" + strconv.Quote(s.key) + "]")
			}
		case indexStep:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		}
	}
	return b.String()
}

// pattern matches paths. It is written as segments joined by dots: "**" matches any
// number of steps (none too), "*" matches one step, and any other segment matches one
// map key, where a "*" inside it matches any characters (so "*gpu*" matches the key
// "nvidia.com/gpu"). Keys are compared without regard to case.
type pattern []string

// patterns are alternatives: a path matches when one of them does.
type patterns []pattern

// compilePatterns reads alternatives separated by "|".
func compilePatterns(s string) patterns {
	var ps patterns
	for alt := range strings.SplitSeq(s, "|") {
		ps = append(ps, strings.Split(alt, "."))
	}
	return ps
}

func (ps patterns) match(p path) bool {
	for _, pt := range ps {
		if pt.match(p) {
			return true
		}
	}
	return false
}

// match reports whether the pattern matches the whole path p.
func (pt pattern) match(p path) bool {
	if len(pt) == 0 {
		return len(p) == 0
	}
	switch pt[0] {
	case "**":
		for i := 0; i <= len(p); i++ {
			if pt[1:].match(p[i:]) {
				return true
			}
		}
		return false
	case "*":
		return len(p) > 0 && pt[1:].match(p[1:])
	}
	return len(p) > 0 && p[0].kind == keyStep && glob(strings.ToLower(pt[0]), strings.ToLower(p[0].key)) && pt[1:].match(p[1:])
}

// glob matches s against a pattern whose only wildcard is "*", any run of characters.
func glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
