package load

import (
	"path"
	"strconv"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"

	"github.com/mlc-gitops/mlc/schemas"
)

// Evaluating a tenant in the platform's scope.
//
// A tenant instance is, by CUE's rules, the platform files and the tenant's files as one
// package. Evaluated that way, every tenant evaluates the platform files again, about a
// quarter of its time. When nothing in the platform files can depend on a tenant, the
// platform is instead evaluated once per cue.Context and the tenant's files alone are
// built with it as their scope: their references to the platform's fields, definitions
// and lets resolve to that one evaluation, and the tenant's declarations are unified
// with #TenantDeclarations only. The value of the tenant's declarations is the same
// either way; the tests compare the two on every repository they compile.
//
// It is the same only when the platform files cannot see the tenant, and the tenant
// declares nothing the platform files declare too, so this is used only when:
//   - the platform files neither declare a tenant field (tenant, notebooks, ...) at the
//     top level, which would apply to every tenant, nor refer to one by name anywhere,
//     whose value would be the tenant's (a definition using tenant.name, say), nor
//     embed a value or a comprehension at the top level, which may do either; and
//   - the tenant's files declare no top-level label that the platform files declare (a
//     definition both add to), and refer to no hidden field (hidden fields belong to the
//     instance that declares them).
//
// Otherwise the tenant is evaluated with the platform files, as the rules say.

// separable looks at the platform files: whether tenants may be evaluated in the platform's scope, and
// the labels the platform files declare.
func (e *Evaluator) separable() {
	e.scopable = true
	e.platformLabels = map[string]bool{}
	for _, name := range e.repo.PlatformFiles {
		src, err := e.source(name)
		if err != nil {
			e.scopable = false
			return
		}
		f, err := parser.ParseFile(name, src)
		if err != nil {
			e.scopable = false // evaluating the platform reports it
			return
		}
		if e.platformPackage == "" || name == mainPlatformFile {
			e.platformPackage, e.platformPackageFile = f.PackageName(), name
		}
		for _, d := range f.Decls {
			switch d.(type) {
			case *ast.EmbedDecl, *ast.Comprehension:
				e.scopable = false // may declare anything, tenant fields included
			}
			label, ok := topLevelLabel(d)
			switch {
			case !ok:
			case !IsTenantField(label):
				e.platformLabels[label] = true
			case !bindsToSchema(d.(*ast.Field).Value, schemasName(f)):
				e.scopable = false
			}
		}
		if refersTo(f, IsTenantField) {
			e.scopable = false
		}
	}
}

// tenantScopable tells whether a tenant whose files are these may be evaluated in the platform's scope.
func (e *Evaluator) tenantScopable(files []*ast.File) bool {
	for _, f := range files {
		for _, d := range f.Decls {
			if label, ok := topLevelLabel(d); ok && e.platformLabels[label] {
				return false
			}
		}
		if refersTo(f, func(name string) bool { return len(name) > 1 && name[0] == '_' }) {
			return false
		}
	}
	return true
}

// platformInstance returns the platform evaluated in w's current context, evaluating it
// the first time; nil when it has errors (the tenant is then evaluated with the platform
// files, which reports them where they are).
func (w *worker) platformInstance(e *Evaluator) *Instance {
	if w.platform == nil {
		w.platform = w.evaluate(e, nil)
	}
	if w.platform.Diagnostics.HasErrors() {
		return nil
	}
	return w.platform
}

// schemasName is the name f imports mlc's schemas as, empty when it does not.
func schemasName(f *ast.File) string {
	for spec := range f.ImportSpecs() {
		if p, err := strconv.Unquote(spec.Path.Value); err == nil && p == schemas.ImportPath {
			if spec.Name != nil {
				return spec.Name.Name
			}
			return path.Base(p)
		}
	}
	return ""
}

// bindsToSchema tells whether x is one of mlc's schema definitions, or a pattern
// constraint of one ([string]: schemas.#Notebook): what the schema.cue `mlc init` writes
// declares, which adds nothing to #TenantDeclarations.
func bindsToSchema(x ast.Expr, schemasName string) bool {
	switch x := x.(type) {
	case *ast.SelectorExpr:
		id, ok := x.X.(*ast.Ident)
		return ok && schemasName != "" && id.Name == schemasName
	case *ast.StructLit:
		if len(x.Elts) != 1 {
			return false
		}
		f, ok := x.Elts[0].(*ast.Field)
		if !ok {
			return false
		}
		l, ok := f.Label.(*ast.ListLit)
		if !ok || len(l.Elts) != 1 {
			return false
		}
		if id, ok := l.Elts[0].(*ast.Ident); !ok || id.Name != "string" {
			if !bindsToSchema(l.Elts[0], schemasName) {
				return false
			}
		}
		return bindsToSchema(f.Value, schemasName)
	}
	return false
}

// topLevelLabel returns the name a top-level declaration declares: a field's label (a
// regular, hidden or definition field) or a let's name.
func topLevelLabel(d ast.Decl) (string, bool) {
	switch d := d.(type) {
	case *ast.Field:
		name, _, err := ast.LabelName(d.Label)
		return name, err == nil
	case *ast.LetClause:
		return d.Ident.Name, true
	}
	return "", false
}

// refersTo tells whether f uses an identifier that match accepts as a reference:
// anywhere but as a field's label or after a selector's dot.
func refersTo(f *ast.File, match func(string) bool) bool {
	found := false
	skip := map[*ast.Ident]bool{}
	ast.Walk(f, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.Field:
			if id, ok := n.Label.(*ast.Ident); ok {
				skip[id] = true
			}
		case *ast.SelectorExpr:
			if id, ok := n.Sel.(*ast.Ident); ok {
				skip[id] = true
			}
		case *ast.Ident:
			if !skip[n] && match(n.Name) {
				found = true
			}
		}
		return true
	}, nil)
	return found
}
