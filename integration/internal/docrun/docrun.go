package docrun

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Substitution replaces Old by New in the commands, their shown output and the files written.
// The page must tell the reader to make it: Old must appear in its prose (outside code
// blocks, anywhere on the page), e.g. "replace `<builder>` with …".
type Substitution struct {
	Old, New string
}

// Addition adds Flags to every command that starts with Command. The page must tell the
// reader when to add them: Flags must appear in its prose, e.g. "add `--network host` to
// `pack build` when …".
type Addition struct {
	Command, Flags string
}

// Options select what Compile takes from a page.
type Options struct {
	// From and To bound the part of the page to run: the first heading whose text contains
	// From, up to (not including) the next heading that contains To. Empty: the whole page.
	From, To string
	// Substitutions are applied to every command, in order.
	Substitutions []Substitution
	// Additions are applied after the substitutions.
	Additions []Addition
	// WriteFiles writes a fenced block that is not a shell block to the path the page gives
	// it, as a reader who follows the page saves it: the `path` in backquotes at the end of
	// the heading the block is the first block under ("### 3. Detect and build: `hello.go`"),
	// or a first line that is a comment holding only a path (`# internal-cpython.toml`,
	// `// e2e_test.go`).
	WriteFiles bool
	// Skip lists commands the run leaves out, each exactly as the page shows it (a line of a
	// shell block, or a console command). Part.Skip says why.
	Skip []string
}

// Block is one fenced block of a page.
type Block struct {
	Lang, Text string
	// File is the path the page says the block is saved as (see Options.WriteFiles).
	File string
	// Line is the line of the opening fence, from 1.
	Line int
}

// ShellLangs are the languages of fenced blocks that show commands to run: a page's blocks
// in these languages must all be run by a test (see Parts).
var ShellLangs = map[string]bool{"sh": true, "bash": true, "shell": true, "console": true, "zsh": true, "shell-session": true}

var (
	fileHeading = regexp.MustCompile("`([A-Za-z0-9_./-]+\\.[A-Za-z0-9]+)`\\s*$")
	fileComment = regexp.MustCompile(`^(?:#|//)\s*([A-Za-z0-9_][A-Za-z0-9_./-]*\.[A-Za-z0-9]+)\s*$`)
)

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
			cur.Text = dedent(body.String())
			if o.WriteFiles && cur.File == "" && !ShellLangs[cur.Lang] {
				first, _, _ := strings.Cut(cur.Text, "\n")
				if m := fileComment.FindStringSubmatch(first); m != nil {
					cur.File = m[1]
				}
			}
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

// dedent removes the indentation every non-empty line of a block shares: a block inside a
// list item is indented with it.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " "))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	if indent <= 0 {
		return s
	}
	for i, l := range lines {
		if len(l) >= indent {
			lines[i] = l[indent:]
		} else {
			lines[i] = strings.TrimLeft(l, " ")
		}
	}
	return strings.Join(lines, "\n")
}

// Command is a command of a console block: the line after `$ ` (with its continuation
// lines), and the output the page shows under it.
type Command struct {
	// Line is the page line of the command.
	Line int
	// Text is the command as run (substitutions and additions applied).
	Text string
	// Want is the output the page shows, line by line; nil when it shows none (then the
	// output is not compared). `…` stands for any text within a line, and a line of only `…`
	// for any number of lines.
	Want []string
	// Fails is set when the shown output has a line starting with "Error:": the command must
	// exit with a status other than 0.
	Fails bool
}

// consoleCommands splits a console block into its commands. Each starts with `$ `; a line
// ending in a backslash continues it; the lines up to the next `$ ` are its output.
func consoleCommands(b Block) ([]Command, error) {
	var cmds []Command
	cont := false
	for i, l := range strings.Split(strings.TrimRight(b.Text, "\n"), "\n") {
		line := b.Line + 1 + i
		switch {
		case cont:
			c := &cmds[len(cmds)-1]
			c.Text += "\n" + l
			cont = strings.HasSuffix(l, "\\")
		case strings.HasPrefix(l, "$ "):
			cmds = append(cmds, Command{Line: line, Text: strings.TrimPrefix(l, "$ ")})
			cont = strings.HasSuffix(l, "\\")
		case len(cmds) == 0:
			return nil, fmt.Errorf("the console block at line %d shows output before its first command (`$ `): make it a text block if it runs nothing", b.Line)
		default:
			c := &cmds[len(cmds)-1]
			c.Want = append(c.Want, strings.TrimRight(l, " \t"))
			if strings.HasPrefix(strings.TrimSpace(l), "Error:") {
				c.Fails = true
			}
		}
	}
	if len(cmds) == 0 {
		return nil, fmt.Errorf("the console block at line %d has no command (`$ `): make it a text block if it runs nothing", b.Line)
	}
	return cmds, nil
}

// Program is a page turned into a bash script, with the output the page shows for its
// console commands.
type Program struct {
	// Script is what Run runs with bash.
	Script string
	// Commands are the console commands, in order; Script writes what each printed to
	// $DOCRUN_OUT/<index>.
	Commands []Command
}

const marker = "CNBKIT_DOC_EOF"

// timing defines the functions that print how long each command or block took, for the
// test's log.
const timing = `docrun_start() { docrun_t0=${EPOCHREALTIME/./}; }
docrun_took() { local us=$(( ${EPOCHREALTIME/./} - docrun_t0 )); printf -- '--- took %d.%d s\n' $((us / 1000000)) $((us / 100000 % 10)) >&2; }
`

// Compile turns a page into one bash script: each shell block (sh, bash, shell) as it is,
// each console block command by command (its output kept to compare with what the page
// shows), each file block as a here-document written to its path (with WriteFiles), with the
// substitutions and additions applied. It fails when a substitution or addition is not
// mentioned in the page's prose or changes nothing, and when a skipped command is not in the
// part.
func Compile(md []byte, o Options) (*Program, error) {
	blocks, _, err := Blocks(md, o)
	if err != nil {
		return nil, err
	}
	// What the page tells the reader holds for every part of it.
	_, prose, err := Blocks(md, Options{})
	if err != nil {
		return nil, err
	}
	p := &Program{}
	var b strings.Builder
	b.WriteString("set -euo pipefail\n" + timing)
	used := make([]bool, len(o.Substitutions))
	addUsed := make([]bool, len(o.Additions))
	skipped := make([]bool, len(o.Skip))
	substitute := func(s string) string {
		for i, sub := range o.Substitutions {
			if strings.Contains(s, sub.Old) {
				used[i] = true
				s = strings.ReplaceAll(s, sub.Old, sub.New)
			}
		}
		return s
	}
	add := func(l string) string {
		for i, a := range o.Additions {
			if rest, ok := strings.CutPrefix(l, a.Command+" "); ok {
				addUsed[i] = true
				l = a.Command + " " + a.Flags + " " + rest
			}
		}
		return l
	}
	// skip reports whether l is a command to leave out: a Skip entry, alone or followed by a
	// comment.
	skip := func(l string) bool {
		for i, s := range o.Skip {
			rest, ok := strings.CutPrefix(strings.TrimSpace(l), s)
			if rest = strings.TrimSpace(rest); ok && (rest == "" || strings.HasPrefix(rest, "#")) {
				skipped[i] = true
				return true
			}
		}
		return false
	}
	for _, blk := range blocks {
		switch {
		case blk.Lang == "console":
			cmds, err := consoleCommands(blk)
			if err != nil {
				return nil, err
			}
			for _, c := range cmds {
				if skip(c.Text) {
					fmt.Fprintf(&b, "echo '--- page line %d: skipped' >&2\n", c.Line)
					continue
				}
				c.Text = add(substitute(c.Text))
				for i, w := range c.Want {
					c.Want[i] = substitute(w)
				}
				if strings.Contains(c.Text, marker) {
					return nil, fmt.Errorf("the command at line %d contains %s", c.Line, marker)
				}
				n := len(p.Commands)
				p.Commands = append(p.Commands, c)
				fmt.Fprintf(&b, "echo '--- page line %d' >&2\ncat >&2 <<'%s'\n$ %s\n%s\n", c.Line, marker, c.Text, marker)
				fmt.Fprintf(&b, "docrun_start\nif {\n%s\n} >\"$DOCRUN_OUT/%d\" 2>&1 </dev/null; then docrun_rc=0; else docrun_rc=$?; fi\ncat \"$DOCRUN_OUT/%d\"\ndocrun_took\necho \"$docrun_rc\" >\"$DOCRUN_OUT/%d.rc\"\n", c.Text, n, n, n)
				if c.Fails {
					fmt.Fprintf(&b, "if [ \"$docrun_rc\" -eq 0 ]; then echo 'docrun: page line %d shows an error, but the command succeeded' >&2; exit 1; fi\n", c.Line)
				} else {
					b.WriteString("if [ \"$docrun_rc\" -ne 0 ]; then exit \"$docrun_rc\"; fi\n")
				}
			}
		case ShellLangs[blk.Lang]:
			var lines []string
			for _, l := range strings.Split(substitute(blk.Text), "\n") {
				if skip(l) {
					l = "# skipped by the test: " + l
				}
				lines = append(lines, add(l))
			}
			fmt.Fprintf(&b, "echo '--- page line %d' >&2\ndocrun_start\nset -x\n%s{ set +x; } 2>/dev/null\ndocrun_took\n", blk.Line, strings.Join(lines, "\n"))
		case blk.File != "":
			text := substitute(blk.Text)
			if strings.Contains(text, marker) {
				return nil, fmt.Errorf("the block at line %d contains %s", blk.Line, marker)
			}
			fmt.Fprintf(&b, "mkdir -p \"$(dirname '%s')\"\ncat > '%s' <<'%s'\n%s%s\n", blk.File, blk.File, marker, text, marker)
		}
	}
	var problems []string
	for i, s := range o.Substitutions {
		if !strings.Contains(prose, s.Old) {
			problems = append(problems, fmt.Sprintf("the page does not tell the reader to replace %q: say so in its text, or do not substitute it", s.Old))
		} else if !used[i] {
			problems = append(problems, fmt.Sprintf("no command or file of the page contains %q", s.Old))
		}
	}
	for i, a := range o.Additions {
		if !strings.Contains(prose, a.Flags) {
			problems = append(problems, fmt.Sprintf("the page does not tell the reader to add %q to %s", a.Flags, a.Command))
		} else if !addUsed[i] {
			problems = append(problems, fmt.Sprintf("no command of the page starts with %q", a.Command))
		}
	}
	for i, s := range o.Skip {
		if !skipped[i] {
			problems = append(problems, fmt.Sprintf("the skipped command %q is not a command of the page", s))
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	p.Script = b.String()
	return p, nil
}

// Run runs the program with bash in dir with env, streaming its output (commands as they
// run, and what they print) to out. It fails when a command fails (or succeeds where the page
// shows an error) and when a console command prints other than what the page shows.
func (p *Program) Run(ctx context.Context, dir string, env []string, out io.Writer) error {
	outDir, err := os.MkdirTemp("", "docrun-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(outDir)
	cmd := exec.CommandContext(ctx, "bash", "-c", p.Script)
	cmd.Dir = dir
	cmd.Env = append(env[:len(env):len(env)], "DOCRUN_OUT="+outDir)
	cmd.Stdout, cmd.Stderr = out, out
	var errs []error
	if err := cmd.Run(); err != nil {
		errs = append(errs, fmt.Errorf("running the page's commands: %w", err))
	}
	for i, c := range p.Commands {
		got, err := os.ReadFile(filepath.Join(outDir, strconv.Itoa(i)))
		if err != nil || c.Want == nil {
			continue // not reached, or nothing shown
		}
		if !Matches(c.Want, string(got)) {
			errs = append(errs, fmt.Errorf("page line %d: `%s` printed\n%s\nbut the page shows\n%s", c.Line, c.Text, got, strings.Join(c.Want, "\n")))
		}
	}
	return errors.Join(errs...)
}

// Matches reports whether output is what want shows: the same lines (trailing spaces and
// empty lines at the end ignored), where `…` stands for any text within a line and a line of
// only `…` for any number of lines.
func Matches(want []string, output string) bool {
	var re strings.Builder
	re.WriteString(`^`)
	for _, w := range want {
		w = strings.TrimRight(w, " \t")
		if strings.TrimSpace(w) == "…" {
			re.WriteString(`(?:[^\n]*\n)*`)
			continue
		}
		parts := strings.Split(w, "…")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		re.WriteString(strings.Join(parts, `[^\n]*`) + `\n`)
	}
	re.WriteString(`$`)
	var got strings.Builder
	lines := strings.Split(strings.ReplaceAll(output, "\r\n", "\n"), "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	for _, l := range lines {
		got.WriteString(strings.TrimRight(l, " \t") + "\n")
	}
	return regexp.MustCompile(re.String()).MatchString(got.String())
}

// Mentions reports whether the prose of md (outside fenced blocks) contains s: a test that
// edits a file the page shows checks with it that the page tells the reader to make the edit.
func Mentions(md []byte, s string) bool {
	_, prose, err := Blocks(md, Options{})
	return err == nil && strings.Contains(prose, s)
}
