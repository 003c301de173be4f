package sdk_test

import (
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk"
)

type pythonReq struct {
	Packages []string `toml:"packages"`
}

func TestEntriesMerge(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	plan := sdk.Plan{Entries: []sdk.PlanEntry{
		{Name: "python", Metadata: map[string]any{"version": "3.11", "version-source": "default", "build": true}},
		{Name: "ffmpeg", Metadata: map[string]any{"launch": true}},
		{Name: "python", Metadata: map[string]any{"version": "3.12.*", "version-source": ".python-version", "packages": []any{"a"}}},
		{Name: "python", Metadata: map[string]any{"launch": true, "packages": []any{"b", "c"}}},
		{Name: "python", Metadata: map[string]any{"version": "3.13", "version-source": "BP_PYTHON_VERSION", "launch": false}},
		{Name: "python", Metadata: map[string]any{"version": "3.10", "version-source": "pyproject.toml"}},
	}}
	m, ok, err := sdk.Entries[pythonReq](plan, "python")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ok).To(BeTrue())
	g.Expect(plan.Has("python")).To(BeTrue())
	g.Expect(m.Name).To(Equal("python"))
	g.Expect(m.Build).To(BeTrue())
	g.Expect(m.Launch).To(BeTrue(), "launch is OR-ed: one true wins over a later false")
	g.Expect(m.Entries).To(Equal([]pythonReq{{}, {Packages: []string{"a"}}, {Packages: []string{"b", "c"}}, {}, {}}))
	g.Expect(m.Versions).To(Equal([]sdk.VersionRequest{
		{Version: "3.13", Source: "BP_PYTHON_VERSION"},
		{Version: "3.12.*", Source: ".python-version"},
		{Version: "3.10", Source: "pyproject.toml"},
		{Version: "3.11", Source: "default"},
	}))
	v, ok := m.Version()
	g.Expect(ok).To(BeTrue())
	g.Expect(v.Version).To(Equal("3.13"))

	_, ok, err = sdk.Entries[pythonReq](plan, "node")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ok).To(BeFalse())
	g.Expect(plan.Has("node")).To(BeFalse())

	none, _, _ := sdk.Entries[sdk.None](sdk.Plan{Entries: []sdk.PlanEntry{{Name: "x"}}}, "x")
	_, hasVersion := none.Version()
	g.Expect(hasVersion).To(BeFalse())
	g.Expect(none.Build || none.Launch).To(BeFalse())
}

func TestEntriesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		md   map[string]any
		err  string
	}{
		{"unknown key", map[string]any{"pakages": []any{"a"}}, `buildpack plan entry 1 ("python") metadata has unknown key pakages: sdk_test.pythonReq has no field for it`},
		{"mistyped key", map[string]any{"packages": "a"}, `buildpack plan entry 1 ("python") metadata does not fit sdk_test.pythonReq`},
		{"build not a bool", map[string]any{"build": "yes"}, `buildpack plan entry 1 ("python"): metadata "build" is yes (string): want true or false`},
		{"version not a string", map[string]any{"version": int64(3)}, `metadata "version" is 3 (int64): want a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			_, ok, err := sdk.Entries[pythonReq](sdk.Plan{Entries: []sdk.PlanEntry{{Name: "python", Metadata: tt.md}}}, "python")
			g.Expect(ok).To(BeTrue())
			g.Expect(err).To(MatchError(ContainSubstring(tt.err)))
		})
	}
}
