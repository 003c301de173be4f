package pip

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Mode is how the dependencies are described.
type Mode string

const (
	// ModeNone: the app declares no dependencies; no environment is made.
	ModeNone Mode = "none"
	// ModeRequirements: one or more requirements files, installed with pip install -r.
	ModeRequirements Mode = "requirements"
	// ModeProjectDependencies: a pyproject.toml with [project] dependencies and no
	// [build-system]: an application, not a package; its dependencies are installed.
	ModeProjectDependencies Mode = "pyproject-dependencies"
	// ModeLock: a pyproject.toml with a uv.lock or poetry.lock: the locked versions of the
	// runtime dependencies are installed with --no-deps (and the project itself when it has
	// a [build-system]).
	ModeLock Mode = "lock"
	// ModePackage: a pyproject.toml with [build-system] (setuptools, hatchling, flit,
	// poetry-core, ...), or setup.py/setup.cfg: the project is built and installed with
	// pip install . (with its dependencies).
	ModePackage Mode = "package"
)

// Settings are the user's choices that shape the plan.
type Settings struct {
	// Requirements lists requirements files (BP_PIP_REQUIREMENTS); empty means
	// requirements.txt when it exists.
	Requirements []string
	// WheelDir is a folder of vendored wheels (BP_PIP_WHEEL_DIR); when set, or when the default
	// folder "wheels" holds *.whl files, pip installs from it with no index.
	WheelDir string
}

// Plan is what will be installed.
type Plan struct {
	Mode Mode
	// Files are the app files the install reads (requirements files and those they include
	// with -r/-c, pyproject.toml, setup.py, ...), sorted.
	Files []string
	// Requirements are the requirements files passed with -r, in the user's order.
	Requirements []string
	// Dependencies are the [project] dependencies (ModeProjectDependencies).
	Dependencies []string
	// LockFile is the lock file of ModeLock: "uv.lock" or "poetry.lock".
	LockFile string
	// Package is true when a ModeLock project is itself installed (it has a [build-system]).
	Package bool
	// WheelDir is the vendored wheel folder, "" when the index is used.
	WheelDir string
	// Digests maps each input ("requirements.txt", "wheels/", "source tree") to the sha256 of
	// its content; equal digests mean an identical install.
	Digests map[string]string
	// Notes are things worth telling the user (e.g. a lock file that is not used).
	Notes []string
}

// Describe says in a few words what the plan installs.
func (p Plan) Describe() string {
	switch p.Mode {
	case ModeRequirements:
		return "pip install -r " + strings.Join(p.Requirements, " -r ")
	case ModeProjectDependencies:
		return fmt.Sprintf("pip install of the %d [project] dependencies in pyproject.toml", len(p.Dependencies))
	case ModePackage:
		return "pip install . (the project and its dependencies)"
	case ModeLock:
		s := fmt.Sprintf("pip install --no-deps of the %d packages locked in %s", len(p.Dependencies), p.LockFile)
		if p.Package {
			s += " and the project itself"
		}
		return s
	}
	return "nothing to install"
}

// MissingFileError says a file the user named does not exist.
type MissingFileError struct {
	Setting string // e.g. "BP_PIP_REQUIREMENTS"
	Path    string
	From    string // the requirements file that includes it, if any
}

func (e *MissingFileError) Error() string {
	if e.From != "" {
		return fmt.Sprintf("%s includes %s, which does not exist", e.From, e.Path)
	}
	return fmt.Sprintf("%s names %s, which does not exist", e.Setting, e.Path)
}

// UnsupportedError says the app uses a package manager this buildpack does not run.
type UnsupportedError struct {
	Tool   string // "Poetry", "uv", "Pipenv"
	File   string // the file that shows it, e.g. "poetry.lock"
	Export string // the command that writes a requirements.txt
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s projects (%s) are not supported: only pip is", e.Tool, e.File)
}

// ProjectError says pyproject.toml cannot be used.
type ProjectError struct {
	Problem string
}

func (e *ProjectError) Error() string { return "pyproject.toml: " + e.Problem }

// DefaultWheelDir is the vendored wheel folder used when it holds wheels and BP_PIP_WHEEL_DIR
// is unset.
const DefaultWheelDir = "wheels"

var lockFiles = []struct{ file, tool, export string }{
	{"poetry.lock", "Poetry", "poetry export --format requirements.txt --output requirements.txt"},
	{"uv.lock", "uv", "uv export --format requirements-txt --no-hashes --output-file requirements.txt"},
	{"Pipfile.lock", "Pipenv", "pipenv requirements > requirements.txt"},
	{"Pipfile", "Pipenv", "pipenv lock (then commit Pipfile.lock), or pipenv requirements > requirements.txt"},
}

// NewPlan reads the app and decides what to install.
func NewPlan(app fs.FS, s Settings) (Plan, error) {
	p := Plan{Digests: map[string]string{}}
	wheelDir, err := findWheelDir(app, s.WheelDir)
	if err != nil {
		return Plan{}, err
	}
	p.WheelDir = wheelDir

	reqs := s.Requirements
	if len(reqs) == 0 && exists(app, "requirements.txt") {
		reqs = []string{"requirements.txt"}
	}
	switch {
	case len(reqs) > 0:
		p.Mode = ModeRequirements
		for _, r := range reqs {
			r = path.Clean(strings.TrimPrefix(r, "./"))
			if !exists(app, r) {
				return Plan{}, &MissingFileError{Setting: "BP_PIP_REQUIREMENTS", Path: r}
			}
			p.Requirements = append(p.Requirements, r)
			if err := p.addRequirementsFile(app, r, map[string]bool{}); err != nil {
				return Plan{}, err
			}
		}
		for _, l := range lockFiles {
			if exists(app, l.file) {
				p.Notes = append(p.Notes, fmt.Sprintf("%s is not used: the requirements files decide what is installed", l.file))
			}
		}
	case exists(app, "pyproject.toml"):
		if err := p.readProject(app); err != nil {
			return Plan{}, err
		}
	default:
		if exists(app, "Pipfile.lock") {
			deps, err := readPipfileLock(app)
			if err != nil {
				return Plan{}, err
			}
			lock, err := fs.ReadFile(app, "Pipfile.lock")
			if err != nil {
				return Plan{}, fmt.Errorf("reading Pipfile.lock: %w", err)
			}
			p.Mode, p.LockFile, p.Dependencies = ModeLock, "Pipfile.lock", deps
			p.Files = []string{"Pipfile.lock"}
			p.Digests["Pipfile.lock"] = digest(lock)
			break
		}
		for _, l := range lockFiles {
			if exists(app, l.file) {
				return Plan{}, &UnsupportedError{Tool: l.tool, File: l.file, Export: l.export}
			}
		}
		if exists(app, "setup.py") || exists(app, "setup.cfg") {
			p.Mode = ModePackage
		} else {
			p.Mode = ModeNone
		}
	}
	if p.Mode == ModePackage {
		// pip install . copies the project into the environment: any source change matters.
		sum, files, err := treeDigest(app)
		if err != nil {
			return Plan{}, err
		}
		p.Digests["source tree"] = sum
		for _, f := range []string{"pyproject.toml", "setup.py", "setup.cfg"} {
			if slices.Contains(files, f) && !slices.Contains(p.Files, f) {
				p.Files = append(p.Files, f)
			}
		}
	}
	if p.WheelDir != "" && p.Mode != ModeNone {
		sum, _, err := dirDigest(app, p.WheelDir)
		if err != nil {
			return Plan{}, err
		}
		p.Digests[p.WheelDir+"/"] = sum
	}
	sort.Strings(p.Files)
	return p, nil
}

func (p *Plan) readProject(app fs.FS) error {
	data, err := fs.ReadFile(app, "pyproject.toml")
	if err != nil {
		return fmt.Errorf("reading pyproject.toml: %w", err)
	}
	var doc struct {
		BuildSystem *struct {
			Backend string `toml:"build-backend"`
		} `toml:"build-system"`
		Project *struct {
			Name         string   `toml:"name"`
			Dependencies []string `toml:"dependencies"`
		} `toml:"project"`
		Tool struct {
			Poetry *map[string]any `toml:"poetry"`
		} `toml:"tool"`
	}
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return &ProjectError{Problem: "is not valid TOML: " + firstLine(err.Error())}
	}
	var deps []string
	switch {
	case exists(app, "uv.lock") && doc.Project != nil && doc.Project.Name != "":
		p.LockFile = "uv.lock"
		deps, err = readUVLock(app, doc.Project.Name)
	case exists(app, "poetry.lock") && (doc.Tool.Poetry != nil || doc.Project != nil):
		p.LockFile = "poetry.lock"
		var poetryDeps map[string]any
		if doc.Tool.Poetry != nil {
			poetryDeps, _ = (*doc.Tool.Poetry)["dependencies"].(map[string]any)
		}
		var projectDeps []string
		if doc.Project != nil {
			projectDeps = doc.Project.Dependencies
		}
		roots, rerr := poetryRoots(poetryDeps, projectDeps)
		if rerr != nil {
			return &ProjectError{Problem: rerr.Error()}
		}
		deps, err = readPoetryLock(app, roots)
	}
	if err != nil {
		return err
	}
	if p.LockFile != "" {
		lock, err := fs.ReadFile(app, p.LockFile)
		if err != nil {
			return fmt.Errorf("reading %s: %w", p.LockFile, err)
		}
		p.Mode, p.Dependencies = ModeLock, deps
		p.Package = doc.BuildSystem != nil
		if doc.Tool.Poetry != nil {
			if pm, ok := (*doc.Tool.Poetry)["package-mode"].(bool); ok && !pm {
				p.Package = false
			}
		}
		p.Files = []string{"pyproject.toml", p.LockFile}
		p.Digests["pyproject.toml"], p.Digests[p.LockFile] = digest(data), digest(lock)
		if p.Package {
			sum, _, err := treeDigest(app)
			if err != nil {
				return err
			}
			p.Digests["source tree"] = sum
		}
		return nil
	}
	for _, l := range lockFiles[:2] { // poetry.lock, uv.lock: the lock file is the truth
		if exists(app, l.file) {
			return &UnsupportedError{Tool: l.tool, File: l.file, Export: l.export}
		}
	}
	if doc.Tool.Poetry != nil && doc.Project == nil && doc.BuildSystem == nil {
		// Poetry's own settings without a build backend pip could use.
		return &UnsupportedError{Tool: "Poetry", File: "pyproject.toml [tool.poetry]", Export: lockFiles[0].export}
	}
	p.Files = append(p.Files, "pyproject.toml")
	p.Digests["pyproject.toml"] = digest(data)
	switch {
	case doc.BuildSystem != nil || exists(app, "setup.py"):
		p.Mode = ModePackage
	case doc.Project != nil:
		p.Mode = ModeProjectDependencies
		p.Dependencies = doc.Project.Dependencies
		if len(p.Dependencies) == 0 {
			p.Mode = ModeNone
		}
	default:
		// A pyproject.toml holding only tool settings (black, ruff, ...).
		p.Mode = ModeNone
		delete(p.Digests, "pyproject.toml")
		p.Files = nil
	}
	return nil
}

// addRequirementsFile digests a requirements file and the files it includes with -r, -c,
// --requirement or --constraint (paths relative to the including file).
func (p *Plan) addRequirementsFile(app fs.FS, name string, seen map[string]bool) error {
	if seen[name] {
		return nil
	}
	seen[name] = true
	data, err := fs.ReadFile(app, name)
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	p.Digests[name] = digest(data)
	if !slices.Contains(p.Files, name) {
		p.Files = append(p.Files, name)
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		var inc string
		switch {
		case (fields[0] == "-r" || fields[0] == "-c" || fields[0] == "--requirement" || fields[0] == "--constraint") && len(fields) > 1:
			inc = fields[1]
		case strings.HasPrefix(fields[0], "--requirement="), strings.HasPrefix(fields[0], "--constraint="):
			_, inc, _ = strings.Cut(fields[0], "=")
		case strings.HasPrefix(fields[0], "-r") && len(fields[0]) > 2, strings.HasPrefix(fields[0], "-c") && len(fields[0]) > 2:
			inc = fields[0][2:]
		default:
			continue
		}
		if strings.Contains(inc, "://") {
			continue // a remote file: pip fetches it
		}
		target := path.Clean(path.Join(path.Dir(name), inc))
		if !exists(app, target) {
			return &MissingFileError{Path: target, From: name}
		}
		if err := p.addRequirementsFile(app, target, seen); err != nil {
			return err
		}
	}
	return nil
}

func findWheelDir(app fs.FS, setting string) (string, error) {
	if setting != "" {
		dir := path.Clean(strings.TrimPrefix(setting, "./"))
		if st, err := fs.Stat(app, dir); err != nil || !st.IsDir() {
			return "", &MissingFileError{Setting: "BP_PIP_WHEEL_DIR", Path: dir}
		}
		return dir, nil
	}
	wheels, _ := fs.Glob(app, DefaultWheelDir+"/*.whl")
	if len(wheels) > 0 {
		return DefaultWheelDir, nil
	}
	return "", nil
}

func exists(app fs.FS, name string) bool {
	st, err := fs.Stat(app, name)
	return err == nil && !st.IsDir()
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// skipped are folders that never belong to a project's source.
var skipped = map[string]bool{".git": true, "__pycache__": true, ".venv": true, "venv": true, "node_modules": true, ".mypy_cache": true, ".pytest_cache": true, ".tox": true}

// treeDigest fingerprints every file of the app (names, modes and contents).
func treeDigest(app fs.FS) (string, []string, error) {
	return dirDigest(app, ".")
}

func dirDigest(app fs.FS, dir string) (string, []string, error) {
	h := sha256.New()
	var files []string
	err := fs.WalkDir(app, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir && skipped[d.Name()] {
			return fs.SkipDir
		}
		if !d.Type().IsRegular() || strings.HasSuffix(p, ".pyc") {
			return nil
		}
		data, err := fs.ReadFile(app, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%o\x00%s\n", p, info.Mode().Perm()&0o111, digest(data))
		files = append(files, p)
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("fingerprinting %s: %w", dir, err)
	}
	return hex.EncodeToString(h.Sum(nil)), files, nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
