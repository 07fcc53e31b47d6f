// Command e2e-cluster runs the end-to-end tests' cluster until it is told to stop: etcd,
// kube-apiserver with the upstream and Flux CRDs and Kubeflow's user roles,
// kube-controller-manager, Flux's source-controller and kustomize-controller, and an OCI
// registry, all on 127.0.0.1, and the stand-ins for what an installation runs as pods
// (webhooks, their CA and endpoints, readiness), when the machine has an address for
// them. hack/e2e.sh up starts it; hack/e2e.sh down stops it (SIGTERM).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/mlc-gitops/mlc/internal/e2etest"
)

func main() {
	dir := flag.String("dir", "", "folder for the cluster's data, certificates and logs; the env file is written there once it is up")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	if err := run(*dir); err != nil {
		log.Fatal(err)
	}
}

func run(dir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	crds, err := e2etest.UpstreamCRDs()
	if err != nil {
		return err
	}
	c, err := e2etest.Start(ctx, e2etest.Options{Dir: dir, CRDs: crds, Flux: true, Logf: log.Printf})
	if err != nil {
		return err
	}
	defer c.Stop()
	if err := c.InstallKubeflowRoles(ctx); err != nil {
		return err
	}
	standIns, err := c.StartStandIns(ctx)
	switch {
	case errors.Is(err, e2etest.ErrNoHostAddress):
		log.Printf("no stand-ins: %v", err)
	case err != nil:
		return err
	default:
		defer standIns.Stop()
	}
	reg := e2etest.StartRegistry()
	defer reg.Close()
	env := fmt.Sprintf("export KUBECONFIG=%s\nexport MLC_E2E_REGISTRY=%s\n", c.Kubeconfig, reg.Host)
	tmp := filepath.Join(dir, ".env.tmp")
	if err := os.WriteFile(tmp, []byte(env), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, "env")); err != nil {
		return err
	}
	log.Printf("up: API server %s, registry %s", c.Host, reg.Host)
	<-ctx.Done()
	log.Print("stopping")
	return nil
}
