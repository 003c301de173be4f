package packager

import (
	"fmt"
	"strings"

	"github.com/cnbkit/cnbkit/packager/internal/compile"
	"github.com/cnbkit/cnbkit/packager/internal/source"
)

// ValidationError lists every problem found before anything was written.
type ValidationError struct {
	// Problems are the individual problems, each a complete sentence.
	Problems []error
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Error()
	}
	if len(parts) == 1 {
		return "the buildpack cannot be packaged: " + parts[0]
	}
	return fmt.Sprintf("the buildpack cannot be packaged, %d problems: %s", len(parts), strings.Join(parts, "; "))
}

// Unwrap returns the problems.
func (e *ValidationError) Unwrap() []error { return e.Problems }

// DigestError reports a blob of a .cnb file, an OCI layout or a registry image whose content
// does not match the digest, size or diff ID it is listed with: the package was altered or
// damaged after it was written. Inspect, Build and the writers return it (wrapped) as soon
// as the blob has been read; nothing built from it is written.
type DigestError = source.DigestError

// CompileError is a Go buildpack that did not compile: its Output field holds the go
// command's lines as printed, and MissingGoSum tells when `go mod tidy` fixes it.
type CompileError = compile.Error

// OptionError is an option the packager cannot use, found before anything is read or
// written. Option names it as a Go expression (Options.InventoryMode,
// RegistryOptions.Retry, SignOptions.Signer); Reason says what is wrong and what to do, and
// may name other options the same way.
type OptionError struct {
	Option string
	Reason string
}

func (e *OptionError) Error() string { return e.Option + " " + e.Reason }
