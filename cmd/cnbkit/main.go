// Command cnbkit is the command line of cnbkit: it packages buildpacks (package), reads
// buildpackages back (inspect) and prints its version. See docs/cli for every command.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/cnbkit/cnbkit/packager"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go watchSignals(sigs, cancel, os.Stderr, os.Exit)
	err := newRootCmd().ExecuteContext(ctx)
	signal.Stop(sigs)
	if err != nil {
		var ie *interruptedError
		if errors.As(context.Cause(ctx), &ie) {
			fmt.Fprintf(os.Stderr, "Interrupted (%s): cnbkit stopped before finishing and removed its temporary files.\n", ie.name())
			os.Exit(ie.exitCode())
		}
		fmt.Fprint(os.Stderr, renderError(err))
		os.Exit(1)
	}
}

// renderError is the one place errors are shown to users: validation problems as a
// numbered list, anything else on one line.
func renderError(err error) string {
	var verr *packager.ValidationError
	if errors.As(err, &verr) && len(verr.Problems) > 1 {
		var b strings.Builder
		fmt.Fprintf(&b, "Error: the buildpack cannot be packaged, %d problems:\n", len(verr.Problems))
		for i, p := range verr.Problems {
			fmt.Fprintf(&b, "  %d. %s\n", i+1, p)
		}
		b.WriteString("Nothing was written. Fix these and run the command again.\n")
		return b.String()
	}
	return "Error: " + err.Error() + "\n"
}
