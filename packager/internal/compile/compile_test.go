package compile_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/packager/internal/compile"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

func TestEnv(t *testing.T) {
	t.Parallel()
	cases := []struct {
		target string
		want   []string
	}{
		{"linux/amd64", []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=-buildvcs=false"}},
		{"linux/arm/v7", []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm", "GOFLAGS=-buildvcs=false", "GOARM=7"}},
		{"linux/arm64/v8", []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GOFLAGS=-buildvcs=false"}},
		{"linux/amd64/v3", []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=-buildvcs=false", "GOAMD64=v3"}},
		{"linux/arm64/v9", []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GOFLAGS=-buildvcs=false", "GOARM64=v9.0"}},
		{"linux/arm64/v8.2", []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GOFLAGS=-buildvcs=false", "GOARM64=v8.2"}},
	}
	for _, tc := range cases {
		t.Run(tc.target, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			tg, err := spec.ParseTarget(tc.target)
			g.Expect(err).NotTo(HaveOccurred())
			env, err := compile.Env(tg)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(env).To(Equal(tc.want))
		})
	}
	_, err := compile.Env(spec.Target{OS: "linux"})
	NewWithT(t).Expect(err).To(MatchError(ContainSubstring("needs an os and an arch")))
}

func TestFindMain(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"cmd", map[string]string{"cmd/main.go": "package main\n", "lib.go": "package lib\n"}, "./cmd"},
		{"root", map[string]string{"main.go": "package main\n"}, "."},
		{"library only", map[string]string{"lib.go": "package lib\n", "cmd/x_test.go": "package main\n"}, ""},
		{"none", map[string]string{"bin/build": "#!/bin/sh\n"}, ""},
		{"one folder of cmd", map[string]string{"cmd/motd/main.go": "package main\n", "cmd/tools/doc.go": "package tools\n"}, "./cmd/motd"},
		{"cmd wins over its folders", map[string]string{"cmd/main.go": "package main\n", "cmd/other/main.go": "package main\n"}, "./cmd"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			dir := t.TempDir()
			for n, c := range tc.files {
				g.Expect(os.MkdirAll(filepath.Join(dir, filepath.Dir(n)), 0o755)).To(Succeed())
				g.Expect(os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644)).To(Succeed())
			}
			got, err := compile.FindMain(dir)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

func TestFindMainRefusesSeveralMainPackages(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	for _, n := range []string{"cmd/a/main.go", "cmd/b/main.go"} {
		g.Expect(os.MkdirAll(filepath.Join(dir, filepath.Dir(n)), 0o755)).To(Succeed())
		g.Expect(os.WriteFile(filepath.Join(dir, n), []byte("package main\n"), 0o644)).To(Succeed())
	}
	_, err := compile.FindMain(dir)
	g.Expect(err).To(MatchError(ContainSubstring("several Go main packages")))
	g.Expect(err).To(MatchError(ContainSubstring("./cmd/a, ./cmd/b")))
}
