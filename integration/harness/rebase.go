package harness

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Rebase puts prev's app layers on a newer run image with the lifecycle's rebaser, as
// `pack rebase` does after a run image update: run is pushed to the harness registry under
// the run image's tag (h.RunImage), as publishing a patched run image would, then rebaser
// rewrites prev.Image. Builds started afterwards with this Harness use the new run image too.
// The returned Result describes the rebased image; its Reused lists the named layers kept
// from prev (all of them, for a successful rebase). A refused rebase (exit code non-zero) is a
// Result with Success false and the logs.
func (h *Harness) Rebase(ctx context.Context, t testing.TB, prev *Result, run v1.Image) (*Result, error) {
	t.Helper()
	if prev == nil || !prev.Success {
		return nil, errors.New("rebase needs the result of a successful Build")
	}
	if prev.LayoutPath != "" {
		return nil, errors.New("rebase works on images in the harness registry, not in an OCI layout: build without Layout")
	}
	runRef := h.RunImage
	ref, err := name.ParseReference(runRef)
	if err != nil {
		return nil, err
	}
	if err := remote.Write(ref, run, remote.WithContext(ctx)); err != nil {
		return nil, fmt.Errorf("pushing the new run image: %w", err)
	}
	work, err := sandboxDir(t, "rebase")
	if err != nil {
		return nil, err
	}
	args := []string{"/cnb/lifecycle/rebaser", "-run-image", runRef, "-previous-image", prev.Ref,
		"-uid", strconv.Itoa(h.Stack.UID), "-gid", strconv.Itoa(h.Stack.GID), "-no-color", prev.Image}
	r, err := h.runLifecycle(ctx, work, []mount{{h.Lifecycle.Dir, "/cnb/lifecycle", true}}, nil, args, prev.Options.Output)
	if err != nil {
		return nil, fmt.Errorf("rebasing %s: %w", prev.Image, err)
	}
	res := &Result{
		Success:   r.exitCode == 0,
		ExitCode:  r.exitCode,
		Logs:      r.logs,
		Image:     prev.Image,
		LayersDir: prev.LayersDir,
		Options:   prev.Options,
		lineage:   prev.lineage,
	}
	if !res.Success {
		return res, nil
	}
	if err := res.inspect(ctx, prev); err != nil {
		return nil, err
	}
	return res, nil
}
