package e2etest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	admissionapply "k8s.io/client-go/applyconfigurations/admissionregistration/v1"
	corev1apply "k8s.io/client-go/applyconfigurations/core/v1"
	metav1apply "k8s.io/client-go/applyconfigurations/meta/v1"
)

// Sync's probe: a webhook of each kind, behind a service of its own, that a dry-run
// ConfigMap in probeNamespace carrying probeLabel goes through.
const (
	probeName      = "mlc-e2e-webhook-probe"
	probeNamespace = "default"
	probeLabel     = "mlc-e2e.example/webhook-probe"
)

// probe waits until the API server routes through the stand-in what was just reconciled.
// The API server reads webhook configurations, services and EndpointSlices from caches
// that follow each kind's changes in order: once a probe webhook configuration written
// after the caBundles, behind a new service with a slice written after the others, is
// called, the caches hold everything written before it.
func (s *StandIns) probe(ctx context.Context) error {
	s.probeGen++
	svcName := fmt.Sprintf("%s-%d", probeName, s.probeGen)
	nonceBytes := make([]byte, 8)
	if _, err := rand.Read(nonceBytes); err != nil {
		return err
	}
	nonce := hex.EncodeToString(nonceBytes)
	host := svcName + "." + probeNamespace + ".svc"
	s.hooks.mu.Lock()
	s.hooks.probes = map[route]routeKind{{host, "/probe/mutating"}: mutating, {host, "/probe/validating"}: validating}
	s.hooks.mu.Unlock()

	core := s.c.Client.CoreV1()
	svc := corev1apply.Service(svcName, probeNamespace).
		WithSpec(corev1apply.ServiceSpec().WithPorts(corev1apply.ServicePort().WithName("https").WithPort(443)))
	if _, err := core.Services(probeNamespace).Apply(ctx, svc, metav1.ApplyOptions{FieldManager: standInManager, Force: true}); err != nil {
		return fmt.Errorf("webhook probe: %w", err)
	}
	if err := s.writeEndpoints(ctx, types.NamespacedName{Namespace: probeNamespace, Name: svcName}, []int32{443}); err != nil {
		return fmt.Errorf("webhook probe: %w", err)
	}
	webhook := func(path string) *admissionapply.WebhookClientConfigApplyConfiguration {
		return admissionapply.WebhookClientConfig().WithCABundle(s.hooks.caPEM...).
			WithService(admissionapply.ServiceReference().WithNamespace(probeNamespace).WithName(svcName).WithPort(443).WithPath(path))
	}
	rule := admissionapply.RuleWithOperations().WithOperations(admissionregistrationv1.Create).
		WithAPIGroups("").WithAPIVersions("v1").WithResources("configmaps")
	selector := metav1apply.LabelSelector().WithMatchLabels(map[string]string{probeLabel: nonce})
	namespace := metav1apply.LabelSelector().WithMatchLabels(map[string]string{corev1.LabelMetadataName: probeNamespace})
	api := s.c.Client.AdmissionregistrationV1()
	opts := metav1.ApplyOptions{FieldManager: standInManager, Force: true}
	if _, err := api.MutatingWebhookConfigurations().Apply(ctx, admissionapply.MutatingWebhookConfiguration(probeName).WithWebhooks(
		admissionapply.MutatingWebhook().WithName("mutating.probe.mlc-e2e.example").WithClientConfig(webhook("/probe/mutating")).
			WithRules(rule).WithObjectSelector(selector).WithNamespaceSelector(namespace).
			WithFailurePolicy(admissionregistrationv1.Fail).WithSideEffects(admissionregistrationv1.SideEffectClassNone).
			WithAdmissionReviewVersions("v1").WithTimeoutSeconds(5)), opts); err != nil {
		return fmt.Errorf("webhook probe: %w", err)
	}
	if _, err := api.ValidatingWebhookConfigurations().Apply(ctx, admissionapply.ValidatingWebhookConfiguration(probeName).WithWebhooks(
		admissionapply.ValidatingWebhook().WithName("validating.probe.mlc-e2e.example").WithClientConfig(webhook("/probe/validating")).
			WithRules(rule).WithObjectSelector(selector).WithNamespaceSelector(namespace).
			WithFailurePolicy(admissionregistrationv1.Fail).WithSideEffects(admissionregistrationv1.SideEffectClassNone).
			WithAdmissionReviewVersions("v1").WithTimeoutSeconds(5)), opts); err != nil {
		return fmt.Errorf("webhook probe: %w", err)
	}

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: probeName, Namespace: probeNamespace, Labels: map[string]string{probeLabel: nonce}}}
	err := s.c.Eventually(ctx, 30*time.Second, "the API server calls the webhooks", func() (bool, error) {
		if _, err := core.ConfigMaps(probeNamespace).Create(ctx, cm, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			return false, err
		}
		s.hooks.mu.Lock()
		defer s.hooks.mu.Unlock()
		return s.hooks.probed[nonce] == mutating|validating, nil
	})
	if err != nil {
		return err
	}
	// The previous probe's service and slice, now that nothing names them.
	if s.probeGen > 1 {
		old := fmt.Sprintf("%s-%d", probeName, s.probeGen-1)
		if err := core.Services(probeNamespace).Delete(ctx, old, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		err := s.c.Client.DiscoveryV1().EndpointSlices(probeNamespace).Delete(ctx, old+"-"+standInManager, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// answerProbe records that a probe request went through a webhook of kind.
func (w *webhookServer) answerProbe(req *admissionv1.AdmissionRequest, kind routeKind) {
	var obj metav1.PartialObjectMetadata
	if json.Unmarshal(req.Object.Raw, &obj) != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.probed[obj.Labels[probeLabel]] |= kind
}
