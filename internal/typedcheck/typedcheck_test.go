package typedcheck

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/scaffold"
)

// freeForm lists the places allowed to keep an untyped map, as "<file> <declaration>", with
// the reason it must stay.
var freeForm = map[string]string{
	// sdk/spec models the CNB files as they are. The tables below belong to the buildpack
	// author; the sdk package decodes them strictly into the author's types before any author
	// code sees them, and the packager and the scaffold pass [metadata] through untouched.
	"sdk/spec/buildpack.go Buildpack.Metadata": "buildpack.toml [metadata] as written; sdk decodes it into the author's M, sdk/dependency reads [[metadata.dependencies]]",
	"sdk/spec/plan.go Require.Metadata":        "the build plan file's [requires.metadata]; sdk.NewRequire writes it from the author's type",
	"sdk/spec/plan.go PlanEntry.Metadata":      "the buildpack plan file's [entries.metadata]; sdk.Entries decodes it into the author's type",
	"sdk/spec/results.go LayerTOML.Metadata":   "<layer>.toml [metadata]; sdk.OpenLayer and cnbtest.LayerMetadata decode it into the author's type",
	"sdk/spec/results.go StoreTOML.Metadata":   "store.toml [metadata]; sdk.StoreMetadata decodes it into the author's type",
}

// finding is one untyped place: where (file and declaration) and what.
type finding struct {
	file, decl, what string
}

func (f finding) key() string    { return f.file + " " + f.decl }
func (f finding) String() string { return f.key() + ": " + f.what }

// isUntypedMap reports whether e is map[string]any or map[string]interface{}.
func isUntypedMap(e ast.Expr) bool {
	m, ok := e.(*ast.MapType)
	if !ok {
		return false
	}
	k, ok := m.Key.(*ast.Ident)
	return ok && k.Name == "string" && isAny(m.Value)
}

// isAny reports whether e is any or interface{}.
func isAny(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name == "any"
	case *ast.InterfaceType:
		return x.Methods == nil || len(x.Methods.List) == 0
	}
	return false
}

// containsUntypedMap reports whether an untyped map appears anywhere in n.
func containsUntypedMap(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if e, ok := n.(ast.Expr); ok && isUntypedMap(e) {
			found = true
		}
		return !found
	})
	return found
}

// receiverName is the type name of a method's receiver.
func receiverName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return receiverName(x.X)
	case *ast.IndexExpr:
		return receiverName(x.X)
	case *ast.IndexListExpr:
		return receiverName(x.X)
	case *ast.Ident:
		return x.Name
	}
	return ""
}

// apiFindings lists what the exported API of one file exposes: an untyped map in an exported
// type, field, function or method signature, variable or constant, and exported struct fields
// of type any. Type parameters and variadic ...any arguments are not seams.
func apiFindings(file string, f *ast.File) []finding {
	var out []finding
	var fields func(owner string, st *ast.StructType)
	fields = func(owner string, st *ast.StructType) {
		for _, fld := range st.Fields.List {
			names := []string{}
			for _, n := range fld.Names {
				if n.IsExported() {
					names = append(names, n.Name)
				}
			}
			if len(fld.Names) == 0 { // embedded
				names = append(names, receiverName(fld.Type))
			}
			for _, n := range names {
				switch {
				case isAny(fld.Type):
					out = append(out, finding{file, owner + "." + n, "an exported field of type any"})
				case containsUntypedMap(fld.Type):
					out = append(out, finding{file, owner + "." + n, "an exported field holding map[string]any"})
				}
				if inner, ok := fld.Type.(*ast.StructType); ok {
					fields(owner+"."+n, inner)
				}
			}
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					if st, ok := s.Type.(*ast.StructType); ok {
						fields(s.Name.Name, st)
					} else if containsUntypedMap(s.Type) {
						out = append(out, finding{file, s.Name.Name, "an exported type holding map[string]any"})
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && s.Type != nil && containsUntypedMap(s.Type) {
							out = append(out, finding{file, n.Name, "an exported variable holding map[string]any"})
						}
					}
				}
			}
		case *ast.FuncDecl:
			name := d.Name.Name
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv != nil && len(d.Recv.List) > 0 {
				recv := receiverName(d.Recv.List[0].Type)
				if !ast.IsExported(recv) {
					continue
				}
				name = recv + "." + name
			}
			sig := &ast.FuncType{Params: d.Type.Params, Results: d.Type.Results}
			if containsUntypedMap(sig) {
				out = append(out, finding{file, name, "an exported function taking or returning map[string]any"})
			}
		}
	}
	return out
}

// anyFindings lists every untyped map in a file, named by the top-level declaration holding it,
// and what apiFindings lists.
func anyFindings(file string, f *ast.File) []finding {
	var out []finding
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			decl := d.Name.Name
			if d.Recv != nil && len(d.Recv.List) > 0 {
				decl = receiverName(d.Recv.List[0].Type) + "." + decl
			}
			if containsUntypedMap(d) {
				out = append(out, finding{file, decl, "uses map[string]any"})
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				decl := ""
				switch s := s.(type) {
				case *ast.TypeSpec:
					decl = s.Name.Name
				case *ast.ValueSpec:
					decl = s.Names[0].Name
				}
				if containsUntypedMap(s) {
					out = append(out, finding{file, decl, "uses map[string]any"})
				}
			}
		}
	}
	return append(out, apiFindings(file, f)...)
}

// moduleRoot is the checkout this test runs in.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil || !strings.HasPrefix(string(data), "module github.com/cnbkit/cnbkit\n") {
		t.Fatalf("%s is not the cnbkit module root (go.mod: %v)", root, err)
	}
	return root
}

// parseTree parses every .go file under dir (relative to root), keeping test files when tests.
func parseTree(t *testing.T, root, dir string, tests bool, each func(rel string, f *ast.File)) {
	t.Helper()
	err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || (d.Name() == "internal" && !tests)) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || (!tests && strings.HasSuffix(path, "_test.go")) {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		each(filepath.ToSlash(rel), f)
		return nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
}

// TestNoUntypedSeams applies the rules of the package documentation to the tree.
func TestNoUntypedSeams(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	root := moduleRoot(t)
	var found []finding
	// The public SDK: exported API of every package outside sdk/internal (and the example
	// buildpacks, which are checked as buildpacks below).
	parseTree(t, root, "sdk", false, func(rel string, f *ast.File) {
		if !strings.HasPrefix(rel, "sdk/examples/") {
			found = append(found, apiFindings(rel, f)...)
		}
	})
	// Buildpacks, internal packages and tests included.
	for _, dir := range []string{"buildpacks", "sdk/examples"} {
		parseTree(t, root, dir, true, func(rel string, f *ast.File) {
			found = append(found, anyFindings(rel, f)...)
		})
	}
	// What `cnbkit new` generates, for every template.
	for _, tmpl := range scaffold.Templates() {
		files, err := scaffold.Generate(context.Background(), scaffold.Options{ID: "my-org/typed-bp", Template: tmpl.Name})
		g.Expect(err).NotTo(HaveOccurred())
		for _, file := range files {
			if !strings.HasSuffix(file.Path, ".go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), file.Path, file.Data, parser.SkipObjectResolution)
			g.Expect(err).NotTo(HaveOccurred(), "template %s, %s", tmpl.Name, file.Path)
			found = append(found, anyFindings("cnbkit new --template "+tmpl.Name+": "+file.Path, f)...)
		}
	}

	var unlisted []string
	seen := map[string]bool{}
	for _, f := range found {
		seen[f.key()] = true
		if _, ok := freeForm[f.key()]; !ok {
			unlisted = append(unlisted, f.String())
		}
	}
	slices.Sort(unlisted)
	g.Expect(unlisted).To(BeEmpty(), "untyped seams: give each a type of its own (decoded strictly), "+
		"or, when it must stay free-form, list it in freeForm with the reason")
	var stale []string
	for k := range freeForm {
		if !seen[k] {
			stale = append(stale, k)
		}
	}
	slices.Sort(stale)
	g.Expect(stale).To(BeEmpty(), "freeForm lists places that are typed now (or gone): remove them")
}

// The rules catch what they are meant to and nothing else.
func TestRules(t *testing.T) {
	t.Parallel()
	const field, anyField, typ, fn, variable, uses = "an exported field holding map[string]any", "an exported field of type any",
		"an exported type holding map[string]any", "an exported function taking or returning map[string]any",
		"an exported variable holding map[string]any", "uses map[string]any"
	tests := []struct {
		name, src string
		api       []string // the public API rule
		all       []string // the buildpack rule: every use, and the public API rule
	}{
		{"exported field", "type T struct{ M map[string]any }", []string{"T.M: " + field}, []string{"T: " + uses, "T.M: " + field}},
		{"interface{} spelling", "type T struct{ M map[string]interface{} }", []string{"T.M: " + field}, []string{"T: " + uses, "T.M: " + field}},
		{"inside a slice", "type T struct{ M []map[string]any }", []string{"T.M: " + field}, []string{"T: " + uses, "T.M: " + field}},
		{"field of type any", "type T struct{ V any; W interface{} }", []string{"T.V: " + anyField, "T.W: " + anyField}, []string{"T.V: " + anyField, "T.W: " + anyField}},
		{"nested struct", "type T struct{ In struct{ V any } }", []string{"T.In.V: " + anyField}, []string{"T.In.V: " + anyField}},
		{"embedded any", "type T struct{ any }", []string{"T.any: " + anyField}, []string{"T.any: " + anyField}},
		{"exported map type", "type Table map[string]any", []string{"Table: " + typ}, []string{"Table: " + uses, "Table: " + typ}},
		{"function result", "func F() map[string]any { return nil }", []string{"F: " + fn}, []string{"F: " + uses, "F: " + fn}},
		{"method parameter", "type T struct{}\nfunc (T) Set(m map[string]any) {}", []string{"T.Set: " + fn}, []string{"T.Set: " + uses, "T.Set: " + fn}},
		{"exported variable", "var V map[string]any", []string{"V: " + variable}, []string{"V: " + uses, "V: " + variable}},
		{"grouped declarations", "type (\n\ta int\n\tb struct{ m map[string]any }\n)", nil, []string{"b: " + uses}},
		{"unexported field", "type T struct{ m map[string]any }", nil, []string{"T: " + uses}},
		{"unexported type", "type t struct{ M map[string]any }", nil, []string{"t: " + uses}},
		{"method of an unexported type", "type t struct{}\nfunc (t) Get() map[string]any { return nil }", nil, []string{"t.Get: " + uses}},
		{"local variable", "func F() { m := map[string]any{}; _ = m }", nil, []string{"F: " + uses}},
		{"typed maps and any arguments", "type T[M any] struct{ Env map[string]string; N map[string]int }\nfunc Logf(format string, args ...any) {}", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			f, err := parser.ParseFile(token.NewFileSet(), "x.go", "package x\n"+tt.src+"\n", parser.SkipObjectResolution)
			g.Expect(err).NotTo(HaveOccurred())
			strs := func(fs []finding) []string {
				var out []string
				for _, f := range fs {
					out = append(out, strings.TrimPrefix(f.String(), "x.go "))
				}
				return out
			}
			g.Expect(strs(apiFindings("x.go", f))).To(ConsistOf(tt.api), "public API rule")
			g.Expect(strs(anyFindings("x.go", f))).To(ConsistOf(tt.all), "buildpack rule")
		})
	}
}
