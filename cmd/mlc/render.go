package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/trace"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/cache"
	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/emit"
	"github.com/mlc-gitops/mlc/internal/dirlock"
)

type renderFlags struct {
	output string
	quiet  bool
	stats  bool
	cache  cacheFlag
	selection
}

// cacheFlag is --no-cache, for the commands that compile the repository.
type cacheFlag struct{ off bool }

func (c *cacheFlag) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&c.off, "no-cache", false, "compile every tenant afresh, neither reading nor writing the cache of compiled tenants")
}

// apply sets the flag in o.
func (c cacheFlag) apply(o compiler.Options) compiler.Options {
	o.NoCache = c.off
	return o
}

func newRenderCommand() *cobra.Command {
	var f renderFlags
	cmd := &cobra.Command{
		Use:   "render [DIR]",
		Short: "Compile a platform repository into Kubernetes manifests",
		Long: `render compiles the repository (DIR, or the current directory) and writes the objects:
with -o DIR, as a tree with one folder per cluster and tenant and a kustomization.yaml
in each (so 'kustomize build DIR/<cluster>' gives the same objects); with -o -, as one
YAML stream on standard output.

The tree replaces the one in the output directory whole, every cluster in one committed
step: if mlc is killed, the next render into that directory first finishes or undoes
the interrupted swap, so it holds the whole old tree or the whole new one, with nothing
staged left over. Two renders into one directory take turns: the second says it waits,
and waits (where the system has flock: not on Windows). Files in the output directory
that mlc did not write are kept; the files it wrote before are replaced. Over a tree it
wrote before, mlc compares the files and rebuilds only the folder that holds what
changed (unchanged files are linked, not written again). As git does, a file is known
unchanged by the size, times and inode recorded when mlc last compared it (kept in the
cache, not in the output directory), and read when any of these differs; with
--no-cache every file is read. The same input always gives the same bytes.

Nothing is written when the repository has errors: they are reported as by 'mlc vet'.

Compiled tenants are cached (in $MLC_CACHE_DIR, or mlc/render in the user's cache
directory), keyed by a hash of the tenant's files, the platform files, the selected
clusters and the mlc build: a tenant none of these changed for is not evaluated again
(nor are its files read, when their stat is the one recorded), and the output is
the same bytes. A tenant evaluated again validates only the objects that changed since
it was last cached. --no-cache compiles every tenant afresh. --stats prints each
tenant's time, object count and whether it came from the cache, slowest first, on
standard error.`,
		Example: `  # Print every object as one YAML stream
  mlc render -o -

  # Write the tree for Flux or kustomize
  mlc render examples/quickstart -o out/

  # One cluster, one tenant
  mlc render -o - --cluster prod --tenant vision

  # Which tenants make the render slow? (cold, without the cache)
  mlc render -o out/ --no-cache --stats 2>&1 >/dev/null | head`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeDirs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRender(cmd, repoArg(args), f)
		},
	}
	cmd.Flags().StringVarP(&f.output, "output", "o", "", `where to write: a directory, or "-" for standard output (required)`)
	f.register(cmd, "render")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "do not explain where serving endpoints send their traffic")
	f.cache.register(cmd)
	cmd.Flags().BoolVar(&f.stats, "stats", false, "print each tenant's time and object count, slowest first, on standard error")
	_ = cmd.MarkFlagRequired("output")
	_ = cmd.MarkFlagDirname("output")
	return cmd
}

func runRender(cmd *cobra.Command, dir string, f renderFlags) error {
	var lock *dirlock.Lock
	defer func() {
		if lock != nil {
			_ = lock.Release()
		}
	}()
	if f.output != "-" {
		if err := checkOutputDir(dir, f.output); err != nil {
			return err
		}
		// An existing output directory is locked before anything looks at it; a new one
		// once it is made, to write.
		var err error
		if lock, err = lockOutput(cmd, f.output, false); err != nil {
			return err
		}
	}
	defer tuneGC()()
	opts := f.cache.apply(f.options())
	var writeOpts []emit.WriteOption
	if f.output != "-" && !opts.NoCache {
		if p, err := treeIndexPath(opts.CacheDir, f.output); err == nil {
			writeOpts = append(writeOpts, emit.WithIndex(p))
		}
	}
	res, err := compiler.Compile(cmd.Context(), dir, opts)
	if err != nil {
		return err
	}
	if f.stats {
		if err := res.Stats.Write(cmd.ErrOrStderr()); err != nil {
			return err
		}
	}
	if err := diag.Write(cmd.ErrOrStderr(), "text", fromWorkingDir(dir, res.Diagnostics)); err != nil {
		return err
	}
	if res.Diagnostics.HasErrors() {
		return errInvalid
	}
	printNotes(cmd, res, f.quiet)
	region := trace.StartRegion(cmd.Context(), "build")
	tree, err := emit.Build(res)
	region.End()
	if err != nil {
		return err
	}
	if f.output == "-" {
		return tree.WriteStream(cmd.OutOrStdout())
	}
	defer trace.StartRegion(cmd.Context(), "write").End()
	if lock == nil {
		if lock, err = lockOutput(cmd, f.output, true); err != nil {
			return err
		}
	}
	if err := tree.WriteDir(f.output, writeOpts...); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s for %s to %s\n", plural(len(tree.Files), "file"), plural(len(tree.Clusters()), "cluster"), f.output)
	return nil
}

// lockOutput takes the lock of the output directory out, so that two renders into it
// take turns and never mix their trees, saying so when it waits; then it brings out back
// to one whole tree if a render was killed while writing it (emit.Recover). An out that
// does not exist is made when create is set; else, as when out is not a directory, no
// lock is taken (nil).
func lockOutput(cmd *cobra.Command, out string, create bool) (*dirlock.Lock, error) {
	st, err := os.Stat(out)
	switch {
	case err == nil && st.IsDir():
	case errors.Is(err, fs.ErrNotExist) && create:
		if err := os.MkdirAll(out, 0o755); err != nil {
			return nil, err
		}
	default:
		return nil, nil // WriteDir says what is wrong, if it comes to that
	}
	lock, err := dirlock.Acquire(out, func(holder int) {
		pid := ""
		if holder > 0 {
			pid = fmt.Sprintf(" (pid %d)", holder)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "waiting for another mlc render into %s%s\n", out, pid)
	})
	if err != nil {
		return nil, err
	}
	if err := emit.Recover(out); err != nil {
		_ = lock.Release()
		return nil, err
	}
	return lock, nil
}

// treeIndexPath is where the stat index of the output directory out lives: in the cache
// (cacheDir, or cache.Dir()), under trees/, named by the SHA-256 of out's absolute path
// with its symlinks resolved. It is kept and aged out like the cache's entries.
func treeIndexPath(cacheDir, out string) (string, error) {
	if cacheDir == "" {
		var err error
		if cacheDir, err = cache.Dir(); err != nil {
			return "", err
		}
	}
	abs, err := resolvedPath(out)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(cacheDir, "trees", hex.EncodeToString(sum[:])), nil
}

// resolvedPath returns p absolute, with the symlinks of its longest existing part
// resolved: an output directory has the same name before it is created and after.
func resolvedPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for dir := abs; ; dir = filepath.Dir(dir) {
		if resolved, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(resolved, rest), nil
		}
		if filepath.Dir(dir) == dir {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

// printNotes explains, on standard error, what the objects will do that their YAML does not
// say plainly: one line per serving endpoint on where its traffic goes.
func printNotes(cmd *cobra.Command, res *compiler.Result, quiet bool) {
	if quiet {
		return
	}
	seen := map[string]bool{}
	for _, c := range res.Clusters {
		for _, t := range c.Tenants {
			for _, n := range t.Notes {
				if !seen[n] {
					seen[n] = true
					fmt.Fprintln(cmd.ErrOrStderr(), "traffic:", n)
				}
			}
		}
	}
}

// checkOutputDir refuses an output directory that holds the repository: rendering there
// would mix the manifests with the sources.
func checkOutputDir(repo, out string) error {
	repoAbs, err := filepath.Abs(repo)
	if err != nil {
		return err
	}
	outAbs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(outAbs); err == nil {
		outAbs = real
	}
	if real, err := filepath.EvalSymlinks(repoAbs); err == nil {
		repoAbs = real
	}
	if repoAbs == outAbs || strings.HasPrefix(repoAbs, outAbs+string(filepath.Separator)) {
		return fmt.Errorf("-o %s holds the repository itself; choose an output directory inside or beside it", out)
	}
	return nil
}
