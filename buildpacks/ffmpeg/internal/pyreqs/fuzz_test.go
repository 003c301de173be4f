package pyreqs_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cnbkit/cnbkit/buildpacks/ffmpeg/internal/pyreqs"
)

// FuzzScan feeds arbitrary requirement files, pyproject.toml and Pipfile contents to Scan:
// it must not panic or loop, and every name it reports must be a non-empty normalised name
// with a source.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"pydub\n", "moviepy[a,b] >=1 ; sys_platform == 'linux' and (os_name == \"posix\" or python_version < '3')\n",
		"-r requirements.txt\n-rrequirements.txt\n--requirement=../x.txt\n", "-e git+https://h/x.git#egg=ffmpeg_python\n",
		"pydub ; ((((\n", "pydub ; 'a' not in sys_platform\n", "x @ https://h/x.whl ; os_name == 'nt'\n", "\\\n\\\n",
		"[project]\ndependencies = ['pydub']\n", "[packages]\npydub = {markers = \"os_name == 'nt'\"}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		app := fstest.MapFS{
			"requirements.txt":     {Data: []byte(data)},
			"requirements-dev.txt": {Data: []byte("-r requirements.txt\n" + data)},
			"pyproject.toml":       {Data: []byte(data)},
			"Pipfile":              {Data: []byte(data)},
		}
		reqs, _ := pyreqs.Scan(app)
		for _, r := range reqs {
			if r.Name == "" || r.Name != pyreqs.Normalize(r.Name) || strings.ContainsAny(r.Name, " \t;[") || r.Source == "" {
				t.Fatalf("Scan reported %+v for input %q", r, data)
			}
		}
	})
}
