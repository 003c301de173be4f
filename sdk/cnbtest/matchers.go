package cnbtest

import (
	"fmt"
	"strings"

	"github.com/onsi/gomega/types"
)

// matcher is a small gomega matcher over one outcome type.
type matcher[T any] struct {
	match func(T) (bool, string) // ok, and what was found
	want  string
	found string
}

func (m *matcher[T]) Match(actual any) (bool, error) {
	switch v := actual.(type) {
	case T:
		ok, found := m.match(v)
		m.found = found
		return ok, nil
	case *T:
		if v == nil {
			return false, fmt.Errorf("got a nil %T", actual)
		}
		ok, found := m.match(*v)
		m.found = found
		return ok, nil
	}
	var zero T
	return false, fmt.Errorf("this matcher takes a %T, got %T", zero, actual)
}

func (m *matcher[T]) FailureMessage(any) string {
	return fmt.Sprintf("Expected %s\nbut %s", m.want, m.found)
}

func (m *matcher[T]) NegatedFailureMessage(any) string {
	return fmt.Sprintf("Expected not %s\nbut it was: %s", m.want, m.found)
}

func withLog(log string) string {
	if log == "" {
		return ""
	}
	return "\nlog:\n" + log
}

// HavePassed matches a DetectOutcome that passed, or a BuildOutcome that succeeded.
func HavePassed() types.GomegaMatcher {
	return &anyMatcher{
		detect: &matcher[DetectOutcome]{want: "detect to pass", match: func(d DetectOutcome) (bool, string) {
			return d.Pass, fmt.Sprintf("it exited %d (reason %q, error %v)%s", d.ExitCode, d.Reason, d.Err, withLog(d.Log))
		}},
		build: &matcher[BuildOutcome]{want: "build to succeed", match: func(b BuildOutcome) (bool, string) {
			return b.Err == nil && b.ExitCode == 0, fmt.Sprintf("it exited %d with error %v%s", b.ExitCode, b.Err, withLog(b.Log))
		}},
	}
}

// anyMatcher dispatches to the detect or build variant by the actual value's type.
type anyMatcher struct {
	detect *matcher[DetectOutcome]
	build  *matcher[BuildOutcome]
	last   types.GomegaMatcher
}

func (a *anyMatcher) Match(actual any) (bool, error) {
	switch actual.(type) {
	case BuildOutcome, *BuildOutcome:
		a.last = a.build
	default:
		a.last = a.detect
	}
	return a.last.Match(actual)
}
func (a *anyMatcher) FailureMessage(actual any) string { return a.last.FailureMessage(actual) }
func (a *anyMatcher) NegatedFailureMessage(actual any) string {
	return a.last.NegatedFailureMessage(actual)
}

// HaveFailedWith matches a DetectOutcome that failed (exit code 100) with a reason containing
// substr.
func HaveFailedWith(substr string) types.GomegaMatcher {
	return &matcher[DetectOutcome]{want: fmt.Sprintf("detect to fail with a reason containing %q", substr),
		match: func(d DetectOutcome) (bool, string) {
			return d.ExitCode == 100 && strings.Contains(d.Reason, substr),
				fmt.Sprintf("it exited %d with reason %q (error %v)%s", d.ExitCode, d.Reason, d.Err, withLog(d.Log))
		}}
}

// HaveErrored matches an outcome that ended with an error (exit code 1) whose message contains
// substr.
func HaveErrored(substr string) types.GomegaMatcher {
	return &anyMatcher{
		detect: &matcher[DetectOutcome]{want: fmt.Sprintf("detect to error with %q", substr), match: func(d DetectOutcome) (bool, string) {
			return d.ExitCode == 1 && d.Err != nil && strings.Contains(d.Err.Error(), substr),
				fmt.Sprintf("it exited %d with error %v%s", d.ExitCode, d.Err, withLog(d.Log))
		}},
		build: &matcher[BuildOutcome]{want: fmt.Sprintf("build to error with %q", substr), match: func(b BuildOutcome) (bool, string) {
			return b.ExitCode == 1 && b.Err != nil && strings.Contains(b.Err.Error(), substr),
				fmt.Sprintf("it exited %d with error %v%s", b.ExitCode, b.Err, withLog(b.Log))
		}},
	}
}

func layerNames(b BuildOutcome) string {
	var names []string
	for n, l := range b.Layers {
		names = append(names, n+" ("+l.Status+")")
	}
	if len(names) == 0 {
		return "no layers"
	}
	return "layers " + strings.Join(sortStrings(names), ", ")
}

// HaveLayer matches a BuildOutcome with a persisted layer name.
func HaveLayer(name string) types.GomegaMatcher {
	return &matcher[BuildOutcome]{want: fmt.Sprintf("a layer %q", name), match: func(b BuildOutcome) (bool, string) {
		_, ok := b.Layers[name]
		return ok, "the build has " + layerNames(b) + errSuffix(b)
	}}
}

// HaveReusedLayer matches a BuildOutcome whose layer name was kept from the previous build.
func HaveReusedLayer(name string) types.GomegaMatcher {
	return &matcher[BuildOutcome]{want: fmt.Sprintf("layer %q to be reused", name), match: func(b BuildOutcome) (bool, string) {
		l, ok := b.Layers[name]
		return ok && l.Restored(), "the build has " + layerNames(b) + errSuffix(b)
	}}
}

// HaveRebuiltLayer matches a BuildOutcome whose layer name was created although a previous
// layer existed, with a reason containing reasonSubstr.
func HaveRebuiltLayer(name, reasonSubstr string) types.GomegaMatcher {
	return &matcher[BuildOutcome]{want: fmt.Sprintf("layer %q to be rebuilt because of %q", name, reasonSubstr), match: func(b BuildOutcome) (bool, string) {
		l, ok := b.Layers[name]
		return ok && !l.Restored() && strings.HasPrefix(l.Status, "rebuilt: ") && strings.Contains(l.Status, reasonSubstr),
			"the build has " + layerNames(b) + errSuffix(b)
	}}
}

// HaveProcess matches a BuildOutcome whose launch.toml has a process of type typ; with command
// given, the process command must equal it.
func HaveProcess(typ string, command ...string) types.GomegaMatcher {
	want := fmt.Sprintf("a process %q", typ)
	if len(command) > 0 {
		want += fmt.Sprintf(" with command %q", command)
	}
	return &matcher[BuildOutcome]{want: want, match: func(b BuildOutcome) (bool, string) {
		var found []string
		for _, p := range b.Processes {
			found = append(found, fmt.Sprintf("%s=%q", p.Type, p.Command))
			if p.Type != typ {
				continue
			}
			if len(command) == 0 || equal(p.Command, command) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("launch.toml has processes %v%s", found, errSuffix(b))
	}}
}

func errSuffix(b BuildOutcome) string {
	if b.Err == nil {
		return ""
	}
	return fmt.Sprintf(" (build error: %v)", b.Err)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
