package startcmd

import (
	"cmp"
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// How a process reaches the server. The image's processes are direct processes (Buildpack
// API 0.9 and later): the launcher replaces itself with the first entry of the command, here
// ["sh", "-c", script], so sh becomes the container's PID 1. Debian's sh (dash) does not
// replace itself with the last command of a -c script: without an explicit exec the server
// is a child of sh, and SIGTERM sent to PID 1 (docker stop, Kubernetes) never reaches it. So
// every script ends by exec'ing its server, and shell features ($PORT, ${PORT:-8080}, &&)
// keep working because sh still reads the script first.

// SignalNote says whether the server of a script receives the signals sent to the process.
type SignalNote struct {
	// Added is true when exec was put in front of the script's last command.
	Added bool
	// Program is the first word of the command that ends the script, e.g. "gunicorn".
	Program string
	// Problem says why the last command cannot be exec'd (a pipeline, a builtin, ...); empty
	// when the server receives signals.
	Problem string
}

// ScriptError says a command is not a shell command sh can run.
type ScriptError struct {
	Source  string // where the command was written, e.g. "line 2 of the Procfile"; set by Choose
	Script  string
	Problem string
}

func (e *ScriptError) Error() string {
	return fmt.Sprintf("command %q (%s) is not a valid sh command: %s", e.Script, cmp.Or(e.Source, "start command"), e.Problem)
}

// notExecutable are sh builtins that exist only inside the shell: exec cannot replace the
// shell with them.
var notExecutable = map[string]bool{
	".": true, ":": true, "alias": true, "break": true, "cd": true, "command": true, "continue": true,
	"eval": true, "exec": true, "exit": true, "export": true, "getopts": true, "hash": true, "local": true,
	"read": true, "readonly": true, "return": true, "set": true, "shift": true, "source": true,
	"times": true, "trap": true, "type": true, "ulimit": true, "umask": true, "unalias": true,
	"unset": true, "wait": true,
}

// WithExec returns script with exec in front of the command that ends it, so that the server
// replaces sh and receives its signals: "gunicorn app:app" becomes "exec gunicorn app:app",
// "python manage.py migrate && gunicorn app:app" becomes "... && exec gunicorn app:app". A
// script that already execs its server is returned unchanged. When the last command cannot be
// exec'd (a pipeline, a background job, a compound command, a builtin), the script is
// returned unchanged and the note says why. A script sh cannot parse is a *ScriptError.
func WithExec(script string) (string, SignalNote, error) {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(script), "")
	if err != nil {
		return "", SignalNote{}, &ScriptError{Script: script, Problem: err.Error()}
	}
	if len(f.Stmts) == 0 {
		return "", SignalNote{}, &ScriptError{Script: script, Problem: "it holds no command"}
	}
	funcs := map[string]bool{}
	syntax.Walk(f, func(n syntax.Node) bool {
		if fd, ok := n.(*syntax.FuncDecl); ok {
			funcs[fd.Name.Value] = true
		}
		return true
	})
	last := f.Stmts[len(f.Stmts)-1]
	for {
		switch {
		case last.Background:
			return script, SignalNote{Problem: "it ends with a background job (&)"}, nil
		case last.Negated:
			return script, SignalNote{Problem: "it ends with a negated command (!)"}, nil
		}
		switch c := last.Cmd.(type) {
		case *syntax.BinaryCmd:
			if c.Op != syntax.AndStmt && c.Op != syntax.OrStmt {
				return script, SignalNote{Problem: "it ends with a pipeline (|): sh waits for every command of it"}, nil
			}
			last = c.Y
			continue
		case *syntax.CallExpr:
			if len(c.Args) == 0 {
				return script, SignalNote{Problem: "it ends with a variable assignment, not a command"}, nil
			}
			name := c.Args[0].Lit()
			switch {
			case name == "exec":
				prog := ""
				if len(c.Args) > 1 {
					prog = c.Args[1].Lit()
				}
				return script, SignalNote{Program: prog}, nil
			case notExecutable[name]:
				return script, SignalNote{Program: name, Problem: fmt.Sprintf("it ends with %q, a command of the shell itself", name)}, nil
			case funcs[name]:
				return script, SignalNote{Program: name, Problem: fmt.Sprintf("it ends with %q, a shell function", name)}, nil
			}
			pos := c.Args[0].Pos()
			if at := int(pos.Offset()); pos.IsValid() && at < len(script) {
				return script[:at] + "exec " + script[at:], SignalNote{Added: true, Program: name}, nil
			}
			return script, SignalNote{Program: name, Problem: "it is too long to edit safely"}, nil
		default:
			return script, SignalNote{Problem: "it ends with a compound command (a subshell, { ... }, if, for, while or case)"}, nil
		}
	}
}

// Quote returns s as one sh word: unchanged when it holds nothing the shell would interpret,
// else single-quoted. A string sh cannot represent (a null byte, a non-printable character)
// is an error.
func Quote(s string) (string, error) {
	q, err := syntax.Quote(s, syntax.LangPOSIX)
	if err != nil {
		return "", fmt.Errorf("quoting %q for sh: %w", s, err)
	}
	return q, nil
}
