package validate

import (
	"fmt"
	"reflect"
	"regexp"
	"testing"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
)

// TestFastSchemaBuiltAsConverted: for every CRD version, embedded or of
// Kubeflow v1.11.0, newFastSchema read from the schema before conversion equals
// the shortcut built from the converted spec.Schema that kube-openapi's
// validator is given.
func TestFastSchemaBuiltAsConverted(t *testing.T) {
	forEachVersion(t, func(name string, raw []byte) {
		props, err := decodeSchema(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, openapi, err := apiservervalidation.NewSchemaValidator(props)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := diffFast(newFastSchema(props), specFastSchema(openapi), ""); diff != "" {
			t.Errorf("%s: %s", name, diff)
		}
	})
}

// TestStructuralBuiltAsAPIServer: the structural schema that build prunes the
// defaults of in place equals the API server's, which prunes a deep copy.
func TestStructuralBuiltAsAPIServer(t *testing.T) {
	for _, set := range crdSets(t) {
		for gk, e := range set.v.crds {
			for name, ver := range e.versions {
				c, err := e.compile(ver)
				if err != nil {
					t.Fatal(err)
				}
				_, raw, _ := e.schemaOf(name)
				props, err := decodeSchema(raw)
				if err != nil {
					t.Fatal(err)
				}
				want, err := structuralschema.NewStructural(props)
				if err != nil {
					t.Fatal(err)
				}
				want = want.DeepCopy()
				if err := structuraldefaulting.PruneDefaults(want); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(c.structural, want) {
					t.Errorf("%s: %s %s: the structural schema differs from the API server's", set.name, gk, name)
				}
			}
		}
	}
}

// forEachVersion calls f with the schema of every CRD version of crdSets.
func forEachVersion(t *testing.T, f func(name string, raw []byte)) {
	t.Helper()
	for _, set := range crdSets(t) {
		n := 0
		for gk, e := range set.v.crds {
			for name := range e.versions {
				_, raw, err := e.schemaOf(name)
				if err != nil {
					t.Fatal(err)
				}
				f(set.name+": "+gk.String()+" "+name, raw)
				n++
			}
		}
		if n < 25 {
			t.Fatalf("%s: only %d versions", set.name, n)
		}
	}
}

// diffFast describes the first difference between two shortcuts; patterns
// compare by their source.
func diffFast(a, b *fastSchema, path string) string {
	if (a == nil) != (b == nil) {
		return path + ": one is nil"
	}
	if a == nil {
		return ""
	}
	for k, sa := range a.properties {
		if d := diffFast(sa, b.properties[k], path+"."+k); d != "" {
			return d
		}
	}
	if len(a.properties) != len(b.properties) {
		return path + ": properties differ"
	}
	if d := diffFast(a.items, b.items, path+"[]"); d != "" {
		return d
	}
	if d := diffFast(a.additional, b.additional, path+".*"); d != "" {
		return d
	}
	for _, l := range [][2][]*fastSchema{{a.anyOf, b.anyOf}, {a.allOf, b.allOf}} {
		if len(l[0]) != len(l[1]) {
			return path + ": anyOf or allOf differ"
		}
		for i := range l[0] {
			if d := diffFast(l[0][i], l[1][i], fmt.Sprintf("%s{%d}", path, i)); d != "" {
				return d
			}
		}
	}
	pattern := func(re *regexp.Regexp) string {
		if re == nil {
			return "<none>"
		}
		return re.String()
	}
	if pattern(a.pattern) != pattern(b.pattern) {
		return path + ": patterns differ"
	}
	ca, cb := *a, *b
	ca.properties, cb.properties = nil, nil
	ca.items, cb.items, ca.additional, cb.additional = nil, nil, nil, nil
	ca.anyOf, cb.anyOf, ca.allOf, cb.allOf = nil, nil, nil, nil
	ca.pattern, cb.pattern = nil, nil
	if !reflect.DeepEqual(ca, cb) {
		return fmt.Sprintf("%s: %+v != %+v", path, ca, cb)
	}
	return ""
}

// specFastSchema is newFastSchema built, as it once was, from the very
// spec.Schema handed to kube-openapi: the reference newFastSchema must match.
func specFastSchema(s *spec.Schema) *fastSchema {
	f := &fastSchema{}
	if s == nil {
		f.unsupported = true
		return f
	}
	if s.Ref.String() != "" || len(s.Dependencies) > 0 ||
		len(s.PatternProperties) > 0 || s.AdditionalItems != nil || s.UniqueItems ||
		s.MultipleOf != nil ||
		(s.Items != nil && (len(s.Items.Schemas) > 0 || s.Items.Schema == nil)) {
		f.unsupported = true
		return f
	}
	f.types = s.Type
	f.nullable = s.Nullable
	f.format = s.Format
	// kube-openapi's typeValidator rejects every non-string value when a
	// format is given without a type; leave that case to it.
	if len(f.types) == 0 && f.format != "" {
		f.unsupported = true
		return f
	}
	f.checkFormat = strfmt.Default.ContainsName(s.Format)
	if len(s.Type) == 1 {
		switch s.Type[0] {
		case "integer":
			f.numType = "integer"
			if s.Format == "int32" || s.Format == "int64" {
				f.numFormat = s.Format
			}
		case "number":
			f.numType = "number"
			if s.Format == "float" || s.Format == "double" {
				f.numFormat = s.Format
			}
		}
	}
	f.enum = s.Enum
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
		f.items = specFastSchema(s.Items.Schema)
	}
	f.minItems, f.maxItems = s.MinItems, s.MaxItems
	if len(s.Properties) > 0 {
		f.properties = make(map[string]*fastSchema, len(s.Properties))
		for name, p := range s.Properties {
			f.properties[name] = specFastSchema(&p)
		}
	}
	if ap := s.AdditionalProperties; ap != nil {
		if !ap.Allows {
			f.noAdditional = true
		} else if ap.Schema != nil {
			f.additional = specFastSchema(ap.Schema)
		}
	}
	f.required = s.Required
	f.minProps, f.maxProps = s.MinProperties, s.MaxProperties
	for i := range s.AnyOf {
		f.anyOf = append(f.anyOf, specFastSchema(&s.AnyOf[i]))
	}
	for i := range s.AllOf {
		f.allOf = append(f.allOf, specFastSchema(&s.AllOf[i]))
	}
	for i := range s.OneOf {
		l := specLogicSchema(&s.OneOf[i])
		if l == nil {
			f.unsupported = true
			return f
		}
		f.oneOf = append(f.oneOf, l)
	}
	if s.Not != nil {
		if f.not = specLogicSchema(s.Not); f.not == nil {
			f.unsupported = true
			return f
		}
	}
	return f
}

// specLogicSchema is newLogicSchema from a spec.Schema.
func specLogicSchema(s *spec.Schema) *logicSchema {
	if s == nil || s.Ref.String() != "" || len(s.Type) > 0 || s.Nullable || s.Format != "" ||
		len(s.Enum) > 0 || s.Pattern != "" || s.MinLength != nil || s.MaxLength != nil ||
		s.Minimum != nil || s.Maximum != nil || s.MultipleOf != nil || s.Items != nil ||
		s.MinItems != nil || s.MaxItems != nil || s.UniqueItems || s.AdditionalItems != nil ||
		len(s.Properties) > 0 || s.AdditionalProperties != nil || len(s.PatternProperties) > 0 ||
		s.MinProperties != nil || s.MaxProperties != nil || len(s.Dependencies) > 0 {
		return nil
	}
	l := &logicSchema{required: s.Required}
	for _, list := range []struct {
		in  []spec.Schema
		out *[]*logicSchema
	}{{s.AnyOf, &l.anyOf}, {s.AllOf, &l.allOf}, {s.OneOf, &l.oneOf}} {
		for i := range list.in {
			sub := specLogicSchema(&list.in[i])
			if sub == nil {
				return nil
			}
			*list.out = append(*list.out, sub)
		}
	}
	if s.Not != nil {
		if l.not = specLogicSchema(s.Not); l.not == nil {
			return nil
		}
	}
	return l
}
