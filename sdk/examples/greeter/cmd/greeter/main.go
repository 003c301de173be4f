// Command greeter is the buildpack's executable: bin/detect and bin/build.
package main

import (
	"github.com/cnbkit/cnbkit/sdk"

	"github.com/cnbkit/cnbkit/sdk/examples/greeter"
)

func main() { sdk.Main(greeter.Detect, greeter.Build) }
