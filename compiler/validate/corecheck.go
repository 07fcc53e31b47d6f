package validate

import (
	"encoding/json"
	"slices"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The checks below are the parts of the API server's registry validation of
// built-in kinds that mlc's objects can get wrong. They are not complete: the
// full rules live in k8s.io/kubernetes, which mlc does not import.

// checkRole validates a namespaced Role's rules.
func checkRole(r *rbacv1.Role) field.ErrorList {
	return checkRules(r.Rules, true, field.NewPath("rules"))
}

// checkClusterRole validates a ClusterRole's rules and aggregation selectors.
func checkClusterRole(r *rbacv1.ClusterRole) field.ErrorList {
	errs := checkRules(r.Rules, false, field.NewPath("rules"))
	if r.AggregationRule != nil {
		p := field.NewPath("aggregationRule", "clusterRoleSelectors")
		if len(r.AggregationRule.ClusterRoleSelectors) == 0 {
			errs = append(errs, field.Required(p, "at least one clusterRoleSelector is required if aggregationRule is set"))
		}
	}
	return errs
}

func checkRules(rules []rbacv1.PolicyRule, namespaced bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, r := range rules {
		rp := p.Index(i)
		if len(r.Verbs) == 0 {
			errs = append(errs, field.Required(rp.Child("verbs"), "verbs must contain at least one value"))
		}
		if len(r.NonResourceURLs) > 0 {
			if namespaced {
				errs = append(errs, field.Invalid(rp.Child("nonResourceURLs"), r.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs"))
			}
			if len(r.APIGroups) > 0 || len(r.Resources) > 0 {
				errs = append(errs, field.Invalid(rp.Child("nonResourceURLs"), r.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"))
			}
			continue
		}
		if len(r.APIGroups) == 0 {
			errs = append(errs, field.Required(rp.Child("apiGroups"), "resource rules must supply at least one api group"))
		}
		if len(r.Resources) == 0 {
			errs = append(errs, field.Required(rp.Child("resources"), "resource rules must supply at least one resource"))
		}
	}
	return errs
}

// checkRoleBinding validates a RoleBinding's roleRef and subjects.
func checkRoleBinding(b *rbacv1.RoleBinding) field.ErrorList {
	errs := checkRoleRef(b.RoleRef, []string{"Role", "ClusterRole"})
	return append(errs, checkSubjects(b.Subjects, true)...)
}

// checkClusterRoleBinding validates a ClusterRoleBinding's roleRef and subjects.
func checkClusterRoleBinding(b *rbacv1.ClusterRoleBinding) field.ErrorList {
	errs := checkRoleRef(b.RoleRef, []string{"ClusterRole"})
	return append(errs, checkSubjects(b.Subjects, false)...)
}

func checkRoleRef(ref rbacv1.RoleRef, kinds []string) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("roleRef")
	if ref.APIGroup != rbacv1.GroupName {
		errs = append(errs, field.NotSupported(p.Child("apiGroup"), ref.APIGroup, []string{rbacv1.GroupName}))
	}
	if !slices.Contains(kinds, ref.Kind) {
		errs = append(errs, field.NotSupported(p.Child("kind"), ref.Kind, kinds))
	}
	if ref.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	} else {
		for _, msg := range path.ValidatePathSegmentName(ref.Name, false) {
			errs = append(errs, field.Invalid(p.Child("name"), ref.Name, msg))
		}
	}
	return errs
}

func checkSubjects(subjects []rbacv1.Subject, namespacedBinding bool) field.ErrorList {
	var errs field.ErrorList
	for i, s := range subjects {
		p := field.NewPath("subjects").Index(i)
		if s.Name == "" {
			errs = append(errs, field.Required(p.Child("name"), ""))
		}
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			if s.Name != "" {
				for _, msg := range apivalidation.ValidateServiceAccountName(s.Name, false) {
					errs = append(errs, field.Invalid(p.Child("name"), s.Name, msg))
				}
			}
			if s.APIGroup != "" {
				errs = append(errs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{""}))
			}
			if !namespacedBinding && s.Namespace == "" {
				errs = append(errs, field.Required(p.Child("namespace"), ""))
			}
		case rbacv1.UserKind, rbacv1.GroupKind:
			if s.APIGroup != rbacv1.GroupName {
				errs = append(errs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{rbacv1.GroupName}))
			}
		default:
			errs = append(errs, field.NotSupported(p.Child("kind"), s.Kind, []string{rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind}))
		}
	}
	return errs
}

// checkPVC validates the parts of a claim's spec that every claim needs.
func checkPVC(c *corev1.PersistentVolumeClaim) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	modes := []string{
		string(corev1.ReadWriteOnce), string(corev1.ReadOnlyMany),
		string(corev1.ReadWriteMany), string(corev1.ReadWriteOncePod),
	}
	if len(c.Spec.AccessModes) == 0 {
		errs = append(errs, field.Required(spec.Child("accessModes"), "at least 1 access mode is required"))
	}
	for _, m := range c.Spec.AccessModes {
		if !slices.Contains(modes, string(m)) {
			errs = append(errs, field.NotSupported(spec.Child("accessModes"), m, modes))
		}
	}
	if slices.Contains(c.Spec.AccessModes, corev1.ReadWriteOncePod) && len(c.Spec.AccessModes) > 1 {
		errs = append(errs, field.Forbidden(spec.Child("accessModes"), "may not use ReadWriteOncePod with other access modes"))
	}
	storage := spec.Child("resources").Key(string(corev1.ResourceStorage))
	if q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; !ok {
		errs = append(errs, field.Required(storage, ""))
	} else if q.Sign() <= 0 {
		errs = append(errs, field.Invalid(storage, q.String(), "must be greater than zero"))
	}
	if m := c.Spec.VolumeMode; m != nil {
		valid := []string{string(corev1.PersistentVolumeBlock), string(corev1.PersistentVolumeFilesystem)}
		if !slices.Contains(valid, string(*m)) {
			errs = append(errs, field.NotSupported(spec.Child("volumeMode"), *m, valid))
		}
	}
	return errs
}

// checkConfigMap validates data keys and the total size.
func checkConfigMap(c *corev1.ConfigMap) field.ErrorList {
	var errs field.ErrorList
	size := 0
	for k, v := range c.Data {
		errs = append(errs, checkDataKey(field.NewPath("data"), k)...)
		size += len(v)
	}
	for k, v := range c.BinaryData {
		errs = append(errs, checkDataKey(field.NewPath("binaryData"), k)...)
		if _, dup := c.Data[k]; dup {
			errs = append(errs, field.Invalid(field.NewPath("binaryData").Key(k), k, "duplicate of key present in data"))
		}
		size += len(v)
	}
	if size > corev1.MaxSecretSize {
		errs = append(errs, field.TooLong(field.NewPath("data"), "", corev1.MaxSecretSize))
	}
	return errs
}

// checkSecret validates data keys, the total size and the keys that the
// well-known secret types require. stringData counts as data, as the API
// server merges it into data before validating.
func checkSecret(s *corev1.Secret) field.ErrorList {
	var errs field.ErrorList
	keys := sets.New[string]()
	size := 0
	for k, v := range s.Data {
		errs = append(errs, checkDataKey(field.NewPath("data"), k)...)
		keys.Insert(k)
		size += len(v)
	}
	for k, v := range s.StringData {
		errs = append(errs, checkDataKey(field.NewPath("stringData"), k)...)
		keys.Insert(k)
		size += len(v)
	}
	if size > corev1.MaxSecretSize {
		errs = append(errs, field.TooLong(field.NewPath("data"), "", corev1.MaxSecretSize))
	}
	data := field.NewPath("data")
	require := func(k string) {
		if !keys.Has(k) {
			errs = append(errs, field.Required(data.Key(k), ""))
		}
	}
	value := func(k string) []byte {
		if v, ok := s.StringData[k]; ok {
			return []byte(v)
		}
		return s.Data[k]
	}
	switch s.Type {
	case corev1.SecretTypeServiceAccountToken:
		if s.Annotations[corev1.ServiceAccountNameKey] == "" {
			errs = append(errs, field.Required(field.NewPath("metadata", "annotations").Key(corev1.ServiceAccountNameKey), ""))
		}
	case corev1.SecretTypeDockercfg, corev1.SecretTypeDockerConfigJson:
		k := corev1.DockerConfigKey
		if s.Type == corev1.SecretTypeDockerConfigJson {
			k = corev1.DockerConfigJsonKey
		}
		require(k)
		if keys.Has(k) && !json.Valid(value(k)) {
			errs = append(errs, field.Invalid(data.Key(k), "<secret contents redacted>", "must be valid JSON"))
		}
	case corev1.SecretTypeBasicAuth:
		if !keys.Has(corev1.BasicAuthUsernameKey) && !keys.Has(corev1.BasicAuthPasswordKey) {
			require(corev1.BasicAuthUsernameKey)
			require(corev1.BasicAuthPasswordKey)
		}
	case corev1.SecretTypeSSHAuth:
		require(corev1.SSHAuthPrivateKey)
	case corev1.SecretTypeTLS:
		require(corev1.TLSCertKey)
		require(corev1.TLSPrivateKeyKey)
	}
	return errs
}

func checkDataKey(p *field.Path, k string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range utilvalidation.IsConfigMapKey(k) {
		errs = append(errs, field.Invalid(p.Key(k), k, msg))
	}
	return errs
}
