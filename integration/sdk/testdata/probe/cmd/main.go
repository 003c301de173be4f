// Command probe is a buildpack written on the SDK for integration/sdk. It shows, under the real
// lifecycle, what the motd example has no reason to show:
//
//   - the target detect and build see (labels org.cnbkit-it.probe.detect-target and
//     .build-target, rendered as os/arch[/variant][:distro@version]);
//   - store.toml carrying over between builds (a build counter read from the previous store,
//     label org.cnbkit-it.probe.builds);
//   - a launch-only layer ("stamp", metadata from BP_PROBE_VERSION, compared by the SDK):
//     its file records the build that created it, and the "stamp" process prints it, so a run
//     shows whether the image's layer came from this build or from the previous image;
//   - integers where the lifecycle keeps them as JSON numbers (the image's metadata label) and
//     gives them back as TOML: in store.toml with BP_PROBE_INTEGER_STORE=true (a second
//     counter, label org.cnbkit-it.probe.count), in the metadata of a cached launch layer
//     ("numbers") with BP_PROBE_INTEGER_LAYER=true;
//   - execution environments (Buildpack API 0.12): the CNB_EXEC_ENV build saw (label
//     org.cnbkit-it.probe.exec-env) and processes limited to some of them: "web" for
//     production, "tests" for test and development, "env" for every one ("*"). The launcher
//     (Platform API 0.15) finds a process type only in the environments it lists.
//
// The build counter is kept as a decimal string so that the store carry-over is shown apart
// from how integers survive the lifecycle.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/cnbkit/cnbkit/sdk"
)

// Config is the probe's configuration.
type Config struct {
	Version      string `env:"BP_PROBE_VERSION"`
	IntegerStore bool   `env:"BP_PROBE_INTEGER_STORE"`
	IntegerLayer bool   `env:"BP_PROBE_INTEGER_LAYER"`
}

// Requirement is the metadata of the "probe" plan entry.
type Requirement struct {
	Target string `toml:"target"`
}

// StampMetadata is the metadata of the launch-only layer.
type StampMetadata struct {
	Version string `toml:"version"`
}

// NumbersMetadata is the metadata of the "numbers" layer.
type NumbersMetadata struct {
	Lines int `toml:"lines"`
}

// Store is the store.toml metadata.
type Store struct {
	Builds string `toml:"builds"` // a decimal counter
	// Count is an integer counter, kept with BP_PROBE_INTEGER_STORE=true only.
	Count int `toml:"count"`
}

// plainStore is Store without Count, written when BP_PROBE_INTEGER_STORE is false.
type plainStore struct {
	Builds string `toml:"builds"`
}

func detect(ctx context.Context, req sdk.DetectRequest[sdk.None, Config]) (sdk.DetectResult, error) {
	return sdk.Pass(sdk.BuildPlan{
		Provides: []sdk.Provide{{Name: "probe"}},
		Requires: []sdk.Require{sdk.NewRequire("probe", Requirement{Target: req.Target.String()})},
	}), nil
}

func build(ctx context.Context, req sdk.BuildRequest[sdk.None, Config]) (sdk.BuildResult, error) {
	plan, ok, err := sdk.Entries[Requirement](req.Plan, "probe")
	if err != nil {
		return sdk.BuildResult{}, err
	}
	if !ok || len(plan.Entries) != 1 {
		return sdk.BuildResult{}, fmt.Errorf("expected one probe plan entry, got %d", len(plan.Entries))
	}
	store, err := sdk.StoreMetadata[Store](req.Store)
	if err != nil {
		return sdk.BuildResult{}, err
	}
	builds := 0
	if store.Builds != "" {
		if builds, err = strconv.Atoi(store.Builds); err != nil {
			return sdk.BuildResult{}, fmt.Errorf("reading the build counter: %w", err)
		}
	}
	builds++
	store.Builds = strconv.Itoa(builds)
	req.Log.Section("Probe")
	req.Log.Detail("build %d, target %s", builds, req.Target)
	labels := []sdk.Label{
		{Key: "org.cnbkit-it.probe.detect-target", Value: plan.Entries[0].Target},
		{Key: "org.cnbkit-it.probe.build-target", Value: req.Target.String()},
		{Key: "org.cnbkit-it.probe.builds", Value: store.Builds},
	}

	stamp, err := sdk.OpenLayer(req.Layers, "stamp", sdk.LayerTypes{Launch: true}, StampMetadata{Version: req.Config.Version}, nil)
	if err != nil {
		return sdk.BuildResult{}, err
	}
	req.Log.Detail("layer stamp %s (contents here: %t)", stamp.Status, stamp.HasContents())
	if !stamp.Status.Restored {
		text := fmt.Sprintf("stamp version %s made by build %d\n", req.Config.Version, builds)
		if err := os.WriteFile(filepath.Join(stamp.Path, "stamp.txt"), []byte(text), 0o644); err != nil {
			return sdk.BuildResult{}, fmt.Errorf("writing the stamp: %w", err)
		}
	}
	if req.Config.IntegerStore {
		store.Count++
		labels = append(labels, sdk.Label{Key: "org.cnbkit-it.probe.count", Value: strconv.Itoa(store.Count)})
	}
	if req.Config.IntegerLayer {
		numbers, err := sdk.OpenLayer(req.Layers, "numbers", sdk.LayerTypes{Launch: true, Cache: true}, NumbersMetadata{Lines: 3}, nil)
		if err != nil {
			return sdk.BuildResult{}, err
		}
		req.Log.Detail("layer numbers %s", numbers.Status)
		if !numbers.Status.Restored {
			if err := os.WriteFile(filepath.Join(numbers.Path, "numbers.txt"), []byte("1\n2\n3\n"), 0o644); err != nil {
				return sdk.BuildResult{}, fmt.Errorf("writing numbers: %w", err)
			}
		}
	}
	keep := sdk.NewStore(plainStore{Builds: store.Builds})
	if req.Config.IntegerStore {
		keep = sdk.NewStore(store)
	}
	labels = append(labels, sdk.Label{Key: "org.cnbkit-it.probe.exec-env", Value: req.ExecEnv})
	req.Log.Detail("execution environment %s", req.ExecEnv)
	return sdk.BuildResult{
		Processes: []sdk.Process{
			{Type: "stamp", Command: []string{"cat", filepath.Join(stamp.Path, "stamp.txt")}, Default: true},
			{Type: "web", Command: []string{"echo", "web process (production only), built for " + req.ExecEnv}, ExecEnv: []string{"production"}},
			{Type: "tests", Command: []string{"echo", "tests process (test and development), built for " + req.ExecEnv}, ExecEnv: []string{"test", "development"}},
			{Type: "env", Command: []string{"sh", "-c", `echo "env process (every environment), launched with CNB_EXEC_ENV=${CNB_EXEC_ENV:-unset}"`}, ExecEnv: []string{"*"}},
		},
		Labels: labels,
		Store:  keep,
	}, nil
}

func main() { sdk.Main(detect, build) }
