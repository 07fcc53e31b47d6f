package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlc-gitops/mlc/compiler/scaffold"
)

type initFlags struct {
	module      string
	owner       string
	schemasOnly bool
}

func newInitCommand() *cobra.Command {
	var f initFlags
	cmd := &cobra.Command{
		Use:   "init DIR",
		Short: "Create a platform repository: cue.mod, platform.cue and an example tenant",
		Long: `init creates a platform repository in DIR (made if needed): a CUE module, platform.cue
with one cluster, and tenants/example/ with a tenant and a notebook. It also copies mlc's
schemas under cue.mod/gen so editors and plain 'cue vet' check the files as mlc does.
It never overwrites a file.`,
		Example: `  mlc init my-platform --owner alice@example.com
  cd my-platform && mlc vet && mlc render -o -

  # After upgrading mlc, refresh the schema copy for editors
  mlc init . --schemas-only`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeDirs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInit(cmd, args[0], f)
		},
	}
	cmd.Flags().StringVar(&f.module, "module", "", `CUE module path (default "example.com/<DIR>@v0")`)
	cmd.Flags().StringVar(&f.owner, "owner", "owner@example.com", "owner of the example tenant")
	cmd.Flags().BoolVar(&f.schemasOnly, "schemas-only", false, "only refresh the schema copy under cue.mod/gen")
	return cmd
}

func runInit(cmd *cobra.Command, dir string, f initFlags) error {
	if f.module == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		f.module = "example.com/" + moduleElement(filepath.Base(abs)) + "@v0"
	}
	if !strings.Contains(f.owner, "@") || strings.ContainsAny(f.owner, " \t\"") {
		return fmt.Errorf("--owner %q is not an email address (the identity Kubeflow's authentication forwards)", f.owner)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files, err := scaffold.Write(dir, scaffold.Options{Module: f.module, Owner: f.owner, SchemasOnly: f.schemasOnly})
	if err != nil {
		return err
	}
	verb := "created"
	if f.schemasOnly {
		verb = "wrote"
	}
	for _, name := range files {
		fmt.Fprintln(cmd.OutOrStdout(), verb, filepath.Join(dir, filepath.FromSlash(name)))
	}
	if !f.schemasOnly {
		fmt.Fprintf(cmd.OutOrStdout(), "\nNext: cd %s && mlc vet && mlc render -o -\n", dir)
	}
	return nil
}

// moduleElement turns a directory name into a CUE module path element: lower case
// letters, digits, '-', '.' and '_'.
func moduleElement(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	if s := strings.Trim(b.String(), "-._"); s != "" {
		return s
	}
	return "platform"
}
