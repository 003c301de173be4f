package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cnbkit/cnbkit/packager"
)

// inspectOptions are the flags of `cnbkit inspect`.
type inspectOptions struct {
	ref  string
	json bool
}

func newInspectCmd(*globalOptions) *cobra.Command {
	var o inspectOptions
	cmd := &cobra.Command{
		Use:   "inspect <file.cnb|layout-dir|image-ref>",
		Short: "Show the buildpacks, targets, order and layers of a buildpackage",
		Long: `Show what a buildpackage holds: its buildpacks with versions, APIs and targets, the order
tree of composite buildpacks, and the images with their layers.

The argument is a .cnb file, an OCI layout directory or an image reference in a registry
(credentials from the Docker config and credential helpers).`,
		Example: `  cnbkit inspect out/python.cnb
  cnbkit inspect out/layout --json
  cnbkit inspect registry.example.com/my-org/my-bp:1.0.0`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ref = args[0]
			return runInspect(cmd.Context(), o, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print as JSON")
	return cmd
}

func runInspect(ctx context.Context, o inspectOptions, w io.Writer) error {
	if err := perTargetFiles(o.ref); err != nil {
		return err
	}
	info, err := packager.Inspect(ctx, o.ref, packager.RegistryOptions{})
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	return printInfo(w, info)
}

func printInfo(w io.Writer, info *packager.Info) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Buildpackage %s@%s (%s %s)\n", info.ID, info.Version, info.Kind, info.Source)
	if info.Digest != "" {
		fmt.Fprintf(&b, "Digest: %s\n", info.Digest)
	}
	for _, f := range info.Files {
		fmt.Fprintf(&b, "File: %s %s\n", f.Path, f.Digest)
	}
	var platforms []string
	for _, img := range info.Images {
		platforms = append(platforms, img.Platform)
	}
	fmt.Fprintf(&b, "Targets: %s\n", strings.Join(platforms, ", "))
	if len(info.Stacks) > 0 {
		fmt.Fprintf(&b, "Stacks: %s\n", strings.Join(info.Stacks, ", "))
	}
	b.WriteString("\nBuildpacks:\n")
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tVERSION\tAPI\tTARGETS")
	for _, bp := range info.Buildpacks {
		targets := strings.Join(packagedTargets(bp.Targets, platforms), ", ")
		if targets == "" {
			targets = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", bp.ID, bp.Version, bp.API, targets)
	}
	tw.Flush()
	var deps []packager.BundledDependency
	for _, img := range info.Images {
		deps = append(deps, img.Dependencies...)
	}
	if len(deps) > 0 {
		b.WriteString("\nBundled dependencies:\n")
		tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  BUILDPACK\tID\tVERSION\tTARGET\tSIZE\tSHA256")
		seen := map[string]bool{}
		for _, d := range deps {
			key := d.Buildpack + " " + d.File
			if seen[key] {
				continue // the same artifact in the images of several targets
			}
			seen[key] = true
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%s\n", d.Buildpack, dash(d.ID), dash(d.Version), dash(d.Target), d.Size, d.SHA256)
		}
		tw.Flush()
	}
	if main, ok := info.Buildpack(info.ID, info.Version); ok && len(main.Order) > 0 {
		b.WriteString("\nOrder:\n")
		writeOrder(&b, info, main, "  ", map[string]bool{})
	}
	b.WriteString("\nImages:\n")
	for _, img := range info.Images {
		fmt.Fprintf(&b, "  %s %s\n", img.Platform, img.Digest)
		for _, l := range img.Layers {
			fmt.Fprintf(&b, "    layer %s (diff %s, %d bytes): %s\n", l.Digest, l.DiffID, l.Size, strings.Join(l.Buildpacks, ", "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeOrder(b *strings.Builder, info *packager.Info, bp packager.BuildpackInfo, indent string, seen map[string]bool) {
	key := bp.ID + "@" + bp.Version
	if seen[key] {
		return
	}
	seen[key] = true
	defer delete(seen, key)
	for i, group := range bp.Order {
		fmt.Fprintf(b, "%sGroup #%d:\n", indent, i+1)
		for _, m := range group {
			opt := ""
			if m.Optional {
				opt = " (optional)"
			}
			fmt.Fprintf(b, "%s  %s@%s%s\n", indent, m.ID, m.Version, opt)
			if child, ok := info.Buildpack(m.ID, m.Version); ok && len(child.Order) > 0 {
				writeOrder(b, info, child, indent+"    ", seen)
			}
		}
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// packagedTargets are the targets a buildpack declares that the package holds images for:
// a file written for one target lists that target only. A buildpack that declares none
// (stacks only) gets the package's.
func packagedTargets(declared, platforms []string) []string {
	if len(declared) == 0 {
		return platforms
	}
	var out []string
	for _, d := range declared {
		base, _, _ := strings.Cut(d, ":") // without distros
		for _, p := range platforms {
			if base == p || strings.HasPrefix(p, base+"/") {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// perTargetFiles explains a missing .cnb file for which cnbkit package wrote one file per
// target (<name>-<os>-<arch>.cnb), naming them.
func perTargetFiles(ref string) error {
	if !strings.HasSuffix(ref, ".cnb") {
		return nil
	}
	if _, err := os.Lstat(ref); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	matches, _ := filepath.Glob(strings.TrimSuffix(ref, ".cnb") + "-*.cnb")
	if len(matches) == 0 {
		return nil
	}
	return fmt.Errorf("%s does not exist, but these do: %s (cnbkit package writes one file per target when a buildpack has several): inspect one of them, or package with --multi-arch-file to get %s",
		ref, strings.Join(matches, ", "), ref)
}
