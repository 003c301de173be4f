package packager

import (
	"cmp"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/cnbkit/cnbkit/packager/internal/sink"
	"github.com/cnbkit/cnbkit/packager/sign"
	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Options say what to package. The zero value packages the buildpack in the working
// directory for the targets it declares. [Options.Validate] checks them; Build does too.
//
// Messages of the packager name options as Go expressions (Options.IncludeDependencies,
// RegistryOptions.Retry, FormatLayout): a command line translates those names to its flags.
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
	// Outputs are the paths on disk the package is going to be written to (a .cnb file, a
	// layout or a folder). One that lies inside a buildpack folder is left out of that
	// buildpack's files, like *.cnb files, with the per-target files and folders named after
	// it (FileName, FolderName), so a package written into its own buildpack is not packaged
	// again by the next run.
	Outputs []string
	// IncludeDependencies bundles the dependencies listed in buildpack.toml
	// [[metadata.dependencies]] for the package's targets, so builds need no download.
	IncludeDependencies bool
	// DependencyFilter, when set, bundles only dependencies with these ids (id or id@version);
	// it needs IncludeDependencies.
	DependencyFilter []string
	// Inventory is a TOML file of [[metadata.dependencies]] that replaces or extends the
	// inventory of buildpack.toml at package time, as InventoryMode says.
	Inventory string
	// InventoryMode says how Inventory applies; the zero value means dependency.Extend. It
	// needs Inventory.
	InventoryMode dependency.MergeMode
	// Fetcher downloads the dependencies to bundle (mirrors, credentials, timeouts); nil
	// means a zero dependency.Fetcher. A Fetcher without Attempts retries as Registry.Retry
	// says.
	Fetcher *dependency.Fetcher
	// Registry configures pulls of image dependencies, and Registry.Retry the retries of
	// dependency downloads too.
	Registry RegistryOptions
	// Verifier, when set, requires every component read from a .cnb file, an OCI layout or
	// a registry to carry a signature that verifies with it (see Verify); components from
	// directories and .tgz archives are built from source and need none.
	Verifier sign.Verifier
	// Log receives progress lines when set.
	Log io.Writer
}

// Validate reports every option that cannot be used, as a *ValidationError of
// *OptionError problems; it reads nothing. Build calls it before it reads the buildpack.
func (o Options) Validate() error {
	var problems []error
	if o.InventoryMode != "" {
		if _, err := dependency.ParseMergeMode(string(o.InventoryMode)); err != nil {
			problems = append(problems, &OptionError{Option: "Options.InventoryMode",
				Reason: fmt.Sprintf("%q is not known: use %q or %q", o.InventoryMode, dependency.Replace, dependency.Extend)})
		}
		if o.Inventory == "" {
			problems = append(problems, &OptionError{Option: "Options.InventoryMode", Reason: "needs Options.Inventory: name the inventory file it applies"})
		}
	}
	if len(o.DependencyFilter) > 0 && !o.IncludeDependencies {
		problems = append(problems, &OptionError{Option: "Options.DependencyFilter", Reason: "needs Options.IncludeDependencies: a filter chooses among the dependencies bundled"})
	}
	if err := o.Registry.validate(); err != nil {
		problems = append(problems, err)
	}
	if len(problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: problems}
}

// inventoryMode is InventoryMode with its default.
func (o Options) inventoryMode() dependency.MergeMode {
	return cmp.Or(o.InventoryMode, dependency.Extend)
}

// fetcher is the Fetcher Build bundles with: Options.Fetcher (or a zero one) trying as often
// as Registry.Retry says unless it sets its own Attempts.
func (o Options) fetcher() *dependency.Fetcher {
	var f dependency.Fetcher
	if o.Fetcher != nil {
		f = *o.Fetcher
	}
	f.Attempts = cmp.Or(f.Attempts, o.Registry.Retry.Times()+1)
	return &f
}

// outputRules are the exclude rules of the Outputs inside dir (a buildpack folder).
func (o Options) outputRules(dir string) []string {
	var rules []string
	for _, out := range o.Outputs {
		d, err1 := filepath.Abs(dir)
		p, err2 := filepath.Abs(out)
		if err1 != nil || err2 != nil {
			continue
		}
		rel, err := filepath.Rel(d, p)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		// A package for several targets is written to <name>-linux-<arch>...: one file or
		// folder per target (only Linux targets are packaged).
		rules = append(rules, "/"+filepath.ToSlash(rel), "/"+filepath.ToSlash(rel)+"-linux-*")
	}
	return rules
}

// RegistryOptions configure registry access.
type RegistryOptions struct {
	// Keychain resolves credentials; nil means Docker config files and credential helpers
	// (authn.DefaultKeychain).
	Keychain authn.Keychain
	// Retry says how failed requests are tried again; the zero value is the default
	// (DefaultRetries, see Retry).
	Retry Retry
	// Transport is the HTTP transport; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Log receives upload progress lines (every tenth of the bytes) when set.
	Log io.Writer
}

func (o RegistryOptions) validate() error {
	return o.Retry.validate("RegistryOptions.Retry")
}

func (o RegistryOptions) sink() sink.RegistryOptions {
	return sink.RegistryOptions{Keychain: o.Keychain, Retries: o.Retry.Times(), RetryDelay: o.Retry.Delay(), Transport: o.Transport}
}
