package sdk

import (
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

type bpMetadata struct {
	Greeting string    `toml:"greeting"`
	Max      int       `toml:"max"`
	Since    time.Time `toml:"since"`
	Nested   struct {
		On bool `toml:"on"`
	} `toml:"nested"`
}

const bpHead = "api = \"0.12\"\n[buildpack]\nid = \"a/b\"\nversion = \"1.0.0\"\n"

func TestDecodeBuildpackMetadata(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	m, err := decodeBuildpackMetadata[bpMetadata]([]byte(bpHead + `
[metadata]
greeting = "hi"
max = 3
since = 2024-01-02T03:04:05Z
[metadata.nested]
on = true
[[metadata.configurations]]
name = "BP_X"
[[metadata.dependencies]]
id = "python"
uri = "https://example.com/python.tgz"
`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(m.Greeting).To(Equal("hi"))
	g.Expect(m.Max).To(Equal(3))
	g.Expect(m.Since.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))).To(BeTrue())
	g.Expect(m.Nested.On).To(BeTrue())

	_, err = decodeBuildpackMetadata[None]([]byte(bpHead + "[[metadata.configurations]]\nname = \"BP_X\"\n"))
	g.Expect(err).NotTo(HaveOccurred(), "SDK-owned keys are not unknown, even for None")
}

func TestDecodeBuildpackMetadataErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, toml, msg string
		keys            []string
	}{
		{"unknown key", "[metadata]\ngreting = \"hi\"\n",
			`buildpack.toml [metadata] has unknown key metadata.greting: sdk.bpMetadata has no field for it`, []string{"metadata.greting"}},
		{"unknown table reported once", "[metadata.extra]\na = 1\nb = 2\n[metadata.nested]\noff = true\n",
			"unknown keys metadata.extra, metadata.nested.off", []string{"metadata.extra", "metadata.nested.off"}},
		{"configuration misspelled", "[[metadata.configuration]]\nname = \"BP_X\"\n",
			"metadata.configuration", []string{"metadata.configuration"}},
		{"wrong type", "[metadata]\nmax = \"three\"\n",
			`buildpack.toml [metadata] does not fit sdk.bpMetadata: toml: line 6 (last key "metadata.max")`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			_, err := decodeBuildpackMetadata[bpMetadata]([]byte(bpHead + tt.toml))
			g.Expect(err).To(MatchError(ContainSubstring(tt.msg)))
			var de *DecodeError
			g.Expect(errors.As(err, &de)).To(BeTrue())
			g.Expect(de.File).To(Equal("buildpack.toml"))
			if tt.keys != nil {
				g.Expect(de.Keys).To(Equal(tt.keys))
			}
		})
	}
	t.Run("None rejects metadata", func(t *testing.T) {
		t.Parallel()
		_, err := decodeBuildpackMetadata[None]([]byte(bpHead + "[metadata]\nx = 1\n"))
		NewWithT(t).Expect(err).To(MatchError(ContainSubstring("unknown key metadata.x: sdk.None has no field for it")))
	})
}

func TestDecodeTableStripsLines(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, err := decodeTable[bpMetadata](map[string]any{"max": "x"}, "store.toml", "[metadata]", nil)
	g.Expect(err).To(MatchError(ContainSubstring(`store.toml [metadata] does not fit sdk.bpMetadata: toml: (last key "max")`)))
}

// Keys inside free-form values (maps, interfaces) are kept, not unknown; keys a nested
// struct lacks, also inside arrays of tables, are still reported.
func TestDecodeBuildpackMetadataFreeForm(t *testing.T) {
	t.Parallel()
	type tool struct {
		Name string `toml:"name"`
	}
	type meta struct {
		Extra map[string]any    `toml:"extra"`
		Links map[string]string `toml:"links"`
		Tools []tool            `toml:"tools"`
		Any   any               `toml:"any"`
	}
	g := NewWithT(t)
	m, err := decodeBuildpackMetadata[meta]([]byte(bpHead + `
[metadata.extra.deep]
k = "v"
[metadata.links]
"docs.md" = "x"
[metadata.any.deeper.still]
k = 1
[[metadata.tools]]
name = "ffmpeg"
`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(m.Extra).To(HaveKeyWithValue("deep", map[string]any{"k": "v"}))
	g.Expect(m.Tools).To(Equal([]tool{{Name: "ffmpeg"}}))

	_, err = decodeBuildpackMetadata[meta]([]byte(bpHead + "[[metadata.tools]]\nname = \"a\"\nversoin = \"1\"\n"))
	var de *DecodeError
	g.Expect(errors.As(err, &de)).To(BeTrue(), "got %v", err)
	g.Expect(de.Keys).To(Equal([]string{"metadata.tools.versoin"}))
}
