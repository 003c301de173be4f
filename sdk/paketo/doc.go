// Package paketo is cnbkit's compatibility API with github.com/paketo-buildpacks/libpak/v2:
// conversions both ways between libpak's BuildModuleDependency and cnbkit's
// dependency.Dependency, so that a buildpack written on libpak can move to cnbkit one phase
// at a time (see docs/migrating-from-libpak.md). It is the only package of the SDK whose API
// names libpak types; a buildpack that does not import it does not link libpak's resolver,
// layer contributors or their dependencies.
//
// cnbkit reads every [[metadata.dependencies]] table the way libpak v2.2.0 does (the keys,
// the RFC 0059 checksum prefixes through libpak's Checksum, the purl's arch qualifier), and
// resolves the same dependency for an id, a version constraint and a target, except where it
// is deliberately stricter or looser, each difference tested against libpak's resolver:
//
//   - A checksum with another algorithm than sha256 (libpak also verifies sha512) is an
//     inventory error: cnbkit keys downloads, bundles, dependency-mapping bindings and layer
//     reuse by the artifact's sha256.
//   - os and distros take part in resolution (libpak v2.2.0 reads them but resolves by arch
//     and stack only): a dependency built for ubuntu 24.04 is not chosen for a Debian target.
//   - stacks play no part (cnbkit resolves by target; stacks are deprecated): libpak skips an
//     entry whose stacks do not list the build's stack id.
//   - An entry with neither arch nor a purl arch qualifier is for any architecture (libpak
//     takes it for amd64 only when it has no purl at all).
//   - The architecture is the build target's (CNB_TARGET_ARCH), not the architecture the
//     buildpack binary runs on (libpak: BP_ARCH, else GOARCH).
//   - "latest" is a constraint meaning any version (libpak rejects it), and among entries of
//     the same version the one naming the target most precisely wins (libpak's pick is
//     unspecified).
package paketo
