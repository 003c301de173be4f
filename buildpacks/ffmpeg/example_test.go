package ffmpeg_test

import (
	"fmt"
	"testing/fstest"

	"github.com/cnbkit/cnbkit/buildpacks/ffmpeg"
)

// An app pins ffmpeg with a .ffmpeg-version file: the first line that is not blank or a
// comment is the version constraint.
func ExampleReadVersionFile() {
	app := fstest.MapFS{".ffmpeg-version": {Data: []byte("# the filters we rely on arrived in 7.1\n>=7.1  # or newer\n")}}
	constraint, found, err := ffmpeg.ReadVersionFile(app)
	fmt.Printf("%q %v %v\n", constraint, found, err)

	constraint, found, err = ffmpeg.ReadVersionFile(fstest.MapFS{})
	fmt.Printf("%q %v %v\n", constraint, found, err)
	// Output:
	// ">=7.1" true <nil>
	// "" false <nil>
}
