package load

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/platform"
	"github.com/mlc-gitops/mlc/schemas"
)

// renewAfter is how many instances a worker evaluates in one cue.Context before it starts
// a new one. A CUE context keeps everything it ever evaluated, so a long-lived one grows
// without bound; a fresh one per instance would rebuild the schemas every time.
const renewAfter = 100

// embeddedPrefix marks the file names of the schemas and defaults built into mlc, so that
// positions in them are never mistaken for the user's.
const embeddedPrefix = "mlc:"

// Instance is one evaluated CUE instance: the platform files alone, or the platform files
// with one tenant directory. Value is only valid during the callback that receives it.
type Instance struct {
	// Tenant is the tenant directory, nil for the platform instance.
	Tenant *TenantDir
	// Value is the instance unified with the schemas and defaults. It may hold errors; see
	// Diagnostics. The tenant's name is Tenant.Name: evaluation has checked that the files
	// declare no other, and leaves tenant.name unset rather than pay for another unification.
	// A large tenant is evaluated in shards instead, one at a time as DecodeTenant
	// decodes it (see shard.go): Value is then not set.
	Value cue.Value
	// Diagnostics are the problems CUE found: syntax, schema violations, incomplete values.
	// Those of a tenant evaluated in shards are found, and returned, by DecodeTenant.
	Diagnostics diag.List
	// Elapsed is how long the evaluation took.
	Elapsed time.Duration

	// scoped is true when the tenant was evaluated in the scope of the platform.
	scoped bool
	// shards evaluates a large tenant a shard at a time (see shard.go); nil when the
	// instance is evaluated whole.
	shards *shardEval

	fallbackFile string
	// secondary are the files that only bind the repository to the schemas (they import
	// them); positions in them are used only when no other file has one.
	secondary map[string]bool
	// root is the repository's root, and read how its files are read (see ReadData).
	root string
	read ReadFunc
}

// Options tune Evaluate.
type Options struct {
	// Workers is how many instances are evaluated at once; runtime.GOMAXPROCS(0) if zero.
	Workers int
	// Tenants, when not empty, limits evaluation to the tenants with these names.
	Tenants []string
}

// Evaluator evaluates a repository's instances. Each file is read once, when first
// needed: the platform files when the Evaluator is made, a tenant's when it is evaluated.
type Evaluator struct {
	repo *Repository
	read ReadFunc
	// listed are the repository's files; sources hold the bytes of those read (under mu).
	listed  map[string]bool
	mu      sync.Mutex
	sources map[string]*sourceFile
	// scopable says whether tenants may be evaluated in the scope of the platform (see
	// separable); platformLabels are the platform files' top-level labels.
	scopable        bool
	platformLabels  map[string]bool
	platformPackage string
	// platformPackageFile is the platform file whose package that is (referenceFile).
	platformPackageFile string
	// fullOnly turns evaluation in the platform's scope off, for tests that compare the two.
	fullOnly bool
	// shardSize is how many declarations a shard of a large tenant holds at most, and
	// shardRepeat how many others every shard may repeat (see planShards); tests make
	// them small, or larger than any tenant to evaluate every tenant whole.
	shardSize, shardRepeat int
	// spare is a worker not in use: built while the platform files are read, it
	// evaluates the platform files, then a tenant, in the scope of the platform.
	spare chan *worker
}

// NewEvaluator reads the repository's platform files with read (nil: ReadFile from the
// repository's root); the tenants' files are read with it when they are evaluated.
func NewEvaluator(repo *Repository, read ReadFunc) (*Evaluator, error) {
	if read == nil {
		read = func(rel string) ([]byte, error) { return ReadFile(repo.Root, rel) }
	}
	e := &Evaluator{repo: repo, read: read, listed: map[string]bool{}, sources: map[string]*sourceFile{},
		spare: make(chan *worker, 1), shardSize: shardSize, shardRepeat: shardSize}
	for _, f := range repo.Files() {
		e.listed[f] = true
	}
	go func() { e.spare <- newWorker() }()
	if err := e.readPlatform(); err != nil {
		return nil, err
	}
	e.separable()
	return e, nil
}

// Platform evaluates the platform files alone and passes the instance to fn.
func (e *Evaluator) Platform(fn func(*Instance)) {
	w := <-e.spare
	inst := w.evaluate(e, nil)
	w.platform = inst // what platformInstance would evaluate again
	fn(inst)
	e.spare <- w
}

// worker returns the spare worker, if there is one, or a new one.
func (e *Evaluator) worker() *worker {
	select {
	case w := <-e.spare:
		return w
	default:
		return newWorker()
	}
}

// Tenants evaluates every tenant instance (or those opts selects) concurrently and calls fn
// for each, from several goroutines at once. fn must not keep inst.Value.
func (e *Evaluator) Tenants(ctx context.Context, opts Options, fn func(inst *Instance)) error {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var selected []*TenantDir
	for i := range e.repo.Tenants {
		t := &e.repo.Tenants[i]
		if len(opts.Tenants) == 0 || slices.Contains(opts.Tenants, t.Name) {
			selected = append(selected, t)
		}
	}
	jobs := make(chan *TenantDir)
	var wg sync.WaitGroup
	for range min(workers, len(selected)) {
		wg.Go(func() {
			w := e.worker()
			for t := range jobs {
				fn(w.evaluate(e, t))
			}
			select {
			case e.spare <- w:
			default:
			}
		})
	}
	var err error
feed:
	for _, t := range selected {
		select {
		case jobs <- t:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return err
}

// worker owns one cue.Context at a time, with the schemas built in it once.
type worker struct {
	ctx    *cue.Context
	bctx   *build.Context
	schema cue.Value
	used   int

	// tenantSchema is #TenantDeclarations, what a tenant evaluated in the platform's scope is unified
	// with; platform is the platform instance evaluated in this context, once, the
	// scope of such a tenant's files (nil until needed).
	tenantSchema cue.Value
	platform     *Instance
}

func newWorker() *worker {
	w := &worker{}
	w.renew()
	return w
}

func (w *worker) renew() {
	w.ctx = cuecontext.New()
	schemaInst := embeddedInstance(schemas.Files, "schemas", "schemas")
	w.bctx = build.NewContext(build.Loader(func(_ token.Pos, path string) *build.Instance {
		if path == schemas.ImportPath {
			return schemaInst
		}
		return nil
	}))
	schemaInst.ImportPath = schemas.ImportPath
	schemaVal := w.ctx.BuildInstance(schemaInst)
	defaults := w.ctx.BuildInstance(embeddedInstance(platform.Files, "platform", "platform"))
	if err := schemaVal.Err(); err != nil {
		panic(fmt.Sprintf("mlc: embedded schemas do not compile: %v", err))
	}
	if err := defaults.Err(); err != nil {
		panic(fmt.Sprintf("mlc: embedded platform defaults do not compile: %v", err))
	}
	w.schema = schemaVal.LookupPath(cue.MakePath(cue.Def("Repository"))).Unify(defaults)
	w.tenantSchema = schemaVal.LookupPath(cue.MakePath(cue.Def("TenantDeclarations")))
	w.platform = nil
	w.used = 0
}

// embeddedInstance builds a build.Instance from embedded CUE files.
func embeddedInstance(files fs.FS, dir, pkg string) *build.Instance {
	inst := build.NewContext().NewInstance(embeddedPrefix+dir, nil)
	inst.PkgName = pkg
	names, err := fs.Glob(files, "*.cue")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		src, err := fs.ReadFile(files, name)
		if err != nil {
			panic(err)
		}
		f, err := parser.ParseFile(embeddedPrefix+dir+"/"+name, src, parser.ParseComments)
		if err != nil {
			panic(fmt.Sprintf("mlc: embedded %s/%s: %v", dir, name, err))
		}
		if err := inst.AddSyntax(f); err != nil {
			panic(err)
		}
	}
	return inst
}

// evaluate builds one instance: the platform files, plus t's files when t is not nil.
func (w *worker) evaluate(e *Evaluator, t *TenantDir) *Instance {
	start := time.Now()
	if w.used >= renewAfter {
		w.renew()
	}
	w.used++
	res := &Instance{Tenant: t, fallbackFile: e.repo.PlatformFiles[0], root: e.repo.Root, read: e.read}
	defer func() { res.Elapsed = time.Since(start) }()
	if t != nil {
		if errs := validation.IsDNS1123Label(t.Name); len(errs) > 0 {
			res.Diagnostics.Errorf(diag.Position{File: t.Dir}, "tenant.name",
				"tenant (directory) name %q is not a valid Kubernetes name: lower case letters, digits and '-', starting and ending with a letter or digit, at most 63", t.Name)
			return res
		}
	}
	// A tenant's files are parsed first: they decide whether the tenant can be
	// evaluated in the scope of the platform, in the scope of the platform evaluated
	// once in this context, instead of together with them (see separable).
	var scoped bool
	var parsed []*ast.File
	if t != nil {
		parsed = parseFiles(e, t.Files, &res.Diagnostics)
		if res.Diagnostics.HasErrors() {
			return res
		}
		scoped = e.scopable && !e.fullOnly && e.tenantScopable(parsed) && w.platformInstance(e) != nil
	}
	if !scoped {
		parsed = append(parseFiles(e, e.repo.PlatformFiles, &res.Diagnostics), parsed...)
	}
	if res.Diagnostics.HasErrors() {
		return res
	}
	if scoped {
		res.Diagnostics = append(res.Diagnostics, checkPackages(parsed, e.platformPackageFile, e.platformPackage)...)
	} else {
		ref := referenceFile(parsed)
		res.Diagnostics = append(res.Diagnostics, checkPackages(parsed, ref.Filename, ref.PackageName())...)
	}
	if t != nil {
		res.Diagnostics = append(res.Diagnostics, checkTenantFiles(parsed, t, e.platformLabels)...)
	}
	res.Diagnostics = append(res.Diagnostics, checkEmbeds(parsed)...)
	if res.Diagnostics.HasErrors() {
		return res
	}
	dir := e.repo.Root
	if t != nil {
		dir = filepath.Join(dir, filepath.FromSlash(t.Dir))
	}
	res.secondary = schemaBindings(parsed)
	res.scoped = scoped
	if t != nil {
		if plan := planShards(parsed, e.shardSize, e.shardRepeat); plan != nil {
			// A large tenant is evaluated a shard at a time, as it is decoded.
			res.shards = &shardEval{plan: plan, w: w, e: e, t: t, dir: dir, parsed: parsed, scoped: scoped, cur: -1}
			return res
		}
	}
	user, diags := w.build(dir, parsed, scoped, res.secondary)
	res.Diagnostics = append(res.Diagnostics, diags...)
	if res.Diagnostics.HasErrors() {
		return res
	}
	var v cue.Value
	if scoped {
		v = user.Unify(w.tenantSchema)
	} else {
		v = w.schema.Unify(user)
	}
	if t != nil {
		diags, stop := checkTenantName(user, t)
		res.Diagnostics = append(res.Diagnostics, diags...)
		if stop {
			return res
		}
	}
	res.Value = v
	res.Diagnostics = append(res.Diagnostics, res.validate(v, nil)...)
	return res
}

// checkTenantName reports a tenant's files that declare another tenant, after which
// nothing more is checked (stop), or none.
func checkTenantName(user cue.Value, t *TenantDir) (l diag.List, stop bool) {
	tv := user.LookupPath(cue.ParsePath("tenant"))
	if !tv.Exists() {
		l.Errorf(diag.Position{File: t.Dir}, "tenant",
			"no tenant declared in %s/: add `tenant: owner: \"you@example.com\"` to a file there", t.Dir)
		return l, false
	}
	if n, err := tv.LookupPath(cue.ParsePath("name")).String(); err == nil && n != t.Name {
		l.Errorf(Locate(user, "tenant.name"), "tenant.name",
			"%s/ can only declare tenant %q, not %q: put tenant %q in %s/%s/", t.Dir, t.Name, n, n, TenantsDir, n)
		return l, true
	}
	return nil, false
}

// validate reports what in v is not concrete or does not fit the schemas, each at its
// field, keeping only those keep accepts when it is not nil.
func (inst *Instance) validate(v cue.Value, keep func(diag.List) diag.List) diag.List {
	err := v.Validate(cue.Concrete(true))
	if err == nil {
		return nil
	}
	l := fromCUE(err, inst.secondary)
	if keep != nil {
		l = keep(l)
	}
	for i, d := range l {
		if d.Pos.File == "" {
			l[i].Pos = inst.Locate(d.Path)
		}
	}
	return l
}

// build builds the parsed files as one instance, in the platform's scope or not,
// and returns its value before it is unified with the schemas, or the errors that
// building it found.
func (w *worker) build(dir string, parsed []*ast.File, scoped bool, secondary map[string]bool) (cue.Value, diag.List) {
	inst := w.bctx.NewInstance(dir, nil)
	for _, f := range parsed {
		if err := inst.AddSyntax(f); err != nil {
			return cue.Value{}, FromCUE(err)
		}
	}
	inst.PkgName = parsed[0].PackageName()
	var user cue.Value
	if scoped {
		user = w.ctx.BuildInstance(inst, cue.Scope(w.platform.Value))
	} else {
		user = w.ctx.BuildInstance(inst)
	}
	if err := user.Err(); err != nil {
		// Err holds the first error only; Validate reports every one.
		if all := user.Validate(); all != nil {
			err = all
		}
		return user, fromCUE(err, secondary)
	}
	return user, nil
}

// Locate returns where the field at path is written in the instance's files. A field no
// user file declares is placed at the nearest enclosing field that one does, or else at
// the instance's first file (the tenant's own, for a tenant instance).
func (inst *Instance) Locate(path string) diag.Position {
	if v := inst.valueAt(path); v.Exists() {
		if p := locate(v, path, inst.secondary); p.File != "" {
			return p
		}
	}
	if inst.Tenant != nil {
		return diag.Position{File: inst.Tenant.Files[0]}
	}
	return diag.Position{File: inst.fallbackFile}
}

// valueAt returns the value that holds the field at path: Value, or that of the shard
// that holds it, evaluated again if need be.
func (inst *Instance) valueAt(path string) cue.Value {
	if inst.shards == nil {
		return inst.Value
	}
	return inst.shards.value(inst.shards.plan.shardOf(path), inst)
}

// schemaBindings returns the files that import mlc's schemas.
func schemaBindings(files []*ast.File) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		for spec := range f.ImportSpecs() {
			if p, err := strconv.Unquote(spec.Path.Value); err == nil && p == schemas.ImportPath {
				out[f.Filename] = true
			}
		}
	}
	return out
}

// parseFiles parses the named files of the repository, adding syntax errors to diags.
func parseFiles(e *Evaluator, names []string, diags *diag.List) []*ast.File {
	var parsed []*ast.File
	for _, name := range names {
		src, err := e.source(name)
		if r := (*RefusedFileError)(nil); errors.As(err, &r) {
			diags.Errorf(diag.Position{File: name}, "", "%s", r.Reason)
			continue
		}
		if err != nil {
			diags.Errorf(diag.Position{File: name}, "", "%v", err)
			continue
		}
		f, err := parser.ParseFile(name, src, parser.ParseComments)
		if err != nil {
			*diags = append(*diags, FromCUE(err)...)
			continue
		}
		parsed = append(parsed, f)
	}
	return parsed
}

// mainPlatformFile is the platform file whose package the others must share, when the
// repository has it.
const mainPlatformFile = "platform.cue"

// referenceFile returns the file whose package every file of an instance must be in:
// platform.cue when it is among them, else the first.
func referenceFile(files []*ast.File) *ast.File {
	for _, f := range files {
		if f.Filename == mainPlatformFile {
			return f
		}
	}
	return files[0]
}

// checkPackages makes sure every file of an instance is in package want, that of
// wantFile (the instance's first file, or the first platform file for a tenant
// evaluated in the platform's scope).
func checkPackages(files []*ast.File, wantFile, want string) diag.List {
	var l diag.List
	for _, f := range files {
		got := f.PackageName()
		if got != want {
			l.Errorf(PositionOf(f.Pos()), "", "package %q, but %s is in package %q: every file of a platform repository must be in the same package",
				got, wantFile, want)
		}
	}
	return l
}

// checkTenantFiles keeps a tenant directory to its own declarations: platform settings
// (clusters, defaults, policy) belong in the platform files. A tenant file declares
// fields by name at its top level; anything that could reach another field (a pattern,
// a computed label, an embedded value or a comprehension) is refused, as is a
// definition or hidden field the platform files declare too, which the tenant would
// otherwise add to in its instance.
func checkTenantFiles(files []*ast.File, t *TenantDir, platformLabels map[string]bool) diag.List {
	var l diag.List
	for _, f := range files {
		if filepath.ToSlash(filepath.Dir(f.Filename)) != t.Dir {
			continue
		}
		for _, d := range f.Decls {
			if msg := tenantDecl(d, platformLabels); msg != "" {
				name, _ := topLevelLabel(d)
				l.Errorf(PositionOf(d.Pos()), name, "%s", msg)
			}
		}
	}
	return l
}

// computedLabel is what tenantDecl says of a top-level label that is not a literal.
const computedLabel = "a tenant file must name its top-level fields literally, not compute them: declare each field by its name"

// tenantDecl says what is wrong with a top-level declaration of a tenant file, or ""
// when it may be there.
func tenantDecl(d ast.Decl, platformLabels map[string]bool) string {
	switch d := d.(type) {
	case *ast.Package, *ast.ImportDecl, *ast.Attribute, *ast.CommentGroup, *ast.LetClause:
		return ""
	case *ast.EmbedDecl:
		return "a tenant file may not embed a value at its top level, which could declare any field: declare each field by its name"
	case *ast.Comprehension:
		return "a tenant file may not use a comprehension (if, for) at its top level, which could declare any field: use one inside a field, such as notebooks: {for ...}"
	case *ast.Field:
		label := d.Label
		if a, ok := label.(*ast.Alias); ok {
			if label, ok = a.Expr.(ast.Label); !ok {
				return computedLabel
			}
		}
		switch label.(type) {
		case *ast.Ident, *ast.BasicLit:
		case *ast.ListLit:
			return "a tenant file may not declare a pattern constraint ([...]: ...) at its top level, which would apply to the platform's fields too: declare each field by its name"
		default:
			return computedLabel
		}
		name, _, err := ast.LabelName(label)
		switch {
		case err != nil:
			return computedLabel
		case strings.HasPrefix(name, "#") || strings.HasPrefix(name, "_"):
			if platformLabels[name] {
				return fmt.Sprintf("the platform files declare %s: a tenant file may use it, not add to it; give the tenant's own another name", name)
			}
			return "" // the file's own definitions and hidden fields, never output
		case !IsTenantField(name):
			return fmt.Sprintf("a tenant directory may only declare %s; %q belongs in the platform files at the top of the repository",
				tenantFields().list, name)
		}
		return ""
	}
	return "a tenant file may only declare fields at its top level"
}

// checkEmbeds refuses @embed, which would read files other than the repository's
// .cue files, and which CUE allows only in a module mlc does not evaluate as one.
func checkEmbeds(files []*ast.File) diag.List {
	var l diag.List
	for _, f := range files {
		ast.Walk(f, func(n ast.Node) bool {
			if a, ok := n.(*ast.Attribute); ok {
				if name, body := a.Split(); name == "embed" || name == "extern" && strings.Contains(body, "embed") {
					l.Errorf(PositionOf(a.Pos()), "", "mlc reads only the repository's .cue files and does not embed others (@%s): write the value in CUE", name)
				}
			}
			return true
		}, nil)
	}
	return l
}

// TenantFields returns the top-level fields a tenant directory may declare, sorted: those
// of the schema's #TenantDeclarations.
func TenantFields() []string { return slices.Clone(tenantFields().sorted) }

// IsTenantField tells whether a tenant directory may declare the top-level field name
// (one of TenantFields).
func IsTenantField(name string) bool { return tenantFields().set[name] }

// tenantFieldSet is what TenantFields and IsTenantField tell, and how messages name the
// fields: "tenant, notebooks, ... and experiments", in the schema's order.
type tenantFieldSet struct {
	sorted []string
	set    map[string]bool
	list   string
}

// tenantFields parses the embedded schemas when first needed rather than when mlc
// starts: a command that evaluates nothing does without.
var tenantFields = sync.OnceValue(func() tenantFieldSet {
	var names []string
	for _, f := range schemas.Fields("#TenantDeclarations") {
		names = append(names, f.Name)
	}
	fs := tenantFieldSet{
		sorted: slices.Sorted(slices.Values(names)),
		set:    make(map[string]bool, len(names)),
		list:   strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1],
	}
	for _, name := range names {
		fs.set[name] = true
	}
	return fs
})
