package scaffold

import (
	"runtime/debug"
	"strings"
)

// SDKVersion is the version of github.com/cnbkit/cnbkit this scaffold belongs to. Generated
// projects require it unless CurrentSDKVersion finds a more precise one in the build info.
const SDKVersion = "v0.1.0"

// CurrentSDKVersion returns the version of github.com/cnbkit/cnbkit that the running program was
// built from, as recorded in its build info (a released cnbkit installed with `go install`), or
// SDKVersion when the program was built from a checkout ("(devel)").
func CurrentSDKVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return SDKVersion
	}
	if v := moduleVersion(info.Main); v != "" {
		return v
	}
	for _, m := range info.Deps {
		if v := moduleVersion(*m); v != "" {
			return v
		}
	}
	return SDKVersion
}

func moduleVersion(m debug.Module) string {
	if m.Path != SDKModule || m.Replace != nil || !strings.HasPrefix(m.Version, "v") {
		return ""
	}
	// "+dirty" (a modified checkout) and other build metadata cannot be required in a go.mod.
	if strings.Contains(m.Version, "+") || !sdkVersionPatt.MatchString(m.Version) {
		return ""
	}
	return m.Version
}
