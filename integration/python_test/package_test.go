package pythontest

import (
	"fmt"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

// Projects installed with "pip install ." (a [build-system] in pyproject.toml): pip's isolated
// build fetches the backend (poetry-core, setuptools) from the index on 127.0.0.1.
func TestPipInstallProject(t *testing.T) {
	e := setup(t)
	tests := []struct {
		name  string
		files map[string]string
		dist  string
	}{
		{name: "Poetry project built with poetry-core", dist: "svc-1.0.0.dist-info", files: map[string]string{
			"pyproject.toml": `[build-system]
requires = ["poetry-core>=1.0.0"]
build-backend = "poetry.core.masonry.api"

[tool.poetry]
name = "svc"
version = "1.0.0"
description = "a service"
authors = ["Someone <someone@example.com>"]
packages = [{ include = "svc" }]

[tool.poetry.dependencies]
python = ">=3.11"
fastapi = "*"
uvicorn = "*"
`,
			"svc/__init__.py": "",
			"svc/main.py":     "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/')\ndef root():\n    return {'hello': 'poetry'}\n",
		}},
		{name: "setuptools project", dist: "svc-2.0.dist-info", files: map[string]string{
			"pyproject.toml": `[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "svc"
version = "2.0"
requires-python = ">=3.11"
dependencies = ["flask", "gunicorn"]

[tool.setuptools]
packages = ["svc"]
`,
			"svc/__init__.py": "",
			"svc/app.py":      "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route('/')\ndef index():\n    return 'setuptools says hi'\n",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			out := build(t, e, tt.files, "")
			g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
			g.Expect(out.Log).To(ContainSubstring("pip install . (the project and its dependencies)"))
			infos, _ := filepath.Glob(filepath.Join(out.Layers["venv"].Path, "lib", "python3*", "site-packages", tt.dist))
			g.Expect(infos).To(HaveLen(1), "the project itself is installed")

			port := freePort(t)
			logs := start(t, out, out.Processes[0], port)
			body := get(t, fmt.Sprintf("http://127.0.0.1:%d/", port), logs)
			g.Expect(body).NotTo(BeEmpty())
		})
	}
}
