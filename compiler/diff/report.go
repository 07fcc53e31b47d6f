// Package diff compares what two revisions of a platform repository compile to, object
// by object: which Kubernetes objects each cluster gains, loses or changes, and for a
// changed object which fields, by path. It calls out the changes reviewers must see
// (data deleted, GPUs and quotas, traffic, access, images) and renders a Report as text,
// Markdown for a pull-request comment, or JSON.
//
// Compare is pure: two Snapshots in, a Report out. Preview reads the revisions from git
// and compiles them.
package diff

import "github.com/mlc-gitops/mlc/compiler/diag"

// Schema names the JSON form of a Report. It changes only when a field changes meaning
// or goes away; new fields may be added under the same name.
const Schema = "mlc.diff/v1"

// Op is what happens to an object, or to a field of a changed object.
type Op string

// The operations, as they appear in JSON.
const (
	Added   Op = "added"
	Removed Op = "removed"
	Changed Op = "changed"
)

// State is what became of compiling a revision.
type State string

// The states of a revision, as they appear in JSON.
const (
	// Compiled: the revision compiled; its objects are compared.
	Compiled State = "compiled"
	// Invalid: the revision has errors (in Diagnostics) and compiled to nothing. An
	// invalid head gives no diff; an invalid base counts as empty, so the head's
	// objects are all added.
	Invalid State = "invalid"
	// Absent: the revision has no platform repository in the directory (it was added
	// later); it counts as empty.
	Absent State = "absent"
	// Skipped: the base is not compiled, because the head does not compile.
	Skipped State = "skipped"
	// Rejected: the head compiled, but the cluster it is compared with refuses some of
	// its objects (server-side dry run); Diagnostics say which and why. Like an invalid
	// head, it gives no diff.
	Rejected State = "rejected"
)

// Report is the difference between a base and a head revision. Its JSON form, named by
// Schema, is:
//
//	{
//	  "schema":   "mlc.diff/v1",
//	  "dir":      directory of the platform repository in the git repository ("" at the top),
//	  "base":     Revision,
//	  "head":     Revision,
//	  "totals":   {"added": n, "removed": n, "changed": n},
//	  "clusters": [{"name", "added", "removed", "changed"}]  per cluster, sorted by name,
//	  "summary":  [{"cluster", "tenant", "kind", "added", "removed", "changed"}],
//	  "callouts": [Callout],  by rule, then cluster, tenant and object,
//	  "changes":  [Change]    by cluster, tenant, then the canonical object order
//	}
//
// Lists are never null. When the head is invalid, every count is zero and the lists
// are empty: head.diagnostics says why.
type Report struct {
	Schema string `json:"schema"`
	// Dir is the platform repository's directory relative to the top of the git
	// repository, with forward slashes; empty at the top.
	Dir  string   `json:"dir"`
	Base Revision `json:"base"`
	Head Revision `json:"head"`
	// Totals counts the changed objects of every cluster.
	Totals Counts `json:"totals"`
	// Clusters counts the changed objects per cluster; clusters without changes are
	// left out.
	Clusters []ClusterCounts `json:"clusters"`
	// Summary counts the changed objects per cluster, tenant and kind.
	Summary []Row `json:"summary"`
	// Callouts are the changes reviewers must see.
	Callouts []Callout `json:"callouts"`
	// Changes are the added, removed and changed objects.
	Changes []Change `json:"changes"`
}

// Revision is one side of the comparison.
type Revision struct {
	// Ref is the revision as the user named it (HEAD, origin/main); empty for the
	// working tree.
	Ref string `json:"ref,omitempty"`
	// Commit is the commit's full hash; empty for the working tree.
	Commit string `json:"commit,omitempty"`
	// State tells whether the revision compiled.
	State State `json:"state"`
	// Diagnostics are the problems the compiler reported, errors and warnings, with
	// file:line:col relative to the platform repository.
	Diagnostics diag.List `json:"diagnostics,omitempty"`
}

// Label names the revision for people: "origin/main (1a2b3c4d5e6f)" or "working tree".
func (r Revision) Label() string {
	switch {
	case r.Ref == "" && r.Commit == "":
		return "working tree"
	case r.Commit == "":
		return r.Ref
	}
	c := r.Commit
	if len(c) > 12 {
		c = c[:12]
	}
	if r.Ref == "" || r.Ref == r.Commit {
		return c
	}
	return r.Ref + " (" + c + ")"
}

// Counts counts objects by what happens to them.
type Counts struct {
	Added   int `json:"added"`
	Removed int `json:"removed"`
	Changed int `json:"changed"`
}

// Total is the number of objects that differ.
func (c Counts) Total() int { return c.Added + c.Removed + c.Changed }

func (c *Counts) add(op Op) {
	switch op {
	case Added:
		c.Added++
	case Removed:
		c.Removed++
	case Changed:
		c.Changed++
	}
}

// ClusterCounts counts one cluster's changed objects.
type ClusterCounts struct {
	Name string `json:"name"`
	Counts
}

// Row counts the changed objects of one kind of one tenant (empty for the cluster's own
// objects) in one cluster.
type Row struct {
	Cluster string `json:"cluster"`
	Tenant  string `json:"tenant"`
	Kind    string `json:"kind"`
	Counts
}

// ObjectRef identifies an object in a cluster. Group, Kind, Namespace and Name are its
// identity; APIVersion is the head's (the base's for a removed object).
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Group      string `json:"group"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// String is "Kind namespace/name", or "Kind name" for a cluster-scoped object.
func (o ObjectRef) String() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// Change is one object that differs between the revisions.
type Change struct {
	Cluster string `json:"cluster"`
	// Tenant is the tenant whose declarations the object was compiled from; empty for
	// the cluster's own objects (its Flux bootstrap).
	Tenant string `json:"tenant"`
	Op     Op     `json:"op"`
	ObjectRef
	// Fields are the differing fields of a changed object, in the object's order.
	Fields []Field `json:"fields,omitempty"`
	// Object is the whole object: the head's when added, the base's when removed.
	Object map[string]any `json:"object,omitempty"`
	// Replaces, on an added object named after its content (a PipelineVersion), names
	// the removed object it takes the place of; Fields then say what differs between
	// them. ReplacedBy, on that removed object, names the added one.
	Replaces   string `json:"replaces,omitempty"`
	ReplacedBy string `json:"replacedBy,omitempty"`

	// before and after are the object in the base and in the head, nil where absent.
	before, after map[string]any
}

// current is the object as the head has it, or as the base had it when removed.
func (c *Change) current() map[string]any {
	if c.after != nil {
		return c.after
	}
	return c.before
}

// Field is one difference inside a changed object.
//
// Path names the field from the object's root: map keys joined by dots, a key that is
// not a plain word quoted in brackets (limits["nvidia.com/gpu"]), an item of a list of
// named items (containers, env, volumes, volumeMounts, ...) by its name
// (containers[name=main]), an item of any other list by its index (tolerations[0]).
// Lists of plain values are compared whole. A named list whose items only changed
// order is one changed field whose values are the lists of names.
type Field struct {
	Path string `json:"path"`
	Op   Op     `json:"op"`
	// Old is the base's value, absent when added.
	Old any `json:"old,omitempty"`
	// New is the head's value, absent when removed.
	New any `json:"new,omitempty"`

	steps path
}

// Callout is a change that a rule (see Rules) says reviewers must see.
type Callout struct {
	// Rule is the rule's stable identifier: data, access, quota, gpu, traffic, image or
	// model.
	Rule string `json:"rule"`
	// Title says in a few words what the rule watches.
	Title   string `json:"title"`
	Cluster string `json:"cluster"`
	Tenant  string `json:"tenant"`
	// Op is what happens to the object.
	Op Op `json:"op"`
	ObjectRef
	// Replaces names the object an added version replaces (see Change.Replaces); its
	// Fields are then what differs between the two.
	Replaces string `json:"replaces,omitempty"`
	// Fields are the differing fields the rule matched, down to single values; empty
	// for a rule about whole objects.
	Fields []Field `json:"fields,omitempty"`
	// Note adds what the rule knows about the object, such as the user and role of a
	// contributor's binding.
	Note string `json:"note,omitempty"`
}
