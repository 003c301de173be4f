// Command motd is the executable of the example buildpack: bin/detect and bin/build.
package main

import (
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/examples/motd"
)

func main() { sdk.Main(motd.Detect, motd.Build) }
