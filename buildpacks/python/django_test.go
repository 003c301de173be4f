package python_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/python"
	"github.com/cnbkit/cnbkit/buildpacks/python/internal/testwheel"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
)

// The Django tests use the real Django: Debian's python3-django (3.2 on bookworm; installed
// by scripts/setup.sh) and its dependencies, repacked from /usr/lib/python3/dist-packages into
// wheels that pip installs from the app's wheel folder.
const debianSitePackages = "/usr/lib/python3/dist-packages"

var realDjango struct {
	once   sync.Once
	wheels []testwheel.Wheel
	err    error
}

func djangoWheels(t *testing.T) []testwheel.Wheel {
	t.Helper()
	if _, err := os.Stat(filepath.Join(debianSitePackages, "django", "__init__.py")); err != nil {
		msg := "Debian's python3-django is not installed (apt-get install python3-django; scripts/setup.sh does it): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	realDjango.once.Do(func() {
		// name, top-level package, the upstream requirements Debian leaves out of its metadata
		for _, d := range []struct {
			name, pkg string
			requires  []string
		}{
			{"Django", "django", []string{"asgiref<4,>=3.3.2", "pytz", "sqlparse>=0.2.2"}},
			{"asgiref", "asgiref", nil},
			{"sqlparse", "sqlparse", nil},
			{"pytz", "pytz", nil},
		} {
			infos, _ := filepath.Glob(filepath.Join(debianSitePackages, d.name+"-*.egg-info"))
			if len(infos) != 1 {
				realDjango.err = os.ErrNotExist
				return
			}
			version := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(infos[0]), d.name+"-"), ".egg-info")
			files, err := testwheel.Tree(debianSitePackages, d.pkg)
			if err != nil {
				realDjango.err = err
				return
			}
			realDjango.wheels = append(realDjango.wheels, testwheel.Wheel{Name: d.name, Version: version, Requires: d.requires, Files: files})
		}
	})
	if realDjango.err != nil {
		t.Fatalf("repacking Debian's Django: %v", realDjango.err)
	}
	return realDjango.wheels
}

const (
	managePy = `import os, sys

def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)

if __name__ == "__main__":
    main()
`
	djangoSettings = `from pathlib import Path
BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.staticfiles"]
ROOT_URLCONF = "mysite.urls"
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
`
	siteCSS = "body { background: url(logo.svg); }\n"
)

func djangoApp(settings string) map[string]string {
	return map[string]string{
		"manage.py":          managePy,
		"mysite/__init__.py": "",
		"mysite/settings.py": settings,
		"mysite/urls.py":     "urlpatterns = []\n",
		"mysite/wsgi.py":     "import os\nfrom django.core.wsgi import get_wsgi_application\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\napplication = get_wsgi_application()\n",
		"static/site.css":    siteCSS,
		"static/logo.svg":    "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
		"requirements.txt":   "Django\ngunicorn\n",
	}
}

// collectstatic runs at build time with the real Django when STATIC_ROOT is set, is skipped
// with a log line otherwise, can be turned off, and a failure stops the build with the
// command's output and how to turn the step off.
func TestDjangoCollectStatic(t *testing.T) {
	t.Parallel()
	bp := buildpackDir(t)
	wheels := append(djangoWheels(t), gunicornWheel)
	g := NewWithT(t)
	first := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, djangoApp(djangoSettings+"STATIC_ROOT = BASE_DIR / \"staticfiles\"\n"), wheels...), BuildpackDir: bp})
	g.Expect(first.Err).NotTo(HaveOccurred(), first.Log)
	g.Expect(first.Log).To(ContainSubstring("Django static files"))
	g.Expect(first.Log).To(ContainSubstring("python manage.py collectstatic --noinput"))
	g.Expect(first.Log).To(ContainSubstring("2 static files copied to"))
	css, err := os.ReadFile(filepath.Join(first.AppDir, "staticfiles", "site.css"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(css)).To(Equal(siteCSS))
	g.Expect(first.Processes).To(Equal([]sdk.Process{{Type: "web", Default: true,
		Command: []string{"sh", "-c", `exec gunicorn --bind "0.0.0.0:${PORT:-8080}" mysite.wsgi:application`}}}))
	pycache, _ := filepath.Glob(filepath.Join(first.AppDir, "mysite", "__pycache__"))
	g.Expect(pycache).To(BeEmpty(), "no bytecode is written into the app")

	tests := []struct {
		name     string
		settings string
		env      map[string]string
		log      string
		title    string // a failure
		detail   []string
		fix      string
		check    func(g Gomega, appDir string)
	}{
		{name: "manifest storage", settings: djangoSettings + "STATIC_ROOT = BASE_DIR / \"staticfiles\"\nSTATICFILES_STORAGE = \"django.contrib.staticfiles.storage.ManifestStaticFilesStorage\"\n",
			log: "post-processed", check: func(g Gomega, appDir string) {
				g.Expect(filepath.Join(appDir, "staticfiles", "staticfiles.json")).To(BeAnExistingFile())
				hashed, _ := filepath.Glob(filepath.Join(appDir, "staticfiles", "site.*.css"))
				g.Expect(hashed).To(HaveLen(1))
				data, err := os.ReadFile(hashed[0])
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(string(data)).To(MatchRegexp(`url\("?logo\.[0-9a-f]{12}\.svg"?\)`), "references rewritten to the hashed names")
			}},
		{name: "no STATIC_ROOT", settings: djangoSettings, log: "Skipping manage.py collectstatic: STATIC_ROOT is not set in the settings",
			check: func(g Gomega, appDir string) { g.Expect(filepath.Join(appDir, "staticfiles")).NotTo(BeADirectory()) }},
		{name: "no staticfiles app", settings: strings.Replace(djangoSettings, `["django.contrib.staticfiles"]`, "[]", 1) + "STATIC_ROOT = BASE_DIR / \"staticfiles\"\n",
			log: "Skipping manage.py collectstatic: django.contrib.staticfiles is not in INSTALLED_APPS"},
		{name: "turned off", settings: djangoSettings + "STATIC_ROOT = BASE_DIR / \"staticfiles\"\n", env: map[string]string{"BP_PYTHON_DJANGO_COLLECTSTATIC": "false"},
			log:   "Skipping manage.py collectstatic: BP_PYTHON_DJANGO_COLLECTSTATIC is false",
			check: func(g Gomega, appDir string) { g.Expect(filepath.Join(appDir, "staticfiles")).NotTo(BeADirectory()) }},
		{name: "settings that need the running app's variables", settings: "import os\nSECRET_KEY = os.environ[\"SECRET_KEY\"]\n" + djangoSettings,
			title: "Django collectstatic failed", detail: []string{"python manage.py shell -c <read STATIC_ROOT> failed", "KeyError: 'SECRET_KEY'"}, fix: "BP_PYTHON_DJANGO_COLLECTSTATIC=false"},
		{name: "collectstatic itself fails", settings: djangoSettings + "STATIC_ROOT = BASE_DIR / \"staticfiles\"\nSTATICFILES_STORAGE = \"django.contrib.staticfiles.storage.ManifestStaticFilesStorage\"\nSTATICFILES_DIRS = [BASE_DIR / \"broken\"]\n",
			title: "Django collectstatic failed", detail: []string{"python manage.py collectstatic --noinput failed (exit status 1)", "missing.png"}, fix: "BP_PYTHON_DJANGO_COLLECTSTATIC=false"},
		{name: "STATIC_ROOT outside the app", settings: djangoSettings + "STATIC_ROOT = \"/var/www/static\"\n",
			title: "STATIC_ROOT is outside the app", detail: []string{"STATIC_ROOT to /var/www/static"}, fix: "BASE_DIR / \"staticfiles\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			files := djangoApp(tt.settings)
			files["broken/broken.css"] = "body { background: url(missing.png); }\n"
			out := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, files, wheels...), BuildpackDir: bp, Env: tt.env, Layers: first.LayersDir})
			if tt.title != "" {
				g.Expect(out.ExitCode).To(Equal(1), out.Log)
				g.Expect(out.Log).To(ContainSubstring("ERROR: " + tt.title))
				for _, d := range tt.detail {
					g.Expect(out.Log).To(ContainSubstring(d))
				}
				g.Expect(out.Log).To(ContainSubstring(tt.fix))
				if os.Getenv("SHOWLOG") != "" {
					t.Log(out.Log)
				}
				return
			}
			g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
			g.Expect(out.Layers["venv"].Restored()).To(BeTrue(), "the environment is reused; collectstatic runs on every build")
			g.Expect(out.Log).To(ContainSubstring(tt.log))
			if tt.check != nil {
				tt.check(g, out.AppDir)
			}
		})
	}
}
