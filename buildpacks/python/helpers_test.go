package python_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/testwheel"
	"github.com/cnbkit/cnbkit/sdk/dependency"
)

// The unit tests run the real build with the host's python3 standing in for CPython: the
// inventory of a copy of buildpack.toml points every CPython version at a small tgz (in the
// python-build-standalone layout, python/bin/python3) whose python3 runs the host
// interpreter. pip, venv and the start-command detection are real; the real relocatable
// CPython is exercised by integration/python_test.go.

var fake struct {
	once sync.Once
	dir  string // buildpack dir with the rewritten inventory
	err  error
	skip string
}

func hostPython() (string, error) {
	out, err := exec.Command("python3", "-c", "import sys, venv, ensurepip; print(sys.executable)").Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// buildpackDir returns a buildpack folder whose CPython dependencies are the fake tgz.
func buildpackDir(t *testing.T) string {
	t.Helper()
	fake.once.Do(func() {
		py, err := hostPython()
		if err != nil {
			fake.skip = "no usable python3 (with venv and ensurepip) on this host: " + err.Error()
			return
		}
		dir, err := os.MkdirTemp("", "cnbkit-python-bp-")
		if err != nil {
			fake.err = err
			return
		}
		fake.dir = dir
		data, err := os.ReadFile("buildpack.toml")
		if err != nil {
			fake.err = err
			return
		}
		inv, err := dependency.Load(".")
		if err != nil {
			fake.err = err
			return
		}
		for i := range inv {
			// One artifact per version and arch, so that each has its own checksum as real ones do.
			tgz, sum, err := fakeCPython(dir, py, inv[i].Version+"-"+inv[i].Target.Arch)
			if err != nil {
				fake.err = err
				return
			}
			inv[i].URI = "file://" + tgz
			inv[i].SHA256 = sum
		}
		out, err := dependency.WithInventory(data, inv)
		if err != nil {
			fake.err = err
			return
		}
		fake.err = os.WriteFile(filepath.Join(dir, "buildpack.toml"), out, 0o644)
	})
	if fake.skip != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(fake.skip)
		}
		t.Skip(fake.skip)
	}
	if fake.err != nil {
		t.Fatalf("making the test buildpack: %v", fake.err)
	}
	return fake.dir
}

// fakeCPython writes python/bin/python3 (running the host interpreter) into a tgz.
func fakeCPython(dir, py, label string) (string, string, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	script := "#!/bin/sh\n# stands in for CPython " + label + "\nexec '" + py + "' \"$@\"\n"
	for _, h := range []*tar.Header{
		{Name: "python/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "python/bin/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "python/bin/python3", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(script))},
		{Name: "python/bin/python", Typeflag: tar.TypeSymlink, Linkname: "python3", Mode: 0o777},
	} {
		if err := tw.WriteHeader(h); err != nil {
			return "", "", err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(script)); err != nil {
				return "", "", err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return "", "", err
	}
	if err := gz.Close(); err != nil {
		return "", "", err
	}
	tgz := filepath.Join(dir, "cpython-"+label+".tgz")
	if err := os.WriteFile(tgz, buf.Bytes(), 0o644); err != nil {
		return "", "", err
	}
	sum := sha256.Sum256(buf.Bytes())
	return tgz, hex.EncodeToString(sum[:]), nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fake.dir != "" {
		os.RemoveAll(fake.dir)
	}
	os.Exit(code)
}

// app builds an app file system from text files plus vendored wheels under wheels/.
func app(t *testing.T, files map[string]string, wheels ...testwheel.Wheel) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, content := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(content), Mode: 0o644}
	}
	for _, w := range wheels {
		fsys["wheels/"+w.FileName()] = &fstest.MapFile{Data: wheelBytes(t, w), Mode: 0o644}
	}
	return fsys
}

// wheels caches written wheels by file name: a repacked Django takes seconds to zip.
var wheels struct {
	sync.Mutex
	data map[string][]byte
}

func wheelBytes(t *testing.T, w testwheel.Wheel) []byte {
	t.Helper()
	wheels.Lock()
	defer wheels.Unlock()
	if data, ok := wheels.data[w.FileName()]; ok {
		return data
	}
	p, err := testwheel.Write(t.TempDir(), w)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if wheels.data == nil {
		wheels.data = map[string][]byte{}
	}
	wheels.data[w.FileName()] = data
	return data
}

var (
	fastapiWheel   = testwheel.Wheel{Name: "fastapi", Version: "0.92.0", License: "MIT", Requires: []string{"starlette"}}
	starletteWheel = testwheel.Wheel{Name: "starlette", Version: "0.26.1", License: "BSD-3-Clause"}
	uvicornWheel   = testwheel.Wheel{Name: "uvicorn", Version: "0.17.6", License: "BSD-3-Clause"}
	flaskWheel     = testwheel.Wheel{Name: "Flask", Version: "2.2.2", License: "BSD-3-Clause"}
	gunicornWheel  = testwheel.Wheel{Name: "gunicorn", Version: "20.1.0", License: "MIT"}
	djangoWheel    = testwheel.Wheel{Name: "Django", Version: "4.2.0", License: "BSD-3-Clause"}
	// functionsFrameworkWheel stands in for functions-framework: start-command detection only
	// needs it installed.
	functionsFrameworkWheel = testwheel.Wheel{Name: "functions-framework", Version: "3.8.2", License: "Apache-2.0",
		Scripts: map[string]string{"functions-framework": "functions_framework:main"}}
)

const fastapiApp = "from fastapi import FastAPI\n\napp = FastAPI()\n\n@app.get('/')\ndef root():\n    return {'hello': 'world'}\n"

// scriptApp is a main.py that runs as a script (it does something when started).
const scriptApp = "print('hello from a script')\n"
