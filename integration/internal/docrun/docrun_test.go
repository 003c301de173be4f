package docrun

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

const page = "# Tutorial\n\nReplace `<name>` with your name. Add `-n` to echo.\n\n## 1. A folder\n\n```sh\nmkdir -p work && cd work\n```\n\n" +
	"## 2. The file: `hello.txt`\n\n```text\nhello <name>\n```\n\n## 3. Look\n\n```sh\ncat hello.txt\necho <name>\n```\n\n" +
	"```go\nnot a file: not first under its heading\n```\n\n## Guide\n\n```sh\nexit 1\n```\n"

func run(t *testing.T, md string, o Options) (string, string, error) {
	t.Helper()
	p, err := Compile([]byte(md), o)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out bytes.Buffer
	err = p.Run(context.Background(), dir, os.Environ(), &out)
	return dir, out.String(), err
}

func TestScriptRunsThePageInOrder(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir, out, err := run(t, page, Options{From: "Tutorial", To: "Guide", WriteFiles: true,
		Substitutions: []Substitution{{Old: "<name>", New: "Ada"}}, Additions: []Addition{{Command: "echo", Flags: "-n"}}})
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(out).To(ContainSubstring("hello Ada\n"), "files are written as shown, with the substitutions")
	g.Expect(out).To(ContainSubstring("+ echo -n Ada\nAda"), "commands get the substitutions and additions")
	g.Expect(out).To(ContainSubstring("--- page line 7"))
	g.Expect(filepath.Join(dir, "work", "hello.txt")).To(BeARegularFile(), "the cd of a block carries over")
	g.Expect(filepath.Join(dir, "work", "not a file")).NotTo(BeAnExistingFile())
}

func TestFilesNamedByAFirstLineComment(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	md := "# Files\n\n- a list item:\n\n  ```toml\n  # conf/a.toml\n  x = 1\n  ```\n\n```go\n// main_test.go\npackage main\n```\n\n```text\n# not a path\n```\n\n```console\n$ cat conf/a.toml main_test.go\n# conf/a.toml\nx = 1\n// main_test.go\npackage main\n```\n"
	dir, out, err := run(t, md, Options{WriteFiles: true})
	g.Expect(err).NotTo(HaveOccurred(), out)
	data, err := os.ReadFile(filepath.Join(dir, "conf", "a.toml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(data)).To(Equal("# conf/a.toml\nx = 1\n"), "the block's indentation is the list's, not the file's")
	entries, err := os.ReadDir(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(2), "conf/ and main_test.go only")
}

func TestConsoleOutputIsCompared(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, block string
		wantErr     string
	}{
		{name: "the same", block: "$ echo a; echo b\na\nb\n"},
		{name: "wildcards", block: "$ printf 'wrote x sha256:123 (linux)\\n1\\n2\\n3\\nend\\n'\nwrote x sha256:… (linux)\n…\nend\n"},
		{name: "nothing shown, nothing compared", block: "$ echo anything\n$ echo b\nb\n"},
		{name: "continued command", block: "$ echo a \\\n    b\na b\n"},
		{name: "an error shown: must fail", block: "$ sh -c 'echo Error: no >&2; exit 1'\nError: no\n"},
		{name: "state carries over", block: "$ export X=1 && cd /\n$ echo $X $PWD\n1 /\n"},
		{name: "other output", block: "$ echo a\nb\n", wantErr: "page line 4: `echo a` printed\na\n\nbut the page shows\nb"},
		{name: "a line more", block: "$ echo a; echo b\na\n", wantErr: "but the page shows"},
		{name: "failure where none is shown", block: "$ false\n", wantErr: "exit status 1"},
		{name: "success where an error is shown", block: "$ echo 'Error: x'\nError: x\n", wantErr: "exit status 1"},
		{name: "the failing command's output is compared too", block: "$ sh -c 'echo Error: x; exit 3'\nError: y\n", wantErr: "but the page shows\nError: y"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			_, out, err := run(t, "# Page\n\n```console\n"+tc.block+"```\n", Options{})
			if tc.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred(), out)
				return
			}
			g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)), out)
		})
	}
}

func TestMatches(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	g.Expect(Matches([]string{"a …", "…", "z"}, "a b c\nz\n\n")).To(BeTrue(), "… in a line, … for no line, empty lines at the end")
	g.Expect(Matches([]string{"a", "…", "z"}, "a\n1\n2\nz")).To(BeTrue())
	g.Expect(Matches([]string{"a …"}, "a b\nc")).To(BeFalse(), "… in a line does not cross lines")
	g.Expect(Matches([]string{"a.b"}, "axb")).To(BeFalse(), "the rest is literal")
	g.Expect(Matches([]string{"a  "}, "a\n")).To(BeTrue(), "trailing spaces are ignored")
}

func TestCompileRefusesWhatThePageDoesNotAskFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, md string
		o        Options
		want     string
	}{
		{"substitution not in the prose", page, Options{Substitutions: []Substitution{{Old: "mkdir -p work", New: "true"}}},
			`the page does not tell the reader to replace "mkdir -p work"`},
		{"substitution in no command", "Replace `x` here.\n\n```sh\necho y\n```\n", Options{Substitutions: []Substitution{{Old: "x", New: "z"}}},
			`no command or file of the page contains "x"`},
		{"addition not in the prose", page, Options{Additions: []Addition{{Command: "echo", Flags: "-e"}}},
			`the page does not tell the reader to add "-e" to echo`},
		{"no such heading", page, Options{From: "Nowhere"}, `no heading contains "Nowhere"`},
		{"skipped command not in the page", page, Options{Skip: []string{"make"}}, `the skipped command "make" is not a command of the page`},
		{"console block without a command", "```console\nhello\n```\n", Options{}, "shows output before its first command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile([]byte(tc.md), tc.o)
			NewWithT(t).Expect(err).To(MatchError(ContainSubstring(tc.want)))
		})
	}
}

func TestSkippedCommandsDoNotRun(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	md := "```sh\necho one\nexit 3   # would fail\n```\n\n```console\n$ exit 4\n$ echo two\ntwo\n```\n"
	_, out, err := run(t, md, Options{Skip: []string{"exit 3", "exit 4"}})
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(out).To(ContainSubstring("one"))
}

func TestAFailingStepFailsTheRun(t *testing.T) {
	t.Parallel()
	_, out, err := run(t, page, Options{From: "Guide"})
	NewWithT(t).Expect(err).To(HaveOccurred(), out)
}

// TestEveryShownCommandIsRun: every block of a Markdown page of the repository that shows
// commands (sh, bash, shell, console) is inside a part of Parts, which names the test that
// runs it; every fenced block names its language (text for output, syntax and trees).
func TestEveryShownCommandIsRun(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	root, pages := markdownPages(t)
	covered := map[string]map[int]bool{} // page → lines of blocks a part runs
	for _, p := range Parts {
		md, err := os.ReadFile(filepath.Join(root, p.Page))
		g.Expect(err).NotTo(HaveOccurred(), "docrun.Parts names %s", p.Page)
		blocks, _, err := Blocks(md, Options{From: p.From, To: p.To})
		g.Expect(err).NotTo(HaveOccurred(), p.Page)
		if covered[p.Page] == nil {
			covered[p.Page] = map[int]bool{}
		}
		for _, b := range blocks {
			covered[p.Page][b.Line] = true
		}
		dir, test, ok := strings.Cut(p.Test, ".")
		g.Expect(ok).To(BeTrue(), "Test of %s: <folder>.<TestName>", p.Page)
		g.Expect(hasTest(t, filepath.Join(root, dir), test)).To(BeTrue(), "%s: no func %s in %s", p.Page, test, dir)
	}
	var problems []string
	for _, page := range pages {
		md, err := os.ReadFile(filepath.Join(root, page))
		g.Expect(err).NotTo(HaveOccurred())
		blocks, _, err := Blocks(md, Options{})
		g.Expect(err).NotTo(HaveOccurred(), page)
		for _, b := range blocks {
			switch {
			case b.Lang == "":
				problems = append(problems, page+":"+itoa(b.Line)+": a fenced block without a language: name it (text for output, syntax or a tree)")
			case ShellLangs[b.Lang] && !covered[page][b.Line]:
				problems = append(problems, page+":"+itoa(b.Line)+": a "+b.Lang+" block no test runs: add the part to docrun.Parts with the test that runs it, or make it text if it is not a command to run")
			}
		}
	}
	g.Expect(problems).To(BeEmpty())
}

// markdownPages returns the repository root and the Markdown pages and page templates git
// knows of, without the generated CLI reference (docs/cli).
func markdownPages(t *testing.T) (string, []string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md", "*.md.tmpl")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("git ls-files in %s: %v (not a git checkout)", root, err)
	}
	var pages []string
	for _, f := range strings.Fields(string(out)) {
		if strings.HasPrefix(f, "docs/cli/") {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, f)); err == nil {
			pages = append(pages, f)
		}
	}
	return root, pages
}

// hasTest reports whether a _test.go file of dir declares func name.
func hasTest(t *testing.T, dir, name string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "\nfunc "+name+"(t *testing.T)") {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }
