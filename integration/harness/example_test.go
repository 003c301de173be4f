package harness_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/cnbkit/cnbkit/integration/harness"
)

// This is the shape of an author's end-to-end test: build an app with a buildpack directory,
// run the image's default process, make an HTTP request, rebuild and check the reuse.
func Example() {
	// In a real test, t is the *testing.T and ctx is t.Context().
	var t *testing.T
	ctx := context.Background()

	h, err := harness.New(ctx, t, harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.Build(ctx, t, harness.BuildOptions{
		App:        "testdata/app",
		Buildpacks: []harness.Buildpack{harness.BuildpackDir("path/to/my-buildpack")},
		Env:        map[string]string{"BP_LOG_LEVEL": "DEBUG"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Success {
		t.Fatalf("build failed (exit %d):\n%s", res.ExitCode, res.Logs)
	}

	port, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c, err := harness.Run(ctx, t, res.OCIImage(), harness.RunOptions{
		Env:  map[string]string{"PORT": strconv.Itoa(port)},
		Port: port, // Run returns once 127.0.0.1:port accepts connections
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(ctx, "/"); err != nil {
		t.Fatal(err)
	}

	again, err := h.Rebuild(ctx, t, res, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Rebuilt) > 0 {
		t.Errorf("a rebuild with no change rebuilt %v", again.Rebuilt)
	}
}
