package sdk_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/BurntSushi/toml"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// decodeStrict reads a file the SDK wrote into v and fails on any key v does not declare.
func decodeStrict(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	md, err := toml.Decode(string(data), v)
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Fatalf("%s has keys the spec does not define: %v\n%s", path, u, data)
	}
}

type storeData struct {
	Builds  int    `toml:"builds"`
	Version string `toml:"version"`
}

func TestBuildResultFiles(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	w := newWorld(t, "0.12", "")
	write(t, filepath.Join(w.layers, "store.toml"), "[metadata]\nbuilds = 1\nversion = \"a\"\n")
	exit, log := w.run("build", nil, func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		prev, err := sdk.StoreMetadata[storeData](req.Store)
		if err != nil {
			return sdk.BuildResult{}, err
		}
		return sdk.BuildResult{
			Processes: []sdk.Process{
				{Type: "web", Command: []string{"python", "-m", "uvicorn"}, Args: []string{"app:app"}, Default: true, WorkingDir: "/workspace/src", ExecEnv: []string{"production"}},
				{Type: "worker", Command: []string{"celery"}},
			},
			Labels: []sdk.Label{{Key: "org.example.a", Value: "1"}},
			Slices: []sdk.Slice{{Paths: []string{"static/*"}}},
			Unmet:  []string{"node"},
			Store:  sdk.NewStore(storeData{Builds: prev.Builds + 1, Version: "b"}),
		}, nil
	})
	g.Expect(exit.Code).To(Equal(0), log)

	var launch spec.LaunchTOML
	decodeStrict(t, filepath.Join(w.layers, "launch.toml"), &launch)
	g.Expect(launch).To(Equal(spec.LaunchTOML{
		Labels: []spec.Label{{Key: "org.example.a", Value: "1"}},
		Processes: []spec.Process{
			{Type: "web", Command: []string{"python", "-m", "uvicorn"}, Args: []string{"app:app"}, Default: true, WorkingDir: "/workspace/src", ExecEnv: []string{"production"}},
			{Type: "worker", Command: []string{"celery"}},
		},
		Slices: []spec.Slice{{Paths: []string{"static/*"}}},
	}))
	raw, _ := os.ReadFile(filepath.Join(w.layers, "launch.toml"))
	g.Expect(string(raw)).To(ContainSubstring(`working-dir = "/workspace/src"`))

	var build spec.BuildTOML
	decodeStrict(t, filepath.Join(w.layers, "build.toml"), &build)
	g.Expect(build.Unmet).To(Equal([]spec.Unmet{{Name: "node"}}))
	raw, _ = os.ReadFile(filepath.Join(w.layers, "build.toml"))
	g.Expect(string(raw)).To(ContainSubstring("[[unmet]]"))

	var store spec.StoreTOML
	decodeStrict(t, filepath.Join(w.layers, "store.toml"), &store)
	g.Expect(store.Metadata).To(Equal(map[string]any{"builds": int64(2), "version": "b"}))
}

func TestBuildResultErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, api string
		result    sdk.BuildResult
		err       string
	}{
		{"exec-env before 0.12", "0.11", sdk.BuildResult{Processes: []sdk.Process{{Type: "web", Command: []string{"x"}, ExecEnv: []string{"test"}}}},
			`process "web" sets ExecEnv, which needs Buildpack API 0.12 (buildpack.toml has 0.11)`},
		{"exec-env with slash", "0.12", sdk.BuildResult{Processes: []sdk.Process{{Type: "web", Command: []string{"x"}, ExecEnv: []string{"test/unit"}}}},
			`process "web" ExecEnv: execution environment "test/unit" contains '/', which the Buildpack API reserves`},
		{"empty exec-env", "0.12", sdk.BuildResult{Processes: []sdk.Process{{Type: "web", Command: []string{"x"}, ExecEnv: []string{"production", ""}}}},
			`process "web" ExecEnv: execution environment name is empty`},
		{"no type", "0.12", sdk.BuildResult{Processes: []sdk.Process{{Command: []string{"x"}}}}, "process 1 has no type"},
		{"no command", "0.12", sdk.BuildResult{Processes: []sdk.Process{{Type: "web"}}}, `process "web" has no command`},
		{"duplicate type", "0.12", sdk.BuildResult{Processes: []sdk.Process{{Type: "web", Command: []string{"a"}}, {Type: "web", Command: []string{"b"}}}}, `process type "web" is declared twice`},
		{"two defaults", "0.12", sdk.BuildResult{Processes: []sdk.Process{{Type: "a", Command: []string{"a"}, Default: true}, {Type: "b", Command: []string{"b"}, Default: true}}}, "2 processes are marked Default"},
		{"empty label key", "0.12", sdk.BuildResult{Labels: []sdk.Label{{Value: "x"}}}, "a label has an empty key"},
		{"store not encodable", "0.12", sdk.BuildResult{Store: sdk.NewStore(42)}, "encoding store metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			w := newWorld(t, tt.api, "")
			exit, log := w.run("build", nil, func(context.Context, sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
				return tt.result, nil
			})
			g.Expect(exit.Code).To(Equal(1))
			g.Expect(exit.Err).To(MatchError(ContainSubstring(tt.err)))
			g.Expect(log).To(ContainSubstring(tt.err))
			g.Expect(filepath.Join(w.layers, "launch.toml")).NotTo(BeAnExistingFile())
		})
	}
}

func TestStoreMetadata(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	var empty sdk.Store
	g.Expect(empty.IsZero()).To(BeTrue())
	g.Expect(sdk.StoreMetadata[storeData](empty)).To(Equal(storeData{}), "no metadata gives the zero value")

	type wider struct {
		Builds int    `toml:"builds"`
		Extra  string `toml:"extra"`
	}
	s := sdk.NewStore(wider{Builds: 3, Extra: "x"})
	g.Expect(s.IsZero()).To(BeFalse())
	g.Expect(sdk.StoreMetadata[wider](s)).To(Equal(wider{Builds: 3, Extra: "x"}))
	_, err := sdk.StoreMetadata[storeData](s)
	g.Expect(err).To(MatchError(ContainSubstring("store.toml [metadata] has unknown key extra: sdk_test.storeData has no field for it")))
	var de *sdk.DecodeError
	g.Expect(errors.As(err, &de)).To(BeTrue())
	g.Expect(de.Keys).To(Equal([]string{"extra"}))

	_, err = sdk.StoreMetadata[storeData](sdk.NewStore(struct {
		Builds string `toml:"builds"`
	}{"three"}))
	g.Expect(err).To(MatchError(ContainSubstring("store.toml [metadata] does not fit sdk_test.storeData")))

	_, err = sdk.StoreMetadata[storeData](sdk.NewStore("not a table"))
	g.Expect(err).To(MatchError(ContainSubstring("store.toml [metadata]: a value of type string is not a table: use a struct with toml tags")))
}

// The zero Store leaves store.toml as the lifecycle restored it; NewStore replaces it, even
// with a value that has no keys.
func TestStoreWrittenOnlyWhenSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		store sdk.Store
		want  map[string]any
	}{
		{"zero store keeps the previous", sdk.Store{}, map[string]any{"builds": int64(1), "version": "a"}},
		{"new store replaces it", sdk.NewStore(storeData{Version: "b"}), map[string]any{"builds": int64(0), "version": "b"}},
		{"an empty one clears it", sdk.NewStore(struct{}{}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			w := newWorld(t, "0.12", "")
			write(t, filepath.Join(w.layers, "store.toml"), "[metadata]\nbuilds = 1\nversion = \"a\"\n")
			exit, log := w.run("build", nil, func(context.Context, sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
				return sdk.BuildResult{Store: tt.store}, nil
			})
			g.Expect(exit.Code).To(Equal(0), log)
			var store spec.StoreTOML
			decodeStrict(t, filepath.Join(w.layers, "store.toml"), &store)
			g.Expect(store.Metadata).To(Equal(tt.want))
		})
	}
}
