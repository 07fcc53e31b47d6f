package e2etest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Options say what a cluster runs.
type Options struct {
	// Dir holds the cluster's data, certificates and logs. It must exist.
	Dir string
	// CRDs are files of CustomResourceDefinitions to install (Flux's own come with Flux).
	CRDs []string
	// Flux starts Flux's source-controller and kustomize-controller, with their CRDs and
	// the flux-system namespace.
	Flux bool
	// Logf, when set, is told how long each step took.
	Logf func(format string, args ...any)
}

// Cluster is a running cluster. Every server listens on 127.0.0.1 only.
type Cluster struct {
	Dir string
	// Host is the API server's URL.
	Host string
	// Kubeconfig is a kubeconfig file for an admin (system:masters) of the cluster, with
	// the context "e2e".
	Kubeconfig string
	// Config is the admin's client configuration.
	Config  *rest.Config
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	// Mapper maps kinds to resources; it is reset when a kind is not known yet.
	Mapper *restmapper.DeferredDiscoveryRESTMapper

	procs    []*process
	stopOnce sync.Once
	logf     func(string, ...any)
}

// Start starts a cluster. On error nothing is left running.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		var c *Cluster
		c, err = start(ctx, opts)
		if err == nil {
			return c, nil
		}
		// A port picked free can be taken by another process before the server binds it.
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, err
}

func start(ctx context.Context, opts Options) (c *Cluster, err error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	bin := BinDir()
	if m := Missing(); len(m) > 0 {
		return nil, fmt.Errorf("missing from %s: %s; run hack/e2e.sh build", bin, strings.Join(m, ", "))
	}
	cl := &Cluster{Dir: opts.Dir, logf: logf}
	c = cl
	defer func() {
		if err != nil {
			cl.Stop() // c is nil by then
		}
	}()
	began := time.Now()
	step := func(what string, t0 time.Time) { logf("e2e: %s in %s", what, time.Since(t0).Round(time.Millisecond)) }

	p, err := newPKI(filepath.Join(opts.Dir, "pki"))
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(9)
	if err != nil {
		return nil, err
	}
	etcdClient, etcdPeer, apiPort, kcmPort := ports[0], ports[1], ports[2], ports[8]

	t0 := time.Now()
	etcdURL := "http://" + addr(etcdClient)
	peerURL := "http://" + addr(etcdPeer)
	etcd, err := c.start("etcd", filepath.Join(bin, "etcd"), []string{
		"--name=e2e", "--data-dir=" + filepath.Join(opts.Dir, "etcd"),
		"--listen-client-urls=" + etcdURL, "--advertise-client-urls=" + etcdURL,
		"--listen-peer-urls=" + peerURL, "--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=e2e=" + peerURL, "--unsafe-no-fsync", "--log-level=warn",
	}, nil)
	if err != nil {
		return nil, err
	}
	if err := waitFor(etcd, 30*time.Second, "etcd healthy", func() bool { return httpOK(http.DefaultClient, etcdURL+"/health") }); err != nil {
		return nil, err
	}
	step("etcd ready", t0)

	t0 = time.Now()
	c.Host = "https://" + addr(apiPort)
	// --endpoint-reconciler-type=none: kube-apiserver 1.37 refuses a loopback advertise
	// address with the default reconciler. --enable-aggregator-routing: a service is
	// reached at the addresses of its EndpointSlices rather than its cluster IP, which
	// routes nowhere without kube-proxy; admission webhooks resolve their service the
	// same way, which is how the webhook stand-in (webhooks.go) is reached.
	api, err := c.start("kube-apiserver", filepath.Join(bin, "kube-apiserver"), []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", apiPort),
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Join(opts.Dir, "apiserver-certs"),
		"--tls-cert-file=" + p.ServerCert, "--tls-private-key-file=" + p.ServerKey,
		"--client-ca-file=" + p.CACert,
		"--service-account-issuer=" + c.Host, "--service-account-key-file=" + p.SAPub, "--service-account-signing-key-file=" + p.SAKey,
		"--service-cluster-ip-range=10.0.0.0/24", "--authorization-mode=RBAC",
		"--disable-admission-plugins=ServiceAccount", "--allow-privileged=true",
		"--enable-aggregator-routing=true",
		"--profiling=false",
	}, nil)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.CAPEM)
	cert, err := tls.X509KeyPair(p.AdminCertPEM, p.AdminKeyPEM)
	if err != nil {
		return nil, err
	}
	admin := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}}
	defer admin.CloseIdleConnections()
	if err := waitFor(api, 90*time.Second, "kube-apiserver ready", func() bool { return httpOK(admin, c.Host+"/readyz") }); err != nil {
		return nil, err
	}
	step("kube-apiserver ready", t0)

	if err := c.connect(p); err != nil {
		return nil, err
	}

	t0 = time.Now()
	if err := c.startControllerManager(kcmPort); err != nil {
		return nil, err
	}
	step("kube-controller-manager ready", t0)

	t0 = time.Now()
	crds := slices.Clone(opts.CRDs)
	if opts.Flux {
		flux := FluxCRDs()
		if len(flux) == 0 {
			return nil, fmt.Errorf("no Flux CRDs in %s: run hack/e2e.sh build", filepath.Join(bin, "crds"))
		}
		crds = append(crds, flux...)
	}
	if err := c.InstallCRDs(ctx, crds...); err != nil {
		return nil, err
	}
	step(fmt.Sprintf("%d CRDs established", len(crds)), t0)

	if opts.Flux {
		t0 = time.Now()
		if err := c.CreateNamespace(ctx, "flux-system"); err != nil {
			return nil, err
		}
		// As Flux's installation does: the controller's own service account, bound to
		// cluster-admin, which Kustomizations in flux-system name under the lockdown.
		if err := c.ApplyYAML(ctx, []byte(fluxControllerAccount)); err != nil {
			return nil, err
		}
		if err := c.startFlux(ports[3:8]); err != nil {
			return nil, err
		}
		step("Flux controllers ready", t0)
	}
	logf("e2e: cluster up in %s at %s (logs in %s)", time.Since(began).Round(time.Millisecond), c.Host, opts.Dir)
	return c, nil
}

// ControllerManagerControllers are the controllers kube-controller-manager runs: real
// ClusterRole aggregation, namespace clean-up and garbage collection. No controller that
// makes pods, endpoints or tokens runs: nothing would run the pods, and the webhook
// stand-in writes its services' EndpointSlices itself.
var ControllerManagerControllers = []string{
	"clusterrole-aggregation-controller",
	"namespace-controller",
	"garbage-collector-controller",
}

// startControllerManager starts kube-controller-manager as the admin, serving its health
// checks on port.
func (c *Cluster) startControllerManager(port int) error {
	kcm, err := c.start("kube-controller-manager", filepath.Join(BinDir(), "kube-controller-manager"), []string{
		"--kubeconfig=" + c.Kubeconfig,
		"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", port),
		"--cert-dir=" + filepath.Join(c.Dir, "controller-manager-certs"),
		"--leader-elect=false",
		"--controllers=" + strings.Join(ControllerManagerControllers, ","),
		"--profiling=false",
	}, nil)
	if err != nil {
		return err
	}
	// Its serving certificate is self-signed, in its cert dir: the check trusts it as
	// it is on loopback.
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer hc.CloseIdleConnections()
	return waitFor(kcm, 60*time.Second, "kube-controller-manager healthy", func() bool {
		return httpOK(hc, "https://"+addr(port)+"/healthz")
	})
}

// startFlux starts source-controller and kustomize-controller on ports (5 of them).
func (c *Cluster) startFlux(ports []int) error {
	bin := BinDir()
	env := []string{"KUBECONFIG=" + c.Kubeconfig, "RUNTIME_NAMESPACE=flux-system"}
	common := []string{"--enable-leader-election=false", "--watch-all-namespaces=true", "--log-level=info", "--log-encoding=console"}
	scTmp := filepath.Join(c.Dir, "source-controller-tmp")
	kcTmp := filepath.Join(c.Dir, "kustomize-controller-tmp")
	scData := filepath.Join(c.Dir, "source-controller-data")
	for _, d := range []string{scTmp, kcTmp, scData} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// Every address is set: the defaults (:8080, :9440, :9090, /data) would leave loopback.
	sc, err := c.start("source-controller", filepath.Join(bin, "source-controller"), append([]string{
		"--storage-path=" + scData,
		"--storage-addr=" + addr(ports[0]), "--storage-adv-addr=" + addr(ports[0]),
		"--metrics-addr=" + addr(ports[1]), "--health-addr=" + addr(ports[2]),
	}, common...), append(env, "TMPDIR="+scTmp))
	if err != nil {
		return err
	}
	// The multi-tenancy lockdown Flux documents: no cross-namespace source references, no
	// remote bases, and a Kustomization that names no service account is applied as its
	// namespace's default one. --requeue-dependency is shortened from 30s so that a tenant waiting for
	// the platform Kustomization does not slow the tests down.
	kc, err := c.start("kustomize-controller", filepath.Join(bin, "kustomize-controller"), append([]string{
		"--metrics-addr=" + addr(ports[3]), "--health-addr=" + addr(ports[4]),
		"--no-cross-namespace-refs=true", "--no-remote-bases=true", "--default-service-account=default", "--requeue-dependency=2s",
	}, common...), append(env, "TMPDIR="+kcTmp))
	if err != nil {
		return err
	}
	if err := waitFor(sc, 60*time.Second, "source-controller ready", func() bool {
		return httpOK(http.DefaultClient, "http://"+addr(ports[2])+"/readyz")
	}); err != nil {
		return err
	}
	return waitFor(kc, 60*time.Second, "kustomize-controller ready", func() bool {
		return httpOK(http.DefaultClient, "http://"+addr(ports[4])+"/readyz")
	})
}

func (c *Cluster) start(name, bin string, args, env []string) (*process, error) {
	p, err := startProcess(c.Dir, name, bin, args, env)
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, p)
	return p, nil
}

// connect writes the admin kubeconfig and makes the clients.
func (c *Cluster) connect(p *pki) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["e2e"] = &clientcmdapi.Cluster{Server: c.Host, CertificateAuthorityData: p.CAPEM}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: p.AdminCertPEM, ClientKeyData: p.AdminKeyPEM}
	cfg.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "admin"}
	cfg.CurrentContext = "e2e"
	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, c.Kubeconfig); err != nil {
		return err
	}
	rc, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
	if err != nil {
		return err
	}
	rc.QPS, rc.Burst = 100, 200
	c.Config = rc
	if c.Client, err = kubernetes.NewForConfig(rc); err != nil {
		return err
	}
	if c.Dynamic, err = dynamic.NewForConfig(rc); err != nil {
		return err
	}
	c.Mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.Client.Discovery()))
	return nil
}

// Stop stops every server, newest first. It is safe to call more than once.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		t0 := time.Now()
		for i := len(c.procs) - 1; i >= 0; i-- {
			c.procs[i].stop(15 * time.Second)
		}
		if c.logf != nil && len(c.procs) > 0 {
			c.logf("e2e: cluster stopped in %s", time.Since(t0).Round(time.Millisecond))
		}
	})
}

// Logs returns the end of each server's log, for a failing test's report.
func (c *Cluster) Logs(n int) string {
	var b strings.Builder
	for _, p := range c.procs {
		fmt.Fprintf(&b, "----- %s (%s) -----\n%s\n", p.name, p.logPath, p.logTail(n))
	}
	return b.String()
}

// Log returns the whole log of one server ("kustomize-controller", ...).
func (c *Cluster) Log(name string) string {
	for _, p := range c.procs {
		if p.name == name {
			return p.logTail(1 << 30)
		}
	}
	return ""
}

// CreateNamespace creates a namespace, unless it exists.
func (c *Cluster) CreateNamespace(ctx context.Context, name string) error {
	_, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// InstallCRDs applies the CRDs in files and waits until each is established.
func (c *Cluster) InstallCRDs(ctx context.Context, files ...string) error {
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		objs, err := DecodeYAML(data)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		for _, o := range objs {
			if o.GetKind() != "CustomResourceDefinition" {
				continue
			}
			if err := c.Apply(ctx, o); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			names = append(names, o.GetName())
		}
	}
	return c.waitEstablished(ctx, names)
}

// ApplyCRDs applies CustomResourceDefinitions and waits until each is established.
func (c *Cluster) ApplyCRDs(ctx context.Context, crds []*unstructured.Unstructured) error {
	return c.applyCRDs(ctx, FieldManager, crds)
}

func (c *Cluster) applyCRDs(ctx context.Context, manager string, crds []*unstructured.Unstructured) error {
	var names []string
	for _, o := range crds {
		if err := c.ApplyAs(ctx, manager, o); err != nil {
			return err
		}
		names = append(names, o.GetName())
	}
	return c.waitEstablished(ctx, names)
}

// waitEstablished waits until each CRD named is established, then forgets what the
// mapper knew.
func (c *Cluster) waitEstablished(ctx context.Context, names []string) error {
	for _, n := range names {
		err := c.Eventually(ctx, 60*time.Second, "CRD "+n+" established", func() (bool, error) {
			u, err := c.Dynamic.Resource(crdResource).Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			for _, ci := range conds {
				m, _ := ci.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return err
		}
	}
	c.Mapper.Reset()
	return nil
}

// Eventually polls cond every 200ms until it is true, returns an error, or timeout
// passes; the last reason it gave is in the error.
func (c *Cluster) Eventually(ctx context.Context, timeout time.Duration, what string, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		ok, err := cond()
		if ok && err == nil {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("%s: not after %s: %w", what, timeout, last)
			}
			return fmt.Errorf("%s: not after %s", what, timeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func httpOK(client *http.Client, url string) bool {
	resp, err := client.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// fluxControllerAccount is kustomize-controller's service account as Flux installs it.
const fluxControllerAccount = `apiVersion: v1
kind: ServiceAccount
metadata: {name: kustomize-controller, namespace: flux-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cluster-reconciler-flux-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: kustomize-controller, namespace: flux-system}]
`
