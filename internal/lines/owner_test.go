package lines

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// billingWrites lists what the Go files of dir (package billing) do that
// only subscriptions may: call one of its functions that is not a read,
// hold its Service, or write the subscriptions table.
func billingWrites(t *testing.T, dir string) []string {
	t.Helper()
	reads := func(name string) bool {
		for _, p := range []string{"Load", "Get", "List"} {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
		return false
	}
	funcs := map[string]bool{} // top-level functions of subscriptions
	var bad []string
	fset := token.NewFileSet()
	parseDir := func(dir string, each func(*ast.File)) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			each(f)
		}
	}
	parseDir(filepath.Join(dir, "..", "subscriptions"), func(f *ast.File) {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
				funcs[fd.Name.Name] = true
			}
		}
	})
	parseDir(dir, func(f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && id.Name == "subscriptions" {
					name := x.Sel.Name
					if name == "Service" || (funcs[name] && !reads(name)) {
						bad = append(bad, fset.Position(x.Pos()).String()+": billing uses subscriptions."+name)
					}
				}
			case *ast.BasicLit:
				if x.Kind != token.STRING {
					break
				}
				sql, _ := strconv.Unquote(x.Value)
				sql = strings.ToUpper(strings.Join(strings.Fields(sql), " "))
				for _, w := range []string{"UPDATE SUBSCRIPTIONS ", "INSERT INTO SUBSCRIPTIONS", "DELETE FROM SUBSCRIPTIONS "} {
					if strings.Contains(sql+" ", w) {
						bad = append(bad, fset.Position(x.Pos()).String()+": billing writes the subscriptions table")
					}
				}
			}
			return true
		})
	})
	return bad
}

// TestSubscriptionPeriodsHaveOneOwner: billing reads subscriptions but
// never changes one (its periods least of all); package lines applies what
// billing decides (docs/architecture.md).
func TestSubscriptionPeriodsHaveOneOwner(t *testing.T) {
	for _, v := range billingWrites(t, filepath.Join("..", "billing")) {
		t.Error(v)
	}
}
