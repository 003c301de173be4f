package scaffold_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/scaffold"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from the current templates")

// goldenCases are the projects whose complete output is kept under testdata/<name>.txtar.
var goldenCases = []struct {
	name string
	opts scaffold.Options
}{
	{name: "plain", opts: scaffold.Options{ID: "my-org/hello-world", Template: scaffold.TemplatePlain}},
	{name: "dependency", opts: scaffold.Options{ID: "my-org/tools", Template: scaffold.TemplateDependency}},
	{name: "plain-api-0.10-one-target", opts: scaffold.Options{
		ID: "io.example.scripts", Name: "Example Scripts", Version: "2.3.4-rc.1", API: "0.10",
		Targets: []spec.Target{{OS: "linux", Arch: "arm64", Variant: "v8"}}, Module: "example.com/buildpacks/scripts",
	}},
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			opts := tc.opts
			opts.SDKVersion = "v0.1.0" // a release tag, independent of the build info of the test binary
			files, err := scaffold.Generate(context.Background(), opts)
			g.Expect(err).NotTo(HaveOccurred())
			got := formatTxtar(fmt.Sprintf("scaffold.Generate output for %+v\nRegenerate with: go test ./scaffold/... -update\n", opts), files)

			golden := filepath.Join("testdata", tc.name+".txtar")
			if *update {
				g.Expect(os.MkdirAll("testdata", 0o755)).To(Succeed())
				g.Expect(os.WriteFile(golden, got, 0o644)).To(Succeed())
				return
			}
			want, err := os.ReadFile(golden)
			g.Expect(err).NotTo(HaveOccurred(), "reading the golden file; create it with: go test ./scaffold/... -update")
			g.Expect(string(got)).To(Equal(string(want)),
				"Generate(%+v) differs from %s; if the change is intended, run: go test ./scaffold/... -update", opts, golden)
		})
	}
}

// formatTxtar writes files as a txtar archive (golang.org/x/tools/txtar format): a comment, then
// "-- path --" lines each followed by the file's content.
func formatTxtar(comment string, files []scaffold.File) []byte {
	var b bytes.Buffer
	b.WriteString(comment)
	for _, f := range files {
		fmt.Fprintf(&b, "-- %s --\n", f.Path)
		b.Write(f.Data)
		if len(f.Data) > 0 && !bytes.HasSuffix(f.Data, []byte("\n")) {
			b.WriteString("\n")
		}
	}
	return b.Bytes()
}

// parseTxtar reads back what formatTxtar wrote.
func parseTxtar(data []byte) map[string]string {
	files := map[string]string{}
	var name string
	var content strings.Builder
	flush := func() {
		if name != "" {
			files[name] = content.String()
		}
		content.Reset()
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		trimmed := strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") && len(trimmed) > 6 {
			flush()
			name = trimmed[3 : len(trimmed)-3]
			continue
		}
		content.WriteString(line)
	}
	flush()
	return files
}

func TestGoldenFilesMatchGeneratedFiles(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	// The golden archives hold every generated file, and nothing else.
	for _, tc := range goldenCases {
		data, err := os.ReadFile(filepath.Join("testdata", tc.name+".txtar"))
		if *update && os.IsNotExist(err) {
			continue
		}
		g.Expect(err).NotTo(HaveOccurred())
		opts := tc.opts
		opts.SDKVersion = "v0.1.0"
		files, err := scaffold.Generate(context.Background(), opts)
		g.Expect(err).NotTo(HaveOccurred())
		archived := parseTxtar(data)
		g.Expect(archived).To(HaveLen(len(files)), "files in %s.txtar", tc.name)
		for _, f := range files {
			g.Expect(archived).To(HaveKeyWithValue(f.Path, string(f.Data)), "%s in %s.txtar", f.Path, tc.name)
		}
	}
}
