package emit

import (
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

// kustomizationJSON is how kustomizations were encoded before: through JSON, with
// sigs.k8s.io/yaml.
func kustomizationJSON(resources []string) []byte {
	k := struct {
		APIVersion  string   `json:"apiVersion"`
		Kind        string   `json:"kind"`
		Resources   []string `json:"resources"`
		SortOptions struct {
			Order string `json:"order"`
		} `json:"sortOptions"`
	}{APIVersion: "kustomize.config.k8s.io/v1beta1", Kind: "Kustomization", Resources: resources}
	if k.Resources == nil {
		k.Resources = []string{}
	}
	k.SortOptions.Order = "fifo"
	b, err := sigsyaml.Marshal(k)
	if err != nil {
		panic(err)
	}
	return b
}

// awkwardNames are resource names a plain scalar cannot always be: what yaml.v2 reads as
// booleans, nulls, numbers or timestamps, indicators, spaces, other scripts.
var awkwardNames = []string{
	"123", "true", "null", "~", "yes", "0x1F", "1e3", "-", "- a", "a: b", "#x", "'q'", `"d"`, "ü", " lead", "trail ", "",
	"y", "Y", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "True", "FALSE", "Null", "NULL", "o", "t", "f",
	"yes.yaml", "no-x", "off2", "nope", "truely", "falsey", "nulls", "onion", "offline", "Yesterday",
	".inf", ".nan", "-.inf", "+1", "1_000", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "1:20", "0b101", "0o17", "017", ".5",
	"<<", "&a", "*a", "!t", "%p", "@a", "`b", "|", ">", "?", "?x", ":x", "x:", "x #y", "x#y", "[a]", "{a}", "a,b", "a\tb",
	"a\nb", "tab\t", "caf\u00e9", "\x00", "\x7f", "a b", "a/b", "a.b", "a_b", "_a", "/a", "---", "...", "a---b",
	strings.Repeat("long-", 30) + "name.yaml", strings.Repeat("long ", 30) + "words",
}

// TestKustomizationMatchesYAMLv2: written directly or not, the kustomization is what
// yaml.v2 gives, also for names that must be quoted.
func TestKustomizationMatchesYAMLv2(t *testing.T) {
	lists := [][]string{nil, {}, {"flux-system", "platform", "tenants/vision"}, {"profile_vision.yaml", "a-very-long-name-0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789.yaml"}}
	for _, name := range awkwardNames {
		lists = append(lists, []string{name}, []string{"platform", name, "tenants/x"})
	}
	// Every name of up to three characters of an alphabet of the cases.
	const alphabet = "yYnNoOtTfFaeZ09._/-: #"
	var short func(prefix string, n int)
	short = func(prefix string, n int) {
		for _, c := range alphabet {
			name := prefix + string(c)
			lists = append(lists, []string{name})
			if n > 1 {
				short(name, n-1)
			}
		}
	}
	short("", 3)
	for _, resources := range lists {
		if got, want := kustomization(resources), kustomizationYAML(resources); string(got) != string(want) {
			t.Errorf("%q:\n got %s\nwant %s", resources, got, want)
		}
	}
	for _, name := range []string{"tenants/team-00499", "profile_vision.yaml", "flux-system", "platform", "Tenant.v2"} {
		if !plainScalar(name) {
			t.Errorf("%s is not written directly", name)
		}
	}
	if got, want := kustomization([]string{"a", "b"}), "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- a\n- b\nsortOptions:\n  order: fifo\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestKustomizationBytes(t *testing.T) {
	for _, resources := range [][]string{
		nil,
		{},
		{"flux-system", "platform", "tenants/vision"},
		{"profile_vision.yaml", "notebook_alice-dev.yaml", "kustomization_flux.yaml"},
		{"123", "true", "null", "~", "yes", "0x1F", "1e3", "-", "- a", "a: b", "#x", "'q'", `"d"`, "ü", " lead", "trail ", ""},
		{"a-very-long-name-0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789.yaml"},
	} {
		if got, want := kustomization(resources), kustomizationJSON(resources); string(got) != string(want) {
			t.Errorf("%q:\n got %s\nwant %s", resources, got, want)
		}
	}
}
