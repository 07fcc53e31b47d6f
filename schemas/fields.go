package schemas

import (
	"fmt"
	"io/fs"
	"sync"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// Field is a field of one of the schema's definitions, as written.
type Field struct {
	Name     string
	Optional bool
	// Value is the field's constraint, e.g. [string]: #Notebook.
	Value ast.Expr
}

var parsed = sync.OnceValues(func() (map[string][]Field, error) {
	defs := map[string][]Field{}
	names, err := fs.Glob(Files, "*.cue")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		src, err := fs.ReadFile(Files, n)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(n, src)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			def, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			name, _, err := ast.LabelName(def.Label)
			if err != nil {
				continue
			}
			st, ok := def.Value.(*ast.StructLit)
			if !ok {
				continue
			}
			for _, e := range st.Elts {
				field, ok := e.(*ast.Field)
				if !ok {
					continue
				}
				fname, _, err := ast.LabelName(field.Label)
				if err != nil {
					continue
				}
				defs[name] = append(defs[name], Field{Name: fname, Optional: field.Constraint == token.OPTION, Value: field.Value})
			}
		}
	}
	return defs, nil
})

// Fields returns the fields a definition declares itself (not those it embeds), in the
// order they are written, such as Fields("#TenantDeclarations").
func Fields(definition string) []Field {
	defs, err := parsed()
	if err != nil {
		panic(fmt.Sprintf("schemas: embedded files do not parse: %v", err))
	}
	return defs[definition]
}
