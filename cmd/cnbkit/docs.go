package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

type docsOptions struct {
	dir string
}

func newDocsCmd(*globalOptions) *cobra.Command {
	var o docsOptions
	cmd := &cobra.Command{
		Use:    "docs",
		Short:  "Generate the Markdown command reference",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return writeDocs(cmd.Root(), o.dir)
		},
	}
	cmd.Flags().StringVar(&o.dir, "dir", "docs/cli", "directory to write the Markdown files to")
	return cmd
}

// writeDocs writes one Markdown file per command into dir, replacing older ones.
func writeDocs(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	old, err := filepath.Glob(filepath.Join(dir, "cnbkit*.md"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("removing stale %s: %w", f, err)
		}
	}
	root.DisableAutoGenTag = true
	root.InitDefaultCompletionCmd()
	link := func(name string) string { return strings.ToLower(name) }
	if err := doc.GenMarkdownTreeCustom(root, dir, func(string) string { return "" }, link); err != nil {
		return fmt.Errorf("generating docs: %w", err)
	}
	return nil
}
