package dependency_test

import (
	"context"
	"fmt"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

func ExampleInventory_Resolve() {
	inv, err := dependency.ParseInventory([]byte(`
[[metadata.dependencies]]
id = "cpython"
version = "3.12.6"
uri = "https://example.org/cpython-3.12.6-aarch64.tar.gz"
checksum = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
os = "linux"
arch = "arm64"

[[metadata.dependencies]]
id = "cpython"
version = "3.12.7"
uri = "https://example.org/cpython-3.12.7-x86_64.tar.gz"
checksum = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
os = "linux"
arch = "amd64"
`))
	if err != nil {
		panic(err)
	}
	dep, err := inv.Resolve("cpython", "3.12", spec.Target{OS: "linux", Arch: "arm64"})
	fmt.Println(dep.Version, dep.URI, err)
	_, err = inv.Resolve("cpython", "3.13", spec.Target{OS: "linux", Arch: "arm64"})
	fmt.Println(err)
	// Output:
	// 3.12.6 https://example.org/cpython-3.12.6-aarch64.tar.gz <nil>
	// no version of cpython matches "3.13" for target linux/arm64: versions available for this target: 3.12.6
}

func ExampleMirrors_Rewrite() {
	mirrors, err := dependency.MirrorsFromEnv(map[string]string{
		"BP_DEPENDENCY_MIRROR":                      "https://mirror.internal.example/{originalHost}",
		"BP_DEPENDENCY_MIRROR_RELEASES_EXAMPLE_COM": "https://rel.internal.example",
	})
	if err != nil {
		panic(err)
	}
	for _, uri := range []string{"https://example.org/a/tool.tgz", "https://releases.example.com/o/r/download/v1/x.tgz"} {
		u, _, _ := mirrors.Rewrite(uri)
		fmt.Println(u)
	}
	// Output:
	// https://mirror.internal.example/example.org/a/tool.tgz
	// https://rel.internal.example/o/r/download/v1/x.tgz
}

// A build function that installs the CPython version a user asked for into a launch layer
// that later buildpacks can also use.
func ExampleInstall() {
	build := func(ctx context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		inv, err := dependency.Load(req.Buildpack.Dir)
		if err != nil {
			return sdk.BuildResult{}, err
		}
		dep, err := inv.Resolve("cpython", "3.12", req.Target.Spec())
		if err != nil {
			return sdk.BuildResult{}, err
		}
		layer, res, err := dependency.Install(ctx, req, "cpython",
			sdk.LayerTypes{Build: true, Launch: true, Cache: true}, dep, dependency.InstallOptions{})
		if err != nil {
			return sdk.BuildResult{}, err
		}
		req.Log.Detail("%s (in %s)", res, layer.Path)
		return sdk.BuildResult{}, nil
	}
	_ = build
}
