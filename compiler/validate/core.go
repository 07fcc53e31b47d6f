package validate

import (
	"encoding/json"
	"reflect"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
)

// coreKind is a built-in kind judged by strict decoding into its k8s.io/api
// type, metadata validation, and the kind-specific checks in corecheck.go.
type coreKind struct {
	namespaced bool
	nameFn     apivalidation.ValidateNameFunc
	hasStatus  bool // status is reset on create
	// decode strictly decodes the object's JSON encoding raw (u's, when raw is
	// nil), as the API server decodes a request body, and runs the kind's own checks.
	decode func(raw []byte, u map[string]any) (meta *metav1.ObjectMeta, checks field.ErrorList, strict []error, err error)
}

// newCore describes a built-in kind whose Go type is T.
func newCore[T any](namespaced bool, nameFn apivalidation.ValidateNameFunc, hasStatus bool, check func(*T) field.ErrorList) *coreKind {
	return &coreKind{
		namespaced: namespaced,
		nameFn:     nameFn,
		hasStatus:  hasStatus,
		decode: func(raw []byte, u map[string]any) (*metav1.ObjectMeta, field.ErrorList, []error, error) {
			if raw == nil {
				var err error
				if raw, err = json.Marshal(u); err != nil {
					return nil, nil, nil, encodeError{err}
				}
			}
			obj := new(T)
			strict, err := kjson.UnmarshalStrict(raw, obj)
			if err != nil {
				return nil, nil, strict, err
			}
			meta := any(obj).(metav1.ObjectMetaAccessor).GetObjectMeta().(*metav1.ObjectMeta)
			var checks field.ErrorList
			if check != nil {
				checks = check(obj)
			}
			return meta, checks, strict, nil
		},
	}
}

// coreKinds lists the supported built-in kinds. Name rules follow the API
// server: DNS subdomain for most kinds, DNS label for Namespace, and any
// URL path segment for RBAC objects. NetworkPolicy is here for tenants' raw objects.
func coreKinds() map[schema.GroupVersionKind]*coreKind {
	sub := apivalidation.NameIsDNSSubdomain
	rbacName := path.ValidatePathSegmentName
	v1 := corev1.SchemeGroupVersion
	rbac := rbacv1.SchemeGroupVersion
	batch := batchv1.SchemeGroupVersion
	return map[schema.GroupVersionKind]*coreKind{
		v1.WithKind("ConfigMap"):                                  newCore(true, sub, false, checkConfigMap),
		v1.WithKind("LimitRange"):                                 newCore[corev1.LimitRange](true, sub, false, nil),
		v1.WithKind("Namespace"):                                  newCore[corev1.Namespace](false, apivalidation.ValidateNamespaceName, true, nil),
		v1.WithKind("PersistentVolumeClaim"):                      newCore(true, sub, true, checkPVC),
		v1.WithKind("ResourceQuota"):                              newCore[corev1.ResourceQuota](true, sub, true, nil),
		v1.WithKind("Secret"):                                     newCore(true, sub, false, checkSecret),
		v1.WithKind("ServiceAccount"):                             newCore[corev1.ServiceAccount](true, sub, false, nil),
		rbac.WithKind("ClusterRole"):                              newCore(false, rbacName, false, checkClusterRole),
		rbac.WithKind("ClusterRoleBinding"):                       newCore(false, rbacName, false, checkClusterRoleBinding),
		rbac.WithKind("Role"):                                     newCore(true, rbacName, false, checkRole),
		rbac.WithKind("RoleBinding"):                              newCore(true, rbacName, false, checkRoleBinding),
		batch.WithKind("CronJob"):                                 newCore(true, sub, true, checkCronJob),
		networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"): newCore(true, sub, false, checkNetworkPolicy),
	}
}

// encodeError is a failure to encode the object as JSON.
type encodeError struct{ err error }

func (e encodeError) Error() string { return e.err.Error() }

// validate judges a built-in object u; raw is its JSON encoding, nil when u
// holds plain values only.
func (k *coreKind) validate(raw []byte, u map[string]any) errorList {
	var errs errorList
	meta, checks, strict, err := k.decode(raw, u)
	if e, ok := err.(encodeError); ok {
		errs.add("", "cannot encode the object as JSON: "+e.err.Error())
		return errs
	}
	for _, se := range strict {
		p := ""
		if fe, ok := se.(kjson.FieldError); ok {
			p = fe.FieldPath()
		}
		switch msg := se.Error(); {
		case strings.HasPrefix(msg, "unknown field"):
			errs.add(p, "unknown field (the API server would drop it)")
		case strings.HasPrefix(msg, "duplicate field"):
			errs.add(p, "duplicate field")
		default:
			errs.add(p, msg)
		}
	}
	if err != nil {
		// Like the API server, stop at a body that does not decode.
		errs.add(decodeErrorPath(err), "Invalid value: "+err.Error())
		return errs
	}
	if k.hasStatus && nonEmpty(u["status"]) {
		errs.add("status", "Forbidden: the API server resets status on create")
	}
	rawMeta, _ := u["metadata"].(map[string]any)
	errs.addField(checkMeta(&errs, rawMeta, meta, k.namespaced, k.nameFn))
	errs.addField(checks)
	return errs
}

// decodeErrorPath digs the JSON field path out of a type-mismatch error from
// the JSON decoder (its Field member, as in encoding/json's
// UnmarshalTypeError); it returns "" when the error carries none.
func decodeErrorPath(err error) string {
	v := reflect.ValueOf(err)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		if f := v.FieldByName("Field"); f.IsValid() && f.Kind() == reflect.String {
			return f.String()
		}
	}
	return ""
}

func nonEmpty(v any) bool {
	if v == nil {
		return false
	}
	if m, ok := v.(map[string]any); ok {
		return len(m) > 0
	}
	return true
}
