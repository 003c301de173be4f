package pip

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Forbidden are environment variables that would make pip install somewhere other than the
// app's environment, or make Python ignore it. They are refused up front rather than let
// the build produce an image that fails at run time.
var Forbidden = map[string]string{
	"PIP_TARGET":       "installs packages outside the virtual environment",
	"PIP_PREFIX":       "installs packages outside the virtual environment",
	"PIP_ROOT":         "installs packages under another root folder",
	"PIP_USER":         "installs packages into the user site folder, which is not part of the image",
	"PIP_PYTHON":       "makes pip install for another interpreter",
	"PIP_CACHE_DIR":    "is managed by the buildpack (a cache layer)",
	"PIP_SRC":          "moves editable checkouts outside the image",
	"PYTHONHOME":       "makes Python look for its standard library elsewhere",
	"PYTHONUSERBASE":   "moves the user site folder",
	"PYTHONPLATLIBDIR": "changes where Python looks for its libraries",
	"PYTHONINSPECT":    "makes Python open an interactive prompt after the app exits",
	"PYTHONNOUSERSITE": "is managed by the virtual environment",
	"PYTHONEXECUTABLE": "changes the interpreter path pip records",
	"VIRTUAL_ENV":      "points at another virtual environment; the buildpack makes and activates its own",
	"CONDA_PREFIX":     "points at a Conda environment, which this buildpack does not use",
	"PYTHONSAFEPATH":   "stops Python from importing the app's own modules",
	"PYTHONSTARTUP":    "runs a file in interactive sessions",
}

// Unsafe returns the names in env that are forbidden, sorted.
func Unsafe(env map[string]string) []string {
	var out []string
	for k := range env {
		if _, ok := Forbidden[k]; ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// BindingType is the service binding type whose secrets configure pip.
const BindingType = "pip"

// BindingEnv turns a pip binding into environment variables for pip. Keys: index-url,
// extra-index-url (whitespace separated for several), username and password (added to both
// URLs), pip.conf (a whole pip configuration file, used as PIP_CONFIG_FILE; bindingPath is the
// binding's folder). Secrets go to pip's environment only, never to the log or layers.
func BindingEnv(secret map[string]string, bindingPath string) (map[string]string, error) {
	env := map[string]string{}
	user, pass := strings.TrimSpace(secret["username"]), strings.TrimSpace(secret["password"])
	withAuth := func(key, raw string) (string, error) {
		var out []string
		for _, s := range strings.Fields(raw) {
			u, err := url.Parse(s)
			if err != nil || u.Scheme == "" || u.Host == "" {
				return "", fmt.Errorf("binding key %s: %q is not an absolute URL", key, s)
			}
			if user != "" && u.User == nil {
				if pass != "" {
					u.User = url.UserPassword(user, pass)
				} else {
					u.User = url.User(user)
				}
			}
			out = append(out, u.String())
		}
		return strings.Join(out, " "), nil
	}
	if v := strings.TrimSpace(secret["index-url"]); v != "" {
		s, err := withAuth("index-url", v)
		if err != nil {
			return nil, err
		}
		env["PIP_INDEX_URL"] = s
	}
	if v := strings.TrimSpace(secret["extra-index-url"]); v != "" {
		s, err := withAuth("extra-index-url", v)
		if err != nil {
			return nil, err
		}
		env["PIP_EXTRA_INDEX_URL"] = s
	}
	if _, ok := secret["pip.conf"]; ok {
		env["PIP_CONFIG_FILE"] = filepath.Join(bindingPath, "pip.conf")
	}
	if (user != "" || pass != "") && env["PIP_INDEX_URL"] == "" && env["PIP_EXTRA_INDEX_URL"] == "" {
		return nil, fmt.Errorf("binding has username/password but no index-url or extra-index-url to use them with")
	}
	if len(env) == 0 {
		return nil, fmt.Errorf("binding has none of the keys index-url, extra-index-url, pip.conf")
	}
	return env, nil
}

// Environ builds pip's environment: base (the buildpack process's own environment), then
// platform (the user's settings), then extra (bindings and the buildpack's own settings),
// later ones winning. The forbidden variables and every PYTHON* variable of base and
// platform are left out: those are meant for the app (PYTHONPATH=src, PYTHONWARNINGS=error,
// PYTHONSTARTUP, ...), and pip and the buildpack's helpers run isolated from the app. The
// Installer adds the few PYTHON* variables its commands need.
func Environ(base []string, platform, extra map[string]string) []string {
	m := map[string]string{}
	keep := func(k string) bool {
		_, bad := Forbidden[k]
		return !bad && !strings.HasPrefix(k, "PYTHON")
	}
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		if keep(k) {
			m[k] = v
		}
	}
	for k, v := range platform {
		if keep(k) {
			m[k] = v
		}
	}
	for k, v := range extra {
		m[k] = v
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+m[k])
	}
	return out
}
