package python

import (
	"fmt"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/sitepackages"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/dependency/sbom"
)

// writeEnvironmentSBOM writes the SBOM of the virtual environment layer: one component per
// distribution installed in it, read from its .dist-info folders (not from the requirements).
func writeEnvironmentSBOM(venv *sdk.Layer[venvMetadata], dists []sitepackages.Distribution) error {
	doc := sbom.Document{Name: "python-packages", Tool: "cnbkit/python"}
	for _, d := range dists {
		c := sbom.Component{Type: "library", Name: d.Name, Version: d.Version, PURL: d.PURL(), Description: d.Summary}
		if d.License != "" {
			c.Licenses = []string{d.License}
		}
		doc.Components = append(doc.Components, c)
	}
	cdx, err := doc.CycloneDX()
	if err != nil {
		return fmt.Errorf("rendering the CycloneDX SBOM: %w", err)
	}
	if err := venv.WriteSBOM(sdk.CycloneDX, cdx); err != nil {
		return err
	}
	spdx, err := doc.SPDX()
	if err != nil {
		return fmt.Errorf("rendering the SPDX SBOM: %w", err)
	}
	return venv.WriteSBOM(sdk.SPDX, spdx)
}
