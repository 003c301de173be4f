package scaffold

import (
	"runtime/debug"
	"testing"

	. "github.com/onsi/gomega"
)

func TestModuleVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mod  debug.Module
		want string
	}{
		{name: "release", mod: debug.Module{Path: SDKModule, Version: "v0.3.1"}, want: "v0.3.1"},
		{name: "pseudo-version", mod: debug.Module{Path: SDKModule, Version: "v0.3.2-0.20261127094102-efc9106abcde"}, want: "v0.3.2-0.20261127094102-efc9106abcde"},
		{name: "checkout", mod: debug.Module{Path: SDKModule, Version: "(devel)"}},
		{name: "modified checkout", mod: debug.Module{Path: SDKModule, Version: "v0.3.2-0.20261127094102-efc9106abcde+dirty"}},
		{name: "replaced", mod: debug.Module{Path: SDKModule, Version: "v0.3.1", Replace: &debug.Module{Path: "../cnbkit"}}},
		{name: "another module", mod: debug.Module{Path: "example.com/other", Version: "v1.0.0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			g.Expect(moduleVersion(tc.mod)).To(Equal(tc.want))
		})
	}
}

func TestCurrentSDKVersionInTests(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	// A test binary is built from the checkout: the constant applies.
	g.Expect(CurrentSDKVersion()).To(Equal(SDKVersion))
}
