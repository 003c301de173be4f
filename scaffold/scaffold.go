package scaffold

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"go/format"
	"go/token"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"unicode"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Template names accepted in Options.Template.
const (
	// TemplatePlain is a buildpack that detects a file in the app, builds a launch layer and
	// declares the app's process.
	TemplatePlain = "plain"
	// TemplateDependency is a buildpack that installs a tool listed in its buildpack.toml
	// [[metadata.dependencies]], for the build target, into a layer.
	TemplateDependency = "dependency"
)

// Template describes one project template.
type Template struct {
	Name        string
	Description string
}

// Templates lists the templates Generate knows, the default first.
func Templates() []Template {
	return []Template{
		{Name: TemplatePlain, Description: "detects a file in the app, builds a launch layer, declares a process"},
		{Name: TemplateDependency, Description: "installs a tool listed in buildpack.toml [[metadata.dependencies]] for the build target"},
	}
}

// MinAPI is the oldest Buildpack API a generated project may declare: the SDK runs buildpacks
// of this API and newer ones, which all support [[targets]].
const MinAPI = "0.10"

// Defaults for Options fields left empty.
const (
	DefaultVersion  = "0.1.0"
	DefaultTemplate = TemplatePlain
	// GoVersion is the go directive of generated go.mod files: the SDK's own.
	GoVersion = "1.26"
)

// DefaultTargets are the targets of a project whose Options.Targets is empty.
func DefaultTargets() []spec.Target {
	return []spec.Target{{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"}}
}

// Options say what to generate. Only ID is required; every other field has a default.
type Options struct {
	// ID is the buildpack ID, e.g. "my-org/my-buildpack".
	ID string
	// Name is the human-readable name; default: made from the last part of the ID ("My Buildpack").
	Name string
	// Version is the buildpack's semantic version; default DefaultVersion.
	Version string
	// API is the Buildpack API; default spec.LatestAPI(). MinAPI or newer.
	API string
	// Targets are the os/arch pairs the buildpack supports; default DefaultTargets().
	Targets []spec.Target
	// Template is TemplatePlain (default) or TemplateDependency.
	Template string
	// Module is the Go module path of the project; default: the ID.
	Module string
	// SDKVersion is the version of github.com/cnbkit/cnbkit the go.mod requires; default: the
	// version the running program was built from (BuildSDKVersion), else DevelVersion, which
	// needs SDKReplace (or a `go mod edit -replace` later).
	SDKVersion string
	// SDKReplace, when set, adds `replace github.com/cnbkit/cnbkit => <SDKReplace>` to go.mod:
	// the path of a local checkout of cnbkit, absolute or relative to the project folder
	// (see ReplacePath).
	SDKReplace string
}

// File is one generated file. Path is slash-separated and relative to the project folder.
type File struct {
	Path string
	Mode fs.FileMode
	Data []byte
}

// InvalidOptionsError reports every problem found in Options, before anything is generated.
type InvalidOptionsError struct {
	Problems []string
}

func (e *InvalidOptionsError) Error() string {
	return "cannot generate the buildpack project: " + strings.Join(e.Problems, "; ")
}

//go:embed all:templates
var templates embed.FS

// SDKModule is the module path of the cnbkit SDK.
const SDKModule = "github.com/cnbkit/cnbkit"

// Generate validates opts, fills in defaults and renders the project's files in memory, sorted
// by path. The same options always give the same files.
func Generate(ctx context.Context, opts Options) ([]File, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("generating project: %w", err)
	}
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	d := newData(opts)
	files := map[string]File{}
	for _, dir := range []string{"common", opts.Template} {
		if err := render(dir, d, files); err != nil {
			return nil, err
		}
	}
	for _, f := range d.extraFiles() {
		files[f.Path] = f
	}
	out := make([]File, 0, len(files))
	for _, f := range files {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	if err := check(out); err != nil {
		return nil, err
	}
	return out, nil
}

// withDefaults returns opts with empty fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Name == "" {
		o.Name = nameFromID(o.ID)
	}
	if o.Version == "" {
		o.Version = DefaultVersion
	}
	if o.API == "" {
		o.API = spec.LatestAPI()
	}
	if len(o.Targets) == 0 {
		o.Targets = DefaultTargets()
	}
	if o.Template == "" {
		o.Template = DefaultTemplate
	}
	if o.Module == "" {
		o.Module = o.ID
	}
	if o.SDKVersion == "" {
		o.SDKVersion = DevelVersion
		if v, ok := BuildSDKVersion(); ok && o.SDKReplace == "" {
			o.SDKVersion = v
		}
	}
	return o
}

var (
	modulePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~-]*(/[A-Za-z0-9._~-]+)*$`)
)

// Validate reports every problem of the options (after defaults are applied by Generate) in one
// *InvalidOptionsError, or nil.
func (o Options) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if err := spec.ValidateID(o.ID); err != nil {
		add("%v", err)
	}
	if strings.ContainsAny(o.Name, "\"\\\n\r\t") {
		add("name %q contains quotes, backslashes or control characters: use plain text", o.Name)
	}
	if err := spec.ValidateVersion(o.Version); err != nil {
		add("%v", err)
	}
	if err := spec.ValidateAPI(o.API); err != nil {
		add("%v", err)
	} else if spec.CompareAPI(o.API, MinAPI) < 0 {
		add("buildpack API %q is older than %s, the oldest the SDK runs: use one of %s", o.API, MinAPI, strings.Join(sdkAPIs(), ", "))
	}
	seen := map[string]bool{}
	for _, t := range o.Targets {
		if err := t.Validate(); err != nil {
			add("target %q: %v", t.String(), err)
			continue
		}
		if t.OS != "linux" || t.Arch == "" {
			add("target %q: generated projects build Linux buildpacks: give linux/<arch>, e.g. linux/amd64", t.String())
			continue
		}
		if len(t.Distros) > 0 {
			add("target %q: distros are not supported by cnbkit new: give os/arch[/variant] and add distros to buildpack.toml later", t.String())
			continue
		}
		if seen[t.String()] {
			add("target %q is listed twice: list each target once", t.String())
		}
		seen[t.String()] = true
	}
	if !knownTemplate(o.Template) {
		names := make([]string, 0, 2)
		for _, t := range Templates() {
			names = append(names, t.Name)
		}
		add("template %q is not known: use one of %s", o.Template, strings.Join(names, ", "))
	}
	// A module path defaulted from an invalid ID is not reported twice.
	idErr := spec.ValidateID(o.ID)
	if (o.Module != o.ID || idErr == nil) && !validModule(o.Module) {
		add("Go module path %q is invalid: use slash-separated letters, digits, '.', '-', '_' and '~', e.g. \"example.com/my-org/my-buildpack\"", o.Module)
	}
	if !RequirableVersion(o.SDKVersion) {
		add("SDK version %q is not a Go module version of %s: use a release tag such as v1.2.3 or a pseudo-version", o.SDKVersion, SDKModule)
	}
	if strings.ContainsAny(o.SDKReplace, "\"\n\r") {
		add("SDK replace path %q contains quotes or line breaks", o.SDKReplace)
	}
	if len(problems) > 0 {
		return &InvalidOptionsError{Problems: problems}
	}
	return nil
}

// validModule checks a Go module path: slash-separated elements of letters, digits and "-._~",
// none empty, none starting or ending with a dot.
func validModule(m string) bool {
	if !modulePattern.MatchString(m) {
		return false
	}
	for _, e := range strings.Split(m, "/") {
		if strings.HasPrefix(e, ".") || strings.HasSuffix(e, ".") {
			return false
		}
	}
	return true
}

func knownTemplate(name string) bool {
	for _, t := range Templates() {
		if t.Name == name {
			return true
		}
	}
	return false
}

// sdkAPIs lists the supported APIs from MinAPI on.
func sdkAPIs() []string {
	var out []string
	for _, a := range spec.SupportedAPIs {
		if spec.CompareAPI(a, MinAPI) >= 0 {
			out = append(out, a)
		}
	}
	return out
}

// DefaultName is the name of a project whose Options.Name is empty: the last part of the ID in
// words, "My Buildpack" for "my-org/my-buildpack".
func DefaultName(id string) string { return nameFromID(id) }

func nameFromID(id string) string {
	last := id[strings.LastIndex(id, "/")+1:]
	words := strings.FieldsFunc(last, func(r rune) bool { return r == '-' || r == '.' || r == '_' })
	for i, w := range words {
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		words[i] = string(r)
	}
	if len(words) == 0 {
		return "Buildpack"
	}
	return strings.Join(words, " ")
}

// render executes every template under templates/<dir> into files, keyed by output path
// (the template path without its ".tmpl" suffix).
func render(dir string, d data, files map[string]File) error {
	root := path.Join("templates", dir)
	return fs.WalkDir(templates, root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading template %s: %w", p, err)
		}
		if e.IsDir() {
			return nil
		}
		src, err := templates.ReadFile(p)
		if err != nil {
			return fmt.Errorf("reading template %s: %w", p, err)
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(p, root+"/"), ".tmpl")
		rel = strings.ReplaceAll(rel, "_dot_", ".")
		t, err := template.New(p).Delims("{%", "%}").Funcs(funcs).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return fmt.Errorf("parsing template %s: %w", p, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, d); err != nil {
			return fmt.Errorf("rendering template %s: %w", p, err)
		}
		out := buf.Bytes()
		if strings.HasSuffix(rel, ".go") {
			formatted, err := format.Source(out)
			if err != nil {
				return fmt.Errorf("formatting generated %s: %w", rel, err)
			}
			out = formatted
		}
		files[rel] = File{Path: rel, Mode: 0o644, Data: out}
		return nil
	})
}

var funcs = template.FuncMap{
	"packageCommand": packageCommand,
	"packageOutput":  packageOutput,
	"packageNote":    packageNote,
	"quote":          func(s string) string { return fmt.Sprintf("%q", s) },
	// modpath quotes a go.mod path when it holds white space.
	"modpath": func(s string) string {
		if strings.ContainsAny(s, " \t") {
			return fmt.Sprintf("%q", s)
		}
		return s
	},
}

// check parses the generated descriptors with the spec package: a template that renders an
// invalid buildpack.toml or package.toml is a bug caught here, before anything is written.
func check(files []File) error {
	for _, f := range files {
		var err error
		switch f.Path {
		case spec.BuildpackFile:
			err = parseValid(f.Data, spec.ParseBuildpack)
		case spec.PackageFile:
			err = parseValid(f.Data, spec.ParsePackage)
		}
		if err != nil {
			return fmt.Errorf("checking generated %s: %w", f.Path, err)
		}
	}
	return nil
}

// parseValid parses data with parse and validates the result.
func parseValid[T interface{ Validate() error }](data []byte, parse func([]byte) (T, error)) error {
	v, err := parse(data)
	if err != nil {
		return err
	}
	return v.Validate()
}

// data is what templates see.
type data struct {
	Options
	// Package is the Go package name of the buildpack's code (the project root).
	Package string
	// Slug is the last part of the ID, lower-case, e.g. "my-buildpack".
	Slug string
	// EnvPrefix starts the buildpack's configuration variables, e.g. "BP_MY_BUILDPACK".
	EnvPrefix string
	// Dependencies are the example inventory of the dependency template.
	Dependencies []exampleDependency
	// SDKModule and GoVersion are the constants of the same names.
	SDKModule, GoVersion string
	// Tool and ToolVersion name the example dependency; VersionFile is the app file asking for it.
	Tool, ToolVersion, VersionFile string
	// MissingArch is an architecture none of the targets has, for tests of a missing build.
	MissingArch string
}

func newData(o Options) data {
	slug := strings.ToLower(o.ID[strings.LastIndex(o.ID, "/")+1:])
	d := data{Options: o, Slug: slug, Package: packageName(slug), EnvPrefix: "BP_" + envWord(slug),
		SDKModule: SDKModule, GoVersion: GoVersion,
		Tool: ExampleToolID, ToolVersion: ExampleToolVersion, VersionFile: "." + ExampleToolID + "-version"}
	if o.Template == TemplateDependency {
		for _, t := range o.Targets {
			d.Dependencies = append(d.Dependencies, newExampleDependency(t))
		}
	}
	for _, arch := range []string{"s390x", "ppc64le", "riscv64", "386"} {
		used := false
		for _, t := range o.Targets {
			used = used || t.Arch == arch
		}
		if !used {
			d.MissingArch = arch
			break
		}
	}
	return d
}

// packageName makes a Go package name from the ID's last part: lower-case letters and digits.
func packageName(slug string) string {
	name := asciiWord(slug, unicode.ToLower, "")
	if name == "" || !unicode.IsLetter(rune(name[0])) {
		name = "bp" + name
	}
	if token.IsKeyword(name) || name == "main" {
		name += "bp"
	}
	return name
}

// envWord makes an environment variable word: upper-case letters and digits, '_' elsewhere.
func envWord(slug string) string {
	return strings.Trim(asciiWord(slug, unicode.ToUpper, "_"), "_")
}

// asciiWord keeps the ASCII letters and digits of slug, in the case cased gives them, and
// writes other for every other rune.
func asciiWord(slug string, cased func(rune) rune, other string) string {
	var b strings.Builder
	for _, r := range slug {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(cased(r))
		} else {
			b.WriteString(other)
		}
	}
	return b.String()
}

// ExampleTool is the tool the dependency template installs: an obvious example that the
// generated unit tests serve from testdata in place of its download URI.
const (
	ExampleToolID      = "example-tool"
	ExampleToolVersion = "1.0.0"
)

// exampleDependency is one [[metadata.dependencies]] entry of the dependency template, with the
// testdata file whose checksum it carries.
type exampleDependency struct {
	Target   spec.Target
	Platform string // os-arch[-variant]
	File     string // testdata path in the generated project
	URI      string
	Checksum string // sha256:<hex> of Content
	Content  []byte
}

func newExampleDependency(t spec.Target) exampleDependency {
	platform := t.OS + "-" + t.Arch
	if t.Variant != "" {
		platform += "-" + t.Variant
	}
	content := fmt.Sprintf(`#!/bin/sh
# An example program standing in for the tool your buildpack installs. The unit tests serve
# this file in place of the example.com download URI listed in buildpack.toml, whose checksum is
# this file's sha256. Replace both with your tool's real downloads.
echo "%s %s (%s)"
`, ExampleToolID, ExampleToolVersion, t.String())
	sum := sha256.Sum256([]byte(content))
	return exampleDependency{
		Target:   t,
		Platform: platform,
		File:     "testdata/dependencies/" + platform + "/" + ExampleToolID,
		URI:      fmt.Sprintf("https://example.com/downloads/%s/%s/%s/%s", ExampleToolID, ExampleToolVersion, platform, ExampleToolID),
		Checksum: "sha256:" + hex.EncodeToString(sum[:]),
		Content:  []byte(content),
	}
}

// extraFiles are generated files that are not templates.
func (d data) extraFiles() []File {
	var out []File
	for _, dep := range d.Dependencies {
		out = append(out, File{Path: dep.File, Mode: 0o644, Data: dep.Content})
	}
	return out
}
