package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlc-gitops/mlc/compiler/diff"
	"github.com/mlc-gitops/mlc/compiler/livediff"
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
	live       bool
	kube       kubeFlags
	selection
}

func newDiffCommand() *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "diff [DIR]",
		Short: "Show which Kubernetes objects change between two revisions, or against a live cluster",
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

With --live, the base is not a revision but the cluster that --cluster names, as the
kubeconfig context (--kubeconfig, --context) reaches it. The objects the working tree
renders for that cluster go through Flux's own apply (the library kustomize-controller
applies with) as a server-side dry run: each Kustomization's objects with Flux's field
manager and labels, in Flux's stages (CRDs and Namespaces first, so that what needs them
shows as added), compared with the live objects, as 'flux diff kustomization' does.
Objects in the inventory of a Kustomization mlc wires that the working tree no longer
renders show as removed when Flux would prune them (they still carry its labels and are
not marked prune: disabled). Secret values are masked. The API server checks what
offline validation cannot (immutable fields, admission, installed CRDs): objects it
refuses are shown instead of a diff, at their declaration, with exit code 1. A context
whose Flux follows another cluster's artifacts is refused.

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
  mlc diff deploy/ml --base origin/main

  # What would Flux change in the prod cluster if this working tree were pushed?
  mlc diff --live --cluster prod --context prod-admin`,
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
	cmd.Flags().BoolVar(&f.live, "live", false, "compare with the objects in the cluster --cluster names (server-side dry run) instead of a base revision")
	cmd.Flags().StringVar(&f.kube.kubeconfig, "kubeconfig", "", "with --live: kubeconfig file (default: $KUBECONFIG, or ~/.kube/config)")
	cmd.Flags().StringVar(&f.kube.context, "context", "", "with --live: kubeconfig context (default: the current one)")
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
	var rep *diff.Report
	if f.live {
		rep, err = livePreview(cmd, dir, f)
	} else {
		rep, err = diff.Preview(cmd.Context(), diff.Options{
			Dir: dir, Base: f.base, Head: f.head, Clusters: f.clusters, Tenants: f.tenants,
		})
	}
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
	case rep.Head.State == diff.Invalid || rep.Head.State == diff.Rejected:
		return errInvalid
	case f.exitCode && rep.Totals.Total() > 0:
		return errChanged
	}
	return nil
}

// livePreview compares the working tree with the cluster that --cluster names.
func livePreview(cmd *cobra.Command, dir string, f diffFlags) (*diff.Report, error) {
	switch {
	case len(f.clusters) == 0:
		return nil, errors.New("--live compares with one cluster: name it with --cluster (the repository's name for the cluster the kubeconfig context reaches)")
	case len(f.clusters) > 1:
		return nil, fmt.Errorf("--live compares with one cluster at a time; --cluster names %d (%s)", len(f.clusters), strings.Join(f.clusters, ", "))
	case cmd.Flags().Changed("base") || cmd.Flags().Changed("head"):
		return nil, errors.New("--live compares the working tree with the cluster: --base and --head do not apply")
	}
	return livediff.Preview(cmd.Context(), livediff.Options{
		Dir: dir, Cluster: f.clusters[0], Tenants: f.tenants, Connect: f.kube.config,
	})
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
