package ffmpeg_test

import (
	"testing"
	"testing/fstest"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/ffmpeg"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

func TestDescriptorIsValid(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	g.Expect(sdk.CheckDescriptor[ffmpeg.Metadata, ffmpeg.Config](".")).To(Succeed())
	bp, err := spec.ReadBuildpack("buildpack.toml")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(bp.Validate()).To(Succeed())
}

func TestDetect(t *testing.T) {
	t.Parallel()
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	type want struct {
		pass    bool
		version string // version requested in the plan
		source  string
		reason  string // substring of the fail reason, or of the log on pass
	}
	cases := []struct {
		name string
		app  fstest.MapFS
		env  map[string]string
		want want
	}{
		{"empty app fails with a reason", fstest.MapFS{}, nil,
			want{reason: "does not ask for ffmpeg"}},
		{"python app without media packages", fstest.MapFS{"requirements.txt": file("fastapi\nuvicorn\n")}, nil,
			want{reason: "ffmpeg-python, pydub, moviepy, imageio-ffmpeg"}},
		{"BP_FFMPEG_ENABLED=true", fstest.MapFS{}, map[string]string{"BP_FFMPEG_ENABLED": "true"},
			want{pass: true, reason: "BP_FFMPEG_ENABLED=true"}},
		{"BP_FFMPEG_VERSION", fstest.MapFS{}, map[string]string{"BP_FFMPEG_VERSION": "2019.*"},
			want{pass: true, version: "2019.*", source: "BP_FFMPEG_VERSION"}},
		{"empty .ffmpeg-version", fstest.MapFS{".ffmpeg-version": file("")}, nil,
			want{pass: true, reason: ".ffmpeg-version"}},
		{".ffmpeg-version with a constraint", fstest.MapFS{".ffmpeg-version": file("# pinned for the codecs we use\n\n  >=2018.12, <2020  # comment\n")}, nil,
			want{pass: true, version: ">=2018.12, <2020", source: ".ffmpeg-version"}},
		{"env version wins over the file", fstest.MapFS{".ffmpeg-version": file("2018.*")}, map[string]string{"BP_FFMPEG_VERSION": "2019.6.5"},
			want{pass: true, version: "2019.6.5", source: "BP_FFMPEG_VERSION"}},
		{"ffmpeg-python in requirements.txt", fstest.MapFS{"requirements.txt": file("fastapi\nFFmpeg_Python>=0.2\n")}, nil,
			want{pass: true, reason: "requirements.txt:2 requires ffmpeg-python"}},
		{"pydub through an include", fstest.MapFS{"requirements.txt": file("-r requirements/prod.txt\n"), "requirements/prod.txt": file("pydub[all]==0.25.1 ; sys_platform == 'linux'\n")}, nil,
			want{pass: true, reason: "requirements/prod.txt:1 requires pydub"}},
		{"moviepy in pyproject", fstest.MapFS{"pyproject.toml": file("[project]\nname='a'\ndependencies=['MoviePy>=1']\n")}, nil,
			want{pass: true, reason: "pyproject.toml requires moviepy"}},
		{"imageio-ffmpeg in Pipfile", fstest.MapFS{"Pipfile": file("[packages]\nimageio_ffmpeg = '*'\n")}, nil,
			want{pass: true, reason: "Pipfile requires imageio-ffmpeg"}},
		{"windows-only requirement does not count", fstest.MapFS{"requirements.txt": file("pydub; os_name == 'nt'\n")}, nil,
			want{reason: "does not ask for ffmpeg"}},
		{"BP_FFMPEG_ENABLED=false beats everything", fstest.MapFS{"requirements.txt": file("pydub\n"), ".ffmpeg-version": file("")},
			map[string]string{"BP_FFMPEG_ENABLED": "false", "BP_FFMPEG_VERSION": "2019.*"},
			want{reason: "BP_FFMPEG_ENABLED=false"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			out := cnbtest.Detect(t, ffmpeg.Detect, cnbtest.Options{App: c.app, BuildpackDir: ".", Env: c.env})
			g.Expect(out.Err).NotTo(HaveOccurred(), "log:\n%s", out.Log)
			g.Expect(out.Pass).To(Equal(c.want.pass), "reason %q, log:\n%s", out.Reason, out.Log)
			if !c.want.pass {
				g.Expect(out.ExitCode).To(Equal(100))
				g.Expect(out.Reason).To(ContainSubstring(c.want.reason))
				return
			}
			g.Expect(out.Log).To(ContainSubstring(c.want.reason))
			g.Expect(out.Plans).To(HaveLen(1))
			plan := out.Plans[0]
			g.Expect(plan.Provides).To(Equal([]sdk.Provide{{Name: "ffmpeg"}}))
			g.Expect(plan.Requires).To(Equal([]sdk.Require{sdk.NewRequire("ffmpeg", ffmpeg.RequireMetadata{
				Version: c.want.version, VersionSource: c.want.source, Launch: true,
			})}), "nothing needs ffmpeg while the app is built: launch only")
		})
	}
}

func TestDetectErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		app  fstest.MapFS
		env  map[string]string
		want string
	}{
		{"invalid .ffmpeg-version", fstest.MapFS{".ffmpeg-version": {Data: []byte("latest please\n")}}, nil,
			`.ffmpeg-version says "latest please"`},
		{"invalid BP_FFMPEG_ENABLED", fstest.MapFS{}, map[string]string{"BP_FFMPEG_ENABLED": "yes"},
			"BP_FFMPEG_ENABLED"},
		{"invalid BP_FFMPEG_VERSION", fstest.MapFS{}, map[string]string{"BP_FFMPEG_VERSION": "four"},
			"BP_FFMPEG_VERSION"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			out := cnbtest.Detect(t, ffmpeg.Detect, cnbtest.Options{App: c.app, BuildpackDir: ".", Env: c.env})
			g.Expect(out.ExitCode).To(Equal(1), "log:\n%s", out.Log)
			g.Expect(out.Err).To(MatchError(ContainSubstring(c.want)))
		})
	}
}

func TestDetectWarnsAboutBrokenRequirementFiles(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	out := cnbtest.Detect(t, ffmpeg.Detect, cnbtest.Options{BuildpackDir: ".", App: fstest.MapFS{
		"pyproject.toml":   {Data: []byte("[project\n")},
		"requirements.txt": {Data: []byte("pydub\n")},
	}})
	g.Expect(out.Pass).To(BeTrue(), out.Log)
	g.Expect(out.Log).To(ContainSubstring("decoding pyproject.toml"))
}
