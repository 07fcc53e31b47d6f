package check

import (
	"maps"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// contributorGroups checks contributor groups' names: a comma would split in the groups
// header, and two groups whose binding names are one would be one object.
func (r *reporter) contributorGroups(t *model.Tenant) {
	seen := map[string]string{}
	for _, group := range slices.Sorted(maps.Keys(t.ContributorGroups)) {
		path := model.Path("tenant", "contributorGroups", group)
		role := t.ContributorGroups[group]
		switch name := lower.GroupBindingName(group, role); {
		case strings.TrimSpace(group) == "" || strings.ContainsAny(group, ",*"):
			r.errorf(path, "group %q cannot be matched in the groups header, which lists a user's groups comma-separated: name it without ',' or '*'", group)
		case seen[name] != "":
			r.errorf(path, "groups %s and %s give the same RoleBinding name %s: rename one", seen[name], group, name)
		case len(name) > 253:
			r.errorf(path, "group %q gives a RoleBinding name of %d characters; at most 253 fit", group, len(name))
		default:
			seen[name] = group
		}
	}
}
