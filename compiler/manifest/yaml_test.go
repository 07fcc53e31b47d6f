package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v2"
)

// fast encodes content with the specialised encoder alone; false when it declines.
func fast(content map[string]any) ([]byte, bool) {
	var e encoder
	b, ok := e.document(content)
	return bytes.Clone(b), ok
}

// same fails the test unless encoding content gives yaml.v2's bytes. It reports whether
// the specialised encoder took content itself rather than leaving it to yaml.v2.
func same(t *testing.T, content map[string]any) bool {
	t.Helper()
	want, err := yaml.Marshal(content)
	if err != nil {
		t.Fatalf("yaml.v2: %v", err)
	}
	got, ok := fast(content)
	if ok && !bytes.Equal(got, want) {
		t.Fatalf("encoding %#v\n--- yaml.v2\n%s--- got\n%s", content, want, got)
	}
	if ok {
		// Through the API too (with a pooled encoder).
		got, err := Object{Content: content}.YAML()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Object.YAML of %#v = %q, %v; want %q", content, got, err, want)
		}
	}
	return ok
}

// nastyStrings seed the fuzzers: strings on the edge of each of yaml.v2's decisions.
var nastyStrings = []string{
	"", "a", "yes", "No", "ON", "off", "y", "N", "true", "False", "null", "Null", "~", "<<",
	"0x1F", "0o17", "0b101", "-0b101", "0b+101", "1_000", "1e3", "1E+3", ".5", "+1", "-1", "+.inf", "-.Inf",
	".nan", ".NaN", "0", "007", "08", "1.4.2", "1.", "-.5e-3", "12e", "0x", "9223372036854775808",
	"18446744073709551616", "-9223372036854775809", "1:20", "-1:20:30.5", "1:60", "1:5_", "190:20:30",
	"2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10", "2001-12-14T21:59:43Z",
	"2001-13-14", "8Gi", "500m", "0.5", "1e+06", "nvidia.com/gpu", "ghcr.io/vision/train:1.4.2",
	"-", "--", "---", "...", "....", "--- a", "- a", "-a", "?", "? a", "?a", ":", ": a", ":a", "a:", "a: b",
	"a:b", "key:", "a #b", "a#b", "#a", "a\t#b", "@x", "`x", "%x", "!x", "&x", "*x", "|x", ">x",
	"'x", "\"x", "x'", "x\"y", "x\\y", "it's", "[x]", "{x}", "a,b", "a[b]", "x?", "  lead", "trail ",
	" ", "  ", "a  b", "a \nb", "a\n b", "multi\nline", "multi\nline\n", "trail\n\n", "\n", "\n\n",
	"\nlead", " \nx", "x\n ", "x \n", "a\r\nb", "\r", "\ttab", "a\tb", "a\x00b", "\x7f", "\x1b[0m",
	"\a\b\v\f", "é", "café au lait", "\u2028", "a\u2028b", "a\u0085b", "\ufeffbom", "\u00a0",
	"日本語", "multi\nliné\n", "\xff", "a\xc3", "0 2 * * *", "s3://models/resnet/v3",
	"torchrun --nproc_per_node=8 train.py", "echo \"hi\" && exit 1", "{{ .Values.x }}", "${HOME}",
	"python3 -c 'import sys; print(sys.argv)'",
	"a\t\"b\\c", "+.", "-.e1", "1x:2", "18446744073709551615", "0b" + strings.Repeat("1", 64),
	"-0b" + strings.Repeat("1", 64), "0b+" + strings.Repeat("1", 64),
	"\t" + strings.Repeat("word  ", 20),
	strings.Repeat("x", 130),
	strings.Repeat("word ", 30),
	strings.Repeat("word ", 30) + "end",
	strings.Repeat("a", 79) + " " + strings.Repeat("b", 10) + " c",
	strings.Repeat("a", 90) + "  " + strings.Repeat("b", 90) + "   c",
	"'" + strings.Repeat("it's ", 25) + "'",
	"\"" + strings.Repeat("say \"x\" ", 20),
	"yes " + strings.Repeat("abc ", 30) + "\t",
	strings.Repeat("é ", 50),
	"line one\n" + strings.Repeat("long line ", 20) + "\n\nlast",
	"#!/bin/sh\nset -e\n" + strings.Repeat("echo x; ", 20) + "\n",
}

// contexts places a string value at nesting depths 0 to 3 in mappings and sequences, and
// after keys of several lengths (so that lines are wrapped at different places).
func contexts(s string) []map[string]any {
	wrappers := []func(any) any{
		func(v any) any { return map[string]any{"m": v, "z": 1} },
		func(v any) any { return []any{v, "tail"} },
		func(v any) any { return []any{map[string]any{"i": v, "j": "x"}} },
	}
	var out []map[string]any
	var nest func(v any, depth int)
	nest = func(v any, depth int) {
		out = append(out, map[string]any{"k": v})
		if depth < 2 {
			out = append(out,
				map[string]any{"a": v, "b": v, "c": "after"},
				map[string]any{strings.Repeat("long-key-", 8): v},
				map[string]any{strings.Repeat("k", 1+len(s)%90): v})
		}
		if depth == 3 {
			return
		}
		for _, w := range wrappers {
			nest(w(v), depth+1)
		}
	}
	nest(s, 0)
	return out
}

// keyContexts places a string as a mapping key at depths 0 to 2.
func keyContexts(k string) []map[string]any {
	return []map[string]any{
		{k: "v"},
		{k: map[string]any{"x": 1}, "a": 1, "z": 2, "A": 3, "_": 8, "-x": 9},
		{"a": map[string]any{k: k}},
		{"l": []any{map[string]any{k: map[string]any{k: k}}}},
	}
}

func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func checkString(t *testing.T, s string) {
	for _, c := range contexts(s) {
		// ASCII strings, and every string inside the line width, are taken by the
		// encoder itself.
		if !same(t, c) && asciiOnly(s) {
			t.Fatalf("%q: fell back to yaml.v2 in %#v", s, c)
		}
	}
	for _, c := range keyContexts(s) {
		simple := len(s) <= maxSimpleKey && !strings.ContainsAny(s, "\r\n") && asciiOnly(s)
		if !same(t, c) && simple {
			t.Fatalf("key %q: fell back to yaml.v2 in %#v", s, c)
		}
	}
	// Among numbered keys, the order may not be total (see sortKeys): then the encoder
	// must decline, and yaml.v2's output depends on the map's order.
	same(t, map[string]any{s: []any{1}, "a": 1, "0": 4, "a1": 5, "a10": 6, "a9": 7})
}

func TestEncodeStrings(t *testing.T) {
	for _, s := range nastyStrings {
		checkString(t, s)
	}
}

// FuzzEncodeString compares the encoding of a string with yaml.v2's, as a mapping value,
// a sequence item and a key, at several depths and columns.
func FuzzEncodeString(f *testing.F) {
	for _, s := range nastyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkString(t, s)
	})
}

func TestKeyOrder(t *testing.T) {
	keys := []string{
		"a", "b", "A", "B", "_", "-", ".", "/", "0", "1", "9", "10", "a1", "a2", "a10", "a01",
		"a001", "a0", "a00", "a0b", "ab", "aB", "a_b", "a-b", "a.b", "a/b", "x1y2", "x1y10",
		"x10y1", "apiVersion", "kind", "metadata", "spec", "status", "app.kubernetes.io/name",
		"nvidia.com/gpu", "99999999999999999999", "9999999999999999999a", "z", "a1-", "a1.",
		"x20", "x2_", "x200", "x2-0",
	}
	m := map[string]any{}
	for i, k := range keys {
		m[k] = i
	}
	same(t, m) // may fall back: some of these are not in a total order
	// a10 < a1A (a letter sorts after a digit), a1A < a9 (1 < 9), a9 < a10 (9 < 10): yaml.v2
	// writes these in an order that depends on the map's, so the encoder declines.
	if _, ok := fast(map[string]any{"a10": 1, "a1A": 2, "a9": 3}); ok {
		t.Error("keys in a cycle of yaml.v2's order were not left to yaml.v2")
	}
	noDigits := map[string]any{}
	for i, k := range keys {
		if !strings.ContainsAny(k, "0123456789") {
			noDigits[k] = i
		}
	}
	if !same(t, noDigits) {
		t.Error("keys without digits fell back to yaml.v2")
	}
	// Natural order of numbered keys, which is total.
	numbered := map[string]any{}
	for i := range 30 {
		numbered["gpu"+strings.Repeat("x", i%3)+string(rune('0'+i%10))] = i
		numbered["item-"+string(rune('a'+i%26))+"-"+strings.Repeat("1", i%4+1)] = i
	}
	if !same(t, numbered) {
		t.Error("numbered keys fell back to yaml.v2")
	}
	many := map[string]any{}
	for i := range 300 {
		many[strings.Repeat("k", i%7)+strconv.Itoa(i)] = i
	}
	same(t, many) // left to yaml.v2: too many keys to check their order is total
}

// FuzzKeyOrder compares the order of mapping keys with yaml.v2's.
func FuzzKeyOrder(f *testing.F) {
	f.Add("a1", "a10", "a9")
	f.Add("a01", "a1", "a0b")
	f.Add("A", "a", "_")
	f.Add("x.y", "x-y", "x/y")
	f.Add("", "0", "00")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		m := map[string]any{a: 1, b: 2, c: 3, "m": 4, "m1": 5}
		if !same(t, m) {
			return
		}
		// Taken by the encoder: yaml.v2 gives the same order whatever the map's.
		for range 5 {
			same(t, map[string]any{c: 3, b: 2, a: 1, "m1": 5, "m": 4})
		}
	})
}

type named string

type marshaler struct{}

func (marshaler) MarshalYAML() (any, error) { return "custom", nil }

type failing struct{}

func (failing) MarshalYAML() (any, error) { return nil, errors.New("cannot") }

func TestEncodeTypes(t *testing.T) {
	taken := []map[string]any{
		{},
		{"empty": map[string]any{}, "list": []any{}, "nil": nil},
		{"nilmap": map[string]any(nil), "nillist": []any(nil), "nilstrings": []string(nil)},
		{"b": true, "f": false, "l": []any{true, nil, map[string]any{}, []any{}}},
		{"i": 1, "i64": int64(math.MinInt64), "i32": int32(-7), "i8": int8(3), "i16": int16(-300),
			"u": uint(7), "u8": uint8(255), "u16": uint16(65535), "u32": uint32(1 << 31), "u64": uint64(math.MaxUint64)},
		{"f": 0.5, "big": 1e6, "bigger": 1e21, "small": 1e-7, "neg": -2.5, "int": 3.0, "zero": 0.0,
			"negzero": math.Copysign(0, -1), "inf": math.Inf(1), "ninf": math.Inf(-1), "nan": math.NaN(),
			"f32": float32(0.1), "f32b": float32(1e10)},
		{"n": json.Number("12"), "f": json.Number("1.50"), "e": json.Number("1e400"), "s": json.Number("abc"),
			"big": json.Number("99999999999999999999")},
		{"ss": []string{"a", "yes", "", "multi\nline"}, "ms": map[string]string{"b": "1", "a": "on", "c": ""},
			"lm": []map[string]any{{"x": 1}, nil, {"y": []any{}}}},
		{"deep": []any{[]any{[]any{map[string]any{"a": []any{map[string]any{"b": "x\ny"}}}}}}},
	}
	for _, c := range taken {
		if !same(t, c) {
			t.Errorf("%#v fell back to yaml.v2", c)
		}
	}
	declined := []map[string]any{
		{"t": time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"d": time.Second},
		{"named": named("x")},
		{"p": new(int)},
		{"m": marshaler{}},
		{"any": map[any]any{"a": 1}},
		{"st": struct{ A int }{1}},
		{"bytes": []byte("ab")},
		{"key\nbreak": 1},
		{strings.Repeat("k", 129): 1},
		{"clé": 1},
		{"bad": "\xff"},
		{"wide": strings.Repeat("é ", 50)},
		{"deep": nested(45)},
	}
	for _, c := range declined {
		if same(t, c) {
			t.Errorf("%#v: taken by the encoder, expected to be left to yaml.v2", c)
		}
		if got, err := (Object{Content: c}).YAML(); err != nil || !bytes.Equal(got, must(yaml.Marshal(c))) {
			t.Errorf("%#v: YAML = %q, %v", c, got, err)
		}
	}
}

func nested(depth int) any {
	var v any = "a b"
	for range depth {
		v = map[string]any{"x": v}
	}
	return v
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// Non-ASCII strings are spliced in from yaml.v2 when that is exact.
func TestEncodeDelegatedStrings(t *testing.T) {
	for _, s := range []string{"é", "café au lait", "日本語", "\u00a0x", "\ufeffbom", "multi\nliné\n", "ü\n\nü", " ü\nx"} {
		if !utf8.ValidString(s) {
			t.Fatal(s)
		}
		for _, c := range contexts(s) {
			longKey := false
			for k := range c {
				longKey = longKey || len(k) > 20
			}
			// Behind a long key, a string with spaces may have to be wrapped.
			if !same(t, c) && !(longKey && strings.Contains(s, " ")) {
				t.Errorf("%q fell back to yaml.v2 in %#v", s, c)
			}
		}
	}
}

func TestEncodeErrorsLikeYAMLv2(t *testing.T) {
	c := map[string]any{"a": map[string]any{"bad": failing{}}}
	_, err := Object{Content: c}.YAML()
	if _, werr := yaml.Marshal(c); err == nil || werr == nil || err.Error() != werr.Error() {
		t.Errorf("YAML error %v, yaml.v2 error %v", err, werr)
	}
}
