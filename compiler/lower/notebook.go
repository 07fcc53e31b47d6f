package lower

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// Annotations and values of Kubeflow's notebook controller and web app.
const (
	serverTypeAnnotation   = "notebooks.kubeflow.org/server-type"
	creatorAnnotation      = "notebooks.kubeflow.org/creator"
	rewriteURIAnnotation   = "notebooks.kubeflow.org/http-rewrite-uri"
	headersSetAnnotation   = "notebooks.kubeflow.org/http-headers-request-set"
	stoppedAnnotation      = "kubeflow-resource-stopped"
	fluxPruneAnnotation    = "kustomize.toolkit.fluxcd.io/prune"
	notebookServiceAccount = "default-editor"
	// stoppedSince is the value of the stop annotation. The controller only checks that
	// the annotation is there; a fixed time keeps the output the same from day to day.
	stoppedSince = "1970-01-01T00:00:00Z"
)

// serverTypes maps a notebook type to the web app's server-type annotation value.
var serverTypes = map[string]string{"jupyterlab": "jupyter", "vscode": "group-one", "rstudio": "group-two"}

// notebook compiles a notebook server to its Notebook and the claims of its new volumes.
func notebook(p *model.Platform, t *model.Tenant, declared string, nb model.Notebook) []manifest.Object {
	name := model.NormalizeName(declared)
	source := model.Path("notebooks", declared)
	var objs []manifest.Object
	var volumes, mounts []any
	addVolume := func(volName, claim, mountPath string, readOnly bool) {
		vol := map[string]any{"name": volName, "persistentVolumeClaim": map[string]any{"claimName": claim}}
		mount := map[string]any{"name": volName, "mountPath": mountPath}
		if readOnly {
			vol["persistentVolumeClaim"].(map[string]any)["readOnly"] = true
			mount["readOnly"] = true
		}
		volumes = append(volumes, vol)
		mounts = append(mounts, mount)
	}
	if nb.WorkspaceEnabled() {
		claim := names.WorkspaceClaimName(name)
		ws := nb.Workspace
		objs = append(objs, claimObject(p, claim, t.Name, source+".workspace", p.WorkspaceSize(nb), ws.StorageClass, ws.AccessMode, ws.KeepOnDelete == nil || *ws.KeepOnDelete))
		addVolume(claim, claim, names.WorkspaceMountPath, false)
	}
	for _, key := range slices.Sorted(maps.Keys(nb.DataVolumes)) {
		dv := nb.DataVolumes[key]
		claim := dv.ExistingClaim
		if dv.Volume != "" {
			claim = claimOf(dv.Volume)
		}
		if claim == "" {
			claim = names.DataVolumeClaimName(name, key)
			objs = append(objs, claimObject(p, claim, t.Name, source+"."+model.Path("dataVolumes", key), dv.Size, dv.StorageClass, dv.AccessMode, dv.KeepOnDelete))
		}
		addVolume(claim, claim, dv.MountPath, dv.ReadOnly)
	}
	if nb.SHM {
		volumes = append(volumes, map[string]any{"name": "dshm", "emptyDir": map[string]any{"medium": "Memory"}})
		mounts = append(mounts, map[string]any{"name": "dshm", "mountPath": names.SHMMountPath})
	}

	cpu, memory := p.NotebookRequests(nb)
	factor := p.Defaults.Notebook.LimitFactor
	requests := map[string]any{"cpu": cpu, "memory": memory}
	limits := map[string]any{"cpu": scaleQuantity(cpu, factor), "memory": scaleQuantity(memory, factor)}
	gpuLimits, podSpec := gpuScheduling(p, nb.Resources)
	podSpec["serviceAccountName"] = notebookServiceAccount
	if nb.ServiceAccount != "" {
		podSpec["serviceAccountName"] = nb.ServiceAccount
	}
	maps.Copy(limits, gpuLimits)
	container := map[string]any{
		"name":            name,
		"image":           p.ResolveImage(nb.Image),
		"imagePullPolicy": nb.ImagePullPolicy,
		"resources":       map[string]any{"requests": requests, "limits": limits},
	}
	if env := envVars(nb.Env); len(env) > 0 {
		container["env"] = env
	}
	if len(mounts) > 0 {
		container["volumeMounts"] = mounts
		podSpec["volumes"] = volumes
	}
	podSpec["containers"] = []any{container}

	labels := map[string]string{}
	maps.Copy(labels, nb.Labels)
	labels["app"] = name
	for _, pd := range nb.PodDefaults {
		labels[model.NormalizeName(pd)] = "true"
	}
	annotations := map[string]string{}
	maps.Copy(annotations, nb.Annotations)
	annotations[serverTypeAnnotation] = serverTypes[nb.Type]
	annotations[creatorAnnotation] = t.Owner
	switch nb.Type {
	case "vscode":
		annotations[rewriteURIAnnotation] = "/"
	case "rstudio":
		annotations[rewriteURIAnnotation] = "/"
		annotations[headersSetAnnotation] = `{"X-RStudio-Root-Path":"/notebook/` + t.Name + "/" + name + `/"}`
	}
	if nb.Stopped {
		annotations[stoppedAnnotation] = stoppedSince
	}
	objs = append(objs, manifest.Object{
		Source: source,
		Content: map[string]any{
			"apiVersion": "kubeflow.org/v1",
			"kind":       "Notebook",
			"metadata":   metadata(name, t.Name, labels, annotations),
			"spec":       map[string]any{"template": map[string]any{"spec": podSpec}},
		},
	})
	return objs
}

// claimObject is a PersistentVolumeClaim as the spawner writes it. A claim to keep is
// marked so that Flux never prunes it, and its data outlives the declaration.
func claimObject(p *model.Platform, name, ns, source, size, storageClass, accessMode string, keep bool) manifest.Object {
	if storageClass == "" {
		storageClass = p.Defaults.StorageClass
	}
	spec := map[string]any{
		"accessModes": []any{accessMode},
		"resources":   map[string]any{"requests": map[string]any{"storage": size}},
	}
	if storageClass != "" {
		spec["storageClassName"] = storageClass
	}
	var annotations map[string]string
	if keep {
		annotations = map[string]string{fluxPruneAnnotation: "disabled"}
	}
	return manifest.Object{
		Source: source,
		Content: map[string]any{
			"apiVersion": "v1",
			"kind":       "PersistentVolumeClaim",
			"metadata":   metadata(name, ns, nil, annotations),
			"spec":       spec,
		},
	}
}

func tolerations(ts []model.Toleration) []any {
	out := make([]any, 0, len(ts))
	for _, t := range ts {
		m := map[string]any{}
		for k, v := range map[string]string{"key": t.Key, "operator": t.Operator, "value": t.Value, "effect": t.Effect} {
			if v != "" {
				m[k] = v
			}
		}
		if t.TolerationSeconds != nil {
			m["tolerationSeconds"] = *t.TolerationSeconds
		}
		out = append(out, m)
	}
	return out
}

// scaleQuantity multiplies a quantity by the spawner's limit factor, keeping its suffix
// and rounding to one decimal as the spawner does ("16Gi" × 1.2 = "19.2Gi"; "500m" gives
// whole millicores). Where that rounding would give less than the request (tiny values),
// the exact product is used, so a limit is never below its request.
func scaleQuantity(q string, factor float64) string {
	if factor == 1 {
		return q
	}
	req, err := resource.ParseQuantity(q)
	if err != nil {
		return q
	}
	i := strings.IndexFunc(q, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, suffix := q, ""
	if i >= 0 {
		num, suffix = q[:i], q[i:]
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return q
	}
	scaled := math.Round(v*factor*10) / 10
	if suffix == "m" {
		scaled = math.Round(v * factor)
	}
	out := strconv.FormatFloat(scaled, 'f', -1, 64) + suffix
	if lim, err := resource.ParseQuantity(out); err == nil && lim.Cmp(req) >= 0 {
		return out
	}
	if req.Value() < 1000 { // cores: in millicores
		return resource.NewMilliQuantity(int64(math.Ceil(float64(req.MilliValue())*factor)), resource.DecimalSI).String()
	}
	return strconv.FormatInt(int64(math.Ceil(float64(req.Value())*factor)), 10) // bytes
}
