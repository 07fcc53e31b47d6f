package scaffold

import (
	"bytes"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/ast/astutil"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"

	"github.com/mlc-gitops/mlc/schemas"
)

// bindingHeader opens the schema.cue `mlc init` writes.
const bindingHeader = `package ml

import "github.com/mlc-gitops/mlc/schemas"

// Every file of this repository is checked against mlc's schemas. mlc always uses the copy
// built into it; these lines let editors and plain ` + "`cue vet ./tenants/...`" + ` do the same,
// from the copy ` + "`mlc init`" + ` wrote under cue.mod/gen (refresh both with ` + "`mlc init . --schemas-only`" + `).
// Written by mlc init from the schemas themselves: do not edit.
`

// schemaBinding writes schema.cue: each top-level field of a repository, constrained as
// #Platform and #TenantDeclarations constrain it. The fields are bound one by one, not by
// embedding #Repository, because CUE closes an embedded definition only within its own
// file.
func schemaBinding() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(bindingHeader)
	for _, def := range []string{"#Platform", "#TenantDeclarations"} {
		for _, f := range schemas.Fields(def) {
			// Work on a copy: the schema's syntax tree is shared.
			orig, err := format.Node(f.Value)
			if err != nil {
				return nil, err
			}
			expr, err := parser.ParseExpr(f.Name, orig)
			if err != nil {
				return nil, err
			}
			value := astutil.Apply(expr, func(c astutil.Cursor) bool {
				if id, ok := c.Node().(*ast.Ident); ok && strings.HasPrefix(id.Name, "#") {
					c.Replace(&ast.SelectorExpr{X: ast.NewIdent("schemas"), Sel: ast.NewIdent(id.Name)})
				}
				return true
			}, nil).(ast.Expr)
			src, err := format.Node(value)
			if err != nil {
				return nil, err
			}
			label := f.Name
			if f.Optional {
				label += "?"
			}
			b.WriteString(label + ": " + string(src) + "\n")
		}
	}
	return format.Source(b.Bytes())
}
