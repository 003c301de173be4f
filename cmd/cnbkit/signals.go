package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"
)

// interruptedError is the cause of the cancellation that a signal starts.
type interruptedError struct{ sig os.Signal }

func (e *interruptedError) Error() string { return "interrupted by " + e.name() }

func (e *interruptedError) name() string {
	if e.sig == os.Interrupt {
		return "SIGINT"
	}
	if e.sig == syscall.SIGTERM {
		return "SIGTERM"
	}
	return e.sig.String()
}

// exitCode is 128 + the signal number, as shells report a command a signal stopped.
func (e *interruptedError) exitCode() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// watchSignals cancels the command on the first SIGINT or SIGTERM: every copy and read
// watches the context, so the command returns promptly and removes its temporary files.
// A second signal exits at once; the next run removes the temporary folders left.
func watchSignals(sigs <-chan os.Signal, cancel context.CancelCauseFunc, stderr io.Writer, exit func(int)) {
	first, ok := <-sigs
	if !ok {
		return
	}
	ie := &interruptedError{sig: first}
	fmt.Fprintf(stderr, "\n%s: stopping and cleaning up (press Ctrl-C again to stop at once)\n", ie.name())
	cancel(ie)
	second, ok := <-sigs
	if !ok {
		return
	}
	again := &interruptedError{sig: second}
	fmt.Fprintf(stderr, "%s again: stopped at once; the next cnbkit package removes the temporary files left\n", again.name())
	exit(again.exitCode())
}
