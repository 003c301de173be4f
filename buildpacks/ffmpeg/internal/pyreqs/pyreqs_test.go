package pyreqs_test

import (
	"fmt"
	"testing"
	"testing/fstest"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/ffmpeg/internal/pyreqs"
)

func names(reqs []pyreqs.Requirement) []string {
	out := []string{}
	for _, r := range reqs {
		out = append(out, r.Name)
	}
	return out
}

func TestScanRequirementsLines(t *testing.T) {
	t.Parallel()
	cases := []struct {
		line string
		want []string
	}{
		{"pydub", []string{"pydub"}},
		{"PyDub==0.25.1", []string{"pydub"}},
		{"FFmpeg_Python>=0.2", []string{"ffmpeg-python"}},
		{"ffmpeg.python ~= 0.2", []string{"ffmpeg-python"}},
		{"moviepy[optional,doc] >=1.0,<2", []string{"moviepy"}},
		{"imageio-ffmpeg (>=0.4)", []string{"imageio-ffmpeg"}},
		{"pydub; sys_platform == 'linux'", []string{"pydub"}},
		{`pydub ; sys_platform == "win32"`, []string{}},
		{`pydub ; platform_system == "Windows" or os_name == "nt"`, []string{}},
		{`pydub ; sys_platform != "darwin" and python_version >= "3.8"`, []string{"pydub"}},
		{`pydub ; (sys_platform == "darwin" or sys_platform == "win32") and python_version > "3"`, []string{}},
		{`pydub ; python_version < "3.0"`, []string{"pydub"}},
		{`pydub ; "linux" in sys_platform`, []string{"pydub"}},
		{`pydub ; "win" in sys_platform`, []string{}},
		{`pydub ; this is not a marker ((`, []string{"pydub"}},
		{"pydub==0.25.1 --hash=sha256:65617e33033874b59d87db603aa1ed450633288aefead953b30bded59cb599a6", []string{"pydub"}},
		{"pydub @ https://files.example.org/pydub-0.25.1-py2.py3-none-any.whl", []string{"pydub"}},
		{`pydub @ https://files.example.org/pydub.whl ; sys_platform == "win32"`, []string{}},
		{"https://files.example.org/packages/pydub-0.25.1-py2.py3-none-any.whl", []string{"pydub"}},
		{"./vendor/moviepy-1.0.3.tar.gz", []string{"moviepy"}},
		{"git+https://example.org/kkroening/ffmpeg-python.git@main#egg=ffmpeg-python", []string{"ffmpeg-python"}},
		{"-e git+https://example.org/jiaaro/pydub.git#egg=pydub", []string{"pydub"}},
		{"--editable=git+https://example.org/jiaaro/pydub.git#egg=pydub", []string{"pydub"}},
		{"# pydub", []string{}},
		{"requests  # pydub is not needed", []string{"requests"}},
		{"--index-url https://pypi.example.org/simple", []string{}},
		{"-c constraints.txt", []string{}},
		{"pydub-extras", []string{"pydub-extras"}},
		{"pydub 0.25", []string{}},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			reqs, err := pyreqs.Scan(fstest.MapFS{"requirements.txt": {Data: []byte(c.line + "\n")}})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(names(reqs)).To(Equal(c.want), "Scan of requirements.txt with %q", c.line)
		})
	}
}

func TestScanFollowsIncludesAndContinuations(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	app := fstest.MapFS{
		"requirements.txt":      {Data: []byte("fastapi\n-r requirements/base.txt\n")},
		"requirements/base.txt": {Data: []byte("--requirement=media.txt\n-rloop.txt\n")},
		"requirements/media.txt": {Data: []byte("moviepy \\\n  >=1.0 \\\n  ; sys_platform == 'linux'\n" +
			"-r ../requirements.txt\n")},
		"requirements/loop.txt": {Data: []byte("-r loop.txt\nimageio_ffmpeg\r\n")},
		"requirements-dev.txt":  {Data: []byte("pytest\n-r missing.txt\n")},
	}
	reqs, err := pyreqs.Scan(app)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(reqs).To(ContainElements(
		pyreqs.Requirement{Name: "fastapi", Source: "requirements.txt:1"},
		pyreqs.Requirement{Name: "moviepy", Source: "requirements/media.txt:1"},
		pyreqs.Requirement{Name: "imageio-ffmpeg", Source: "requirements/loop.txt:2"},
		pyreqs.Requirement{Name: "pytest", Source: "requirements-dev.txt:1"},
	))
	g.Expect(reqs).To(HaveLen(4), "every file is read once, even in an include cycle: %v", reqs)
}

func TestScanPyprojectAndPipfile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		app  fstest.MapFS
		want []string
	}{
		{"pep 621", fstest.MapFS{"pyproject.toml": {Data: []byte(`
[project]
name = "app"
dependencies = ["FFmpeg-Python >=0.2", "pydub; sys_platform == 'win32'"]
[project.optional-dependencies]
video = ["moviepy"]
`)}}, []string{"ffmpeg-python"}},
		{"poetry", fstest.MapFS{"pyproject.toml": {Data: []byte(`
[tool.poetry.dependencies]
python = "^3.11"
MoviePy = "^1.0"
pydub = { version = "*", markers = "sys_platform == 'darwin'" }
imageio-ffmpeg = [{ version = "0.4", platform = "linux" }, { version = "0.5", platform = "darwin" }]
ffmpeg-python = { version = "*", optional = true }
[tool.poetry.group.dev.dependencies]
pytest = "*"
`)}}, []string{"moviepy", "imageio-ffmpeg"}}, // sorted by key as written
		{"pipfile", fstest.MapFS{"Pipfile": {Data: []byte(`
[packages]
pydub = "*"
moviepy = { version = "*", sys_platform = "== 'win32'" }
[dev-packages]
imageio-ffmpeg = "*"
`)}}, []string{"pydub"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			reqs, err := pyreqs.Scan(c.app)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(names(reqs)).To(Equal(c.want))
		})
	}
}

func TestScanReportsBrokenFilesAndKeepsTheRest(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	reqs, err := pyreqs.Scan(fstest.MapFS{
		"pyproject.toml":   {Data: []byte("[project\ndependencies = [")},
		"requirements.txt": {Data: []byte("pydub\n")},
	})
	g.Expect(err).To(MatchError(ContainSubstring("decoding pyproject.toml")))
	g.Expect(names(reqs)).To(Equal([]string{"pydub"}))
}

// A dependency value of an unexpected form counts (the package may be installed) and is
// reported with its name.
func TestScanReportsAnUnexpectedDependencyValue(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	reqs, err := pyreqs.Scan(fstest.MapFS{"Pipfile": {Data: []byte("[packages]\npydub = 3\nmoviepy = \"*\"\n")}})
	g.Expect(err).To(MatchError(ContainSubstring("Pipfile: dependency pydub is neither a version, a table nor an array of tables")))
	g.Expect(names(reqs)).To(Equal([]string{"moviepy", "pydub"}))
}

func ExampleNormalize() {
	fmt.Println(pyreqs.Normalize("FFmpeg_Python"), pyreqs.Normalize("imageio.ffmpeg"))
	// Output: ffmpeg-python imageio-ffmpeg
}
