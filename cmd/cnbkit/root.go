package main

import (
	"errors"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
)

// commands are the constructors of the subcommands, one per file. A new command adds its
// constructor here (or calls registerCommand from an init function in its own file).
var commands = []func(*globalOptions) *cobra.Command{
	newPackageCmd,
	newInspectCmd,
	newVersionCmd,
	newDocsCmd,
}

// registerCommand adds a subcommand constructor; call it from an init function.
func registerCommand(f func(*globalOptions) *cobra.Command) { commands = append(commands, f) }

// globalOptions are the flags every command has, as pack has them.
type globalOptions struct {
	verbose    bool
	quiet      bool
	noColor    bool
	timestamps bool
	// now is the clock of --timestamps; nil means time.Now.
	now func() time.Time
}

func (g *globalOptions) check() error {
	if g.verbose && g.quiet {
		return errors.New("--verbose and --quiet contradict each other: give one of them")
	}
	return nil
}

// progress is where a command streams its progress: nowhere with --quiet, w when it is a
// terminal or with --verbose, each line stamped with the time with --timestamps.
func (g *globalOptions) progress(w io.Writer, terminal bool) io.Writer {
	if g.quiet || (!terminal && !g.verbose) {
		return nil
	}
	if g.timestamps {
		now := g.now
		if now == nil {
			now = time.Now
		}
		return &stampWriter{w: w, now: now, start: true}
	}
	return w
}

// color reports whether output to a terminal may use colour: not with --no-color or NO_COLOR
// (https://no-color.org), nor when the output is not a terminal.
func (g *globalOptions) color(terminal bool) bool {
	return terminal && !g.noColor && os.Getenv("NO_COLOR") == ""
}

// stampWriter starts every line with the time it began, as pack --timestamps does.
type stampWriter struct {
	w     io.Writer
	now   func() time.Time
	start bool // the next byte starts a line
}

func (s *stampWriter) Write(p []byte) (int, error) {
	var out []byte
	for _, b := range p {
		if s.start {
			out = append(out, s.now().UTC().Format("2006/01/02 15:04:05.000000 ")...)
			s.start = false
		}
		out = append(out, b)
		if b == '\n' {
			s.start = true
		}
	}
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

func newRootCmd() *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "cnbkit",
		Short: "Build, package and inspect Cloud Native Buildpacks",
		Long: `cnbkit is a toolkit for Cloud Native Buildpack authors.

It creates buildpack projects on the cnbkit SDK (new) and packages buildpacks into
buildpackages (.cnb files, OCI layouts or registry images) that pack, kpack and the
lifecycle read, with no Docker daemon, reproducibly and for several targets at once.`,
		Version:           versionLine(),
		SilenceUsage:      true,
		SilenceErrors:     true,
		DisableAutoGenTag: true,
		PersistentPreRunE: func(*cobra.Command, []string) error { return g.check() },
	}
	// --version prints exactly what `cnbkit version` prints.
	root.SetVersionTemplate("{{.Version}}\n")
	f := root.PersistentFlags()
	f.BoolVarP(&g.verbose, "verbose", "v", false, "show more output: progress even when the output is not a terminal")
	f.BoolVarP(&g.quiet, "quiet", "q", false, "show less output: nothing but errors and requested results (--json)")
	f.BoolVar(&g.noColor, "no-color", false, "disable colour in the output (also when NO_COLOR is set)")
	f.BoolVar(&g.timestamps, "timestamps", false, "start every progress line with the time")
	for _, c := range commands {
		root.AddCommand(c(g))
	}
	return root
}
