package kfpir

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// protojsonPos finds the "(line L:C)" that protojson puts in its errors.
var protojsonPos = regexp.MustCompile(`\s*\(line (\d+):(\d+)\):?`)

// newError turns a protojson error for js into an *Error, replacing the
// line:column position with the JSON path it points at.
func newError(message, prefix string, js []byte, err error) *Error {
	reason := err.Error()
	// protojson prefixes "proto:" and a space that is randomly U+0020 or U+00A0.
	if rest, ok := strings.CutPrefix(reason, "proto:"); ok {
		reason = strings.TrimLeft(rest, " \u00a0")
	}
	e := &Error{Message: message, Path: prefix}
	loc := protojsonPos.FindStringSubmatchIndex(reason)
	if loc == nil {
		e.Reason = reason
		return e
	}
	line, _ := strconv.Atoi(reason[loc[2]:loc[3]])
	col, _ := strconv.Atoi(reason[loc[4]:loc[5]])
	e.Reason = strings.TrimSpace(reason[:loc[0]] + ": " + strings.TrimSpace(reason[loc[1]:]))
	e.Reason = strings.TrimPrefix(e.Reason, ": ")
	if off, ok := offset(js, line, col); ok {
		for _, seg := range pathAt(js, off) {
			e.Path = joinPath(e.Path, seg)
		}
	}
	return e
}

// offset converts protojson's 1-based line and rune column to a byte offset.
func offset(js []byte, line, col int) (int, bool) {
	off := 0
	for range line - 1 {
		i := bytes.IndexByte(js[off:], '\n')
		if i < 0 {
			return 0, false
		}
		off += i + 1
	}
	for range col - 1 {
		if off >= len(js) {
			return 0, false
		}
		_, n := utf8.DecodeRune(js[off:])
		off += n
	}
	return off, true
}

// segment is one step of a JSON path: an object key or an array index.
type segment = any

// frame is an open object or array while walking a document.
type frame struct {
	object   bool
	key      string // object: the current member's key
	index    int    // array: the current element's index
	wantsKey bool   // object: the next token is a key
}

// pathAt returns the path of the token of js that covers byte offset off
// (or, between tokens, the next one): an object key's path includes the key.
func pathAt(js []byte, off int) []segment {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var stack []*frame
	path := func(extra ...segment) []segment {
		var p []segment
		for _, f := range stack {
			if f.object {
				p = append(p, f.key)
			} else {
				p = append(p, f.index)
			}
		}
		return append(p, extra...)
	}
	// done moves the enclosing container past the value just finished.
	done := func() {
		if len(stack) == 0 {
			return
		}
		if top := stack[len(stack)-1]; top.object {
			top.wantsKey = true
		} else {
			top.index++
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return path()
		}
		end := int(dec.InputOffset())
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			if end > off {
				return path()
			}
			stack = stack[:len(stack)-1]
			done()
			continue
		}
		if top != nil && top.object && top.wantsKey {
			top.key, _ = tok.(string)
			top.wantsKey = false
			if end > off {
				return path()
			}
			continue
		}
		if end > off {
			return path()
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, &frame{object: d == '{', wantsKey: d == '{'})
			continue
		}
		done()
	}
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// joinPath appends one segment (a string key or an int index) to path.
func joinPath(path string, seg segment) string {
	switch s := seg.(type) {
	case int:
		return path + "[" + strconv.Itoa(s) + "]"
	case string:
		if !plainKey.MatchString(s) {
			return path + "[" + strconv.Quote(s) + "]"
		}
		if path == "" {
			return s
		}
		return path + "." + s
	}
	return path
}
