package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlc-gitops/mlc/compiler/diff"
)

// errChanged marks a diff that found changes under --exit-code: exit 1, nothing more
// to print.
var errChanged = fmt.Errorf("the rendered objects change: %w", errInvalid)

// colorModes are the values of --color.
var colorModes = []string{"auto", "always", "never"}

type diffFlags struct {
	base, head string
	format     string
	color      string
	exitCode   bool
	selection
}

func newDiffCommand() *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "diff [DIR]",
		Short: "Show which Kubernetes objects change between two revisions",
		Long: `diff compiles two revisions of the repository (DIR, or the current directory) and
compares their objects per cluster by identity (API group, kind, namespace, name): which
are added, removed or changed and, for a changed one, which fields, by path. Lists of
named items (containers, env, volumes, ...) are matched by name; key order and
formatting never count as changes.

The base is --base (default HEAD); the head is --head, or by default the working tree
as it is on disk. Revisions are read straight from git into a temporary directory: the
working tree, the index and the checked-out branch are not touched. DIR may be a
subdirectory of the git repository.

The summary comes first, then the changes reviewers must see (objects that hold data
deleted, GPU and quota changes, canary traffic and models, contributors and roles,
images), then every change. --format markdown writes a pull-request comment that stays under GitHub's
size limit; --format json a stable document for machines (schema ` + diff.Schema + `).

When the head does not compile, its problems are shown instead of a diff and the exit
code is 1. When the base does not compile, that is said and every object of the head
is shown as added.

Exit codes: 0 done (changes or not); 1 the head has errors, or with --exit-code there
are changes; 2 usage or environment (not a git repository, an unknown revision).`,
		Example: `  # What do my uncommitted edits change? (working tree against HEAD, in colour)
  mlc diff

  # In CI on a pull request: a Markdown comment against the target branch
  # (fetch the history first: actions/checkout with fetch-depth: 0, or GIT_DEPTH: 0)
  mlc diff --base origin/main --format markdown > mlc-diff.md

  # Only what this branch changes, though main has moved on since it forked
  mlc diff --base "$(git merge-base origin/main HEAD)"

  # Fail when anything changes, like git diff --exit-code
  mlc diff --base origin/main --exit-code

  # Two commits, one cluster and tenant, for a script
  mlc diff --base v1.4.0 --head HEAD --cluster prod --tenant vision --format json

  # The platform repository is a subdirectory of the git repository
  mlc diff deploy/ml --base origin/main`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeDirs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd, repoArg(args), f)
		},
	}
	cmd.Flags().StringVar(&f.base, "base", "HEAD", "the revision to compare against: a branch, tag, commit or expression (origin/main, HEAD~1)")
	cmd.Flags().StringVar(&f.head, "head", "", "the revision to compare (default: the working tree)")
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: "+strings.Join(diff.Formats, ", "))
	cmd.Flags().StringVar(&f.color, "color", "auto", "colour the text format: auto (on a terminal, unless NO_COLOR is set), always, never")
	cmd.Flags().BoolVar(&f.exitCode, "exit-code", false, "exit 1 when the rendered objects change")
	f.register(cmd, "compare")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(diff.Formats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("color", cobra.FixedCompletions(colorModes, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runDiff(cmd *cobra.Command, dir string, f diffFlags) error {
	if err := diff.CheckFormat(f.format); err != nil {
		return err
	}
	color, err := useColor(f.color, cmd.OutOrStdout())
	if err != nil {
		return err
	}
	rep, err := diff.Preview(cmd.Context(), diff.Options{
		Dir: dir, Base: f.base, Head: f.head, Clusters: f.clusters, Tenants: f.tenants,
	})
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	switch f.format {
	case "markdown":
		err = diff.WriteMarkdown(out, rep, diff.MarkdownLimit)
	case "json":
		err = diff.WriteJSON(out, rep)
	default:
		err = diff.WriteText(out, rep, color)
	}
	switch {
	case err != nil:
		return err
	case rep.Head.State == diff.Invalid:
		return errInvalid
	case f.exitCode && rep.Totals.Total() > 0:
		return errChanged
	}
	return nil
}

// useColor decides whether the text goes out in colour: always, never, or (auto) when w
// is a terminal and neither NO_COLOR (https://no-color.org) nor TERM=dumb says otherwise.
func useColor(mode string, w io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
			return false, nil
		}
		f, ok := w.(*os.File)
		if !ok {
			return false, nil
		}
		st, err := f.Stat()
		return err == nil && st.Mode()&os.ModeCharDevice != 0, nil
	}
	return false, fmt.Errorf("unknown --color %q (want one of %s)", mode, strings.Join(colorModes, ", "))
}
