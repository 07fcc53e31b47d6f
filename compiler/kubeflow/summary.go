package kubeflow

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Summary is what of an install the objects applied after it are compiled against:
// which unit provides what they need. A cached install keeps it, so that tenants can be
// wired to the units they need without the install being built again.
type Summary struct {
	Release          string                       `json:"release"`
	CRDSum           string                       `json:"crdSum"`
	CRDs             map[string]string            `json:"crds"`    // "<kind>.<group>" → unit
	Plurals          map[string]string            `json:"plurals"` // "<kind>.<group>" → resource
	Namespaces       map[string]string            `json:"namespaces"`
	NSLabels         map[string]map[string]string `json:"namespaceLabels"`
	ClusterRole      map[string]string            `json:"clusterRoles"`
	Issuers          map[string]string            `json:"issuers"`
	Webhooks         []summaryWebhook             `json:"webhooks"`
	SpecFields       map[string][]string          `json:"specFields"`
	TrainingRuntimes []string                     `json:"trainingRuntimes"`
	ServingRuntimes  map[string][]string          `json:"servingRuntimes"`
	Images           []string                     `json:"images"`
	Gated            map[string]string            `json:"gated"`
}

type summaryWebhook struct {
	Unit              string                `json:"unit"`
	Rules             []webhookRule         `json:"rules"`
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
	ObjectSelector    *metav1.LabelSelector `json:"objectSelector,omitempty"`
}

// Summary returns the install's summary.
func (in *Installed) Summary() Summary {
	p := in.providers
	s := Summary{Release: in.Release, CRDSum: in.crdSum, CRDs: map[string]string{}, Plurals: map[string]string{},
		Namespaces: p.namespace, NSLabels: p.nsLabels, ClusterRole: p.clusterRole, Issuers: p.issuer,
		TrainingRuntimes: p.trainingRuntimes, ServingRuntimes: p.servingRuntimes, Images: in.images, Gated: p.gated}
	for gk, u := range p.crd {
		s.CRDs[gk.String()] = u
	}
	for gk, pl := range p.plural {
		s.Plurals[gk.String()] = pl
	}
	s.SpecFields = map[string][]string{}
	for gk, f := range p.specFields {
		s.SpecFields[gk.String()] = f
	}
	for _, w := range p.webhooks {
		s.Webhooks = append(s.Webhooks, summaryWebhook{Unit: w.unit, Rules: w.rules, NamespaceSelector: w.rawNamespace, ObjectSelector: w.rawObject})
	}
	return s
}

// FromSummary gives back an install from its summary: it answers Needs, TenantNeeds,
// PlatformNeeds, Digest and Runs as the built install did, and has no units.
func FromSummary(s Summary) (*Installed, error) {
	p := newProviders()
	p.namespace, p.nsLabels, p.clusterRole, p.issuer = orEmpty(s.Namespaces), s.NSLabels, orEmpty(s.ClusterRole), orEmpty(s.Issuers)
	p.trainingRuntimes = s.TrainingRuntimes
	p.gated = orEmpty(s.Gated)
	if s.ServingRuntimes != nil {
		p.servingRuntimes = s.ServingRuntimes
	}
	if p.nsLabels == nil {
		p.nsLabels = map[string]map[string]string{}
	}
	for k, u := range s.CRDs {
		p.crd[parseGroupKind(k)] = u
	}
	for k, pl := range s.Plurals {
		p.plural[parseGroupKind(k)] = pl
	}
	for k, f := range s.SpecFields {
		p.specFields[parseGroupKind(k)] = f
	}
	for _, w := range s.Webhooks {
		parsed, err := newWebhook(w.Unit, w.Rules, w.NamespaceSelector, w.ObjectSelector)
		if err != nil {
			return nil, fmt.Errorf("a cached Kubeflow install: %w", err)
		}
		p.webhooks = append(p.webhooks, parsed)
	}
	return &Installed{Release: s.Release, crdSum: s.CRDSum, images: s.Images, providers: p}, nil
}

func parseGroupKind(s string) schema.GroupKind {
	kind, group, _ := strings.Cut(s, ".")
	return schema.GroupKind{Group: group, Kind: kind}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
