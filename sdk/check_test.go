package sdk_test

import (
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk"
)

type checkMeta struct {
	Greeting string `toml:"greeting"`
}

type checkConfig struct {
	Style   string `env:"BP_STYLE" oneof:"plain|banner"`
	Retries int    `env:"BP_RETRIES"`
}

func TestCheckDescriptor(t *testing.T) {
	t.Parallel()
	const good = `[metadata]
greeting = "hi"
[[metadata.configurations]]
name = "BP_STYLE"
default = "plain"
[[metadata.configurations]]
name = "BP_RETRIES"
default = "3"
`
	tests := []struct {
		name, api, extra string
		errs             []string
	}{
		{"good", "0.12", good, nil},
		{"unknown metadata", "0.12", good + "[metadata.extra]\nx = 1\n", []string{"unknown key metadata.extra"}},
		{"configuration without field", "0.12", good + "[[metadata.configurations]]\nname = \"BP_OTHER\"\n",
			[]string{"[[metadata.configurations]] declares BP_OTHER but sdk_test.checkConfig has no field with `env:\"BP_OTHER\"`"}},
		{"field without configuration", "0.12", "[[metadata.configurations]]\nname = \"BP_STYLE\"\n",
			[]string{`sdk_test.checkConfig.Retries reads BP_RETRIES but [[metadata.configurations]] does not declare it: add an entry with name = "BP_RETRIES"`}},
		{"bad default", "0.12", "[[metadata.configurations]]\nname = \"BP_STYLE\"\ndefault = \"fancy\"\n[[metadata.configurations]]\nname = \"BP_RETRIES\"\n",
			[]string{`default of BP_STYLE: BP_STYLE="fancy" is not valid: BP_STYLE accepts one of plain, banner`}},
		{"unknown configuration key", "0.12", "[[metadata.configurations]]\nname = \"BP_STYLE\"\ndefualt = \"x\"\n", []string{"metadata.configurations.defualt"}},
		{"old api", "0.9", good, []string{"Buildpack API"}},
		{"everything at once", "0.12", "[metadata]\ngreting = 1\n[[metadata.configurations]]\nname = \"BP_X\"\n",
			[]string{"metadata.greting", "declares BP_X", "reads BP_STYLE", "reads BP_RETRIES"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			w := newWorld(t, tt.api, tt.extra)
			err := sdk.CheckDescriptor[checkMeta, checkConfig](w.bp)
			if tt.errs == nil {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(HaveOccurred())
			g.Expect(err.Error()).To(ContainSubstring(filepath.Join(w.bp, "buildpack.toml")))
			for _, e := range tt.errs {
				g.Expect(err.Error()).To(ContainSubstring(e))
			}
		})
	}
	t.Run("missing descriptor", func(t *testing.T) {
		t.Parallel()
		err := sdk.CheckDescriptor[sdk.None, sdk.None](t.TempDir())
		NewWithT(t).Expect(err).To(MatchError(ContainSubstring("reading buildpack descriptor")))
	})
	t.Run("None", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "0.12", "")
		NewWithT(t).Expect(sdk.CheckDescriptor[sdk.None, sdk.None](w.bp)).To(Succeed())
	})
}
