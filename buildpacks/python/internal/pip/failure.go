package pip

import (
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Failure is the kind of failure pip's output shows.
type Failure string

const (
	// FailureUnknown is a failure none of the others matches.
	FailureUnknown Failure = "unknown"
	// FailureHashMismatch: a downloaded file does not have the hash the requirements pin.
	FailureHashMismatch Failure = "hash-mismatch"
	// FailureHashesMissing: hash-checking mode is on and a requirement has no hash.
	FailureHashesMissing Failure = "hashes-missing"
	// FailureNotFound: no file of the project (or of the requested version) was found.
	FailureNotFound Failure = "not-found"
	// FailureWrongPython: the project's Requires-Python excludes the build's Python.
	FailureWrongPython Failure = "wrong-python"
	// FailureBuild: pip had to build the project from source and that failed.
	FailureBuild Failure = "build"
	// FailureNetwork: pip could not reach an index or a link.
	FailureNetwork Failure = "network"
	// FailureAuth: the index refused pip (401, 403).
	FailureAuth Failure = "auth"
	// FailureInvalid: a requirement pip cannot parse.
	FailureInvalid Failure = "invalid-requirement"
	// FailureConflict: the requirements cannot all be satisfied together.
	FailureConflict Failure = "conflict"
)

// Diagnosis is what went wrong in a failed pip run, read from its output.
type Diagnosis struct {
	Kind Failure
	// Project is the distribution pip names, e.g. "pydantic-core"; "" when it names none.
	Project string
	// Message is pip's own error line ("ERROR: ..."), or the last line of its output.
	Message string
}

var (
	hashMismatchRE  = regexp.MustCompile(`THESE PACKAGES DO NOT MATCH THE HASHES[^\n]*\n\s*([A-Za-z0-9][A-Za-z0-9._-]*)`)
	hashesMissingRE = regexp.MustCompile(`Hashes are required in --require-hashes mode|In --require-hashes mode, all requirements must have their versions pinned`)
	invalidRE       = regexp.MustCompile(`Invalid requirement: '([^']*)'`)
	wrongPythonRE   = regexp.MustCompile(`Package '([^']+)' requires a different Python`)
	ignoredPythonRE = regexp.MustCompile(`Ignored the following versions that require a different python version`)
	networkRE       = regexp.MustCompile(`NewConnectionError|Failed to establish a new connection|Name or service not known|Temporary failure in name resolution|Could not fetch URL|ConnectTimeoutError|Read timed out|is not a trusted or secure host|SSLError|CERTIFICATE_VERIFY_FAILED`)
	authRE          = regexp.MustCompile(`\b(401|403) Client Error|HTTP error (401|403)|\b401 Error|User for [^ ]+:`)
	buildRE         = regexp.MustCompile(`Failed building wheel for ([A-Za-z0-9._-]+)|Failed to build ([A-Za-z0-9._-]+)|Could not build wheels for ([A-Za-z0-9._-]+)|metadata-generation-failed|subprocess-exited-with-error`)
	conflictRE      = regexp.MustCompile(`ResolutionImpossible|conflicting dependencies|Cannot install [^\n]* because`)
	notFoundRE      = regexp.MustCompile(`No matching distribution found for ([A-Za-z0-9][A-Za-z0-9._-]*)`)
)

// failurePatterns are the failures pip's output shows, checked in this order; names says
// the pattern's groups name the project.
var failurePatterns = []struct {
	kind  Failure
	re    *regexp.Regexp
	names bool
}{
	{FailureHashMismatch, hashMismatchRE, true},
	{FailureHashesMissing, hashesMissingRE, false},
	{FailureInvalid, invalidRE, false},
	{FailureWrongPython, wrongPythonRE, true},
	{FailureAuth, authRE, false},
	{FailureNetwork, networkRE, false},
	{FailureBuild, buildRE, true},
	{FailureConflict, conflictRE, false},
	{FailureNotFound, notFoundRE, true},
}

// Diagnose reads pip's output and says what kind of failure it shows.
func Diagnose(output string) Diagnosis {
	d := Diagnosis{Kind: FailureUnknown, Message: errorLine(output)}
	for _, p := range failurePatterns {
		matches := p.re.FindAllStringSubmatch(output, -1)
		if matches == nil {
			continue
		}
		d.Kind = p.kind
		if p.names {
			d.Project = firstGroup(matches)
		}
		if p.kind == FailureNotFound && ignoredPythonRE.MatchString(output) {
			d.Kind = FailureWrongPython // pip skipped the versions for this Python
		}
		return d
	}
	return d
}

// firstGroup is the first group that matched, in any match.
func firstGroup(matches [][]string) string {
	for _, m := range matches {
		for _, s := range m[1:] {
			if s != "" {
				return s
			}
		}
	}
	return ""
}

// errorLine picks pip's own error line ("ERROR: ...") from its output, else the last line.
func errorLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); strings.HasPrefix(l, "ERROR:") {
			return l
		}
	}
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return l
	}
	return "no output (the full log is above)"
}

// WheelsFor lists the files in the wheel folder dir of app that belong to project (names
// compared as PEP 503 normalizes them), sorted.
func WheelsFor(app fs.FS, dir, project string) []string {
	entries, err := fs.ReadDir(app, dir)
	if err != nil {
		return nil
	}
	want := normalizeName(project)
	var out []string
	for _, e := range entries {
		name := e.Name()
		dist, _, ok := strings.Cut(name, "-")
		if ok && !e.IsDir() && normalizeName(dist) == want && (strings.HasSuffix(name, ".whl") || strings.HasSuffix(name, ".tar.gz") || strings.HasSuffix(name, ".zip")) {
			out = append(out, path.Join(dir, name))
		}
	}
	slices.Sort(out)
	return out
}
