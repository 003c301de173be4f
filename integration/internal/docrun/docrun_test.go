package docrun

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

const page = "# Tutorial\n\nReplace `<name>` with your name. Add `-n` to echo.\n\n## 1. A folder\n\n```sh\nmkdir -p work && cd work\n```\n\n" +
	"## 2. The file: `hello.txt`\n\n```text\nhello <name>\n```\n\n## 3. Look\n\n```sh\ncat hello.txt\necho <name>\n```\n\n" +
	"```go\nnot a file: not first under its heading\n```\n\n## Guide\n\n```sh\nexit 1\n```\n"

func TestScriptRunsThePageInOrder(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	script, err := Script([]byte(page), Options{From: "Tutorial", To: "Guide", WriteFiles: true,
		Substitutions: []Substitution{{Old: "<name>", New: "Ada"}}, Additions: []Addition{{Command: "echo", Flags: "-n"}}})
	g.Expect(err).NotTo(HaveOccurred())
	dir := t.TempDir()
	var out bytes.Buffer
	g.Expect(Run(context.Background(), script, dir, os.Environ(), &out)).To(Succeed(), out.String())
	g.Expect(out.String()).To(ContainSubstring("hello <name>\n"), "files are written as shown")
	g.Expect(out.String()).To(ContainSubstring("+ echo -n Ada\nAda"), "commands get the substitutions and additions")
	g.Expect(out.String()).To(ContainSubstring("--- page line 7"))
	g.Expect(filepath.Join(dir, "work", "hello.txt")).To(BeARegularFile(), "the cd of a block carries over")
	g.Expect(strings.Count(script, "CNBKIT_DOC_EOF")).To(Equal(2), "one file written")
}

func TestScriptRefusesSubstitutionsThePageDoesNotAskFor(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, err := Script([]byte(page), Options{Substitutions: []Substitution{{Old: "mkdir -p work", New: "true"}}})
	g.Expect(err).To(MatchError(ContainSubstring(`the page does not tell the reader to replace "mkdir -p work"`)))
	_, err = Script([]byte("Replace `x` here.\n\n```sh\necho y\n```\n"), Options{Substitutions: []Substitution{{Old: "x", New: "z"}}})
	g.Expect(err).To(MatchError(ContainSubstring(`no command of the page contains "x"`)))
	_, err = Script([]byte(page), Options{Additions: []Addition{{Command: "echo", Flags: "-e"}}})
	g.Expect(err).To(MatchError(ContainSubstring(`the page does not tell the reader to add "-e" to echo`)))
	_, err = Script([]byte(page), Options{From: "Nowhere"})
	g.Expect(err).To(MatchError(ContainSubstring(`no heading contains "Nowhere"`)))
}

func TestAFailingStepFailsTheRun(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	script, err := Script([]byte(page), Options{From: "Guide"})
	g.Expect(err).NotTo(HaveOccurred())
	var out bytes.Buffer
	g.Expect(Run(context.Background(), script, t.TempDir(), os.Environ(), &out)).NotTo(Succeed())
}
