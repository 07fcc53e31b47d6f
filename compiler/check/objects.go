package check

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// objectOwner is a declaration, or Kubeflow itself, and the objects it gives rise to in
// the tenant's namespace.
type objectOwner struct {
	// section is the declaration's field of the tenant (empty for Kubeflow's own
	// objects), declared its name there and name its name in Kubernetes. Two declarations
	// of one section with one name are uniqueNames' to report.
	section, declared, name string
	// kind says what the declaration is: "notebook", "serving endpoint", ...
	kind    string
	objects []names.Derived
}

// what names the declaration in messages.
func (o objectOwner) what() string { return o.kind + " " + o.name }

// field is the declaration's path.
func (o objectOwner) field() string { return model.Path(o.section, o.declared) }

// objectRef is one object of an owner: owners[owner].objects[index].
type objectRef struct{ owner, index int32 }

// kindIndex holds the objects of one kind: by name, and the series by their start.
type kindIndex struct {
	names  map[string]objectRef
	series map[string][]objectRef
	count  int
}

// objectCollisions reports two declarations that give rise to the same object in the
// tenant's namespace (by mlc or by the controllers that run what mlc writes): the second
// to be applied would fail, or take the first one's object over. The error is at the
// later of the two declarations and names the other.
func (r *reporter) objectCollisions(p *model.Platform, d *model.Declarations, targets []trainingTarget) {
	owners := r.objectOwners(p, d, targets)
	kinds := map[string]*kindIndex{}
	for i, o := range owners {
		for j, obj := range o.objects {
			x := kinds[obj.Kind]
			if x == nil {
				x = &kindIndex{series: map[string][]objectRef{}}
				kinds[obj.Kind] = x
			}
			if obj.Series != nil {
				x.series[obj.Name] = append(x.series[obj.Name], objectRef{int32(i), int32(j)})
			} else {
				x.count++
			}
		}
	}
	for _, x := range kinds {
		x.names = make(map[string]objectRef, x.count)
	}
	reported := map[[2]int32]bool{}
	clash := func(a, b objectRef, name string) {
		pair := [2]int32{min(a.owner, b.owner), max(a.owner, b.owner)}
		oa, ob := owners[a.owner], owners[b.owner]
		if a.owner == b.owner || reported[pair] || (oa.section == ob.section && oa.name == ob.name) {
			return
		}
		reported[pair] = true
		r.reportCollision(oa, ob, oa.objects[a.index], ob.objects[b.index], name)
	}
	for i, o := range owners {
		for j, obj := range o.objects {
			if obj.Series != nil {
				continue
			}
			x, ref := kinds[obj.Kind], objectRef{int32(i), int32(j)}
			if first, ok := x.names[obj.Name]; ok {
				clash(first, ref, obj.Name)
			} else {
				x.names[obj.Name] = ref
			}
			if len(x.series) == 0 {
				continue
			}
			// A series <start>-<suffix> holds this name if it starts so.
			for k := strings.IndexByte(obj.Name, '-'); k >= 0; k = nextDash(obj.Name, k) {
				for _, s := range x.series[obj.Name[:k]] {
					if owners[s.owner].objects[s.index].Series.MatchString(obj.Name[k+1:]) {
						clash(s, ref, obj.Name)
					}
				}
			}
		}
	}
}

// nextDash returns the index of the next '-' in s after i, or -1.
func nextDash(s string, i int) int {
	if k := strings.IndexByte(s[i+1:], '-'); k >= 0 {
		return i + 1 + k
	}
	return -1
}

// reportCollision reports that owners a and b both give rise to the object name of
// a's object's kind, at the later of the two declarations.
func (r *reporter) reportCollision(a, b objectOwner, objA, objB names.Derived, name string) {
	if a.section == "" {
		r.errorf(b.field(), "%s %s of %s would be the one %s keeps: rename the %s", objB.Kind, name, b.what(), objA.By, b.kind)
		return
	}
	posA, posB := r.locate(a.field()), r.locate(b.field())
	if comparePositions(posA, posB) > 0 {
		a, b, objA, objB, posA = b, a, objB, objA, posB
	}
	r.errorf(b.field(), "%s %s of %s and of %s (%s) would be one object: %s makes one, %s the other; rename one of them",
		objB.Kind, name, b.what(), a.what(), posA, objB.By, objA.By)
}

// comparePositions orders positions by file, line and column.
func comparePositions(a, b diag.Position) int {
	return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
}

// objectOwners lists Kubeflow's own objects and the tenant's declarations that give
// rise to objects in its namespace, in a fixed order.
func (r *reporter) objectOwners(p *model.Platform, d *model.Declarations, targets []trainingTarget) []objectOwner {
	owners := []objectOwner{{kind: "Kubeflow", objects: names.KubeflowObjects()}}
	tenant := ""
	if d.Tenant != nil {
		tenant = d.Tenant.Name
	}
	owners = slices.Grow(owners, len(d.Notebooks)+len(d.Serving)+len(d.Training)+len(d.Experiments)+len(d.Pipelines))
	add := func(section, declared, kind string, objects func(name string) []names.Derived) {
		name := model.NormalizeName(declared)
		if objs := objects(name); len(objs) > 0 {
			owners = append(owners, objectOwner{section: section, declared: declared, name: name, kind: kind, objects: objs})
		}
	}
	for _, declared := range slices.Sorted(maps.Keys(d.Notebooks)) {
		add("notebooks", declared, "notebook", func(name string) []names.Derived {
			return names.NotebookObjects(tenant, name, d.Notebooks[declared])
		})
	}
	for _, declared := range slices.Sorted(maps.Keys(d.Serving)) {
		add("servingEndpoints", declared, "serving endpoint", func(name string) []names.Derived {
			return names.EndpointObjects(p, name, d.Serving[declared])
		})
	}
	for _, declared := range slices.Sorted(maps.Keys(d.Training)) {
		add("trainingJobs", declared, "training job", func(name string) (objs []names.Derived) {
			for _, t := range targets {
				objs = append(objs, names.TrainingObjects(p, t.TrainingTarget, name, d.Training[declared])...)
			}
			return objs
		})
	}
	for _, declared := range slices.Sorted(maps.Keys(d.Experiments)) {
		add("experiments", declared, "experiment", func(name string) (objs []names.Derived) {
			for _, t := range targets {
				objs = append(objs, names.ExperimentObjects(t.TrainingTarget, name, d.Experiments[declared])...)
			}
			return objs
		})
	}
	for _, declared := range slices.Sorted(maps.Keys(d.Pipelines)) {
		add("pipelines", declared, "pipeline", func(name string) []names.Derived {
			return names.PipelineObjects(name, d.Pipelines[declared])
		})
	}
	for _, o := range []struct {
		section, kind, objectKind string
		declared                  []string
	}{
		{"serviceAccounts", "service account", "ServiceAccount", slices.Sorted(maps.Keys(d.ServiceAccounts))},
		{"volumes", "volume", "PersistentVolumeClaim", slices.Sorted(maps.Keys(d.Volumes))},
	} {
		for _, declared := range o.declared {
			add(o.section, declared, o.kind, func(name string) []names.Derived {
				return []names.Derived{{Kind: o.objectKind, Name: name, By: "mlc (" + o.kind + " " + declared + ")"}}
			})
		}
	}
	// A ConfigMap is named as declared, as env and volumes name it.
	for _, declared := range slices.Sorted(maps.Keys(d.ConfigMaps)) {
		owners = append(owners, objectOwner{section: "configMaps", declared: declared, name: declared, kind: "ConfigMap",
			objects: []names.Derived{{Kind: "ConfigMap", Name: declared, By: "mlc (ConfigMap " + declared + ")"}}})
	}
	return owners
}
