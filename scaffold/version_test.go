package scaffold

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	. "github.com/onsi/gomega"
)

func TestSDKVersionOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		info   debug.BuildInfo
		want   string
		wantOK bool
	}{
		{name: "release", info: debug.BuildInfo{Main: debug.Module{Path: SDKModule, Version: "v0.3.1"}}, want: "v0.3.1", wantOK: true},
		{name: "pseudo-version", info: debug.BuildInfo{Main: debug.Module{Path: SDKModule, Version: "v0.3.2-0.20261127094102-efc9106abcde"}}, want: "v0.3.2-0.20261127094102-efc9106abcde", wantOK: true},
		{name: "checkout", info: debug.BuildInfo{Main: debug.Module{Path: SDKModule, Version: "(devel)"}}},
		{name: "modified checkout", info: debug.BuildInfo{Main: debug.Module{Path: SDKModule, Version: "v0.3.2-0.20261127094102-efc9106abcde+dirty"}}},
		{name: "replaced", info: debug.BuildInfo{Main: debug.Module{Path: SDKModule, Version: "v0.3.1", Replace: &debug.Module{Path: "../cnbkit"}}}},
		{name: "a program that imports the SDK", info: debug.BuildInfo{Main: debug.Module{Path: "example.com/tool", Version: "v1.0.0"},
			Deps: []*debug.Module{{Path: "example.com/other", Version: "v2.0.0"}, {Path: SDKModule, Version: "v0.4.0"}}}, want: "v0.4.0", wantOK: true},
		{name: "not a version", info: debug.BuildInfo{Main: debug.Module{Path: SDKModule, Version: "v1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			v, ok := sdkVersionOf(&tc.info)
			g.Expect(v).To(Equal(tc.want))
			g.Expect(ok).To(Equal(tc.wantOK))
		})
	}
}

func TestBuildSDKVersionInTests(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	// A test binary is built from the checkout: a development build.
	_, ok := BuildSDKVersion()
	g.Expect(ok).To(BeFalse())
}

func TestCheckCheckout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if content != "" {
			if err := os.WriteFile(filepath.Join(p, "go.mod"), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	tests := []struct {
		name string
		dir  string
		want string
	}{
		{name: "this repository", dir: ".."},
		{name: "missing", dir: filepath.Join(dir, "nothing-here"), want: "the folder does not exist"},
		{name: "no go.mod", dir: write("empty", ""), want: "it has no go.mod"},
		{name: "another module", dir: write("other", "module example.com/other\n\ngo 1.26\n"), want: "its go.mod declares module example.com/other, not github.com/cnbkit/cnbkit"},
		{name: "no module line", dir: write("broken", "go 1.26\n"), want: "its go.mod declares no module"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			err := CheckCheckout(tc.dir)
			if tc.want == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(MatchError(tc.dir + " is not a cnbkit checkout: " + tc.want))
		})
	}
}

func TestFindCheckout(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	root, err := filepath.Abs("..")
	g.Expect(err).NotTo(HaveOccurred())
	found, ok := FindCheckout(filepath.Join("testdata"))
	g.Expect(ok).To(BeTrue())
	g.Expect(found).To(Equal(root))
	_, ok = FindCheckout(t.TempDir())
	g.Expect(ok).To(BeFalse())
}

func TestReplacePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		project, checkout, want string
	}{
		{project: "hello", checkout: "cnbkit", want: "../cnbkit"},
		{project: "./hello", checkout: "../cnbkit", want: "../../cnbkit"},
		{project: "work/bps/hello", checkout: ".", want: "../../.."},
		{project: "hello", checkout: "hello/vendor/cnbkit", want: "./vendor/cnbkit"},
		{project: "hello", checkout: "/src/cnbkit", want: "/src/cnbkit"},
		{project: "/tmp/x/hello", checkout: "/src/cnbkit/", want: "/src/cnbkit"},
	}
	for _, tc := range tests {
		t.Run(tc.project+" "+tc.checkout, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			got, err := ReplacePath(tc.project, tc.checkout)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tc.want))
		})
	}
}
