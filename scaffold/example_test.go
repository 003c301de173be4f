package scaffold_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cnbkit/cnbkit/scaffold"
)

func ExampleGenerate() {
	files, err := scaffold.Generate(context.Background(), scaffold.Options{ID: "my-org/hello"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range files {
		fmt.Println(f.Path)
	}
	// Output:
	// .gitignore
	// README.md
	// build.go
	// build_test.go
	// buildpack.toml
	// cmd/main.go
	// config.go
	// detect.go
	// detect_test.go
	// doc.go
	// go.mod
	// package.toml
}

func ExampleGenerate_invalid() {
	_, err := scaffold.Generate(context.Background(), scaffold.Options{ID: "My Buildpack", Version: "1.0"})
	fmt.Println(err)
	// Output:
	// cannot generate the buildpack project: buildpack id "My Buildpack" is invalid: use letters, digits, '.', '/' and '-', e.g. "my-org/my-buildpack"; version "1.0" is not a semantic version: use MAJOR.MINOR.PATCH, e.g. "1.2.3"
}

func ExampleWrite() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	files, err := scaffold.Generate(ctx, scaffold.Options{ID: "my-org/tools", Template: scaffold.TemplateDependency})
	if err != nil {
		fmt.Println(err)
		return
	}
	project := filepath.Join(dir, "tools")
	fmt.Println(scaffold.Write(ctx, project, files, scaffold.WriteOptions{}))
	// A second time, the folder is not empty any more.
	err = scaffold.Write(ctx, project, files, scaffold.WriteOptions{})
	fmt.Println(err != nil)
	// Output:
	// <nil>
	// true
}
