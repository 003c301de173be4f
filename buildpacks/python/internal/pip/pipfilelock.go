package pip

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
)

// Pipfile.lock (Pipenv): JSON whose "default" section already is the whole runtime closure,
// each entry pinned ("version": "==1.2.3") with its environment "markers"; "develop" holds
// the development packages.

type pipfileLock struct {
	Meta struct {
		PipfileSpec int `json:"pipfile-spec"`
	} `json:"_meta"`
	Default map[string]struct {
		Version string   `json:"version"`
		Hashes  []string `json:"hashes"`
		Markers string   `json:"markers"`
		Git     string   `json:"git"`
		Path    string   `json:"path"`
		File    string   `json:"file"`
	} `json:"default"`
}

// readPipfileLock returns the pinned runtime requirements of Pipfile.lock, as in readUVLock.
func readPipfileLock(app fs.FS) ([]string, error) {
	data, err := fs.ReadFile(app, "Pipfile.lock")
	if err != nil {
		return nil, fmt.Errorf("reading Pipfile.lock: %w", err)
	}
	var lock pipfileLock
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, &LockError{File: "Pipfile.lock", Problem: "is not valid JSON: " + err.Error()}
	}
	if lock.Meta.PipfileSpec != 6 {
		return nil, &LockError{File: "Pipfile.lock", Problem: fmt.Sprintf("has pipfile-spec %d; this buildpack reads 6", lock.Meta.PipfileSpec)}
	}
	var out []pinned
	for name, e := range lock.Default {
		switch {
		case e.Git != "" || e.Path != "" || e.File != "":
			return nil, &LockError{File: "Pipfile.lock", Problem: fmt.Sprintf("locks %s from a git repository, path or file, which pip cannot install by version: export a requirements file with pipenv requirements", name)}
		case !strings.HasPrefix(e.Version, "=="):
			return nil, &LockError{File: "Pipfile.lock", Problem: fmt.Sprintf("has no pinned version for %s: run pipenv lock", name)}
		}
		line := normalizeName(name) + e.Version
		if e.Markers != "" {
			line += " ; " + e.Markers
		}
		out = append(out, pinned{line: line, hashes: e.Hashes})
	}
	return withHashes(out), nil
}
