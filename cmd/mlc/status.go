package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlc-gitops/mlc/compiler/status"
)

type statusFlags struct {
	kube     kubeFlags
	cluster  string
	tenants  []string
	wait     bool
	timeout  time.Duration
	interval time.Duration
	pushed   string
	insecure bool
	output   string
}

func newStatusCommand() *cobra.Command {
	var f statusFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show how far Flux has applied the pushed artifacts in a cluster",
		Long: `status reads, from the cluster of the kubeconfig's context, the rollout of what
'mlc push' published: for the platform, each unit of its Kubeflow and each tenant the revision applied, the
Kustomization's Ready condition and reason, the last error, and the health of the
tenant's workloads (notebooks, inference services, jobs) read from their status, judged
the way Flux judges them.

With --wait it follows the rollout until every tenant has applied the pushed digest and
is healthy: the digests 'mlc push' printed (--pushed FILE), or else the digest each
tag points at in the registry now. It exits 0 when done, and 1 with the failing tenants
and their errors when --timeout passes first (or at once, for a stalled Kustomization).
Without --wait it exits 1 when any tenant is not applied, ready and healthy.

Exit codes: 0 done, 1 some tenant is not, 2 usage, or no cluster or no Flux to read.`,
		Example: `  # After the push, in CI: wait until the cluster runs it
  mlc push --cluster prod oci://registry.example.com/ml-platform | tee /tmp/pushed.txt
  mlc status --context prod --cluster prod --wait --timeout 10m --pushed /tmp/pushed.txt

  # What the current context's cluster runs now
  mlc status

  # One tenant, as JSON
  mlc status --tenant vision -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runStatus(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kube.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, or ~/.kube/config)")
	fl.StringVar(&f.kube.context, "context", "", "kubeconfig context (default: the current one)")
	fl.StringVar(&f.cluster, "cluster", "", "the mlc cluster the context should be: refuse a cluster whose Flux follows another's artifacts, and keep only its lines of --pushed")
	fl.StringSliceVar(&f.tenants, "tenant", nil, "only these tenants (repeat or comma-separate)")
	fl.BoolVar(&f.wait, "wait", false, "wait until the pushed digests are applied everywhere and healthy")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Minute, "how long --wait waits")
	fl.DurationVar(&f.interval, "interval", 2*time.Second, "how often --wait reads the cluster")
	fl.StringVar(&f.pushed, "pushed", "", "file with what 'mlc push' printed ('-' for stdin): the digests to wait for")
	fl.BoolVar(&f.insecure, "insecure", false, "read tags over plain HTTP from a registry that is not on loopback")
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	return cmd
}

func runStatus(cmd *cobra.Command, f statusFlags) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	write := status.WriteText
	switch f.output {
	case "text":
	case "json":
		write = status.WriteJSON
	default:
		return fmt.Errorf("--output %q: use text or json", f.output)
	}
	var exp status.Expected
	if f.pushed != "" {
		var in io.Reader = cmd.InOrStdin()
		if f.pushed != "-" {
			file, err := os.Open(f.pushed)
			if err != nil {
				return err
			}
			defer file.Close()
			in = file
		}
		var err error
		if exp, err = status.ParsePushed(in); err != nil {
			return fmt.Errorf("--pushed: %w", err)
		}
		if f.cluster != "" {
			exp = exp.ForCluster(f.cluster)
		}
		if len(exp) == 0 {
			return fmt.Errorf("--pushed %s names no artifact of this cluster", f.pushed)
		}
	}

	cfg, _, err := f.kube.config()
	if err != nil {
		return err
	}
	reader, err := status.NewReader(cfg)
	if err != nil {
		return err
	}

	var rep *status.Report
	var problems []status.Problem
	if f.wait {
		waitCtx, cancel := context.WithTimeout(ctx, f.timeout)
		defer cancel()
		start := time.Now()
		opts := status.WaitOptions{
			Only:     f.tenants,
			Expected: exp,
			Resolver: &status.Resolver{Insecure: f.insecure},
			Interval: f.interval,
			Progress: func(rep *status.Report, ps []status.Problem) {
				if f.cluster != "" && rep.CheckCluster(f.cluster) != nil {
					return
				}
				elapsed := time.Since(start).Round(time.Second)
				if len(ps) == 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "[%s] every tenant is applied and healthy\n", elapsed)
				}
				for _, p := range ps {
					fmt.Fprintf(cmd.ErrOrStderr(), "[%s] %s\n", elapsed, p)
				}
			},
		}
		rep, problems, err = reader.Wait(waitCtx, opts)
	} else {
		var also []string
		if exp != nil {
			also = exp.Tenants(f.cluster)
		}
		rep, err = reader.Read(ctx, also, f.tenants)
		if err == nil {
			problems = rep.Problems(exp)
		}
	}
	if err != nil {
		return err
	}
	if f.cluster != "" {
		if err := rep.CheckCluster(f.cluster); err != nil {
			return err
		}
	}
	if err := write(cmd.OutOrStdout(), rep, problems); err != nil {
		return err
	}
	if len(problems) > 0 {
		tenants := map[string]bool{}
		for _, p := range problems {
			tenants[p.Tenant] = true
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "mlc: not applied and healthy: %s\n", strings.Join(slices.Sorted(maps.Keys(tenants)), ", "))
		return errInvalid
	}
	return nil
}
