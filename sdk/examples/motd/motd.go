package motd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cnbkit/cnbkit/sdk"
)

// Metadata is the [metadata] table of buildpack.toml.
type Metadata struct {
	DefaultGreeting string `toml:"default-greeting"`
	MaxLines        int    `toml:"max-lines"`
}

// Config is the configuration the buildpack reads; defaults are in buildpack.toml.
type Config struct {
	Style   string `env:"BP_MOTD_STYLE" oneof:"plain|banner"`
	Enabled bool   `env:"BP_MOTD_ENABLED"`
}

// LayerMetadata describes what the motd layer was built from.
type LayerMetadata struct {
	SHA256 string `toml:"sha256"`
	Style  string `toml:"style"`
}

// Requirement is the build plan metadata of the "motd" requirement.
type Requirement struct {
	Launch bool `toml:"launch"`
}

const file = "motd.txt"

// Detect passes when the app has a motd.txt.
func Detect(ctx context.Context, req sdk.DetectRequest[Metadata, Config]) (sdk.DetectResult, error) {
	if !req.Config.Enabled {
		return sdk.Fail("BP_MOTD_ENABLED is false"), nil
	}
	if _, err := fs.Stat(req.App, file); err != nil {
		if os.IsNotExist(err) {
			return sdk.Fail("no %s in the app", file), nil
		}
		return sdk.DetectResult{}, fmt.Errorf("looking for %s: %w", file, err)
	}
	return sdk.Pass(sdk.BuildPlan{
		Provides: []sdk.Provide{{Name: "motd"}},
		Requires: []sdk.Require{sdk.NewRequire("motd", Requirement{Launch: true})},
	}), nil
}

// Build renders motd.txt into the motd layer.
func Build(ctx context.Context, req sdk.BuildRequest[Metadata, Config]) (sdk.BuildResult, error) {
	plan, ok, err := sdk.Entries[Requirement](req.Plan, "motd")
	if err != nil {
		return sdk.BuildResult{}, err
	}
	if !ok {
		return sdk.BuildResult{}, nil
	}
	text, err := fs.ReadFile(req.App, file)
	if err != nil {
		return sdk.BuildResult{}, fmt.Errorf("reading %s: %w", file, err)
	}
	lines := strings.Split(strings.TrimRight(string(text), "\n"), "\n")
	if strings.TrimSpace(string(text)) == "" {
		lines = []string{req.Metadata.DefaultGreeting}
	}
	if len(lines) > req.Metadata.MaxLines {
		return sdk.BuildResult{}, &sdk.Error{
			Title:  "Message of the day too long",
			Detail: fmt.Sprintf("%s has %d lines; at most %d are shown at start", file, len(lines), req.Metadata.MaxLines),
			Fixes:  []string{fmt.Sprintf("Shorten %s to %d lines or fewer.", file, req.Metadata.MaxLines)},
		}
	}
	sum := sha256.Sum256(text)
	want := LayerMetadata{SHA256: hex.EncodeToString(sum[:]), Style: req.Config.Style}

	req.Log.ConfigTable(req.Config)
	layer, err := sdk.OpenLayer(req.Layers, "motd", sdk.LayerTypes{Launch: plan.Launch, Cache: true}, want,
		func(previous LayerMetadata) sdk.Decision {
			switch {
			case previous.SHA256 != want.SHA256:
				return sdk.Rebuild("%s changed", file)
			case previous.Style != want.Style:
				return sdk.Rebuild("style changed from %s to %s", previous.Style, want.Style)
			}
			return sdk.Keep()
		})
	if err != nil {
		return sdk.BuildResult{}, err
	}
	req.Log.Section("Message of the day")
	req.Log.Detail("layer %s", layer.Status)
	if !layer.Status.Restored {
		done := req.Log.Timed("Rendering " + file)
		if err := render(layer.Path, lines, req.Config.Style); err != nil {
			return sdk.BuildResult{}, err
		}
		layer.LaunchEnv().PrependPath("PATH", filepath.Join(layer.Path, "bin"))
		layer.LaunchEnv().Default("MOTD_FILE", filepath.Join(layer.Path, "motd.txt"))
		sbom, _ := json.Marshal(cycloneDX{BOMFormat: "CycloneDX", Components: []struct{}{}, SpecVersion: "1.4"})
		if err := layer.WriteSBOM(sdk.CycloneDX, sbom); err != nil {
			return sdk.BuildResult{}, err
		}
		done()
	}
	return sdk.BuildResult{
		Processes: []sdk.Process{{Type: "motd", Command: []string{"motd"}, Default: true}},
		Labels:    []sdk.Label{{Key: "org.example.motd.style", Value: req.Config.Style}},
		Store:     sdk.NewStore(LayerMetadata{SHA256: want.SHA256, Style: want.Style}),
	}, nil
}

// cycloneDX is the smallest CycloneDX document: the message of the day is no software.
type cycloneDX struct {
	BOMFormat   string     `json:"bomFormat"`
	Components  []struct{} `json:"components"`
	SpecVersion string     `json:"specVersion"`
}

// render writes motd.txt and a bin/motd script that prints it.
func render(dir string, lines []string, style string) error {
	body := strings.Join(lines, "\n") + "\n"
	if style == "banner" {
		width := 0
		for _, l := range lines {
			width = max(width, len(l))
		}
		rule := strings.Repeat("*", width+4)
		var b strings.Builder
		b.WriteString(rule + "\n")
		for _, l := range lines {
			fmt.Fprintf(&b, "* %-*s *\n", width, l)
		}
		b.WriteString(rule + "\n")
		body = b.String()
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return fmt.Errorf("creating bin: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "motd.txt"), []byte(body), 0o644); err != nil {
		return fmt.Errorf("writing motd: %w", err)
	}
	script := "#!/bin/sh\ncat \"$MOTD_FILE\"\n"
	if err := os.WriteFile(filepath.Join(dir, "bin", "motd"), []byte(script), 0o755); err != nil {
		return fmt.Errorf("writing bin/motd: %w", err)
	}
	return nil
}
