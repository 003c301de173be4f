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
	// FindLinks is PIP_FIND_LINKS as pip will see it; with a wheel folder, a remote location in
	// it is refused like a remote -f line.
	FindLinks string
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

	remote []RemoteSource // lines of requirements files that reach the network
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

// SetupCfgError says setup.cfg describes a package but nothing can build it: pip needs a
// setup.py or a pyproject.toml beside it.
type SetupCfgError struct{}

func (e *SetupCfgError) Error() string {
	return "setup.cfg describes a package, but there is no setup.py or pyproject.toml to build it with"
}

// RemoteSource is a line of a requirements file (or a setting) that makes pip reach the
// network even with --no-index.
type RemoteSource struct {
	File string // e.g. "requirements.txt", or "PIP_FIND_LINKS"
	Line int    // 1-based; 0 for a setting
	Text string // the line as written
}

// RemoteSourceError says an install from a vendored wheel folder (no index, no network)
// names sources that pip would fetch over the network anyway.
type RemoteSourceError struct {
	WheelDir string
	Sources  []RemoteSource
}

func (e *RemoteSourceError) Error() string {
	return fmt.Sprintf("the offline install from %s/ names %d remote sources, first %s line %d: %s", e.WheelDir, len(e.Sources), e.Sources[0].File, e.Sources[0].Line, e.Sources[0].Text)
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

// foreign are the dependency files of tools this buildpack does not run. Beside a
// requirements file (or PEP 621 dependencies) they are noted as unused; alone they fail the
// build, rather than give an image without the app's dependencies.
var foreign = []struct{ file, tool, export string }{
	{"pdm.lock", "PDM", "pdm export --output requirements.txt"},
	{"environment.yml", "Conda", "write the packages' PyPI names into requirements.txt (conda-only packages cannot be installed with pip)"},
	{"environment.yaml", "Conda", "write the packages' PyPI names into requirements.txt (conda-only packages cannot be installed with pip)"},
	{"conda-lock.yml", "Conda", "write the packages' PyPI names into requirements.txt (conda-only packages cannot be installed with pip)"},
	{"pixi.toml", "Pixi", "write the [pypi-dependencies] into requirements.txt (conda packages cannot be installed with pip)"},
	{"pixi.lock", "Pixi", "write the [pypi-dependencies] into requirements.txt (conda packages cannot be installed with pip)"},
	{"requirements.in", "pip-tools", "pip-compile requirements.in (it writes requirements.txt)"},
}

func foreignFile(app fs.FS) (UnsupportedError, bool) {
	for _, f := range foreign {
		if exists(app, f.file) {
			return UnsupportedError{Tool: f.tool, File: f.file, Export: f.export}, true
		}
	}
	return UnsupportedError{}, false
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
		for _, f := range foreign {
			if exists(app, f.file) {
				p.Notes = append(p.Notes, fmt.Sprintf("%s (%s) is not used: the requirements files decide what is installed", f.file, f.tool))
			}
		}
	case exists(app, "pyproject.toml"):
		if err := p.readProject(app); err != nil {
			return Plan{}, err
		}
		if f, ok := foreignFile(app); ok {
			switch {
			case p.Mode == ModeNone || f.File == "pdm.lock" && p.Mode != ModeLock:
				// Nothing else declares the dependencies, or a lock that pip cannot honour.
				return Plan{}, &f
			default:
				p.Notes = append(p.Notes, fmt.Sprintf("%s (%s) is not used: pyproject.toml decides what is installed", f.File, f.Tool))
			}
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
		switch {
		case exists(app, "setup.py"):
			p.Mode = ModePackage
		case setupCfgIsPackage(app):
			return Plan{}, &SetupCfgError{}
		default:
			if f, ok := foreignFile(app); ok {
				return Plan{}, &f
			}
			p.Mode = ModeNone
		}
	}
	if p.WheelDir != "" {
		remote := p.remote
		if v := strings.TrimSpace(s.FindLinks); v != "" {
			for _, l := range strings.Fields(v) {
				if isRemote(l) {
					remote = append(remote, RemoteSource{File: "PIP_FIND_LINKS", Text: l})
				}
			}
		}
		for _, d := range p.Dependencies {
			if p.Mode == ModeProjectDependencies && isRemoteRequirement(d) {
				remote = append(remote, RemoteSource{File: "pyproject.toml [project] dependencies", Text: d})
			}
		}
		if len(remote) > 0 {
			return Plan{}, &RemoteSourceError{WheelDir: p.WheelDir, Sources: remote}
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
			Poetry *struct {
				Dependencies map[string]toml.Primitive `toml:"dependencies"` // see poetrySpecs
				PackageMode  *bool                     `toml:"package-mode"`
			} `toml:"poetry"`
		} `toml:"tool"`
	}
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		return &ProjectError{Problem: "is not valid TOML: " + firstLine(err.Error())}
	}
	var deps []string
	switch {
	case exists(app, "uv.lock") && doc.Project != nil && doc.Project.Name != "":
		p.LockFile = "uv.lock"
		deps, err = readUVLock(app, doc.Project.Name)
	case exists(app, "poetry.lock") && (doc.Tool.Poetry != nil || doc.Project != nil):
		p.LockFile = "poetry.lock"
		var poetryDeps map[string]toml.Primitive
		if doc.Tool.Poetry != nil {
			poetryDeps = doc.Tool.Poetry.Dependencies
		}
		var projectDeps []string
		if doc.Project != nil {
			projectDeps = doc.Project.Dependencies
		}
		roots, rerr := poetryRoots(md, poetryDeps, projectDeps)
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
			if pm := doc.Tool.Poetry.PackageMode; pm != nil && !*pm {
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
	line := 0
	for sc.Scan() {
		line++
		text := stripComment(sc.Text())
		if remoteLine(text) {
			p.remote = append(p.remote, RemoteSource{File: name, Line: line, Text: strings.TrimSpace(text)})
		}
		fields := strings.Fields(text)
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

// stripComment drops a requirements-file comment: from a # at the start of the line or after
// whitespace (a # inside a URL fragment stays).
func stripComment(line string) string {
	if strings.HasPrefix(strings.TrimSpace(line), "#") {
		return ""
	}
	for i := 1; i < len(line); i++ {
		if line[i] == '#' && (line[i-1] == ' ' || line[i-1] == '\t') {
			return line[:i]
		}
	}
	return line
}

// isRemote reports whether a location is reached over the network: a URL whose scheme is not
// file.
func isRemote(loc string) bool {
	scheme, _, ok := strings.Cut(strings.ToLower(loc), "://")
	return ok && scheme != "file" && !strings.HasSuffix(scheme, "+file")
}

// isRemoteRequirement reports whether a requirement is a direct reference to a remote URL or
// a version control repository: "name @ https://...", "git+https://...", "https://.../x.whl".
func isRemoteRequirement(req string) bool {
	req = strings.TrimSpace(req)
	if _, ref, ok := strings.Cut(req, "@"); ok && isRemote(strings.TrimSpace(ref)) {
		return true
	}
	fields := strings.Fields(req)
	return len(fields) > 0 && isRemote(fields[0])
}

// remoteLine reports whether a requirements-file line makes pip reach the network even with
// --no-index: a remote -f/--find-links, a remote -r/-c include, a remote or VCS requirement
// (also with -e). Index options (-i, --extra-index-url) are not: --no-index turns them off.
func remoteLine(line string) bool {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return false
	}
	opt, val := fields[0], ""
	if len(fields) > 1 {
		val = fields[1]
	}
	if k, v, ok := strings.Cut(opt, "="); ok && strings.HasPrefix(opt, "--") {
		opt, val = k, v
	}
	for _, short := range []string{"-f", "-r", "-c", "-e"} {
		if strings.HasPrefix(opt, short) && len(opt) > 2 && !strings.HasPrefix(opt, "--") {
			opt, val = short, opt[2:]
		}
	}
	switch opt {
	case "-f", "--find-links", "-r", "--requirement", "-c", "--constraint":
		return isRemote(val)
	case "-e", "--editable":
		return isRemoteRequirement(val)
	case "-i", "--index-url", "--extra-index-url", "--no-index", "--pre", "--only-binary", "--no-binary", "--prefer-binary", "--trusted-host", "--use-feature":
		return false
	}
	if strings.HasPrefix(opt, "-") {
		return false
	}
	return isRemoteRequirement(strings.TrimSpace(line))
}

// setupCfgIsPackage reports whether setup.cfg describes a package ([metadata] or [options]),
// not only tool settings such as [flake8] or [tool:pytest].
func setupCfgIsPackage(app fs.FS) bool {
	data, err := fs.ReadFile(app, "setup.cfg")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "[metadata]" || l == "[options]" || strings.HasPrefix(l, "[options.") {
			return true
		}
	}
	return false
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
