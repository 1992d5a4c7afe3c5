package donorsync

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestPublicTypes holds the package's public surface to the two audiences
// it serves: embedders and Store adapter authors. How the engine speeds
// up the stores of this module (internal/batch) must not be exported
// here again; a new public type is a decision, made by changing this list.
func TestPublicTypes(t *testing.T) {
	want := map[string]string{
		"Claim": "struct", "DecodeError": "struct", "Decoded": "struct", "Delivery": "struct",
		"DeliveryFilter": "struct", "DeliveryStatus": "ident", "Handler": "struct", "Ingester": "struct",
		"KeyConflictError": "struct", "Page": "struct", "Worker": "struct", "Feed": "struct",
		// What an operator watches (what an Observer is told is in package
		// observe).
		"JournalStats": "struct", "Freshness": "struct", "Attempt": "struct",
		// The only interfaces: what embedders implement (Source, Hinter)
		// and what adapter authors implement (Store, Tx).
		"Hinter": "interface", "Source": "interface", "Store": "interface", "Tx": "interface",
	}
	got := map[string]string{}
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, spec := range g.Specs {
				ts := spec.(*ast.TypeSpec)
				if !ts.Name.IsExported() {
					continue
				}
				kind := "ident"
				switch ts.Type.(type) {
				case *ast.StructType:
					kind = "struct"
				case *ast.InterfaceType:
					kind = "interface"
				}
				got[ts.Name.Name] = kind
			}
		}
	}
	for name, kind := range got {
		if want[name] != kind {
			t.Errorf("exported type %s (%s) is not part of the public contract; the batch protocol belongs in internal/batch", name, kind)
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("public type %s is missing", name)
		}
	}
	if t.Failed() {
		t.Logf("exported types: %v", slices.Sorted(maps.Keys(got)))
	}
}
