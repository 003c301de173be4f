package motd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
	"github.com/cnbkit/cnbkit/sdk/examples/motd"
)

func app(text string) fstest.MapFS {
	return fstest.MapFS{"motd.txt": {Data: []byte(text)}}
}

func TestDescriptorFitsTheTypes(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	g.Expect(sdk.CheckDescriptor[motd.Metadata, motd.Config](".")).To(Succeed())
}

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   cnbtest.Options
		passes bool
		reason string
		errMsg string
	}{
		{name: "passes with motd.txt", opts: cnbtest.Options{App: app("hi\n")}, passes: true},
		{name: "fails without motd.txt", opts: cnbtest.Options{App: fstest.MapFS{"README": {}}}, reason: "no motd.txt in the app"},
		{name: "fails when disabled", opts: cnbtest.Options{App: app("hi"), Env: map[string]string{"BP_MOTD_ENABLED": "false"}}, reason: "BP_MOTD_ENABLED is false"},
		{name: "errors on a bad boolean", opts: cnbtest.Options{App: app("hi"), Env: map[string]string{"BP_MOTD_ENABLED": "maybe"}},
			errMsg: `BP_MOTD_ENABLED="maybe" is not valid`},
		{name: "errors on a bad style", opts: cnbtest.Options{App: app("hi"), Env: map[string]string{"BP_MOTD_STYLE": "fancy"}},
			errMsg: "accepts one of plain, banner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			tt.opts.BuildpackDir = "."
			out := cnbtest.Detect(t, motd.Detect, tt.opts)
			switch {
			case tt.passes:
				g.Expect(out).To(cnbtest.HavePassed())
				g.Expect(out.Plans).To(HaveLen(1))
				g.Expect(out.Plans[0].Provides).To(Equal([]sdk.Provide{{Name: "motd"}}))
				g.Expect(out.Plans[0].Requires).To(Equal([]sdk.Require{sdk.NewRequire("motd", motd.Requirement{Launch: true})}))
			case tt.errMsg != "":
				g.Expect(out).To(cnbtest.HaveErrored(tt.errMsg))
				g.Expect(out.Log).To(ContainSubstring("ERROR: Invalid configuration"))
			default:
				g.Expect(out).To(cnbtest.HaveFailedWith(tt.reason))
				g.Expect(out.ExitCode).To(Equal(100))
			}
		})
	}
}

func build(t *testing.T, opts cnbtest.Options) cnbtest.BuildOutcome {
	t.Helper()
	opts.BuildpackDir = "."
	if opts.Plan.Entries == nil {
		detect := cnbtest.Detect(t, motd.Detect, opts)
		NewWithT(t).Expect(detect).To(cnbtest.HavePassed())
		opts.Plan = detect.BuildpackPlan()
	}
	return cnbtest.Build(t, motd.Build, opts)
}

func TestBuildRendersTheMessage(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	out := build(t, cnbtest.Options{App: app("Welcome\nto the app\n"), Env: map[string]string{"BP_MOTD_STYLE": "banner"}})

	g.Expect(out).To(cnbtest.HavePassed())
	g.Expect(out).To(cnbtest.HaveLayer("motd"))
	g.Expect(out).To(cnbtest.HaveProcess("motd", "motd"))
	layer := out.Layers["motd"]
	g.Expect(layer.Types).To(Equal(sdk.LayerTypes{Launch: true, Cache: true}))
	md, err := cnbtest.LayerMetadata[motd.LayerMetadata](out, "motd")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(md.Style).To(Equal("banner"))
	g.Expect(md.SHA256).To(HaveLen(64))
	g.Expect(layer.Status).To(Equal("new: no previous layer"))
	g.Expect(layer.LaunchEnv()).To(Equal(cnbtest.Env{
		"PATH":      {Prepend: filepath.Join(layer.Path, "bin"), Delim: ":"},
		"MOTD_FILE": {Default: filepath.Join(layer.Path, "motd.txt")},
	}))
	g.Expect(layer.SBOM).To(Equal([]string{"motd.sbom.cdx.json"}))
	rendered, err := os.ReadFile(filepath.Join(layer.Path, "motd.txt"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(rendered)).To(Equal("**************\n* Welcome    *\n* to the app *\n**************\n"))
	g.Expect(out.Labels).To(Equal([]sdk.Label{{Key: "org.example.motd.style", Value: "banner"}}))
	g.Expect(sdk.StoreMetadata[motd.LayerMetadata](out.Store)).To(Equal(md), "the store keeps what the layer was built from")
	g.Expect(out.Log).To(ContainSubstring("Message of the Day 1.0.0"))
	g.Expect(out.Log).To(MatchRegexp(`BP_MOTD_STYLE\s+banner\s+\(platform env\)\s+how the message is rendered`))
}

func TestBuildReusesTheLayer(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	first := build(t, cnbtest.Options{App: app("hi\n")})
	g.Expect(first).To(cnbtest.HavePassed())

	second := build(t, cnbtest.Options{App: app("hi\n"), Layers: first.LayersDir})
	g.Expect(second).To(cnbtest.HavePassed())
	g.Expect(second).To(cnbtest.HaveReusedLayer("motd"))
	g.Expect(second.Layers["motd"].LaunchEnv()).To(HaveKey("PATH"), "a cached layer keeps its env files")
	g.Expect(second.Layers["motd"].Types).To(Equal(sdk.LayerTypes{Launch: true, Cache: true}))
	g.Expect(second.Log).NotTo(ContainSubstring("Rendering"))
}

func TestBuildRebuildsWhenTheMessageChanges(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	first := build(t, cnbtest.Options{App: app("hi\n")})
	g.Expect(first).To(cnbtest.HavePassed())

	second := build(t, cnbtest.Options{App: app("hello\n"), Layers: first.LayersDir})
	g.Expect(second).To(cnbtest.HaveRebuiltLayer("motd", "motd.txt changed"))
	g.Expect(second.Layers["motd"].Reason().Kind).To(Equal(sdk.ReasonInvalidated))

	third := build(t, cnbtest.Options{App: app("hello\n"), Layers: second.LayersDir, Env: map[string]string{"BP_MOTD_STYLE": "banner"}})
	g.Expect(third).To(cnbtest.HaveRebuiltLayer("motd", "style changed from plain to banner"))
}

func TestBuildErrorsOnALongMessage(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	out := build(t, cnbtest.Options{App: app(strings.Repeat("line\n", 21))})
	g.Expect(out).To(cnbtest.HaveErrored("motd.txt has 21 lines; at most 20"))
	g.Expect(out.Log).To(ContainSubstring("ERROR: Message of the day too long"))
	g.Expect(out.Log).To(ContainSubstring("1. Shorten motd.txt to 20 lines or fewer."))
	g.Expect(out.Layers).To(BeEmpty())
}

func TestBuildWithoutPlanEntryDoesNothing(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	out := build(t, cnbtest.Options{App: app("hi"), Plan: sdk.Plan{Entries: []sdk.Require{}}})
	g.Expect(out).To(cnbtest.HavePassed())
	g.Expect(out.Layers).To(BeEmpty())
	g.Expect(out.Processes).To(BeEmpty())
}
