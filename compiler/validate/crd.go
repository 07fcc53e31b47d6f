package validate

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
)

// crdEntry is one CRD: its kind, scope and versions, read when the validator
// is made, and the schemas of its versions, read and built on first use.
// Validators given byte-identical CRDs share one entry (entryCache), so that
// each schema is built once in the process.
type crdEntry struct {
	key        [32]byte // sha256 of the CRD's bytes as given
	origin     string   // where the CRD comes from, for messages
	gk         schema.GroupKind
	namespaced bool
	versions   map[string]*crdVersion
	// source returns the CRD's JSON encoding.
	source func() ([]byte, error)

	once sync.Once
	raw  map[string]crdFileVersion // by version name
	err  error
}

// crdFileVersion is what validation reads of one element of spec.versions.
type crdFileVersion struct {
	Name   string `json:"name"`
	Served bool   `json:"served"`
	Schema *struct {
		OpenAPIV3Schema json.RawMessage `json:"openAPIV3Schema"`
	} `json:"schema"`
	Subresources *apiextensionsv1.CustomResourceSubresources `json:"subresources"`
}

// crdVersion is one version of a CRD; its validators are built on first use.
type crdVersion struct {
	name   string
	served bool

	once     sync.Once
	compiled *compiledVersion
	err      error
	done     atomic.Bool // once has run
}

// compiledVersion holds what the API server builds per CRD version.
type compiledVersion struct {
	structural *structuralschema.Structural
	// openapi returns the kube-openapi validator, built on first call.
	openapi   func() (apiservervalidation.SchemaValidator, error)
	fast      *fastSchema    // a shortcut for openapi on values it accepts
	walk      *structNode    // shortcuts for the steps that walk structural
	cel       *cel.Validator // nil when the schema has no CEL rules
	hasStatus bool           // the status subresource is enabled
	scale     *apiextensionsv1.CustomResourceSubresourceScale
}

// load reads the versions of the entry's CRD once.
func (e *crdEntry) load() (map[string]crdFileVersion, error) {
	e.once.Do(func() {
		raw, err := e.source()
		if err != nil {
			e.err = fmt.Errorf("%s: %w", e.origin, err)
			return
		}
		var f struct {
			Spec struct {
				Versions []crdFileVersion `json:"versions"`
			} `json:"spec"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			e.err = fmt.Errorf("%s: %w", e.origin, err)
			return
		}
		e.raw = map[string]crdFileVersion{}
		for _, v := range f.Spec.Versions {
			e.raw[v.Name] = v
		}
	})
	return e.raw, e.err
}

// schemaOf returns the openAPIV3Schema of a version of the entry's CRD.
func (e *crdEntry) schemaOf(version string) (crdFileVersion, json.RawMessage, error) {
	versions, err := e.load()
	if err != nil {
		return crdFileVersion{}, nil, err
	}
	fv, ok := versions[version]
	if !ok {
		return fv, nil, fmt.Errorf("version missing from %s", e.origin)
	}
	if fv.Schema == nil || len(fv.Schema.OpenAPIV3Schema) == 0 {
		return fv, nil, fmt.Errorf("%s: version %s has no schema.openAPIV3Schema", e.origin, version)
	}
	return fv, fv.Schema.OpenAPIV3Schema, nil
}

// compile builds the version's validators once, as the API server does when
// it starts serving a CRD version.
func (e *crdEntry) compile(v *crdVersion) (*compiledVersion, error) {
	v.once.Do(func() {
		v.compiled, v.err = e.build(v.name)
		if v.err != nil {
			v.err = fmt.Errorf("schema of %s %s: %w", e.gk, v.name, v.err)
		}
		v.done.Store(true)
	})
	return v.compiled, v.err
}

func (e *crdEntry) build(version string) (*compiledVersion, error) {
	fv, raw, err := e.schemaOf(version)
	if err != nil {
		return nil, err
	}
	props, err := decodeSchema(raw)
	if err != nil {
		return nil, err
	}
	fast := newFastSchema(props)
	s, err := structuralschema.NewStructural(props)
	if err != nil {
		return nil, err
	}
	// The API server refuses a CRD whose schema is not structural; a given
	// one has not been through it.
	if errs := structuralschema.ValidateStructural(nil, s); len(errs) > 0 {
		return nil, fmt.Errorf("not a structural schema: %w", errs.ToAggregate())
	}
	// The API server copies s before pruning its defaults because it keeps
	// props, whose default values s shares. props is dropped here (the
	// kube-openapi validator is built from a schema of its own), so s may be
	// changed in place.
	if err := structuraldefaulting.PruneDefaults(s); err != nil {
		return nil, err
	}
	c := &compiledVersion{
		structural: s,
		fast:       fast,
		walk:       newStructNode(s),
		cel:        cel.NewValidator(s, true, celconfig.PerCallLimit),
	}
	// kube-openapi is needed only for objects that fast does not accept, so
	// its validator is built on first need, from a fresh decoding.
	c.openapi = sync.OnceValues(func() (apiservervalidation.SchemaValidator, error) {
		props, err := decodeSchema(raw)
		if err != nil {
			return nil, err
		}
		sv, _, err := apiservervalidation.NewSchemaValidator(props)
		return sv, err
	})
	if sub := fv.Subresources; sub != nil {
		c.hasStatus = sub.Status != nil
		c.scale = sub.Scale
	}
	return c, nil
}

// decodeSchema decodes a version's openAPIV3Schema into the internal form the
// API server builds its validators from.
func decodeSchema(raw json.RawMessage) (*apiextensions.JSONSchemaProps, error) {
	external := &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{}}
	if err := json.Unmarshal(raw, external.OpenAPIV3Schema); err != nil {
		return nil, err
	}
	internal := &apiextensions.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(external, internal, nil); err != nil {
		return nil, err
	}
	return internal.OpenAPIV3Schema, nil
}

// verifyFast, set by tests only, makes validate run kube-openapi on every
// custom resource and report its errors with fastSchema's verdict.
var verifyFast func(fastOK bool, errs field.ErrorList)

// verifyStep, set by tests only, makes step run every step and report
// whether it changed the object or found something although the schema walk
// said it would not.
var verifyStep func(step string, skipped, acted bool)

// step runs run, one step of the create path on u, unless skip says that it
// would neither change u nor find anything; own is called first. run reports
// whether it found something.
func (c *compiledVersion) step(u map[string]any, own func(), name string, skip bool, run func() (found bool)) {
	if verifyStep == nil {
		if !skip {
			own()
			run()
		}
		return
	}
	own()
	before := runtime.DeepCopyJSONValue(u)
	found := run()
	verifyStep(name, skip, found || !reflect.DeepEqual(before, u))
}

// validate runs the API server's create path for a custom resource on u and
// returns every error found. u's top-level map is private; when shared is
// true, what lies below it may belong to the caller, and is copied before any
// step that would change it.
func (e *crdEntry) validate(version string, u map[string]any, shared bool) errorList {
	var errs errorList
	v := e.versions[version]
	if v == nil {
		errs.add("apiVersion", fmt.Sprintf("Unsupported value: %q: the %s CRD defines versions %s", u["apiVersion"], e.gk, e.versionList()))
		return errs
	}
	if !v.served {
		errs.add("apiVersion", fmt.Sprintf("Unsupported value: %q: version %s of the %s CRD is not served", u["apiVersion"], version, e.gk))
		return errs
	}
	c, err := e.compile(v)
	if err != nil {
		errs.add("", "Internal error: "+err.Error())
		return errs
	}

	statusWritten := nonEmpty(u["status"]) // before defaulting can add one
	// own makes all of u private before a step changes it. (The steps that
	// only set or delete top-level fields need no copy.)
	own := func() {
		if shared {
			for k, v := range u {
				u[k] = runtime.DeepCopyJSONValue(v)
			}
			shared = false
		}
	}

	// Decoding: metadata strictly, then pruning of unknown fields, nulls
	// and unknown fields in embedded objects' metadata.
	meta, _, metaUnknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		errs.add("metadata", "Invalid value: "+err.Error())
		return errs
	}
	errs.unknown(metaUnknown, "drop")
	rawMeta, _ := u["metadata"].(map[string]any)
	// Each step below runs only where the schema walk (structwalk.go) cannot
	// rule out that it would change the object or find an error.
	c.step(u, own, "prune", !c.walk.prunesRoot(u), func() bool {
		pruned := structuralpruning.PruneWithOptions(u, c.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
		errs.unknown(pruned, "prune")
		return len(pruned) > 0
	})
	c.step(u, own, "nulls", !c.walk.dropsNulls(u), func() bool {
		structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u, c.structural)
		return false
	})
	var ferr *field.Error
	c.step(u, own, "coerce", !c.walk.embeddedBelow, func() bool {
		var embeddedUnknown []string
		ferr, embeddedUnknown = schemaobjectmeta.CoerceWithOptions(nil, u, c.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
		errs.unknown(embeddedUnknown, "drop")
		return ferr != nil || len(embeddedUnknown) > 0
	})
	if ferr != nil {
		errs.addField(field.ErrorList{ferr})
		return errs
	}
	if meta == nil {
		meta = &metav1.ObjectMeta{} // reported below as a missing name
	} else if err := schemaobjectmeta.SetObjectMeta(u, meta); err != nil {
		errs.add("metadata", "Invalid value: "+err.Error())
		return errs
	}

	// Defaulting, then PrepareForCreate (status is dropped when the status
	// subresource is enabled).
	c.step(u, own, "default", !c.walk.defaults(u), func() bool {
		structuraldefaulting.Default(u, c.structural)
		return false
	})
	if c.hasStatus {
		if statusWritten {
			errs.add("status", "Forbidden: the status subresource is enabled; the API server drops status on create")
		}
		delete(u, "status")
	}

	// Strategy validation.
	fe := checkMeta(&errs, rawMeta, meta, e.namespaced, apivalidation.NameIsDNSSubdomain)
	if fast := c.fast.ok(u); !fast || verifyFast != nil {
		// Not known to be valid: let kube-openapi judge it and word the errors.
		sv, err := c.openapi()
		if err != nil {
			errs.add("", "Internal error: schema of "+e.gk.String()+" "+version+": "+err.Error())
			return errs
		}
		schemaErrs := apiservervalidation.ValidateCustomResource(nil, u, sv)
		if verifyFast != nil {
			verifyFast(fast, schemaErrs)
		}
		if !fast {
			fe = append(fe, schemaErrs...)
		}
	}
	fe = append(fe, validateScale(u, c.scale)...)
	c.step(u, own, "embedded", !c.walk.embeddedBelow, func() bool {
		found := schemaobjectmeta.Validate(context.Background(), nil, u, c.structural, false)
		fe = append(fe, found...)
		return len(found) > 0
	})
	c.step(u, own, "lists", c.walk.listsOK(u), func() bool {
		found := structurallisttype.ValidateListSetsAndMaps(nil, c.structural, u)
		fe = append(fe, found...)
		return len(found) > 0
	})
	if c.cel != nil {
		if blocking := hasBlockingErr(fe); blocking != nil {
			fe = append(fe, blocking)
		} else {
			celErrs, _ := c.cel.Validate(context.Background(), nil, c.structural, u, nil, celconfig.RuntimeCELCostBudget)
			fe = append(fe, celErrs...)
		}
	}
	errs.addField(fe)
	return errs
}

func (e *crdEntry) versionList() string {
	names := make([]string, 0, len(e.versions))
	for n, v := range e.versions {
		if v.served {
			names = append(names, n)
		} else {
			names = append(names, n+" (not served)")
		}
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// hasBlockingErr reports, as the API server does, that CEL rules were
// skipped because the object is too malformed to evaluate them.
func hasBlockingErr(errs field.ErrorList) *field.Error {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation")
		}
	}
	return nil
}

// validateScale checks the replicas field of the scale subresource.
func validateScale(u map[string]any, scale *apiextensionsv1.CustomResourceSubresourceScale) field.ErrorList {
	if scale == nil {
		return nil
	}
	p := strings.TrimPrefix(scale.SpecReplicasPath, ".")
	replicas, _, err := unstructured.NestedInt64(u, strings.Split(p, ".")...)
	switch {
	case err != nil:
		return field.ErrorList{field.Invalid(field.NewPath(p), replicas, err.Error())}
	case replicas < 0:
		return field.ErrorList{field.Invalid(field.NewPath(p), replicas, "should be a non-negative integer")}
	case replicas > math.MaxInt32:
		return field.ErrorList{field.Invalid(field.NewPath(p), replicas, fmt.Sprintf("should be less than or equal to %v", math.MaxInt32))}
	}
	return nil
}
