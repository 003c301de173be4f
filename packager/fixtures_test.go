package packager_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/packager"
)

// writeTree writes files (path → content) under dir; a content starting with "#!" gets
// mode 0755, others 0644.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if len(content) > 2 && content[:2] == "#!" {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}

func bashBuildpack(id, version, extra string) map[string]string {
	return map[string]string{
		"buildpack.toml": "api = \"0.10\"\n\n[buildpack]\nid = \"" + id + "\"\nversion = \"" + version + "\"\nname = \"Test " + id + "\"\nhomepage = \"https://example.com/" + id + "\"\n" + extra,
		"bin/build":      "#!/usr/bin/env bash\necho build " + id + "\n",
		"bin/detect":     "#!/usr/bin/env bash\nexit 0\n",
	}
}

const linuxTargets = "\n[[targets]]\nos = \"linux\"\narch = \"amd64\"\n\n[[targets]]\nos = \"linux\"\narch = \"arm64\"\n"

// goBuildpack is a Go buildpack in its own module with a main package in ./cmd.
func goBuildpack(id, version string) map[string]string {
	return map[string]string{
		"buildpack.toml":   "api = \"0.10\"\n\n[buildpack]\nid = \"" + id + "\"\nversion = \"" + version + "\"\n" + linuxTargets,
		"go.mod":           "module example.com/bp\n\ngo 1.26\n",
		"cmd/main.go":      "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"path/filepath\"\n)\n\nfunc main() { fmt.Println(filepath.Base(os.Args[0]), \"" + id + "\") }\n",
		"cmd/main_test.go": "package main\n\nimport \"testing\"\n\nfunc TestNothing(t *testing.T) {}\n",
		"internal/x.go":    "package internal\n",
	}
}

type tarEntry struct {
	hdr  *tar.Header
	data []byte
}

// readTar reads all entries of a tar stream, gunzipping first when gz is set.
func readTar(t *testing.T, r io.Reader, gz bool) []tarEntry {
	t.Helper()
	if gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	tr := tar.NewReader(r)
	var out []tarEntry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{h, data})
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return c
}

func entryNames(es []tarEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.hdr.Name)
	}
	return out
}

var _ = NewWithT

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(ctx(t))
}

func basicToken(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// expectProblems checks that Build failed with a *ValidationError of exactly one problem
// per wanted substring, and built nothing.
func expectProblems(t *testing.T, p *packager.Package, err error, want []string) {
	t.Helper()
	g := NewWithT(t)
	g.Expect(p).To(BeNil())
	var verr *packager.ValidationError
	g.Expect(errors.As(err, &verr)).To(BeTrue(), "Build returned %v, want a *ValidationError", err)
	g.Expect(verr.Problems).To(HaveLen(len(want)), "problems: %v", err)
	for _, w := range want {
		g.Expect(err.Error()).To(ContainSubstring(w))
	}
}

// builtBash packages bashBuildpack(id, version) from dir/<last part of id>-<version> and
// closes the package when the test ends.
func builtBash(t *testing.T, dir, id, version string) *packager.Package {
	t.Helper()
	src := filepath.Join(dir, filepath.Base(id)+"-"+version)
	writeTree(t, src, bashBuildpack(id, version, ""))
	p, err := packager.Build(ctx(t), packager.Options{Path: src})
	if err != nil {
		t.Fatalf("packaging %s: %v", src, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// one is the single output of a sink that writes one (a layout, a registry image), or the
// error it returned.
func one(outs []packager.Output, err error) (packager.Output, error) {
	if err != nil {
		return packager.Output{}, err
	}
	if len(outs) != 1 {
		return packager.Output{}, fmt.Errorf("the sink wrote %d outputs, want one: %+v", len(outs), outs)
	}
	return outs[0], nil
}
