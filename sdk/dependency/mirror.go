package dependency

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// MirrorEnv is the variable naming the default mirror; MirrorEnv + "_<HOST>" names a mirror
// for one host, the host written upper case with "." as "_" and "-" as "__"
// (BP_DEPENDENCY_MIRROR_RELEASES_EXAMPLE_COM, BP_DEPENDENCY_MIRROR_MY__HOST_EXAMPLE_COM).
const MirrorEnv = "BP_DEPENDENCY_MIRROR"

// Mirrors maps a lower-case host name to a mirror; the key "" is the default mirror, used
// for hosts without their own. A mirror is a URL (https://, http:// or file://) whose path
// may contain {originalHost}, optionally followed by ",skip-path=/prefix" to drop a prefix
// of the original path: with mirror "https://mirror.example/{originalHost}",
// https://downloads.example.com/a/b.tgz is fetched from https://mirror.example/downloads.example.com/a/b.tgz.
type Mirrors map[string]string

// MirrorsFromEnv reads BP_DEPENDENCY_MIRROR and BP_DEPENDENCY_MIRROR_<HOST> from env (the
// platform environment). Invalid mirrors are reported all at once.
func MirrorsFromEnv(env map[string]string) (Mirrors, error) {
	m := Mirrors{}
	var problems []string
	names := slices.Sorted(maps.Keys(env))
	for _, name := range names {
		value := env[name]
		var host string
		switch {
		case name == MirrorEnv:
		case strings.HasPrefix(name, MirrorEnv+"_"):
			encoded := strings.TrimPrefix(name, MirrorEnv+"_")
			if strings.EqualFold(encoded, "default") {
				problems = append(problems, fmt.Sprintf("%s: set the default mirror with %s instead", name, MirrorEnv))
				continue
			}
			host = strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(encoded, "__", "-"), "_", "."))
		default:
			continue
		}
		if strings.TrimSpace(value) == "" {
			continue
		}
		if _, _, err := parseMirror(value); err != nil {
			problems = append(problems, fmt.Sprintf("%s=%q: %v", name, value, err))
			continue
		}
		m[host] = value
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("dependency mirrors: %s", strings.Join(problems, "; "))
	}
	return m, nil
}

func parseMirror(spec string) (*url.URL, string, error) {
	mirror, skip := spec, ""
	parts := strings.Split(spec, ",")
	if len(parts) > 1 {
		mirror = ""
		for _, p := range parts {
			k, v, found := strings.Cut(p, "=")
			switch {
			case !found:
				mirror = p
			case k == "mirror":
				mirror = v
			case k == "skip-path":
				skip = v
			default:
				return nil, "", fmt.Errorf("unknown mirror option %q (use skip-path=/prefix)", k)
			}
		}
	}
	if u, err := url.PathUnescape(mirror); err == nil {
		mirror = u
	}
	if u, err := url.PathUnescape(skip); err == nil {
		skip = u
	}
	u, err := url.Parse(strings.TrimSpace(mirror))
	if err != nil {
		return nil, "", fmt.Errorf("not a URL: %v", err)
	}
	switch u.Scheme {
	case "https", "http":
		if u.Host == "" {
			return nil, "", fmt.Errorf("mirror URL has no host")
		}
	case "file":
	default:
		return nil, "", fmt.Errorf("use an https://, http:// or file:// mirror URL")
	}
	return u, skip, nil
}

// Rewrite returns the URI to fetch instead of uri, and whether a mirror applied. Only
// http(s) URIs are mirrored.
func (m Mirrors) Rewrite(uri string) (string, bool, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", false, fmt.Errorf("parsing uri %q: %w", uri, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return uri, false, nil
	}
	host := strings.ToLower(u.Hostname())
	spec, ok := m[host]
	if !ok {
		spec, ok = m[""]
	}
	if !ok {
		return uri, false, nil
	}
	mirror, skip, err := parseMirror(spec)
	if err != nil {
		return "", false, fmt.Errorf("mirror %q: %w", spec, err)
	}
	out := *u
	out.Scheme = mirror.Scheme
	out.User = mirror.User
	out.Host = mirror.Host
	p := u.Path
	if skip != "" {
		p = strings.Replace(p, skip, "", 1)
	}
	out.Path = strings.TrimSuffix(strings.Replace(mirror.Path, "{originalHost}", u.Hostname(), 1), "/") + "/" + strings.TrimPrefix(p, "/")
	out.RawPath = ""
	if mirror.RawQuery != "" {
		out.RawQuery = mirror.RawQuery
	}
	return out.String(), true, nil
}

// Mappings maps the sha256 (hex) of an artifact to the URI to fetch it from instead, as
// dependency-mapping bindings do: each key of such a binding is a checksum ("sha256:<hex>"
// or the bare hex) and its value the URI.
type Mappings map[string]string

// Add records a mapping; key is "sha256:<hex>" or the bare hex.
func (m Mappings) Add(key, uri string) error {
	sum, err := ParseChecksum(key)
	if err != nil {
		return fmt.Errorf("dependency mapping %q: %w", key, err)
	}
	uri = strings.TrimSpace(uri)
	if err := checkURI(uri); err != nil {
		return fmt.Errorf("dependency mapping %s: %w", key, err)
	}
	if prev, ok := m[sum]; ok && prev != uri {
		return fmt.Errorf("dependency mapping %s is given twice (%s and %s): keep one", key, prev, uri)
	}
	m[sum] = uri
	return nil
}
