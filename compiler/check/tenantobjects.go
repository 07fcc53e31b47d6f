package check

import (
	"encoding/base64"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// The shapes of the clouds' identities, as their webhooks and IAM services take them.
var (
	// An IAM role ARN: arn:<partition>:iam::<12-digit account>:role/<path/>name.
	roleARNPattern = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-[a-z])?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)
	// A Google service account: NAME@PROJECT.iam.gserviceaccount.com.
	gcpServiceAccountPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9.:-]{4,61}[a-z0-9]\.iam\.gserviceaccount\.com$`)
	uuidPattern              = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// providedAccounts are the service accounts every profile namespace has: Kubernetes'
// default and those Kubeflow's profile controller creates, and the reconciler mlc's
// Flux wiring applies the tenant's artifact as. by says who makes each.
var providedAccounts = map[string]string{
	"default":            "Kubernetes",
	"default-editor":     "Kubeflow's profile controller",
	"default-viewer":     "Kubeflow's profile controller",
	names.ReconcilerName: "mlc (the tenant's Flux reconciler, which no workload may run as)",
}

// identityDomains are the annotation domains the clouds' workload identity webhooks read
// on a service account: a tenant sets them only through the identity fields, which the
// platform's policy checks.
var identityDomains = []string{"eks.amazonaws.com", "iam.gke.io", "azure.workload.identity"}

// providedConfigMaps are the ConfigMaps Kubernetes and Istio keep in every namespace.
var providedConfigMaps = map[string]string{
	"kube-root-ca.crt":   "Kubernetes",
	"istio-ca-root-cert": "Istio",
}

// maxConfigMapBytes is the most a ConfigMap may hold, as the API server counts it.
const maxConfigMapBytes = 1 << 20

// tenantObjects checks the tenant's service accounts, volumes and ConfigMaps, the
// workloads' references to them, and charges the volumes to the quota.
func (r *reporter) tenantObjects(p *model.Platform, d *model.Declarations, q *quota) {
	tenant := d.Tenant.Name
	for _, declared := range slices.Sorted(maps.Keys(d.ServiceAccounts)) {
		r.serviceAccount(p, tenant, declared, d.ServiceAccounts[declared])
	}
	r.uniqueNames("serviceAccounts", slices.Collect(maps.Keys(d.ServiceAccounts)))
	for _, declared := range slices.Sorted(maps.Keys(d.Volumes)) {
		r.volume(declared, d.Volumes[declared], q)
	}
	r.uniqueNames("volumes", slices.Collect(maps.Keys(d.Volumes)))
	for _, declared := range slices.Sorted(maps.Keys(d.ConfigMaps)) {
		r.configMap(declared, d.ConfigMaps[declared])
	}
	r.configMapCount(d)
	r.accountRefs(p, d)
	r.volumeUses(p, d)
}

// serviceAccount checks a service account: its name, at most one cloud identity, of
// its cloud's shape and allowed by the platform's policy.
func (r *reporter) serviceAccount(p *model.Platform, tenant, declared string, sa model.ServiceAccount) {
	path := model.Path("serviceAccounts", declared)
	name := model.NormalizeName(declared)
	r.dnsLabel(path, name, "service account name", 63)
	if by, ok := providedAccounts[name]; ok {
		r.errorf(path, "%s makes service account %s in every profile namespace: name yours otherwise", by, name)
	} else if slices.Contains(p.Defaults.ServiceAccounts, name) {
		r.errorf(path, "the platform provides service account %s in every tenant namespace (defaults.serviceAccounts): name yours otherwise", name)
	}
	ids := sa.Identities()
	if len(ids) > 1 {
		r.errorf(path+"."+ids[1].Cloud, "a service account takes one cloud identity, and this one has %s and %s: declare an account for each", ids[0].Cloud, ids[1].Cloud)
		return
	}
	for _, id := range ids {
		r.identity(p, tenant, path+"."+id.Field, id)
	}
	if sa.Azure != nil && sa.Azure.TenantID != "" && !uuidPattern.MatchString(sa.Azure.TenantID) {
		r.errorf(path+".azure.tenantId", "%q is not a Microsoft Entra tenant ID: a UUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47", sa.Azure.TenantID)
	}
	r.labels(path+".labels", sa.Labels)
	r.annotations(path+".annotations", sa.Annotations)
	for _, k := range slices.Sorted(maps.Keys(sa.Annotations)) {
		if domain, _, ok := strings.Cut(k, "/"); ok && slices.Contains(identityDomains, domain) {
			r.errorf(path+"."+model.Path("annotations", k), "%s is a cloud identity's annotation: declare the identity with aws, gcp or azure, where the platform's policy.workloadIdentity checks it", k)
		}
	}
	for i, s := range sa.ImagePullSecrets {
		r.dnsLabel(fmt.Sprintf("%s.imagePullSecrets[%d]", path, i), s, "secret name", 63)
	}
}

// identity checks a cloud identity's shape and that the platform allows it.
func (r *reporter) identity(p *model.Platform, tenant, path string, id model.Identity) {
	switch id.Cloud {
	case "aws":
		if !roleARNPattern.MatchString(id.Value) {
			r.errorf(path, "%q is not an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>", id.Value)
			return
		}
	case "gcp":
		if !gcpServiceAccountPattern.MatchString(id.Value) {
			r.errorf(path, "%q is not a Google service account's email: NAME@PROJECT.iam.gserviceaccount.com", id.Value)
			return
		}
	case "azure":
		if !uuidPattern.MatchString(id.Value) {
			r.errorf(path, "%q is not a client ID: the UUID of a managed identity or application, such as 00000000-0000-0000-0000-000000000000", id.Value)
			return
		}
	}
	policy := p.Policy.WorkloadIdentity
	if policy.Allows(id.Cloud, tenant, id.Value) {
		return
	}
	field := "policy.workloadIdentity." + id.Cloud
	if len(policy.Patterns(id.Cloud)) == 0 {
		r.errorf(path, "the platform allows tenants no %s identity (%s is empty): any pod of the namespace could act as %s; ask the platform's owners to allow it", id.Cloud, field, id.Value)
		return
	}
	r.errorf(path, "the platform does not allow tenant %s the identity %s (%s allows %s): any pod of the namespace could act as it",
		tenant, id.Value, field, strings.Join(policy.Patterns(id.Cloud), ", "))
}

// volume checks a volume's name, size and data source, and charges it to the quota.
func (r *reporter) volume(declared string, v model.Volume, q *quota) {
	path := model.Path("volumes", declared)
	name := model.NormalizeName(declared)
	r.dnsLabel(path, name, "volume name", 63)
	r.labels(path+".labels", v.Labels)
	r.annotations(path+".annotations", v.Annotations)
	u := usage{claims: 1}
	if size, ok := r.quantity(path+".size", v.Size); ok {
		u.storage = size
	}
	r.charge(q, charged{what: "volume", label: "volume " + declared, u: u, at: func(field string) string {
		if field == "storage" {
			return path + ".size"
		}
		return path
	}})
	if ds := v.DataSource; ds != nil {
		switch {
		case (ds.Snapshot == "") == (ds.Claim == ""):
			r.errorf(path+".dataSource", "set one of snapshot (a VolumeSnapshot) or claim (another claim) to fill the volume from")
		case ds.Claim == name:
			r.errorf(path+".dataSource.claim", "a volume cannot be filled from itself")
		}
	}
}

// configMap checks a ConfigMap as the API server would: its name, its keys, base64 in
// binaryData and its size.
func (r *reporter) configMap(declared string, c model.ConfigMap) {
	path := model.Path("configMaps", declared)
	// Env and volumes name a ConfigMap as Kubernetes does: its name is the declared one.
	name := declared
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		r.errorf(path, "ConfigMap name %q is not valid: %s", name, strings.Join(errs, "; "))
	}
	if by, ok := providedConfigMaps[name]; ok {
		r.errorf(path, "%s keeps ConfigMap %s in every namespace: name yours otherwise", by, name)
	}
	r.labels(path+".labels", c.Labels)
	r.annotations(path+".annotations", c.Annotations)
	size := 0
	for _, key := range slices.Sorted(maps.Keys(c.Data)) {
		if errs := validation.IsConfigMapKey(key); len(errs) > 0 {
			r.errorf(path+"."+model.Path("data", key), "%q is not a valid ConfigMap key: %s", key, strings.Join(errs, "; "))
		}
		size += len(key) + len(c.Data[key])
	}
	for _, key := range slices.Sorted(maps.Keys(c.BinaryData)) {
		kpath := path + "." + model.Path("binaryData", key)
		if errs := validation.IsConfigMapKey(key); len(errs) > 0 {
			r.errorf(kpath, "%q is not a valid ConfigMap key: %s", key, strings.Join(errs, "; "))
		}
		if _, dup := c.Data[key]; dup {
			r.errorf(kpath, "%s is also a key of data: a key holds one value", key)
		}
		b, err := base64.StdEncoding.DecodeString(c.BinaryData[key])
		if err != nil {
			r.errorf(kpath, "binaryData values are base64-encoded, and this one is not: %v", err)
		}
		size += len(key) + len(b)
	}
	if size > maxConfigMapBytes {
		r.errorf(path, "holds %d bytes; a ConfigMap holds at most 1 MiB", size)
	}
}

// configMapCount reports declared ConfigMaps that, with those Kubernetes and Istio
// keep in every namespace, exceed the quota's count of ConfigMaps.
func (r *reporter) configMapCount(d *model.Declarations) {
	q := d.Tenant.Quota
	if q == nil || q.ConfigMaps == nil || *q.ConfigMaps <= 0 || len(d.ConfigMaps) == 0 {
		return
	}
	if n := int64(len(d.ConfigMaps) + len(providedConfigMaps)); n > *q.ConfigMaps {
		r.errorf("tenant.quota.configMaps", "the tenant declares %d ConfigMaps, and Kubernetes and Istio keep %d in every namespace (%s): %d in all, more than its quota of %d",
			len(d.ConfigMaps), len(providedConfigMaps), strings.Join(slices.Sorted(maps.Keys(providedConfigMaps)), ", "), n, *q.ConfigMaps)
	}
}

// accountRef is where a workload names the service account it runs as.
type accountRef struct{ path, name string }

// accountRefs checks that every service account a workload names is one the tenant
// declares or one every namespace has.
func (r *reporter) accountRefs(p *model.Platform, d *model.Declarations) {
	known := map[string]bool{}
	for declared := range d.ServiceAccounts {
		known[model.NormalizeName(declared)] = true
	}
	for _, name := range providedNames(p) {
		known[name] = true
	}
	for _, ref := range accountRefsOf(d) {
		if ref.name == "" || known[ref.name] {
			continue
		}
		if ref.name == names.ReconcilerName {
			r.errorf(ref.path, "%s is the tenant's Flux reconciler, which may apply the tenant's objects: no workload may run as it", ref.name)
			continue
		}
		r.errorf(ref.path, "no service account %q: declare it in serviceAccounts, or name one every namespace has (%s)", ref.name, strings.Join(providedNames(p), ", "))
	}
}

// providedNames are the service accounts a workload may name without declaring them.
func providedNames(p *model.Platform) []string {
	out := []string{"default", "default-editor", "default-viewer"}
	return append(out, p.Defaults.ServiceAccounts...)
}

// accountRefsOf lists the service accounts the tenant's workloads name, in a fixed order.
func accountRefsOf(d *model.Declarations) []accountRef {
	var out []accountRef
	for _, k := range slices.Sorted(maps.Keys(d.Notebooks)) {
		out = append(out, accountRef{model.Path("notebooks", k, "serviceAccount"), d.Notebooks[k].ServiceAccount})
	}
	for _, k := range slices.Sorted(maps.Keys(d.PodDefaults)) {
		out = append(out, accountRef{model.Path("podDefaults", k, "serviceAccountName"), d.PodDefaults[k].ServiceAccountName})
	}
	for _, k := range slices.Sorted(maps.Keys(d.Training)) {
		out = append(out, accountRef{model.Path("trainingJobs", k, "serviceAccount"), d.Training[k].ServiceAccount})
	}
	for _, k := range slices.Sorted(maps.Keys(d.Experiments)) {
		out = append(out, accountRef{model.Path("experiments", k, "trial", "serviceAccount"), d.Experiments[k].Trial.ServiceAccount})
	}
	for _, k := range slices.Sorted(maps.Keys(d.Serving)) {
		out = append(out, accountRef{model.Path("servingEndpoints", k, "serviceAccount"), d.Serving[k].ServiceAccount})
	}
	for _, k := range slices.Sorted(maps.Keys(d.Pipelines)) {
		if s := d.Pipelines[k].Schedule; s != nil {
			out = append(out, accountRef{model.Path("pipelines", k, "schedule", "serviceAccount"), s.ServiceAccount})
		}
	}
	return out
}
