package sdk

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

// FuzzBuildpackMetadata feeds arbitrary buildpack.toml text to the descriptor parser and the
// strict metadata decoder: they may reject it, but must not panic, and an accepted descriptor
// must round-trip its configurations.
func FuzzBuildpackMetadata(f *testing.F) {
	f.Add(bpHead + "[metadata]\ngreeting = \"hi\"\nmax = 3\n")
	f.Add(bpHead + "[metadata.nested]\non = true\n[[metadata.configurations]]\nname = \"BP_X\"\ndefault = \"1\"\n")
	f.Add(bpHead + "[[metadata.dependencies]]\nid = \"x\"\n[metadata]\nsince = 1979-05-27T07:32:00Z\n")
	f.Add("api = 0.12\n")
	f.Add("[metadata]\nmax = \"x\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		desc, err := spec.ParseBuildpack([]byte(text))
		if err != nil {
			return
		}
		_, _ = decodeBuildpackMetadata[bpMetadata]([]byte(text))
		_, _ = decodeBuildpackMetadata[None]([]byte(text))
		confs, err := desc.Configurations()
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, c := range confs {
			if c.Name == "" || seen[c.Name] {
				t.Fatalf("Configurations accepted an empty or duplicate name in %q", text)
			}
			seen[c.Name] = true
		}
		_ = checkConfigBinding[allTypes](confs)
	})
}

// FuzzEntries decodes arbitrary plan metadata into a typed entry.
func FuzzEntries(f *testing.F) {
	f.Add("[[entries]]\nname = \"python\"\n[entries.metadata]\nversion = \"3.12\"\npackages = [\"a\"]\n")
	f.Add("[[entries]]\nname = \"python\"\n[entries.metadata]\nbuild = \"yes\"\n")
	f.Add("[[entries]]\nname = \"python\"\n[entries.metadata]\nlaunch = true\nversion-source = \"BP_X\"\nversion = \"1\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		var bp spec.BuildpackPlan
		if _, err := tomlDecode(text, &bp); err != nil {
			return
		}
		p := Plan{}
		for _, e := range bp.Entries {
			p.Entries = append(p.Entries, Require{Name: e.Name, metadata: e.Metadata})
		}
		type req struct {
			Packages []string `toml:"packages"`
		}
		m, ok, err := Entries[req](p, "python")
		if err != nil || !ok {
			return
		}
		for i := 1; i < len(m.Versions); i++ {
			if sourcePriority(m.Versions[i-1].Source) > sourcePriority(m.Versions[i].Source) {
				t.Fatalf("versions out of priority order: %+v", m.Versions)
			}
		}
		for _, v := range m.Versions {
			if v.Version == "" {
				t.Fatalf("empty version kept: %+v", m.Versions)
			}
		}
	})
}

// FuzzConfigValue parses arbitrary values for every supported field type: a value is either
// accepted or rejected with a ConfigError naming the variable and value; never a panic.
func FuzzConfigValue(f *testing.F) {
	for _, s := range []string{"", "true", "no", "42", "-1", "1h", "a,b c", "~3.12", "json", "\x00", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		env := map[string]string{}
		for _, f := range configFields(reflect.TypeFor[allTypes]()) {
			env[f.env] = value
		}
		cfg, err := decodeConfig[allTypes](lookupMap(env), nil, nil)
		if err != nil {
			// Every message echoes the value back, quoted.
			if !strings.Contains(err.Error(), quote(value)) {
				t.Fatalf("error does not echo the value %q: %v", value, err)
			}
			return
		}
		if cfg.Timeout < 0 && !strings.Contains(value, "-") {
			t.Fatalf("negative duration from %q", value)
		}
	})
}
