package sdk

import (
	"errors"
	"fmt"
	"strings"
)

// Error is a failure meant for the person running the build: a short title, the detail that
// was found (echo the offending value back), and what to do about it. Main renders it once,
// at the end, with the same layout for every buildpack. Wrap it freely: the runner finds it
// with errors.As.
type Error struct {
	Title  string   // what went wrong, e.g. "Unsupported Python version"
	Detail string   // what was found, e.g. `BP_PYTHON_VERSION is "2.7"; this buildpack installs 3.10 to 3.13`
	Fixes  []string // what the user can do, one action each
	Cause  error    // the underlying error, if any

	context string // set when rendering a wrapped error
	// found is an error already shown in Detail: reachable with errors.As, not printed again.
	found error
}

// Error returns the title, detail and cause on one line.
func (e *Error) Error() string {
	parts := []string{strings.ToLower(e.Title)}
	if e.Detail != "" {
		parts = append(parts, e.Detail)
	}
	if e.Cause != nil {
		parts = append(parts, e.Cause.Error())
	}
	// A detail may span lines for display; an error string stays on one.
	return strings.ReplaceAll(strings.Join(parts, ": "), "\n", "; ")
}

// Unwrap returns the cause, or the error the detail was made from.
func (e *Error) Unwrap() error {
	if e.Cause != nil {
		return e.Cause
	}
	return e.found
}

// Errorf builds an *Error with a title and a formatted detail.
func Errorf(title, detailFormat string, args ...any) *Error {
	return &Error{Title: title, Detail: fmt.Sprintf(detailFormat, args...)}
}

// WithFixes returns e with fixes appended, for chaining on Errorf.
func (e *Error) WithFixes(fixes ...string) *Error {
	e.Fixes = append(e.Fixes, fixes...)
	return e
}

// WithCause returns e with its cause set, for chaining on Errorf.
func (e *Error) WithCause(err error) *Error {
	e.Cause = err
	return e
}

// renderError writes err for the user. An *Error anywhere in the chain gives the title, detail
// and fixes; any other error is shown as an unexpected failure with its message.
func renderError(w *Logger, err error) {
	var ue *Error
	if !errors.As(err, &ue) {
		ue = &Error{
			Title:  "The buildpack failed unexpectedly",
			Detail: err.Error(),
			Fixes:  []string{"If this looks like a bug in the buildpack, report it to its authors together with this output."},
		}
	} else if err != ue {
		// The error was wrapped: show the wrapping context ("installing cpython: ...") once.
		msg := err.Error()
		if ctx, ok := strings.CutSuffix(msg, ": "+ue.Error()); ok {
			msg = ctx
		}
		ue = &Error{Title: ue.Title, Detail: ue.Detail, Fixes: ue.Fixes, Cause: ue.Cause, context: msg, found: ue.found}
	}
	w.errorBlock(ue)
}
