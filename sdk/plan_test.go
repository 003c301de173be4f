package sdk_test

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk"
)

type pythonReq struct {
	Packages []string `toml:"packages"`
}

// pythonRequest is what a requiring buildpack writes: the conventional keys and packages.
type pythonRequest struct {
	Version       string   `toml:"version,omitempty"`
	VersionSource string   `toml:"version-source,omitempty"`
	Build         bool     `toml:"build,omitempty"`
	Launch        bool     `toml:"launch,omitempty"`
	Packages      []string `toml:"packages,omitempty"`
}

func TestEntriesMerge(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	plan := sdk.Plan{Entries: []sdk.Require{
		sdk.NewRequire("python", pythonRequest{Version: "3.11", VersionSource: "default", Build: true}),
		sdk.NewRequire("ffmpeg", pythonRequest{Launch: true}),
		sdk.NewRequire("python", pythonRequest{Version: "3.12.*", VersionSource: ".python-version", Packages: []string{"a"}}),
		sdk.NewRequire("python", pythonRequest{Launch: true, Packages: []string{"b", "c"}}),
		sdk.NewRequire("python", struct {
			Version       string `toml:"version"`
			VersionSource string `toml:"version-source"`
			Launch        bool   `toml:"launch"`
		}{"3.13", "BP_PYTHON_VERSION", false}),
		sdk.NewRequire("python", pythonRequest{Version: "3.10", VersionSource: "pyproject.toml"}),
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

	none, _, _ := sdk.Entries[sdk.None](sdk.Plan{Entries: []sdk.Require{{Name: "x"}}}, "x")
	_, hasVersion := none.Version()
	g.Expect(hasVersion).To(BeFalse())
	g.Expect(none.Build || none.Launch).To(BeFalse())
}

func TestEntriesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  sdk.Require
		err  string
	}{
		{"unknown key", sdk.NewRequire("python", struct {
			Pakages []string `toml:"pakages"`
		}{[]string{"a"}}), `buildpack plan entry 1 ("python") metadata has unknown key pakages: sdk_test.pythonReq has no field for it`},
		{"mistyped key", sdk.NewRequire("python", struct {
			Packages string `toml:"packages"`
		}{"a"}), `buildpack plan entry 1 ("python") metadata does not fit sdk_test.pythonReq`},
		{"build not a bool", sdk.NewRequire("python", struct {
			Build string `toml:"build"`
		}{"yes"}), `buildpack plan entry 1 ("python"): metadata "build" is yes (string): want true or false`},
		{"version not a string", sdk.NewRequire("python", struct {
			Version int `toml:"version"`
		}{3}), `metadata "version" is 3 (int64): want a string`},
		{"not a table", sdk.NewRequire("python", 42), `buildpack plan entry 1 ("python"): a value of type int is not a table: use a struct with toml tags`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			_, ok, err := sdk.Entries[pythonReq](sdk.Plan{Entries: []sdk.Require{tt.req}}, "python")
			g.Expect(ok).To(BeTrue())
			g.Expect(err).To(MatchError(ContainSubstring(tt.err)))
		})
	}
}

// RequireMetadata decodes one entry as Entries decodes each: strictly, the conventional keys
// aside.
func TestRequireMetadata(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	r := sdk.NewRequire("python", pythonRequest{Version: "3.12", Launch: true, Packages: []string{"a"}})
	g.Expect(sdk.RequireMetadata[pythonReq](r)).To(Equal(pythonReq{Packages: []string{"a"}}))
	g.Expect(sdk.RequireMetadata[pythonRequest](r)).To(Equal(pythonRequest{Version: "3.12", Launch: true, Packages: []string{"a"}}),
		"a type may declare the conventional keys too")
	g.Expect(sdk.RequireMetadata[pythonReq](sdk.Require{Name: "python"})).To(Equal(pythonReq{}), "no metadata")

	_, err := sdk.RequireMetadata[sdk.None](r)
	g.Expect(err).To(MatchError(`plan entry "python" metadata has unknown key packages: sdk.None has no field for it (check the spelling, or add a field with a toml tag)`))
	var de *sdk.DecodeError
	g.Expect(errors.As(err, &de)).To(BeTrue())

	g.Expect(sdk.NewRequire("python", (*pythonRequest)(nil))).To(Equal(sdk.Require{Name: "python"}), "a nil pointer is no metadata")
	g.Expect(sdk.NewRequire("python", pythonRequest{})).To(Equal(sdk.Require{Name: "python"}), "nor is a value without keys")
}
