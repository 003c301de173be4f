// Command hello is the buildpack's executable: bin/detect and bin/build.
package main

import (
	"github.com/cnbkit/cnbkit/sdk"

	"github.com/cnbkit/cnbkit/sdk/examples/hello"
)

func main() { sdk.Main(hello.Detect, hello.Build) }
