package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cnbkit/cnbkit/internal/terminal"
	"github.com/cnbkit/cnbkit/scaffold"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

func init() {
	registerCommand(func(*globalOptions) *cobra.Command { return newNewCommand(runNew) })
}

// newOptions are the flags and argument of `cnbkit new`.
type newOptions struct {
	ID       string
	Path     string
	Name     string
	Version  string
	API      string
	Targets  []string
	Template string
	Module   string
	Force    bool
	// SDKReplace is a local cnbkit checkout the generated go.mod uses instead of a release.
	SDKReplace string

	// set tells which flags were given, so prompts only ask for the others.
	set map[string]bool
}

// newIO is what `cnbkit new` reads answers from and writes to.
type newIO struct {
	In  io.Reader
	Out io.Writer
	// Interactive allows prompting on In for values not given on the command line.
	Interactive bool
	// Quiet prints nothing but errors (--quiet).
	Quiet bool
	// SDK is the SDK of the running cnbkit, which the generated go.mod requires.
	SDK sdkSource
}

// sdkSource is what the running cnbkit knows of its own SDK.
type sdkSource struct {
	// Version is the SDK version a go.mod can require: the release tag (set at link time, or
	// recorded by go install …@vX.Y.Z) or the pseudo-version of a clean VCS build; "" for a
	// development build.
	Version string
	// BuiltFrom is the cnbkit checkout a development build was compiled from, when the binary
	// still knows its source paths (not built with -trimpath) and the folder is there.
	BuiltFrom string
}

// currentSDK describes the running binary.
func currentSDK() sdkSource {
	if scaffold.RequirableVersion(version) {
		return sdkSource{Version: version}
	}
	if v, ok := scaffold.BuildSDKVersion(); ok {
		return sdkSource{Version: v}
	}
	var s sdkSource
	// This file's path as compiled: <checkout>/cmd/cnbkit/new.go without -trimpath.
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		dir := filepath.Dir(filepath.Dir(filepath.Dir(file)))
		if scaffold.CheckCheckout(dir) == nil {
			s.BuiltFrom = dir
		}
	}
	return s
}

// newNewCommand returns the `cnbkit new` command; run does the work (runNew, or a fake in tests).
func newNewCommand(run func(ctx context.Context, opts newOptions, streams newIO) error) *cobra.Command {
	opts := newOptions{}
	templates := make([]string, 0, 2)
	for _, t := range scaffold.Templates() {
		templates = append(templates, fmt.Sprintf("%s (%s)", t.Name, t.Description))
	}
	cmd := &cobra.Command{
		Use:   "new <buildpack-id>",
		Short: "Create a buildpack project on the cnbkit SDK",
		Long: `Create a buildpack project on the cnbkit SDK: buildpack.toml, package.toml, go.mod,
cmd/main.go, detect and build code, unit tests on sdk/cnbtest, a README and a .gitignore.
The project tests with "go test ./..." and packages with "cnbkit package" at once.

Templates: ` + strings.Join(templates, "; ") + `.

On a terminal, cnbkit new asks for the values it needs when no id is given; it never asks when
standard input is not a terminal or CI is set.`,
		Example: `  cnbkit new my-org/hello
  cnbkit new my-org/jq --template dependency --path ./jq-buildpack
  cnbkit new my-org/hello --api 0.10 --targets linux/amd64,linux/arm64 --version 1.0.0`,
		Args:         cobra.MaximumNArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.ID = args[0]
			}
			opts.set = map[string]bool{}
			cmd.Flags().Visit(func(f *pflag.Flag) { opts.set[f.Name] = true })
			quiet, _ := cmd.Flags().GetBool("quiet") // the root's --quiet, absent in tests of this command alone
			streams := newIO{In: cmd.InOrStdin(), Out: cmd.OutOrStdout(), Interactive: canPrompt(cmd.InOrStdin()), Quiet: quiet, SDK: currentSDK()}
			return run(cmd.Context(), opts, streams)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Path, "path", "", "folder to create (default: ./<last part of the id>)")
	f.StringVar(&opts.Name, "name", "", "human-readable name (default: from the id, e.g. \"Hello World\" for my-org/hello-world)")
	f.StringVar(&opts.Version, "version", scaffold.DefaultVersion, "buildpack version (semantic version)")
	f.StringVar(&opts.API, "api", spec.LatestAPI(), "Buildpack API version ("+strings.Join(apiChoices(), ", ")+")")
	f.StringSliceVar(&opts.Targets, "targets", targetStrings(scaffold.DefaultTargets()), "targets as os/arch[/variant], comma-separated or repeated")
	f.StringVar(&opts.Template, "template", scaffold.DefaultTemplate, "project template: "+strings.Join(templateNames(), " | "))
	f.StringVar(&opts.Module, "module", "", "Go module path of the project (default: the id)")
	f.BoolVar(&opts.Force, "force", false, "write into a folder that is not empty, replacing the generated files")
	f.StringVar(&opts.SDKReplace, "sdk-replace", "", "path of a local cnbkit checkout for the generated go.mod to use (a replace directive, relative to the project when the path is relative) instead of the SDK version of this cnbkit")
	_ = cmd.RegisterFlagCompletionFunc("template", cobra.FixedCompletions(templateNames(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("api", cobra.FixedCompletions(apiChoices(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("targets", completeTargets)
	_ = cmd.MarkFlagDirname("path")
	_ = cmd.MarkFlagDirname("sdk-replace")
	return cmd
}

// canPrompt reports whether `cnbkit new` may ask questions: stdin is a terminal and CI is unset.
func canPrompt(in io.Reader) bool {
	if os.Getenv("CI") != "" {
		return false
	}
	return terminal.Is(in)
}

// runNew generates the project described by opts and writes it.
func runNew(ctx context.Context, opts newOptions, streams newIO) error {
	if opts.ID == "" {
		if !streams.Interactive {
			return errors.New("no buildpack id given: run cnbkit new <id>, e.g. cnbkit new my-org/my-buildpack")
		}
		var err error
		if opts, err = prompt(opts, streams); err != nil {
			return err
		}
	}
	targets, err := parseTargets(opts.Targets)
	if err != nil {
		return err
	}
	sopts := scaffold.Options{
		ID:       opts.ID,
		Name:     opts.Name,
		Version:  opts.Version,
		API:      opts.API,
		Targets:  targets,
		Template: opts.Template,
		Module:   opts.Module,
	}
	dir := opts.Path
	if dir == "" {
		dir = defaultPath(opts.ID)
	}
	sdk, err := chooseSDK(opts.SDKReplace, dir, streams.SDK)
	if err != nil {
		return err
	}
	sopts.SDKVersion, sopts.SDKReplace = sdk.version, sdk.replace
	files, err := scaffold.Generate(ctx, sopts)
	if err != nil {
		return err
	}
	if err := scaffold.Write(ctx, dir, files, scaffold.WriteOptions{Force: opts.Force}); err != nil {
		var ne *scaffold.NotEmptyError
		if errors.As(err, &ne) {
			return fmt.Errorf("%w (--force)", err)
		}
		return err
	}
	template := opts.Template
	if template == "" {
		template = scaffold.DefaultTemplate
	}
	if streams.Quiet {
		return nil
	}
	fmt.Fprintf(streams.Out, "Created buildpack %s from the %s template in %s (%d files).\n", opts.ID, template, dir, len(files))
	if sdk.note != "" {
		fmt.Fprintf(streams.Out, "%s\n", sdk.note)
	}
	fmt.Fprintf(streams.Out, "\nNext steps:\n  cd %s\n", dir)
	if sdk.next != "" {
		fmt.Fprintf(streams.Out, "  %s\n", sdk.next)
	}
	fmt.Fprintf(streams.Out, "  go mod tidy\n  go test ./...\n  cnbkit package out/%s.cnb\n\nThe README in %s says more.\n", strings.ToLower(filepath.Base(defaultPath(opts.ID))), dir)
	return nil
}

// sdkChoice is how the generated go.mod gets the SDK, and what to tell the user about it.
type sdkChoice struct {
	version, replace string
	// note explains a replace or a missing version; next is a command to run before go mod tidy.
	note, next string
}

// chooseSDK decides what go.mod requires: --sdk-replace (checked to be a cnbkit checkout,
// kept relative to the project when given relative), else the running cnbkit's version, else
// (a development build) the cnbkit checkout the working directory is in, else nothing usable,
// with the exact command that points the project at a checkout.
func chooseSDK(flag, project string, cur sdkSource) (sdkChoice, error) {
	if flag != "" {
		if err := scaffold.CheckCheckout(flag); err != nil {
			return sdkChoice{}, fmt.Errorf("--sdk-replace: %w: give the folder of a clone of the cnbkit repository (its go.mod declares module %s)", err, scaffold.SDKModule)
		}
		p, err := scaffold.ReplacePath(project, flag)
		if err != nil {
			return sdkChoice{}, fmt.Errorf("--sdk-replace: %w", err)
		}
		return sdkChoice{replace: p, note: fmt.Sprintf("go.mod uses the cnbkit checkout %s (--sdk-replace).", p)}, nil
	}
	if cur.Version != "" {
		return sdkChoice{version: cur.Version}, nil
	}
	const dev = "This cnbkit is a development build (cnbkit version says (devel)), so no module proxy has its SDK:"
	if wd, err := os.Getwd(); err == nil {
		if checkout, ok := scaffold.FindCheckout(wd); ok {
			rel, err := filepath.Rel(wd, checkout)
			if err != nil {
				rel = checkout
			}
			p, err := scaffold.ReplacePath(project, rel)
			if err != nil {
				return sdkChoice{}, err
			}
			return sdkChoice{replace: p, note: fmt.Sprintf("%s go.mod uses the cnbkit checkout you are in, %s (a replace directive).", dev, p)}, nil
		}
	}
	target := cur.BuiltFrom
	if target == "" {
		target = "<folder of your cnbkit checkout>"
	}
	return sdkChoice{
		version: scaffold.DevelVersion,
		note:    dev + " point go.mod at a cnbkit checkout (or --sdk-replace) before go mod tidy.",
		next:    "go mod edit -replace " + scaffold.SDKModule + "=" + target,
	}, nil
}

// prompt asks for the id and, with the defaults shown, for every value not given as a flag.
func prompt(opts newOptions, streams newIO) (newOptions, error) {
	r := bufio.NewReader(streams.In)
	ask := func(question, def string, check func(string) error) (string, error) {
		for {
			if def != "" {
				fmt.Fprintf(streams.Out, "%s [%s]: ", question, def)
			} else {
				fmt.Fprintf(streams.Out, "%s: ", question)
			}
			line, err := r.ReadString('\n')
			if err != nil && (!errors.Is(err, io.EOF) || line == "") {
				return "", fmt.Errorf("reading the answer to %q: %w", question, noAnswer(err))
			}
			answer := strings.TrimSpace(line)
			if answer == "" {
				answer = def
			}
			if check == nil {
				return answer, nil
			}
			if err := check(answer); err != nil {
				fmt.Fprintf(streams.Out, "  %v\n", err)
				continue
			}
			return answer, nil
		}
	}
	var err error
	if opts.ID, err = ask("Buildpack id (e.g. my-org/my-buildpack)", "", spec.ValidateID); err != nil {
		return opts, err
	}
	if !opts.set["name"] {
		if opts.Name, err = ask("Name", scaffold.DefaultName(opts.ID), nil); err != nil {
			return opts, err
		}
	}
	if !opts.set["version"] {
		if opts.Version, err = ask("Version", opts.Version, spec.ValidateVersion); err != nil {
			return opts, err
		}
	}
	if !opts.set["template"] {
		check := func(s string) error {
			for _, t := range templateNames() {
				if s == t {
					return nil
				}
			}
			return fmt.Errorf("template %q is not known: answer %s", s, strings.Join(templateNames(), " or "))
		}
		if opts.Template, err = ask("Template ("+strings.Join(templateNames(), " | ")+")", opts.Template, check); err != nil {
			return opts, err
		}
	}
	if !opts.set["path"] {
		if opts.Path, err = ask("Folder", defaultPath(opts.ID), nil); err != nil {
			return opts, err
		}
	}
	return opts, nil
}

func noAnswer(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("input ended")
	}
	return err
}

// defaultPath is ./<last part of the id>.
func defaultPath(id string) string {
	return "." + string(filepath.Separator) + id[strings.LastIndex(id, "/")+1:]
}

func parseTargets(list []string) ([]spec.Target, error) {
	var targets []spec.Target
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		t, err := spec.ParseTarget(s)
		if err != nil {
			return nil, fmt.Errorf("reading --targets: %w", err)
		}
		targets = append(targets, t)
	}
	return targets, nil
}

func targetStrings(ts []spec.Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out
}

func templateNames() []string {
	var out []string
	for _, t := range scaffold.Templates() {
		out = append(out, t.Name)
	}
	return out
}

func apiChoices() []string {
	var out []string
	for _, a := range spec.SupportedAPIs {
		if spec.CompareAPI(a, scaffold.MinAPI) >= 0 {
			out = append(out, a)
		}
	}
	return out
}
