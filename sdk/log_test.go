package sdk

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestLoggerTimed(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	var b strings.Builder
	l := NewLogger(&b, false, false)
	now := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	done := l.Timed("Installing")
	now = now.Add(2345 * time.Millisecond)
	done()
	done() // only once
	g.Expect(b.String()).To(Equal("  Installing\n    Completed in 2.3s\n"))
	b.Reset()
	step := l.TimedDetail("pip install")
	now = now.Add(412 * time.Millisecond)
	step()
	step() // only once
	g.Expect(b.String()).To(Equal("    pip install: 412ms\n"))
	for d, want := range map[time.Duration]string{
		0: "0s", 1500 * time.Microsecond: "2ms", 90 * time.Second: "1m30s", 61*time.Minute + 400*time.Millisecond: "1h1m0s",
	} {
		g.Expect(formatDuration(d)).To(Equal(want), "formatDuration(%s)", d)
	}
	var nilLog *Logger
	nilLog.Title("a", "b")
	nilLog.Section("a")
	nilLog.Detail("a")
	nilLog.Warn("a")
	nilLog.Debug("a")
	nilLog.Timed("a")()
	nilLog.TimedDetail("a")()
	g.Expect(nilLog.DebugEnabled()).To(BeFalse())
}

func TestRenderError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"plain error", fmt.Errorf("reading x: %w", errors.New("gone")),
			"ERROR: The buildpack failed unexpectedly\n  reading x: gone\n\n  To fix this:\n    1. If this looks like a bug in the buildpack, report it to its authors together with this output.\n"},
		{"user error", &Error{Title: "Bad", Detail: "found 1", Fixes: []string{"a", "b"}, Cause: errors.New("why")},
			"ERROR: Bad\n  found 1\n\n  To fix this:\n    1. a\n    2. b\n\n  Cause: why\n"},
		{"user error without fixes", &Error{Title: "Bad"}, "ERROR: Bad\n"},
		{"wrapped user error with cause", fmt.Errorf("installing cpython: %w", &Error{Title: "Bad", Cause: errors.New("404")}),
			"ERROR: Bad\n\n  While: installing cpython\n  Cause: 404\n"},
		{"multi-line detail", &Error{Title: "Bad", Detail: "line 1\nline 2"}, "ERROR: Bad\n  line 1\n  line 2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			renderError(NewLogger(&b, false, false), tt.err)
			NewWithT(t).Expect(b.String()).To(Equal(tt.want))
		})
	}
}

func TestErrorValue(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	cause := errors.New("cause")
	e := Errorf("Title Here", "detail %d", 1).WithFixes("fix").WithCause(cause)
	g.Expect(e.Error()).To(Equal("title here: detail 1: cause"))
	g.Expect((&Error{Title: "T", Detail: "a\nb"}).Error()).To(Equal("t: a; b"))
	g.Expect(errors.Is(fmt.Errorf("wrap: %w", e), cause)).To(BeTrue())
	var target *Error
	g.Expect(errors.As(fmt.Errorf("wrap: %w", e), &target)).To(BeTrue())
	g.Expect(target.Fixes).To(Equal([]string{"fix"}))
}

func TestLoggerWriter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"whole lines", []string{"Collecting fastapi\nInstalling\n"}, "      Collecting fastapi\n      Installing\n"},
		{"a line in pieces", []string{"Coll", "ecting fastapi\nInst", "alling\n"}, "      Collecting fastapi\n      Installing\n"},
		{"a progress line", []string{"\r 50%\n"}, "\r       50%\n"},
		{"no trailing newline", []string{"done"}, "      done"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			var buf bytes.Buffer
			log := NewLogger(&buf, false, false)
			w := log.Writer()
			for _, s := range tt.writes {
				n, err := w.Write([]byte(s))
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(n).To(Equal(len(s)))
			}
			g.Expect(buf.String()).To(Equal(tt.want))
		})
	}
	t.Run("a subprocess's output under a section", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		var buf bytes.Buffer
		log := NewLogger(&buf, false, false)
		log.Section("Installing packages")
		cmd := exec.Command("sh", "-c", `printf 'one\n'; printf 'tw' >&2; sleep 0.01; printf 'o\nthree\n' >&2`)
		w := log.Writer()
		cmd.Stdout, cmd.Stderr = w, w
		g.Expect(cmd.Run()).To(Succeed())
		log.Detail("Installed")
		g.Expect(buf.String()).To(Equal("  Installing packages\n      one\n      two\n      three\n    Installed\n"))
	})
	t.Run("nil logger", func(t *testing.T) {
		t.Parallel()
		var log *Logger
		n, err := log.Writer().Write([]byte("x\n"))
		NewWithT(t).Expect([]any{n, err}).To(Equal([]any{2, nil}))
	})
}
