package pythontest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/python"
	"github.com/cnbkit/cnbkit/integration/fixtures"
	"github.com/cnbkit/cnbkit/integration/internal/sbomcheck"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
	"github.com/cnbkit/cnbkit/sdk/dependency"
)

// env is what every test of the package shares: the fixtures served from 127.0.0.1 and a
// copy of the buildpack whose CPython inventory points at the served fixture.
type env struct {
	py       fixtures.CPython
	wheels   fixtures.WheelIndex
	indexURL string
	bpDir    string
}

var shared struct {
	once sync.Once
	env  env
	err  error
	root string
	srvs []*fixtures.Server
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, s := range shared.srvs {
		s.Close()
	}
	if shared.root != "" {
		os.RemoveAll(shared.root)
	}
	os.Exit(code)
}

func setup(tb testing.TB) env {
	tb.Helper()
	shared.once.Do(func() {
		shared.err = func() error {
			ctx := context.Background()
			f, err := fixtures.New(fixtures.Options{})
			if err != nil {
				return err
			}
			py, err := f.CPython(ctx)
			if err != nil {
				return err
			}
			idx, err := f.Wheels(ctx)
			if err != nil {
				return err
			}
			index, err := fixtures.Serve(idx.Root)
			if err != nil {
				return err
			}
			shared.srvs = append(shared.srvs, index)
			files, err := fixtures.ServeArtifacts(py.Artifact)
			if err != nil {
				return err
			}
			shared.srvs = append(shared.srvs, files)
			shared.root, err = os.MkdirTemp("", "cnbkit-python-it-")
			if err != nil {
				return err
			}
			bp, err := copyBuildpack(shared.root, py, files.URLFor(py.Name))
			if err != nil {
				return err
			}
			shared.env = env{py: py, wheels: idx, indexURL: index.URL + "/simple/", bpDir: bp}
			return nil
		}()
	})
	if shared.err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("building the fixtures: %v", shared.err)
		}
		tb.Skipf("fixtures unavailable (run integration/scripts/setup.sh): %v", shared.err)
	}
	return shared.env
}

// copyBuildpack copies buildpacks/python's buildpack.toml into dir with its CPython
// inventory replaced by the fixture served at uri (the rest of the descriptor unchanged).
func copyBuildpack(dir string, py fixtures.CPython, uri string) (string, error) {
	src := filepath.Join("..", "..", "buildpacks", "python")
	data, err := os.ReadFile(filepath.Join(src, "buildpack.toml"))
	if err != nil {
		return "", err
	}
	invPath := filepath.Join(dir, "inventory.toml")
	if err := fixtures.WriteInventoryFile(invPath, []fixtures.Dependency{py.Dependency(uri)}); err != nil {
		return "", err
	}
	inv, err := dependency.ReadFile(invPath)
	if err != nil {
		return "", err
	}
	out, err := dependency.WithInventory(data, inv)
	if err != nil {
		return "", err
	}
	bp := filepath.Join(dir, "buildpack")
	if err := os.MkdirAll(bp, 0o755); err != nil {
		return "", err
	}
	return bp, os.WriteFile(filepath.Join(bp, "buildpack.toml"), out, 0o644)
}

var fastapiApp = map[string]string{
	"app.py": `from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def root():
    return {"hello": "world"}
`,
	"requirements.txt": "fastapi\nuvicorn\n",
}

func appFS(files map[string]string) fsys {
	m := fsys{}
	for k, v := range files {
		m[k] = v
	}
	return m
}

// build runs the buildpack's real build in-process with pip pointed at the fixture index.
func build(tb testing.TB, e env, files map[string]string, layers string) cnbtest.BuildOutcome {
	tb.Helper()
	return buildWith(tb, python.Build, e, files, layers)
}

func buildWith(tb testing.TB, fn sdk.BuildFunc[sdk.None, python.Config], e env, files map[string]string, layers string) cnbtest.BuildOutcome {
	tb.Helper()
	return cnbtest.Build(tb, fn, cnbtest.Options{App: appFS(files).FS(), BuildpackDir: e.bpDir, Layers: layers,
		Env: map[string]string{"PIP_INDEX_URL": e.indexURL}})
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs the process of the launch.toml the way the launcher would (its command, the
// layers' bin folders on PATH, their launch env) in the app folder, and stops it at cleanup.
func start(t *testing.T, out cnbtest.BuildOutcome, proc sdk.Process, port int) *strings.Builder {
	t.Helper()
	cmd := exec.Command(proc.Command[0], append(proc.Command[1:], proc.Args...)...)
	cmd.Dir = out.AppDir
	path := []string{}
	env := []string{}
	for _, name := range []string{"venv", "cpython"} {
		l, ok := out.Layers[name]
		if !ok {
			continue
		}
		path = append(path, filepath.Join(l.Path, "bin"))
		for _, scope := range []cnbtest.Env{l.SharedEnv(), l.LaunchEnv()} {
			for name, v := range scope {
				if v.Default != "" {
					env = append(env, name+"="+v.Default)
				} else if v.Override != "" {
					env = append(env, name+"="+v.Override)
				}
			}
		}
	}
	env = append(env, "PATH="+strings.Join(append(path, "/usr/bin", "/bin"), ":"), fmt.Sprintf("PORT=%d", port), "HOME="+t.TempDir())
	cmd.Env = env
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %v: %v", proc.Command, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	return &logs
}

// get polls url until it answers (the server needs a moment to start) or the process exits.
func get(t *testing.T, url string, logs *strings.Builder) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v; the process printed:\n%s", url, err, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestFastAPIAppServesOnPort(t *testing.T) {
	e := setup(t)
	g := NewWithT(t)

	out := build(t, e, fastapiApp, "")
	g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
	g.Expect(out.Log).To(ContainSubstring("Using CPython " + e.py.Version))
	g.Expect(out.Log).To(ContainSubstring("Successfully installed"))
	g.Expect(out.Processes).To(Equal([]sdk.Process{{Type: "web", Default: true,
		Command: []string{"sh", "-c", `exec uvicorn app:app --host 0.0.0.0 --port "${PORT:-8080}"`}}}))

	infos, _ := filepath.Glob(filepath.Join(out.Layers["venv"].Path, "lib", "python3*", "site-packages", "*.dist-info"))
	var names []string
	for _, i := range infos {
		names = append(names, strings.ToLower(strings.SplitN(filepath.Base(i), "-", 2)[0]))
	}
	g.Expect(names).To(ContainElements("fastapi", "starlette", "pydantic", "uvicorn", "h11", "click", "anyio"))
	g.Expect(names).NotTo(ContainElement("pip"), "pip stays out of the app's environment")

	var cdx struct {
		Components []struct {
			Name, Version, Purl string
		} `json:"components"`
	}
	data, err := os.ReadFile(filepath.Join(out.LayersDir, "venv.sbom.cdx.json"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(json.Unmarshal(data, &cdx)).To(Succeed())
	var purls []string
	for _, c := range cdx.Components {
		purls = append(purls, c.Purl)
	}
	g.Expect(purls).To(ContainElements("pkg:pypi/fastapi@0.92.0", "pkg:pypi/uvicorn@0.17.6"))
	g.Expect(out.Layers["cpython"].SBOM).To(ConsistOf("cpython.sbom.cdx.json", "cpython.sbom.spdx.json"))
	// The SBOMs of the installed distributions (venv) and of CPython pass the official
	// schemas and the SPDX 2.3 rules.
	sboms, _ := filepath.Glob(filepath.Join(out.LayersDir, "*.sbom.*.json"))
	g.Expect(sboms).To(HaveLen(4))
	docs := map[string][]byte{}
	for _, p := range sboms {
		docs[filepath.Base(p)], err = os.ReadFile(p)
		g.Expect(err).NotTo(HaveOccurred())
	}
	v, err := sbomcheck.Default(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	validated, err := v.Files(docs)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(validated).To(HaveLen(4))

	port := freePort(t)
	logs := start(t, out, out.Processes[0], port)
	body := get(t, fmt.Sprintf("http://127.0.0.1:%d/", port), logs)
	g.Expect(body).To(MatchJSON(`{"hello":"world"}`))

	// An unchanged rebuild reuses CPython and the environment: no download, no pip.
	again := build(t, e, fastapiApp, out.LayersDir)
	g.Expect(again.Err).NotTo(HaveOccurred(), again.Log)
	g.Expect(again.Layers["venv"].Restored()).To(BeTrue(), again.Log)
	g.Expect(again.Layers["cpython"].Restored()).To(BeTrue(), again.Log)
	g.Expect(again.Log).NotTo(ContainSubstring("Successfully installed"))

	// Dropping uvicorn rebuilds from scratch: it does not linger, and the build says why
	// the app cannot be served.
	noServer := build(t, e, map[string]string{"app.py": fastapiApp["app.py"], "requirements.txt": "fastapi\n"}, out.LayersDir)
	g.Expect(noServer.ExitCode).To(Equal(1))
	g.Expect(noServer.Log).To(ContainSubstring("requirements.txt changed"))
	g.Expect(noServer.Log).To(ContainSubstring("No ASGI server installed"))
}

func TestFlaskWithGunicornServes(t *testing.T) {
	e := setup(t)
	g := NewWithT(t)
	out := build(t, e, map[string]string{
		"app.py":           "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route('/')\ndef index():\n    return 'flask says hi'\n",
		"requirements.txt": "flask\ngunicorn\n",
		".python-version":  "3.11\n",
	}, "")
	g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
	g.Expect(out.Processes[0].Command).To(Equal([]string{"sh", "-c", `exec gunicorn --bind "0.0.0.0:${PORT:-8080}" app:app`}))
	port := freePort(t)
	logs := start(t, out, out.Processes[0], port)
	g.Expect(get(t, fmt.Sprintf("http://127.0.0.1:%d/", port), logs)).To(Equal("flask says hi"))
}
