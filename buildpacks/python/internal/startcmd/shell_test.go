package startcmd_test

import (
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/startcmd"
)

func TestWithExec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		script  string
		want    string
		added   bool
		program string
		problem string // substring; "" = none
	}{
		{script: "gunicorn app:app", want: "exec gunicorn app:app", added: true, program: "gunicorn"},
		{script: `gunicorn --bind "0.0.0.0:${PORT:-8080}" app:app`, want: `exec gunicorn --bind "0.0.0.0:${PORT:-8080}" app:app`, added: true, program: "gunicorn"},
		{script: "exec uvicorn main:app", want: "exec uvicorn main:app", program: "uvicorn"},
		{script: "WEB_CONCURRENCY=4 gunicorn app:app", want: "WEB_CONCURRENCY=4 exec gunicorn app:app", added: true, program: "gunicorn"},
		{script: "python manage.py migrate && gunicorn mysite.wsgi", want: "python manage.py migrate && exec gunicorn mysite.wsgi", added: true, program: "gunicorn"},
		{script: "test -f x || python a.py && python b.py", want: "test -f x || python a.py && exec python b.py", added: true, program: "python"},
		{script: "cd src; uvicorn app:app", want: "cd src; exec uvicorn app:app", added: true, program: "uvicorn"},
		{script: "cd src\nuvicorn app:app", want: "cd src\nexec uvicorn app:app", added: true, program: "uvicorn"},
		{script: ">/tmp/log 2>&1 gunicorn app:app", want: ">/tmp/log 2>&1 exec gunicorn app:app", added: true, program: "gunicorn"},
		{script: "gunicorn app:app 2>&1", want: "exec gunicorn app:app 2>&1", added: true, program: "gunicorn"},
		{script: `$SERVER --workers "$(nproc)" app:app`, want: `exec $SERVER --workers "$(nproc)" app:app`, added: true},
		{script: "gunicorn app:app # the web server", want: "exec gunicorn app:app # the web server", added: true, program: "gunicorn"},
		{script: "gunicorn app:app | tee log", want: "gunicorn app:app | tee log", problem: "pipeline"},
		{script: "worker & gunicorn app:app", want: "worker & exec gunicorn app:app", added: true, program: "gunicorn"},
		{script: "gunicorn app:app &", want: "gunicorn app:app &", problem: "background"},
		{script: "gunicorn app:app & wait", want: "gunicorn app:app & wait", program: "wait", problem: "command of the shell itself"},
		{script: "run() { gunicorn app:app; }; run", want: "run() { gunicorn app:app; }; run", program: "run", problem: "shell function"},
		{script: "(cd src && gunicorn app:app)", want: "(cd src && gunicorn app:app)", problem: "compound command"},
		{script: "if true; then gunicorn app:app; fi", want: "if true; then gunicorn app:app; fi", problem: "compound command"},
		{script: "! gunicorn app:app", want: "! gunicorn app:app", problem: "negated"},
		{script: "PORT=9000", want: "PORT=9000", problem: "assignment"},
	}
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			got, note, err := startcmd.WithExec(tt.script)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
			g.Expect(note.Added).To(Equal(tt.added))
			if tt.program != "" {
				g.Expect(note.Program).To(Equal(tt.program))
			}
			if tt.problem == "" {
				g.Expect(note.Problem).To(BeEmpty())
			} else {
				g.Expect(note.Problem).To(ContainSubstring(tt.problem))
			}
			again, _, err := startcmd.WithExec(got)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(again).To(Equal(got), "WithExec is idempotent")
		})
	}
}

func TestWithExecErrors(t *testing.T) {
	t.Parallel()
	for _, script := range []string{`gunicorn "app:app`, "gunicorn app:app )", "", "   ", "a=(1 2) gunicorn"} {
		_, _, err := startcmd.WithExec(script)
		var se *startcmd.ScriptError
		NewWithT(t).Expect(errors.As(err, &se)).To(BeTrue(), "WithExec(%q) returned %v, want a *ScriptError", script, err)
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	for in, want := range map[string]string{
		"main.py":           "main.py",
		"my app.py":         "'my app.py'",
		"$(touch pwned).py": "'$(touch pwned).py'",
		"x;id.py":           "'x;id.py'",
		"it's.py":           `"it's.py"`,
	} {
		got, err := startcmd.Quote(in)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got).To(Equal(want), "Quote(%q)", in)
	}
	_, err := startcmd.Quote("a\x00b.py")
	g.Expect(err).To(HaveOccurred())
}

// The rewritten scripts run under the real sh: the last command replaces the shell (it
// prints the shell's own process id), and shell features still work.
func TestWithExecUnderSh(t *testing.T) {
	t.Parallel()
	for _, script := range []string{
		`X=1 sh -c 'echo $$ $X'`,
		`true && sh -c 'echo $$ ${X:-1}'`,
		`cd / ; sh -c 'echo $$ 1'`,
		`false || sh -c 'echo $$ 1' 2>&1`,
	} {
		t.Run(script, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			rewritten, note, err := startcmd.WithExec(script)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(note.Added).To(BeTrue())
			var out strings.Builder
			cmd := exec.Command("sh", "-c", rewritten)
			cmd.Stdout = &out
			g.Expect(cmd.Run()).To(Succeed())
			g.Expect(strings.Fields(out.String())).To(Equal([]string{strconv.Itoa(cmd.Process.Pid), "1"}),
				"sh -c %q: the last command must run as the shell's own process", rewritten)
		})
	}
}
