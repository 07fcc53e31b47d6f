// Command synth writes a synthetic platform repository for benchmarks, and optionally
// the same platform as one plain CUE package for the cue command:
//
//	go run ./compiler/synth/cmd/synth -tenants 1000 -workloads 10 -o /tmp/repo -plain /tmp/plain
//	go run ./compiler/synth/cmd/synth -notebooks 100000 -o /tmp/large    # one tenant
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/mlc-gitops/mlc/compiler/synth"
)

func main() {
	tenants := flag.Int("tenants", 100, "how many tenants")
	workloads := flag.Int("workloads", 10, "workloads per tenant, dealt to every kind in turn")
	out := flag.String("o", "", "write the platform repository here (required)")
	plain := flag.String("plain", "", "also write the platform as one plain CUE package here")
	notebooks := flag.Int("notebooks", 0, "instead, one tenant with this many notebooks")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	s := synth.ForWorkloads(*tenants, *workloads)
	if *notebooks > 0 {
		s = synth.OneTenant(*notebooks)
	}
	if err := synth.Write(*out, s); err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
	if *plain != "" {
		if err := synth.WritePlain(*plain, s); err != nil {
			fmt.Fprintln(os.Stderr, "synth:", err)
			os.Exit(1)
		}
	}
}
