package hello

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cnbkit/cnbkit/sdk"
)

// Metadata is the [metadata] table of buildpack.toml.
type Metadata struct {
	Greeting string `toml:"greeting"`
}

// Config is read from BP_* variables; defaults come from [[metadata.configurations]].
type Config struct {
	Name string `env:"BP_HELLO_NAME"`
}

// LayerMetadata says what the greeting layer was built from.
type LayerMetadata struct {
	Text string `toml:"text"`
}

// Detect passes when the app has a hello.txt.
func Detect(ctx context.Context, req sdk.DetectRequest[Metadata, Config]) (sdk.DetectResult, error) {
	if _, err := fs.Stat(req.App, "hello.txt"); err != nil {
		return sdk.Fail("no hello.txt in the app"), nil
	}
	return sdk.Pass(sdk.BuildPlan{
		Provides: []sdk.Provide{{Name: "greeting"}},
		Requires: []sdk.Require{{Name: "greeting"}},
	}), nil
}

// Build writes a hello program into a launch layer and makes it the web process.
func Build(ctx context.Context, req sdk.BuildRequest[Metadata, Config]) (sdk.BuildResult, error) {
	text := fmt.Sprintf("%s, %s!", req.Metadata.Greeting, req.Config.Name)
	layer, err := sdk.OpenLayer(req.Layers, "greeting", sdk.Needs{Launch: true},
		LayerMetadata{Text: text}, nil)
	if err != nil {
		return sdk.BuildResult{}, err
	}
	req.Log.Section("Greeting")
	req.Log.Detail("layer %s", layer.Status)
	if !layer.Status.Restored {
		script := "#!/bin/sh\necho '" + strings.ReplaceAll(text, "'", "") + "'\n"
		if err := os.MkdirAll(filepath.Join(layer.Path, "bin"), 0o755); err != nil {
			return sdk.BuildResult{}, err
		}
		if err := os.WriteFile(filepath.Join(layer.Path, "bin", "hello"), []byte(script), 0o755); err != nil {
			return sdk.BuildResult{}, err
		}
		layer.LaunchEnv().PrependPath("PATH", filepath.Join(layer.Path, "bin"))
	}
	return sdk.BuildResult{
		Processes: []sdk.Process{{Type: "web", Command: []string{"hello"}, Default: true}},
	}, nil
}
