package python

import (
	"fmt"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/sbom"
	"github.com/cnbkit/cnbkit/buildpacks/python/internal/sitepackages"
	"github.com/cnbkit/cnbkit/sdk"
)

// writeEnvironmentSBOM writes the SBOM of the virtual environment layer: one component per
// distribution installed in it, read from its .dist-info folders.
func writeEnvironmentSBOM(venv *sdk.Layer[venvMetadata], dists []sitepackages.Distribution) error {
	comps := make([]sbom.Component, 0, len(dists))
	for _, d := range dists {
		comps = append(comps, sbom.Component{Name: d.Name, Version: d.Version, PURL: d.PURL(), License: d.License})
	}
	return writeSBOMs(venv.WriteSBOM, "python-packages", comps)
}

func writeSBOMs(write func(sdk.SBOMFormat, []byte) error, name string, comps []sbom.Component) error {
	cdx, err := sbom.CycloneDX(comps)
	if err != nil {
		return fmt.Errorf("rendering the CycloneDX SBOM: %w", err)
	}
	if err := write(sdk.CycloneDX, cdx); err != nil {
		return err
	}
	spdx, err := sbom.SPDX(name, comps)
	if err != nil {
		return fmt.Errorf("rendering the SPDX SBOM: %w", err)
	}
	return write(sdk.SPDX, spdx)
}
