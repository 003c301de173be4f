// Package packager turns a buildpack directory into a buildpackage: an OCI image, one per
// build target, that pack, kpack and the lifecycle read as they read pack's own
// `pack buildpack package` output. It needs no Docker daemon.
//
// [Build] reads buildpack.toml and the optional pack-compatible package.toml, validates
// everything first (all problems at once), compiles Go buildpacks for each target,
// collects composite buildpacks' dependencies from directories, .cnb files, OCI layouts and
// registries, and assembles reproducible images: the same inputs give the same digests
// whatever the file times, umask, owner, working directory or file-system order.
// The resulting [Package] is then written by a [Sink]: [FileSink] (.cnb files),
// [LayoutSink] (an OCI layout directory), [RegistrySink] (a registry) or [FolderSink] (the
// compiled buildpack folder), or the one [NewSink] picks for a [Format]; [Signing] signs
// what a sink writes. [Inspect] reads the first three back.
//
// Options validate themselves ([Options.Validate], [NewSink], [Signing]) and report bad
// values as an [*OptionError] naming the option as a Go expression; [Retry] says how failed
// requests are tried again.
//
// Components read from .cnb files, layouts, registries and buildpack tarballs are not
// trusted: tarballs are unpacked with dependency.ExtractArchive, every blob is verified
// against its digest as it streams (a [DigestError] otherwise), and links that would leave a
// buildpack are refused. Every copy stops when its context is done; Build keeps its
// temporary files in one folder that Close removes, and removes the folders of runs that
// were killed.
//
// The library prints nothing; progress goes to [Options.Log] when set.
package packager
