package python

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/pip"
	"github.com/cnbkit/cnbkit/sdk"
)

// Django projects get their static files collected at build time, as on other platforms:
// "manage.py collectstatic --noinput" writes them into STATIC_ROOT (inside the app, so into
// the image), where whitenoise or the web server serves them from.

// djangoProbe reads what collectstatic needs from the project's settings. It runs as
// "manage.py shell -c", in the app's environment: importing the settings is the app's code
// running, never inside pip's process.
const djangoProbe = `import json
from django.apps import apps
from django.conf import settings
root = getattr(settings, "STATIC_ROOT", None)
print("` + djangoMarker + `" + json.dumps({"staticfiles": apps.is_installed("django.contrib.staticfiles"), "static_root": None if root is None else str(root)}))
`

const djangoMarker = "cnbkit-django-settings:"

type djangoSettings struct {
	StaticFiles bool    `json:"staticfiles"`
	StaticRoot  *string `json:"static_root"`
}

// djangoError says a Django management command failed at build time.
type djangoError struct {
	Command string // as the user would type it, e.g. "python manage.py collectstatic --noinput"
	Problem string // what went wrong, when it is not the command's exit status
	Output  string // the end of its output
	Err     error
}

func (e *djangoError) Error() string {
	return fmt.Sprintf("running %s: %s", e.Command, cmp.Or(e.Problem, fmt.Sprint(e.Err)))
}

func (e *djangoError) Unwrap() error { return e.Err }

// collectStatic runs manage.py collectstatic when the app is a Django project with Django
// installed, BP_PYTHON_DJANGO_COLLECTSTATIC is not false and STATIC_ROOT is set.
func collectStatic(ctx context.Context, req sdk.BuildRequest[sdk.None, Config], inst pip.Installer, venv string, installed func(string) bool) error {
	log := req.Log
	if !fileExists(filepath.Join(req.AppDir, "manage.py")) || !installed("django") {
		return nil
	}
	log.Section("Django static files")
	if !req.Config.DjangoCollectStatic {
		log.Detail("Skipping manage.py collectstatic: BP_PYTHON_DJANGO_COLLECTSTATIC is false")
		return nil
	}
	quiet := inst
	quiet.Out = nil
	probe := "python manage.py shell -c <read STATIC_ROOT>"
	out, err := quiet.RunApp(ctx, venv, req.AppDir, "manage.py", "shell", "-c", djangoProbe)
	if err != nil {
		return &djangoError{Command: probe, Output: out, Err: exitStatus(err)}
	}
	var s djangoSettings
	found := false
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), djangoMarker); ok {
			found = json.Unmarshal([]byte(v), &s) == nil
		}
	}
	if !found {
		return &djangoError{Command: probe, Output: out, Problem: "it printed no settings (does manage.py run Django's execute_from_command_line?)"}
	}
	switch {
	case !s.StaticFiles:
		log.Detail("Skipping manage.py collectstatic: django.contrib.staticfiles is not in INSTALLED_APPS")
		return nil
	case s.StaticRoot == nil || strings.TrimSpace(*s.StaticRoot) == "":
		log.Detail("Skipping manage.py collectstatic: STATIC_ROOT is not set in the settings")
		log.Detail("To serve static files from the image: set STATIC_ROOT, e.g. STATIC_ROOT = BASE_DIR / \"staticfiles\"")
		return nil
	}
	root := *s.StaticRoot
	if !filepath.IsAbs(root) {
		root = filepath.Join(req.AppDir, root)
	}
	if rel, err := filepath.Rel(req.AppDir, filepath.Clean(root)); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return &staticRootError{Root: *s.StaticRoot, AppDir: req.AppDir}
	}
	done := log.Timed("python manage.py collectstatic --noinput")
	if out, err := inst.RunApp(ctx, venv, req.AppDir, "manage.py", "collectstatic", "--noinput"); err != nil {
		return &djangoError{Command: "python manage.py collectstatic --noinput", Output: out, Err: exitStatus(err)}
	}
	done()
	return nil
}

// exitStatus returns the command's own failure ("exit status 1") from a *pip.CommandError.
func exitStatus(err error) error {
	var ce *pip.CommandError
	if errors.As(err, &ce) {
		return ce.Err
	}
	return err
}

// staticRootError says STATIC_ROOT is outside the app folder: collected files would not be
// in the image.
type staticRootError struct {
	Root, AppDir string
}

func (e *staticRootError) Error() string {
	return fmt.Sprintf("STATIC_ROOT %s is outside the app folder %s", e.Root, e.AppDir)
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
