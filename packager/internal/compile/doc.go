// Package compile finds the Go main package of a buildpack and cross-compiles it, static and
// reproducible, for one target.
//
// Convention: a buildpack is a Go buildpack when its directory holds a main package in
// ./cmd (e.g. cmd/main.go) or, failing that, at its root (main.go). The binary becomes
// bin/build, and bin/detect is a symbolic link to it; the SDK's Main dispatches on the name.
//
// The build is `go build -trimpath -buildvcs=false -ldflags "-s -w -buildid="` with
// CGO_ENABLED=0 and GOOS, GOARCH and GOARM/GOAMD64 taken from the target, so the same
// sources give the same bytes on any machine and in any directory.
package compile
