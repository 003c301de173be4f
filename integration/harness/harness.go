package harness

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// DefaultPlatformAPI is the CNB platform API the harness speaks to the lifecycle unless
// [Options.PlatformAPI] says otherwise. It must be 0.12 or newer (run.toml).
const DefaultPlatformAPI = "0.12"

// Options configure a [Harness]. The zero value is the default: the Debian stack, the lifecycle
// built from the Go module proxy, platform API [DefaultPlatformAPI].
type Options struct {
	// Stack is the build and run image pair; nil means [DebianStack].
	Stack *Stack
	// Lifecycle is the lifecycle to run; nil means [Lifecycle].
	Lifecycle *LifecycleBinaries
	// PlatformAPI is CNB_PLATFORM_API for every build ("0.12" to "0.15").
	PlatformAPI string
}

// Harness builds apps with the real lifecycle and runs the images. It owns a [Registry] that
// holds the run image and every app image it exports. A Harness may be shared by parallel
// subtests of the test that made it.
type Harness struct {
	// Registry receives the exported app images.
	Registry *Registry
	// Stack is the build and run image pair in use.
	Stack *Stack
	// Lifecycle is the lifecycle in use.
	Lifecycle *LifecycleBinaries
	// RunImage is the reference of the stack's run image in Registry.
	RunImage string

	platformAPI string
	buildRoot   string
	builds      atomic.Int64
}

// New prepares a Harness: the lifecycle, the stack (both cached between tests and packages),
// the build image unpacked (cached too), a registry on 127.0.0.1 with the run image pushed to
// it. The registry stops with t.Cleanup.
func New(ctx context.Context, t testing.TB, opts Options) (*Harness, error) {
	t.Helper()
	h := &Harness{Stack: opts.Stack, Lifecycle: opts.Lifecycle, platformAPI: opts.PlatformAPI}
	if h.platformAPI == "" {
		h.platformAPI = DefaultPlatformAPI
	}
	switch h.platformAPI {
	case "0.12", "0.13", "0.14", "0.15":
	default:
		return nil, fmt.Errorf("platform API %q is not supported by the harness: use 0.12 to 0.15", h.platformAPI)
	}
	var err error
	if h.Lifecycle == nil {
		if h.Lifecycle, err = Lifecycle(ctx); err != nil {
			return nil, err
		}
	}
	if !h.Lifecycle.supportsPlatform(h.platformAPI) {
		return nil, fmt.Errorf("lifecycle %s does not support platform API %s (it supports %s): use a newer lifecycle or another Options.PlatformAPI",
			h.Lifecycle.Version, h.platformAPI, strings.Join(h.Lifecycle.PlatformAPIs, ", "))
	}
	if h.Stack == nil {
		if h.Stack, err = DebianStack(ctx); err != nil {
			return nil, err
		}
	}
	if h.buildRoot, err = buildRootFS(ctx, h.Stack.Build); err != nil {
		return nil, err
	}
	h.Registry = StartRegistry(t)
	h.RunImage = h.Registry.Ref("cnbkit/run:latest")
	ref, err := name.ParseReference(h.RunImage)
	if err != nil {
		return nil, err
	}
	if err := remote.Write(ref, h.Stack.Run, remote.WithContext(ctx)); err != nil {
		return nil, fmt.Errorf("pushing the run image to the test registry: %w", err)
	}
	return h, nil
}
