package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/scaffold"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// executeNew runs `cnbkit new args...` through cobra with runNew, stdin from in.
func executeNew(t *testing.T, in string, args ...string) (string, error) {
	t.Helper()
	cmd := newNewCommand(runNew)
	var out bytes.Buffer
	cmd.SetIn(strings.NewReader(in))
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestNewWritesAProject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		args        []string
		wantID      string
		wantName    string
		wantVersion string
		wantAPI     string
		wantTargets []spec.Target
		wantFile    string
	}{
		{
			name:        "defaults",
			args:        []string{"my-org/hello"},
			wantID:      "my-org/hello",
			wantName:    "Hello",
			wantVersion: "0.1.0",
			wantAPI:     spec.LatestAPI(),
			wantTargets: []spec.Target{{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"}},
			wantFile:    "detect.go",
		},
		{
			name: "every flag",
			args: []string{"my-org/jq", "--name", "JQ Installer", "--version", "1.2.3", "--api", "0.10",
				"--targets", "linux/arm64", "--targets", "linux/amd64/v3", "--template", "dependency", "--module", "example.com/jq"},
			wantID:      "my-org/jq",
			wantName:    "JQ Installer",
			wantVersion: "1.2.3",
			wantAPI:     "0.10",
			wantTargets: []spec.Target{{OS: "linux", Arch: "arm64"}, {OS: "linux", Arch: "amd64", Variant: "v3"}},
			wantFile:    "testdata/dependencies/linux-arm64/example-tool",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			dir := filepath.Join(t.TempDir(), "bp")
			out, err := executeNew(t, "", append(tc.args, "--path", dir)...)
			g.Expect(err).NotTo(HaveOccurred(), out)
			g.Expect(out).To(ContainSubstring("Created buildpack " + tc.wantID))
			g.Expect(out).To(ContainSubstring("cd " + dir))

			bp, err := spec.ReadBuildpack(filepath.Join(dir, "buildpack.toml"))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(bp.Info.ID).To(Equal(tc.wantID))
			g.Expect(bp.Info.Name).To(Equal(tc.wantName))
			g.Expect(bp.Info.Version).To(Equal(tc.wantVersion))
			g.Expect(bp.API).To(Equal(tc.wantAPI))
			g.Expect(bp.Targets).To(Equal(tc.wantTargets))
			g.Expect(filepath.Join(dir, tc.wantFile)).To(BeARegularFile())
		})
	}
}

func TestNewPointsGoModAtALocalCheckout(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := filepath.Join(t.TempDir(), "bp")
	out, err := executeNew(t, "", "my-org/hello", "--path", dir, "--sdk-replace", "../..")
	g.Expect(err).NotTo(HaveOccurred(), out)
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	g.Expect(err).NotTo(HaveOccurred())
	checkout, err := filepath.Abs("../..")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(gomod)).To(ContainSubstring("replace github.com/cnbkit/cnbkit => " + checkout + "\n"))
}

func TestNewRefusesBadInputAndWritesNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no id", args: nil, want: "no buildpack id given"},
		{name: "bad id", args: []string{"my org/x"}, want: `buildpack id "my org/x" is invalid`},
		{name: "bad version", args: []string{"a/b", "--version", "1"}, want: `version "1" is not a semantic version`},
		{name: "bad api", args: []string{"a/b", "--api", "0.8"}, want: "older than 0.10"},
		{name: "bad target", args: []string{"a/b", "--targets", "linux/x86_64"}, want: `did you mean "amd64"`},
		{name: "bad template", args: []string{"a/b", "--template", "rust"}, want: `template "rust" is not known`},
		{name: "two ids", args: []string{"a/b", "c/d"}, want: "accepts at most 1 arg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			dir := filepath.Join(t.TempDir(), "bp")
			_, err := executeNew(t, "", append(tc.args, "--path", dir)...)
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)))
			_, statErr := os.Stat(dir)
			g.Expect(os.IsNotExist(statErr)).To(BeTrue(), "cnbkit new %v wrote %s", tc.args, dir)
		})
	}
}

func TestNewRefusesANonEmptyFolderUnlessForced(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	notes := filepath.Join(dir, "NOTES.md")
	g.Expect(os.WriteFile(notes, []byte("mine"), 0o644)).To(Succeed())

	_, err := executeNew(t, "", "my-org/hello", "--path", dir)
	g.Expect(err).To(MatchError(ContainSubstring("is not empty")))
	g.Expect(err).To(MatchError(ContainSubstring("--force")))
	g.Expect(filepath.Join(dir, "buildpack.toml")).NotTo(BeAnExistingFile())

	out, err := executeNew(t, "", "my-org/hello", "--path", dir, "--force")
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(filepath.Join(dir, "buildpack.toml")).To(BeARegularFile())
	g.Expect(os.ReadFile(notes)).To(Equal([]byte("mine")))
}

func TestNewDoesNotPromptWithoutATerminal(t *testing.T) {
	t.Setenv("CI", "") // canPrompt must say no for a pipe even outside CI
	g := NewWithT(t)
	g.Expect(canPrompt(strings.NewReader("my-org/x\n"))).To(BeFalse())
	r, w, err := os.Pipe()
	g.Expect(err).NotTo(HaveOccurred())
	defer r.Close()
	defer w.Close()
	g.Expect(canPrompt(r)).To(BeFalse())
	t.Setenv("CI", "true")
	g.Expect(canPrompt(os.Stdin)).To(BeFalse())
}

func TestNewPrompts(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := filepath.Join(t.TempDir(), "answered")
	// A bad id is asked again; empty answers take the defaults; a bad version is asked again.
	answers := strings.Join([]string{"not valid!", "my-org/asked", "", "1.0", "2.0.0", "nope", "dependency", dir}, "\n") + "\n"
	var out bytes.Buffer
	err := runNew(context.Background(), newOptions{Version: "0.1.0", API: spec.LatestAPI(), Template: "plain"},
		newIO{In: strings.NewReader(answers), Out: &out, Interactive: true})
	g.Expect(err).NotTo(HaveOccurred(), out.String())
	g.Expect(out.String()).To(ContainSubstring(`buildpack id "not valid!" is invalid`))
	g.Expect(out.String()).To(ContainSubstring("Name [Asked]: "))
	g.Expect(out.String()).To(ContainSubstring(`version "1.0" is not a semantic version`))
	g.Expect(out.String()).To(ContainSubstring(`template "nope" is not known`))

	bp, err := spec.ReadBuildpack(filepath.Join(dir, "buildpack.toml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(bp.Info.ID).To(Equal("my-org/asked"))
	g.Expect(bp.Info.Name).To(Equal("Asked"))
	g.Expect(bp.Info.Version).To(Equal("2.0.0"))
	g.Expect(filepath.Join(dir, "testdata", "dependencies")).To(BeADirectory())
}

func TestNewPromptStopsAtEndOfInput(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	err := runNew(context.Background(), newOptions{}, newIO{In: strings.NewReader(""), Out: &bytes.Buffer{}, Interactive: true})
	g.Expect(err).To(MatchError(ContainSubstring("input ended")))
}

func TestNewOffersTheAPIsTheSDKRuns(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	// The scaffold may not import the SDK root, so its MinAPI is a copy: keep the two equal.
	g.Expect(scaffold.MinAPI).To(Equal(sdk.MinAPI))
	g.Expect(apiChoices()).To(ContainElement(spec.LatestAPI()))
	g.Expect(apiChoices()[0]).To(Equal(sdk.MinAPI))
}

func TestNewOutputMatchesTheTutorial(t *testing.T) {
	g := NewWithT(t)
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "getting-started.md"))
	g.Expect(err).NotTo(HaveOccurred())
	// Not parallel: it runs in a temporary working directory, as the tutorial does.
	t.Chdir(t.TempDir())

	out, err := executeNew(t, "", "my-org/hello")
	g.Expect(err).NotTo(HaveOccurred(), out)
	// The tutorial shows the first lines of the output in a text block after `cnbkit new my-org/hello`.
	_, after, ok := strings.Cut(string(doc), "cnbkit new my-org/hello\n```\n\n```text\n")
	g.Expect(ok).To(BeTrue(), "docs/getting-started.md shows the output of cnbkit new my-org/hello")
	shown, _, _ := strings.Cut(after, "```")
	g.Expect(out).To(HavePrefix(shown))
	g.Expect(filepath.Join("hello", "buildpack.toml")).To(BeARegularFile())
}
