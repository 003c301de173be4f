package python_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// userDoc is the buildpack's user documentation.
const userDoc = "../../docs/buildpacks/python.md"

// titleRows returns the first cells of the Troubleshooting tables of the user documentation.
func titleRows(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(userDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Troubleshooting\n")
	if !ok {
		t.Fatalf("%s has no Troubleshooting section", userDoc)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var rows []string
	for _, line := range strings.Split(section, "\n") {
		if cells := strings.Split(line, "|"); len(cells) > 2 && strings.HasPrefix(line, "| ") {
			rows = append(rows, strings.TrimSpace(cells[1]))
		}
	}
	return rows
}

// Every error title the buildpack can print, its own and those of the SDK code it runs
// (configuration, CPython download), is listed in the Troubleshooting tables of the user
// documentation. Titles are read from the source: a literal must appear as it is; a title
// built with fmt.Sprintf or + must match a row with its variable parts filled in.
func TestErrorTitlesAreDocumented(t *testing.T) {
	t.Parallel()
	rows := titleRows(t)
	var titles []string // regular expressions
	for _, dir := range []string{".", "../../sdk", "../../sdk/dependency"} {
		fset := token.NewFileSet()
		pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, pkg := range pkgs {
			for name, f := range pkg.Files {
				ast.Inspect(f, func(n ast.Node) bool {
					kv, ok := n.(*ast.KeyValueExpr)
					if !ok {
						return true
					}
					if key, ok := kv.Key.(*ast.Ident); !ok || key.Name != "Title" {
						return true
					}
					if re := titlePattern(kv.Value); re != "" {
						titles = append(titles, re)
					} else if _, passThrough := kv.Value.(*ast.SelectorExpr); !passThrough && !isIdent(kv.Value, "title") {
						t.Errorf("%s: %s: a Title this test cannot read; write it as a literal, fmt.Sprintf or a + b", filepath.Join(dir, filepath.Base(name)), fset.Position(kv.Pos()))
					}
					return true
				})
			}
		}
	}
	g := NewWithT(t)
	g.Expect(len(titles)).To(BeNumerically(">", 30), "the source scan found the titles")
	var missing []string
	for _, re := range titles {
		found := false
		for _, row := range rows {
			if regexp.MustCompile("^" + re + "$").MatchString(row) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, re)
		}
	}
	g.Expect(missing).To(BeEmpty(), "titles (as regular expressions) in no row of the Troubleshooting tables of %s", userDoc)
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// titlePattern turns a title expression into a regular expression: literals quoted, every
// value computed at run time ".+". "" when the expression is not one it reads.
func titlePattern(e ast.Expr) string {
	switch v := e.(type) {
	case *ast.BasicLit:
		s, err := strconv.Unquote(v.Value)
		if err != nil {
			return ""
		}
		return regexp.QuoteMeta(s)
	case *ast.CallExpr:
		sel, ok := v.Fun.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "Sprintf" || len(v.Args) == 0 {
			return ""
		}
		lit, ok := v.Args[0].(*ast.BasicLit)
		if !ok {
			return ""
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return ""
		}
		parts := regexp.MustCompile(`%[a-z]`).Split(s, -1)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		return strings.Join(parts, ".+")
	case *ast.BinaryExpr:
		x, y := titlePattern(v.X), titlePattern(v.Y)
		if x == "" {
			x = ".+"
		}
		if y == "" {
			y = ".+"
		}
		return x + y
	case *ast.Ident:
		return ""
	}
	return ""
}
