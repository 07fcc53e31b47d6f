package diff

import (
	"slices"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/internal/credential"
)

// redacted returns a copy of the report that shows no credential it can recognise: the
// user info of URIs, tokens of a well-known shape, and the plain values of environment
// variables named like secrets, in the fields, objects, callouts and diagnostics. Every
// writer prints this copy: a diff is posted where more people read it than the
// repository's, and a platform's policy may let such values compile (with a warning).
func (r *Report) redacted() *Report {
	out := *r
	out.Base.Diagnostics = redactDiagnostics(r.Base.Diagnostics)
	out.Head.Diagnostics = redactDiagnostics(r.Head.Diagnostics)
	out.Changes = slices.Clone(r.Changes)
	for i, c := range out.Changes {
		c.Fields = redactFields(c.Fields)
		if c.Object != nil {
			c.Object = credential.Value(c.Object).(map[string]any)
		}
		c.before, c.after = nil, nil
		out.Changes[i] = c
	}
	out.Callouts = slices.Clone(r.Callouts)
	for i, co := range out.Callouts {
		co.Fields = redactFields(co.Fields)
		co.Note = credential.Redact(co.Note)
		out.Callouts[i] = co
	}
	return &out
}

func redactDiagnostics(l diag.List) diag.List {
	if l == nil {
		return nil
	}
	out := make(diag.List, len(l))
	for i, d := range l {
		d.Message = credential.Redact(d.Message)
		out[i] = d
	}
	return out
}

func redactFields(fields []Field) []Field {
	if fields == nil {
		return nil
	}
	out := make([]Field, len(fields))
	for i, f := range fields {
		if secretEnvValue(f.steps) {
			f.Old, f.New = maskSet(f.Old), maskSet(f.New)
		} else {
			f.Old, f.New = credential.Value(f.Old), credential.Value(f.New)
		}
		out[i] = f
	}
	return out
}

// secretEnvValue reports a path to the value of an environment variable named like a
// secret: ...env[name=DB_PASSWORD].value.
func secretEnvValue(p path) bool {
	n := len(p)
	return n >= 2 && p[n-1].kind == keyStep && p[n-1].key == "value" &&
		p[n-2].kind == nameStep && credential.SecretName(p[n-2].key)
}

// maskSet hides a value that is set.
func maskSet(v any) any {
	if v == nil {
		return nil
	}
	return credential.Mask
}
