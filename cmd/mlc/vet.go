package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/diag"
)

type vetFlags struct {
	format string
	cache  cacheFlag
	selection
}

func newVetCommand() *cobra.Command {
	var f vetFlags
	cmd := &cobra.Command{
		Use:   "vet [DIR]",
		Short: "Check a platform repository and report every problem at its file and line",
		Long: `vet evaluates the repository (DIR, or the current directory) and runs every check that
render runs — CUE schemas, names, images, policy, quota, and the compiled objects against
the upstream API schemas — without writing anything.`,
		Example: `  # Check the repository in the current directory
  mlc vet

  # In GitHub Actions: show problems as annotations on the pull request's lines
  mlc vet --format github

  # Machine-readable
  mlc vet ./platform --format json`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeDirs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVet(cmd, repoArg(args), f)
		},
	}
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: "+strings.Join(diag.Formats, ", "))
	f.register(cmd, "check")
	f.cache.register(cmd)
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(diag.Formats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runVet(cmd *cobra.Command, dir string, f vetFlags) error {
	if err := diag.CheckFormat(f.format); err != nil {
		return err
	}
	defer tuneGC()() // the compiled objects are kept as YAML: the live heap is small
	opts := f.cache.apply(f.options())
	res, err := compiler.Compile(cmd.Context(), dir, opts)
	if err != nil {
		return err
	}
	if err := diag.Write(cmd.OutOrStdout(), f.format, fromWorkingDir(dir, res.Diagnostics)); err != nil {
		return err
	}
	if res.Diagnostics.HasErrors() {
		return errInvalid
	}
	if f.format == "text" {
		objects, kubeflow := 0, 0
		for _, c := range res.Clusters {
			for _, t := range c.Tenants {
				objects += len(t.Platform) + len(t.Workloads)
			}
			if c.Kubeflow != nil {
				for _, u := range c.Kubeflow.Units {
					kubeflow += len(u.Objects)
				}
			}
		}
		installs := ""
		if kubeflow > 0 {
			installs = ", and " + plural(kubeflow, "object") + " installing Kubeflow"
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "ok: %s, %s%s\n", plural(len(res.Clusters), "cluster"), plural(objects, "object"), installs)
	}
	return nil
}
