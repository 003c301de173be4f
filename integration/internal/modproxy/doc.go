// Package modproxy serves this checkout of cnbkit from a Go module proxy on disk
// (GOPROXY=file://…), so that tests run `go install github.com/cnbkit/cnbkit/cmd/cnbkit@…` and
// `go get github.com/cnbkit/cnbkit/sdk@…` literally as the docs tell users to, against the
// code under test. Every other module still comes from the real GOPROXY.
package modproxy
