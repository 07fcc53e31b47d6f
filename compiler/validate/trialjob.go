package validate

import (
	"encoding/json"
	"fmt"
	"strings"
)

// trialJob returns the job Katib would create from t with the trial parameters'
// values, as Katib makes it: the template's JSON text with each
// ${trialParameters.<name>} replaced by the parameter's value, decoded again. errs are
// the problems found with the parameters on the way; job is nil when these stop it.
func trialJob(t *katibTrialTemplate, values map[string]string) (job map[string]any, errs errorList) {
	const path = "spec.trialTemplate"
	text := string(t.TrialSpec)
	errs, complete := substituteTrialParameters(&text, t, values)
	if !complete {
		return nil, errs
	}
	if left := katibPlaceholder.FindAllString(text, -1); len(left) > 0 {
		errs.add(path, fmt.Sprintf("Invalid value: parameters %v in spec.trialTemplate not found in spec.trialTemplate.trialParameters", left))
		return nil, errs
	}
	if err := json.Unmarshal([]byte(text), &job); err != nil {
		errs.add(path+".trialSpec", "Invalid value: unable to convert spec.trialTemplate to unstructured: "+err.Error())
		return nil, errs
	}
	if job == nil {
		job = map[string]any{} // a null trial spec, judged as one without a kind
	}
	return job, errs
}

// substituteTrialParameters checks t's trial parameters against the template text and
// replaces each one's placeholder by its value, as Katib does; complete is false when a
// parameter's placeholder is missing, which Katib stops at.
func substituteTrialParameters(text *string, t *katibTrialTemplate, values map[string]string) (errs errorList, complete bool) {
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
		if !strings.Contains(*text, placeholder) {
			errs.add(ppath+".name", fmt.Sprintf("Invalid value: %q: parameter name not found in spec.trialTemplate", p.Name))
			return errs, false
		}
		if !isParam {
			value = "meta-value"
		}
		*text = strings.ReplaceAll(*text, placeholder, jsonEscape(value))
	}
	return errs, true
}

// jsonEscape escapes s for the inside of a JSON string.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
