// Package importcheck holds the test that enforces cnbkit's import directions (see
// docs/architecture.md): the SDK stays free of the packager, the scaffold, the buildpacks,
// cobra and go-containerregistry; only sdk/internal imports libcnb, and only sdk/internal and the
// compatibility API sdk/paketo import libpak; buildpacks
// import only the SDK and a few small libraries; the packager imports only sdk/spec and
// sdk/dependency of the SDK; the scaffold only sdk/spec; nothing imports integration.
// It has no code of its own.
package importcheck
