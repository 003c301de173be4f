package packager

import (
	"io"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/cnbkit/cnbkit/packager/internal/sink"
	"github.com/cnbkit/cnbkit/packager/sign"
	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Options say what to package. The zero value packages the buildpack in the working
// directory for the targets it declares.
type Options struct {
	// Path is the buildpack directory. Empty means the [buildpack] uri of Config, or ".".
	Path string
	// Config is a package.toml. Empty means <Path>/package.toml when it exists.
	Config string
	// Targets are the build targets to package for. Empty means the targets of package.toml,
	// else those of buildpack.toml (for a composite: those all its components support),
	// else linux/amd64.
	Targets []spec.Target
	// Exclude and Include are extra selection rules (see docs/packager.md), applied after
	// the defaults and .cnbignore; Include rules win over Exclude rules.
	Exclude, Include []string
	// IncludeDependencies bundles the dependencies listed in buildpack.toml
	// [[metadata.dependencies]] for the package's targets, so builds need no download.
	IncludeDependencies bool
	// DependencyFilter, when set, bundles only dependencies with these ids (id or id@version).
	DependencyFilter []string
	// Inventory is a TOML file of [[metadata.dependencies]] that replaces or extends
	// (InventoryMode "replace" or "extend") the inventory of buildpack.toml at package time.
	Inventory     string
	InventoryMode string
	// Fetcher downloads the dependencies to bundle (mirrors, retries, credentials); nil
	// means a zero dependency.Fetcher.
	Fetcher *dependency.Fetcher
	// Registry configures pulls of image dependencies.
	Registry RegistryOptions
	// Verifier, when set, requires every component read from a .cnb file, an OCI layout or
	// a registry to carry a signature that verifies with it (see Verify); components from
	// directories and .tgz archives are built from source and need none.
	Verifier sign.Verifier
	// Log receives progress lines when set.
	Log io.Writer
}

// RegistryOptions configure registry access.
type RegistryOptions struct {
	// Keychain resolves credentials; nil means Docker config files and credential helpers
	// (authn.DefaultKeychain).
	Keychain authn.Keychain
	// Retries is how many times a failed request is tried again; 0 means 5, a negative
	// number means never.
	Retries int
	// RetryDelay is the first wait between tries, doubled each time; 0 means one second.
	RetryDelay time.Duration
	// Transport is the HTTP transport; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Log receives upload progress lines (every tenth of the bytes) when set.
	Log io.Writer
}

func (o RegistryOptions) sink() sink.RegistryOptions {
	return sink.RegistryOptions{Keychain: o.Keychain, Retries: o.Retries, RetryDelay: o.RetryDelay, Transport: o.Transport}
}
