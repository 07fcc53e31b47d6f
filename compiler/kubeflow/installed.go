package kubeflow

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/validate"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/kustomize/api/types"
)

// Installed is a cluster's Kubeflow, built: its units in the order they apply, each
// with its objects and the units it needs.
type Installed struct {
	Release string
	Units   []BuiltUnit
	// DecryptionSecret is the Secret Flux decrypts the units' Passthrough Secrets with.
	DecryptionSecret string
	// providers index what the units provide, for Needs.
	providers *providers
	// crdSum is the SHA-256 of the install's CRDs: tenants are validated against them.
	crdSum string
	// fromPlatform are the files of the objects the platform adds to the release (its
	// runtimes), by "<kind>/<name>".
	fromPlatform map[string]string
	// images are the images the units run, as the release (and kustomize's images
	// settings) write them, sorted.
	images []string
}

// BuiltUnit is one unit of an install, built.
type BuiltUnit struct {
	Name    string
	Objects []map[string]any
	// Needs are the units to apply, and be ready, first.
	Needs []string
	// Passthrough are the encrypted Secrets that replace upstream's default credentials.
	Passthrough []Passthrough
	// Files are the files its build read.
	Files []FileSum
}

// Build builds every unit of the plan, checks what they hold, and orders them.
func (p *Plan) Build() (*Installed, error) {
	built := make([]*Built, len(p.Parts))
	for i, part := range p.Parts {
		b, err := Build(p.Source, part)
		if err != nil {
			return nil, err
		}
		built[i] = b
	}
	from, err := addRuntimes(built, p.Runtimes)
	if err != nil {
		return nil, err
	}
	in, err := p.assemble(built)
	if err != nil {
		return nil, err
	}
	in.fromPlatform = from
	return in, nil
}

// assemble checks and orders built units.
func (p *Plan) assemble(built []*Built) (*Installed, error) {
	in := &Installed{Release: p.Release.Version, DecryptionSecret: p.DecryptionSecret, providers: newProviders()}
	var problems []error
	used := map[string]bool{}
	passthrough := map[string][]Passthrough{}
	for _, b := range built {
		keepAggregatedRules(b.Objects)
		for _, o := range b.Objects {
			for _, c := range images(o) {
				in.images = append(in.images, c["image"].(string))
			}
		}
		qualifyImages(b.Objects)
		pass, errs := replaceSecrets(b, p.Secrets, used)
		passthrough[b.Name] = pass
		problems = append(problems, errs...)
		problems = append(problems, checkImages(b.Name, b.Objects)...)
		if err := in.providers.add(b.Name, b.Objects); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", b.Name, err))
		}
	}
	for _, key := range slices.Sorted(maps.Keys(p.Secrets)) {
		if !used[key] {
			problems = append(problems, fmt.Errorf("kubeflow.secrets: %q: no Secret of the install holds default credentials under that name", key))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	built = in.providers.splitGated(built)
	names := make([]string, len(built))
	needs := map[string][]string{}
	byName := map[string]*Built{}
	for i, b := range built {
		names[i] = b.Name
		byName[b.Name] = b
		needs[b.Name] = in.providers.needs(b.Name, b.Objects)
	}
	ordered, err := order(names, needs)
	if err != nil {
		return nil, err
	}
	crdSum := sha256.New()
	for _, n := range ordered {
		for _, o := range byName[n].Objects {
			if o["kind"] == "CustomResourceDefinition" {
				b, err := json.Marshal(o)
				if err != nil {
					return nil, err
				}
				crdSum.Write(b)
			}
		}
	}
	in.crdSum = hex.EncodeToString(crdSum.Sum(nil))
	in.images = sortedUnique(in.images)
	for _, n := range ordered {
		b := byName[n]
		in.Units = append(in.Units, BuiltUnit{Name: n, Objects: b.Objects, Needs: needs[n], Passthrough: passthrough[n], Files: b.Files})
	}
	return in, nil
}

// keepAggregatedRules drops the rules of aggregated ClusterRoles: Kubernetes fills them
// from the roles that aggregate in, and Flux, applying the empty list it was given,
// would take them away again at each reconciliation (fluxcd/flux2#2472).
func keepAggregatedRules(objs []map[string]any) {
	for _, o := range objs {
		if o["kind"] == "ClusterRole" && o["aggregationRule"] != nil {
			delete(o, "rules")
		}
	}
}

// checkImages refuses an image that cannot be pulled as written: a placeholder, or one
// with no registry, tag or digest.
func checkImages(unit string, objs []map[string]any) []error {
	var errs []error
	for _, o := range objs {
		for _, c := range images(o) {
			img := c["image"].(string)
			if why := unpullable(img); why != "" {
				errs = append(errs, fmt.Errorf("kubeflow.images: %s: %s %s: image %q %s: set kubeflow: images: %q",
					unit, o["kind"], qualified(o), img, why, imageName(img)))
			}
		}
	}
	return errs
}

// qualifyImages writes Docker Hub's short names in full (mysql:8.4 is
// docker.io/library/mysql:8.4): the same image, which a runtime that refuses short
// names pulls too.
func qualifyImages(objs []map[string]any) {
	for _, o := range objs {
		for _, c := range images(o) {
			c["image"] = qualifiedImage(c["image"].(string))
		}
	}
}

func qualified(o map[string]any) string {
	if ns := meta(o, "namespace"); ns != "" {
		return ns + "/" + meta(o, "name")
	}
	return meta(o, "name")
}

// images returns the containers of a workload's pod template, whose "image" fields
// callers read and set.
func images(o map[string]any) []map[string]any {
	spec := dig(o, "spec", "template", "spec")
	if o["kind"] == "CronJob" {
		spec = dig(o, "spec", "jobTemplate", "spec", "template", "spec")
	}
	var out []map[string]any
	for _, field := range []string{"initContainers", "containers"} {
		list, _ := dig(spec, field).([]any)
		for _, c := range list {
			if m, ok := c.(map[string]any); ok {
				if _, ok := m["image"].(string); ok {
					out = append(out, m)
				}
			}
		}
	}
	return out
}

// qualifiedImage is an image reference with Docker Hub's registry written out.
func qualifiedImage(img string) string {
	first, _, hasSlash := strings.Cut(img, "/")
	switch {
	case !hasSlash:
		return "docker.io/library/" + img
	case !strings.ContainsAny(first, ".:") && first != "localhost":
		return "docker.io/" + img
	}
	return img
}

// unpullable says why an image reference cannot be pulled as written, or "".
func unpullable(img string) string {
	name, digest, hasDigest := strings.Cut(img, "@")
	tag := ""
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	host, _, hasHost := strings.Cut(name, "/")
	switch {
	case !hasHost || !strings.ContainsAny(host, ".:") && host != "localhost":
		return "names no registry"
	case host == "domain.local" || strings.HasSuffix(host, ".local"):
		return "is a placeholder"
	case hasDigest && !strings.HasPrefix(digest, "sha256:"):
		return "has a malformed digest"
	case !hasDigest && (tag == "" || tag == "latest"):
		return "names no tag or digest"
	case slices.Contains([]string{"dummy", "local", "placeholder"}, tag):
		return "is a placeholder"
	}
	return ""
}

// Runs tells whether an image setting took effect: whether the install runs an image of
// the name, tag and digest it sets. kustomize passes over a setting whose name no
// container has (a misspelt one) without a word.
func (in *Installed) Runs(setting types.Image) bool {
	name := setting.NewName
	if name == "" {
		name = setting.Name
	}
	name = qualifiedImage(name)
	for _, img := range in.images {
		rest, digest, _ := strings.Cut(img, "@")
		tag := ""
		if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
			rest, tag = rest[:i], rest[i+1:]
		}
		if qualifiedImage(rest) == name && (setting.NewTag == "" || setting.Digest != "" || tag == setting.NewTag) && (setting.Digest == "" || digest == setting.Digest) {
			return true
		}
	}
	return false
}

// ImagesLike returns the names of the install's images a few letters away from name,
// or of its last path element, for a message about a misspelt setting.
func (in *Installed) ImagesLike(name string) []string {
	name = qualifiedImage(imageName(name))
	var out []string
	for _, img := range in.images {
		if n := imageName(img); path.Base(n) == path.Base(name) || editDistance(qualifiedImage(n), name) <= 3 {
			out = append(out, n)
		}
	}
	return sortedUnique(out)
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// imageName is an image reference without its tag or digest.
func imageName(img string) string {
	name, _, _ := strings.Cut(img, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name = name[:i]
	}
	return name
}

// credentialKeys returns the keys of a Secret that hold a value: a Secret an upstream
// install ships with values is a default credential, the same on every install. Secrets
// its controllers fill at run time (webhook certificates) ship empty.
func credentialKeys(o map[string]any) []string {
	var keys []string
	for _, field := range []string{"data", "stringData"} {
		m, _ := o[field].(map[string]any)
		for k, v := range m {
			if s, _ := v.(string); s != "" {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// TenantNeeds returns the units a tenant's workloads need (sorted): those that provide
// the CRDs of their kinds, and the webhooks that intercept them.
func (in *Installed) TenantNeeds(objs []map[string]any) []string {
	return in.providers.withGated(in.providers.needs("", objs))
}

// PlatformNeeds returns the units the platform's own objects (tenants' namespaces,
// profiles and access) need: Kubeflow's roles and profiles, and Istio.
func (in *Installed) PlatformNeeds() []string {
	var out []string
	for _, unit := range []string{
		in.providers.clusterRole["kubeflow-edit"],
		in.providers.crd[schema.GroupKind{Group: "kubeflow.org", Kind: "Profile"}],
		in.providers.crd[schema.GroupKind{Group: "security.istio.io", Kind: "AuthorizationPolicy"}],
	} {
		if unit != "" {
			out = append(out, unit)
		}
	}
	return sortedUnique(out)
}

// Digest sums what tenants compile against: which unit provides each kind and
// intercepts which resources. A tenant's output depends on it through its Flux
// dependencies.
func (in *Installed) Digest() string {
	var lines []string
	for gk, u := range in.providers.crd {
		lines = append(lines, "crd "+gk.String()+" "+u)
	}
	for _, w := range in.providers.webhooks {
		lines = append(lines, fmt.Sprintf("webhook %s %v %v %v", w.unit, w.rules, w.namespaceSelector, w.objectSelector))
	}
	for u, g := range in.providers.gated {
		lines = append(lines, "gated "+u+" "+g)
	}
	slices.Sort(lines)
	lines = append(lines, "crds "+in.crdSum)
	return strings.Join(lines, "\n")
}

// CheckWorkload says what in a tenant's object the install cannot run, or "": a TrainJob
// whose ClusterTrainingRuntime the cluster does not install, an InferenceService whose
// model format no installed ClusterServingRuntime serves (one naming its own runtime is
// the tenant's to answer for).
func (in *Installed) CheckWorkload(o map[string]any) string {
	p := in.providers
	gk := groupKind(o)
	if _, ok := p.crd[gk]; !ok && !builtinGroup(gk.Group) {
		return fmt.Sprintf("Kubeflow %s, as this cluster installs it, has no %s (%s): turn on the component that provides it in kubeflow.components", in.Release, gk.Kind, gk.Group)
	}
	switch gk {
	case schema.GroupKind{Group: "trainer.kubeflow.org", Kind: "TrainJob"}:
		if kind, _ := dig(o, "spec", "runtimeRef", "kind").(string); kind != "" && kind != "ClusterTrainingRuntime" {
			return ""
		}
		name, _ := dig(o, "spec", "runtimeRef", "name").(string)
		if !slices.Contains(p.trainingRuntimes, name) {
			return fmt.Sprintf("Kubeflow %s installs no training runtime %q (it installs %s)", in.Release, name, list(p.trainingRuntimes))
		}
	case schema.GroupKind{Group: "serving.kserve.io", Kind: "InferenceService"}:
		model, _ := dig(o, "spec", "predictor", "model").(map[string]any)
		format, _ := dig(model, "modelFormat", "name").(string)
		runtime, _ := model["runtime"].(string)
		if model == nil || format == "" {
			return ""
		}
		if runtime != "" {
			// A runtime of upstream's name must be installed; another is the tenant's own.
			if _, ok := p.servingRuntimes[runtime]; ok || !strings.HasPrefix(runtime, "kserve-") {
				return ""
			}
			return fmt.Sprintf("Kubeflow %s installs no serving runtime %q", in.Release, runtime)
		}
		for _, formats := range p.servingRuntimes {
			if slices.Contains(formats, format) {
				return ""
			}
		}
		return fmt.Sprintf("Kubeflow %s installs no serving runtime that serves %s models", in.Release, format)
	}
	return ""
}

func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	s := slices.Sorted(slices.Values(names))
	return strings.Join(s, ", ")
}

// HasSpecField tells whether the install's CRD of a kind has a field in its spec.
func (in *Installed) HasSpecField(gk schema.GroupKind, field string) bool {
	return slices.Contains(in.providers.specFields[gk], field)
}

// TrainJobKind is Kubeflow Trainer's TrainJob.
var TrainJobKind = schema.GroupKind{Group: "trainer.kubeflow.org", Kind: "TrainJob"}

// PipelineKind is Kubeflow Pipelines' Pipeline, which its Kubernetes-native mode serves.
var PipelineKind = schema.GroupKind{Group: "pipelines.kubeflow.org", Kind: "Pipeline"}

// Provides tells whether the install's CRDs define a kind.
func (in *Installed) Provides(gk schema.GroupKind) bool {
	_, ok := in.providers.crd[gk]
	return ok
}

// Validate validates every object of the install as the API server would, the custom
// resources against the CRDs of the same install (which vd holds), after dropping the
// namespace of cluster-scoped objects: kustomize's namespace field sets one on
// cluster-scoped kinds it does not know (a CRD's), and the API server drops it.
func (in *Installed) Validate(vd *validate.Validator) error {
	var errs []error
	for _, u := range in.Units {
		kinds := make([]schema.GroupVersionKind, len(u.Objects))
		for i, o := range u.Objects {
			av, _ := o["apiVersion"].(string)
			k, _ := o["kind"].(string)
			kinds[i] = schema.FromAPIVersionAndKind(av, k)
		}
		vd.Prepare(kinds)
		for i, o := range u.Objects {
			av, kind := kinds[i].GroupVersion().String(), kinds[i].Kind
			if namespaced, known := vd.Namespaced(av, kind); known && !namespaced {
				if md, _ := o["metadata"].(map[string]any); md != nil {
					delete(md, "namespace")
				}
			}
			if !vd.Known(av, kind) {
				if !builtinGroup(kinds[i].Group) {
					errs = append(errs, fmt.Errorf("%s: %s %s: no CRD of the install defines %s: turn on the component that does", u.Name, kind, qualified(o), kinds[i].GroupKind()))
				}
				continue // a built-in kind mlc has no schema of: the API server checks it
			}
			prefix := u.Name
			if file, ok := in.fromPlatform[kind+"/"+meta(o, "name")]; ok {
				prefix = "kubeflow.runtimes: " + file
			}
			for _, fe := range vd.Validate(o) {
				errs = append(errs, fmt.Errorf("%s: %s %s would be rejected by the API server: %s: %s", prefix, kind, qualified(o), fe.Path, fe.Message))
			}
		}
	}
	return errors.Join(errs...)
}

// builtinGroup tells whether an API group is Kubernetes' own.
func builtinGroup(group string) bool {
	return group == "" || !strings.Contains(group, ".") || strings.HasSuffix(group, ".k8s.io")
}
