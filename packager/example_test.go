package packager_test

import (
	"fmt"

	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// File names of a package written for several targets never collide.
func ExampleFileName() {
	for _, s := range []string{"linux/amd64", "linux/arm64/v8", "linux/arm64/v8:ubuntu@24.04"} {
		t, _ := spec.ParseTarget(s)
		fmt.Println(packager.FileName("out/python.cnb", t))
	}
	// Output:
	// out/python-linux-amd64.cnb
	// out/python-linux-arm64-v8.cnb
	// out/python-linux-arm64-v8-ubuntu-24.04.cnb
}
