package check

import (
	"maps"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// maxEndpointName keeps an endpoint's Knative names within DNS label length: KServe
// names the predictor's revisions <name>-predictor-00001.
const maxEndpointName = 63 - len("-predictor-00001")

// storageSchemes are the storage URI schemes KServe's storage initializer reads.
var storageSchemes = []string{"s3://", "gs://", "https://", "http://", "pvc://", "hf://", "oci://", "hdfs://", "webhdfs://"}

// runtimeIndex is every serving runtime an endpoint of the tenant can use: the tenant's
// own first, then the cluster's, as KServe prefers them.
type runtimeIndex struct {
	tenant  map[string]model.RuntimeSupport
	cluster map[string]model.RuntimeSupport
}

func (x runtimeIndex) lookup(name string) (model.RuntimeSupport, bool) {
	if rt, ok := x.tenant[model.NormalizeName(name)]; ok {
		return rt, true
	}
	rt, ok := x.cluster[name]
	return rt, ok
}

// servingRuntimes checks the tenant's own runtimes and indexes them with the cluster's.
func (r *reporter) servingRuntimes(p *model.Platform, rts map[string]model.ServingRuntime) runtimeIndex {
	x := runtimeIndex{tenant: map[string]model.RuntimeSupport{}, cluster: p.Defaults.ServingRuntimes}
	for _, declared := range slices.Sorted(maps.Keys(rts)) {
		rt := rts[declared]
		path := model.Path("servingRuntimes", declared)
		r.dnsLabel(path, model.NormalizeName(declared), "serving runtime name", 63)
		r.image(path+".image", rt.Image, p.Policy.AllowedRegistries)
		r.containerResources(path+".resources", rt.Resources)
		x.tenant[model.NormalizeName(declared)] = model.RuntimeSupport{Formats: rt.Formats, Protocols: rt.Protocols}
	}
	r.uniqueNames("servingRuntimes", slices.Collect(maps.Keys(rts)))
	return x
}

// serves reports whether a runtime serves a format (at a version, when one is asked for)
// over a protocol; with autoSelect, only if KServe may pick it by itself.
func serves(rt model.RuntimeSupport, format, version, protocol string, autoSelect bool) (formatOK, protocolOK bool) {
	for _, f := range rt.Formats {
		if f.Name == format && (version == "" || f.Version == version) && (!autoSelect || f.Selectable()) {
			formatOK = true
		}
	}
	// KServe treats a runtime that lists no protocols as serving every one.
	protocolOK = len(rt.Protocols) == 0 || slices.Contains(rt.Protocols, protocol)
	return formatOK, protocolOK
}

// servingEndpoint checks one endpoint and returns its worst-case usage: every replica
// at its requests, twice over while a canary runs beside the revision serving now.
func (r *reporter) servingEndpoint(p *model.Platform, declared string, ep model.ServingEndpoint, runtimes runtimeIndex, mustBound bool) (usage, *basis) {
	path := model.Path("servingEndpoints", declared)
	name := model.NormalizeName(declared)
	if r.dnsLabel(path, name, "serving endpoint name", maxEndpointName) && (name[0] < 'a' || name[0] > 'z') {
		r.errorf(path, "serving endpoint name %q must start with a letter (KServe names are DNS-1035 labels)", name)
	}
	mode := p.ServingMode(ep)
	serverless := mode == "serverless"
	r.labels(path+".labels", ep.Labels)
	r.annotations(path+".annotations", ep.Annotations)

	switch {
	case ep.Model != nil && ep.Container != nil:
		r.errorf(path, "declare either model or container, not both")
	case ep.Model == nil && ep.Container == nil:
		r.errorf(path, "declare what to serve: model (a format and storageUri) or container (a custom model server)")
	case ep.Model != nil:
		r.servedModel(path+".model", ep.Model, runtimes)
	case ep.Container != nil:
		r.servingContainer(p, path+".container", *ep.Container)
	}
	for _, c := range []struct {
		field string
		c     *model.ServingContainer
	}{{"transformer", ep.Transformer}, {"explainer", ep.Explainer}} {
		if c.c != nil {
			r.servingContainer(p, path+"."+c.field, *c.c)
		}
	}

	if c := ep.Canary; c != nil {
		cpath := path + ".canary"
		if !serverless {
			r.errorf(cpath, "a canary needs serverless mode: KServe splits traffic between Knative revisions, and raw deployments have one")
		}
		switch {
		case ep.Model != nil && c.Image != "":
			r.errorf(cpath+".image", "a model endpoint's canary is a new storageUri, not an image")
		case ep.Model != nil && c.StorageURI == "":
			r.errorf(cpath, "set canary.storageUri: the model version that takes part of the traffic")
		case ep.Model != nil:
			r.storageURI(cpath+".storageUri", c.StorageURI)
			if c.StorageURI == ep.Model.StorageURI {
				r.errorf(cpath+".storageUri", "the canary serves the same model as the endpoint (%s); point it at the new version", c.StorageURI)
			}
		case ep.Container != nil && c.StorageURI != "":
			r.errorf(cpath+".storageUri", "a custom container endpoint's canary is a new image, not a storageUri")
		case ep.Container != nil && c.Image == "":
			r.errorf(cpath, "set canary.image: the server version that takes part of the traffic")
		case ep.Container != nil:
			r.image(cpath+".image", c.Image, p.Policy.AllowedRegistries)
		}
	}

	// Scale.
	var minR, maxR *int64
	if ep.Replicas != nil {
		minR, maxR = ep.Replicas.Min, ep.Replicas.Max
	}
	if minR != nil && maxR != nil && *minR > *maxR {
		r.errorf(path+".replicas", "min (%d) is more than max (%d)", *minR, *maxR)
	}
	if minR != nil && *minR == 0 && !serverless {
		r.errorf(path+".replicas.min", "scaling to zero needs serverless mode; a raw deployment keeps at least one replica")
	}
	if a := ep.Autoscaling; a != nil {
		metrics := map[string][]string{"serverless": {"concurrency", "rps"}, "raw": {"cpu", "memory"}}[mode]
		if !slices.Contains(metrics, a.Metric) {
			r.errorf(path+".autoscaling.metric", "%s mode scales on %s, not %s", mode, strings.Join(metrics, " or "), a.Metric)
		}
		if (a.Metric == "cpu" || a.Metric == "memory") && a.Target > 100 {
			r.errorf(path+".autoscaling.target", "a %s target is a utilisation percentage: at most 100 (got %d)", a.Metric, a.Target)
		}
	}
	if l := ep.Logging; l != nil && !strings.HasPrefix(l.URL, "http://") && !strings.HasPrefix(l.URL, "https://") {
		r.errorf(path+".logging.url", "%q is not an http(s) URL of a CloudEvents sink", l.URL)
	}

	// Resources and the worst case.
	res := ep.Resources
	if ep.Container != nil && res.CPU == "" && res.Memory == "" {
		res.CPU, res.Memory = ep.Container.Resources.CPU, ep.Container.Resources.Memory
	}
	perReplica := r.requests(p, path+".resources", res, p.Defaults.Serving)
	if res.GPU > 0 {
		r.gpu(p, path+".resources", res.GPUType)
	}
	if maxR == nil {
		if mustBound {
			r.errorf(path+".replicas", "set replicas.max: the tenant has a quota, and an endpoint without a maximum could scale past it")
		}
		return usage{}, nil
	}
	replicas := *maxR
	if ep.Canary != nil && serverless {
		replicas *= 2
	}
	u := perReplica.times(replicas)
	b := &basis{n: *maxR, unit: "replicas (replicas.max)", per: perReplica, doubled: replicas != *maxR}
	for _, c := range []*model.ServingContainer{ep.Transformer, ep.Explainer} {
		if c != nil {
			extra := r.requests(p, "", c.Resources, p.Defaults.Serving).times(*maxR)
			u.add(extra)
			b.extra.add(extra)
		}
	}
	return u, b
}

// servedModel checks the model's storage and that a runtime serves its format over its
// protocol: the named runtime, or one KServe can pick.
func (r *reporter) servedModel(path string, m *model.ServedModel, runtimes runtimeIndex) {
	r.storageURI(path+".storageUri", m.StorageURI)
	if m.RuntimeVersion != "" {
		r.imageTag(path+".runtimeVersion", m.RuntimeVersion)
	}
	proto := m.ProtocolVersion()
	what := m.Format
	if m.Version != "" {
		what += " " + m.Version
	}
	if m.Runtime != "" {
		rt, ok := runtimes.lookup(m.Runtime)
		if !ok {
			r.errorf(path+".runtime", "no serving runtime %q: the cluster's are %s; declare your own in servingRuntimes", m.Runtime, keyList(runtimes.cluster))
			return
		}
		formatOK, protoOK := serves(rt, m.Format, m.Version, proto, false)
		if !formatOK {
			r.errorf(path+".runtime", "runtime %s cannot serve %s models (it serves %s)", m.Runtime, what, formatList(rt))
		} else if !protoOK {
			r.errorf(path+".protocol", "runtime %s does not speak protocol %s (it speaks %s)", m.Runtime, proto, strings.Join(rt.Protocols, ", "))
		}
		return
	}
	var forFormat []string
	for _, x := range []map[string]model.RuntimeSupport{runtimes.tenant, runtimes.cluster} {
		for _, name := range slices.Sorted(maps.Keys(x)) {
			formatOK, protoOK := serves(x[name], m.Format, m.Version, proto, true)
			if formatOK && protoOK {
				return
			}
			if formatOK {
				forFormat = append(forFormat, name+" ("+strings.Join(x[name].Protocols, ", ")+")")
			}
		}
	}
	if len(forFormat) > 0 {
		r.errorf(path+".protocol", "no serving runtime speaks protocol %s for %s models; these serve the format: %s", proto, what, strings.Join(forFormat, "; "))
		return
	}
	r.errorf(path+".format", "no serving runtime serves %s models: name one in model.runtime, or declare one in servingRuntimes", what)
}

func formatList(rt model.RuntimeSupport) string {
	var out []string
	for _, f := range rt.Formats {
		s := f.Name
		if f.Version != "" {
			s += " " + f.Version
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

// storageURI checks that a model location has a scheme KServe can read.
func (r *reporter) storageURI(path, uri string) {
	for _, s := range storageSchemes {
		if rest, ok := strings.CutPrefix(uri, s); ok {
			if rest == "" {
				r.errorf(path, "%q names no bucket, claim or repository after the scheme", uri)
			}
			if s == "pvc://" {
				claim, _, _ := strings.Cut(rest, "/")
				r.dnsLabel(path, claim, "claim name in "+uri, 63)
			}
			return
		}
	}
	if i := strings.Index(uri, "://"); i > 0 {
		r.errorf(path, "KServe cannot read %s:// storage; use one of %s", uri[:i], strings.Join(storageSchemes, " "))
		return
	}
	r.errorf(path, "storage URI %q has no scheme: write it as s3://bucket/path, gs://..., pvc://claim/path, hf://org/model, oci://... or https://...", uri)
}

func (r *reporter) servingContainer(p *model.Platform, path string, c model.ServingContainer) {
	r.image(path+".image", c.Image, p.Policy.AllowedRegistries)
	r.containerResources(path+".resources", model.Resources{CPU: c.Resources.CPU, Memory: c.Resources.Memory})
}

// containerResources checks declared quantities.
func (r *reporter) containerResources(path string, res model.Resources) {
	if res.CPU != "" {
		r.quantity(path+".cpu", string(res.CPU))
	}
	if res.Memory != "" {
		r.quantity(path+".memory", res.Memory)
	}
}

// requests returns what one replica requests, with the serving defaults for what it
// leaves unset.
func (r *reporter) requests(p *model.Platform, path string, res model.Resources, d model.ServingDefaults) usage {
	u := usage{pods: 1}
	cpu, memory := string(res.CPU), res.Memory
	if cpu == "" {
		cpu = string(d.CPU)
	} else if path != "" {
		r.quantity(path+".cpu", cpu)
	}
	if memory == "" {
		memory = d.Memory
	} else if path != "" {
		r.quantity(path+".memory", memory)
	}
	if q, err := parseQuantity(cpu); err == nil {
		u.cpu = q
	}
	if q, err := parseQuantity(memory); err == nil {
		u.memory = q
	}
	u.gpu = res.GPU
	return u
}
