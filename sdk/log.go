package sdk

import (
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/cnbkit/cnbkit/sdk/internal/cnb"
)

// Logger writes the one build log layout every SDK buildpack shares:
//
//	<Name> <version>                  (title, bold on a terminal)
//	  <Section>                       (two spaces)
//	    <Detail>                      (four spaces)
//	  WARNING: <text>                 (yellow on a terminal)
//
// Colour is used only when the output is a terminal and NO_COLOR is not set. Debug lines appear
// only with BP_LOG_LEVEL=debug. A nil *Logger discards everything. Logger is safe for
// concurrent use.
type Logger struct {
	mu     sync.Mutex
	w      io.Writer
	color  bool
	debug  bool
	now    func() time.Time
	config map[string]configSource // set by the runner for ConfigTable
}

// NewLogger returns a Logger writing to w. color turns on ANSI colours; debug turns on Debug.
func NewLogger(w io.Writer, color, debug bool) *Logger {
	return &Logger{w: w, color: color, debug: debug, now: time.Now}
}

const (
	ansiBold   = "\x1b[1m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[31m"
	ansiBlue   = "\x1b[34m"
	ansiGrey   = "\x1b[90m"
	ansiReset  = "\x1b[0m"
)

func (l *Logger) paint(code, s string) string {
	if !l.color {
		return s
	}
	return code + s + ansiReset
}

func (l *Logger) line(indent, s string) {
	if l == nil || l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, part := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		fmt.Fprintf(l.w, "%s%s\n", indent, part)
	}
}

// Title prints the buildpack's name and version, once at the start of detect output and build.
func (l *Logger) Title(name, version string) {
	if l == nil {
		return
	}
	l.line("", l.paint(ansiBold+ansiBlue, name)+" "+version)
}

// Section starts a step of the build.
func (l *Logger) Section(title string) {
	if l == nil {
		return
	}
	l.line("  ", l.paint(ansiBold, title))
}

// Detail prints a line inside the current section.
func (l *Logger) Detail(format string, args ...any) {
	l.line("    ", fmt.Sprintf(format, args...))
}

// Warn prints a warning the user should act on.
func (l *Logger) Warn(format string, args ...any) {
	if l == nil {
		return
	}
	l.line("  ", l.paint(ansiYellow, "WARNING: "+fmt.Sprintf(format, args...)))
}

// Debug prints a line only when BP_LOG_LEVEL=debug.
func (l *Logger) Debug(format string, args ...any) {
	if l == nil || !l.debug {
		return
	}
	l.line("    ", l.paint(ansiGrey, "[debug] "+fmt.Sprintf(format, args...)))
}

// Writer returns a writer for a subprocess's output (pip, a compiler, ...): every line it
// receives is printed under the current section, two spaces deeper than Detail lines, also
// when lines arrive split over several writes; a line starting with a carriage return (a
// progress update) keeps it. The indentation is libpak/v2's log writer. Writes hold the
// Logger's lock, so they never interleave with other lines mid-write. A nil Logger's writer
// discards everything.
//
//	w := log.Writer() // one writer for both streams: exec.Cmd then serialises their writes
//	cmd.Stdout, cmd.Stderr = w, w
func (l *Logger) Writer() io.Writer {
	if l == nil || l.w == nil {
		return io.Discard
	}
	return cnb.IndentWriter(l.w, 3, &l.mu)
}

// DebugEnabled reports whether Debug prints, to skip expensive debug output.
func (l *Logger) DebugEnabled() bool { return l != nil && l.debug }

// Timed prints title as a section and returns a function that prints how long the step took.
// Call it with defer, or when the step ends:
//
//	done := log.Timed("Installing Python 3.12.3")
//	...
//	done()
func (l *Logger) Timed(title string) func() {
	if l == nil {
		return func() {}
	}
	l.Section(title)
	start := l.now()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.Detail("Completed in %s", formatDuration(l.now().Sub(start)))
		})
	}
}

// TimedDetail returns a function that prints "<what>: <duration>" as a detail line of the
// current section, for the steps of a Timed section:
//
//	done := log.TimedDetail("pip install")
//	...
//	done() // "pip install: 4.2s"
func (l *Logger) TimedDetail(what string) func() {
	if l == nil {
		return func() {}
	}
	start := l.now()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.Detail("%s: %s", what, formatDuration(l.now().Sub(start)))
		})
	}
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

// errorBlock renders a user-facing error: red title, detail, numbered fixes, cause.
func (l *Logger) errorBlock(e *Error) {
	if l == nil {
		return
	}
	l.line("", l.paint(ansiBold+ansiRed, "ERROR: "+e.Title))
	if e.Detail != "" {
		l.line("  ", e.Detail)
	}
	if len(e.Fixes) > 0 {
		l.line("", "")
		l.line("  ", "To fix this:")
		for i, f := range e.Fixes {
			l.line("    ", fmt.Sprintf("%d. %s", i+1, f))
		}
	}
	if e.Cause != nil || e.context != "" {
		l.line("", "")
	}
	if e.context != "" {
		l.line("  ", "While: "+e.context)
	}
	if e.Cause != nil {
		l.line("  ", "Cause: "+e.Cause.Error())
	}
}

// ConfigTable logs the effective configuration cfg (a configuration struct, or a pointer to
// one) as a table: variable, value, and where the value came from (platform env, process env,
// buildpack.toml default, or unset), with the description from buildpack.toml. Fields tagged
// `secret:"true"` are shown as "(hidden)" when set.
func (l *Logger) ConfigTable(cfg any) {
	if l == nil || l.w == nil {
		return
	}
	v := reflect.ValueOf(cfg)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return
	}
	type row struct{ name, value, source, desc string }
	var rows []row
	for _, f := range configFields(v.Type()) {
		fv := v.FieldByIndex(f.index)
		src := l.config[f.env]
		value := formatConfigValue(fv)
		if f.secret && !fv.IsZero() {
			value = "(hidden)"
		}
		rows = append(rows, row{f.env, value, src.origin, src.description})
	}
	if len(rows) == 0 {
		return
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		value := r.value
		if value == "" {
			value = `""`
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.name, value, "("+r.source+")", r.desc)
	}
	tw.Flush()
	l.Section("Configuration")
	for _, s := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		l.line("    ", strings.TrimRight(s, " "))
	}
}
