package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mlc-gitops/mlc/compiler/contain"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// rawObjects checks the tenant's raw objects against the platform's policy and the
// rules that keep them in the tenant's namespace (package contain), and refuses one
// that an upstream controller would also make from a declaration.
func (r *reporter) rawObjects(p *model.Platform, d *model.Declarations, owners []objectOwner) {
	derived := map[string]string{}
	for _, o := range owners {
		for _, obj := range o.objects {
			if obj.Series == nil {
				derived[obj.Kind+"/"+obj.Name] = o.what() + " (" + obj.By + ")"
			}
		}
	}
	for _, kind := range slices.Sorted(maps.Keys(d.Objects)) {
		for _, name := range slices.Sorted(maps.Keys(d.Objects[kind])) {
			path := model.Path("objects", kind, name)
			obj := d.Objects[kind][name]
			group := apiGroup(obj["apiVersion"])
			gk := contain.GroupKind(group, kind)
			if why := contain.RefusedKind(group, kind); why != "" {
				r.errorf(path, "a tenant may not declare a %s: %s", gk, why)
				continue
			}
			if !contain.Allowed(p.Policy.Objects.AllowedKinds, group, kind) {
				r.errorf(path+".apiVersion", "%s is not a kind tenants may declare: the platform's policy.objects.allowedKinds lists %s", gk, allowedList(p.Policy.Objects.AllowedKinds))
				continue
			}
			if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
				r.errorf(path, "%q is not a valid object name: lower case letters, digits, '-' and '.', starting and ending with a letter or digit", name)
				continue
			}
			for _, v := range contain.Check(obj, d.Tenant.Name) {
				r.errorf(path+"."+v.Path, "%s", v.Message)
			}
			for _, k := range []string{kind, gk} {
				if by, ok := derived[k+"/"+name]; ok {
					r.errorf(path, "%s %s is also made for %s: rename the object", kind, name, by)
					break
				}
			}
		}
	}
}

// apiGroup is the group of an apiVersion, empty for the core group.
func apiGroup(v any) string {
	s, _ := v.(string)
	if g, _, ok := strings.Cut(s, "/"); ok {
		return g
	}
	return ""
}

func allowedList(kinds []string) string {
	if len(kinds) == 0 {
		return "none"
	}
	return strings.Join(kinds, ", ")
}

// patches checks that each patch names clusters that run the tenant.
func (r *reporter) patches(d *model.Declarations) {
	for _, name := range slices.Sorted(maps.Keys(d.Patches)) {
		for i, c := range d.Patches[name].Clusters {
			if !slices.ContainsFunc(r.clusters, func(cl model.Cluster) bool { return cl.Name == c }) {
				r.errorf(fmt.Sprintf("%s[%d]", model.Path("patches", name, "clusters"), i), "cluster %q does not run tenant %s (it runs on %s)", c, d.Tenant.Name, clusterNames(r.clusters))
			}
		}
	}
}

func clusterNames(cs []model.Cluster) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return strings.Join(out, ", ")
}

// allowedKinds refuses an entry of policy.objects.allowedKinds that names a kind mlc
// never lets a tenant declare, which would read as allowed and be refused anyway.
func (r *reporter) allowedKinds(kinds []string) {
	for i, gk := range kinds {
		kind, group, _ := strings.Cut(gk, ".")
		if why := contain.RefusedKind(group, kind); why != "" {
			r.errorf(fmt.Sprintf("policy.objects.allowedKinds[%d]", i), "mlc never lets tenants declare a %s: %s", gk, why)
		}
	}
}
