package main

import (
	"github.com/spf13/cobra"
)

// commands are the constructors of the subcommands, one per file. A new command adds its
// constructor here (or calls registerCommand from an init function in its own file).
var commands = []func() *cobra.Command{
	newPackageCmd,
	newInspectCmd,
	newVersionCmd,
	newDocsCmd,
}

// registerCommand adds a subcommand constructor; call it from an init function.
func registerCommand(f func() *cobra.Command) { commands = append(commands, f) }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "cnbkit",
		Short: "Build, package and inspect Cloud Native Buildpacks",
		Long: `cnbkit is a toolkit for Cloud Native Buildpack authors.

It packages buildpacks into buildpackages (.cnb files, OCI layouts or registry images)
that pack, kpack and the lifecycle read, with no Docker daemon, reproducibly and for
several targets at once.`,
		Version:           cliVersion(),
		SilenceUsage:      true,
		SilenceErrors:     true,
		DisableAutoGenTag: true,
	}
	for _, c := range commands {
		root.AddCommand(c())
	}
	return root
}
