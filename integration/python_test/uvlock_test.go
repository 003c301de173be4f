package pythontest

import (
	"fmt"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

// A uv project (pyproject.toml + uv.lock, no requirements.txt) installs exactly what the lock
// says from the index on 127.0.0.1, without resolving again, and serves.
func TestUVLockProject(t *testing.T) {
	e := setup(t)
	g := NewWithT(t)
	lock := `version = 1
requires-python = ">=3.11"

[[package]]
name = "svc"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "flask" },
    { name = "gunicorn" },
]

[package.dev-dependencies]
dev = [{ name = "pydub" }]

[[package]]
name = "click"
version = "8.1.3"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "flask"
version = "2.2.2"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "click" },
    { name = "itsdangerous" },
    { name = "jinja2" },
    { name = "werkzeug" },
]

[[package]]
name = "gunicorn"
version = "20.1.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "setuptools" }]

[[package]]
name = "itsdangerous"
version = "2.1.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "jinja2"
version = "3.1.2"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "markupsafe" }]

[[package]]
name = "markupsafe"
version = "2.1.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pydub"
version = "0.24.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "setuptools"
version = "66.1.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "werkzeug"
version = "2.2.2"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "markupsafe" }]
`
	out := build(t, e, map[string]string{
		"pyproject.toml": "[project]\nname = \"svc\"\nversion = \"0.1.0\"\nrequires-python = \">=3.11\"\ndependencies = [\"flask\", \"gunicorn\"]\n\n[dependency-groups]\ndev = [\"pydub\"]\n",
		"uv.lock":        lock,
		"app.py":         "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route('/')\ndef index():\n    return 'uv says hi'\n",
	}, "")
	g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
	g.Expect(out.Log).To(ContainSubstring("pip install --no-deps of the 8 packages locked in uv.lock"))
	infos, _ := filepath.Glob(filepath.Join(out.Layers["venv"].Path, "lib", "python3*", "site-packages", "pydub*"))
	g.Expect(infos).To(BeEmpty(), "dev dependencies stay out")
	port := freePort(t)
	logs := start(t, out, out.Launch.Processes[0], port)
	g.Expect(get(t, fmt.Sprintf("http://127.0.0.1:%d/", port), logs)).To(Equal("uv says hi"))
}
