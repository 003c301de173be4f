package importcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cnbkit/cnbkit/internal/gocmd"
	. "github.com/onsi/gomega"
)

const module = "github.com/cnbkit/cnbkit"

// pkg is the part of `go list -json` output the rules need.
type pkg struct {
	ImportPath   string
	Standard     bool
	Imports      []string
	TestImports  []string
	XTestImports []string
	Deps         []string
	Error        *struct{ Err string }
}

// listPackages runs `go list -e -deps -test=false -json ./...` in the module root.
func listPackages(t *testing.T) map[string]pkg {
	t.Helper()
	root := moduleRoot(t)
	goTool, err := gocmd.Path()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goTool, "list", "-e", "-json", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./... in %s: %v\n%s", root, err, stderr.String())
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs[p.ImportPath] = p
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(data, []byte("module "+module+"\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod of %s above the test", module)
		}
		dir = parent
	}
}

func under(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }

func local(path string) string { return strings.TrimPrefix(strings.TrimPrefix(path, module), "/") }

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// sharedInternals are the small internal packages anything of cnbkit may import (the
// integration module too): one copy of each helper. They import only each other and sdk/spec.
var sharedInternals = []string{"ctxio", "fstree", "gocmd", "terminal"}

// testKits are internal packages for tests only (an in-process registry, quick signing
// keys): any test may import them, nothing else.
var testKits = []string{"registrytest", "signtest"}

func testKit(path string) bool {
	for _, s := range testKits {
		if under(path, module+"/internal/"+s) {
			return true
		}
	}
	return false
}

func sharedInternal(path string) bool {
	for _, s := range sharedInternals {
		if under(path, module+"/internal/"+s) {
			return true
		}
	}
	return false
}

// rule checks one import of one package and returns a violation or "".
type rule struct {
	name  string
	check func(importer, imported string, test bool) string
}

var forbiddenInSDK = []string{
	module + "/packager", module + "/scaffold", module + "/buildpacks", module + "/cmd", module + "/integration",
	"github.com/spf13/cobra", "github.com/google/go-containerregistry",
}

var rules = []rule{
	{"only sdk/internal imports libcnb", func(from, to string, _ bool) string {
		if (under(to, "github.com/buildpacks/libcnb") || under(to, "github.com/buildpacks/libcnb/v2")) &&
			!under(from, module+"/sdk/internal") {
			return "imports " + to
		}
		return ""
	}},
	{"only sdk/internal and the compatibility API sdk/paketo import libpak", func(from, to string, _ bool) string {
		if (under(to, "github.com/paketo-buildpacks/libpak") || under(to, "github.com/paketo-buildpacks/libpak/v2")) &&
			!under(from, module+"/sdk/internal") && !under(from, module+"/sdk/paketo") {
			return "imports " + to
		}
		return ""
	}},
	{"nothing imports integration", func(from, to string, _ bool) string {
		if under(to, module+"/integration") {
			return "imports " + to
		}
		return ""
	}},
	{"the shared internal packages import only each other and sdk/spec of cnbkit", func(from, to string, _ bool) string {
		if sharedInternal(from) && under(to, module) && !sharedInternal(to) && !under(to, module+"/sdk/spec") {
			return "imports " + to
		}
		return ""
	}},
	{"only tests import the test kits", func(from, to string, test bool) string {
		if testKit(to) && !test && !testKit(from) {
			return "imports " + to
		}
		return ""
	}},
	{"sdk/spec imports nothing of cnbkit", func(from, to string, _ bool) string {
		if under(from, module+"/sdk/spec") && under(to, module) && !under(to, module+"/sdk/spec") {
			return "imports " + to
		}
		return ""
	}},
	{"buildpacks import only the SDK, the standard library, BurntSushi/toml, Masterminds/semver and the sh parser mvdan.cc/sh/v3/syntax", func(from, to string, test bool) string {
		if !under(from, module+"/buildpacks") {
			return ""
		}
		parts := strings.SplitN(local(from), "/", 3) // buildpacks/<name>/...
		own := module + "/" + strings.Join(parts[:2], "/")
		switch {
		case isStd(to), under(to, module+"/sdk"), under(to, own),
			under(to, "github.com/BurntSushi/toml"), under(to, "github.com/Masterminds/semver/v3"), under(to, "mvdan.cc/sh/v3/syntax"):
			return ""
		case test && under(to, "github.com/onsi/gomega"):
			return ""
		}
		return "imports " + to
	}},
	{"the packager imports only sdk/spec and sdk/dependency of the SDK, and the shared internal packages", func(from, to string, _ bool) string {
		if under(from, module+"/packager") && under(to, module) && !under(to, module+"/packager") &&
			!under(to, module+"/sdk/spec") && !under(to, module+"/sdk/dependency") && !sharedInternal(to) {
			return "imports " + to
		}
		return ""
	}},
	{"packager/sign imports nothing of cnbkit", func(from, to string, _ bool) string {
		if under(from, module+"/packager/sign") && under(to, module) && !under(to, module+"/packager/sign") {
			return "imports " + to
		}
		return ""
	}},
	{"the scaffold imports only sdk/spec and the shared internal packages of cnbkit", func(from, to string, _ bool) string {
		if under(from, module+"/scaffold") && under(to, module) && !under(to, module+"/scaffold") && !under(to, module+"/sdk/spec") && !sharedInternal(to) {
			return "imports " + to
		}
		return ""
	}},
}

func TestImportDirections(t *testing.T) {
	g := NewWithT(t)
	pkgs := listPackages(t)
	var violations []string
	for _, p := range pkgs {
		if !under(p.ImportPath, module) {
			continue
		}
		check := func(imports []string, test bool) {
			for _, imp := range imports {
				if test && testKit(imp) {
					continue // tests may use the test kits, whatever they test
				}
				for _, r := range rules {
					if v := r.check(p.ImportPath, imp, test); v != "" {
						violations = append(violations, fmt.Sprintf("%s %s (rule: %s)", local(p.ImportPath), v, r.name))
					}
				}
			}
		}
		check(p.Imports, false)
		check(p.TestImports, true)
		check(p.XTestImports, true)
	}
	sort.Strings(violations)
	g.Expect(violations).To(BeEmpty(), "import rules broken:\n%s", strings.Join(violations, "\n"))
}

// TestSDKDependencies checks the SDK's transitive dependencies (non-test builds), so that a
// buildpack binary never links the packager, the scaffold, cobra or go-containerregistry.
func TestSDKDependencies(t *testing.T) {
	g := NewWithT(t)
	pkgs := listPackages(t)
	var violations []string
	sdkPkgs := 0
	for _, p := range pkgs {
		if !under(p.ImportPath, module+"/sdk") {
			continue
		}
		sdkPkgs++
		for _, dep := range append(append([]string(nil), p.Imports...), p.Deps...) {
			for _, f := range forbiddenInSDK {
				if under(dep, f) {
					violations = append(violations, fmt.Sprintf("%s depends on %s", local(p.ImportPath), dep))
				}
			}
		}
	}
	g.Expect(sdkPkgs).To(BeNumerically(">", 2), "go list found the sdk packages")
	sort.Strings(violations)
	g.Expect(violations).To(BeEmpty(), "the SDK must stay small:\n%s", strings.Join(violations, "\n"))
}

// TestRulesCatchViolations feeds the rules imports that break them, so a rule that can never
// fire is noticed.
func TestRulesCatchViolations(t *testing.T) {
	t.Parallel()
	bad := [][2]string{
		{module + "/sdk", "github.com/buildpacks/libcnb/v2"},
		{module + "/sdk/paketo", "github.com/buildpacks/libcnb/v2"},
		{module + "/sdk/dependency", "github.com/paketo-buildpacks/libpak/v2"},
		{module + "/buildpacks/python", "github.com/paketo-buildpacks/libpak/v2"},
		{module + "/cmd/cnbkit", module + "/integration/harness"},
		{module + "/sdk/spec", module + "/sdk"},
		{module + "/buildpacks/python", "github.com/spf13/cobra"},
		{module + "/buildpacks/python", module + "/buildpacks/ffmpeg"},
		{module + "/buildpacks/python", module + "/packager"},
		{module + "/packager", module + "/sdk"},
		{module + "/packager", module + "/scaffold"},
		{module + "/scaffold", module + "/sdk/cnbtest"},
		{module + "/internal/ctxio", module + "/sdk"},
		{module + "/internal/gocmd", module + "/packager"},
		{module + "/scaffold", module + "/internal/importcheck"},
		{module + "/packager/sign", module + "/packager"},
		{module + "/packager/sign", module + "/sdk/spec"},
		{module + "/packager", module + "/internal/signtest"},
		{module + "/cmd/cnbkit", module + "/internal/registrytest"},
	}
	for _, b := range bad {
		fired := false
		for _, r := range rules {
			if r.check(b[0], b[1], false) != "" {
				fired = true
			}
		}
		if !fired {
			t.Errorf("no rule rejects %s importing %s", b[0], b[1])
		}
	}
	good := [][2]string{
		{module + "/sdk/internal/cnb", "github.com/buildpacks/libcnb/v2"},
		{module + "/sdk/internal/checksum", "github.com/paketo-buildpacks/libpak/v2"},
		{module + "/sdk/paketo", "github.com/paketo-buildpacks/libpak/v2"},
		{module + "/buildpacks/python", module + "/sdk"},
		{module + "/buildpacks/python/cmd/python", module + "/buildpacks/python"},
		{module + "/buildpacks/python", "github.com/Masterminds/semver/v3"},
		{module + "/buildpacks/python/internal/startcmd", "mvdan.cc/sh/v3/syntax"},
		{module + "/packager", module + "/sdk/spec"},
		{module + "/packager", module + "/sdk/dependency"},
		{module + "/packager", module + "/internal/ctxio"},
		{module + "/sdk/dependency", module + "/internal/ctxio"},
		{module + "/sdk/cnbtest", module + "/internal/fstree"},
		{module + "/internal/fstree", module + "/sdk/spec"},
		{module + "/scaffold", module + "/internal/gocmd"},
		{module + "/packager/internal/compile", module + "/internal/gocmd"},
		{module + "/scaffold", module + "/sdk/spec"},
		{module + "/cmd/cnbkit", module + "/packager"},
		{module + "/packager", module + "/packager/sign"},
		{module + "/cmd/cnbkit", module + "/packager/sign"},
	}
	for _, gd := range good {
		for _, r := range rules {
			if v := r.check(gd[0], gd[1], false); v != "" {
				t.Errorf("rule %q rejects %s importing %s", r.name, gd[0], gd[1])
			}
		}
	}
}
