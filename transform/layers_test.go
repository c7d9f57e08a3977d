package transform

import (
	"errors"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/helm-netpol/helm-netpol"

// stages ranks the product's packages in the order data flows through them. A package may
// import only packages of a lower rank: no stage calls a later one.
var stages = map[string]int{
	"internal/hugeheap":                    0, // imported by the command first, for its init
	"internal/findings":                    0,
	"internal/yamlfast":                    0,
	"internal/manifest":                    1,
	"internal/config":                      2,
	"internal/discover":                    3,
	"internal/plan":                        4,
	"internal/lint":                        5,
	"internal/engine":                      6,
	"internal/engine/kubernetes":           7,
	"internal/engine/cilium":               7,
	"internal/engine/calico":               7,
	"internal/engine/clusternetworkpolicy": 7,
	"internal/engine/registry":             8,
	"internal/report":                      9,
	"internal/trace":                       9,
	"internal/verify":                      10,
	"transform":                            11,
	"internal/argocd":                      11, // the Argo CD plugin: runs the binary, imports no stage
	"":                                     12, // the command
	"internal/floor":                       12, // a command for scripts/bench.sh: links kio alone
	"internal/postrendertime":              12, // a command for scripts/bench.sh: times a post-renderer as Helm runs it
}

// packageImports returns the module's own packages that the Go files (tests included) of
// dir import, by their path inside the module, as the go command sees them (build
// constraints applied: a file tagged ignore is no part of any package).
func packageImports(t *testing.T, dir string) map[string]bool {
	t.Helper()
	pkg, err := build.Default.ImportDir(dir, 0)
	var none *build.NoGoError
	if errors.As(err, &none) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, path := range slices.Concat(pkg.Imports, pkg.TestImports, pkg.XTestImports) {
		if path == module {
			out[""] = true
		} else if rest, ok := strings.CutPrefix(path, module+"/"); ok {
			out[rest] = true
		}
	}
	return out
}

// productFiles calls fn with the path of every Go file of the product module, relative to
// the module's root: folders whose names start with a dot, testdata, fixtures and other
// modules (the oracles, the Helm 4 tests) are left out.
func productFiles(t *testing.T, fn func(rel string)) {
	t.Helper()
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch {
			case path == "..":
			case strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "fixtures":
				return filepath.SkipDir
			case fileExists(filepath.Join(path, "go.mod")):
				return filepath.SkipDir // another module
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") {
			rel, _ := filepath.Rel("..", path)
			fn(rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestImportDirection fails when a stage imports a later one, or a package of the product
// module is not ranked here (a new stage must say where it stands).
func TestImportDirection(t *testing.T) {
	seen := map[string]bool{}
	productFiles(t, func(rel string) {
		dir := filepath.ToSlash(filepath.Dir(rel))
		if dir == "." {
			dir = ""
		}
		if seen[dir] {
			return
		}
		seen[dir] = true
		imports := packageImports(t, filepath.Join("..", filepath.Dir(rel)))
		if imports == nil {
			return // no Go package here once build constraints apply
		}
		rank, ok := stages[dir]
		if !ok {
			t.Errorf("package %q is not ranked in stages: say where it stands in the flow", dir)
			return
		}
		for imp := range imports {
			r, known := stages[imp]
			if known && r >= rank && imp != dir {
				t.Errorf("%s imports %s, a stage at or after it (%d >= %d)", dir, imp, r, rank)
			}
		}
	})
}

// TestOraclesUsePublicFace fails when a module of the oracles or tests imports a package
// under internal/: they check the tool through transform only.
func TestOraclesUsePublicFace(t *testing.T) {
	for _, dir := range []string{"../oracle", "../oracle/cilium", "../oracle/calico", "../oracle/probe", "../test/helm4"} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			for imp := range packageImports(t, filepath.Dir(path)) {
				if strings.HasPrefix(imp, "internal/") {
					t.Errorf("%s imports %s: the oracles use transform, the public face", path, imp)
				}
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

// maxFunctionLines is the most lines a function of the product may take, from its func
// line to its closing brace: a longer one is split along its cases or steps.
const maxFunctionLines = 80

// TestFunctionLength fails on a function of the product module (tests aside) longer than
// maxFunctionLines.
func TestFunctionLength(t *testing.T) {
	fset := token.NewFileSet()
	productFiles(t, func(rel string) {
		if strings.HasSuffix(rel, "_test.go") {
			return
		}
		f, err := parser.ParseFile(fset, filepath.Join("..", rel), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			start, end := fset.Position(fn.Pos()), fset.Position(fn.End())
			if n := end.Line - start.Line + 1; n > maxFunctionLines {
				t.Errorf("%s:%d: %s takes %d lines, more than %d: split it along its cases or steps", start.Filename, start.Line, fn.Name.Name, n, maxFunctionLines)
			}
		}
	})
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
