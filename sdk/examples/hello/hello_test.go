package hello_test

import (
	"testing"
	"testing/fstest"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"

	"github.com/cnbkit/cnbkit/sdk/examples/hello"
)

func TestDescriptor(t *testing.T) {
	NewWithT(t).Expect(sdk.CheckDescriptor[hello.Metadata, hello.Config](".")).To(Succeed())
}

func TestDetect(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	out := cnbtest.Detect(t, hello.Detect, cnbtest.Options{BuildpackDir: ".",
		App: fstest.MapFS{"hello.txt": {}}})
	g.Expect(out).To(cnbtest.HavePassed())

	out = cnbtest.Detect(t, hello.Detect, cnbtest.Options{BuildpackDir: "."})
	g.Expect(out).To(cnbtest.HaveFailedWith("no hello.txt"))
}

func TestBuild(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	opts := cnbtest.Options{BuildpackDir: ".", App: fstest.MapFS{"hello.txt": {}}}
	first := cnbtest.Build(t, hello.Build, opts)
	g.Expect(first).To(cnbtest.HavePassed())
	g.Expect(first).To(cnbtest.HaveProcess("web", "hello"))
	g.Expect(cnbtest.LayerMetadata[hello.LayerMetadata](first, "greeting")).
		To(Equal(hello.LayerMetadata{Text: "Hello, world!"}))

	opts.Layers = first.LayersDir // a second build on the first one's layers
	g.Expect(cnbtest.Build(t, hello.Build, opts)).To(cnbtest.HaveReusedLayer("greeting"))

	opts.Env = map[string]string{"BP_HELLO_NAME": "Ada"}
	g.Expect(cnbtest.Build(t, hello.Build, opts)).
		To(cnbtest.HaveRebuiltLayer("greeting", "text: Hello, world! -> Hello, Ada!"))
}
