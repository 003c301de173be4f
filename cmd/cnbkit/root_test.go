package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestProgressFollowsTheGlobalFlags(t *testing.T) {
	t.Parallel()
	clock := func() time.Time { return time.Date(2026, 12, 6, 3, 4, 5, 600000000, time.UTC) }
	tests := []struct {
		name     string
		g        globalOptions
		terminal bool
		want     string
	}{
		{name: "terminal", terminal: true, want: "a\nb\n"},
		{name: "not a terminal", want: ""},
		{name: "not a terminal with --verbose", g: globalOptions{verbose: true}, want: "a\nb\n"},
		{name: "--quiet on a terminal", g: globalOptions{quiet: true}, terminal: true, want: ""},
		{name: "--timestamps", g: globalOptions{timestamps: true, now: clock}, terminal: true,
			want: "2026/12/06 03:04:05.600000 a\n2026/12/06 03:04:05.600000 b\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			var out bytes.Buffer
			w := tc.g.progress(&out, tc.terminal)
			if w != nil {
				// Lines may arrive in pieces: the stamp goes where a line starts.
				for _, piece := range []string{"a", "\nb", "\n"} {
					_, err := w.Write([]byte(piece))
					g.Expect(err).NotTo(HaveOccurred())
				}
			}
			g.Expect(out.String()).To(Equal(tc.want))
		})
	}
}

func TestNoColor(t *testing.T) {
	g := NewWithT(t)
	t.Setenv("NO_COLOR", "")
	g.Expect((&globalOptions{}).color(true)).To(BeTrue())
	g.Expect((&globalOptions{}).color(false)).To(BeFalse(), "no colour when the output is not a terminal")
	g.Expect((&globalOptions{noColor: true}).color(true)).To(BeFalse())
	g.Expect(colorError("Error: x\n", true)).To(Equal("\x1b[1;31mError:\x1b[0m x\n"))
	g.Expect(colorError("Error: x\n", false)).To(Equal("Error: x\n"))
	t.Setenv("NO_COLOR", "1")
	g.Expect((&globalOptions{}).color(true)).To(BeFalse())
}

// TestCompletion asks cobra's completion command for the values of --template, --api,
// --format and --target, as a shell does on <TAB>.
func TestCompletion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"new", "a/b", "--template", ""}, []string{"plain", "dependency"}},
		{[]string{"new", "a/b", "--api", ""}, []string{"0.10", "0.11", "0.12"}},
		{[]string{"new", "a/b", "--targets", ""}, []string{"linux/amd64", "linux/arm64"}},
		{[]string{"package", "x.cnb", "--format", ""}, []string{"file", "layout", "image", "folder"}},
		{[]string{"package", "x.cnb", "--target", ""}, []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			root := newRootCmd()
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&bytes.Buffer{})
			root.SetArgs(append([]string{"__complete"}, tc.args...))
			g.Expect(root.ExecuteContext(context.Background())).To(Succeed())
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			g.Expect(lines[len(lines)-1]).To(Equal(":4"), "no file completion for a value list")
			g.Expect(lines).To(ContainElements(tc.want))
		})
	}
}
