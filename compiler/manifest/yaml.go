package manifest

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v2"
)

// The encoder below writes what yaml.Marshal of go.yaml.in/yaml/v2 writes for the
// JSON-like trees the compiler builds, without yaml.v2's reflection and emitter, which made most
// of encoding's cost. Whatever it cannot vouch for byte for byte it leaves to yaml.v2
// (see document); yaml_test.go compares the two, fuzzed.

const (
	bestWidth    = 80  // yaml.v2's line width
	maxSimpleKey = 128 // longer keys are written as complex keys ("? key")
	maxIndent    = 80  // deeper, wrapping has corner cases not worth proving
)

type encoder struct {
	buf       []byte
	lineStart int      // where the current line starts in buf
	keys      []string // a stack of the keys of the mappings being written
}

var encoders = sync.Pool{New: func() any { return &encoder{buf: make([]byte, 0, 4096)} }}

// encodeYAML returns yaml.v2's encoding of content.
func encodeYAML(content map[string]any) ([]byte, error) {
	e := encoders.Get().(*encoder)
	out, ok := e.document(content)
	if ok {
		out = slices.Clone(out)
	}
	if cap(e.buf) <= 1<<20 {
		clear(e.keys[:cap(e.keys)]) // let the pool hold no strings
		encoders.Put(e)
	}
	if !ok {
		return yaml.Marshal(content)
	}
	return out, nil
}

// document encodes content as a whole document into e.buf and returns it; false means
// the encoder cannot vouch for the bytes and yaml.v2 must encode content instead.
func (e *encoder) document(content map[string]any) ([]byte, bool) {
	e.buf, e.lineStart, e.keys = e.buf[:0], 0, e.keys[:0]
	if len(content) == 0 {
		return append(e.buf, "{}\n"...), true
	}
	if !mapping(e, content, 0, false) {
		return nil, false
	}
	return e.buf, true
}

func (e *encoder) newline() {
	e.buf = append(e.buf, '\n')
	e.lineStart = len(e.buf)
}

const spaces = "                                                                                  "

func (e *encoder) indent(n int) {
	for n > len(spaces) {
		e.buf = append(e.buf, spaces...)
		n -= len(spaces)
	}
	e.buf = append(e.buf, spaces[:n]...)
}

func (e *encoder) column() int { return len(e.buf) - e.lineStart }

// mapping writes a non-empty block mapping whose keys are at column indent. When inItem,
// the first key goes on the current line, after a sequence item's "- ".
func mapping[V any](e *encoder, m map[string]V, indent int, inItem bool) bool {
	start := len(e.keys)
	for k := range m {
		e.keys = append(e.keys, k)
	}
	end := len(e.keys)
	if !sortKeys(e.keys[start:end]) {
		return false
	}
	for i := start; i < end; i++ {
		k := e.keys[i]
		if i > start || !inItem {
			e.indent(indent)
		}
		if !e.key(k) {
			return false
		}
		e.buf = append(e.buf, ':')
		if !e.value(m[k], indent, true) {
			return false
		}
	}
	e.keys = e.keys[:start]
	return true
}

// sequence writes a non-empty block sequence whose dashes are at column indent. When
// inItem, the first item goes on the current line, after an enclosing item's "- ".
func sequence[T any](e *encoder, s []T, indent int, inItem bool) bool {
	for i, v := range s {
		if i > 0 || !inItem {
			e.indent(indent)
		}
		e.buf = append(e.buf, '-')
		if !e.value(v, indent, false) {
			return false
		}
	}
	return true
}

// value writes v after a mapping key's ":" or an item's "-", up to the end of its last
// line. indent is that of the mapping or sequence that holds v.
func (e *encoder) value(v any, indent int, inMapping bool) bool {
	if indent > maxIndent {
		return false
	}
	switch v := v.(type) {
	case string:
		return e.str(v, indent+2)
	case map[string]any:
		return mapValue(e, v, indent, inMapping)
	case []any:
		return seqValue(e, v, indent, inMapping)
	case bool:
		if v {
			return e.flat(" true")
		}
		return e.flat(" false")
	case int:
		return e.int(int64(v))
	case int64:
		return e.int(v)
	case float64:
		return e.float(v, 64)
	case nil:
		return e.flat(" null")
	case int8:
		return e.int(int64(v))
	case int16:
		return e.int(int64(v))
	case int32:
		return e.int(int64(v))
	case uint:
		return e.uint(uint64(v))
	case uint8:
		return e.uint(uint64(v))
	case uint16:
		return e.uint(uint64(v))
	case uint32:
		return e.uint(uint64(v))
	case uint64:
		return e.uint(v)
	case float32:
		return e.float(float64(v), 32)
	case json.Number:
		// yaml.v2 writes what of Int64, Float64 and the string itself works first.
		if n, err := v.Int64(); err == nil {
			return e.int(n)
		}
		if f, err := v.Float64(); err == nil {
			return e.float(f, 64)
		}
		return e.str(string(v), indent+2)
	case []string:
		return seqValue(e, v, indent, inMapping)
	case []map[string]any:
		return seqValue(e, v, indent, inMapping)
	case map[string]string:
		return mapValue(e, v, indent, inMapping)
	}
	// Pointers, structs, named types (which may marshal themselves), other maps: yaml.v2.
	return false
}

// mapValue is value for a mapping.
func mapValue[V any](e *encoder, m map[string]V, indent int, inMapping bool) bool {
	if len(m) == 0 {
		return e.flat(" {}")
	}
	if inMapping {
		e.newline()
		return mapping(e, m, indent+2, false)
	}
	e.buf = append(e.buf, ' ')
	return mapping(e, m, indent+2, true)
}

// seqValue is value for a sequence: a mapping's sequence value is not indented.
func seqValue[T any](e *encoder, s []T, indent int, inMapping bool) bool {
	if len(s) == 0 {
		return e.flat(" []")
	}
	if inMapping {
		e.newline()
		return sequence(e, s, indent, false)
	}
	e.buf = append(e.buf, ' ')
	return sequence(e, s, indent+2, true)
}

// flat writes s, which holds no line break, and ends the line.
func (e *encoder) flat(s string) bool {
	e.buf = append(e.buf, s...)
	e.newline()
	return true
}

func (e *encoder) int(n int64) bool {
	e.buf = append(e.buf, ' ')
	e.buf = strconv.AppendInt(e.buf, n, 10)
	e.newline()
	return true
}

func (e *encoder) uint(n uint64) bool {
	e.buf = append(e.buf, ' ')
	e.buf = strconv.AppendUint(e.buf, n, 10)
	e.newline()
	return true
}

func (e *encoder) float(f float64, bits int) bool {
	switch {
	case math.IsInf(f, 1):
		return e.flat(" .inf")
	case math.IsInf(f, -1):
		return e.flat(" -.inf")
	case math.IsNaN(f):
		return e.flat(" .nan")
	}
	e.buf = append(e.buf, ' ')
	e.buf = strconv.AppendFloat(e.buf, f, 'g', -1, bits)
	e.newline()
	return true
}

type scalarStyle uint8

const (
	plainStyle scalarStyle = iota
	singleQuoted
	doubleQuoted
	literalStyle
)

// style is the style yaml.v2 writes the ASCII string s in, in block context. (A string
// with "\r" but no "\n" is not asked for as a literal, but cannot be one anyway.)
func style(s string, a analysis) scalarStyle {
	switch {
	case a.multiline:
		if !a.literalOK {
			return doubleQuoted
		}
		return literalStyle
	case !plainIsString(s):
		return doubleQuoted
	case a.plainOK:
		return plainStyle
	case a.singleOK:
		return singleQuoted
	}
	return doubleQuoted
}

// key writes a mapping key. Keys that are not ASCII, hold line breaks or are too long to
// be simple keys are left to yaml.v2.
func (e *encoder) key(k string) bool {
	if len(k) > maxSimpleKey {
		return false
	}
	a, ok := analyzeASCII(k)
	if !ok || a.multiline {
		return false
	}
	switch style(k, a) {
	case plainStyle:
		e.buf = append(e.buf, k...)
	case singleQuoted:
		e.singleQuoted(k, 0, false)
	default:
		e.doubleQuoted(k, 0, false)
	}
	return true
}

// str writes a string value after its ":" or "-", up to the end of its last line; indent
// is where its continuation lines start.
func (e *encoder) str(s string, indent int) bool {
	a, ascii := analyzeASCII(s)
	if !ascii {
		return e.delegated(s, indent)
	}
	switch style(s, a) {
	case plainStyle:
		e.buf = append(e.buf, ' ')
		e.plain(s, indent)
	case singleQuoted:
		e.buf = append(e.buf, ' ')
		e.singleQuoted(s, indent, true)
	case doubleQuoted:
		e.buf = append(e.buf, ' ')
		e.doubleQuoted(s, indent, true)
	case literalStyle:
		e.literal(s, indent)
		if s[len(s)-1] == '\n' {
			return true
		}
	}
	e.newline()
	return true
}

// plain writes s in plain style, wrapping it at a single space past the line width.
func (e *encoder) plain(s string, indent int) {
	if e.column()+len(s) <= bestWidth+1 || strings.IndexByte(s, ' ') < 0 {
		e.buf = append(e.buf, s...)
		return
	}
	spaces := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != ' ' {
			e.buf = append(e.buf, c)
			spaces = false
			continue
		}
		if !spaces && e.column() > bestWidth && (i+1 == len(s) || s[i+1] != ' ') {
			e.newline()
			e.indent(indent)
		} else {
			e.buf = append(e.buf, ' ')
		}
		spaces = true
	}
}

// singleQuoted writes s single-quoted; when wrap, it breaks the line at a single inner
// space past the line width.
func (e *encoder) singleQuoted(s string, indent int, wrap bool) {
	e.buf = append(e.buf, '\'')
	spaces := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != ' ' {
			if c == '\'' {
				e.buf = append(e.buf, '\'')
			}
			e.buf = append(e.buf, c)
			spaces = false
			continue
		}
		if wrap && !spaces && e.column() > bestWidth && i > 0 && i < len(s)-1 && s[i+1] != ' ' {
			e.newline()
			e.indent(indent)
		} else {
			e.buf = append(e.buf, ' ')
		}
		spaces = true
	}
	e.buf = append(e.buf, '\'')
}

// doubleQuoted writes s double-quoted with yaml.v2's escapes; when wrap, it breaks the
// line at an inner space past the line width (escaping a space that would then lead the
// next line).
func (e *encoder) doubleQuoted(s string, indent int, wrap bool) {
	e.buf = append(e.buf, '"')
	spaces := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			if wrap && !spaces && e.column() > bestWidth && i > 0 && i < len(s)-1 {
				e.newline()
				e.indent(indent)
				if s[i+1] == ' ' {
					e.buf = append(e.buf, '\\')
				}
			} else {
				e.buf = append(e.buf, ' ')
			}
			spaces = true
			continue
		case c < 0x20 || c == 0x7f:
			e.buf = append(e.buf, '\\')
			switch c {
			case 0:
				e.buf = append(e.buf, '0')
			case '\a':
				e.buf = append(e.buf, 'a')
			case '\b':
				e.buf = append(e.buf, 'b')
			case '\t':
				e.buf = append(e.buf, 't')
			case '\n':
				e.buf = append(e.buf, 'n')
			case '\v':
				e.buf = append(e.buf, 'v')
			case '\f':
				e.buf = append(e.buf, 'f')
			case '\r':
				e.buf = append(e.buf, 'r')
			case 0x1b:
				e.buf = append(e.buf, 'e')
			default:
				const hex = "0123456789ABCDEF"
				e.buf = append(e.buf, 'x', hex[c>>4], hex[c&0xf])
			}
		case c == '"' || c == '\\':
			e.buf = append(e.buf, '\\', c)
		default:
			e.buf = append(e.buf, c)
		}
		spaces = false
	}
	e.buf = append(e.buf, '"')
}

// literal writes s, which holds a line break, as a literal block scalar: the header with
// its indentation and chomping indicators, then the lines of s indented by indent, empty
// lines left empty. The last line ends with a line break only when s does.
func (e *encoder) literal(s string, indent int) {
	e.buf = append(e.buf, " |"...)
	if s[0] == ' ' || s[0] == '\n' {
		e.buf = append(e.buf, '2')
	}
	switch n := len(s); {
	case s[n-1] != '\n':
		e.buf = append(e.buf, '-')
	case n == 1 || s[n-2] == '\n':
		e.buf = append(e.buf, '+')
	}
	e.newline()
	for len(s) > 0 {
		line, rest, found := strings.Cut(s, "\n")
		if line != "" {
			e.indent(indent)
			e.buf = append(e.buf, line...)
		}
		if found {
			e.newline()
		}
		s = rest
	}
}

// delegated writes a string value that is not ASCII with yaml.v2's encoding of the string
// alone, when that is provably what yaml.v2 writes in place: the style it picks does not
// depend on where the scalar is, so the bytes are the same unless they are wrapped (the
// line width counts from a different column) or are a literal block (indented
// differently). So: a single line without spaces (where lines are wrapped) or that fits
// within the width from where it starts here, or a literal block, re-indented, whose
// only line breaks are "\n".
func (e *encoder) delegated(s string, indent int) bool {
	if !utf8.ValidString(s) || strings.Contains(s, "\u0085") || strings.Contains(s, "\u2028") || strings.Contains(s, "\u2029") {
		return false
	}
	out, err := yaml.Marshal(s)
	if err != nil || len(out) == 0 || out[len(out)-1] != '\n' {
		return false
	}
	if out[0] == '|' {
		// Alone, yaml.v2 indents a block's lines by two spaces.
		head, body, _ := strings.Cut(string(out), "\n")
		e.buf = append(e.buf, ' ')
		e.buf = append(e.buf, head...)
		e.newline()
		for body != "" {
			line, rest, _ := strings.Cut(body, "\n")
			if line != "" {
				e.indent(indent - 2)
				e.buf = append(e.buf, line...)
			}
			e.newline()
			body = rest
		}
		return true
	}
	line := out[:len(out)-1]
	if strings.IndexByte(string(line), '\n') >= 0 ||
		e.column()+1+len(line) > bestWidth && strings.IndexByte(string(line), ' ') >= 0 {
		return false
	}
	e.buf = append(e.buf, ' ')
	e.buf = append(e.buf, line...)
	e.newline()
	return true
}

// analysis is what yaml.v2's emitter finds about a scalar before choosing its style.
type analysis struct {
	multiline bool // holds a line break
	plainOK   bool // may be plain in block context
	singleOK  bool // may be single-quoted
	literalOK bool // may be a literal block
}

// analyzeASCII analyses s as yaml.v2's emitter does; false if s is not ASCII.
func analyzeASCII(s string) (analysis, bool) {
	n := len(s)
	if n == 0 {
		return analysis{plainOK: true, singleOK: true}, true
	}
	var indicators, breaks, special, spaceBreak, breakSpace bool
	if n >= 3 && (s[:3] == "---" || s[:3] == "...") {
		indicators = true
	}
	afterBlank := true // the previous character is blank, a break or NUL (or there is none)
	prevSpace, prevBreak := false, false
	for i := 0; i < n; i++ {
		c := s[i]
		if i > 0 && boring[c] {
			for i+1 < n && boring[s[i+1]] {
				i++
			}
			prevSpace, prevBreak, afterBlank = false, false, false
			continue
		}
		if c >= 0x80 {
			return analysis{}, false
		}
		beforeBlank := i+1 == n || s[i+1] == ' ' || s[i+1] == '\t'
		if i == 0 {
			switch c {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				indicators = true
			case '?', ':', '-':
				indicators = indicators || beforeBlank
			}
		} else {
			switch c {
			case ':':
				indicators = indicators || beforeBlank
			case '#':
				indicators = indicators || afterBlank
			}
		}
		switch {
		case c == ' ':
			breakSpace = breakSpace || prevBreak
			prevSpace, prevBreak = true, false
		case c == '\n' || c == '\r':
			breaks = true
			spaceBreak = spaceBreak || prevSpace
			prevSpace, prevBreak = false, true
		default:
			prevSpace, prevBreak = false, false
		}
		if c < 0x20 && c != '\n' || c == 0x7f {
			special = true
		}
		afterBlank = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0
	}
	edges := s[0] == ' ' || s[0] == '\n' || s[0] == '\r' || s[n-1] == ' ' || s[n-1] == '\n' || s[n-1] == '\r'
	return analysis{
		multiline: breaks,
		plainOK:   !(edges || breaks || special || breakSpace || spaceBreak || indicators),
		singleOK:  !(special || breakSpace || spaceBreak),
		literalOK: !(special || spaceBreak || s[n-1] == ' '),
	}, true
}

// boring are the bytes that change nothing in analyzeASCII past the first: printable
// ASCII but for the space, ':' and '#'.
var boring = func() (t [256]bool) {
	for c := 0x21; c < 0x7f; c++ {
		t[c] = c != ':' && c != '#'
	}
	return t
}()

// plainIsString reports whether yaml.v2 would write the ASCII string s plain if the
// emitter allows it: whether s, read back as a plain scalar, is the string s rather than
// a null, bool, number, timestamp or merge key, and is not a YAML 1.1 base 60 float.
func plainIsString(s string) bool {
	if s == "" {
		return false // null
	}
	switch c := s[0]; {
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		switch c {
		case 'y', 'Y', 'n', 'N', 't', 'T', 'f', 'F', 'o', 'O':
			return !isKeyword(s)
		}
		return true
	case c == '~':
		return s != "~"
	case c == '.':
		if isKeyword(s) {
			return false
		}
		_, err := strconv.ParseFloat(s, 64)
		return err != nil
	case c >= '0' && c <= '9' || c == '+' || c == '-':
		return !isKeyword(s) && !isNumberOrTimestamp(s) && !isBase60Float(s)
	}
	return true
}

// isKeyword reports whether s is one of the words YAML 1.1 reads as a bool, null or
// special float.
func isKeyword(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
		"~", "null", "Null", "NULL",
		".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
		"+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return true
	}
	return false
}

// timestampLayouts are the timestamp forms yaml.v2 reads in plain scalars.
var timestampLayouts = []string{
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

// isNumberOrTimestamp reports whether yaml.v2 reads s, which starts with a digit or a
// sign, as a timestamp, an int or a float. Underscores are ignored in numbers, integers
// may be written in any base with Go's prefixes, and "0b" may be followed by a signed
// binary number.
func isNumberOrTimestamp(s string) bool {
	digits := 0
	for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	if digits == 4 && len(s) > 4 && s[4] == '-' {
		for _, layout := range timestampLayouts {
			if _, err := time.Parse(layout, s); err == nil {
				return true
			}
		}
	}
	// Every number has only signs, dots, underscores, hex digits and the letters of
	// base prefixes; most strings that start with a digit, such as "8Gi", do not.
	for i := 0; i < len(s); i++ {
		if !numberChar[s[i]] {
			return false
		}
	}
	// strconv is only asked about strings of the right form: its errors allocate.
	plain := strings.ReplaceAll(s, "_", "")
	unsigned, signed := plain, false
	if plain != "" && (plain[0] == '+' || plain[0] == '-') {
		unsigned, signed = plain[1:], true
	}
	if intLike(unsigned) {
		if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return true
		}
		if !signed { // ParseUint takes no sign
			if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
				return true
			}
		}
	}
	if isDecimalFloat(plain) {
		if _, err := strconv.ParseFloat(plain, 64); err == nil {
			return true
		}
	}
	if rest, ok := strings.CutPrefix(plain, "0b"); ok {
		if binaryLike(rest) {
			if _, err := strconv.ParseInt(rest, 2, 64); err == nil {
				return true
			}
			if _, err := strconv.ParseUint(rest, 2, 64); err == nil {
				return true
			}
		}
	} else if rest, ok := strings.CutPrefix(plain, "-0b"); ok && binaryLike(rest) {
		if _, err := strconv.ParseInt("-"+rest, 2, 64); err == nil {
			return true
		}
	}
	return false
}

// intLike reports whether s could be an unsigned integer in Go's syntax with a base
// prefix: a digit, then digits, hex digits or base letters.
func intLike(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' ||
			c == 'x' || c == 'X' || c == 'o' || c == 'O') {
			return false
		}
	}
	return true
}

// binaryLike reports whether s could be a binary number with an optional sign.
func binaryLike(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '0' && s[i] != '1' {
			return false
		}
	}
	return true
}

var numberChar = func() (t [256]bool) {
	for _, c := range "0123456789abcdefABCDEFxXoO+-._" {
		t[c] = true
	}
	return t
}()

// isDecimalFloat matches [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
func isDecimalFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i < len(s) && s[i] == '.' {
		if i = skipDigits(s, i+1); s[i-1] == '.' {
			return false
		}
	} else {
		j := skipDigits(s, i)
		if j == i {
			return false
		}
		if i = j; i < len(s) && s[i] == '.' {
			i = skipDigits(s, i+1)
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := skipDigits(s, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(s)
}

func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// isBase60Float matches [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?, the sexagesimal
// floats of YAML 1.1, which yaml.v2 quotes although it does not read them.
func isBase60Float(s string) bool {
	if strings.IndexByte(s, ':') < 0 {
		return false
	}
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	if i == len(s) || s[i] < '0' || s[i] > '9' {
		return false
	}
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
		i++
	}
	groups := 0
	for i < len(s) && s[i] == ':' {
		i++
		j := skipDigits(s, i)
		switch {
		case j-i == 1:
		case j-i == 2 && s[i] <= '5':
		default:
			return false
		}
		i = j
		groups++
	}
	if groups == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
			i++
		}
	}
	return i == len(s)
}

// sortKeys sorts ASCII keys in yaml.v2's order; false if some key is not ASCII or the
// order is not total on these keys (then yaml.v2's order depends on the map's, and
// yaml.v2 encodes the object).
func sortKeys(keys []string) bool {
	digits := false
	for _, k := range keys {
		for i := 0; i < len(k); i++ {
			c := k[i]
			if c >= 0x80 {
				return false
			}
			digits = digits || c >= '0' && c <= '9'
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		if keyLess(a, b) {
			return -1
		}
		return 1 // distinct keys are never equal in this order
	})
	if !digits {
		// Without digits, keyLess is a lexicographic order: total.
		return true
	}
	if len(keys) > 256 {
		return false
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if !keyLess(keys[i], keys[j]) {
				return false
			}
		}
	}
	return true
}

// keyLess is yaml.v2's order of ASCII string keys: at the first byte where they differ,
// a letter sorts after what is not a letter, two letters or two other bytes sort by
// code, except that runs of digits starting there compare as numbers, then by length
// (with a twist for zeros after a non-zero digit).
func keyLess(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		la, lb := isLetter(ca), isLetter(cb)
		if la || lb {
			return !la || lb && ca < cb
		}
		var na, nb int64
		if ca == '0' || cb == '0' {
			for j := i - 1; j >= 0 && isDigit(a[j]); j-- {
				if a[j] != '0' {
					na, nb = 1, 1
					break
				}
			}
		}
		ea, eb := i, i
		for ; ea < len(a) && isDigit(a[ea]); ea++ {
			na = na*10 + int64(a[ea]-'0')
		}
		for ; eb < len(b) && isDigit(b[eb]); eb++ {
			nb = nb*10 + int64(b[eb]-'0')
		}
		if na != nb {
			return na < nb
		}
		if ea != eb {
			return ea < eb
		}
		return ca < cb
	}
	return len(a) < len(b)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
