package diff

import (
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/sops"
)

// What a diff shows in place of a Secret's value: whether it is encrypted, and, for a
// key in both revisions, whether its value changed. Never a value, not even encrypted.
const (
	encryptedValue = "(encrypted)"
	hiddenValue    = "(hidden)"
	changedValue   = "(value changed)"
)

// isSecret reports a core Secret, whose values a diff never shows.
func isSecret(o manifest.Object) bool { return o.Kind() == "Secret" && o.Group() == "" }

// secretView is what a diff shows of a Secret: everything but SOPS's metadata, with each
// value of data and stringData replaced by what it is (see encryptedValue).
func secretView(obj map[string]any) map[string]any {
	out := maps.Clone(obj)
	delete(out, "sops")
	for _, field := range []string{"data", "stringData"} {
		values, ok := obj[field].(map[string]any)
		if !ok {
			continue
		}
		shown := make(map[string]any, len(values))
		for k, v := range values {
			shown[k] = hiddenValue
			if sops.Encrypted(v) {
				shown[k] = encryptedValue
			}
		}
		out[field] = shown
	}
	return out
}

// secretFields are the differences between two revisions of a Secret, as shown: keys
// added and removed, and "(value changed)" for a key whose value, encrypted or not,
// differs.
func secretFields(before, after map[string]any) []Field {
	out := compareValues(nil, secretView(before), secretView(after), nil)
	for _, field := range []string{"data", "stringData"} {
		b, _ := before[field].(map[string]any)
		a, _ := after[field].(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(a)) {
			if old, ok := b[k]; ok && !reflect.DeepEqual(old, a[k]) {
				p := path(nil).key(field).key(k)
				out = append(out, Field{Path: p.String(), Op: Changed, Old: secretView(before)[field].(map[string]any)[k], New: changedValue, steps: p})
			}
		}
	}
	slices.SortStableFunc(out, func(x, y Field) int { return strings.Compare(x.Path, y.Path) })
	return out
}
