// Command main is the cnbkit ffmpeg buildpack executable: bin/detect and bin/build.
package main

import (
	"github.com/cnbkit/cnbkit/buildpacks/ffmpeg"
	"github.com/cnbkit/cnbkit/sdk"
)

func main() {
	sdk.Main(ffmpeg.Detect, ffmpeg.Build)
}
