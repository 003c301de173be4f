package pip

import (
	"archive/zip"
	"bytes"
	"cmp"
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
	if len(t.buf) > 8192 {
		t.buf = t.buf[len(t.buf)-8192:]
	}
	return len(p), nil
}

// isolated are the interpreter options of every Python process the buildpack runs: -P keeps
// the working directory (the app, for pip) and the script's folder off sys.path, so an app's
// pip/ package, typing.py or venv.py never replaces what the buildpack runs; -s keeps the
// build user's own site-packages out. (-I would also ignore every PYTHON* variable, including
// those the Installer sets on purpose; [Environ] leaves out the platform's instead.) -P needs
// CPython 3.11 or later, the oldest this buildpack ships.
var isolated = []string{"-P", "-s"}

// neutralDir is the working directory of the commands that do not read the app.
const neutralDir = "/"

func (i Installer) run(ctx context.Context, dir string, env []string, shown *strings.Replacer, name string, args ...string) error {
	_, err := i.output(ctx, dir, env, shown, name, append(append([]string(nil), isolated...), args...)...)
	return err
}

// output runs name with args as given and returns the end of its output.
func (i Installer) output(ctx context.Context, dir string, env []string, shown *strings.Replacer, name string, args ...string) (string, error) {
	if shown == nil {
		shown = strings.NewReplacer()
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var t tail
	var w io.Writer = &t
	if i.Out != nil {
		w = io.MultiWriter(i.Out, &t)
	}
	lines := &lineReplacer{w: w, r: shown}
	cmd.Stdout, cmd.Stderr = lines, lines
	err := cmd.Run()
	lines.flush()
	out := strings.TrimSpace(string(t.buf))
	if err != nil {
		shownArgs := slices.DeleteFunc(slices.Clone(args), func(a string) bool { return slices.Contains(isolated, a) })
		return out, &CommandError{Command: shown.Replace(filepath.Base(name) + " " + strings.Join(shownArgs, " ")), Err: err, Output: out}
	}
	return out, nil
}

// RunApp runs the app's own Python code the way the app runs: "<venv>/bin/python args..." in
// appDir, with the app's folder first on sys.path (no isolation: manage.py imports the
// project's settings), the environment activated (VIRTUAL_ENV, its bin/ first on PATH) and
// no bytecode written into the app. It returns the end of the output, which also goes to Out.
func (i Installer) RunApp(ctx context.Context, venv, appDir string, args ...string) (string, error) {
	env := i.env("VIRTUAL_ENV="+venv, "PYTHONUNBUFFERED=1")
	path := filepath.Join(venv, "bin")
	for _, kv := range i.Env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok && v != "" {
			path += string(filepath.ListSeparator) + v
		}
	}
	env = append(env, "PATH="+path)
	return i.output(ctx, appDir, env, nil, filepath.Join(venv, "bin", "python"), args...)
}

// lineReplacer passes complete lines through r, so that a path split across two writes is
// still replaced.
type lineReplacer struct {
	w   io.Writer
	r   *strings.Replacer
	buf []byte
}

func (l *lineReplacer) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	if i := bytes.LastIndexByte(l.buf, '\n'); i >= 0 {
		if _, err := io.WriteString(l.w, l.r.Replace(string(l.buf[:i+1]))); err != nil {
			return 0, err
		}
		l.buf = append(l.buf[:0], l.buf[i+1:]...)
	}
	return len(p), nil
}

func (l *lineReplacer) flush() {
	if len(l.buf) > 0 {
		_, _ = io.WriteString(l.w, l.r.Replace(string(l.buf))+"\n")
		l.buf = l.buf[:0]
	}
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
	cmd := exec.CommandContext(ctx, i.Python, append(append([]string(nil), isolated...), "-c", "import sys; print(sys.base_prefix)")...)
	cmd.Dir = neutralDir
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
	return i.run(ctx, neutralDir, i.env(), nil, i.Python, "-m", "venv", "--without-pip", dir)
}

// Install installs the plan's dependencies into the environment at venv with the pip
// unpacked in pipDir (see PreparePip), caching downloads in cacheDir. appDir is the app: pip
// runs there (relative paths in requirements files are relative to it), with the
// environment's interpreter, isolated from the app's modules.
func (i Installer) Install(ctx context.Context, pipDir, venv, appDir, cacheDir string, plan Plan) error {
	args := []string{"-m", "pip", "install",
		"--no-input", "--progress-bar", "off", "--no-compile", "--no-warn-script-location",
		"--cache-dir", cacheDir}
	if plan.WheelDir != "" {
		args = append(args, "--no-index", "--find-links", filepath.Join(appDir, plan.WheelDir))
	}
	var shown *strings.Replacer
	switch plan.Mode {
	case ModeRequirements:
		for _, r := range plan.Requirements {
			args = append(args, "-r", filepath.Join(appDir, r))
		}
	case ModeProjectDependencies, ModeLock:
		// The dependencies read from pyproject.toml or a lock file become a requirements file
		// of our own; pip's messages name it by where it came from, never by its path.
		source := cmp.Or(plan.LockFile, "pyproject.toml")
		tmp, err := os.MkdirTemp("", "cnbkit-python-")
		if err != nil {
			return fmt.Errorf("writing the requirements from %s: %w", source, err)
		}
		defer os.RemoveAll(tmp)
		file := filepath.Join(tmp, "requirements.txt")
		if err := os.WriteFile(file, []byte(strings.Join(plan.Dependencies, "\n")+"\n"), 0o644); err != nil {
			return fmt.Errorf("writing the requirements from %s: %w", source, err)
		}
		shown = strings.NewReplacer(file, "requirements from "+source)
		if plan.Mode == ModeLock {
			// Every package is pinned: nothing may be resolved again.
			args = append(args, "--no-deps")
		}
		args = append(args, "-r", file)
		if plan.Package {
			// The project itself, separately: pip's hash-checking mode (locked hashes) refuses a
			// local folder in the same run.
			if err := i.run(ctx, appDir, i.env("PYTHONPATH="+pipDir), shown, filepath.Join(venv, "bin", "python"), args...); err != nil {
				return err
			}
			args = append(args[:len(args)-2:len(args)-2], ".")
		}
	case ModePackage:
		args = append(args, ".")
	default:
		return nil
	}
	return i.run(ctx, appDir, i.env("PYTHONPATH="+pipDir), shown, filepath.Join(venv, "bin", "python"), args...)
}

// Compile writes bytecode for the environment's site-packages deterministically (hash-based
// .pyc files, no timestamps), so the app starts fast, nothing is written at run time and
// equal inputs give equal layers.
func (i Installer) Compile(ctx context.Context, venv string) error {
	site, err := SitePackages(venv)
	if err != nil {
		return err
	}
	return i.run(ctx, neutralDir, i.env(), nil, filepath.Join(venv, "bin", "python"), "-m", "compileall", "-q", "-j", "0",
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
