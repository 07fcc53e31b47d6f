// Command mlc compiles a platform repository of CUE declarations (tenants, notebooks, ...)
// into the Kubernetes objects Kubeflow's controllers accept.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"

	"github.com/spf13/cobra"
)

// Exit codes, the same for every command.
const (
	exitOK      = 0
	exitInvalid = 1 // the repository is wrong
	exitUsage   = 2 // the command line or the environment is wrong
)

// errInvalid marks a run that found problems in the repository and already reported them.
var errInvalid = errors.New("the repository has errors")

func main() {
	stopProfile := profileCPU(os.Getenv("MLC_CPUPROFILE"))
	stopTrace := traceRun(os.Getenv("MLC_TRACE"))
	stopAllocs := profileAllocs(os.Getenv("MLC_MEMPROFILE"))
	code := run(os.Args[1:], os.Stdout, os.Stderr)
	stopAllocs()
	stopTrace()
	stopProfile()
	os.Exit(code)
}

// profileCPU writes a CPU profile of the whole run to file, for `go tool pprof`, when
// file is not empty (MLC_CPUPROFILE, for developers of mlc).
func profileCPU(file string) (stop func()) {
	if file == "" {
		return func() {}
	}
	f, err := os.Create(file)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mlc: MLC_CPUPROFILE:", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// traceRun writes an execution trace of the whole run to file, for `go tool trace`, when
// file is not empty (MLC_TRACE, for developers of mlc): where a short run's wall time
// goes, which a CPU profile does not show.
func traceRun(file string) (stop func()) {
	if file == "" {
		return func() {}
	}
	f, err := os.Create(file)
	if err == nil {
		err = trace.Start(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mlc: MLC_TRACE:", err)
		return func() {}
	}
	return func() {
		trace.Stop()
		f.Close()
	}
}

// profileAllocs writes a profile of the run's allocations to file, for `go tool pprof
// -sample_index=alloc_space`, when file is not empty (MLC_MEMPROFILE, for developers of
// mlc). In a short run, memory first touched costs a page fault each 4 KiB.
func profileAllocs(file string) (stop func()) {
	if file == "" {
		return func() {}
	}
	runtime.MemProfileRate = 4096
	return func() {
		runtime.GC() // the profile is as of the last collection
		f, err := os.Create(file)
		if err == nil {
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "mlc: MLC_MEMPROFILE:", err)
		}
	}
}

// run runs mlc with args and returns its exit code.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errInvalid):
		return exitInvalid
	default:
		fmt.Fprintln(root.ErrOrStderr(), "mlc:", err)
		return exitUsage
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "mlc",
		Short: "Compile ML platform declarations in CUE into Kubeflow objects, for GitOps",
		Long: `mlc compiles a platform repository — tenants, notebooks and more, declared in CUE —
into the Kubernetes objects that Kubeflow's controllers accept, checked against the
upstream API schemas, as a deterministic tree that Flux or kustomize applies.

Exit codes: 0 ok, 1 the repository has errors, 2 usage or environment.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newInitCommand(), newVetCommand(), newRenderCommand(), newPushCommand(), newVersionCommand())
	root.AddCommand(newDiffCommand())
	root.AddCommand(newStatusCommand())
	root.AddCommand(newGraphCommand())
	return root
}
