// Command cnbkit is the command line of cnbkit: it packages buildpacks (package), reads
// buildpackages back (inspect) and prints its version. See docs/cli for every command.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"

	"github.com/cnbkit/cnbkit/internal/terminal"
	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go watchSignals(sigs, cancel, os.Stderr, os.Exit)
	root := newRootCmd()
	err := root.ExecuteContext(ctx)
	signal.Stop(sigs)
	if err != nil {
		var ie *interruptedError
		if errors.As(context.Cause(ctx), &ie) {
			fmt.Fprintf(os.Stderr, "Interrupted (%s): cnbkit stopped before finishing and removed its temporary files.\n", ie.name())
			os.Exit(ie.exitCode())
		}
		noColor, _ := root.PersistentFlags().GetBool("no-color")
		g := globalOptions{noColor: noColor}
		fmt.Fprint(os.Stderr, colorError(renderError(err), g.color(terminal.Is(os.Stderr))))
		os.Exit(1)
	}
}

// colorError shows the leading "Error:" in bold red on a terminal that allows colour.
func colorError(text string, color bool) string {
	if rest, ok := strings.CutPrefix(text, "Error:"); ok && color {
		return "\x1b[1;31mError:\x1b[0m" + rest
	}
	return text
}

// renderError is the one place errors are shown to users: validation problems as a
// numbered list, a designed error (*sdk.Error: a dependency download, ...) with its fixes,
// anything else on one line. The library's option names become flag names (flagText).
func renderError(err error) string {
	var verr *packager.ValidationError
	if errors.As(err, &verr) && len(verr.Problems) > 1 {
		var b strings.Builder
		fmt.Fprintf(&b, "Error: the buildpack cannot be packaged, %d problems:\n", len(verr.Problems))
		for i, p := range verr.Problems {
			fmt.Fprintf(&b, "  %d. %s\n", i+1, flagText(p.Error()))
		}
		b.WriteString("Nothing was written. Fix these and run the command again.\n")
		return b.String()
	}
	var ce *packager.CompileError
	if errors.As(err, &ce) {
		var b strings.Builder
		fmt.Fprintf(&b, "Error: the Go buildpack in %s (%s) does not compile for %s (%v):\n%s\n", ce.Dir, ce.Package, ce.Target, ce.Err, ce.Output)
		if ce.MissingGoSum() {
			fmt.Fprintf(&b, "go.sum lacks entries the build needs: run go mod tidy in %s, then package again.\n", ce.Dir)
		}
		return b.String()
	}
	var ue *sdk.Error
	if errors.As(err, &ue) {
		var b strings.Builder
		fmt.Fprintf(&b, "Error: %s\n", ue.Title)
		detail := ue.Detail
		if ctx, ok := strings.CutSuffix(err.Error(), ": "+ue.Error()); ok && ctx != "" {
			detail = ctx + ": " + detail
		}
		if detail != "" {
			fmt.Fprintf(&b, "%s\n", detail)
		}
		if ue.Cause != nil {
			fmt.Fprintf(&b, "Cause: %v\n", ue.Cause)
		}
		for i, fix := range ue.Fixes {
			fmt.Fprintf(&b, "  %d. %s\n", i+1, fix)
		}
		return b.String()
	}
	return "Error: " + flagText(err.Error()) + "\n"
}

// flagNames are the flags of the packager's options: its messages name options as Go
// expressions (Options.IncludeDependencies, FormatLayout), and this is the one place the
// command line translates them.
var flagNames = map[string]string{
	"Options.Path":                "--path",
	"Options.Config":              "--config",
	"Options.Targets":             "--target",
	"Options.Exclude":             "--exclude",
	"Options.Include":             "--include",
	"Options.IncludeDependencies": "--include-dependencies",
	"Options.DependencyFilter":    "--dependency-filter",
	"Options.Inventory":           "--dependencies",
	"Options.InventoryMode":       "--dependencies-mode",
	"Options.Verifier":            "--verify-key",
	"RegistryOptions.Retry":       "--retries",
	"SinkOptions.Format":          "--format",
	"SinkOptions.MultiArch":       "--multi-arch-file",
	"SignOptions.Signer":          "--sign-key",
	"FormatFile":                  "--format file",
	"FormatLayout":                "--format layout",
	"FormatFolder":                "--format folder",
	"FormatImage":                 "--publish",
}

// optionNames matches what flagNames translates.
var optionNames = regexp.MustCompile(`\b(?:(?:Options|RegistryOptions|SinkOptions|SignOptions)\.[A-Z]\w*|Format(?:File|Layout|Image|Folder))\b`)

// flagText is s with the packager's option names replaced by their flags.
func flagText(s string) string {
	return optionNames.ReplaceAllStringFunc(s, func(name string) string {
		if f, ok := flagNames[name]; ok {
			return f
		}
		return name
	})
}
