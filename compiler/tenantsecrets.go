package compiler

import (
	"maps"
	"path"
	"slices"

	"github.com/mlc-gitops/mlc/compiler/check"
	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/load"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/sops"
)

// tenantSecrets reads and checks the tenant's SOPS-encrypted secrets, keeping each
// file's bytes for lowering to publish as they are, and fills in the keys of every
// secret the tenant declares (which the checks of references need). Problems are
// placed at the declaration's sops field, naming the file.
func tenantSecrets(inst *load.Instance, d *model.Declarations, locate check.Locator) diag.List {
	var l diag.List
	for _, name := range slices.Sorted(maps.Keys(d.Secrets)) {
		s := d.Secrets[name]
		declared := model.Path("secrets", name)
		switch {
		case s.External != nil:
			s.Keys = slices.Sorted(maps.Keys(s.External.Data))
			s.KeysKnown = len(s.External.Extract) == 0
		case s.SOPS != "":
			field := declared + ".sops"
			file := path.Join(inst.Tenant.Dir, s.SOPS)
			data, err := inst.ReadData(s.SOPS)
			if err != nil {
				l.Errorf(locate(field), field, "%v", err)
				break
			}
			secret, err := sops.Check(data, file)
			switch {
			case err != nil:
				l.Errorf(locate(field), field, "%v", err)
			case secret.Name != name:
				l.Errorf(locate(field), field, "%s: metadata.name is %q, not the declared name %q", file, secret.Name, name)
			case secret.Namespace != "" && secret.Namespace != inst.Tenant.Name:
				l.Errorf(locate(field), field, "%s: metadata.namespace is %q: a tenant's Secret is in its own namespace, %q (or leave it unset)", file, secret.Namespace, inst.Tenant.Name)
			default:
				s.Keys, s.KeysKnown, s.Encrypted = secret.Keys, true, data
			}
		}
		d.Secrets[name] = s
	}
	return l
}
