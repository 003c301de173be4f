// Package harness runs real Cloud Native Buildpacks builds in Go tests, with no Docker daemon.
//
// It builds the real lifecycle from the Go module proxy (see [Lifecycle]), makes a Debian
// bookworm or trixie build and run image pair with mmdebstrap (see [DebianStack] and
// [DebianStackFor]) or takes the author's own images (see [NewStack]), serves an OCI registry on 127.0.0.1 inside the test process
// (see [StartRegistry]), runs the lifecycle's creator inside the unpacked build image under
// unshare and chroot (see [Harness.Build], [Harness.Rebuild] and [Harness.Rebase]), exporting
// to that registry or to an OCI layout, and runs the exported image the same way (see [Run]),
// sharing the host network so a test can make HTTP requests to it and send signals to its
// PID 1 (see [Container.Signal]).
//
// Results are values an author asserts on without parsing logs: whether the build passed,
// the logs, the image reference and digest, its config (labels, env, user, entrypoint), its
// processes, layers, SBOM files and which layers a rebuild reused.
//
// The harness needs root, util-linux's unshare, chroot and (for [DebianStack]) mmdebstrap;
// integration/scripts/setup.sh installs them on Debian. Built artifacts (lifecycle binaries,
// base images, unpacked root file systems) are cached in [CacheDir], shared by test packages
// running in parallel through file locks. Everything a test creates is removed with
// t.Cleanup: no process, mount or directory is left behind.
package harness
