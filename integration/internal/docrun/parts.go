package docrun

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A Part is a part of a Markdown page of the repository whose commands a test runs.
type Part struct {
	// Page is the page's path from the repository root. A template (`.md.tmpl`) is run
	// through the page it generates.
	Page string
	// From and To bound the part, as in Options; empty: the whole page.
	From, To string
	// Test is the test that runs the part: "<folder from the repository root>.<TestName>".
	Test string
	// Skip lists commands of the part the test leaves out, each with the reason.
	Skip map[string]string
}

// Parts lists every part of a page that a test runs. TestEveryShownCommandIsRun fails when a
// page shows a command (a sh, bash, shell or console block) outside these parts.
var Parts = []Part{
	{Page: "README.md", Test: "integration/docs.TestREADME",
		Skip: map[string]string{"./scripts/test": "it runs every test, this one included: .ci/run, CI's entry point, runs it"}},
	{Page: "docs/sdk.md", From: "Tutorial: from an empty folder", To: "Guide", Test: "integration/docs.TestSDKTutorial"},
	{Page: "docs/packager.md", Test: "integration/docs.TestPackagerPage"},
	{Page: "docs/buildpacks/ffmpeg.md", From: "The composite", To: "Tests", Test: "integration/docs.TestFFmpegPage"},
	{Page: "docs/signing.md", To: "Requiring signatures for every buildpack in a builder", Test: "integration/docs.TestSigningPage"},
	{Page: "docs/signing.md", From: "Requiring signatures for every buildpack in a builder", To: "Transparency log", Test: "integration/docs.TestSigningPage"},
	{Page: "docs/integration.md", From: "A first test", To: "Building", Test: "integration/docs.TestHarnessPage"},
	{Page: "docs/releasing.md", To: "What a user verifies", Test: "integration/docs.TestReleasingPage"},
	{Page: "docs/releasing.md", From: "What a user verifies", To: "Reproducing the binaries", Test: "integration/docs.TestReleasingPage"},
	{Page: "docs/releasing.md", From: "Reproducing the binaries", Test: "integration/docs.TestReleasingPage"},
	{Page: "docs/builder.md", Test: "integration/walkthrough.TestWalkthrough"},
	{Page: "docs/getting-started.md", Test: "integration/walkthrough.TestWalkthrough"},
	{Page: "docs/buildpacks/python.md", Test: "integration/walkthrough.TestWalkthrough"},
	{Page: "scaffold/templates/plain/README.md.tmpl", Test: "integration/walkthrough.TestWalkthrough"},
	{Page: "scaffold/templates/dependency/README.md.tmpl", Test: "integration/walkthrough.TestWalkthrough"},
}

// Find returns the part of page that starts at the heading from ("" for a whole page).
func Find(page, from string) (Part, error) {
	for _, p := range Parts {
		if p.Page == page && p.From == from {
			return p, nil
		}
	}
	return Part{}, fmt.Errorf("%s (from %q) is not in docrun.Parts: add it there, with the test that runs it", page, from)
}

// Compile compiles md, the part's page (or the page its template generated), for the part:
// o's From, To and Skip are the part's.
func (p Part) Compile(md []byte, o Options) (*Program, error) {
	o.From, o.To = p.From, p.To
	o.Skip = slices.Sorted(maps.Keys(p.Skip))
	prog, err := Compile(md, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Page, err)
	}
	return prog, nil
}

// MustFind is Find that fails t.
func MustFind(t testing.TB, page, from string) Part {
	t.Helper()
	p, err := Find(page, from)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Read reads the part's page from the repository at root.
func (p Part) Read(t testing.TB, root string) []byte {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p.Page)))
	if err != nil {
		t.Fatal(err)
	}
	return md
}

// Run compiles md (the part's page, or the page its template generated) for the part and
// runs it in dir with env. It logs every command and what it printed, fails t when the
// page's commands fail or print other than the page shows, and returns the output.
func (p Part) Run(ctx context.Context, t testing.TB, md []byte, dir string, env []string, o Options) string {
	t.Helper()
	prog, err := p.Compile(md, o)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = prog.Run(ctx, dir, env, &out)
	t.Logf("%s, every command:\n%s", p.Page, out.String())
	if err != nil {
		t.Fatalf("%s: %v\n(the commands and their output are above)", p.Page, err)
	}
	return out.String()
}
