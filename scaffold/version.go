package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// DevelVersion is the version a generated go.mod requires when SDKReplace points it at a
// checkout: the placeholder `go mod edit -replace` writes, which the replace makes irrelevant.
const DevelVersion = "v0.0.0-00010101000000-000000000000"

// BuildSDKVersion returns the version of github.com/cnbkit/cnbkit that the running program was
// built from, as a go.mod can require it: the release tag of a binary installed with
// `go install …@vX.Y.Z`, or the pseudo-version of the commit for a build of a clean VCS
// checkout made with -buildvcs=true. ok is false for a development build: "(devel)", a
// modified checkout ("+dirty"), or a replaced module; no module proxy serves those.
func BuildSDKVersion() (version string, ok bool) {
	info, found := debug.ReadBuildInfo()
	if !found {
		return "", false
	}
	return sdkVersionOf(info)
}

func sdkVersionOf(info *debug.BuildInfo) (string, bool) {
	if v := moduleVersion(info.Main); v != "" {
		return v, true
	}
	for _, m := range info.Deps {
		if v := moduleVersion(*m); v != "" {
			return v, true
		}
	}
	return "", false
}

func moduleVersion(m debug.Module) string {
	if m.Path != SDKModule || m.Replace != nil {
		return ""
	}
	// "+dirty" (a modified checkout) and other build metadata cannot be required in a go.mod.
	if !RequirableVersion(m.Version) {
		return ""
	}
	return m.Version
}

// RequirableVersion reports whether a go.mod can require the SDK at version v: a canonical
// semantic version (a release tag or a pseudo-version) without build metadata such as "+dirty".
func RequirableVersion(v string) bool {
	return semver.Canonical(v) == v && !strings.Contains(v, "+") && module.Check(SDKModule, v) == nil
}

// NotACheckoutError says that a folder given as the SDK's checkout is not one.
type NotACheckoutError struct {
	Dir    string
	Reason string
}

func (e *NotACheckoutError) Error() string {
	return fmt.Sprintf("%s is not a cnbkit checkout: %s", e.Dir, e.Reason)
}

// CheckCheckout reports whether dir is a checkout of cnbkit: a folder whose go.mod declares
// module github.com/cnbkit/cnbkit. The error is a *NotACheckoutError saying what was found.
func CheckCheckout(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, serr := os.Stat(dir); serr != nil {
			return &NotACheckoutError{Dir: dir, Reason: "the folder does not exist"}
		}
		return &NotACheckoutError{Dir: dir, Reason: "it has no go.mod"}
	case err != nil:
		return &NotACheckoutError{Dir: dir, Reason: err.Error()}
	}
	if got := modfile.ModulePath(data); got != SDKModule {
		if got == "" {
			return &NotACheckoutError{Dir: dir, Reason: "its go.mod declares no module"}
		}
		return &NotACheckoutError{Dir: dir, Reason: fmt.Sprintf("its go.mod declares module %s, not %s", got, SDKModule)}
	}
	return nil
}

// FindCheckout returns the cnbkit checkout that holds dir (dir itself or a parent), if any.
func FindCheckout(dir string) (string, bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	for d := abs; ; d = filepath.Dir(d) {
		if CheckCheckout(d) == nil {
			return d, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// ReplacePath is what a go.mod in project writes to reach checkout: a path relative to the
// project folder ("../cnbkit") when checkout was given relative to the working directory,
// the absolute path when it was given absolute. Both may be relative to the working directory.
func ReplacePath(project, checkout string) (string, error) {
	if filepath.IsAbs(checkout) {
		return filepath.Clean(checkout), nil
	}
	p, err := filepath.Abs(project)
	if err != nil {
		return "", err
	}
	c, err := filepath.Abs(checkout)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(p, c)
	if err != nil {
		return "", err
	}
	rel = filepath.ToSlash(rel)
	// go.mod reads a replacement as a local path only when it starts with ./ or ../.
	if !strings.HasPrefix(rel, "../") && rel != ".." {
		rel = "./" + rel
	}
	return rel, nil
}
