package synth

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	mlcplatform "github.com/mlc-gitops/mlc/platform"
	"github.com/mlc-gitops/mlc/schemas"
)

// WritePlain writes the platform that Write writes as one plain CUE package in dir, so
// that `cue export` or `cue vet` evaluates comparable work in a single evaluation: mlc's
// schemas and built-in platform defaults (as files of the package), the platform
// settings as the field platform, checked against #Platform, and every tenant's
// declarations as a field of tenants, checked against #TenantDeclarations. mlc's
// lowering to Kubernetes objects has no counterpart there.
func WritePlain(dir string, s Spec) error {
	if s.Clusters < 1 {
		s.Clusters = 1
	}
	files := map[string]string{"cue.mod/module.cue": moduleFile}
	if err := copyPackage(files, schemas.Files, "schemas"); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("package ml\n\nplatform: #Platform\n\nplatform: {\n")
	b.WriteString(body(platform(s)))
	b.WriteString("}\n\ntenants: [string]: #TenantDeclarations\n")
	names, err := fs.Glob(mlcplatform.Files, "*.cue")
	if err != nil {
		return err
	}
	for _, name := range names {
		defaults, err := fs.ReadFile(mlcplatform.Files, name)
		if err != nil {
			return err
		}
		b.WriteString("\n// mlc's built-in platform defaults, " + name + "\nplatform: {\n" + body(string(defaults)) + "}\n")
	}
	files["platform.cue"] = b.String()
	for i := range s.Tenants {
		var t strings.Builder
		fmt.Fprintf(&t, "package ml\n\ntenants: %q: {\n", TenantName(i))
		for _, f := range tenantFiles(i, s) {
			t.WriteString(body(f[1]))
		}
		t.WriteString("}\n")
		files["tenant-"+TenantName(i)+".cue"] = t.String()
	}
	return writeFiles(dir, files)
}

// copyPackage adds the .cue files of fsys to files as files of package ml.
func copyPackage(files map[string]string, fsys fs.FS, prefix string) error {
	names, err := fs.Glob(fsys, "*.cue")
	if err != nil {
		return err
	}
	for _, name := range names {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		files[prefix+"-"+path.Base(name)] = packageClause.ReplaceAllString(string(src), "package ml")
	}
	return nil
}

var packageClause = regexp.MustCompile(`(?m)^package [a-z]+$`)

// body returns a file's declarations without its package clause; the files it is used
// on import nothing.
func body(src string) string {
	for line := range strings.Lines(src) {
		if strings.HasPrefix(line, "package ") {
			_, rest, _ := strings.Cut(src, line)
			return rest
		}
	}
	return src
}
