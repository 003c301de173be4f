package python

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestRebuildReason(t *testing.T) {
	t.Parallel()
	base := venvMetadata{Python: "3.12.14", PythonSHA256: "aaaaaaaaaaaaaaaa", Target: "linux/amd64", Mode: "requirements",
		Inputs: []string{"requirements.txt=111", "base.txt=222"}, WheelDir: "", Compile: true, Distributions: []string{"fastapi"}}
	change := func(f func(*venvMetadata)) venvMetadata {
		m := base
		m.Inputs = append([]string(nil), base.Inputs...)
		f(&m)
		return m
	}
	tests := []struct {
		name string
		want venvMetadata
		text string
	}{
		{"unchanged", base, ""},
		{"python", change(func(m *venvMetadata) { m.Python = "3.13.15" }), "CPython changed from 3.12.14 to 3.13.15"},
		{"target", change(func(m *venvMetadata) { m.Target = "linux/arm64" }), "the target changed from linux/amd64 to linux/arm64"},
		{"same version, other build", change(func(m *venvMetadata) { m.PythonSHA256 = "bbbbbbbbbbbbbbbb" }), "the CPython 3.12.14 build changed (sha256 bbbbbbbbbbbb, was aaaaaaaaaaaa)"},
		{"install method", change(func(m *venvMetadata) { m.Mode = "package" }), "the dependencies are now declared differently (package, was requirements)"},
		{"wheel folder", change(func(m *venvMetadata) { m.WheelDir = "wheels" }), `the vendored wheel folder changed from "" to "wheels"`},
		{"compile", change(func(m *venvMetadata) { m.Compile = false }), "BP_PYTHON_COMPILE changed to false"},
		{"file changed", change(func(m *venvMetadata) { m.Inputs[0] = "requirements.txt=999" }), "requirements.txt changed"},
		{"files added and removed", change(func(m *venvMetadata) { m.Inputs = []string{"requirements.txt=111", "dev.txt=333"} }), "base.txt removed, dev.txt added"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			NewWithT(t).Expect(rebuildReason(base, tt.want)).To(Equal(tt.text))
		})
	}
	t.Run("no distributions listed", func(t *testing.T) {
		t.Parallel()
		older := change(func(m *venvMetadata) { m.Distributions = nil })
		NewWithT(t).Expect(rebuildReason(older, base)).To(Equal("the previous environment does not list its distributions (an older buildpack made it)"))
	})
}
