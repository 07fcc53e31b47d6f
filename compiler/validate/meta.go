package validate

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	"k8s.io/apimachinery/pkg/api/operation"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/features"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
)

// placeholderNamespace stands in for the namespace mlc sets at apply time
// when a namespaced object has none, so that the namespace is not reported
// as missing.
const placeholderNamespace = "default"

// serverOwnedMeta lists metadata fields the API server sets itself on create.
var serverOwnedMeta = []string{
	"creationTimestamp", "deletionGracePeriodSeconds", "deletionTimestamp",
	"generation", "selfLink", "uid",
}

// verifyMeta, set by tests only, makes checkMeta validate the metadata
// declaratively too, and re-check the name as an URL path segment with all of
// the metadata too, and report whether each gives the same errors.
var verifyMeta func(step string, same bool)

// checkMeta validates metadata as the API server does on create (name,
// generateName, namespace, labels, annotations, owner references,
// finalizers, managed fields), plus mlc's stricter rules: no namespace on a
// cluster-scoped kind, a literal name, and no server-owned fields.
//
// rawMeta is the metadata map as written (nil if absent); meta is its typed
// form. nameFn is the kind's name rule. mlc's own findings go to errs; the
// API server's are returned, as they take part in deciding whether CEL
// rules run.
func checkMeta(errs *errorList, rawMeta map[string]any, meta *metav1.ObjectMeta, namespaced bool, nameFn apivalidation.ValidateNameFunc) field.ErrorList {
	// Only the namespace is changed below, and the checks change nothing.
	copied := *meta
	m := &copied
	switch {
	case !namespaced && m.Namespace != "":
		errs.add("metadata.namespace", fmt.Sprintf("Forbidden: the kind is cluster-scoped; the API server would clear the namespace %q", m.Namespace))
		m.Namespace = ""
	case namespaced && m.Namespace == "":
		m.Namespace = placeholderNamespace
	}
	generatedName := m.Name == "" && m.GenerateName != ""
	if generatedName {
		errs.add("metadata.name", "Required value: mlc applies objects by name; generateName alone is not supported")
	}
	for _, k := range serverOwnedMeta {
		if v, ok := rawMeta[k]; ok && v != nil {
			errs.add("metadata."+k, "Forbidden: set by the API server on create; a declared value would be overwritten")
		}
	}
	if v, ok := rawMeta["resourceVersion"]; ok && v != nil && v != "" {
		errs.add("metadata.resourceVersion", "Forbidden: must not be set on objects to be created")
	}

	fe := validateObjectMeta(m, namespaced, nameFn)
	if len(fe) == 0 {
		// The generic registry re-checks the name as an URL path segment.
		// With fe empty, the checks above found nothing wrong with the fields
		// other than the name and generateName (an error they find is
		// reported, or, when covered by a declarative one, replaced by it),
		// so checking the name and generateName alone is enough.
		names := &metav1.ObjectMeta{Name: m.Name, GenerateName: m.GenerateName, Namespace: m.Namespace}
		fe = apivalidation.ValidateObjectMetaAccessor(names, namespaced, path.ValidatePathSegmentName, field.NewPath("metadata"))
		if verifyMeta != nil {
			full := apivalidation.ValidateObjectMetaAccessor(m, namespaced, path.ValidatePathSegmentName, field.NewPath("metadata"))
			verifyMeta("name", reflect.DeepEqual(fe, full))
		}
	}
	if generatedName {
		// Already reported above, with the reason that applies to mlc.
		fe = slices.DeleteFunc(fe, func(e *field.Error) bool {
			return e.Type == field.ErrorTypeRequired && e.Field == "metadata.name"
		})
	}
	return fe
}

// validateObjectMeta is ValidateObjectMetaDeclaratively for a create. Its
// declarative checks find, on create, nothing but alpha errors, which are not
// enforced and so leave the handwritten ones as they are, unless the metadata
// has owner references or managed fields (whose checks are the declarative
// ones of other types): without those it is ValidateObjectMeta's errors,
// marked as handwritten.
func validateObjectMeta(m *metav1.ObjectMeta, namespaced bool, nameFn apivalidation.ValidateNameFunc) field.ErrorList {
	simple := len(m.OwnerReferences) == 0 && len(m.ManagedFields) == 0
	var fe field.ErrorList
	if simple {
		fe = apivalidation.ValidateObjectMeta(m, namespaced, nameFn, field.NewPath("metadata")).MarkFromImperative()
		if verifyMeta == nil {
			return fe
		}
	}
	beta := utilfeature.DefaultFeatureGate.Enabled(features.DeclarativeValidationBeta)
	full := apivalidation.ValidateObjectMetaDeclaratively(context.Background(), operation.Create, m, nil, namespaced, nameFn, field.NewPath("metadata"), beta)
	if verifyMeta != nil && simple {
		verifyMeta("declarative", reflect.DeepEqual(fe, full))
		return fe
	}
	return full
}
