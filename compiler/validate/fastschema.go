package validate

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apiserver/pkg/cel/environment"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
)

// fastSchema tells, without allocating, that kube-openapi's SchemaValidator (what
// apiservervalidation.ValidateCustomResource runs on create) would find no error in a
// value, so that its costly per-call set-up is skipped for the valid objects mlc
// renders. It mirrors k8s.io/kube-openapi/pkg/validation/validate; false means "not
// known valid" (a schema feature or value it does not model, or an error), and the
// caller runs kube-openapi, which words the errors. TestFastSchemaSound compares the
// two; TestFastSchemaBuiltAsConverted the schemas they read.
type fastSchema struct {
	// unsupported: the schema uses something ok does not model; any value
	// met here makes ok return false.
	unsupported bool

	types    []string // "type"
	nullable bool
	format   string
	// checkFormat: the format is in strfmt.Default, so strings are checked
	// against it (formatValidator).
	checkFormat bool
	// numType and numFormat are what numberValidator sees: the type when there
	// is exactly one, and the format when it suits that type.
	numType, numFormat string

	enum []any

	minLength, maxLength *int64
	pattern              *regexp.Regexp

	minimum, maximum                   *float64
	exclusiveMinimum, exclusiveMaximum bool

	items              *fastSchema
	minItems, maxItems *int64

	properties map[string]*fastSchema
	// noAdditional: additionalProperties is false.
	noAdditional bool
	additional   *fastSchema // additionalProperties as a schema
	required     []string
	minProps     *int64
	maxProps     *int64

	anyOf, allOf []*fastSchema
	// oneOf and not, when their schemas only combine required lists.
	oneOf []*logicSchema
	not   *logicSchema
}

// newFastSchema builds the shortcut for s, the CRD version's schema from which
// the API server's kube-openapi validator is converted
// (apiservervalidation.NewSchemaValidator). It reads s as that conversion
// (ConvertJSONSchemaPropsWithPostProcess, formats stripped as
// stripFormat strips them) would present it to kube-openapi, without
// building the converted schema.
func newFastSchema(s *apiextensions.JSONSchemaProps) *fastSchema {
	f := &fastSchema{}
	if s == nil {
		f.unsupported = true
		return f
	}
	if (s.Ref != nil && *s.Ref != "") || len(s.Dependencies) > 0 ||
		len(s.PatternProperties) > 0 || s.AdditionalItems != nil || s.UniqueItems ||
		s.MultipleOf != nil ||
		(s.Items != nil && (len(s.Items.JSONSchemas) > 0 || s.Items.Schema == nil)) {
		f.unsupported = true
		return f
	}
	f.types = convertedTypes(s)
	f.nullable = s.Nullable
	f.format = stripFormat(f.types, s.Format)
	// kube-openapi's typeValidator rejects every non-string value when a
	// format is given without a type; leave that case to it.
	if len(f.types) == 0 && f.format != "" {
		f.unsupported = true
		return f
	}
	f.checkFormat = strfmt.Default.ContainsName(f.format)
	if len(f.types) == 1 {
		switch f.types[0] {
		case "integer":
			f.numType = "integer"
			if f.format == "int32" || f.format == "int64" {
				f.numFormat = f.format
			}
		case "number":
			f.numType = "number"
			if f.format == "float" || f.format == "double" {
				f.numFormat = f.format
			}
		}
	}
	if s.Enum != nil {
		f.enum = make([]any, len(s.Enum))
		for i, e := range s.Enum {
			f.enum[i] = e
		}
	}
	f.minLength, f.maxLength = s.MinLength, s.MaxLength
	if s.Pattern != "" {
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			f.unsupported = true
			return f
		}
		f.pattern = re
	}
	f.minimum, f.maximum = s.Minimum, s.Maximum
	f.exclusiveMinimum, f.exclusiveMaximum = s.ExclusiveMinimum, s.ExclusiveMaximum
	if s.Items != nil {
		f.items = newFastSchema(s.Items.Schema)
	}
	f.minItems, f.maxItems = s.MinItems, s.MaxItems
	if len(s.Properties) > 0 {
		f.properties = make(map[string]*fastSchema, len(s.Properties))
		// One copy of the large property schema per node, not per property.
		var (
			name string
			p    apiextensions.JSONSchemaProps
		)
		for name, p = range s.Properties {
			f.properties[name] = newFastSchema(&p)
		}
	}
	if ap := s.AdditionalProperties; ap != nil {
		if !ap.Allows {
			f.noAdditional = true
		} else if ap.Schema != nil {
			f.additional = newFastSchema(ap.Schema)
		}
	}
	f.required = s.Required
	f.minProps, f.maxProps = s.MinProperties, s.MaxProperties
	for i := range s.AnyOf {
		f.anyOf = append(f.anyOf, newFastSchema(&s.AnyOf[i]))
	}
	for i := range s.AllOf {
		f.allOf = append(f.allOf, newFastSchema(&s.AllOf[i]))
	}
	for i := range s.OneOf {
		l := newLogicSchema(&s.OneOf[i])
		if l == nil {
			f.unsupported = true
			return f
		}
		f.oneOf = append(f.oneOf, l)
	}
	if s.Not != nil {
		if f.not = newLogicSchema(s.Not); f.not == nil {
			f.unsupported = true
			return f
		}
	}
	return f
}

// convertedTypes is the "type" list the conversion to kube-openapi's schema
// writes.
func convertedTypes(s *apiextensions.JSONSchemaProps) []string {
	switch {
	case s.XIntOrString:
		return []string{"integer", "string"}
	case s.Type != "":
		return []string{s.Type}
	}
	return nil
}

// stripFormats is the post-processing that the conversion applies to each
// converted schema: formats the API server does not support are dropped.
var stripFormats = apiservervalidation.StripUnsupportedFormatsPostProcessorForVersion(environment.DefaultCompatibilityVersion())

// strippedFormats caches stripFormat by types and format.
var strippedFormats sync.Map

// stripFormat returns format as kube-openapi sees it under the given types.
func stripFormat(types []string, format string) string {
	if format == "" {
		return ""
	}
	key := strings.Join(types, ",") + " " + format
	if f, ok := strippedFormats.Load(key); ok {
		return f.(string)
	}
	s := &spec.Schema{SchemaProps: spec.SchemaProps{Type: types, Format: format}}
	if err := stripFormats(s); err != nil {
		return format
	}
	strippedFormats.Store(key, s.Format)
	return s.Format
}

// logicSchema is a schema that only requires properties and combines other
// such schemas (anyOf, allOf, oneOf, not), as CRD generators write "exactly
// one of these fields" (Istio's oneOf: [{not: {anyOf: [{required: [a]}, ...]}},
// {required: [a]}, ...]). Whether kube-openapi finds it valid is decided
// exactly, so that oneOf and not can be judged.
type logicSchema struct {
	required            []string
	anyOf, allOf, oneOf []*logicSchema
	not                 *logicSchema
}

// newLogicSchema returns nil unless s is such a schema, as converted for
// kube-openapi.
func newLogicSchema(s *apiextensions.JSONSchemaProps) *logicSchema {
	if s == nil {
		return nil
	}
	types := convertedTypes(s)
	if (s.Ref != nil && *s.Ref != "") || len(types) > 0 || s.Nullable || stripFormat(types, s.Format) != "" ||
		len(s.Enum) > 0 || s.Pattern != "" || s.MinLength != nil || s.MaxLength != nil ||
		s.Minimum != nil || s.Maximum != nil || s.MultipleOf != nil || s.Items != nil ||
		s.MinItems != nil || s.MaxItems != nil || s.UniqueItems || s.AdditionalItems != nil ||
		len(s.Properties) > 0 || s.AdditionalProperties != nil || len(s.PatternProperties) > 0 ||
		s.MinProperties != nil || s.MaxProperties != nil || len(s.Dependencies) > 0 {
		return nil
	}
	l := &logicSchema{required: s.Required}
	for _, list := range []struct {
		in  []apiextensions.JSONSchemaProps
		out *[]*logicSchema
	}{{s.AnyOf, &l.anyOf}, {s.AllOf, &l.allOf}, {s.OneOf, &l.oneOf}} {
		for i := range list.in {
			sub := newLogicSchema(&list.in[i])
			if sub == nil {
				return nil
			}
			*list.out = append(*list.out, sub)
		}
	}
	if s.Not != nil {
		if l.not = newLogicSchema(s.Not); l.not == nil {
			return nil
		}
	}
	return l
}

// valid reports whether kube-openapi finds v valid against the schema. On
// null only the type and enum validators run, which such a schema lacks; on
// other values, required applies to objects only.
func (l *logicSchema) valid(v any) bool {
	if v == nil {
		return true
	}
	if m, ok := v.(map[string]any); ok {
		for _, k := range l.required {
			if _, ok := m[k]; !ok {
				return false
			}
		}
	}
	if len(l.anyOf) > 0 && !slices.ContainsFunc(l.anyOf, func(s *logicSchema) bool { return s.valid(v) }) {
		return false
	}
	for _, s := range l.allOf {
		if !s.valid(v) {
			return false
		}
	}
	if len(l.oneOf) > 0 && countValid(l.oneOf, v) != 1 {
		return false
	}
	return l.not == nil || !l.not.valid(v)
}

func countValid(list []*logicSchema, v any) int {
	n := 0
	for _, s := range list {
		if s.valid(v) {
			n++
		}
	}
	return n
}

// maxExactInt is the largest magnitude up to which every integer is a float64.
const maxExactInt = 1 << 53

// ok reports that kube-openapi would accept v against the schema; false means
// "not known to be accepted".
func (f *fastSchema) ok(v any) bool {
	if f.unsupported {
		return false
	}
	if v == nil {
		// Only the type and enum validators run on null.
		if len(f.types) > 0 && !f.nullable && !slices.Contains(f.types, "null") {
			return false
		}
		return len(f.enum) == 0
	}

	// typeValidator, applied when there is a type or a format.
	var schType string
	isString := false
	switch v.(type) {
	case string:
		schType, isString = "string", true
	case bool:
		schType = "boolean"
	case int64:
		schType = "integer"
	case float64:
		schType = "number"
	case map[string]any:
		schType = "object"
	case []any:
		schType = "array"
	default:
		return false
	}
	if len(f.types) > 0 {
		// The value's type is accepted when the schema lists it, or when it
		// is an integer and the schema takes numbers (isIntFloat); a float
		// where only integers are taken (isFloatInt) depends on the value
		// and is left to kube-openapi. Where the type is accepted, the
		// comparison of formats for non-strings passes too. A string or an
		// array under a non-numeric type with a format is accepted without
		// comparing types.
		accepted := slices.Contains(f.types, schType) || (schType == "integer" && slices.Contains(f.types, "number"))
		formatted := f.format != "" && (isString || schType == "array") &&
			!slices.Contains(f.types, "number") && !slices.Contains(f.types, "integer")
		if !accepted && !formatted {
			return false
		}
	}

	// schemaPropsValidator: anyOf, allOf, oneOf and not (dependencies are
	// unsupported).
	if len(f.anyOf) > 0 {
		matched := false
		for _, s := range f.anyOf {
			if s.ok(v) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	for _, s := range f.allOf {
		if !s.ok(v) {
			return false
		}
	}
	if len(f.oneOf) > 0 && countValid(f.oneOf, v) != 1 {
		return false
	}
	if f.not != nil && f.not.valid(v) {
		return false
	}

	switch x := v.(type) {
	case string:
		// stringValidator, then formatValidator.
		if f.minLength != nil || f.maxLength != nil {
			n := int64(utf8.RuneCountInString(x))
			if f.minLength != nil && n < *f.minLength {
				return false
			}
			if f.maxLength != nil && n > *f.maxLength {
				return false
			}
		}
		if f.pattern != nil && !f.pattern.MatchString(x) {
			return false
		}
		if f.checkFormat && !strfmt.Default.Validates(f.format, x) {
			return false
		}
	case int64:
		if !f.intOK(x) {
			return false
		}
	case float64:
		if !f.floatOK(x) {
			return false
		}
	case []any:
		// schemaSliceValidator.
		if f.items != nil {
			for _, e := range x {
				if !f.items.ok(e) {
					return false
				}
			}
		}
		n := int64(len(x))
		if f.minItems != nil && n < *f.minItems {
			return false
		}
		if f.maxItems != nil && n > *f.maxItems {
			return false
		}
	}

	// basicCommonValidator: enum. Only an enum value of the same Go type
	// and equal value is taken as a match; kube-openapi's conversions
	// between types are left to it.
	if len(f.enum) > 0 && !f.enumOK(v) {
		return false
	}

	if m, isMap := v.(map[string]any); isMap {
		return f.objectOK(m)
	}
	return true
}

// intOK is numberValidator for an int64.
func (f *fastSchema) intOK(x int64) bool {
	if f.numType == "integer" && f.numFormat == "int32" && (x < math.MinInt32 || x > math.MaxInt32) {
		return false
	}
	if f.numType == "number" && f.numFormat == "float" {
		return false
	}
	if f.minimum == nil && f.maximum == nil {
		return true
	}
	// kube-openapi compares as int64 or as float64, depending on the bound;
	// both agree when the bound and the value are exact in a float64.
	if x > maxExactInt || x < -maxExactInt {
		return false
	}
	d := float64(x)
	return boundsOK(d, f.minimum, f.maximum, f.exclusiveMinimum, f.exclusiveMaximum, true)
}

// floatOK is numberValidator for a float64.
func (f *fastSchema) floatOK(x float64) bool {
	if f.numType == "integer" || (f.numType == "number" && f.numFormat == "float") {
		return false
	}
	return boundsOK(x, f.minimum, f.maximum, f.exclusiveMinimum, f.exclusiveMaximum, false)
}

func boundsOK(d float64, minimum, maximum *float64, exclMin, exclMax, intBounds bool) bool {
	if b := maximum; b != nil {
		if intBounds && (*b != math.Trunc(*b) || math.Abs(*b) > maxExactInt) {
			return false
		}
		if (!exclMax && d > *b) || (exclMax && d >= *b) {
			return false
		}
	}
	if b := minimum; b != nil {
		if intBounds && (*b != math.Trunc(*b) || math.Abs(*b) > maxExactInt) {
			return false
		}
		if (!exclMin && d < *b) || (exclMin && d <= *b) {
			return false
		}
	}
	return true
}

func (f *fastSchema) enumOK(v any) bool {
	for _, e := range f.enum {
		switch x := v.(type) {
		case string:
			if s, ok := e.(string); ok && s == x {
				return true
			}
		case bool:
			if b, ok := e.(bool); ok && b == x {
				return true
			}
		case int64:
			if i, ok := e.(int64); ok && i == x {
				return true
			}
		case float64:
			if g, ok := e.(float64); ok && g == x {
				return true
			}
		}
	}
	return false
}

// objectOK is objectValidator.
func (f *fastSchema) objectOK(m map[string]any) bool {
	n := int64(len(m))
	if f.minProps != nil && n < *f.minProps {
		return false
	}
	if f.maxProps != nil && n > *f.maxProps {
		return false
	}
	for k, v := range m {
		p, isProp := f.properties[k]
		switch {
		case isProp:
			if !p.ok(v) {
				return false
			}
		case f.noAdditional:
			return false
		case f.additional != nil:
			if !f.additional.ok(v) {
				return false
			}
		}
	}
	for _, k := range f.required {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}
