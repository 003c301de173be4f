package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// packageOptions are the flags of `cnbkit package`.
type packageOptions struct {
	name                string
	path                string
	config              string
	format              string
	publish             bool
	targets             []string
	multiArchFile       bool
	includeDependencies bool
	dependencyFilter    []string
	dependencies        string
	dependenciesMode    string
	exclude, include    []string
	json                bool
	retries             int
	signKey             string
	verifyKey           string
	passwords           passwordSource
	// globalOptions are the flags of every command (--quiet, --verbose, --timestamps).
	globalOptions
}

func newPackageCmd(g *globalOptions) *cobra.Command {
	var o packageOptions
	cmd := &cobra.Command{
		Use:   "package <name>",
		Short: "Package a buildpack as a .cnb file, an OCI layout or a registry image",
		Long: `Package a buildpack directory into a buildpackage, with no Docker daemon.

<name> is a file with --format file (the default when <name> ends in .cnb), a directory
with --format layout, an image reference with --publish, and with --format folder the
compiled, ready-to-package buildpack folder (bin/, buildpack.toml, bundled dependencies) that
pack buildpack package --path and other pack-based pipelines take.

Go buildpacks (a main package in ./cmd, at the root or in one ./cmd/<name>) are compiled for each target into
bin/build, with bin/detect a link to it; buildpacks with their own bin/ are packaged as
they are. Composite buildpacks take their components from package.toml [[dependencies]]:
directories, .cnb files, OCI layouts or image references.

Everything is validated before anything is written, and every output is written
atomically. The same inputs always give the same digests.`,
		Example: `  cnbkit package out/my-buildpack.cnb
  cnbkit package --path buildpacks/python-ffmpeg out/python-ffmpeg.cnb
  cnbkit package out/bp.cnb --target linux/amd64 --target linux/arm64
  cnbkit package out/layout --format layout
  cnbkit package out/my-buildpack --format folder
  cnbkit package registry.example.com/my-org/my-bp:1.0.0 --publish
  cnbkit package out/bp.cnb --include-dependencies
  cnbkit package registry.example.com/my-org/my-bp:1.0.0 --publish --sign-key cosign.key
  cnbkit package out/composite.cnb --verify-key vendor.pub`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name = args[0]
			o.globalOptions = *g
			return runPackage(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr(), isTerminal(cmd.ErrOrStderr()))
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.path, "path", "p", "", "buildpack directory (default: the [buildpack] uri of --config, else .)")
	f.StringVarP(&o.config, "config", "c", "", "package.toml (default: <path>/package.toml when it exists)")
	f.StringVarP(&o.format, "format", "f", "", "output format: file, layout, image (with --publish) or folder (default: file for names ending in .cnb, image with --publish)")
	f.BoolVar(&o.publish, "publish", false, "push the package to a registry (same as --format image)")
	f.StringArrayVarP(&o.targets, "target", "t", nil, "target to package for, os/arch[/variant][:distro@version[;distro@version]], repeatable (default: package.toml, else buildpack.toml targets, else linux/amd64)")
	f.BoolVar(&o.multiArchFile, "multi-arch-file", false, "with several targets and --format file, write one .cnb holding every target instead of one file per target")
	f.BoolVar(&o.includeDependencies, "include-dependencies", false, "bundle the dependencies of buildpack.toml [[metadata.dependencies]] for the package's targets (offline builds); BP_DEPENDENCY_MIRROR[_<HOST>] apply")
	f.StringArrayVar(&o.dependencyFilter, "dependency-filter", nil, "with --include-dependencies, bundle only this dependency id or id@version, repeatable")
	f.StringVar(&o.dependencies, "dependencies", "", "TOML file of [[dependencies]] entries (or a buildpack.toml) that replaces or extends the buildpack's inventory")
	f.StringVar(&o.dependenciesMode, "dependencies-mode", "extend", "how --dependencies applies: replace or extend")
	f.StringArrayVar(&o.exclude, "exclude", nil, "extra pattern of files to leave out (gitignore-like), repeatable")
	f.StringArrayVar(&o.include, "include", nil, "pattern of files to keep even if excluded, repeatable")
	f.BoolVar(&o.json, "json", false, "print what was written as JSON")
	f.IntVar(&o.retries, "retries", 5, "how many times a failed registry request or dependency download (--include-dependencies) is retried (0: never)")
	f.StringVar(&o.signKey, "sign-key", "", "cosign private key to sign the output with, attaching an SBOM and SLSA provenance (password from COSIGN_PASSWORD); .cnb files and layouts get a <name>.sig.json sidecar")
	f.StringVar(&o.verifyKey, "verify-key", "", "public key that every .cnb, layout and registry component must be signed with")
	_ = cmd.MarkFlagFilename("sign-key", "key")
	_ = cmd.MarkFlagFilename("verify-key", "pub", "pem")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("dependencies-mode", cobra.FixedCompletions([]string{"replace", "extend"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("target", completeTargets)
	_ = cmd.MarkFlagFilename("config", "toml")
	_ = cmd.MarkFlagFilename("dependencies", "toml")
	_ = cmd.MarkFlagDirname("path")
	return cmd
}

// outputFormats are the values of --format.
var outputFormats = []string{"file", "layout", "image", "folder"}

// outputFormat decides the format from the flags and the name.
func (o packageOptions) outputFormat() (string, error) {
	f := o.format
	if o.publish {
		if f != "" && f != "image" {
			return "", fmt.Errorf("--publish writes to a registry but --format is %q: drop one of them", f)
		}
		return "image", nil
	}
	switch f {
	case "image":
		// pack writes --format image to a Docker daemon; pushing to a registry unasked is wrong.
		return "", fmt.Errorf("--format image writes to a registry, which needs --publish to say so (cnbkit writes no Docker daemon image): add --publish to push %q, or use --format layout to write an OCI layout on disk", o.name)
	case "file", "layout", "folder":
		return f, nil
	case "":
		if strings.HasSuffix(o.name, ".cnb") {
			return "file", nil
		}
		return "", fmt.Errorf("cannot tell what to write to %q: name a .cnb file, or add --format layout for a directory, --format folder for a ready-to-package buildpack folder or --publish for a registry image", o.name)
	default:
		return "", fmt.Errorf("--format %q is not known: use one of %s", f, strings.Join(outputFormats, ", "))
	}
}

// completeTargets offers the os/arch targets Go can compile buildpacks for.
func completeTargets(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"linux/amd64", "linux/arm64", "linux/arm64/v8", "linux/arm/v7", "linux/arm/v6", "linux/386", "linux/ppc64le", "linux/s390x", "linux/riscv64"}, cobra.ShellCompDirectiveNoFileComp
}

// packagerOptions turns flags into library options, reporting every bad flag at once.
func (o packageOptions) packagerOptions() (packager.Options, error) {
	var errs []error
	opts := packager.Options{
		Path: o.path, Config: o.config, Exclude: o.exclude, Include: o.include,
		IncludeDependencies: o.includeDependencies, DependencyFilter: o.dependencyFilter,
		Inventory: o.dependencies, InventoryMode: o.dependenciesMode,
		Registry: packager.RegistryOptions{Retries: retriesOption(o.retries)},
	}
	for _, t := range o.targets {
		st, err := spec.ParseTarget(t)
		if err != nil {
			errs = append(errs, fmt.Errorf("--target: %w", err))
			continue
		}
		opts.Targets = append(opts.Targets, st)
	}
	if o.includeDependencies {
		mirrors, err := dependency.MirrorsFromEnv(environ())
		if err != nil {
			errs = append(errs, fmt.Errorf("dependency mirrors: %w", err))
		}
		// --retries counts retries; the Fetcher counts attempts.
		opts.Fetcher = &dependency.Fetcher{Mirrors: mirrors, Attempts: max(o.retries, 0) + 1}
	}
	if o.dependenciesMode != "replace" && o.dependenciesMode != "extend" {
		errs = append(errs, fmt.Errorf("--dependencies-mode %q is not known: use replace or extend", o.dependenciesMode))
	}
	if len(o.dependencyFilter) > 0 && !o.includeDependencies {
		errs = append(errs, errors.New("--dependency-filter needs --include-dependencies"))
	}
	return opts, errors.Join(errs...)
}

// runPackage is the work of `cnbkit package`, testable without cobra.
func runPackage(ctx context.Context, o packageOptions, stdout, stderr io.Writer, terminal bool) error {
	format, ferr := o.outputFormat()
	opts, oerr := o.packagerOptions()
	signer, kerr := o.keys(&opts)
	if err := errors.Join(ferr, oerr, kerr); err != nil {
		return err
	}
	opts.Log = o.progress(stderr, terminal)
	if format == "layout" || format == "folder" {
		// A layout or folder written inside the buildpack directory must not end up in the next package.
		if rule, ok := insideRule(defaultString(o.path, "."), o.name); ok {
			opts.Exclude = append(opts.Exclude, rule)
		}
	}
	p, err := packager.Build(ctx, opts)
	if err != nil {
		return err
	}
	defer p.Close()
	var outs []packager.Output
	switch format {
	case "file":
		outs, err = p.WriteFiles(ctx, o.name, packager.FileOptions{MultiArch: o.multiArchFile})
	case "layout":
		var out packager.Output
		out, err = p.WriteLayout(ctx, o.name)
		outs = []packager.Output{out}
	case "folder":
		outs, err = p.WriteFolder(ctx, o.name)
	case "image":
		opts.Registry.Log = opts.Log
		var out packager.Output
		out, err = p.Publish(ctx, o.name, opts.Registry)
		outs = []packager.Output{out}
	}
	if err != nil {
		return err
	}
	if signer != nil {
		if err := signOutputs(ctx, p, outs, signer, opts.Registry); err != nil {
			return err
		}
	}
	return printOutputs(stdout, o, p, outs)
}

func printOutputs(w io.Writer, o packageOptions, p *packager.Package, outs []packager.Output) error {
	if o.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			ID         string            `json:"id"`
			Version    string            `json:"version"`
			Buildpacks []string          `json:"buildpacks"`
			Outputs    []packager.Output `json:"outputs"`
		}{p.ID, p.Version, p.Buildpacks, outs})
	}
	if o.quiet {
		return nil
	}
	for _, out := range outs {
		if _, err := fmt.Fprintf(w, "wrote %s %s %s (%s)\n", out.Kind, out.Location, out.Digest, strings.Join(out.Targets, ", ")); err != nil {
			return err
		}
		if err := printSigned(w, out.Signature); err != nil {
			return err
		}
	}
	return nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// environ returns the process environment as a map (for BP_DEPENDENCY_MIRROR...).
func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}

// insideRule returns an exclude rule for out when it lies inside the directory dir.
func insideRule(dir, out string) (string, bool) {
	d, err1 := filepath.Abs(dir)
	o, err2 := filepath.Abs(out)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(d, o)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", false
	}
	return "/" + filepath.ToSlash(rel) + "/", true
}

func defaultString(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// retriesOption maps --retries to RegistryOptions.Retries, where 0 means the default: the
// flag already carries the default, so its 0 means no retry.
func retriesOption(flag int) int {
	if flag <= 0 {
		return -1
	}
	return flag
}
