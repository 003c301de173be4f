package gocmd

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
)

// ErrNotFound is the error of Path when there is no go command.
var ErrNotFound = errors.New("the go command is not on PATH and $GOROOT/bin has none: install Go or put it on PATH")

// Path returns the go command to run: the one on PATH (go test puts the Go that runs the
// tests first on it), else $GOROOT/bin/go. It returns ErrNotFound when neither exists.
func Path() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := exec.LookPath(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNotFound
}
