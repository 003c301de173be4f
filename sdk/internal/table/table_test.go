package table

import (
	"testing"

	. "github.com/onsi/gomega"
)

type meta struct {
	Version string         `toml:"version"`
	Count   int            `toml:"count,omitempty"`
	Tools   []tool         `toml:"tools,omitempty"`
	Extra   map[string]any `toml:"extra,omitempty"`
}

type tool struct {
	Name string `toml:"name"`
}

func TestEncode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want map[string]any
		err  string
	}{
		{name: "struct", in: meta{Version: "1", Count: 2, Tools: []tool{{Name: "a"}}},
			want: map[string]any{"version": "1", "count": int64(2), "tools": []map[string]any{{"name": "a"}}}},
		{name: "pointer", in: &meta{Version: "1"}, want: map[string]any{"version": "1", "count": int64(0)}},
		{name: "map", in: map[string]int{"a": 1}, want: map[string]any{"a": int64(1)}},
		{name: "nil", in: nil},
		{name: "nil pointer", in: (*meta)(nil)},
		{name: "nil map", in: map[string]any(nil)},
		{name: "no keys", in: struct{}{}},
		{name: "number", in: 42, err: "a value of type int is not a table: use a struct with toml tags"},
		{name: "list", in: []meta{}, err: "a value of type []table.meta is not a table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			got, err := Encode(tt.in)
			if tt.err != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.err)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	in := map[string]any{
		"version": "1", "count": int64(2),
		"tools": []map[string]any{{"name": "a", "verison": "x"}},
		"extra": map[string]any{"deep": map[string]any{"k": "v"}},
		"other": map[string]any{"a": int64(1), "b": int64(2)},
		"build": true,
	}
	got, unknown, err := Decode[meta](in, func(k string) bool { return k == "build" })
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.Version).To(Equal("1"))
	g.Expect(got.Extra).To(Equal(map[string]any{"deep": map[string]any{"k": "v"}}), "free-form values are kept")
	g.Expect(unknown).To(Equal([]string{"other", "tools.verison"}), "an unknown table once; skipped keys and free-form keys left out")

	_, _, err = Decode[meta](map[string]any{"count": "two"}, nil)
	g.Expect(err).To(MatchError(ContainSubstring(`(last key "count")`)))
	g.Expect(err.Error()).NotTo(ContainSubstring("line "), "no positions in text nobody sees")

	got, unknown, err = Decode[meta](nil, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(unknown).To(BeEmpty())
	g.Expect(got).To(Equal(meta{}))
}

// The lifecycle hands metadata back from JSON: whole floats become integers again, everywhere.
func TestFromLifecycle(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	in := map[string]any{
		"count": 3.0, "ratio": 0.5, "big": 1e300, "name": "x",
		"list":   []any{1.0, "a"},
		"tables": []map[string]any{{"n": 2.0}},
		"nested": map[string]any{"n": 4.0},
	}
	g.Expect(FromLifecycle(in)).To(Equal(map[string]any{
		"count": int64(3), "ratio": 0.5, "big": 1e300, "name": "x",
		"list":   []any{int64(1), "a"},
		"tables": []map[string]any{{"n": int64(2)}},
		"nested": map[string]any{"n": int64(4)},
	}))
	g.Expect(in["count"]).To(Equal(3.0), "the input is left untouched")
	g.Expect(FromLifecycle(nil)).To(BeNil())
}

func TestStripLine(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	g.Expect(stripLine(`toml: line 3 (last key "a"): bad`)).To(Equal(`toml: (last key "a"): bad`))
	g.Expect(stripLine("no position")).To(Equal("no position"))
	g.Expect(stripLine("line x")).To(Equal("line x"))
}
