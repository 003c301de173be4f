// Package pythonffmpeg holds the cnbkit/python-ffmpeg composite buildpack: buildpack.toml
// (one order group, cnbkit/ffmpeg optional then cnbkit/python) and package.toml (both
// components as dependencies), packaged into one buildpackage per target
// (python-ffmpeg-linux-amd64.cnb, python-ffmpeg-linux-arm64.cnb) with
//
//	cnbkit package python-ffmpeg.cnb --path buildpacks/python-ffmpeg
//
// It has no code; its test checks that the descriptor and the package configuration agree
// with the component buildpacks. See docs/buildpacks/ffmpeg.md.
package pythonffmpeg
