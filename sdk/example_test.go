package sdk_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cnbkit/cnbkit/sdk"
)

// Several buildpacks may require one name, each with metadata of its own type; the buildpack
// that provides it decodes every entry into its type, and Entries merges the conventional keys.
func ExampleEntries() {
	// What the detects of the requiring buildpacks returned; in build, req.Plan holds them.
	type request struct {
		Version       string   `toml:"version,omitempty"`
		VersionSource string   `toml:"version-source,omitempty"`
		Build         bool     `toml:"build,omitempty"`
		Launch        bool     `toml:"launch,omitempty"`
		Packages      []string `toml:"packages,omitempty"`
	}
	plan := sdk.Plan{Entries: []sdk.Require{
		sdk.NewRequire("python", request{Version: "3.11", VersionSource: "default", Build: true}),
		sdk.NewRequire("python", request{Version: "3.12.*", VersionSource: ".python-version", Launch: true}),
		sdk.NewRequire("python", request{Packages: []string{"ffmpeg-python"}}),
	}}

	// The providing buildpack's type declares only what it reads besides the conventional keys.
	type python struct {
		Packages []string `toml:"packages"`
	}
	merged, ok, err := sdk.Entries[python](plan, "python")
	if err != nil || !ok {
		fmt.Println(ok, err)
		return
	}
	v, _ := merged.Version()
	fmt.Println("build:", merged.Build, "launch:", merged.Launch)
	fmt.Println("version:", v.Version, "from", v.Source)
	fmt.Println("packages:", merged.Entries[2].Packages)

	// A key the type has no field for is an error, not a silently dropped value.
	type strict struct {
		Pakages []string `toml:"pakages"`
	}
	_, err = sdk.RequireMetadata[strict](plan.Entries[2])
	fmt.Println(err)
	// Output:
	// build: true launch: true
	// version: 3.12.* from .python-version
	// packages: [ffmpeg-python]
	// plan entry "python" metadata has unknown key packages: sdk_test.strict has no field for it (check the spelling, or add a field with a toml tag)
}

// A build keeps data for the next build in store.toml: NewStore writes the author's value,
// StoreMetadata reads it back into the same type (numbers stay integers, although the
// lifecycle hands them back as floats).
func ExampleStoreMetadata() {
	type history struct {
		Builds      int    `toml:"builds"`
		LastVersion string `toml:"last-version"`
	}
	build := func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		prev, err := sdk.StoreMetadata[history](req.Store)
		if err != nil {
			return sdk.BuildResult{}, err
		}
		fmt.Printf("previous: %+v\n", prev)
		return sdk.BuildResult{Store: sdk.NewStore(history{Builds: prev.Builds + 1, LastVersion: "3.12.3"})}, nil
	}
	root, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(root)
	bp, layers := filepath.Join(root, "bp"), filepath.Join(root, "layers")
	_ = os.MkdirAll(bp, 0o755)
	_ = os.MkdirAll(layers, 0o755)
	_ = os.WriteFile(filepath.Join(bp, "buildpack.toml"), []byte("api = \"0.12\"\n[buildpack]\nid = \"example/store\"\nversion = \"1.0.0\"\n"), 0o644)
	_ = os.WriteFile(filepath.Join(root, "plan.toml"), nil, 0o644)
	// store.toml as the lifecycle restores it: from JSON, so 1 comes back as 1.0.
	_ = os.WriteFile(filepath.Join(layers, "store.toml"), []byte("[metadata]\nbuilds = 1.0\nlast-version = \"3.12.2\"\n"), 0o644)
	exit := sdk.Run(context.Background(), sdk.Invocation{
		Phase: "build", AppDir: root, Stdout: io.Discard,
		Env: map[string]string{"CNB_BUILDPACK_DIR": bp, "CNB_LAYERS_DIR": layers, "CNB_BP_PLAN_PATH": filepath.Join(root, "plan.toml")},
	}, nil, build)
	written, _ := os.ReadFile(filepath.Join(layers, "store.toml"))
	fmt.Println("exit", exit.Code)
	fmt.Print(string(written))
	// Output:
	// previous: {Builds:1 LastVersion:3.12.2}
	// exit 0
	// [metadata]
	//   builds = 2
	//   last-version = "3.12.3"
}

// The build log has one layout for every buildpack.
func ExampleLogger() {
	log := sdk.NewLogger(os.Stdout, false, false)
	log.Title("Python", "1.0.0")
	log.Section("Installing Python")
	log.Detail("version %s from %s", "3.12.3", ".python-version")
	log.Warn("pip is outdated")
	log.Debug("only with BP_LOG_LEVEL=debug")
	// Output:
	// Python 1.0.0
	//   Installing Python
	//     version 3.12.3 from .python-version
	//   WARNING: pip is outdated
}

// A detect failure is a value with a reason; it exits 100 however the code around it is
// written, and an error always exits 1.
func ExampleFail() {
	r := sdk.Fail("no %s in the app", "requirements.txt")
	fmt.Println(r.Passed(), r.Reason())
	p := sdk.Pass(sdk.BuildPlan{Provides: []sdk.Provide{{Name: "python"}}, Requires: []sdk.Require{{Name: "python"}}})
	fmt.Println(p.Passed(), len(p.Plans()))
	// Output:
	// false no requirements.txt in the app
	// true 1
}

// Errors meant for users carry a title, what was found and what to do.
func ExampleError() {
	err := sdk.Errorf("Unsupported Python version", "BP_PYTHON_VERSION is %q; this buildpack installs 3.10 to 3.13", "2.7").
		WithFixes("Set BP_PYTHON_VERSION to 3.12, or remove it to use the default.")
	wrapped := fmt.Errorf("resolving python: %w", err)
	fmt.Println(wrapped)
	// Output:
	// resolving python: unsupported python version: BP_PYTHON_VERSION is "2.7"; this buildpack installs 3.10 to 3.13
}

// Run is the driver behind Main: here it runs detect against a temporary buildpack and app,
// the way the lifecycle would, without touching the process environment.
func ExampleRun() {
	root, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(root)
	bp, app, platform := filepath.Join(root, "bp"), filepath.Join(root, "app"), filepath.Join(root, "platform")
	for _, d := range []string{bp, app, platform} {
		_ = os.MkdirAll(d, 0o755)
	}
	_ = os.WriteFile(filepath.Join(bp, "buildpack.toml"), []byte(`api = "0.12"
[buildpack]
id = "example/hello"
name = "Hello"
version = "0.1.0"
[[metadata.configurations]]
name = "BP_HELLO_ENABLED"
default = "true"
`), 0o644)
	type config struct {
		Enabled bool `env:"BP_HELLO_ENABLED"`
	}
	detect := func(_ context.Context, req sdk.DetectRequest[sdk.None, config]) (sdk.DetectResult, error) {
		if !req.Config.Enabled {
			return sdk.Fail("BP_HELLO_ENABLED is false"), nil
		}
		return sdk.Pass(), nil
	}
	for _, enabled := range []string{"false", "perhaps"} {
		var out bytes.Buffer
		exit := sdk.Run(context.Background(), sdk.Invocation{
			Phase: "detect",
			Env: map[string]string{
				"CNB_BUILDPACK_DIR": bp, "CNB_PLATFORM_DIR": platform,
				"CNB_BUILD_PLAN_PATH": filepath.Join(root, "plan.toml"), "BP_HELLO_ENABLED": enabled,
			},
			AppDir: app, Stdout: &out,
		}, detect, nil)
		fmt.Printf("BP_HELLO_ENABLED=%s: exit %d\n%s", enabled, exit.Code, strings.ReplaceAll(out.String(), "\n\n", "\n"))
	}
	// Output:
	// BP_HELLO_ENABLED=false: exit 100
	//     Hello: BP_HELLO_ENABLED is false
	// BP_HELLO_ENABLED=perhaps: exit 1
	// ERROR: Invalid configuration
	//   BP_HELLO_ENABLED="perhaps" is not valid: BP_HELLO_ENABLED accepts true or false (also 1/0, yes/no) (value from process env)
	//   To fix this:
	//     1. Correct the value of the variable named above, or unset it to use the default.
}

// A Buildpack API 0.12 build sees CNB_EXEC_ENV as req.ExecEnv ("production" when unset) and
// limits processes to execution environments with Process.ExecEnv (launch.toml exec-env).
func ExampleProcess() {
	root, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(root)
	bp, app, layers := filepath.Join(root, "bp"), filepath.Join(root, "app"), filepath.Join(root, "layers")
	for _, d := range []string{bp, app, layers} {
		_ = os.MkdirAll(d, 0o755)
	}
	_ = os.WriteFile(filepath.Join(bp, "buildpack.toml"), []byte("api = \"0.12\"\n[buildpack]\nid = \"example/app\"\nversion = \"0.1.0\"\n"), 0o644)
	_ = os.WriteFile(filepath.Join(root, "plan.toml"), nil, 0o644)
	build := func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		fmt.Println("exec-env:", req.ExecEnv)
		return sdk.BuildResult{Processes: []sdk.Process{
			{Type: "web", Command: []string{"serve"}, Default: true, ExecEnv: []string{"production"}},
			{Type: "tests", Command: []string{"pytest"}, ExecEnv: []string{"test", "development"}},
		}}, nil
	}
	exit := sdk.Run(context.Background(), sdk.Invocation{
		Phase: "build",
		Env: map[string]string{
			"CNB_BUILDPACK_DIR": bp, "CNB_PLATFORM_DIR": filepath.Join(root, "platform"),
			"CNB_LAYERS_DIR": layers, "CNB_BP_PLAN_PATH": filepath.Join(root, "plan.toml"),
		},
		AppDir: app, Stdout: io.Discard, Stderr: io.Discard,
	}, nil, build)
	launch, _ := os.ReadFile(filepath.Join(layers, "launch.toml"))
	fmt.Printf("exit %d\n%s", exit.Code, launch)
	// Output:
	// exec-env: production
	// exit 0
	// [[processes]]
	//   type = "web"
	//   command = ["serve"]
	//   default = true
	//   exec-env = ["production"]
	//
	// [[processes]]
	//   type = "tests"
	//   command = ["pytest"]
	//   exec-env = ["test", "development"]
}

// What each kind of reader makes of a layer: the lifecycle's flags OpenLayer writes.
func ExampleNeeds() {
	for _, n := range []sdk.Needs{
		{Launch: true},                   // the app's processes: reused from the image by metadata alone
		{Launch: true, Build: true},      // and later buildpacks while they build
		{Launch: true, EveryBuild: true}, // and this buildpack on every build
		{EveryBuild: true},               // this buildpack only: a cache
	} {
		fmt.Printf("%-40s %s\n", n, n.Types())
	}
	// Output:
	// launch                                   build=false launch=true cache=false
	// launch, later buildpacks' build          build=true launch=true cache=true
	// launch, every build                      build=false launch=true cache=true
	// every build                              build=false launch=false cache=true
}
