package check

import (
	"testing"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// TestKueueCapacity: what a ClusterQueue can ever admit one workload with is its
// nominal quota in every flavor, plus what it may borrow in its cohort's tree: at most
// its borrowingLimit, and at most what the other ClusterQueues lend.
func TestKueueCapacity(t *testing.T) {
	t.Parallel()
	gpu := func(nominal, borrow, lend model.Quantity) model.FlavorQuotas {
		return model.FlavorQuotas{Name: "a100", Resources: map[string]model.ResourceQuota{
			"nvidia.com/gpu": {NominalQuota: nominal, BorrowingLimit: borrow, LendingLimit: lend},
		}}
	}
	cq := func(cohort string, flavors ...model.FlavorQuotas) model.Declared[model.ClusterQueue] {
		return model.Declared[model.ClusterQueue]{Value: model.ClusterQueue{Cohort: cohort, ResourceGroups: []model.ResourceGroup{{Flavors: flavors}}}}
	}
	spot := model.FlavorQuotas{Name: "spot", Resources: map[string]model.ResourceQuota{"nvidia.com/gpu": {NominalQuota: "2"}}}
	cases := []struct {
		name    string
		queues  map[string]model.Declared[model.ClusterQueue]
		cohorts map[string]model.Declared[model.Cohort]
		res     string
		want    string
		covered bool
	}{
		{"alone", map[string]model.Declared[model.ClusterQueue]{"q": cq("", gpu("4", "", ""))}, nil, "nvidia.com/gpu", "4", true},
		{"every flavor", map[string]model.Declared[model.ClusterQueue]{"q": cq("", gpu("4", "", ""), spot)}, nil, "nvidia.com/gpu", "6", true},
		{"not covered", map[string]model.Declared[model.ClusterQueue]{"q": cq("", gpu("4", "", ""))}, nil, "cpu", "0", false},
		{"borrows what the cohort lends", map[string]model.Declared[model.ClusterQueue]{
			"q": cq("ml", gpu("4", "", "")), "other": cq("ml", gpu("8", "", "3")), "elsewhere": cq("", gpu("8", "", "")),
		}, map[string]model.Declared[model.Cohort]{"ml": {}}, "nvidia.com/gpu", "7", true},
		{"at most its borrowing limit", map[string]model.Declared[model.ClusterQueue]{
			"q": cq("ml", gpu("4", "1", "")), "other": cq("ml", gpu("8", "", "")),
		}, map[string]model.Declared[model.Cohort]{"ml": {}}, "nvidia.com/gpu", "5", true},
		{"in the cohort's tree", map[string]model.Declared[model.ClusterQueue]{
			"q": cq("team", gpu("4", "", "")), "other": cq("org", gpu("8", "", "")),
		}, map[string]model.Declared[model.Cohort]{"team": {Value: model.Cohort{Parent: "org"}}, "org": {}}, "nvidia.com/gpu", "12", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := model.ClusterScheduling{ClusterQueues: tc.queues, Cohorts: tc.cohorts}
			got, covered, _ := kueueCapacity(s, "q", tc.queues["q"].Value, tc.res)
			if got.String() != tc.want || covered != tc.covered {
				t.Errorf("capacity = %s (covered %v), want %s (covered %v)", got.String(), covered, tc.want, tc.covered)
			}
		})
	}
}

// TestExcludesNamespace: only a selector on the namespace's name label can be judged.
func TestExcludesNamespace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		sel  *model.LabelSelector
		want bool
	}{
		{"none", nil, false},
		{"its name", &model.LabelSelector{MatchLabels: map[string]string{namespaceNameLabel: "vision"}}, false},
		{"another name", &model.LabelSelector{MatchLabels: map[string]string{namespaceNameLabel: "nlp"}}, true},
		{"another label", &model.LabelSelector{MatchLabels: map[string]string{"team": "nlp"}}, false},
		{"in", &model.LabelSelector{MatchExpressions: []model.LabelSelectorRequirement{{Key: namespaceNameLabel, Operator: "In", Values: []string{"nlp", "vision"}}}}, false},
		{"not in", &model.LabelSelector{MatchExpressions: []model.LabelSelectorRequirement{{Key: namespaceNameLabel, Operator: "NotIn", Values: []string{"vision"}}}}, true},
	} {
		if got := excludesNamespace(tc.sel, "vision"); got != tc.want {
			t.Errorf("%s: excludesNamespace = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestBasisDescribe: how an amount was counted is said only when the basis gives it.
func TestBasisDescribe(t *testing.T) {
	t.Parallel()
	memory := quotaFields[1]
	gi := func(n int64) usage {
		var u usage
		u.memory.Set(n << 30)
		u.memory.Format = "BinarySI"
		return u
	}
	for _, tc := range []struct {
		name   string
		b      *basis
		amount int64
		want   string
	}{
		{"replicas during a canary", &basis{n: 3, unit: "replicas (replicas.max)", per: gi(8), doubled: true}, 48, " = 3 replicas (replicas.max) x 8Gi, x 2 during canary"},
		{"one replica during a canary", &basis{n: 1, unit: "replicas (replicas.max)", per: gi(8), doubled: true}, 16, " = 1 replica (replicas.max) x 8Gi, x 2 during canary"},
		{"with a transformer", &basis{n: 2, unit: "replicas (replicas.max)", per: gi(4), extra: gi(2)}, 10, " = 2 replicas (replicas.max) x 4Gi + 2Gi for its transformer and explainer"},
		{"nodes", &basis{n: 2, unit: "nodes", per: gi(32)}, 64, " = 2 nodes x 32Gi"},
		{"one node says nothing more", &basis{n: 1, unit: "nodes", per: gi(32)}, 32, ""},
		{"an amount the basis does not give", &basis{n: 2, unit: "nodes", per: gi(32)}, 66, ""},
		{"none", nil, 4, ""},
	} {
		if got := tc.b.describe(memory, gi(tc.amount).memory); got != tc.want {
			t.Errorf("%s: describe = %q, want %q", tc.name, got, tc.want)
		}
	}
}
