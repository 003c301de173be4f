package paketo_test

import (
	"fmt"

	"github.com/paketo-buildpacks/libpak/v2"

	"github.com/cnbkit/cnbkit/sdk/paketo"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// A libpak buildpack moving one phase at a time: its build still holds libpak's
// BuildModuleMetadata, and resolves with cnbkit for the build target; the chosen dependency
// goes back to libpak's layer contributors as a BuildModuleDependency.
func ExampleInventory() {
	md := libpak.BuildModuleMetadata{Dependencies: []libpak.BuildModuleDependency{
		{ID: "jre", Name: "JRE", Version: "21.0.5", URI: "https://example.com/jre-21.0.5-arm64.tgz",
			Checksum: "sha256:1111111111111111111111111111111111111111111111111111111111111111",
			PURLS:    []string{"pkg:generic/jre@21.0.5?arch=arm64"}, Stacks: []string{"*"}},
		{ID: "jre", Name: "JRE", Version: "21.0.5", URI: "https://example.com/jre-21.0.5-amd64.tgz",
			SHA256: "2222222222222222222222222222222222222222222222222222222222222222",
			PURL:   "pkg:generic/jre@21.0.5?arch=amd64", Stacks: []string{"*"}},
	}}
	inv, err := paketo.Inventory(md)
	if err != nil {
		panic(err)
	}
	dep, err := inv.Resolve("jre", "21.*", spec.Target{OS: "linux", Arch: "arm64"})
	if err != nil {
		panic(err)
	}
	fmt.Println(dep.URI, dep.Checksum())
	back := paketo.BuildModuleDependency(dep)
	fmt.Println(back.GetChecksum(), back.GetPURLS())
	// Output:
	// https://example.com/jre-21.0.5-arm64.tgz sha256:1111111111111111111111111111111111111111111111111111111111111111
	// sha256:1111111111111111111111111111111111111111111111111111111111111111 [pkg:generic/jre@21.0.5?arch=arm64]
}
