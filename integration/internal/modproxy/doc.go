// Package modproxy serves this checkout of cnbkit, and its harness module (integration/), from
// a Go module proxy on disk (GOPROXY=file://…), so that tests run
// `go install github.com/cnbkit/cnbkit/cmd/cnbkit@…`, `go get github.com/cnbkit/cnbkit/sdk@…`
// and `go get github.com/cnbkit/cnbkit/integration@…` literally as the docs tell users to,
// against the code under test. Every other module still comes from the real GOPROXY.
package modproxy
