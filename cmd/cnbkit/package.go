package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cnbkit/cnbkit/internal/terminal"
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
			return runPackage(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr(), terminal.Is(cmd.ErrOrStderr()))
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.path, "path", "p", "", "buildpack directory (default: the [buildpack] uri of --config, else .)")
	f.StringVarP(&o.config, "config", "c", "", "package.toml (default: <path>/package.toml when it exists)")
	f.StringVarP(&o.format, "format", "f", "", "output format: "+formatNames(", ")+" (image needs --publish; default: file for names ending in .cnb, image with --publish)")
	f.BoolVar(&o.publish, "publish", false, "push the package to a registry (same as --format image)")
	f.StringArrayVarP(&o.targets, "target", "t", nil, "target to package for, os/arch[/variant][:distro@version[;distro@version]], repeatable (default: package.toml, else buildpack.toml targets, else linux/amd64)")
	f.BoolVar(&o.multiArchFile, "multi-arch-file", false, "with several targets and --format file, write one .cnb holding every target instead of one file per target")
	f.BoolVar(&o.includeDependencies, "include-dependencies", false, "bundle the dependencies of buildpack.toml [[metadata.dependencies]] for the package's targets (offline builds); BP_DEPENDENCY_MIRROR[_<HOST>] apply")
	f.StringArrayVar(&o.dependencyFilter, "dependency-filter", nil, "with --include-dependencies, bundle only this dependency id or id@version, repeatable")
	f.StringVar(&o.dependencies, "dependencies", "", "TOML file of [[dependencies]] entries (or a buildpack.toml) that replaces or extends the buildpack's inventory")
	f.StringVar(&o.dependenciesMode, "dependencies-mode", "", fmt.Sprintf("how --dependencies applies: %s or %s (default %s)", dependency.Replace, dependency.Extend, dependency.Extend))
	f.StringArrayVar(&o.exclude, "exclude", nil, "extra pattern of files to leave out (gitignore-like), repeatable")
	f.StringArrayVar(&o.include, "include", nil, "pattern of files to keep even if excluded, repeatable")
	f.BoolVar(&o.json, "json", false, "print what was written as JSON")
	f.IntVar(&o.retries, "retries", packager.DefaultRetries, "how many times a failed registry request or dependency download (--include-dependencies) is retried (0: never)")
	f.StringVar(&o.signKey, "sign-key", "", "cosign private key to sign the output with, attaching an SBOM and SLSA provenance (password from COSIGN_PASSWORD); .cnb files and layouts get a <name>.sig.json sidecar")
	f.StringVar(&o.verifyKey, "verify-key", "", "public key that every .cnb, layout and registry component must be signed with")
	_ = cmd.MarkFlagFilename("sign-key", "key")
	_ = cmd.MarkFlagFilename("verify-key", "pub", "pem")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(strings.Split(formatNames(" "), " "), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("dependencies-mode", cobra.FixedCompletions([]string{string(dependency.Replace), string(dependency.Extend)}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("target", completeTargets)
	_ = cmd.MarkFlagFilename("config", "toml")
	_ = cmd.MarkFlagFilename("dependencies", "toml")
	_ = cmd.MarkFlagDirname("path")
	return cmd
}

// formatNames lists the values of --format, separated by sep.
func formatNames(sep string) string {
	var names []string
	for _, f := range packager.Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, sep)
}

// completeTargets offers the os/arch targets Go can compile buildpacks for.
func completeTargets(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"linux/amd64", "linux/arm64", "linux/arm64/v8", "linux/arm/v7", "linux/arm/v6", "linux/386", "linux/ppc64le", "linux/s390x", "linux/riscv64"}, cobra.ShellCompDirectiveNoFileComp
}

// sinkFormat maps --format and --publish to the packager's format. --publish is --format
// image; --format image alone is refused, since pack's --format image writes to a Docker
// daemon and pushing to a registry unasked would surprise.
func (o packageOptions) sinkFormat() (packager.Format, error) {
	f := packager.Format(o.format)
	switch {
	case o.publish && f != "" && f != packager.FormatImage:
		return "", fmt.Errorf("--publish writes to a registry but --format is %q: drop one of them", o.format)
	case o.publish:
		return packager.FormatImage, nil
	case f == packager.FormatImage:
		return "", fmt.Errorf("--format image writes to a registry, which needs --publish to say so (cnbkit writes no Docker daemon image): add --publish to push %q, or use --format layout to write an OCI layout on disk", o.name)
	}
	return f, nil
}

// packagerOptions maps the flags to the library's options; the library checks them.
func (o packageOptions) packagerOptions() (packager.Options, []error) {
	var errs []error
	opts := packager.Options{
		Path: o.path, Config: o.config, Exclude: o.exclude, Include: o.include,
		IncludeDependencies: o.includeDependencies, DependencyFilter: o.dependencyFilter,
		Inventory: o.dependencies, InventoryMode: dependency.MergeMode(o.dependenciesMode),
		Registry: packager.RegistryOptions{Retry: packager.Retries(o.retries)},
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
		opts.Fetcher = &dependency.Fetcher{Mirrors: mirrors}
	}
	return opts, errs
}

// runPackage is the work of `cnbkit package`, testable without cobra: it maps the flags to
// options, has the library check them all at once, builds, and writes with the one sink
// the flags chose.
func runPackage(ctx context.Context, o packageOptions, stdout, stderr io.Writer, tty bool) error {
	opts, errs := o.packagerOptions()
	opts.Log = o.progress(stderr, tty)
	var s packager.Sink
	format, err := o.sinkFormat()
	if err == nil {
		if format != packager.FormatImage {
			opts.Outputs = []string{o.name}
		}
		registry := opts.Registry
		registry.Log = opts.Log
		s, err = packager.NewSink(o.name, packager.SinkOptions{Format: format, MultiArch: o.multiArchFile, Registry: registry})
	}
	errs = append(errs, err)
	signer, err := o.keys(&opts)
	errs = append(errs, err)
	if signer != nil && s != nil {
		s, err = packager.Signing(s, packager.SignOptions{Signer: signer})
		errs = append(errs, err)
	}
	errs = append(errs, opts.Validate())
	if err := problems(errs); err != nil {
		return err
	}
	p, err := packager.Build(ctx, opts)
	if err != nil {
		return err
	}
	defer p.Close()
	outs, err := s.Write(ctx, p)
	if err != nil {
		return err
	}
	return printOutputs(stdout, o, p, outs)
}

// problems gathers the errors found before packaging into one *packager.ValidationError,
// which the CLI renders as a numbered list; nil when there are none.
func problems(errs []error) error {
	var list []error
	for _, err := range errs {
		var ve *packager.ValidationError
		switch {
		case err == nil:
		case errors.As(err, &ve):
			list = append(list, ve.Problems...)
		default:
			list = append(list, unjoin(err)...)
		}
	}
	if len(list) == 0 {
		return nil
	}
	return &packager.ValidationError{Problems: list}
}

// unjoin splits an errors.Join error into its parts.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
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

// environ returns the process environment as a map (for BP_DEPENDENCY_MIRROR...).
func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}
