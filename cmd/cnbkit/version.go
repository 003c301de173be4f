package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is the release version when a build sets it with
// -ldflags "-X main.version=vX.Y.Z"; it must then equal what the module build info records
// for `go install github.com/cnbkit/cnbkit/cmd/cnbkit@vX.Y.Z`, which is read when it is empty.
var version = ""

func newVersionCmd(*globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of cnbkit",
		Long: `Print the version of cnbkit: the module version (the release tag of a binary installed with
go install …@vX.Y.Z or made by scripts/release, a pseudo-version for a build of a commit,
(devel) for a development build), and the commit, its time and whether the tree was modified
when the binary was built from a checkout with VCS information. cnbkit --version prints the same.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(cmd.OutOrStdout(), versionLine()+"\n")
			return err
		},
	}
}

// buildVersion is what the binary knows about where it came from.
type buildVersion struct {
	// Version is the module version: a tag, a pseudo-version or "(devel)".
	Version string
	// Revision, Time and Modified are the VCS commit, its time and whether the checkout had
	// changes; empty when the build recorded no VCS information.
	Revision, Time string
	Modified       bool
}

// readBuildVersion combines the link-time version with the build info Go recorded.
func readBuildVersion(info *debug.BuildInfo, ok bool, linked string) buildVersion {
	v := buildVersion{Version: "(devel)"}
	if ok {
		if info.Main.Version != "" {
			v.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if linked != "" {
		v.Version = linked
	}
	return v
}

// String is the one format of `cnbkit version` and `cnbkit --version`, e.g.
// "cnbkit v0.2.0 (commit 1a2b3c4d5e6f, 2026-12-01T10:00:00Z; go1.26.8 linux/amd64)".
func (v buildVersion) String() string {
	var parts []string
	if v.Revision != "" {
		commit := "commit " + v.Revision[:min(12, len(v.Revision))]
		if v.Time != "" {
			commit += ", " + v.Time
		}
		if v.Modified {
			commit += ", modified"
		}
		parts = append(parts, commit)
	}
	parts = append(parts, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH)
	return fmt.Sprintf("cnbkit %s (%s)", v.Version, strings.Join(parts, "; "))
}

// versionLine is the version of the running binary.
func versionLine() string {
	info, ok := debug.ReadBuildInfo()
	return readBuildVersion(info, ok, version).String()
}
