package debian

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Release is a Debian release: its codename (the suite name in apt sources) and version
// number (what io.buildpacks.base.distro.version and CNB_TARGET_DISTRO_VERSION say).
type Release struct {
	Codename string
	Version  string
}

// The releases the tests know.
var (
	Bookworm = Release{Codename: "bookworm", Version: "12"}
	Trixie   = Release{Codename: "trixie", Version: "13"}
)

// Releases lists the releases [Lookup] knows, oldest first.
var Releases = []Release{Bookworm, Trixie}

// Lookup returns the release named codename.
func Lookup(codename string) (Release, error) {
	var known []string
	for _, r := range Releases {
		if r.Codename == codename {
			return r, nil
		}
		known = append(known, r.Codename)
	}
	return Release{}, fmt.Errorf("unknown Debian release %q: use one of %s", codename, strings.Join(known, ", "))
}

// HostSources is the host's apt sources file (deb822) that every release is reached through.
const HostSources = "/etc/apt/sources.list.d/debian.sources"

// osRelease is read for the host's codename.
const osRelease = "/etc/os-release"

// Host returns the release of the machine the tests run on (VERSION_CODENAME of
// /etc/os-release).
func Host() (Release, error) {
	f, err := os.Open(osRelease)
	if err != nil {
		return Release{}, fmt.Errorf("finding the host's Debian release: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VERSION_CODENAME="); ok {
			return Lookup(strings.Trim(v, `"'`))
		}
	}
	return Release{}, fmt.Errorf("finding the host's Debian release: %s has no VERSION_CODENAME (the tests need a Debian host)", osRelease)
}

// Sources returns the host's sources file with every occurrence of the host's codename
// replaced by r's (what `sed s/bookworm/trixie/g` does): the same mirrors, another suite.
// For the host's own release it is the file as it is.
func Sources(r Release) ([]byte, error) {
	data, err := os.ReadFile(HostSources)
	if err != nil {
		return nil, fmt.Errorf("reading the apt sources: %w (the tests need a Debian host with %s)", err, HostSources)
	}
	host, err := Host()
	if err != nil {
		return nil, err
	}
	return rewrite(data, host, r)
}

// rewrite replaces the suite names of release from by those of release to in a sources file.
func rewrite(data []byte, from, to Release) ([]byte, error) {
	if !bytes.Contains(data, []byte(from.Codename)) {
		return nil, fmt.Errorf("%s does not name the host's release %s: cannot derive the sources of %s from it", HostSources, from.Codename, to.Codename)
	}
	return bytes.ReplaceAll(data, []byte(from.Codename), []byte(to.Codename)), nil
}

// WriteSources writes [Sources] of r into dir as debian.sources and returns its path, for
// tools that take a sources file (mmdebstrap).
func WriteSources(dir string, r Release) (string, error) {
	data, err := Sources(r)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "debian.sources")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return "", fmt.Errorf("writing the apt sources of %s: %w", r.Codename, err)
	}
	return p, nil
}

// Arch maps a Go architecture name to Debian's.
func Arch(goarch string) (string, error) {
	switch goarch {
	case "amd64", "arm64", "riscv64", "s390x", "ppc64le":
		return goarch, nil
	case "386":
		return "i386", nil
	case "arm":
		return "armhf", nil
	}
	return "", fmt.Errorf("no Debian architecture for GOARCH %s", goarch)
}

// Apt downloads packages of one release and architecture.
type Apt struct {
	// Release and Arch (Debian's name) are what it downloads.
	Release Release
	Arch    string
	// opts are apt-get -o options pointing at a private state; nil means the host's.
	opts []string
}

// NewApt returns an Apt for r and goarch. On the host's own release and architecture it is
// the host's apt as configured (its package lists are kept fresh by
// integration/scripts/setup.sh). Otherwise it is a private apt state in dir (which must
// exist and be empty): the sources of r ([Sources]), package lists, cache, an empty dpkg
// status and goarch as the only architecture, all given to apt-get with -o options, and
// `apt-get update` is run there. The host's apt.conf.d is still read (proxies and the like).
func NewApt(ctx context.Context, dir string, r Release, goarch string) (*Apt, error) {
	arch, err := Arch(goarch)
	if err != nil {
		return nil, err
	}
	a := &Apt{Release: r, Arch: arch}
	host, err := Host()
	if err != nil {
		return nil, err
	}
	if r == host && goarch == runtime.GOARCH {
		return a, nil
	}
	etc := filepath.Join(dir, "sources.list.d")
	for _, d := range []string{etc, filepath.Join(dir, "preferences.d"), filepath.Join(dir, "lists", "partial"), filepath.Join(dir, "cache", "archives", "partial")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("creating a private apt state: %w", err)
		}
	}
	if _, err := WriteSources(etc, r); err != nil {
		return nil, err
	}
	status := filepath.Join(dir, "status")
	if err := os.WriteFile(status, nil, 0o644); err != nil {
		return nil, fmt.Errorf("creating a private apt state: %w", err)
	}
	a.opts = []string{
		"Dir::Etc::SourceList=/dev/null",
		"Dir::Etc::SourceParts=" + etc,
		"Dir::Etc::Preferences=/dev/null",
		"Dir::Etc::PreferencesParts=" + filepath.Join(dir, "preferences.d"),
		"Dir::State=" + dir,
		"Dir::State::Lists=" + filepath.Join(dir, "lists"),
		"Dir::State::status=" + status,
		"Dir::Cache=" + filepath.Join(dir, "cache"),
		"APT::Architecture=" + arch,
		"APT::Architectures::=" + arch,
		// The state is ours alone: no lock on it, and no switch to the _apt user, which
		// could not write into a directory private to root.
		"Debug::NoLocking=1",
		"APT::Sandbox::User=root",
	}
	if _, err := a.run(ctx, "", "update"); err != nil {
		return nil, fmt.Errorf("reading the package lists of Debian %s (%s) into a private apt state: %w", r.Codename, arch, err)
	}
	return a, nil
}

// Download downloads pkgs (names without an architecture) into dir with `apt-get download`.
func (a *Apt) Download(ctx context.Context, dir string, pkgs []string) error {
	if _, err := a.run(ctx, dir, append([]string{"download"}, pkgs...)...); err != nil {
		hint := "if a package cannot be located, run apt-get update first"
		if a.opts != nil {
			hint = "the package names are those of Debian " + a.Release.Codename
		}
		return fmt.Errorf("downloading Debian %s packages for %s (%s): %w", a.Release.Codename, a.Arch, hint, err)
	}
	return nil
}

// run runs apt-get with the private options, in dir, and returns its standard output. A
// failure carries the end of its standard error.
func (a *Apt) run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return nil, fmt.Errorf("apt-get is not installed (the tests need a Debian host): %w", err)
	}
	full := []string{"-q"}
	for _, o := range a.opts {
		full = append(full, "-o", o)
	}
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, "apt-get", full...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = "..." + msg[len(msg)-2000:]
		}
		return nil, fmt.Errorf("running apt-get %s: %w: %s", strings.Join(args, " "), err, strings.ReplaceAll(msg, "\n", "; "))
	}
	return stdout.Bytes(), nil
}
