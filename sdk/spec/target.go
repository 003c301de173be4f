package spec

import (
	"fmt"
	"strings"
)

// Target is one [[targets]] entry of buildpack.toml, and the build target a platform
// announces with CNB_TARGET_* variables. Empty fields mean "any".
type Target struct {
	OS      string   `toml:"os,omitempty" json:"os,omitempty"`
	Arch    string   `toml:"arch,omitempty" json:"arch,omitempty"`
	Variant string   `toml:"variant,omitempty" json:"variant,omitempty"`
	Distros []Distro `toml:"distros,omitempty" json:"distros,omitempty"`
}

// Distro is an operating system distribution a target supports.
type Distro struct {
	Name    string `toml:"name" json:"name"`
	Version string `toml:"version,omitempty" json:"version,omitempty"`
}

// Known operating systems and architectures (GOOS/GOARCH spelling, as the spec requires).
var (
	KnownOS    = []string{"linux", "windows"}
	KnownArchs = []string{"amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"}
)

// Validate checks that OS and architecture use the GOOS/GOARCH spelling the spec requires.
func (t Target) Validate() error {
	if t.OS != "" && !contains(KnownOS, t.OS) {
		return fmt.Errorf("os %q is not known: use one of %s", t.OS, strings.Join(KnownOS, ", "))
	}
	if t.Arch != "" && !contains(KnownArchs, t.Arch) {
		hint := ""
		switch t.Arch {
		case "x86_64", "x86-64", "x64":
			hint = ` (did you mean "amd64"?)`
		case "aarch64", "armv8":
			hint = ` (did you mean "arm64"?)`
		}
		return fmt.Errorf("arch %q is not known%s: use one of %s", t.Arch, hint, strings.Join(KnownArchs, ", "))
	}
	if t.Variant != "" && t.Arch == "" {
		return fmt.Errorf("variant %q is set without arch", t.Variant)
	}
	for _, d := range t.Distros {
		if d.Name == "" {
			return fmt.Errorf("a distro without a name: set name, e.g. \"ubuntu\"")
		}
	}
	return nil
}

// String renders the target as os/arch[/variant][:name@version[;name@version]], the form
// ParseTarget reads.
func (t Target) String() string {
	s := t.OS
	if s == "" {
		s = "any"
	}
	if t.Arch != "" {
		s += "/" + t.Arch
		if t.Variant != "" {
			s += "/" + t.Variant
		}
	}
	if len(t.Distros) > 0 {
		parts := make([]string, len(t.Distros))
		for i, d := range t.Distros {
			parts[i] = d.Name
			if d.Version != "" {
				parts[i] += "@" + d.Version
			}
		}
		s += ":" + strings.Join(parts, ";")
	}
	return s
}

// ParseTarget reads a target written as os/arch[/variant][:name@version[;name@version]],
// the syntax of pack's --target flag, e.g. "linux/arm64/v8:ubuntu@22.04".
func ParseTarget(s string) (Target, error) {
	platform, distros, _ := strings.Cut(s, ":")
	parts := strings.Split(platform, "/")
	if platform == "" || len(parts) > 3 {
		return Target{}, fmt.Errorf("target %q: want os/arch[/variant][:distro@version], e.g. linux/amd64", s)
	}
	var t Target
	t.OS = parts[0]
	if len(parts) > 1 {
		t.Arch = parts[1]
	}
	if len(parts) > 2 {
		t.Variant = parts[2]
	}
	if distros != "" {
		for _, d := range strings.Split(distros, ";") {
			name, version, _ := strings.Cut(d, "@")
			t.Distros = append(t.Distros, Distro{Name: name, Version: version})
		}
	}
	if err := t.Validate(); err != nil {
		return Target{}, fmt.Errorf("target %q: %w", s, err)
	}
	return t, nil
}

// Matches reports whether the concrete build target other is served by t: every field t
// sets must equal other's, and when t lists distros, other must use one of them (a distro
// without a version matches every version).
func (t Target) Matches(other Target) bool {
	if !fieldMatches(t.OS, other.OS) || !fieldMatches(t.Arch, other.Arch) || !fieldMatches(t.Variant, other.Variant) {
		return false
	}
	if len(t.Distros) == 0 || len(other.Distros) == 0 {
		return true
	}
	for _, want := range t.Distros {
		for _, have := range other.Distros {
			if want.Name == have.Name && (want.Version == "" || want.Version == have.Version) {
				return true
			}
		}
	}
	return false
}

func fieldMatches(want, have string) bool {
	return want == "" || want == "*" || have == "" || want == have
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
