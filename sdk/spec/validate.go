package spec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// SupportedAPIs are the Buildpack API versions cnbkit reads and writes, oldest first.
var SupportedAPIs = []string{"0.7", "0.8", "0.9", "0.10", "0.11", "0.12"}

var idPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9./-]*$`)

// reservedIDs may not be used as buildpack IDs: the lifecycle uses them as directory names.
var reservedIDs = map[string]bool{"app": true, "config": true, "sbom": true}

// MaxNameLength is the longest buildpack ID and version cnbkit accepts, in bytes. Neither
// specification sets a limit, but both become folder names: /cnb/buildpacks/<id with / as
// _>/<version> in builders and buildpackages, /layers/<id> during builds. A tar header in
// the USTAR format, which every reader accepts without extensions, stores a name of at most
// 100 bytes after the last '/' it splits on, and a folder name of at most 100 bytes is far
// from the 255 that Linux file systems allow. Longer names need PAX headers that some
// readers mishandle, and past 255 bytes the lifecycle cannot create the folder at all.
const MaxNameLength = 100

// ValidateID checks a buildpack ID: letters, digits, '.', '/' and '-', not a reserved word,
// at most MaxNameLength bytes.
func ValidateID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("buildpack id is empty: set [buildpack] id, e.g. \"my-org/my-buildpack\"")
	case len(id) > MaxNameLength:
		return fmt.Errorf("buildpack id %q... is %d bytes long: use at most %d (it becomes a folder name in builders and images)", id[:32], len(id), MaxNameLength)
	case reservedIDs[id]:
		return fmt.Errorf("buildpack id %q is reserved by the lifecycle: choose another id", id)
	case !idPattern.MatchString(id) || strings.Contains(id, "//") || strings.HasSuffix(id, "/"):
		return fmt.Errorf("buildpack id %q is invalid: use letters, digits, '.', '/' and '-', e.g. \"my-org/my-buildpack\"", id)
	}
	return nil
}

var semverPattern = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// ValidateVersion checks a buildpack version. Builders and registries compare versions as
// semantic versions, so cnbkit requires MAJOR.MINOR.PATCH with optional pre-release and build.
func ValidateVersion(v string) error {
	if v == "" {
		return fmt.Errorf("version is empty: set a semantic version such as \"1.0.0\"")
	}
	if len(v) > MaxNameLength {
		return fmt.Errorf("version %q... is %d bytes long: use at most %d (it becomes a folder name in builders and images)", v[:32], len(v), MaxNameLength)
	}
	if !semverPattern.MatchString(v) {
		return fmt.Errorf("version %q is not a semantic version: use MAJOR.MINOR.PATCH, e.g. \"1.2.3\"", v)
	}
	return nil
}

// ValidateAPI checks that api is a Buildpack API version cnbkit supports.
func ValidateAPI(api string) error {
	for _, s := range SupportedAPIs {
		if s == api {
			return nil
		}
	}
	if api == "" {
		return fmt.Errorf("api is empty: set api = %q at the top of buildpack.toml", LatestAPI())
	}
	return fmt.Errorf("buildpack API %q is not supported: use one of %s", api, strings.Join(SupportedAPIs, ", "))
}

// LatestAPI is the newest Buildpack API cnbkit supports.
func LatestAPI() string { return SupportedAPIs[len(SupportedAPIs)-1] }

// CompareAPI compares two "MAJOR.MINOR" API versions numerically; it returns -1, 0 or 1.
// Malformed parts compare as zero.
func CompareAPI(a, b string) int { return cmpAPI(a, b) }

func cmpAPI(a, b string) int {
	pa, pb := apiParts(a), apiParts(b)
	for i := 0; i < 2; i++ {
		if pa[i] != pb[i] {
			if pa[i] < pb[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func apiParts(s string) [2]int {
	var p [2]int
	major, minor, _ := strings.Cut(s, ".")
	p[0], _ = strconv.Atoi(major)
	p[1], _ = strconv.Atoi(minor)
	return p
}

// ExecEnvAPI is the first Buildpack API with execution environments (CNB_EXEC_ENV, process and
// buildpack exec-env lists).
const ExecEnvAPI = "0.12"

// DefaultExecEnv is the execution environment a buildpack assumes when CNB_EXEC_ENV is unset
// (Buildpack API 0.12).
const DefaultExecEnv = "production"

// AnyExecEnv in an exec-env list means every execution environment.
const AnyExecEnv = "*"

// ValidateExecEnv checks one execution environment name as used in CNB_EXEC_ENV and in exec-env
// lists: not empty, no white space, and no '/' (the spec reserves it).
func ValidateExecEnv(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("execution environment name is empty: use a name such as %q, \"test\" or \"development\"", DefaultExecEnv)
	case strings.Contains(name, "/"):
		return fmt.Errorf("execution environment %q contains '/', which the Buildpack API reserves: use a name such as %q", name, DefaultExecEnv)
	case strings.IndexFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		return fmt.Errorf("execution environment %q contains white space or control characters: use a name such as %q", name, DefaultExecEnv)
	}
	return nil
}

// duplicateTargets reports [[targets]] entries that repeat an earlier one.
func duplicateTargets(targets []Target) []error {
	var errs []error
	seen := map[string]int{}
	for i, t := range targets {
		k := t.String()
		if j, dup := seen[k]; dup {
			errs = append(errs, fmt.Errorf("targets[%d] repeats targets[%d] (%s): remove one of them", i, j, k))
			continue
		}
		seen[k] = i
	}
	return errs
}
