package packager_test

import (
	"errors"
	"fmt"
	"time"

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

// NewSink picks the sink of a format; a .cnb name needs none. Options that cannot be used
// are refused before anything is built, each named as a Go expression.
func ExampleNewSink() {
	s, _ := packager.NewSink("out/python.cnb", packager.SinkOptions{})
	fmt.Printf("%#v\n", s)
	_, err := packager.NewSink("out/python", packager.SinkOptions{MultiArch: true})
	var verr *packager.ValidationError
	if errors.As(err, &verr) {
		for _, p := range verr.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// packager.FileSink{Name:"out/python.cnb", MultiArch:false}
	// SinkOptions.Format is not given, and "out/python" does not end in .cnb: name a .cnb file, or choose FormatLayout for an OCI layout folder, FormatFolder for a ready-to-package buildpack folder or FormatImage for a registry image
	// SinkOptions.MultiArch writes one .cnb file: it needs FormatFile
}

// The zero Retry is the default; Retries(0) turns retrying off.
func ExampleRetry() {
	for _, r := range []packager.Retry{{}, packager.Retries(0), packager.Retries(2).WithDelay(100 * time.Millisecond)} {
		fmt.Println(r)
	}
	// Output:
	// 5 retries from 1s
	// no retries
	// 2 retries from 100ms
}
