package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/diag"
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

// fromWorkingDir rewrites diagnostics' file names, which are relative to the repository,
// to be relative to the current directory, so that editors and CI annotations (GitHub's
// are relative to the workspace) find the files when the repository is a subdirectory.
func fromWorkingDir(repo string, l diag.List) diag.List {
	abs, err := filepath.Abs(repo)
	if err != nil {
		return l
	}
	wd, err := os.Getwd()
	if err != nil {
		return l
	}
	rewrite := func(pos *diag.Position) {
		if pos.File != "" {
			p := filepath.Join(abs, filepath.FromSlash(pos.File))
			if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
				p = rel
			}
			pos.File = filepath.ToSlash(p)
		}
	}
	out := make(diag.List, len(l))
	for i, d := range l {
		rewrite(&d.Pos)
		d.Notes = slices.Clone(d.Notes)
		for j := range d.Notes {
			rewrite(&d.Notes[j].Pos)
		}
		out[i] = d
	}
	return out
}

// plural writes a count and a noun: "1 cluster", "2 clusters".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
