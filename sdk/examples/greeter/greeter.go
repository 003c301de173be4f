package greeter

import (
	"context"
	"path/filepath"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/dependency"
)

// Config replaces libpak's ConfigurationResolver: BP_GREETER_VERSION is parsed (and
// checked) before Build runs; its default comes from [[metadata.configurations]].
type Config struct {
	Version sdk.VersionConstraint `env:"BP_GREETER_VERSION"`
}

// Requirement is the metadata of the "greeter" plan entry: typed, where libpak's
// BuildPlanRequire takes a map[string]interface{}.
type Requirement struct {
	Launch bool `toml:"launch"`
}

// Detect passes for every app and plans the greeter for launch, as a libpak buildpack's
// Detect returning a DetectResult with one plan does.
func Detect(ctx context.Context, req sdk.DetectRequest[sdk.None, Config]) (sdk.DetectResult, error) {
	return sdk.Pass(sdk.BuildPlan{
		Provides: []sdk.Provide{{Name: "greeter"}},
		Requires: []sdk.Require{sdk.NewRequire("greeter", Requirement{Launch: true})},
	}), nil
}

// Build replaces libpak's DependencyResolver, DependencyCache and DependencyLayerContributor:
// Resolve picks the version for the build target, Install downloads, verifies, expands
// (strip-components) and reuses the layer while the checksum is unchanged, and writes the
// layer's SBOM.
func Build(ctx context.Context, req sdk.BuildRequest[sdk.None, Config]) (sdk.BuildResult, error) {
	inv, err := dependency.Load(req.Buildpack.Dir)
	if err != nil {
		return sdk.BuildResult{}, err
	}
	dep, err := inv.ResolveConstraint("greeter", req.Config.Version, req.Target.Spec())
	if err != nil {
		return sdk.BuildResult{}, err
	}
	req.Log.Section("Greeter")
	layer, res, err := dependency.Install(ctx, req, "greeter", sdk.LayerTypes{Launch: true, Cache: true}, dep, dependency.InstallOptions{})
	if err != nil {
		return sdk.BuildResult{}, err
	}
	req.Log.Detail("%s", res)
	layer.LaunchEnv().PrependPath("PATH", filepath.Join(layer.Path, "bin"))
	return sdk.BuildResult{
		Processes: []sdk.Process{{Type: "greet", Command: []string{"greeter"}, Default: true}},
	}, nil
}
