package pythontest

import (
	"fmt"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

// A Poetry application (pyproject.toml [tool.poetry] + poetry.lock, package-mode = false)
// installs exactly the locked main dependencies from the index on 127.0.0.1 and serves.
func TestPoetryLockProject(t *testing.T) {
	e := setup(t)
	g := NewWithT(t)
	pkg := func(name, version, deps string) string {
		s := fmt.Sprintf("[[package]]\nname = %q\nversion = %q\ndescription = \"\"\noptional = false\npython-versions = \">=3.7\"\nfiles = []\n", name, version)
		if deps != "" {
			s += "\n[package.dependencies]\n" + deps
		}
		return s + "\n"
	}
	lock := pkg("anyio", "3.6.2", "idna = \">=2.8\"\nsniffio = \">=1.1\"\n") +
		pkg("asgiref", "3.6.0", "") +
		pkg("click", "8.1.3", "") +
		pkg("fastapi", "0.92.0", "pydantic = \">=1.6.2,<2.0.0\"\nstarlette = \">=0.25.0,<0.27.0\"\n") +
		pkg("h11", "0.14.0", "") +
		pkg("idna", "3.3", "") +
		pkg("pydantic", "1.10.4", "typing-extensions = \">=4.2.0\"\n") +
		pkg("pydub", "0.24.1", "") +
		pkg("sniffio", "1.2.0", "") +
		pkg("starlette", "0.26.1", "anyio = \">=3.4.0,<5\"\n") +
		pkg("typing-extensions", "4.4.0", "") +
		pkg("uvicorn", "0.17.6", "asgiref = \">=3.4.0\"\nclick = \">=7.0\"\nh11 = \">=0.8\"\n") +
		"[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.11\"\ncontent-hash = \"0\"\n"
	out := build(t, e, map[string]string{
		"pyproject.toml": `[tool.poetry]
name = "svc"
version = "0.1.0"
description = ""
authors = []
package-mode = false

[tool.poetry.dependencies]
python = "^3.11"
fastapi = "^0.92"
uvicorn = "^0.17"

[tool.poetry.group.dev.dependencies]
pydub = "*"
`,
		"poetry.lock": lock,
		"main.py":     fastapiApp["app.py"],
	}, "")
	g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
	g.Expect(out.Log).To(ContainSubstring("pip install --no-deps of the 11 packages locked in poetry.lock"))
	dev, _ := filepath.Glob(filepath.Join(out.Layers["venv"].Path, "lib", "python3*", "site-packages", "pydub*"))
	g.Expect(dev).To(BeEmpty(), "the dev group stays out")
	port := freePort(t)
	logs := start(t, out, out.Processes[0], port)
	g.Expect(get(t, fmt.Sprintf("http://127.0.0.1:%d/", port), logs)).To(MatchJSON(`{"hello":"world"}`))
}
