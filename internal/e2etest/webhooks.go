package e2etest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	discoveryv1apply "k8s.io/client-go/applyconfigurations/discovery/v1"
)

// standInManager is the field manager of what the stand-ins write.
const standInManager = "mlc-e2e-stand-in"

// routeKind says which kind of configuration sends requests to a route.
type routeKind uint8

const (
	mutating routeKind = 1 << iota
	validating
)

func (k routeKind) String() string {
	var s []string
	if k&mutating != 0 {
		s = append(s, "mutating")
	}
	if k&validating != 0 {
		s = append(s, "validating")
	}
	return strings.Join(s, "+")
}

// route is where the API server sends a webhook's requests: the service's name as the
// TLS server name (<service>.<namespace>.svc) and the path.
type route struct{ host, path string }

// webhookServer is the one server that stands in for every webhook.
type webhookServer struct {
	c    *Cluster
	ip   net.IP
	port int32
	addr string

	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caPEM  []byte
	certs  sync.Map // server name -> *tls.Certificate

	srv *http.Server

	mu     sync.Mutex
	routes map[route]routeKind
	probes map[route]routeKind  // the routes of Sync's probe webhooks
	probed map[string]routeKind // probe nonce -> kinds of webhooks it went through
	calls  map[string]int
}

// hostAddress returns an address of this machine that an EndpointSlice may hold: not
// loopback, not link-local; IPv4 first.
func hostAddress() (net.IP, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var v6 net.IP
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || !n.IP.IsGlobalUnicast() {
			continue
		}
		if n.IP.To4() != nil {
			return n.IP, nil
		}
		if v6 == nil {
			v6 = n.IP
		}
	}
	if v6 == nil {
		return nil, ErrNoHostAddress
	}
	return v6, nil
}

// startWebhookServer starts the server on a free port of the machine's address, with a
// fresh CA for its certificates.
func startWebhookServer(c *Cluster) (*webhookServer, error) {
	ip, err := hostAddress()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		return nil, fmt.Errorf("webhook stand-in: %w", err)
	}
	w := &webhookServer{
		c: c, ip: ip, port: int32(ln.Addr().(*net.TCPAddr).Port), addr: ln.Addr().String(),
		routes: map[route]routeKind{}, probes: map[route]routeKind{}, probed: map[string]routeKind{}, calls: map[string]int{},
	}
	if err := w.newCA(); err != nil {
		ln.Close()
		return nil, err
	}
	w.srv = &http.Server{
		Handler:           w,
		TLSConfig:         &tls.Config{GetCertificate: w.certificate, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		// Handshakes the API server gives up on are its to report.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() { _ = w.srv.ServeTLS(localOnly{ln}, "", "") }()
	return w, nil
}

func (w *webhookServer) close() { _ = w.srv.Close() }

// localOnly accepts connections from this machine only: the server listens on an address
// others can reach, and the API server runs here.
type localOnly struct{ net.Listener }

func (l localOnly) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if ra, ok := conn.RemoteAddr().(*net.TCPAddr); ok && isLocal(ra.IP) {
			return conn, nil
		}
		conn.Close()
	}
}

func isLocal(ip net.IP) bool {
	if ip.IsLoopback() {
		return true
	}
	addrs, _ := net.InterfaceAddrs()
	return slices.ContainsFunc(addrs, func(a net.Addr) bool {
		n, ok := a.(*net.IPNet)
		return ok && n.IP.Equal(ip)
	})
}

// newCA makes the CA that signs the server's certificates, as cert-manager's issuers do
// for the webhooks of an installation.
func (w *webhookServer) newCA() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now().Add(-time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mlc-e2e-webhook-ca"},
		NotBefore:             now,
		NotAfter:              now.Add(48 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	if w.caCert, err = x509.ParseCertificate(der); err != nil {
		return err
	}
	w.caKey, w.caPEM = key, pemBlock("CERTIFICATE", der)
	return nil
}

// certificate returns the serving certificate for the name the API server asks for
// (<service>.<namespace>.svc), made on first use.
func (w *webhookServer) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := hello.ServerName
	if c, ok := w.certs.Load(name); ok {
		return c.(*tls.Certificate), nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	now := time.Now().Add(-time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    now,
		NotAfter:     now.Add(48 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{w.ip},
	}
	if name != "" {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, w.caCert, &key.PublicKey, w.caKey)
	if err != nil {
		return nil, err
	}
	cert := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	actual, _ := w.certs.LoadOrStore(name, cert)
	return actual.(*tls.Certificate), nil
}

// ServeHTTP answers an AdmissionReview: allowed, with no patch, unless a rule of
// admissionRules refuses it.
func (w *webhookServer) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	rt := route{path: r.URL.Path}
	if r.TLS != nil {
		rt.host = r.TLS.ServerName
	}
	w.mu.Lock()
	kind, probe := w.probes[rt]
	if !probe {
		kind = w.routes[rt]
	}
	w.mu.Unlock()
	if kind == 0 {
		// Not admitted blindly: a request no configuration sends here is a fault of the
		// stand-in, which the webhook's failure policy then reports.
		http.Error(rw, fmt.Sprintf("no webhook configuration of this cluster sends requests to https://%s%s", rt.host, rt.path), http.StatusNotFound)
		return
	}
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<20)).Decode(&review); err != nil || review.Request == nil {
		http.Error(rw, fmt.Sprintf("not an AdmissionReview: %v", err), http.StatusBadRequest)
		return
	}
	req := review.Request
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}
	if probe {
		w.answerProbe(req, kind)
	} else if status := w.check(r.Context(), kind, req); status != nil {
		resp.Allowed, resp.Result = false, status
	}
	w.mu.Lock()
	w.calls[kind.String()+" "+rt.host+rt.path]++
	w.mu.Unlock()
	review.Request, review.Response = nil, resp
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(&review)
}

// check applies the rules of admissionRules that cover req; the first refusal wins.
func (w *webhookServer) check(ctx context.Context, kind routeKind, req *admissionv1.AdmissionRequest) *metav1.Status {
	gr := req.Resource.Group + "/" + req.Resource.Resource
	for _, rule := range admissionRules {
		if rule.kind&kind == 0 || rule.resource != gr || !slices.Contains(rule.operations, req.Operation) {
			continue
		}
		if msg := rule.check(ctx, w.c, req); msg != "" {
			return &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusBadRequest, Reason: metav1.StatusReasonBadRequest, Message: msg}
		}
	}
	return nil
}

func (w *webhookServer) callCounts() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]int, len(w.calls))
	for k, v := range w.calls {
		out[k] = v
	}
	return out
}

// setRoutes replaces the routes the server answers.
func (w *webhookServer) setRoutes(routes map[route]routeKind) {
	w.mu.Lock()
	w.routes = routes
	w.mu.Unlock()
}

// reconcileWebhooks does what cert-manager's cainjector and the webhooks' pods would:
// every webhook that names a service gets the server's CA as its caBundle, and each such
// service an EndpointSlice that sends its webhook ports to the server. It reads the
// cluster rather than the informers' caches, so that Sync sees what was just applied.
func (s *StandIns) reconcileWebhooks(ctx context.Context) error {
	api := s.c.Client.AdmissionregistrationV1()
	muts, err := api.MutatingWebhookConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	vals, err := api.ValidatingWebhookConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	routes := map[route]routeKind{}
	ports := map[types.NamespacedName][]int32{}
	visit := func(kind routeKind, cc *admissionregistrationv1.WebhookClientConfig) bool {
		svc := cc.Service
		if svc == nil {
			return false // a URL: nothing to stand in for
		}
		port, path := int32(443), "/"
		if svc.Port != nil {
			port = *svc.Port
		}
		if svc.Path != nil && *svc.Path != "" {
			path = *svc.Path
		}
		routes[route{svc.Name + "." + svc.Namespace + ".svc", path}] |= kind
		name := types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}
		if !slices.Contains(ports[name], port) {
			ports[name] = append(ports[name], port)
		}
		if bytes.Equal(cc.CABundle, s.hooks.caPEM) {
			return false
		}
		cc.CABundle = s.hooks.caPEM
		return true
	}
	var toUpdate []func() error
	for i := range muts.Items {
		cfg := &muts.Items[i]
		changed := false
		for j := range cfg.Webhooks {
			changed = visit(mutating, &cfg.Webhooks[j].ClientConfig) || changed
		}
		if changed {
			toUpdate = append(toUpdate, func() error {
				_, err := api.MutatingWebhookConfigurations().Update(ctx, cfg, metav1.UpdateOptions{FieldManager: standInManager})
				return err
			})
		}
	}
	for i := range vals.Items {
		cfg := &vals.Items[i]
		changed := false
		for j := range cfg.Webhooks {
			changed = visit(validating, &cfg.Webhooks[j].ClientConfig) || changed
		}
		if changed {
			toUpdate = append(toUpdate, func() error {
				_, err := api.ValidatingWebhookConfigurations().Update(ctx, cfg, metav1.UpdateOptions{FieldManager: standInManager})
				return err
			})
		}
	}
	// The routes first: a webhook is called as soon as its caBundle is in place.
	s.hooks.setRoutes(routes)
	var errs []error
	for _, update := range toUpdate {
		errs = append(errs, update())
	}
	for name, webhookPorts := range ports {
		errs = append(errs, s.writeEndpoints(ctx, name, webhookPorts))
	}
	return errors.Join(errs...)
}

// writeEndpoints points the ports of service name that webhooks use at the server. A
// service that does not exist yet is left for when it does.
func (s *StandIns) writeEndpoints(ctx context.Context, name types.NamespacedName, webhookPorts []int32) error {
	svc, err := s.c.Client.CoreV1().Services(name.Namespace).Get(ctx, name.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	slice := discoveryv1apply.EndpointSlice(name.Name+"-"+standInManager, name.Namespace).
		WithLabels(map[string]string{
			discoveryv1.LabelServiceName: name.Name,
			discoveryv1.LabelManagedBy:   standInManager,
		}).
		WithAddressType(discoveryv1.AddressTypeIPv4).
		WithEndpoints(discoveryv1apply.Endpoint().
			WithAddresses(s.hooks.ip.String()).
			WithConditions(discoveryv1apply.EndpointConditions().WithReady(true)))
	if s.hooks.ip.To4() == nil {
		slice.WithAddressType(discoveryv1.AddressTypeIPv6)
	}
	for _, p := range svc.Spec.Ports {
		if slices.Contains(webhookPorts, p.Port) {
			// The API server picks the slice port by the service port's name.
			slice.WithPorts(discoveryv1apply.EndpointPort().WithName(p.Name).WithPort(s.hooks.port).WithProtocol(corev1.ProtocolTCP))
		}
	}
	_, err = s.c.Client.DiscoveryV1().EndpointSlices(name.Namespace).Apply(ctx, slice, metav1.ApplyOptions{FieldManager: standInManager, Force: true})
	return err
}
