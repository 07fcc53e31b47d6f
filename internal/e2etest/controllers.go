package e2etest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
)

// customStandIn writes the status of a custom resource as the controller an
// installation runs for it would, once that controller's work is done.
type customStandIn struct {
	// version is the API version the stand-in reads and writes.
	version string
	// status returns the status to write, given the object as stored; it may keep
	// parts of the stored status (condition times) so that nothing changes once done.
	status func(s *StandIns, o *unstructured.Unstructured) map[string]any
	// also does what the controller does besides the status (cert-manager's Secret).
	also func(s *StandIns, ctx context.Context, o *unstructured.Unstructured) error
}

// customStandIns are the custom resources whose status the stand-ins write: each is
// followed once its CRD is established, so an installation that brings the CRD later
// (applied by Flux) is served the same.
var customStandIns = map[schema.GroupKind]customStandIn{
	// cert-manager: issuers ready, certificates issued, with their Secret.
	{Group: "cert-manager.io", Kind: "Certificate"}:   {version: "v1", status: certificateStatus, also: (*StandIns).writeCertificateSecret},
	{Group: "cert-manager.io", Kind: "Issuer"}:        {version: "v1", status: issuerStatus},
	{Group: "cert-manager.io", Kind: "ClusterIssuer"}: {version: "v1", status: issuerStatus},
	// Kubeflow's notebook controller: the notebook's pod runs.
	{Group: "kubeflow.org", Kind: "Notebook"}: {version: "v1", status: notebookStatus},
	// KServe's controller: the inference service serves.
	{Group: "serving.kserve.io", Kind: "InferenceService"}: {version: "v1beta1", status: inferenceServiceStatus},
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// watchCustomResources follows the CRDs, and starts following the objects of each kind
// of customStandIns once its CRD is established.
func (s *StandIns) watchCustomResources(ctx context.Context) error {
	_, err := s.dynFactory.ForResource(crdGVR).Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { s.followCRD(ctx, obj) },
		UpdateFunc: func(_, obj any) { s.followCRD(ctx, obj) },
	})
	return err
}

// followCRD starts an informer for a CRD's objects when its kind has a stand-in and the
// CRD is established.
func (s *StandIns) followCRD(ctx context.Context, obj any) {
	crd, ok := obj.(*unstructured.Unstructured)
	if !ok || !established(crd) {
		return
	}
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
	plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
	gk := schema.GroupKind{Group: group, Kind: kind}
	si, ok := customStandIns[gk]
	if !ok {
		return
	}
	s.customMu.Lock()
	defer s.customMu.Unlock()
	if _, started := s.custom[gk.String()]; started {
		return
	}
	gvr := schema.GroupVersionResource{Group: group, Version: si.version, Resource: plural}
	inf := s.dynFactory.ForResource(gvr).Informer()
	add := func(obj any) {
		if m, err := metaOf(obj); err == nil {
			s.queue.Add(workItem{kind: gk.String(), namespace: m.GetNamespace(), name: m.GetName()})
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: add, UpdateFunc: func(_, obj any) { add(obj) }}); err != nil {
		s.logf("e2e: stand-ins: following %s: %v", gk, err)
		return
	}
	s.custom[gk.String()] = followed{gvr, si}
	s.dynFactory.Start(ctx.Done())
}

func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, ci := range conds {
		if m, _ := ci.(map[string]any); m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// reconcileCustom writes a custom resource's status, and does what else its controller
// does. It reports false when item is not a custom resource's.
func (s *StandIns) reconcileCustom(ctx context.Context, item workItem) (bool, error) {
	s.customMu.Lock()
	f, ok := s.custom[item.kind]
	s.customMu.Unlock()
	if !ok {
		return false, nil
	}
	gvr, si := f.gvr, f.si
	lister := s.dynFactory.ForResource(gvr).Lister()
	var cur any
	var err error
	if item.namespace == "" {
		cur, err = lister.Get(item.name)
	} else {
		cur, err = lister.ByNamespace(item.namespace).Get(item.name)
	}
	if err != nil {
		return true, err
	}
	o := cur.(*unstructured.Unstructured).DeepCopy()
	if si.also != nil {
		if err := si.also(s, ctx, o); err != nil {
			return true, err
		}
	}
	want := si.status(s, o)
	if have, _, _ := unstructured.NestedMap(o.Object, "status"); equality.Semantic.DeepEqual(have, want) {
		return true, nil
	}
	o.Object["status"] = want
	r := s.c.Dynamic.Resource(gvr)
	if item.namespace != "" {
		_, err = r.Namespace(item.namespace).UpdateStatus(ctx, o, metav1.UpdateOptions{FieldManager: standInManager})
	} else {
		_, err = r.UpdateStatus(ctx, o, metav1.UpdateOptions{FieldManager: standInManager})
	}
	return true, err
}

// followed is a kind of custom resource the stand-ins follow.
type followed struct {
	gvr schema.GroupVersionResource
	si  customStandIn
}

// readyCondition is a true condition of type typ, keeping the transition time of the
// stored one when it already says so; with observed, it carries the generation it
// observed, as cert-manager's conditions do.
func readyCondition(o *unstructured.Unstructured, typ, reason, message string, observed bool) map[string]any {
	at := time.Now().UTC().Format(time.RFC3339)
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, ci := range conds {
		if m, _ := ci.(map[string]any); m["type"] == typ && m["status"] == "True" && m["reason"] == reason {
			if t, ok := m["lastTransitionTime"].(string); ok {
				at = t
			}
		}
	}
	c := map[string]any{"type": typ, "status": "True", "lastTransitionTime": at}
	if reason != "" {
		c["reason"] = reason
	}
	if message != "" {
		c["message"] = message
	}
	if observed {
		c["observedGeneration"] = o.GetGeneration()
	}
	return c
}

// issuerStatus is a ready issuer's, as cert-manager writes it.
func issuerStatus(_ *StandIns, o *unstructured.Unstructured) map[string]any {
	return map[string]any{"conditions": []any{readyCondition(o, "Ready", "IsReady", "", true)}}
}

// certificateStatus is an issued certificate's, as cert-manager writes it.
func certificateStatus(_ *StandIns, o *unstructured.Unstructured) map[string]any {
	st := map[string]any{
		"conditions": []any{readyCondition(o, "Ready", "Ready", "Certificate is up to date and has not expired", true)},
		"revision":   int64(1),
	}
	// The validity of the stored status is kept: the Secret is written once.
	for _, f := range []string{"notBefore", "notAfter"} {
		if v, ok, _ := unstructured.NestedString(o.Object, "status", f); ok {
			st[f] = v
		}
	}
	return st
}

// writeCertificateSecret writes a certificate's Secret (spec.secretName), signed by the
// stand-ins' CA, as cert-manager does, unless it holds a certificate already; the
// validity goes into the status. A Secret the installation ships without a certificate
// is filled in, as cert-manager does.
func (s *StandIns) writeCertificateSecret(ctx context.Context, o *unstructured.Unstructured) error {
	name, _, _ := unstructured.NestedString(o.Object, "spec", "secretName")
	if name == "" {
		return fmt.Errorf("Certificate %s/%s has no spec.secretName", o.GetNamespace(), o.GetName())
	}
	secrets := s.c.Client.CoreV1().Secrets(o.GetNamespace())
	existing, err := secrets.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		existing = nil
	case err != nil:
		return err
	default:
		if _, perr := parseCertificatePEM(existing.Data[corev1.TLSCertKey]); perr == nil {
			return setValidity(o, existing.Data[corev1.TLSCertKey])
		}
	}
	dnsNames, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "dnsNames")
	commonName, _, _ := unstructured.NestedString(o.Object, "spec", "commonName")
	isCA, _, _ := unstructured.NestedBool(o.Object, "spec", "isCA")
	certPEM, keyPEM, err := s.hooks.issue(commonName, dnsNames, isCA)
	if err != nil {
		return err
	}
	issuer, _, _ := unstructured.NestedStringMap(o.Object, "spec", "issuerRef")
	secret := existing
	if secret == nil {
		secret = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: o.GetNamespace()}, Type: corev1.SecretTypeTLS}
	}
	metav1.SetMetaDataLabel(&secret.ObjectMeta, "controller.cert-manager.io/fao", "true")
	for k, v := range map[string]string{
		"cert-manager.io/certificate-name": o.GetName(),
		"cert-manager.io/issuer-name":      issuer["name"],
		"cert-manager.io/issuer-kind":      issuer["kind"],
		"cert-manager.io/alt-names":        strings.Join(dnsNames, ","),
	} {
		metav1.SetMetaDataAnnotation(&secret.ObjectMeta, k, v)
	}
	if secret.Data == nil {
		secret.Data = map[string][]byte{}
	}
	secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey], secret.Data["ca.crt"] = certPEM, keyPEM, s.hooks.caPEM
	if existing == nil {
		_, err = secrets.Create(ctx, secret, metav1.CreateOptions{FieldManager: standInManager})
	} else {
		_, err = secrets.Update(ctx, secret, metav1.UpdateOptions{FieldManager: standInManager})
	}
	if err != nil {
		return err // a conflict or a race with another writer: tried again
	}
	return setValidity(o, certPEM)
}

// setValidity sets a certificate's status.notBefore and notAfter from the PEM of its
// Secret's certificate.
func setValidity(o *unstructured.Unstructured, certPEM []byte) error {
	cert, err := parseCertificatePEM(certPEM)
	if err != nil {
		return fmt.Errorf("Certificate %s/%s: its Secret: %w", o.GetNamespace(), o.GetName(), err)
	}
	_ = unstructured.SetNestedField(o.Object, cert.NotBefore.UTC().Format(time.RFC3339), "status", "notBefore")
	return unstructured.SetNestedField(o.Object, cert.NotAfter.UTC().Format(time.RFC3339), "status", "notAfter")
}

func parseCertificatePEM(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("no PEM certificate in %s", corev1.TLSCertKey)
	}
	return x509.ParseCertificate(block.Bytes)
}

// issue makes a certificate for commonName and dnsNames signed by the server's CA, and
// its key, both PEM.
func (w *webhookServer) issue(commonName string, dnsNames []string, isCA bool) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now().Add(-time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		DNSNames:              dnsNames,
		NotBefore:             now,
		NotAfter:              now.Add(48 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, w.caCert, &key.PublicKey, w.caKey)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("CERTIFICATE", der), pemBlock("EC PRIVATE KEY", keyDER), nil
}

// notebookStatus is a running notebook's, as Kubeflow's notebook controller writes it.
func notebookStatus(_ *StandIns, o *unstructured.Unstructured) map[string]any {
	started := o.GetCreationTimestamp().UTC().Format(time.RFC3339)
	if v, ok, _ := unstructured.NestedString(o.Object, "status", "containerState", "running", "startedAt"); ok {
		started = v
	}
	return map[string]any{
		"conditions":     []any{},
		"containerState": map[string]any{"running": map[string]any{"startedAt": started}},
		"readyReplicas":  int64(1),
	}
}

// inferenceServiceStatus is a serving inference service's, as KServe's controller
// writes it (its conditions that Flux's health check reads).
func inferenceServiceStatus(_ *StandIns, o *unstructured.Unstructured) map[string]any {
	return map[string]any{
		"observedGeneration": o.GetGeneration(),
		"conditions":         []any{readyCondition(o, "Ready", "", "", false)},
	}
}
