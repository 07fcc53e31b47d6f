package main

import (
	"github.com/spf13/cobra"

	"github.com/mlc-gitops/mlc/compiler"
)

// selection is the --cluster and --tenant flags that commands share.
type selection struct {
	clusters []string
	tenants  []string
}

func (s *selection) register(cmd *cobra.Command, verb string) {
	cmd.Flags().StringSliceVar(&s.clusters, "cluster", nil, verb+" only the tenants these clusters run (repeat or comma-separate)")
	cmd.Flags().StringSliceVar(&s.tenants, "tenant", nil, verb+" only these tenants (repeat or comma-separate)")
}

func (s selection) options() compiler.Options {
	return compiler.Options{Clusters: s.clusters, Tenants: s.tenants}
}

// repoArg returns the repository directory a command works on: its argument, or the
// current directory.
func repoArg(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return "."
}

// completeDirs offers directories for a repository argument.
func completeDirs(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveFilterDirs
}
