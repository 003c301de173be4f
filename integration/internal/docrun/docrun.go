package docrun

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
)

// Substitution replaces Old by New in the commands. The page must tell the reader to make
// it: Old must appear in its prose (outside code blocks), e.g. "replace `<builder>` with …".
type Substitution struct {
	Old, New string
}

// Addition adds Flags to every command that starts with Command. The page must tell the
// reader when to add them: Flags must appear in its prose, e.g. "add `--network host` to
// `pack build` when …".
type Addition struct {
	Command, Flags string
}

// Options select what Script takes from a page.
type Options struct {
	// From and To bound the part of the page to run: the first heading whose text contains
	// From, up to (not including) the next heading that contains To. Empty: the whole page.
	From, To string
	// Substitutions are applied to every command, in order.
	Substitutions []Substitution
	// Additions are applied after the substitutions.
	Additions []Addition
	// WriteFiles writes a fenced block that is not a shell block to the path a heading names
	// when it is the first block under a heading ending in a `path` in backquotes
	// ("### 3. Detect and build: `hello.go`"), as a reader who follows the page saves it.
	WriteFiles bool
}

// Block is one fenced block of a page.
type Block struct {
	Lang, Text string
	// File is the path the page says the block is saved as (see Options.WriteFiles).
	File string
	// Line is the line of the opening fence, from 1.
	Line int
}

var fileHeading = regexp.MustCompile("`([A-Za-z0-9_./-]+\\.[A-Za-z0-9]+)`\\s*$")

// Blocks returns the fenced blocks of md between the headings o.From and o.To, and the prose
// (the text outside fenced blocks) of the same part.
func Blocks(md []byte, o Options) (blocks []Block, prose string, err error) {
	sc := bufio.NewScanner(bytes.NewReader(md))
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	var (
		in, started, done bool
		cur               *Block
		heading           string
		firstUnder        bool
		body              strings.Builder
		text              strings.Builder
		line              int
	)
	started = o.From == ""
	for sc.Scan() {
		line++
		l := sc.Text()
		if cur == nil && strings.HasPrefix(l, "#") {
			h := strings.TrimSpace(strings.TrimLeft(l, "#"))
			if !started && strings.Contains(h, o.From) {
				started = true
			} else if started && o.To != "" && strings.Contains(h, o.To) {
				done = true
			}
			heading, firstUnder = h, true
		}
		if done {
			break
		}
		if !started {
			continue
		}
		trimmed := strings.TrimSpace(l)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			in = true
			cur = &Block{Lang: strings.TrimSpace(strings.TrimPrefix(trimmed, "```")), Line: line}
			if firstUnder && o.WriteFiles {
				if m := fileHeading.FindStringSubmatch(heading); m != nil {
					cur.File = m[1]
				}
			}
			firstUnder = false
			body.Reset()
		case in && trimmed == "```":
			cur.Text = body.String()
			blocks = append(blocks, *cur)
			cur, in = nil, false
		case in:
			body.WriteString(l + "\n")
		default:
			text.WriteString(l + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, "", err
	}
	if !started {
		return nil, "", fmt.Errorf("no heading contains %q", o.From)
	}
	if cur != nil {
		return nil, "", fmt.Errorf("the block opened at line %d is not closed", cur.Line)
	}
	return blocks, text.String(), nil
}

// Script turns a page into one bash script: each shell block (sh, bash, shell, console
// without prompts) as it is, each file block as a here-document written to its path, with
// the substitutions applied to the shell blocks. It fails when a substitution is not
// mentioned in the page's prose or matches no command.
func Script(md []byte, o Options) (string, error) {
	blocks, prose, err := Blocks(md, o)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("set -euo pipefail\n")
	used := make([]bool, len(o.Substitutions))
	addUsed := make([]bool, len(o.Additions))
	for _, blk := range blocks {
		switch {
		case blk.Lang == "sh" || blk.Lang == "bash" || blk.Lang == "shell":
			cmds := blk.Text
			for i, s := range o.Substitutions {
				if strings.Contains(cmds, s.Old) {
					used[i] = true
					cmds = strings.ReplaceAll(cmds, s.Old, s.New)
				}
			}
			for i, a := range o.Additions {
				var lines []string
				for _, l := range strings.Split(cmds, "\n") {
					if rest, ok := strings.CutPrefix(l, a.Command+" "); ok {
						addUsed[i] = true
						l = a.Command + " " + a.Flags + " " + rest
					}
					lines = append(lines, l)
				}
				cmds = strings.Join(lines, "\n")
			}
			fmt.Fprintf(&b, "echo '--- page line %d' >&2\nset -x\n%s{ set +x; } 2>/dev/null\n", blk.Line, cmds)
		case blk.File != "":
			marker := "CNBKIT_DOC_EOF"
			if strings.Contains(blk.Text, marker) {
				return "", fmt.Errorf("the block at line %d contains %s", blk.Line, marker)
			}
			fmt.Fprintf(&b, "mkdir -p \"$(dirname '%s')\"\ncat > '%s' <<'%s'\n%s%s\n", blk.File, blk.File, marker, blk.Text, marker)
		}
	}
	for i, s := range o.Substitutions {
		if !strings.Contains(prose, s.Old) {
			return "", fmt.Errorf("the page does not tell the reader to replace %q: say so in its text, or do not substitute it", s.Old)
		}
		if !used[i] {
			return "", fmt.Errorf("no command of the page contains %q", s.Old)
		}
	}
	for i, a := range o.Additions {
		if !strings.Contains(prose, a.Flags) {
			return "", fmt.Errorf("the page does not tell the reader to add %q to %s", a.Flags, a.Command)
		}
		if !addUsed[i] {
			return "", fmt.Errorf("no command of the page starts with %q", a.Command)
		}
	}
	return b.String(), nil
}

// Run runs script with bash in dir with env, streaming its output (commands as they run, and
// what they print) to out.
func Run(ctx context.Context, script, dir string, env []string, out io.Writer) error {
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("running the page's commands: %w", err)
	}
	return nil
}

// Mentions reports whether the prose of md (outside fenced blocks) contains s: a test that
// edits a file the page shows checks with it that the page tells the reader to make the edit.
func Mentions(md []byte, s string) bool {
	_, prose, err := Blocks(md, Options{})
	return err == nil && strings.Contains(prose, s)
}
