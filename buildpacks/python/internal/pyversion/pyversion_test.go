package pyversion_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
	"testing/fstest"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/pyversion"
)

func versions(t *testing.T, ss ...string) []pyversion.Version {
	t.Helper()
	var out []pyversion.Version
	for _, s := range ss {
		v, err := pyversion.ParseVersion(s)
		if err != nil {
			t.Fatalf("ParseVersion(%q): %v", s, err)
		}
		out = append(out, v)
	}
	return out
}

func TestSpecifierNewest(t *testing.T) {
	t.Parallel()
	available := versions(t, "3.11.16", "3.12.13", "3.12.14", "3.13.15", "3.14.7")
	tests := []struct {
		spec string
		want string // "" = none
	}{
		{"3.12", "3.12.14"},
		{"3.12.x", "3.12.14"},
		{"3.12.*", "3.12.14"},
		{"==3.12.*", "3.12.14"},
		{"3.12.13", "3.12.13"},
		{"==3.12.13", "3.12.13"},
		{"===3.12.13", "3.12.13"},
		{"3", "3.14.7"},
		{">=3.11,<3.13", "3.12.14"},
		{">=3.11, <3.13", "3.12.14"},
		{"~=3.11", "3.14.7"},
		{"~=3.11.0", "3.11.16"},
		{"<=3.12.13", "3.12.13"},
		{">3.13", "3.14.7"},
		{">=3.10,!=3.14.*", "3.13.15"},
		{"!=3.14.7", "3.13.15"},
		{"3.10", ""},
		{">=3.15", ""},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			s, err := pyversion.ParseSpecifier(tt.spec)
			g.Expect(err).NotTo(HaveOccurred())
			v, ok := s.Newest(available)
			if tt.want == "" {
				g.Expect(ok).To(BeFalse(), "Newest(%s) = %s, want none", tt.spec, v)
				return
			}
			g.Expect(ok).To(BeTrue())
			g.Expect(v.String()).To(Equal(tt.want))
		})
	}
}

func TestSpecifierErrors(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "abc", "3.x.1", ">=3.11,", ">=3.*", "~=3", "3.12-dev"} {
		_, err := pyversion.ParseSpecifier(s)
		NewWithT(t).Expect(err).To(HaveOccurred(), "ParseSpecifier(%q)", s)
	}
}

func TestReadPriority(t *testing.T) {
	t.Parallel()
	all := fstest.MapFS{
		".python-version": {Data: []byte("# pinned\n3.12\n")},
		"runtime.txt":     {Data: []byte("python-3.11.9\n")},
		"pyproject.toml":  {Data: []byte("[project]\nname = \"x\"\nrequires-python = \">=3.10\"\n")},
		"Pipfile":         {Data: []byte("[requires]\npython_version = \"3.11\"\n")},
	}
	tests := []struct {
		name    string
		fs      fstest.MapFS
		setting string
		want    []string // source=raw
	}{
		{"all with setting", all, "3.13", []string{"BP_CPYTHON_VERSION=3.13", ".python-version=3.12", "runtime.txt=3.11.9", "pyproject.toml requires-python=>=3.10", "Pipfile [requires]=3.11"}},
		{"all", all, "", []string{".python-version=3.12", "runtime.txt=3.11.9", "pyproject.toml requires-python=>=3.10", "Pipfile [requires]=3.11"}},
		{"none", fstest.MapFS{"app.py": {}}, "", nil},
		{"pipfile full version wins", fstest.MapFS{"Pipfile": {Data: []byte("[requires]\npython_version = \"3.11\"\npython_full_version = \"3.11.9\"\n")}}, "", []string{"Pipfile [requires]=3.11.9"}},
		{"pyproject without requires-python", fstest.MapFS{"pyproject.toml": {Data: []byte("[project]\nname = \"x\"\n")}}, "", nil},
		{"python-version prefixed", fstest.MapFS{".python-version": {Data: []byte("cpython-3.13.1\n")}}, "", []string{".python-version=3.13.1"}},
		{"python-version as uv writes it", fstest.MapFS{".python-version": {Data: []byte("cpython@3.12\n")}}, "", []string{".python-version=3.12"}},
		{"python-version comments, blank lines, trailing comment", fstest.MapFS{".python-version": {Data: []byte("\n# the version we test with\n\n  3.12.14   # pinned\n3.11\n")}}, "", []string{".python-version=3.12.14"}},
		{"python-version constraint", fstest.MapFS{".python-version": {Data: []byte(">= 3.10\n")}}, "", []string{".python-version=>= 3.10"}},
		{"python-version range", fstest.MapFS{".python-version": {Data: []byte(">=3.11,<3.14\n")}}, "", []string{".python-version=>=3.11,<3.14"}},
		{"poetry python below requires-python", fstest.MapFS{"pyproject.toml": {Data: []byte("[project]\nname = \"x\"\nrequires-python = \">=3.11\"\n[tool.poetry.dependencies]\npython = \"^3.12\"\nfastapi = \"*\"\n")},
			"Pipfile": {Data: []byte("[requires]\npython_version = \"3.13\"\n")}}, "",
			[]string{"pyproject.toml requires-python=>=3.11", "pyproject.toml [tool.poetry.dependencies] python=^3.12", "Pipfile [requires]=3.13"}},
		{"poetry python any", fstest.MapFS{"pyproject.toml": {Data: []byte("[tool.poetry.dependencies]\npython = \"*\"\n")}}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			reqs, ignored, err := pyversion.Read(tt.fs, tt.setting)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(ignored).To(BeEmpty())
			var got []string
			for _, r := range reqs {
				got = append(got, fmt.Sprintf("%s=%s", r.Source, r.Raw))
			}
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fs         fstest.MapFS
		setting    string
		wantSource pyversion.Source
		wantReason string
	}{
		{"bad setting", nil, "latest", pyversion.SourceSetting, "is not a version"},
		{"empty python-version", fstest.MapFS{".python-version": {Data: []byte("# nothing\n\n")}}, "", pyversion.SourcePythonVersion, "is empty"},
		{"pypy", fstest.MapFS{".python-version": {Data: []byte("pypy3.10\n")}}, "", pyversion.SourcePythonVersion, "other than CPython"},
		{"system", fstest.MapFS{".python-version": {Data: []byte("system\n")}}, "", pyversion.SourcePythonVersion, "system Python"},
		{"free-threaded", fstest.MapFS{".python-version": {Data: []byte("3.13t\n")}}, "", pyversion.SourcePythonVersion, "free-threaded"},
		{"word ending in t", fstest.MapFS{".python-version": {Data: []byte("latest\n")}}, "", pyversion.SourcePythonVersion, "is not a CPython version"},
		{"runtime.txt without prefix", fstest.MapFS{"runtime.txt": {Data: []byte("3.12.4\n")}}, "", pyversion.SourceRuntimeTxt, "python-X.Y.Z"},
		{"runtime.txt garbage", fstest.MapFS{"runtime.txt": {Data: []byte("python-three\n")}}, "", pyversion.SourceRuntimeTxt, "python-X.Y.Z"},
		{"bad requires-python", fstest.MapFS{"pyproject.toml": {Data: []byte("[project]\nrequires-python = \"py3\"\n")}}, "", pyversion.SourceRequiresPython, "is not a version"},
		{"pyproject syntax", fstest.MapFS{"pyproject.toml": {Data: []byte("[project\n")}}, "", "pyproject.toml", "TOML syntax error"},
		{"Pipfile syntax", fstest.MapFS{"Pipfile": {Data: []byte("[requires\n")}}, "", "Pipfile", "TOML syntax error"},
		{"poetry python not a constraint", fstest.MapFS{"pyproject.toml": {Data: []byte("[tool.poetry.dependencies]\npython = \"three\"\n")}}, "", pyversion.SourcePoetry, "not a Poetry version constraint"},
		{"poetry python not a string", fstest.MapFS{"pyproject.toml": {Data: []byte("[tool.poetry.dependencies]\npython = 3\n")}}, "", pyversion.SourcePoetry, "not a string"},
		{"python-version bad constraint", fstest.MapFS{".python-version": {Data: []byte(">= three\n")}}, "", pyversion.SourcePythonVersion, "is not a version"},
		{"python-version unreadable", fstest.MapFS{".python-version": {Mode: fs.ModeDir}}, "", pyversion.SourcePythonVersion, "cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			fsys := tt.fs
			if fsys == nil {
				fsys = fstest.MapFS{}
			}
			_, _, err := pyversion.Read(fsys, tt.setting)
			var fe *pyversion.FileError
			g.Expect(errors.As(err, &fe)).To(BeTrue(), "Read returned %v, want a *FileError", err)
			g.Expect(fe.Source).To(Equal(tt.wantSource))
			g.Expect(fe.Reason).To(ContainSubstring(tt.wantReason))
		})
	}
}

// The setting wins over every file, even one that cannot be read: those come back as ignored.
func TestReadSettingWinsOverUnreadableFiles(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	app := fstest.MapFS{
		".python-version": {Data: []byte("pypy3.10\n")},
		"runtime.txt":     {Mode: fs.ModeDir},
		"pyproject.toml":  {Data: []byte("[project\n")},
		"Pipfile":         {Data: []byte("[requires]\npython_version = \"3.11\"\n")},
	}
	reqs, ignored, err := pyversion.Read(app, "3.13")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(reqs).To(HaveLen(2))
	g.Expect(reqs[0].Source).To(Equal(pyversion.SourceSetting))
	g.Expect(reqs[1].Source).To(Equal(pyversion.SourcePipfile))
	var sources []pyversion.Source
	for _, fe := range ignored {
		sources = append(sources, fe.Source)
	}
	g.Expect(sources).To(Equal([]pyversion.Source{pyversion.SourcePythonVersion, pyversion.SourceRuntimeTxt, "pyproject.toml"}))

	_, _, err = pyversion.Read(app, "")
	var fe *pyversion.FileError
	g.Expect(errors.As(err, &fe)).To(BeTrue(), "without the setting the first unreadable file fails: got %v", err)
	g.Expect(fe.Source).To(Equal(pyversion.SourcePythonVersion))
}

func TestPoetryConstraint(t *testing.T) {
	t.Parallel()
	available := versions(t, "3.10.9", "3.11.16", "3.12.14", "3.13.15", "3.14.7")
	tests := []struct {
		constraint string
		want       string // "" = none
		isRange    bool
	}{
		{"^3.11", "3.14.7", true},
		{"^3.11.20", "3.14.7", true},
		{"~3.11", "3.11.16", true},
		{"~3.12.2", "3.12.14", true},
		{"~=3.11", "3.14.7", true},
		{"3.12.*", "3.12.14", false},
		{"3.12", "3.12.14", false},
		{">=3.10,<3.13", "3.12.14", true},
		{">= 3.10 < 3.13", "3.12.14", true},
		{">=3.10 <3.12", "3.11.16", true},
		{"~3.10 || ~3.12", "3.12.14", true},
		{"^4.0", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.constraint, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			s, err := pyversion.ParsePoetryConstraint(tt.constraint)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(s.IsRange()).To(Equal(tt.isRange))
			v, ok := s.Newest(available)
			if tt.want == "" {
				g.Expect(ok).To(BeFalse(), "Newest(%s) = %s, want none", tt.constraint, v)
				return
			}
			g.Expect(ok).To(BeTrue(), "Newest(%s) found nothing", tt.constraint)
			g.Expect(v.String()).To(Equal(tt.want))
		})
	}
	any, err := pyversion.ParsePoetryConstraint("*")
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	NewWithT(t).Expect(any.IsZero()).To(BeTrue())
	for _, bad := range []string{"", "three", "^", "~x", ">=3.10 ||", "3.1x"} {
		_, err := pyversion.ParsePoetryConstraint(bad)
		NewWithT(t).Expect(err).To(HaveOccurred(), "ParsePoetryConstraint(%q)", bad)
	}
}

func TestChoose(t *testing.T) {
	t.Parallel()
	available := versions(t, "3.11.16", "3.12.14", "3.13.15", "3.14.7")
	req := func(src pyversion.Source, raw string) pyversion.Request {
		s, err := pyversion.ParseSpecifier(raw)
		if err != nil {
			t.Fatal(err)
		}
		return pyversion.Request{Source: src, Raw: raw, Spec: s}
	}
	g := NewWithT(t)

	c, err := pyversion.Choose(nil, available)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Version.String()).To(Equal("3.14.7"))
	g.Expect(c.Request.Source).To(Equal(pyversion.SourceDefault))

	c, err = pyversion.Choose([]pyversion.Request{req(pyversion.SourcePythonVersion, "3.12"), req(pyversion.SourceRuntimeTxt, "3.11.16"), req(pyversion.SourceRequiresPython, ">=3.11")}, available)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Version.String()).To(Equal("3.12.14"))
	g.Expect(c.Overridden).To(HaveLen(1))
	g.Expect(c.Overridden[0].Source).To(Equal(pyversion.SourceRuntimeTxt))

	_, err = pyversion.Choose([]pyversion.Request{req(pyversion.SourceSetting, "3.13"), req(pyversion.SourceRequiresPython, "<3.13")}, available)
	var ce *pyversion.ConflictError
	g.Expect(errors.As(err, &ce)).To(BeTrue(), "Choose returned %v", err)
	g.Expect(ce.Chosen.Version.String()).To(Equal("3.13.15"))

	_, err = pyversion.Choose([]pyversion.Request{req(pyversion.SourcePythonVersion, "3.9")}, available)
	var ue *pyversion.UnavailableError
	g.Expect(errors.As(err, &ue)).To(BeTrue(), "Choose returned %v", err)
	g.Expect(ue.Available[0].String()).To(Equal("3.14.7"))

	_, err = pyversion.Choose(nil, nil)
	g.Expect(err).To(HaveOccurred())

	eol, ok := pyversion.EndOfLife("3.9")
	g.Expect(ok).To(BeTrue())
	g.Expect(eol).To(Equal("2025-10-31"))
}
