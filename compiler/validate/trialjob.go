package validate

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"
)

// The job Katib creates for a trial is its template's JSON text with each
// ${trialParameters.<name>} replaced by the parameter's value, decoded again.
// trialJob does that substitution on the template's map where the outcome is
// sure to be the same, and on the text otherwise.
//
// Why the map can stand in for the text: every character of a placeholder
// whose name is printable ASCII other than '"', '\\', '<', '>' and '&' is
// written by encoding/json as itself. Such a placeholder cannot span a
// string's quotes, begins with '$' (never part of an escape sequence) and
// holds no '\\', so its occurrences in the text are exactly its occurrences
// in the strings of the map; and since the encoding of a string is the
// concatenation of the encodings of its runes, replacing an occurrence by
// the escaped value in the text is replacing it by the value in the string.
// Keys with a '$' are left to the text (they sort by their new value), as are
// left-over placeholders (the text's regular expression may match across
// strings, which the error words), and integers beyond 2^53 (the text decodes
// them to rounded float64s). Other numbers come back from the text as float64s
// that normalize turns into the same values as the map's.

// trialSubstitution is a trial template being filled in, as text or as a map.
type trialSubstitution interface {
	// contains reports whether the template holds placeholder.
	contains(placeholder string) bool
	// replace replaces every placeholder in the template by value.
	replace(placeholder, value string)
}

// textTemplate is the template's JSON text, as Katib substitutes it.
type textTemplate struct{ s string }

func (t *textTemplate) contains(p string) bool { return strings.Contains(t.s, p) }

func (t *textTemplate) replace(p, value string) { t.s = strings.ReplaceAll(t.s, p, jsonEscape(value)) }

// mapTemplate is the template as a map, whose substitution is the text's
// unless unsure is set.
type mapTemplate struct {
	dollar []string    // the current values of the spec's strings that held a '$'
	subs   [][2]string // placeholder and value, in the order replaced
	unsure bool
}

func (t *mapTemplate) contains(p string) bool {
	if !verbatimJSON(p) {
		t.unsure = true
		return false
	}
	for _, s := range t.dollar {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func (t *mapTemplate) replace(p, value string) {
	if !verbatimJSON(p) || !utf8.ValidString(value) {
		t.unsure = true
		return
	}
	for i, s := range t.dollar {
		t.dollar[i] = strings.ReplaceAll(s, p, value)
	}
	t.subs = append(t.subs, [2]string{p, value})
}

// verbatimJSON reports whether encoding/json writes every byte of s, inside
// a string, as itself.
func verbatimJSON(s string) bool {
	for i := range len(s) {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// verifyTrialJob, set by tests only, makes trialJob build every job from the
// text too, and report whether the map was used and whether both give the
// same errors and, after normalize, the same job.
var verifyTrialJob func(step string, mapOK, same bool)

// trialJob returns the job Katib would create from t with the trial
// parameters' values, and the problems found with the parameters on the way;
// job is nil when these stop it.
func trialJob(t *katibTrialTemplate, values map[string]string) (job map[string]any, errs errorList) {
	job, errs, ok := trialJobFromMap(t, values)
	if ok && verifyTrialJob == nil {
		return job, errs
	}
	slowJob, slowErrs := trialJobFromText(t, values)
	if verifyTrialJob != nil {
		var a, b map[string]any
		if job != nil {
			_, a, _, _ = normalize(job)
		}
		if slowJob != nil {
			_, b, _, _ = normalize(slowJob)
		}
		verifyTrialJob("job", ok, reflect.DeepEqual(finish(slices.Clone(errs)), finish(slices.Clone(slowErrs))) && reflect.DeepEqual(a, b))
		if ok {
			return job, errs
		}
	}
	return slowJob, slowErrs
}

// trialJobFromText is trialJob done as Katib does it, on the template's JSON
// text.
func trialJobFromText(t *katibTrialTemplate, values map[string]string) (map[string]any, errorList) {
	const path = "spec.trialTemplate"
	tmpl := &textTemplate{s: string(t.trialSpecJSON())}
	errs, complete := substituteTrialParameters(tmpl, t, values)
	if !complete {
		return nil, errs
	}
	if left := katibPlaceholder.FindAllString(tmpl.s, -1); len(left) > 0 {
		errs.add(path, fmt.Sprintf("Invalid value: parameters %v in spec.trialTemplate not found in spec.trialTemplate.trialParameters", left))
		return nil, errs
	}
	var job map[string]any
	if err := json.Unmarshal([]byte(tmpl.s), &job); err != nil {
		errs.add(path+".trialSpec", "Invalid value: unable to convert spec.trialTemplate to unstructured: "+err.Error())
		return nil, errs
	}
	if job == nil {
		job = map[string]any{} // a null trial spec, judged as one without a kind
	}
	return job, errs
}

// trialJobFromMap is trialJob done on the template's map; ok is false when
// the outcome might differ from the text's. The job shares the template's
// maps and slices below its top level and metadata, which must not be
// modified.
func trialJobFromMap(t *katibTrialTemplate, values map[string]string) (job map[string]any, errs errorList, ok bool) {
	if t.trialSpec == nil {
		return nil, nil, false
	}
	tmpl := &mapTemplate{}
	if !collectDollar(t.trialSpec, &tmpl.dollar) {
		return nil, nil, false
	}
	errs, complete := substituteTrialParameters(tmpl, t, values)
	if tmpl.unsure {
		return nil, nil, false
	}
	if !complete {
		return nil, errs, true
	}
	for _, s := range tmpl.dollar {
		if strings.Contains(s, "${trialParameters.") {
			return nil, nil, false // the text words this error
		}
	}
	j, _ := substituteStrings(t.trialSpec, tmpl.subs)
	// The caller sets the job's name and namespace: its top level and
	// metadata are its own.
	job = maps.Clone(j.(map[string]any))
	if meta, ok := job["metadata"].(map[string]any); ok {
		job["metadata"] = maps.Clone(meta)
	}
	return job, errs, true
}

// collectDollar appends to out the strings of v that hold a '$', and reports
// whether v is one whose substitution the map path can do: plain JSON values,
// valid UTF-8, no '$' in a key and no integer beyond 2^53.
func collectDollar(v any, out *[]string) bool {
	switch x := v.(type) {
	case nil, bool:
		return true
	case string:
		if !utf8.ValidString(x) {
			return false
		}
		if strings.IndexByte(x, '$') >= 0 {
			*out = append(*out, x)
		}
		return true
	case int64:
		return x >= -1<<53 && x <= 1<<53
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	case map[string]any:
		if x == nil {
			return false
		}
		for k, e := range x {
			if strings.IndexByte(k, '$') >= 0 || !utf8.ValidString(k) || !collectDollar(e, out) {
				return false
			}
		}
		return true
	case []any:
		if x == nil {
			return false
		}
		for _, e := range x {
			if !collectDollar(e, out) {
				return false
			}
		}
		return true
	}
	return false
}

// substituteStrings returns v with subs applied in order to each string
// holding a '$', sharing every map and slice of v that does not change;
// changed reports that the result is not v itself.
func substituteStrings(v any, subs [][2]string) (out any, changed bool) {
	switch x := v.(type) {
	case string:
		if strings.IndexByte(x, '$') < 0 {
			return x, false
		}
		s := x
		for _, sub := range subs {
			s = strings.ReplaceAll(s, sub[0], sub[1])
		}
		return s, s != x
	case map[string]any:
		var c map[string]any
		for k, e := range x {
			if n, ch := substituteStrings(e, subs); ch {
				if c == nil {
					c = maps.Clone(x)
				}
				c[k] = n
			}
		}
		if c != nil {
			return c, true
		}
	case []any:
		var c []any
		for i, e := range x {
			if n, ch := substituteStrings(e, subs); ch {
				if c == nil {
					c = slices.Clone(x)
				}
				c[i] = n
			}
		}
		if c != nil {
			return c, true
		}
	}
	return v, false
}

// substituteTrialParameters checks t's trial parameters against the template
// and replaces each one's placeholder by its value, as Katib does; complete is
// false when a parameter's placeholder is missing, which Katib stops at.
func substituteTrialParameters(tmpl trialSubstitution, t *katibTrialTemplate, values map[string]string) (errs errorList, complete bool) {
	const path = "spec.trialTemplate"
	names, refs := map[string]bool{}, map[string]bool{}
	for i, p := range t.TrialParameters {
		ppath := fmt.Sprintf("%s.trialParameters[%d]", path, i)
		switch {
		case p.Name == "" || p.Reference == "" || strings.ContainsAny(p.Name, "{}"):
			errs.add(ppath, "Invalid value: name and reference must be specified and name must not contain '{' or '}'")
			continue
		case names[p.Name]:
			errs.add(ppath+".name", fmt.Sprintf("Invalid value: %q: parameter name can't be duplicated", p.Name))
			continue
		case refs[p.Reference]:
			errs.add(ppath+".reference", fmt.Sprintf("Invalid value: %q: parameter reference can't be duplicated", p.Reference))
			continue
		}
		names[p.Name], refs[p.Reference] = true, true
		value, isParam := values[p.Reference]
		if !isParam && len(values) > 0 && !katibMetaRef.MatchString(p.Reference) {
			errs.add(ppath+".reference", fmt.Sprintf("Invalid value: %q: parameter reference does not exist in spec.parameters", p.Reference))
		}
		placeholder := "${trialParameters." + p.Name + "}"
		if !tmpl.contains(placeholder) {
			errs.add(ppath+".name", fmt.Sprintf("Invalid value: %q: parameter name not found in spec.trialTemplate", p.Name))
			return errs, false
		}
		if !isParam {
			value = "meta-value"
		}
		tmpl.replace(placeholder, value)
	}
	return errs, true
}

// jsonEscape escapes s for the inside of a JSON string.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
