package main

import (
	"github.com/spf13/cobra"
)

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
