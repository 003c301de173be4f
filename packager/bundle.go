package packager

import (
	"github.com/cnbkit/cnbkit/packager/internal/layer"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// bundlePlan says which dependencies are bundled into which buildpack for which target.
type bundlePlan struct{}

type bundleSpec struct{ key string }

func (l *loader) planBundles(main *module, targets []spec.Target) bundlePlan {
	if l.opts.IncludeDependencies || l.opts.Inventory != "" {
		l.problem("--include-dependencies and --dependencies are not available yet")
	}
	return bundlePlan{}
}

func (p bundlePlan) forModule(m *module, t spec.Target) *bundleSpec { return nil }

func (b *builder) bundle(m *module, t spec.Target, s *bundleSpec) ([]layer.File, error) {
	return nil, nil
}
