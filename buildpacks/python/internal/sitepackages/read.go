package sitepackages

import (
	"bufio"
	"fmt"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Distribution is one installed Python distribution.
type Distribution struct {
	Name     string // as written in METADATA, e.g. "FastAPI"
	Version  string
	License  string // an SPDX expression when one can be told, else the declared text, else ""
	Summary  string
	HomePage string
}

// NormalizedName is the PEP 503 form of the name: lower case, runs of -_. become -.
func (d Distribution) NormalizedName() string { return Normalize(d.Name) }

// PURL is the package URL, pkg:pypi/<normalized-name>@<version>.
func (d Distribution) PURL() string {
	return "pkg:pypi/" + d.NormalizedName() + "@" + d.Version
}

var separators = regexp.MustCompile(`[-_.]+`)

// Normalize returns the PEP 503 normalized form of a distribution name.
func Normalize(name string) string {
	return separators.ReplaceAllString(strings.ToLower(name), "-")
}

// Read returns the distributions installed in sitePackages, sorted by normalized name.
func Read(sitePackages string) ([]Distribution, error) {
	dirs, err := filepath.Glob(filepath.Join(sitePackages, "*.dist-info"))
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", sitePackages, err)
	}
	var out []Distribution
	for _, d := range dirs {
		dist, err := readMetadata(filepath.Join(d, "METADATA"))
		if err != nil {
			return nil, err
		}
		out = append(out, dist)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NormalizedName() < out[j].NormalizedName() })
	return out, nil
}

func readMetadata(path string) (Distribution, error) {
	f, err := os.Open(path)
	if err != nil {
		return Distribution{}, fmt.Errorf("reading installed distribution: %w", err)
	}
	defer f.Close()
	// METADATA is an RFC 822 style header block followed by the description.
	hdr, err := textproto.NewReader(bufio.NewReader(f)).ReadMIMEHeader()
	if err != nil && len(hdr) == 0 {
		return Distribution{}, fmt.Errorf("reading %s: %w", path, err)
	}
	d := Distribution{
		Name:     hdr.Get("Name"),
		Version:  hdr.Get("Version"),
		Summary:  hdr.Get("Summary"),
		HomePage: hdr.Get("Home-Page"),
	}
	if d.Name == "" || d.Version == "" {
		return Distribution{}, fmt.Errorf("reading %s: no Name or Version", path)
	}
	d.License = license(hdr)
	return d, nil
}

// classifierLicenses maps trove licence classifiers to SPDX identifiers.
var classifierLicenses = map[string]string{
	"License :: OSI Approved :: MIT License":                                   "MIT",
	"License :: OSI Approved :: BSD License":                                   "BSD-3-Clause",
	"License :: OSI Approved :: Apache Software License":                       "Apache-2.0",
	"License :: OSI Approved :: Python Software Foundation License":            "PSF-2.0",
	"License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)":          "MPL-2.0",
	"License :: OSI Approved :: ISC License (ISCL)":                            "ISC",
	"License :: OSI Approved :: GNU General Public License v3 (GPLv3)":         "GPL-3.0-only",
	"License :: OSI Approved :: GNU General Public License v2 (GPLv2)":         "GPL-2.0-only",
	"License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
	"License :: OSI Approved :: The Unlicense (Unlicense)":                     "Unlicense",
}

func license(hdr textproto.MIMEHeader) string {
	if e := strings.TrimSpace(hdr.Get("License-Expression")); e != "" {
		return e
	}
	var ids []string
	for _, c := range hdr.Values("Classifier") {
		if id, ok := classifierLicenses[strings.TrimSpace(c)]; ok {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		return strings.Join(ids, " OR ")
	}
	// A short License field is usually a name ("MIT", "BSD"); a long one is the whole text.
	if l := strings.TrimSpace(hdr.Get("License")); l != "" && len(l) <= 64 && !strings.ContainsAny(l, "\n") && strings.ToUpper(l) != "UNKNOWN" {
		return l
	}
	return ""
}
