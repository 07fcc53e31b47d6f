package kubeflow

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	apimeta "k8s.io/apimachinery/pkg/api/meta"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/json"
)

// providers index what the units of an install provide that objects depend on, so that
// each unit can be applied after the units it needs: the CRDs of the custom resources
// it holds, the namespaces its objects live in, the cluster roles and issuers it names,
// and the admission webhooks that would intercept its objects (or the pods its
// workloads make), which must be serving before those objects are applied.
type providers struct {
	crd         map[schema.GroupKind]string
	plural      map[schema.GroupKind]string
	namespace   map[string]string
	nsLabels    map[string]map[string]string
	clusterRole map[string]string
	issuer      map[string]string // "ClusterIssuer/<name>" or "Issuer/<ns>/<name>"
	webhooks    []webhook
	// trainingRuntimes are the names of the ClusterTrainingRuntimes; servingRuntimes the
	// model formats each ClusterServingRuntime selects itself for.
	trainingRuntimes []string
	servingRuntimes  map[string][]string
	// specFields are, by kind a CRD defines, the fields of its spec (in its storage
	// version's schema).
	specFields map[schema.GroupKind][]string
	// gated are, by unit, the unit made of its custom resources that its own webhooks
	// intercept (see gatedResources).
	gated map[string]string
}

// webhook is one webhook of a Mutating or ValidatingWebhookConfiguration.
type webhook struct {
	unit  string
	rules []webhookRule
	// failOpen is set for failurePolicy Ignore: an object it cannot reach is admitted.
	failOpen          bool
	namespaceSelector labels.Selector
	objectSelector    labels.Selector
	// rawNamespace and rawObject are the selectors as written, for Summary.
	rawNamespace, rawObject *metav1.LabelSelector
}

type webhookRule struct {
	APIGroups  []string `json:"apiGroups"`
	Resources  []string `json:"resources"`
	Operations []string `json:"operations"`
}

func newProviders() *providers {
	return &providers{
		crd: map[schema.GroupKind]string{}, plural: map[schema.GroupKind]string{},
		namespace: map[string]string{}, nsLabels: map[string]map[string]string{},
		clusterRole: map[string]string{}, issuer: map[string]string{}, servingRuntimes: map[string][]string{},
		specFields: map[schema.GroupKind][]string{}, gated: map[string]string{},
	}
}

// add indexes what a unit's objects provide.
func (p *providers) add(unit string, objs []map[string]any) error {
	for _, o := range objs {
		kind, _ := o["kind"].(string)
		name, ns := meta(o, "name"), meta(o, "namespace")
		switch kind {
		case "CustomResourceDefinition":
			group, _ := dig(o, "spec", "group").(string)
			k, _ := dig(o, "spec", "names", "kind").(string)
			pl, _ := dig(o, "spec", "names", "plural").(string)
			gk := schema.GroupKind{Group: group, Kind: k}
			p.crd[gk], p.plural[gk] = unit, pl
			p.specFields[gk] = storageSpecFields(o)
		case "Namespace":
			p.namespace[name] = unit
			p.nsLabels[name] = stringMap(dig(o, "metadata", "labels"))
		case "ClusterRole":
			p.clusterRole[name] = unit
		case "ClusterTrainingRuntime":
			p.trainingRuntimes = append(p.trainingRuntimes, name)
		case "ClusterServingRuntime":
			p.servingRuntimes[name] = autoSelectedFormats(o)
		case "ClusterIssuer":
			p.issuer["ClusterIssuer/"+name] = unit
		case "Issuer":
			p.issuer["Issuer/"+ns+"/"+name] = unit
		case "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration":
			hooks, _ := o["webhooks"].([]any)
			for _, h := range hooks {
				w, err := parseWebhook(unit, h)
				if err != nil {
					return fmt.Errorf("%s %s: %w", kind, name, err)
				}
				p.webhooks = append(p.webhooks, w)
			}
		}
	}
	return nil
}

func parseWebhook(unit string, h any) (webhook, error) {
	var raw struct {
		FailurePolicy     string                `json:"failurePolicy"`
		Rules             []webhookRule         `json:"rules"`
		NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector"`
		ObjectSelector    *metav1.LabelSelector `json:"objectSelector"`
	}
	b, err := json.Marshal(h)
	if err == nil {
		err = json.Unmarshal(b, &raw)
	}
	if err != nil {
		return webhook{}, err
	}
	w, err := newWebhook(unit, raw.Rules, raw.NamespaceSelector, raw.ObjectSelector)
	w.failOpen = raw.FailurePolicy == "Ignore"
	return w, err
}

// newWebhook makes a webhook of its rules and selectors (nil selects everything).
func newWebhook(unit string, rules []webhookRule, namespace, object *metav1.LabelSelector) (webhook, error) {
	w := webhook{unit: unit, rules: rules, namespaceSelector: labels.Everything(), objectSelector: labels.Everything(),
		rawNamespace: namespace, rawObject: object}
	var err error
	if namespace != nil {
		if w.namespaceSelector, err = metav1.LabelSelectorAsSelector(namespace); err != nil {
			return webhook{}, err
		}
	}
	if object != nil {
		if w.objectSelector, err = metav1.LabelSelectorAsSelector(object); err != nil {
			return webhook{}, err
		}
	}
	return w, nil
}

// needs returns the units the objects need, but unit itself, sorted.
func (p *providers) needs(unit string, objs []map[string]any) []string {
	set := map[string]bool{}
	need := func(u string) {
		if u != "" && u != unit {
			set[u] = true
		}
	}
	for _, o := range objs {
		gk := groupKind(o)
		need(p.crd[gk])
		ns := meta(o, "namespace")
		need(p.namespace[ns])
		switch gk.Kind {
		case "RoleBinding", "ClusterRoleBinding":
			if k, _ := dig(o, "roleRef", "kind").(string); k == "ClusterRole" {
				n, _ := dig(o, "roleRef", "name").(string)
				need(p.clusterRole[n])
			}
		case "Certificate":
			k, _ := dig(o, "spec", "issuerRef", "kind").(string)
			n, _ := dig(o, "spec", "issuerRef", "name").(string)
			if k == "ClusterIssuer" {
				need(p.issuer["ClusterIssuer/"+n])
			} else {
				need(p.issuer["Issuer/"+ns+"/"+n])
			}
		}
		for _, w := range p.intercepting(gk, ns, o) {
			need(w)
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// gatedResources returns the custom resources of a unit that a fail-closed webhook of
// the same unit intercepts (KServe's ClusterServingRuntimes, Trainer's runtimes).
// Applied together with the webhook's configuration, they would reach it before its
// server runs, and the apply would fail until a retry: they go in a unit of their own,
// applied once the unit is ready.
func (p *providers) gatedResources(unit string, objs []map[string]any) (gated, rest []map[string]any) {
	for _, o := range objs {
		gk := groupKind(o)
		if p.crd[gk] == "" || !p.gatedBy(unit, gk, meta(o, "namespace"), o) {
			rest = append(rest, o)
			continue
		}
		gated = append(gated, o)
	}
	return gated, rest
}

func (p *providers) gatedBy(unit string, gk schema.GroupKind, ns string, o map[string]any) bool {
	objLabels := labels.Set(stringMap(dig(o, "metadata", "labels")))
	for _, w := range p.webhooks {
		if w.unit == unit && !w.failOpen && w.matches(gk.Group, p.resourceOf(gk), ns, objLabels, p.nsLabels) {
			return true
		}
	}
	return false
}

// gatedSuffix names the unit of a unit's gated resources: "<unit>-resources".
const gatedSuffix = "-resources"

// splitGated moves each unit's gated resources into a unit of their own, after it.
func (p *providers) splitGated(built []*Built) []*Built {
	var out []*Built
	for _, b := range built {
		gated, rest := p.gatedResources(b.Name, b.Objects)
		if len(gated) == 0 {
			out = append(out, b)
			continue
		}
		kept := *b
		kept.Objects = rest
		name := b.Name + gatedSuffix
		p.gated[b.Name] = name
		out = append(out, &kept, &Built{Name: name, Objects: gated})
	}
	return out
}

// withGated adds to units the units of their gated resources, sorted.
func (p *providers) withGated(units []string) []string {
	out := slices.Clone(units)
	for _, u := range units {
		if g := p.gated[u]; g != "" {
			out = append(out, g)
		}
	}
	return sortedUnique(out)
}

// intercepting returns the units whose webhooks intercept the creation of o, or of the
// pods its pod template makes.
func (p *providers) intercepting(gk schema.GroupKind, ns string, o map[string]any) []string {
	var out []string
	objLabels := labels.Set(stringMap(dig(o, "metadata", "labels")))
	resource := p.resourceOf(gk)
	podLabels, makesPods := podTemplateLabels(o)
	for _, w := range p.webhooks {
		if w.matches(gk.Group, resource, ns, objLabels, p.nsLabels) ||
			makesPods && w.matches("", "pods", ns, podLabels, p.nsLabels) {
			out = append(out, w.unit)
		}
	}
	return out
}

func (w webhook) matches(group, resource, ns string, objLabels labels.Set, nsLabels map[string]map[string]string) bool {
	if !w.objectSelector.Matches(objLabels) {
		return false
	}
	if ns != "" && !w.namespaceSelector.Empty() && !w.namespaceSelector.Matches(labels.Set(nsLabels[ns])) {
		return false
	}
	for _, r := range w.rules {
		if matchAny(r.APIGroups, group) && matchAny(r.Resources, resource) && createOp(r.Operations) {
			return true
		}
	}
	return false
}

func matchAny(list []string, s string) bool {
	return slices.Contains(list, "*") || slices.Contains(list, s)
}

func createOp(ops []string) bool { return matchAny(ops, "CREATE") || matchAny(ops, "UPDATE") }

// resourceOf returns the plural resource of a kind: a CRD's, or the one Kubernetes
// guesses for its own kinds.
func (p *providers) resourceOf(gk schema.GroupKind) string {
	if pl, ok := p.plural[gk]; ok {
		return pl
	}
	plural, _ := apimeta.UnsafeGuessKindToResource(gk.WithVersion(""))
	return plural.Resource
}

// podTemplateLabels returns the labels of the pods a workload makes.
func podTemplateLabels(o map[string]any) (labels.Set, bool) {
	switch o["kind"] {
	case "Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet":
		return labels.Set(stringMap(dig(o, "spec", "template", "metadata", "labels"))), true
	}
	return nil, false
}

// order returns the units in an order that applies each after those it needs, or an
// error naming a cycle.
func order(units []string, needs map[string][]string) ([]string, error) {
	state := map[string]int{} // 1 visiting, 2 done
	var out []string
	var visit func(u string, path []string) error
	visit = func(u string, path []string) error {
		switch state[u] {
		case 1:
			i := slices.Index(path, u)
			return fmt.Errorf("the components need each other: %s", strings.Join(append(path[i:], u), " → "))
		case 2:
			return nil
		}
		state[u] = 1
		for _, n := range needs[u] {
			if err := visit(n, append(path, u)); err != nil {
				return err
			}
		}
		state[u] = 2
		out = append(out, u)
		return nil
	}
	for _, u := range units {
		if err := visit(u, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func groupKind(o map[string]any) schema.GroupKind {
	av, _ := o["apiVersion"].(string)
	k, _ := o["kind"].(string)
	return schema.FromAPIVersionAndKind(av, k).GroupKind()
}

func meta(o map[string]any, key string) string {
	s, _ := dig(o, "metadata", key).(string)
	return s
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func stringMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := make(map[string]string, len(m))
	for k, s := range m {
		if str, ok := s.(string); ok {
			out[k] = str
		}
	}
	return out
}

// autoSelectedFormats returns the model formats a serving runtime is chosen for when an
// InferenceService names no runtime.
func autoSelectedFormats(o map[string]any) []string {
	formats := []string{}
	if disabled, _ := dig(o, "spec", "disabled").(bool); disabled {
		return formats
	}
	list, _ := dig(o, "spec", "supportedModelFormats").([]any)
	for _, f := range list {
		name, _ := dig(f, "name").(string)
		if auto, set := dig(f, "autoSelect").(bool); name != "" && (!set || auto) {
			formats = append(formats, name)
		}
	}
	slices.Sort(formats)
	return slices.Compact(formats)
}

// storageSpecFields returns the fields of the spec of a CRD's storage version, sorted.
func storageSpecFields(crd map[string]any) []string {
	versions, _ := dig(crd, "spec", "versions").([]any)
	for _, v := range versions {
		if storage, _ := dig(v, "storage").(bool); !storage {
			continue
		}
		props, _ := dig(v, "schema", "openAPIV3Schema", "properties", "spec", "properties").(map[string]any)
		return slices.Sorted(maps.Keys(props))
	}
	return nil
}
