package dependency_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"

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

// A build function that installs the CPython version a user asked for into a layer that the
// app's processes and later buildpacks read.
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
			sdk.Needs{Launch: true, Build: true}, dep, dependency.InstallOptions{})
		if err != nil {
			return sdk.BuildResult{}, err
		}
		req.Log.Detail("%s (in %s)", res, layer.Path)
		return sdk.BuildResult{}, nil
	}
	_ = build
}

// A build function whose CPython is needed at launch only, so that an unchanged rebuild keeps
// it by its metadata alone, and which needs CPython's files again only when it must rebuild
// something with it (here: when requirements.txt changed).
func ExampleRefill() {
	build := func(ctx context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		inv, err := dependency.Load(req.Buildpack.Dir)
		if err != nil {
			return sdk.BuildResult{}, err
		}
		dep, err := inv.Resolve("cpython", "3.12", req.Target.Spec())
		if err != nil {
			return sdk.BuildResult{}, err
		}
		opts := dependency.InstallOptions{}
		cpython, _, err := dependency.Install(ctx, req, "cpython", sdk.Needs{Launch: true}, dep, opts)
		if err != nil {
			return sdk.BuildResult{}, err
		}
		sum, err := fileSHA256(req.AppDir, "requirements.txt")
		if err != nil {
			return sdk.BuildResult{}, err
		}
		venv, err := sdk.OpenLayer(req.Layers, "venv", sdk.Needs{Launch: true}, map[string]string{"requirements": sum}, nil)
		if err != nil {
			return sdk.BuildResult{}, err
		}
		if !venv.Status.Restored {
			// The same files come back (from the bundle, a kept artifact or the network): the
			// exporter still reuses the image's CPython layer.
			if _, err := dependency.Refill(ctx, req, cpython, dep, opts); err != nil {
				return sdk.BuildResult{}, err
			}
			// ... run cpython.Path + "/bin/python3 -m venv " + venv.Path, then pip ...
		}
		return sdk.BuildResult{}, nil
	}
	_ = build
}

// A build function that keeps a package manager's download cache from one build to the next
// as one file, and unpacks it only when it installs packages.
func ExampleStash() {
	build := func(ctx context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		cache, err := dependency.OpenStash(req.Layers, "downloads") // every build, or it is dropped
		if err != nil {
			return sdk.BuildResult{}, err
		}
		installing := true // e.g. the packages layer is rebuilt
		if installing {
			dir, err := os.MkdirTemp("", "downloads-")
			if err != nil {
				return sdk.BuildResult{}, err
			}
			defer os.RemoveAll(dir)
			if _, err := cache.Unpack(ctx, dir); err != nil {
				return sdk.BuildResult{}, err
			}
			// ... install packages with dir as the download cache ...
			if err := cache.Pack(ctx, dir); err != nil {
				return sdk.BuildResult{}, err
			}
		}
		return sdk.BuildResult{}, nil
	}
	_ = build
}

// fileSHA256 is the hex sha256 of a file of the app.
func fileSHA256(dir, name string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", sha256.Sum256(data)), nil
}
