package testwheel

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Wheel describes a distribution to write.
type Wheel struct {
	Name     string   // e.g. "uvicorn"
	Version  string   // e.g. "0.30.0"
	Requires []string // Requires-Dist lines
	License  string   // License-Expression
	// Module is the source of the top-level module <name with - as _>/__init__.py.
	Module string
	// Scripts are console_scripts entry points, name -> "module:function".
	Scripts map[string]string
	// Files are more files of the wheel by their path in it, e.g. the packages read with Tree.
	Files map[string][]byte
	// RequiresPython is the Requires-Python metadata; "" writes none.
	RequiresPython string
	// Tag is the wheel's tag; "" means py3-none-any.
	Tag string
}

// FileName is the wheel's file name.
func (w Wheel) FileName() string {
	return fmt.Sprintf("%s-%s-%s.whl", w.module(), w.Version, w.tag())
}

func (w Wheel) tag() string {
	if w.Tag == "" {
		return "py3-none-any"
	}
	return w.Tag
}

// Tree reads the folders packages of root (e.g. an installed site-packages) into Files form:
// every file by its path relative to root, compiled bytecode left out.
func Tree(root string, packages ...string) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, p := range packages {
		err := filepath.WalkDir(filepath.Join(root, p), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "__pycache__" {
				return filepath.SkipDir
			}
			if !d.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			files[filepath.ToSlash(rel)] = data
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s from %s: %w", p, root, err)
		}
	}
	return files, nil
}

func (w Wheel) module() string { return strings.ReplaceAll(w.Name, "-", "_") }

// Write writes the wheel into dir and returns its path.
func Write(dir string, w Wheel) (string, error) {
	mod := w.module()
	info := fmt.Sprintf("%s-%s.dist-info", mod, w.Version)
	meta := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: test distribution\n", w.Name, w.Version)
	if w.License != "" {
		meta += "License-Expression: " + w.License + "\n"
	}
	if w.RequiresPython != "" {
		meta += "Requires-Python: " + w.RequiresPython + "\n"
	}
	for _, r := range w.Requires {
		meta += "Requires-Dist: " + r + "\n"
	}
	files := map[string]string{
		info + "/METADATA": meta,
		info + "/WHEEL":    "Wheel-Version: 1.0\nGenerator: testwheel\nRoot-Is-Purelib: true\nTag: " + w.tag() + "\n",
	}
	if len(w.Files) == 0 || w.Module != "" {
		files[mod+"/__init__.py"] = w.Module
	}
	for n, data := range w.Files {
		files[n] = string(data)
	}
	if len(w.Scripts) > 0 {
		var b strings.Builder
		b.WriteString("[console_scripts]\n")
		names := slices.Sorted(maps.Keys(w.Scripts))
		for _, n := range names {
			fmt.Fprintf(&b, "%s = %s\n", n, w.Scripts[n])
		}
		files[info+"/entry_points.txt"] = b.String()
	}
	names := slices.Sorted(maps.Keys(files))
	path := filepath.Join(dir, w.FileName())
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	zw := zip.NewWriter(f)
	var record strings.Builder
	mtime := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range names {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: mtime})
		if err != nil {
			return "", err
		}
		if _, err := fw.Write([]byte(files[n])); err != nil {
			return "", err
		}
		sum := sha256.Sum256([]byte(files[n]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[n]))
	}
	record.WriteString(info + "/RECORD,,\n")
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: info + "/RECORD", Method: zip.Deflate, Modified: mtime})
	if err != nil {
		return "", err
	}
	if _, err := fw.Write([]byte(record.String())); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return path, f.Close()
}

// WriteIndex writes a PEP 503 "simple" index of the wheels under root/simple/<name>/ (the
// wheel files next to each project page) for serving with http.FileServer.
func WriteIndex(root string, wheels ...Wheel) error {
	projects := map[string][]Wheel{}
	for _, w := range wheels {
		n := strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(w.Name, "_", "-"), ".", "-"))
		projects[n] = append(projects[n], w)
	}
	var top strings.Builder
	top.WriteString("<!DOCTYPE html><html><body>\n")
	names := slices.Sorted(maps.Keys(projects))
	for _, n := range names {
		dir := filepath.Join(root, "simple", n)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		var page strings.Builder
		page.WriteString("<!DOCTYPE html><html><body>\n")
		for _, w := range projects[n] {
			p, err := Write(dir, w)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			fmt.Fprintf(&page, "<a href=\"%s#sha256=%s\">%s</a>\n", w.FileName(), hex.EncodeToString(sum[:]), w.FileName())
		}
		page.WriteString("</body></html>\n")
		if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(page.String()), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&top, "<a href=\"%s/\">%s</a>\n", n, n)
	}
	top.WriteString("</body></html>\n")
	return os.WriteFile(filepath.Join(root, "simple", "index.html"), []byte(top.String()), 0o644)
}
