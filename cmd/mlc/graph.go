package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/graph"
)

type graphFlags struct {
	format string
	dir    string
	tenant string
}

func newGraphCommand() *cobra.Command {
	var f graphFlags
	cmd := &cobra.Command{
		Use:   "graph pipeline NAME [DIR]",
		Short: "Draw a pipeline's tasks as Mermaid or DOT",
		Long: `graph compiles the repository (DIR, or the current directory) and draws the pipeline
NAME as Kubeflow Pipelines will run it: its tasks, an arrow for each output one task passes
to another (dashed where a task only waits for another), and its conditions, loops and exit
handler as subgraphs.`,
		Example: `  # Mermaid, for a Markdown file or a pull-request comment
  mlc graph pipeline nightly --tenant vision

  # Graphviz, for the repository in ./platform
  mlc graph pipeline nightly ./platform --tenant vision --format dot | dot -Tsvg > nightly.svg`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 || len(args) > 3 || args[0] != "pipeline" {
				return fmt.Errorf("usage: mlc graph pipeline NAME [DIR]")
			}
			if len(args) == 3 && cmd.Flags().Changed("repo") {
				return fmt.Errorf("give the repository either as DIR or with --repo, not both")
			}
			return nil
		},
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			switch len(args) {
			case 0:
				return []string{"pipeline"}, cobra.ShellCompDirectiveNoFileComp
			case 2:
				return nil, cobra.ShellCompDirectiveFilterDirs
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 3 {
				f.dir = args[2]
			}
			return runGraph(cmd, args[1], f)
		},
	}
	cmd.Flags().StringVar(&f.format, "format", "mermaid", "output format: "+strings.Join(graph.Formats, ", "))
	// --repo DIR is how graph took the repository before it became an argument, as in
	// every other command.
	cmd.Flags().StringVar(&f.dir, "repo", ".", "the platform repository")
	_ = cmd.Flags().MarkDeprecated("repo", "give the repository as the last argument: mlc graph pipeline NAME DIR")
	cmd.Flags().StringVar(&f.tenant, "tenant", "", "the tenant that declares the pipeline (needed when several do)")
	return cmd
}

func runGraph(cmd *cobra.Command, name string, f graphFlags) error {
	if !slices.Contains(graph.Formats, f.format) {
		return fmt.Errorf("unknown format %q (have %s)", f.format, strings.Join(graph.Formats, ", "))
	}
	opts := compiler.Options{}
	if f.tenant != "" {
		opts.Tenants = []string{f.tenant}
	}
	res, err := compiler.Compile(cmd.Context(), f.dir, opts)
	if err != nil {
		return err
	}
	if res.Diagnostics.HasErrors() {
		_ = diag.Write(cmd.ErrOrStderr(), "text", fromWorkingDir(f.dir, res.Diagnostics))
		return errInvalid
	}
	specs := map[string]map[string]any{}
	for _, c := range res.Clusters {
		for _, t := range c.Tenants {
			if spec := graph.PipelineSpec(t.Workloads, name); spec != nil {
				specs[t.Name] = spec
			}
		}
	}
	switch len(specs) {
	case 0:
		return fmt.Errorf("no pipeline %q in the repository", name)
	case 1:
	default:
		return fmt.Errorf("several tenants declare pipeline %q: choose one with --tenant", name)
	}
	for _, spec := range specs {
		g := graph.FromSpec(spec)
		if f.format == "dot" {
			fmt.Fprint(cmd.OutOrStdout(), graph.DOT(g))
		} else {
			fmt.Fprint(cmd.OutOrStdout(), graph.Mermaid(g))
		}
	}
	return nil
}
