package sdk

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

type allTypes struct {
	Name     string            `env:"BP_NAME"`
	Enabled  bool              `env:"BP_ENABLED"`
	Count    int               `env:"BP_COUNT"`
	Small    int8              `env:"BP_SMALL"`
	Port     uint16            `env:"BP_PORT"`
	Timeout  time.Duration     `env:"BP_TIMEOUT"`
	Packages []string          `env:"BP_PACKAGES"`
	Version  VersionConstraint `env:"BP_VERSION"`
	Format   string            `env:"BP_FORMAT" oneof:"json|text"`
	Ignored  string
	embedded
}

type embedded struct {
	Inner string `env:"BP_INNER"`
}

func lookupMap(m map[string]string) lookupFunc {
	return func(name string) (string, string, bool) {
		v, ok := m[name]
		return v, "test env", ok
	}
}

func TestDecodeConfigValues(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	sources := map[string]configSource{}
	cfg, err := decodeConfig[allTypes](lookupMap(map[string]string{
		"BP_NAME": "x", "BP_ENABLED": "Yes", "BP_COUNT": "-42", "BP_SMALL": "127", "BP_PORT": "8080",
		"BP_TIMEOUT": "1m30s", "BP_PACKAGES": "a, b\tc,,d", "BP_VERSION": "~3.12", "BP_FORMAT": " json\n", "BP_INNER": "in",
	}), nil, sources)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cfg.Name).To(Equal("x"))
	g.Expect(cfg.Enabled).To(BeTrue())
	g.Expect(cfg.Count).To(Equal(-42))
	g.Expect(cfg.Small).To(Equal(int8(127)))
	g.Expect(cfg.Port).To(Equal(uint16(8080)))
	g.Expect(cfg.Timeout).To(Equal(90 * time.Second))
	g.Expect(cfg.Packages).To(Equal([]string{"a", "b", "c", "d"}))
	g.Expect(cfg.Version.String()).To(Equal("~3.12"))
	g.Expect(cfg.Version.Check("3.12.7")).To(BeTrue())
	g.Expect(cfg.Version.Check("3.13.0")).To(BeFalse())
	g.Expect(cfg.Format).To(Equal("json"))
	g.Expect(cfg.Inner).To(Equal("in"))
	g.Expect(sources["BP_NAME"].origin).To(Equal("test env"))
}

func TestDecodeConfigDefaultsAndPrecedence(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	declared := []spec.Configuration{
		{Name: "BP_NAME", Default: "default-name", Description: "the name"},
		{Name: "BP_ENABLED", Default: "true"},
		{Name: "BP_FORMAT", Default: "text"},
	}
	sources := map[string]configSource{}
	cfg, err := decodeConfig[allTypes](lookupMap(map[string]string{"BP_NAME": "set"}), declared, sources)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cfg.Name).To(Equal("set"))
	g.Expect(cfg.Enabled).To(BeTrue())
	g.Expect(cfg.Format).To(Equal("text"))
	g.Expect(cfg.Count).To(Equal(0))
	g.Expect(sources["BP_NAME"]).To(Equal(configSource{origin: "test env", description: "the name"}))
	g.Expect(sources["BP_ENABLED"].origin).To(Equal("buildpack.toml default"))
	g.Expect(sources["BP_COUNT"].origin).To(Equal("unset"))

	var p Platform
	p.Env = map[string]string{"BP_NAME": "platform"}
	p.process = map[string]string{"BP_NAME": "process", "BP_FORMAT": "json"}
	cfg, err = decodeConfig[allTypes](p.lookupSource, declared, sources)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cfg.Name).To(Equal("platform"), "platform env wins over process env")
	g.Expect(cfg.Format).To(Equal("json"))
	g.Expect(sources["BP_FORMAT"].origin).To(Equal("process env"))
}

func TestDecodeConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env, value, message string
	}{
		{"BP_ENABLED", "maybe", `BP_ENABLED="maybe" is not valid: BP_ENABLED accepts true or false (also 1/0, yes/no) (value from test env)`},
		{"BP_ENABLED", "on", "accepts true or false"},
		{"BP_COUNT", "1.5", `BP_COUNT="1.5" is not valid: BP_COUNT accepts a whole number that fits in 64 bits`},
		{"BP_SMALL", "300", "a whole number that fits in 8 bits"},
		{"BP_PORT", "-1", "a non-negative whole number that fits in 16 bits"},
		{"BP_TIMEOUT", "10", "a duration such as 30s, 5m or 1h30m"},
		{"BP_VERSION", "three", "a version or version constraint"},
		{"BP_FORMAT", "yaml", `BP_FORMAT="yaml" is not valid: BP_FORMAT accepts one of json, text`},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			_, err := decodeConfig[allTypes](lookupMap(map[string]string{tt.env: tt.value}), nil, nil)
			g.Expect(err).To(MatchError(ContainSubstring(tt.message)))
			var ce *ConfigError
			g.Expect(errors.As(err, &ce)).To(BeTrue())
			g.Expect(ce.Name).To(Equal(tt.env))
			g.Expect(ce.Value).To(Equal(tt.value))
			g.Expect(ce.Error()).NotTo(ContainSubstring("\n"))
		})
	}
	t.Run("all errors at once", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		_, err := decodeConfig[allTypes](lookupMap(map[string]string{"BP_COUNT": "x", "BP_FORMAT": "y"}), nil, nil)
		g.Expect(err).To(MatchError(And(ContainSubstring("BP_COUNT"), ContainSubstring("BP_FORMAT"))))
	})
	t.Run("bad default", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		_, err := decodeConfig[allTypes](lookupMap(nil), []spec.Configuration{{Name: "BP_COUNT", Default: "many"}}, nil)
		g.Expect(err).To(MatchError(ContainSubstring(`BP_COUNT="many" is not valid: BP_COUNT accepts a whole number that fits in 64 bits (value from buildpack.toml default)`)))
	})
}

func TestDecodeConfigTypeErrors(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	type badField struct {
		M map[string]string `env:"BP_M"`
	}
	_, err := decodeConfig[badField](lookupMap(nil), nil, nil)
	g.Expect(err).To(MatchError(ContainSubstring("configuration field M (BP_M) has type map[string]string")))
	type badOneOf struct {
		N int `env:"BP_N" oneof:"1|2"`
	}
	_, err = decodeConfig[badOneOf](lookupMap(nil), nil, nil)
	g.Expect(err).To(MatchError(ContainSubstring("oneof applies to string fields only")))
	_, err = decodeConfig[string](lookupMap(nil), nil, nil)
	g.Expect(err).To(MatchError(ContainSubstring("must be a struct")))
	_, err = decodeConfig[None](lookupMap(nil), nil, nil)
	g.Expect(err).NotTo(HaveOccurred())
}

func TestVersionConstraint(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	var zero VersionConstraint
	g.Expect(zero.IsZero()).To(BeTrue())
	g.Expect(zero.Check("1.2.3")).To(BeTrue())
	g.Expect(zero.Check("not-a-version")).To(BeFalse())
	c, err := ParseVersionConstraint(" >=3.11, <3.13 ")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.IsZero()).To(BeFalse())
	g.Expect(c.String()).To(Equal(">=3.11, <3.13"))
	g.Expect(c.Check("3.12.1")).To(BeTrue())
	g.Expect(c.Check("3.13.0")).To(BeFalse())
	empty, err := ParseVersionConstraint("  ")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(empty.IsZero()).To(BeTrue())
	_, err = ParseVersionConstraint("abc")
	g.Expect(err).To(HaveOccurred())
	// One meaning everywhere: "any version" leaves prereleases out unless asked for.
	for _, any := range []string{"", "*", "x", "latest"} {
		c, err := ParseVersionConstraint(any)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.IsZero()).To(BeTrue(), any)
		g.Expect(c.String()).To(Equal(any))
		g.Expect(c.Check("2.0.0")).To(BeTrue(), any)
		g.Expect(c.Check("2.0.0-rc.1")).To(BeFalse(), any)
	}
	rc, err := ParseVersionConstraint(">=2.0.0-0")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rc.Check("2.0.0-rc.1")).To(BeTrue())
	// As text in TOML metadata.
	var md struct {
		Version VersionConstraint `toml:"version"`
	}
	_, err = toml.Decode(`version = "~3.12"`, &md)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(md.Version.Check("3.12.9")).To(BeTrue())
	var buf strings.Builder
	g.Expect(toml.NewEncoder(&buf).Encode(md)).To(Succeed())
	g.Expect(buf.String()).To(Equal("version = \"~3.12\"\n"))
	_, err = toml.Decode(`version = "three"`, &md)
	g.Expect(err).To(MatchError(ContainSubstring(`version constraint "three" is not valid`)))
}

func TestConfigTable(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	var b strings.Builder
	l := NewLogger(&b, false, false)
	l.config = map[string]configSource{}
	declared := []spec.Configuration{{Name: "BP_FORMAT", Default: "text", Description: "log format"}}
	cfg, err := decodeConfig[allTypes](lookupMap(map[string]string{"BP_PACKAGES": "a b", "BP_TIMEOUT": "2s"}), declared, l.config)
	g.Expect(err).NotTo(HaveOccurred())
	l.ConfigTable(&cfg)
	g.Expect(b.String()).To(Equal(`  Configuration
    BP_COUNT     0      (unset)
    BP_ENABLED   false  (unset)
    BP_FORMAT    text   (buildpack.toml default)  log format
    BP_INNER     ""     (unset)
    BP_NAME      ""     (unset)
    BP_PACKAGES  a,b    (test env)
    BP_PORT      0      (unset)
    BP_SMALL     0      (unset)
    BP_TIMEOUT   2s     (test env)
    BP_VERSION   ""     (unset)
`))
	var nilLog *Logger
	nilLog.ConfigTable(cfg) // must not panic
	b.Reset()
	l.ConfigTable(struct {
		Token string `env:"BP_TOKEN" secret:"true"`
		Empty string `env:"BP_EMPTY" secret:"true"`
	}{Token: "s3cret"})
	g.Expect(b.String()).To(ContainSubstring("BP_TOKEN  (hidden)"))
	g.Expect(b.String()).NotTo(ContainSubstring("s3cret"))
	g.Expect(b.String()).To(ContainSubstring(`BP_EMPTY  ""`))
	b.Reset()
	l.ConfigTable(42)
	g.Expect(b.String()).To(BeEmpty())
}

func TestNearMisses(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	known := []string{"BP_MOTD_STYLE", "BP_MOTD_ENABLED"}
	g.Expect(nearMisses(map[string]string{
		"BP_MOTD_STYEL": "x", "BP_MOTD_STYLE": "y", "BP_MOTD_ENABLE": "z", "BP_PYTHON_VERSION": "3", "BP_LOG_LEVEL": "debug",
	}, known)).To(Equal([]string{
		"BP_MOTD_ENABLE is set but this buildpack does not read it; did you mean BP_MOTD_ENABLED?",
		"BP_MOTD_STYEL is set but this buildpack does not read it; did you mean BP_MOTD_STYLE?",
	}))
	g.Expect(nearMisses(nil, known)).To(BeEmpty())
	g.Expect(editDistance("", "abc")).To(Equal(3))
	g.Expect(editDistance("kitten", "sitting")).To(Equal(3))
}
