package lines

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The domain packages in import order, highest first: each may import only
// the ones after it (docs/architecture.md).
var domains = []string{"connectweb", "connect", "lines", "portout", "billing", "usage", "payments", "vouchers", "subscriptions", "consent", "porting", "devices", "sims", "catalog", "users", "projects"}

// pkg is what the direction rules need of one package: its imports within
// the module, its interfaces' method names and its types' method names.
type pkg struct {
	imports    map[string]bool
	interfaces map[string][]string
	methods    map[string]map[string]bool
}

// parsePackages reads the non-test Go files of every package under
// internal, keyed by path relative to internal ("billing", "billing/tax").
func parsePackages(t *testing.T, internal string) map[string]*pkg {
	t.Helper()
	pkgs := map[string]*pkg{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(internal, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(internal, filepath.Dir(path))
		p := pkgs[filepath.ToSlash(rel)]
		if p == nil {
			p = &pkg{imports: map[string]bool{}, interfaces: map[string][]string{}, methods: map[string]map[string]bool{}}
			pkgs[filepath.ToSlash(rel)] = p
		}
		collect(f, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func collect(f *ast.File, p *pkg) {
	for _, imp := range f.Imports {
		if path := strings.Trim(imp.Path.Value, `"`); strings.HasPrefix(path, "cellgate/internal/") {
			p.imports[strings.TrimPrefix(path, "cellgate/internal/")] = true
		}
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				ts, ok := spec.(*ast.TypeSpec)
				if !ok {
					continue
				}
				if it, ok := ts.Type.(*ast.InterfaceType); ok {
					var names []string
					for _, m := range it.Methods.List {
						for _, n := range m.Names {
							names = append(names, n.Name)
						}
					}
					p.interfaces[ts.Name.Name] = names
				}
			}
		case *ast.FuncDecl:
			if d.Recv == nil || len(d.Recv.List) == 0 {
				continue
			}
			typ := d.Recv.List[0].Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			if id, ok := typ.(*ast.Ident); ok {
				if p.methods[id.Name] == nil {
					p.methods[id.Name] = map[string]bool{}
				}
				p.methods[id.Name][d.Name.Name] = true
			}
		}
	}
}

// reaches reports whether package from imports to, directly or not.
func reaches(pkgs map[string]*pkg, from, to string) bool {
	seen := map[string]bool{}
	var walk func(string) bool
	walk = func(p string) bool {
		if p == to {
			return true
		}
		if seen[p] || pkgs[p] == nil {
			return false
		}
		seen[p] = true
		for imp := range pkgs[p].imports {
			if walk(imp) {
				return true
			}
		}
		return false
	}
	return walk(from)
}

// directionViolations lists every break of the one-direction rule among
// the domain packages under internal.
func directionViolations(t *testing.T, internal string) []string {
	pkgs := parsePackages(t, internal)
	var bad []string
	for i, lower := range domains {
		for _, higher := range domains[:i] {
			if reaches(pkgs, lower, higher) {
				bad = append(bad, lower+" imports "+higher+" (directly or not)")
			}
		}
	}
	// An interface between two domains that import one another in either
	// direction: implemented by the importer, it is a callback up the
	// graph; by the imported, it hides a call that can be made directly.
	for _, owner := range domains {
		for name, methods := range pkgs[owner].interfaces {
			for _, other := range domains {
				linked := reaches(pkgs, other, owner) || reaches(pkgs, owner, other)
				if other == owner || len(methods) == 0 || !linked {
					continue
				}
				for typ, has := range pkgs[other].methods {
					if implements(has, methods) {
						bad = append(bad, owner+"."+name+" is implemented by "+other+"."+typ+" across an import between them")
					}
				}
			}
			for _, other := range domains {
				if other != owner && strings.Contains(strings.ToLower(name), strings.TrimSuffix(other, "s")) {
					bad = append(bad, owner+"."+name+" is an interface named after the "+other+" domain")
				}
			}
		}
	}
	sort.Strings(bad)
	return bad
}

func implements(has map[string]bool, methods []string) bool {
	for _, m := range methods {
		if !has[m] {
			return false
		}
	}
	return true
}

// TestDomainsDependInOneDirection: subscriptions knows nothing of billing
// or lines, billing nothing of lines, and no two domains talk through an
// interface one declares and the other implements (docs/architecture.md).
func TestDomainsDependInOneDirection(t *testing.T) {
	pkgs := parsePackages(t, "..")
	for _, d := range domains {
		if pkgs[d] == nil {
			t.Fatalf("domain package %s not found under internal", d)
		}
	}
	if !pkgs["lines"].imports["billing"] || !pkgs["billing"].imports["subscriptions"] {
		t.Fatal("expected lines -> billing -> subscriptions; the rule checks nothing otherwise")
	}
	for _, v := range directionViolations(t, "..") {
		t.Error(v)
	}
}
