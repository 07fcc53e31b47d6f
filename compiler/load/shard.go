package load

import (
	"cmp"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"

	"github.com/mlc-gitops/mlc/compiler/diag"
)

// Evaluating a large tenant in shards.
//
// CUE's evaluator finds a struct's field, and a field's conjuncts, by looking through
// all of them, so a struct of n fields costs n² (a tenant of 100,000 notebooks, most of
// its time). A tenant with more declarations than shardSize is therefore evaluated in
// shards of at most shardSize declarations (notebooks, endpoints, ... by name): each
// shard is the tenant's files with every other declaration left out, and the tenant's
// value is the union of the shards'. That is the same value only when no declaration
// can see another, so a tenant is sharded only when:
//   - no file of the instance refers by name to a sharded field (notebooks, ...) or to a
//     declaration in one (an experiment's trial: trainingJobs.x keeps trainingJobs whole,
//     not the experiments), nor embeds a value or a comprehension at the top level;
//   - every declaration of a sharded field is a struct of fields with plain names,
//     pattern constraints, lets and comments: no embedding, comprehension, alias or
//     computed name, which could add or name declarations;
//   - what every shard repeats (the tenant, the fields not sharded) is itself small.
// The same declaration written in several places is always in one shard, chosen by its
// name. The tests compare the two ways on every repository they evaluate in shards.

// shardSize is how many declarations a shard holds at most, and how many a tenant may
// have that are not sharded (that every shard repeats).
const shardSize = 500

// shardsPerContext is how many shards are evaluated in one cue.Context, which keeps
// every instance it builds: a new one after that many bounds what a large tenant holds.
const shardsPerContext = 4

// entryKey names one declaration: a tenant field (notebooks) and the name in it.
type entryKey struct{ field, name string }

// shardPlan says which of an instance's declarations each shard evaluates. Its shards
// are taken in turn by apply, which sets the files' declarations (and those of the
// structs whose declarations are in several shards) to the shard's.
type shardPlan struct {
	count int
	of    map[entryKey]int
	// fields are the tenant fields sharded, sorted.
	fields []string
	files  []*ast.File
	// decls are, by file, each shard's top-level declarations.
	decls [][][]ast.Decl
	// split are the structs whose fields are in several shards, with each shard's.
	split []splitStruct
}

type splitStruct struct {
	lit   *ast.StructLit
	whole []ast.Decl
	elts  [][]ast.Decl
}

// shardField is one top-level declaration of a field whose declarations are sharded.
type shardField struct {
	label string
	lit   *ast.StructLit
	// entries are lit's elements that are declarations, by their names; the others are
	// shared by every shard.
	entries map[int]string
}

// planShards returns how to evaluate the instance of these files in shards of at most
// size declarations, or nil when it is to be evaluated whole: when it has no more, or
// more than repeat declarations that each shard would repeat.
func planShards(files []*ast.File, size, repeat int) *shardPlan {
	if declarationsAtMost(files) <= size {
		return nil // most tenants: no need to look further
	}
	refs := referenced(files)
	candidates := map[string][]ast.Decl{}
	fields := map[ast.Decl]shardField{}
	bad := map[string]bool{}
	shared := 0
	for _, f := range files {
		for _, d := range f.Decls {
			switch d.(type) {
			case *ast.EmbedDecl, *ast.Comprehension:
				return nil
			}
			label, ok := topLevelLabel(d)
			if _, let := d.(*ast.LetClause); let || !ok || !isDeclarationMap(label) || refs[label] {
				shared += weight(d)
				continue
			}
			sf, ok := declarationsOf(label, d.(*ast.Field), refs)
			if !ok {
				bad[label] = true
			}
			candidates[label] = append(candidates[label], d)
			fields[d] = sf
		}
	}
	var keys []entryKey
	seen := map[entryKey]bool{}
	for label, ds := range candidates {
		for _, d := range ds {
			sf := fields[d]
			if bad[label] {
				shared += weight(d)
				delete(fields, d)
				continue
			}
			shared += len(sf.lit.Elts) - len(sf.entries)
			for _, name := range sf.entries {
				if k := (entryKey{label, name}); !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
		}
	}
	if len(keys) <= size || shared > repeat {
		return nil
	}
	slices.SortFunc(keys, func(a, b entryKey) int {
		return cmp.Or(strings.Compare(a.field, b.field), strings.Compare(a.name, b.name))
	})
	p := &shardPlan{count: (len(keys) + size - 1) / size, of: make(map[entryKey]int, len(keys)), files: files}
	for i, k := range keys {
		p.of[k] = i * p.count / len(keys) // shards of equal size, within one
	}
	for label := range candidates {
		if !bad[label] {
			p.fields = append(p.fields, label)
		}
	}
	slices.Sort(p.fields)
	kept, ok := p.bindings(fields)
	if !ok {
		return nil
	}
	p.place(fields, kept)
	return p
}

// bindings finds, for each shard, the lets it must hold: a let that none of its
// declarations uses would be an error (an unused let), and one they use must be there.
// A shard holds the lets that what every shard holds uses, those its declarations use,
// and the lets they use in turn; the first shard holds too the lets nothing uses, whose
// errors it reports. ok is false when a declaration uses a label alias of what every
// shard holds (X=tenant: ...), which could then be unused in a shard.
func (p *shardPlan) bindings(fields map[ast.Decl]shardField) (kept []map[*ast.LetClause]bool, ok bool) {
	lets := map[*ast.LetClause][]*ast.LetClause{} // each let, with those it uses
	aliased := map[ast.Node]bool{}
	var declare func(ds []ast.Decl)
	declare = func(ds []ast.Decl) {
		for _, d := range ds {
			switch d := d.(type) {
			case *ast.LetClause:
				lets[d] = nil
			case *ast.Field:
				if _, alias := d.Label.(*ast.Alias); alias || d.Alias != nil {
					aliased[d] = true
				}
				if sf, ok := fields[d]; ok {
					declare(sf.lit.Elts)
				}
			}
		}
	}
	for _, f := range p.files {
		declare(f.Decls)
	}
	uses := func(n ast.Node) (used []*ast.LetClause, alias bool) {
		ast.Walk(n, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && id.Node != nil {
				if l, ok := id.Node.(*ast.LetClause); ok {
					if _, managed := lets[l]; managed {
						used = append(used, l)
					}
				}
				alias = alias || aliased[id.Node]
			}
			return true
		}, nil)
		return used, alias
	}
	var sharedUses []*ast.LetClause
	byShard := make([][]*ast.LetClause, p.count)
	usedAtAll := map[*ast.LetClause]bool{}
	visit := func(d ast.Decl, entry *entryKey) bool {
		used, alias := uses(d)
		for _, l := range used {
			usedAtAll[l] = true
		}
		switch l, isLet := d.(*ast.LetClause); {
		case isLet:
			lets[l] = used
		case entry != nil:
			if alias {
				return false
			}
			s := p.of[*entry]
			byShard[s] = append(byShard[s], used...)
		default:
			sharedUses = append(sharedUses, used...)
		}
		return true
	}
	for _, f := range p.files {
		for _, d := range f.Decls {
			sf, ok := fields[d]
			if !ok {
				visit(d, nil)
				continue
			}
			for i, elt := range sf.lit.Elts {
				if name, entry := sf.entries[i]; entry {
					if !visit(elt, &entryKey{sf.label, name}) {
						return nil, false
					}
				} else {
					visit(elt, nil)
				}
			}
		}
	}
	var unused []*ast.LetClause
	for l := range lets {
		if !usedAtAll[l] {
			unused = append(unused, l)
		}
	}
	slices.SortFunc(sharedUses, func(a, b *ast.LetClause) int { return a.Pos().Compare(b.Pos()) })
	sharedUses = slices.Compact(sharedUses)
	kept = make([]map[*ast.LetClause]bool, p.count)
	for s := range p.count {
		roots := append(slices.Clone(sharedUses), byShard[s]...)
		if s == 0 {
			roots = append(roots, unused...)
		}
		kept[s] = map[*ast.LetClause]bool{}
		for len(roots) > 0 {
			l := roots[len(roots)-1]
			roots = roots[:len(roots)-1]
			if !kept[s][l] {
				kept[s][l] = true
				roots = append(roots, lets[l]...)
			}
		}
	}
	return kept, true
}

// place lays out each shard's declarations: what every shard holds, the lets it needs
// (kept), and its own declarations.
func (p *shardPlan) place(fields map[ast.Decl]shardField, kept []map[*ast.LetClause]bool) {
	// shared places an element every shard may hold.
	shared := func(into [][]ast.Decl, d ast.Decl) {
		for s := range p.count {
			if l, isLet := d.(*ast.LetClause); !isLet || kept[s][l] {
				into[s] = append(into[s], d)
			}
		}
	}
	p.decls = make([][][]ast.Decl, len(p.files))
	for i, f := range p.files {
		p.decls[i] = make([][]ast.Decl, p.count)
		for _, d := range f.Decls {
			sf, ok := fields[d]
			if !ok {
				shared(p.decls[i], d)
				continue
			}
			if s, one := p.onlyIn(sf); one {
				p.decls[i][s] = append(p.decls[i][s], d)
				continue
			}
			// Its declarations are in several shards, or it has elements every shard
			// needs: each shard gets it, with the elements that are the shard's.
			split := splitStruct{lit: sf.lit, whole: sf.lit.Elts, elts: make([][]ast.Decl, p.count)}
			for e, elt := range sf.lit.Elts {
				if name, entry := sf.entries[e]; entry {
					s := p.of[entryKey{sf.label, name}]
					split.elts[s] = append(split.elts[s], elt)
				} else {
					shared(split.elts, elt)
				}
			}
			p.split = append(p.split, split)
			for s := range p.count {
				p.decls[i][s] = append(p.decls[i][s], d)
			}
		}
	}
}

// onlyIn tells whether a field's elements are all declarations of one shard, s.
func (p *shardPlan) onlyIn(sf shardField) (s int, ok bool) {
	if len(sf.entries) != len(sf.lit.Elts) {
		return 0, false
	}
	s = -1
	for _, name := range sf.entries {
		switch got := p.of[entryKey{sf.label, name}]; {
		case s == -1:
			s = got
		case got != s:
			return 0, false
		}
	}
	return s, s >= 0
}

// apply makes the files hold shard s's declarations, until restore is called; for a
// nil plan, it does nothing.
func (p *shardPlan) apply(s int) (restore func()) {
	if p == nil {
		return func() {}
	}
	saved := make([][]ast.Decl, len(p.files))
	for i, f := range p.files {
		saved[i] = f.Decls
		f.Decls = p.decls[i][s]
	}
	for _, sp := range p.split {
		sp.lit.Elts = sp.elts[s]
	}
	return func() {
		for i, f := range p.files {
			f.Decls = saved[i]
		}
		for _, sp := range p.split {
			sp.lit.Elts = sp.whole
		}
	}
}

// own returns the diagnostics of shard s that are its own: all of the first shard's,
// and of the others' those about their declarations. What every shard holds alike is
// reported once.
func (p *shardPlan) own(s int, l diag.List) diag.List {
	if p == nil || s == 0 {
		return l
	}
	var out diag.List
	for _, d := range l {
		field, name, ok := entryOfPath(d.Path)
		if got, mine := p.of[entryKey{field, name}]; ok && mine && got == s {
			out = append(out, d)
		}
	}
	return out
}

// shardOf returns the shard that holds the declaration at path, 0 for what every
// shard holds.
func (p *shardPlan) shardOf(path string) int {
	field, name, _ := entryOfPath(path)
	return p.of[entryKey{field, name}]
}

// entryOfPath splits the first two names off a path such as notebooks."nb-1".image,
// quoted or not (CUE's errors leave them unquoted).
func entryOfPath(path string) (field, name string, ok bool) {
	field, rest, ok := strings.Cut(path, ".")
	if !ok || rest == "" {
		return "", "", false
	}
	if rest[0] == '"' {
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return "", "", false
		}
		name, err = strconv.Unquote(q)
		return field, name, err == nil
	}
	name, _, _ = strings.Cut(rest, ".")
	return field, name, true
}

// declarationsAtMost counts the fields of the fields of declarations: at least as many
// as there are declarations.
func declarationsAtMost(files []*ast.File) int {
	n := 0
	for _, f := range files {
		for _, d := range f.Decls {
			field, isField := d.(*ast.Field)
			if label, ok := topLevelLabel(d); !isField || !ok || !isDeclarationMap(label) {
				continue
			}
			if lit, ok := field.Value.(*ast.StructLit); ok {
				n += len(lit.Elts)
			} else {
				n++
			}
		}
	}
	return n
}

// isDeclarationMap tells whether a tenant field holds declarations by name.
func isDeclarationMap(label string) bool { return label != "tenant" && IsTenantField(label) }

// declarationsOf returns the declarations of a top-level field; ok is false when it
// is not a struct of declarations each shard can take its own of.
func declarationsOf(label string, f *ast.Field, refs map[string]bool) (sf shardField, ok bool) {
	sf.label = label
	lit, isLit := f.Value.(*ast.StructLit)
	if _, alias := f.Label.(*ast.Alias); alias || f.Alias != nil || !isLit {
		return sf, false
	}
	sf.lit = lit
	sf.entries = map[int]string{}
	for i, elt := range lit.Elts {
		switch elt := elt.(type) {
		case *ast.Field:
			if _, pattern := elt.Label.(*ast.ListLit); pattern {
				continue
			}
			if _, alias := elt.Label.(*ast.Alias); alias || elt.Alias != nil {
				return sf, false
			}
			name, _, err := ast.LabelName(elt.Label)
			if err != nil || strings.HasPrefix(name, "#") || strings.HasPrefix(name, "_") || refs[name] {
				return sf, false
			}
			sf.entries[i] = name
		case *ast.LetClause, *ast.CommentGroup, *ast.Attribute, *ast.Ellipsis:
		default:
			return sf, false
		}
	}
	return sf, true
}

// weight is how many declarations a top-level one that every shard repeats stands for:
// the fields in a field of declarations, one for another field or a let, none for the
// rest (the package clause, imports, comments).
func weight(d ast.Decl) int {
	if _, ok := d.(*ast.LetClause); ok {
		return 1
	}
	f, ok := d.(*ast.Field)
	if !ok {
		return 0
	}
	if label, _ := topLevelLabel(d); isDeclarationMap(label) {
		if lit, ok := f.Value.(*ast.StructLit); ok {
			return len(lit.Elts)
		}
	}
	return 1
}

// referenced returns the names the files use as references: every identifier but a
// field's label and what follows a selector's dot.
func referenced(files []*ast.File) map[string]bool {
	refs := map[string]bool{}
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Field:
			if _, ok := n.Label.(*ast.Ident); !ok {
				ast.Walk(n.Label, visit, nil)
			}
			ast.Walk(n.Value, visit, nil)
			for _, a := range n.Attrs {
				ast.Walk(a, visit, nil)
			}
			return false
		case *ast.SelectorExpr:
			ast.Walk(n.X, visit, nil)
			return false
		case *ast.Ident:
			refs[n.Name] = true
		}
		return true
	}
	for _, f := range files {
		ast.Walk(f, visit, nil)
	}
	return refs
}

// shardEval evaluates a large tenant's shards, one at a time, in its worker's context:
// each as DecodeTenant decodes it, and again when Locate wants a field of one.
type shardEval struct {
	plan   *shardPlan
	w      *worker
	e      *Evaluator
	t      *TenantDir
	dir    string
	parsed []*ast.File
	scoped bool
	// cur is the shard whose value val is, -1 for none; built counts the shards built
	// in the worker's current context.
	cur   int
	val   cue.Value
	built int
}

// build evaluates shard s: its value as written (user) and unified with the schemas
// (v), or the errors building it found.
func (se *shardEval) build(s int, secondary map[string]bool) (user, v cue.Value, diags diag.List) {
	if se.built == shardsPerContext {
		se.w.renew()
		se.built = 0
	}
	se.built++
	se.cur, se.val = -1, cue.Value{}
	if se.scoped {
		se.w.platformInstance(se.e) // in the new context, if it is one
	}
	restore := se.plan.apply(s)
	user, diags = se.w.build(se.dir, se.parsed, se.scoped, secondary)
	restore()
	if len(diags) > 0 {
		return user, v, diags
	}
	if se.scoped {
		v = user.Unify(se.w.tenantSchema)
	} else {
		v = se.w.schema.Unify(user)
	}
	se.cur, se.val = s, v
	return user, v, nil
}

// value returns shard s's value, evaluating it again unless it is the one held.
func (se *shardEval) value(s int, inst *Instance) cue.Value {
	if se.cur != s {
		se.build(s, inst.secondary)
	}
	return se.val
}

// decode evaluates and decodes the shards in turn into target, as DecodeTenant does a
// tenant evaluated whole, and returns the problems CUE finds in them (a diag.List).
// Once one has problems, the later shards are evaluated for theirs, not decoded. The
// worker starts a new context afterwards: this one holds the last shards.
func (se *shardEval) decode(inst *Instance, d *valueDecoder, target reflect.Value) error {
	start := time.Now()
	defer func() {
		inst.Elapsed += time.Since(start)
		se.w.used = renewAfter
	}()
	var diags diag.List
	for s := range se.plan.count {
		user, v, built := se.build(s, inst.secondary)
		diags = append(diags, se.plan.own(s, built)...)
		if len(built) > 0 {
			continue
		}
		if s == 0 {
			l, stop := checkTenantName(user, se.t)
			if diags = append(diags, l...); stop {
				break
			}
		}
		diags = append(diags, inst.validate(v, func(l diag.List) diag.List { return se.plan.own(s, l) })...)
		if diags.HasErrors() {
			continue
		}
		var err error
		if s == 0 {
			err = d.decodeTenant(v, target)
		} else {
			err = d.mergeShard(v, target, se.plan.fields)
		}
		if err != nil {
			return err
		}
	}
	if len(diags) > 0 {
		return diags.Sort()
	}
	return nil
}

// mergeShard decodes the sharded fields of shard v into x, the struct or map that
// DecodeTenant decodes into, adding their declarations to those decoded already.
func (d *valueDecoder) mergeShard(v cue.Value, x reflect.Value, fields []string) error {
	for _, field := range fields {
		fv := v.LookupPath(cue.MakePath(cue.Str(field)))
		if !fv.Exists() {
			continue
		}
		switch x.Kind() {
		case reflect.Struct:
			// decodeMap adds to a map that is there.
			for _, f := range fieldsOf(x.Type()) {
				if f.path.String() == field {
					if err := d.decode(fv, x.FieldByIndex(f.index)); err != nil {
						return err
					}
				}
			}
		case reflect.Map:
			key := reflect.ValueOf(field).Convert(x.Type().Key())
			part := reflect.New(x.Type().Elem()).Elem()
			if err := d.decode(fv, part); err != nil {
				return err
			}
			if cur := x.MapIndex(key); cur.IsValid() {
				mergeMaps(cur, part)
				continue
			}
			x.SetMapIndex(key, part)
		}
	}
	return nil
}

// mergeMaps adds the entries of map src to map dst, either held in an interface.
func mergeMaps(dst, src reflect.Value) {
	for dst.Kind() == reflect.Interface {
		dst = dst.Elem()
	}
	for src.Kind() == reflect.Interface {
		src = src.Elem()
	}
	if dst.Kind() != reflect.Map || src.Kind() != reflect.Map {
		return
	}
	for it := src.MapRange(); it.Next(); {
		dst.SetMapIndex(it.Key(), it.Value())
	}
}
