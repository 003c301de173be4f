package pip

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Installer runs Python and pip.
type Installer struct {
	// Python is the interpreter that makes environments (the CPython layer's bin/python3).
	Python string
	// Env is the environment every command gets (see [Environ]).
	Env []string
	// Out receives the commands' output; nil discards it.
	Out io.Writer
}

// CommandError says a command failed; Output holds the end of what it printed.
type CommandError struct {
	Command string
	Err     error
	Output  string
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("running %s: %v", e.Command, e.Err)
}

func (e *CommandError) Unwrap() error { return e.Err }

// tail keeps the last bytes written, for error messages.
type tail struct{ buf []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-4096:]
	}
	return len(p), nil
}

func (i Installer) run(ctx context.Context, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var t tail
	var w io.Writer = &t
	if i.Out != nil {
		w = io.MultiWriter(i.Out, &t)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		shown := filepath.Base(name) + " " + strings.Join(args, " ")
		return &CommandError{Command: shown, Err: err, Output: strings.TrimSpace(string(t.buf))}
	}
	return nil
}

// reproducible settings for every Python process the build runs.
func (i Installer) env(extra ...string) []string {
	env := append([]string(nil), i.Env...)
	env = append(env, "PYTHONHASHSEED=0", "SOURCE_DATE_EPOCH=315532801", "PIP_DISABLE_PIP_VERSION_CHECK=1", "PYTHONDONTWRITEBYTECODE=1")
	return append(env, extra...)
}

// PreparePip unpacks the pip wheel that comes with the interpreter (the one ensurepip
// installs, found under sys.base_prefix) into dir, and returns pip's version. pip then runs
// from dir with PYTHONPATH, inside the app's environment, without ever being installed in
// it. This skips ensurepip, which installs pip by running pip.
func (i Installer) PreparePip(ctx context.Context, dir string) (string, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, i.Python, "-c", "import sys; print(sys.base_prefix)")
	cmd.Env = i.env()
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return "", &CommandError{Command: "python -c 'import sys; print(sys.base_prefix)'", Err: err}
	}
	home := strings.TrimSpace(out.String())
	var wheels []string
	for _, pattern := range []string{"lib/python3*/ensurepip/_bundled/pip-*.whl", "share/python-wheels/pip-*.whl"} {
		m, _ := filepath.Glob(filepath.Join(home, pattern))
		wheels = append(wheels, m...)
	}
	if len(wheels) == 0 {
		return "", fmt.Errorf("preparing pip: no pip wheel bundled with the Python at %s (looked in lib/python3*/ensurepip/_bundled and share/python-wheels)", home)
	}
	slices.Sort(wheels)
	wheel := wheels[len(wheels)-1]
	if err := unzip(wheel, dir); err != nil {
		return "", fmt.Errorf("preparing pip: %w", err)
	}
	// pip-23.2.1-py3-none-any.whl
	version := strings.SplitN(strings.TrimPrefix(filepath.Base(wheel), "pip-"), "-", 2)[0]
	return version, nil
}

// unzip extracts the zip file at src into dir, refusing paths that leave dir.
func unzip(src, dir string) error {
	zr, err := zip.OpenReader(src)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, f := range zr.File {
		name := filepath.Clean(filepath.FromSlash(f.Name))
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, ".."+string(filepath.Separator)) {
			return fmt.Errorf("%s: entry %q leaves the folder", src, f.Name)
		}
		target := filepath.Join(dir, name)
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		r, err := f.Open()
		if err != nil {
			return err
		}
		w, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			r.Close()
			return err
		}
		_, err = io.Copy(w, r)
		r.Close()
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// MakeVenv makes an empty virtual environment (no pip, no setuptools) at dir.
func (i Installer) MakeVenv(ctx context.Context, dir string) error {
	return i.run(ctx, "", i.env(), i.Python, "-m", "venv", "--without-pip", dir)
}

// Install installs the plan's dependencies into the environment at venv with the pip
// unpacked in pipDir (see PreparePip), caching downloads in cacheDir. appDir is the app; pip
// runs there, with the environment's interpreter.
func (i Installer) Install(ctx context.Context, pipDir, venv, appDir, cacheDir string, plan Plan) error {
	args := []string{"-m", "pip", "install",
		"--no-input", "--progress-bar", "off", "--no-compile", "--no-warn-script-location",
		"--cache-dir", cacheDir}
	if plan.WheelDir != "" {
		args = append(args, "--no-index", "--find-links", filepath.Join(appDir, plan.WheelDir))
	}
	switch plan.Mode {
	case ModeRequirements:
		for _, r := range plan.Requirements {
			args = append(args, "-r", filepath.Join(appDir, r))
		}
	case ModeProjectDependencies, ModeLock:
		f, err := os.CreateTemp("", "pyproject-dependencies-*.txt")
		if err != nil {
			return fmt.Errorf("writing the pyproject.toml dependencies: %w", err)
		}
		defer os.Remove(f.Name())
		_, err = io.WriteString(f, strings.Join(plan.Dependencies, "\n")+"\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing the pyproject.toml dependencies: %w", err)
		}
		if plan.Mode == ModeLock {
			// Every package is pinned: nothing may be resolved again.
			args = append(args, "--no-deps")
		}
		args = append(args, "-r", f.Name())
		if plan.Package {
			// The project itself, separately: pip's hash-checking mode (locked hashes) refuses a
			// local folder in the same run.
			if err := i.run(ctx, appDir, i.env("PYTHONPATH="+pipDir), filepath.Join(venv, "bin", "python"), args...); err != nil {
				return err
			}
			args = append(args[:len(args)-2:len(args)-2], ".")
		}
	case ModePackage:
		args = append(args, ".")
	default:
		return nil
	}
	return i.run(ctx, appDir, i.env("PYTHONPATH="+pipDir), filepath.Join(venv, "bin", "python"), args...)
}

// Compile writes bytecode for the environment's site-packages deterministically (hash-based
// .pyc files, no timestamps), so the app starts fast, nothing is written at run time and
// equal inputs give equal layers.
func (i Installer) Compile(ctx context.Context, venv string) error {
	site, err := SitePackages(venv)
	if err != nil {
		return err
	}
	return i.run(ctx, "", i.env(), filepath.Join(venv, "bin", "python"), "-m", "compileall", "-q", "-j", "0",
		"--invalidation-mode", "unchecked-hash", site)
}

// SitePackages returns the site-packages folder of the environment at venv.
func SitePackages(venv string) (string, error) {
	matches, err := filepath.Glob(filepath.Join(venv, "lib", "python3*", "site-packages"))
	if err != nil || len(matches) != 1 {
		return "", fmt.Errorf("finding site-packages in %s: found %d folders", venv, len(matches))
	}
	return matches[0], nil
}
