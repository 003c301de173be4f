// Package ffmpeg is the cnbkit ffmpeg buildpack: it installs static ffmpeg and ffprobe
// binaries into a layer that is on PATH for the buildpacks that run after it and in the
// app image.
//
// Detection is opt-in and composes: the buildpack passes (providing and requiring "ffmpeg")
// only when the app asks for ffmpeg — BP_FFMPEG_ENABLED=true, BP_FFMPEG_VERSION, a
// .ffmpeg-version file, or a Python requirement on a package that drives the ffmpeg program
// (ffmpeg-python, pydub, moviepy, imageio-ffmpeg) — and fails with a reason otherwise, so an
// optional entry in an order group stays out of the way.
//
// Build resolves the version constraint against the [[metadata.dependencies]] of
// buildpack.toml for the build target, installs the verified artifacts with the SDK's
// dependency support (reused by checksum on rebuilds), runs `ffmpeg -version` as a smoke
// check, and writes CycloneDX and SPDX SBOM entries. See docs/buildpacks/ffmpeg.md.
//
// cmd/main.go is the buildpack executable (bin/detect and bin/build).
package ffmpeg
