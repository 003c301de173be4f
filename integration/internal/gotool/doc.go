// Package gotool builds the Go programs the integration tests run but do not import (the
// lifecycle, pack) from the Go module proxy, each in a throw-away module, so that what they
// depend on never enters the integration module's graph.
package gotool
