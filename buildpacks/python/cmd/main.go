// Command main is the cnbkit Python buildpack's bin/detect and bin/build.
package main

import (
	"github.com/cnbkit/cnbkit/buildpacks/python"
	"github.com/cnbkit/cnbkit/sdk"
)

func main() {
	sdk.Main(python.Detect, python.Build)
}
