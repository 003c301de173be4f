package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/spf13/cobra"
)

var (
	fencedBlock = regexp.MustCompile("(?ms)^[ \t]*```([a-z-]*)[ \t]*\n(.*?)^[ \t]*```")
	inlineCode  = regexp.MustCompile("`([^`\n]+)`")
	quoted      = regexp.MustCompile(`'[^']*'|"[^"]*"`)
	separators  = regexp.MustCompile(`\s*(?:&&|\|\||;|\|)\s*`)
	// versionOutput is the first word after "cnbkit" in what cnbkit version prints.
	versionOutput = regexp.MustCompile(`^(v[0-9]|\()`)
)

var shellLangs = map[string]bool{"sh": true, "bash": true, "shell": true, "console": true}

// shownCommands returns the command lines of a Markdown page: the lines of its shell blocks
// (without the `$ ` of console blocks, continuation lines joined) and its inline code.
func shownCommands(md string) []string {
	var cmds []string
	for _, m := range fencedBlock.FindAllStringSubmatch(md, -1) {
		if !shellLangs[m[1]] {
			continue
		}
		joined := strings.ReplaceAll(m[2], "\\\n", " ")
		for _, l := range strings.Split(joined, "\n") {
			l = strings.TrimSpace(l)
			if m[1] == "console" {
				var ok bool
				if l, ok = strings.CutPrefix(l, "$ "); !ok {
					continue // output
				}
			}
			cmds = append(cmds, l)
		}
	}
	for _, m := range inlineCode.FindAllStringSubmatch(fencedBlock.ReplaceAllString(md, ""), -1) {
		cmds = append(cmds, m[1])
	}
	return cmds
}

// cnbkitArgs returns the arguments of each cnbkit invocation in a command line (`cnbkit …` or
// `go run ./cmd/cnbkit …`), up to a comment.
func cnbkitArgs(line string) [][]string {
	line = quoted.ReplaceAllString(line, "ARG")
	var out [][]string
	for _, seg := range separators.Split(line, -1) {
		words := strings.Fields(seg)
		for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
			words = words[1:] // VAR=value before the command
		}
		switch {
		case len(words) >= 1 && words[0] == "cnbkit":
			words = words[1:]
		case len(words) >= 3 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/cnbkit":
			words = words[3:]
		default:
			continue
		}
		if len(words) > 0 && versionOutput.MatchString(words[0]) {
			continue // what cnbkit version prints: cnbkit v0.2.0 (…)
		}
		var args []string
		for _, w := range words {
			if strings.HasPrefix(w, "#") {
				break
			}
			args = append(args, strings.Trim(w, "[]"))
		}
		out = append(out, args)
	}
	return out
}

// checkArgs says what of args is not a command or flag of the cnbkit CLI.
func checkArgs(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == root && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return []string{"no command " + args[0]}
	}
	var problems []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		name, _, _ = strings.Cut(name, "|")
		var found bool
		if strings.HasPrefix(a, "--") {
			found = cmd.Flags().Lookup(name) != nil || cmd.InheritedFlags().Lookup(name) != nil
		} else {
			found = len(name) == 1 && (cmd.Flags().ShorthandLookup(name) != nil || cmd.InheritedFlags().ShorthandLookup(name) != nil)
		}
		if !found {
			problems = append(problems, cmd.CommandPath()+" has no flag "+a)
		}
	}
	return problems
}

func TestCheckArgs(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	root := newRootCmd()
	g.Expect(checkArgs(root, []string{"package", "out/x.cnb", "--path", "bp", "-t", "linux/amd64", "--format=folder", "-q"})).To(BeEmpty())
	g.Expect(checkArgs(root, []string{"package", "--formats", "file"})).To(ConsistOf("cnbkit package has no flag --formats"))
	g.Expect(checkArgs(root, []string{"pakage"})).To(ConsistOf("no command pakage"))
	g.Expect(cnbkitArgs("COSIGN_PASSWORD=ARG cnbkit key generate && go run ./cmd/cnbkit version # --nope")).To(Equal([][]string{{"key", "generate"}, {"version"}}))
	g.Expect(cnbkitArgs("pack build x --buildpack cnbkit-builder")).To(BeEmpty())
	g.Expect(cnbkitArgs("cnbkit v0.2.0 (commit …)")).To(BeEmpty(), "output of cnbkit version")
}

// TestDocsUseRealCommandsAndFlags: every cnbkit command the Markdown pages and page templates
// show, in shell blocks or inline code, names a command and flags the CLI has.
func TestDocsUseRealCommandsAndFlags(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	root := filepath.Join("..", "..")
	ls := exec.Command("git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md", "*.md.tmpl")
	ls.Dir = root
	out, err := ls.Output()
	if err != nil {
		t.Skipf("git ls-files: %v (not a git checkout)", err)
	}
	cli := newRootCmd()
	var problems []string
	seen := 0
	for _, page := range strings.Fields(string(out)) {
		if strings.HasPrefix(page, "docs/cli/") {
			continue // generated from the commands
		}
		md, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			continue
		}
		for _, line := range shownCommands(string(md)) {
			for _, args := range cnbkitArgs(line) {
				seen++
				for _, p := range checkArgs(cli, args) {
					problems = append(problems, page+": `"+line+"`: "+p)
				}
			}
		}
	}
	g.Expect(seen).To(BeNumerically(">", 50), "the pages show cnbkit commands")
	g.Expect(problems).To(BeEmpty())
}
