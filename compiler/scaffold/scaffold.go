// Package scaffold writes a new platform repository: the files `mlc init` creates.
package scaffold

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"text/template"

	"github.com/mlc-gitops/mlc/schemas"
)

//go:embed all:template
var templates embed.FS

// Options describe the repository to create.
type Options struct {
	// Module is the CUE module path, such as "example.com/ml-platform@v0".
	Module string
	// Owner is the example tenant's owner.
	Owner string
	// SchemasOnly refreshes only the copy of the schemas under cue.mod/gen.
	SchemasOnly bool
}

// SchemaDir is where the schemas are copied, so `import "github.com/mlc-gitops/mlc/schemas"`
// resolves for the CUE tools.
var SchemaDir = path.Join("cue.mod", "gen", schemas.ImportPath)

// Files returns the files of a new repository, relative to its root.
func Files(opts Options) (map[string][]byte, error) {
	files := map[string][]byte{}
	if !opts.SchemasOnly {
		err := fs.WalkDir(templates, "template", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			src, err := templates.ReadFile(p)
			if err != nil {
				return err
			}
			tmpl, err := template.New(p).Delims("{{", "}}").Parse(string(src))
			if err != nil {
				return err
			}
			var b bytes.Buffer
			if err := tmpl.Execute(&b, opts); err != nil {
				return err
			}
			rel, _ := filepath.Rel("template", p)
			files[filepath.ToSlash(rel)] = b.Bytes()
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	binding, err := schemaBinding()
	if err != nil {
		return nil, err
	}
	files["schema.cue"] = binding
	names, err := fs.Glob(schemas.Files, "*.cue")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		b, err := fs.ReadFile(schemas.Files, n)
		if err != nil {
			return nil, err
		}
		files[path.Join(SchemaDir, n)] = b
	}
	return files, nil
}

// Write creates the repository in dir. It refuses to overwrite any file that exists,
// except the schema copy and schema.cue when SchemasOnly is set, and writes nothing in
// that case.
func Write(dir string, opts Options) ([]string, error) {
	files, err := Files(opts)
	if err != nil {
		return nil, err
	}
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	if !opts.SchemasOnly {
		var existing []string
		for _, name := range names {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name))); err == nil {
				existing = append(existing, name)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
		if len(existing) > 0 {
			return nil, fmt.Errorf("%s already has %s: mlc init does not overwrite files (use --schemas-only to refresh the schema copy)", dir, existing[0])
		}
	}
	for _, name := range names {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return nil, err
		}
	}
	return names, nil
}
