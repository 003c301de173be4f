package pythontest

import (
	"fmt"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

// A uv project (pyproject.toml + uv.lock, no requirements.txt, a setuptools package) installs
// exactly what the lock says from the index on 127.0.0.1, checking the locked hashes, without
// resolving again, then the project itself, and serves.
func TestUVLockProject(t *testing.T) {
	e := setup(t)
	g := NewWithT(t)
	// Every package with the sha256 of the fixture's wheel, as uv writes it: pip then runs in
	// hash-checking mode and would refuse any other file.
	pkg := func(name, deps string) string {
		w, ok := e.wheels.Wheel(name)
		if !ok {
			t.Fatalf("the fixture index has no %s", name)
		}
		s := fmt.Sprintf("[[package]]\nname = %q\nversion = %q\nsource = { registry = \"https://index.example.com/simple\" }\n", name, w.Version)
		if deps != "" {
			s += "dependencies = [" + deps + "]\n"
		}
		return s + fmt.Sprintf("wheels = [{ url = \"https://files.example/%s\", hash = \"sha256:%s\" }]\n\n", w.File, w.SHA256)
	}
	lock := "version = 1\nrequires-python = \">=3.11\"\n\n" +
		"[[package]]\nname = \"svc\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\ndependencies = [{ name = \"flask\" }, { name = \"gunicorn\" }]\n\n" +
		"[package.dev-dependencies]\ndev = [{ name = \"pydub\" }]\n\n" +
		pkg("click", "") +
		pkg("flask", `{ name = "click" }, { name = "itsdangerous" }, { name = "jinja2" }, { name = "werkzeug" }`) +
		pkg("gunicorn", `{ name = "setuptools" }`) +
		pkg("itsdangerous", "") +
		pkg("jinja2", `{ name = "markupsafe" }`) +
		pkg("markupsafe", "") +
		pkg("pydub", "") +
		pkg("setuptools", "") +
		pkg("werkzeug", `{ name = "markupsafe" }`)
	out := build(t, e, map[string]string{
		"pyproject.toml": "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n\n" +
			"[project]\nname = \"svc\"\nversion = \"0.1.0\"\nrequires-python = \">=3.11\"\ndependencies = [\"flask\", \"gunicorn\"]\n\n" +
			"[dependency-groups]\ndev = [\"pydub\"]\n\n[tool.setuptools]\npy-modules = [\"app\"]\n",
		"uv.lock": lock,
		"app.py":  "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route('/')\ndef index():\n    return 'uv says hi'\n",
	}, "")
	g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
	g.Expect(out.Log).To(ContainSubstring("pip install --no-deps of the 8 packages locked in uv.lock and the project itself"))
	infos, _ := filepath.Glob(filepath.Join(out.Layers["venv"].Path, "lib", "python3*", "site-packages", "pydub*"))
	g.Expect(infos).To(BeEmpty(), "dev dependencies stay out")
	port := freePort(t)
	logs := start(t, out, out.Processes[0], port)
	g.Expect(get(t, fmt.Sprintf("http://127.0.0.1:%d/", port), logs)).To(Equal("uv says hi"))
}
