package sdk_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cnbkit/cnbkit/sdk"
)

// BenchmarkRunBuild measures the SDK's own cost of one build: reading the descriptor, platform
// and plan, opening and persisting ten layers with environment files, writing launch.toml.
func BenchmarkRunBuild(b *testing.B) {
	w := newWorldB(b)
	build := func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		for i := 0; i < 10; i++ {
			l, err := sdk.OpenLayer(req.Layers, fmt.Sprintf("l%d", i), sdk.LayerTypes{Launch: true, Cache: true}, layerMeta{Version: fmt.Sprint(i)}, nil)
			if err != nil {
				return sdk.BuildResult{}, err
			}
			l.LaunchEnv().PrependPath("PATH", l.Path+"/bin")
		}
		return sdk.BuildResult{Processes: []sdk.Process{{Type: "web", Command: []string{"x"}}}}, nil
	}
	b.ResetTimer()
	for b.Loop() {
		exit, log := w.run("build", nil, build)
		if exit.Code != 0 {
			b.Fatal(log)
		}
	}
}

type versionRequire struct {
	Version string `toml:"version"`
}

// BenchmarkRunDetect measures one detect with configuration and a plan.
func BenchmarkRunDetect(b *testing.B) {
	w := newWorldB(b)
	detect := func(context.Context, sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
		return sdk.Pass(sdk.BuildPlan{Provides: []sdk.Provide{{Name: "x"}}, Requires: []sdk.Require{sdk.NewRequire("x", versionRequire{Version: "1"})}}), nil
	}
	for b.Loop() {
		if exit, log := w.run("detect", detect, nil); exit.Code != 0 {
			b.Fatal(log)
		}
	}
}
