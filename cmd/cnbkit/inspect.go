package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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

func newInspectCmd() *cobra.Command {
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
	if len(info.Stacks) > 0 {
		fmt.Fprintf(&b, "Stacks: %s\n", strings.Join(info.Stacks, ", "))
	}
	b.WriteString("\nBuildpacks:\n")
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tVERSION\tAPI\tTARGETS")
	for _, bp := range info.Buildpacks {
		targets := strings.Join(bp.Targets, ", ")
		if targets == "" {
			targets = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", bp.ID, bp.Version, bp.API, targets)
	}
	tw.Flush()
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
