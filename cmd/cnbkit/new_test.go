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

// TestNewChoosesTheSDK covers what the generated go.mod requires: the release of the running
// cnbkit, --sdk-replace (relative paths stay relative to the project), a development build
// inside a checkout (the replace, said so), and a development build elsewhere (the exact
// command to run next).
func TestNewChoosesTheSDK(t *testing.T) {
	checkout, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	// Not parallel: cases run in a working directory of their own, as a user would.
	tests := []struct {
		name       string
		wd         string
		args       []string
		sdk        sdkSource
		wantMod    []string
		wantOut    []string
		notWantOut []string
	}{
		{name: "release binary", wd: outside, args: []string{"my-org/hello"}, sdk: sdkSource{Version: "v0.3.1"},
			wantMod: []string{"require github.com/cnbkit/cnbkit v0.3.1\n"}, notWantOut: []string{"replace", "go mod edit"}},
		{name: "pseudo-version of a VCS build", wd: outside, args: []string{"my-org/hello"}, sdk: sdkSource{Version: "v0.3.2-0.20261127094102-efc9106abcde"},
			wantMod: []string{"require github.com/cnbkit/cnbkit v0.3.2-0.20261127094102-efc9106abcde\n"}},
		{name: "relative --sdk-replace", wd: filepath.Dir(checkout), args: []string{"my-org/hello", "--path", filepath.Join(outside, "rel", "hello"), "--sdk-replace", filepath.Base(checkout)},
			sdk:     sdkSource{Version: "v0.3.1"},
			wantMod: []string{"replace github.com/cnbkit/cnbkit => " + relTo(t, filepath.Join(outside, "rel", "hello"), checkout) + "\n"},
			wantOut: []string{"go.mod uses the cnbkit checkout " + relTo(t, filepath.Join(outside, "rel", "hello"), checkout) + " (--sdk-replace)."}},
		{name: "relative --sdk-replace next to the project", wd: filepath.Dir(checkout), args: []string{"my-org/hello", "--path", "hello-" + filepath.Base(outside), "--sdk-replace", "./" + filepath.Base(checkout)},
			sdk: sdkSource{Version: "v0.3.1"}, wantMod: []string{"replace github.com/cnbkit/cnbkit => ../" + filepath.Base(checkout) + "\n"}},
		{name: "absolute --sdk-replace", wd: outside, args: []string{"my-org/hello", "--path", "abs", "--sdk-replace", checkout},
			wantMod: []string{"require github.com/cnbkit/cnbkit " + scaffold.DevelVersion + "\n", "replace github.com/cnbkit/cnbkit => " + checkout + "\n"}},
		{name: "development build in a checkout", wd: filepath.Join(checkout, "scaffold", "testdata"), args: []string{"my-org/hello", "--path", filepath.Join(outside, "dev", "hello")},
			wantMod: []string{"replace github.com/cnbkit/cnbkit => " + relTo(t, filepath.Join(outside, "dev", "hello"), checkout) + "\n"},
			wantOut: []string{"This cnbkit is a development build", "go.mod uses the cnbkit checkout you are in"}},
		{name: "development build elsewhere", wd: outside, args: []string{"my-org/hello", "--path", "elsewhere"}, sdk: sdkSource{BuiltFrom: checkout},
			wantMod: []string{"require github.com/cnbkit/cnbkit " + scaffold.DevelVersion + "\n"},
			wantOut: []string{"  cd elsewhere\n  go mod edit -replace github.com/cnbkit/cnbkit=" + checkout + "\n  go mod tidy\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			t.Chdir(tc.wd)
			cmd := newNewCommand(func(ctx context.Context, opts newOptions, streams newIO) error {
				streams.SDK = tc.sdk
				return runNew(ctx, opts, streams)
			})
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetArgs(tc.args)
			g.Expect(cmd.ExecuteContext(context.Background())).To(Succeed(), out.String())
			dir := "hello"
			for i, a := range tc.args {
				if a == "--path" {
					dir = tc.args[i+1]
				}
			}
			t.Cleanup(func() { os.RemoveAll(filepath.Join(tc.wd, dir)) })
			gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			g.Expect(err).NotTo(HaveOccurred())
			for _, w := range tc.wantMod {
				g.Expect(string(gomod)).To(ContainSubstring(w))
			}
			for _, w := range tc.wantOut {
				g.Expect(out.String()).To(ContainSubstring(w))
			}
			for _, w := range tc.notWantOut {
				g.Expect(out.String()).NotTo(ContainSubstring(w))
			}
		})
	}
}

func relTo(t *testing.T, from, to string) string {
	t.Helper()
	rel, err := filepath.Rel(from, to)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(rel)
}

func TestNewRefusesAnSDKReplaceThatIsNotACheckout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	writeFiles(t, other, map[string]string{"go.mod": "module example.com/other\n"})
	tests := []struct {
		name, replace, want string
	}{
		{"missing folder", filepath.Join(dir, "missing"), "the folder does not exist"},
		{"folder without go.mod", dir, "it has no go.mod"},
		{"another module", other, "its go.mod declares module example.com/other"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			project := filepath.Join(t.TempDir(), "bp")
			_, err := executeNew(t, "", "my-org/hello", "--path", project, "--sdk-replace", tc.replace)
			g.Expect(err).To(MatchError(ContainSubstring("--sdk-replace: " + tc.replace + " is not a cnbkit checkout: " + tc.want)))
			g.Expect(err).To(MatchError(ContainSubstring("give the folder of a clone of the cnbkit repository")))
			g.Expect(project).NotTo(BeAnExistingFile(), "nothing is written")
		})
	}
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
	// Not parallel: it runs in a temporary working directory, as the tutorial does, with a
	// released cnbkit, as the tutorial installs.
	t.Chdir(t.TempDir())

	var buf bytes.Buffer
	err = runNew(context.Background(), newOptions{ID: "my-org/hello", Version: "0.1.0", API: spec.LatestAPI(), Template: "plain", Targets: targetStrings(scaffold.DefaultTargets())},
		newIO{Out: &buf, SDK: sdkSource{Version: "v0.1.0"}})
	out := buf.String()
	g.Expect(err).NotTo(HaveOccurred(), out)
	// The tutorial shows the output under `$ cnbkit new my-org/hello` in a console block (the
	// walkthrough compares it with what the installed cnbkit prints, too).
	_, after, ok := strings.Cut(string(doc), "```console\n$ cnbkit new my-org/hello\n")
	g.Expect(ok).To(BeTrue(), "docs/getting-started.md shows the output of cnbkit new my-org/hello")
	shown, _, _ := strings.Cut(after, "```")
	g.Expect(out).To(Equal(shown))
	g.Expect(filepath.Join("hello", "buildpack.toml")).To(BeARegularFile())
}
