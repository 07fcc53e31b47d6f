package check

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/internal/credential"
)

// secrets checks how the tenant's declarations pass values to containers: every env
// (of every kind: notebooks, PodDefaults, serving, training, experiments, pipeline
// steps) names valid variables and valid Secret and ConfigMap keys, and no credential
// is written as a plain value anywhere: not in an env var named like one, a pipeline
// parameter's default, a schedule's parameter or a step's constant input named like one,
// and no token of a well-known shape nor a URI with user info in any string. The
// declarations are walked whole, so that a field added later is checked too.
func (r *reporter) secrets(p *model.Platform, d *model.Declarations) {
	w := &secretWalker{r: r, allowed: p.Policy.LiteralCredentialsAllowed(), configMaps: d.ConfigMaps, declared: d.Secrets}
	w.walk(reflect.ValueOf(d).Elem())
}

// platformSecrets looks for credentials in the platform's own settings (a registry or
// API endpoint with a password, a token in a default).
func (r *reporter) platformSecrets(p *model.Platform) {
	w := &secretWalker{r: r, allowed: p.Policy.LiteralCredentialsAllowed()}
	w.walk(reflect.ValueOf(p).Elem())
}

// secretWalker visits every value of a declaration, keeping the CUE path it is at.
type secretWalker struct {
	r *reporter
	// allowed is set when the platform lowers literal credentials to warnings.
	allowed bool
	// steps are the path so far, written out only for a finding.
	steps []walkStep
	// configMaps are the tenant's, by name, whose keys env references must name.
	configMaps map[string]model.ConfigMap
	// declared are the tenant's own Secrets, whose keys references must name.
	declared map[string]model.Secret
}

// walkStep is a field, a map key (quoted when need be) or a list index.
type walkStep struct {
	name  string
	index int // -1 for a field or key
}

func (w *secretWalker) path() string {
	var b strings.Builder
	for i, s := range w.steps {
		switch {
		case s.index >= 0:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case i > 0:
			b.WriteString("." + model.Path(s.name))
		default:
			b.WriteString(model.Path(s.name))
		}
	}
	return b.String()
}

func (w *secretWalker) push(name string) { w.steps = append(w.steps, walkStep{name: name, index: -1}) }
func (w *secretWalker) pushIndex(i int)  { w.steps = append(w.steps, walkStep{index: i}) }
func (w *secretWalker) pop()             { w.steps = w.steps[:len(w.steps)-1] }

// jsonField is a struct field the walk visits, by the name CUE has for it.
type jsonField struct {
	index int
	name  string
}

var jsonFields sync.Map // reflect.Type → []jsonField

// fieldsOf are the fields of a struct type that decode from CUE.
func fieldsOf(t reflect.Type) []jsonField {
	if f, ok := jsonFields.Load(t); ok {
		return f.([]jsonField)
	}
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "-" && name != "" {
			out = append(out, jsonField{i, name})
		}
	}
	jsonFields.Store(t, out)
	return out
}

var (
	envMapType     = reflect.TypeFor[map[string]model.EnvValue]()
	rawMessageType = reflect.TypeFor[json.RawMessage]()
	parameterType  = reflect.TypeFor[model.PipelineParameter]()
	bindingType    = reflect.TypeFor[model.Binding]()
	// configMapDataType are a ConfigMap's values, whose keys name them as env's names do.
	configMapDataType = reflect.TypeFor[model.ConfigMapData]()
)

// walk visits v and everything in it: env maps as a whole, values written in any type
// (json.RawMessage) by what they hold, every other string as a possible credential.
func (w *secretWalker) walk(v reflect.Value) {
	switch {
	case v.Type() == envMapType:
		w.env(v.Interface().(map[string]model.EnvValue))
		return
	case v.Type() == rawMessageType:
		w.raw(v.Bytes())
		return
	case v.Type() == configMapDataType:
		w.configMapData(v.Interface().(model.ConfigMapData))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			w.walk(v.Elem())
		}
	case reflect.Struct:
		for _, f := range fieldsOf(v.Type()) {
			w.push(f.name)
			w.walk(v.Field(f.index))
			w.pop()
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String || v.Len() == 0 {
			return
		}
		type entry struct {
			key   string
			value reflect.Value
		}
		entries := make([]entry, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			entries = append(entries, entry{it.Key().String(), it.Value()})
		}
		slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
		for _, e := range entries {
			w.push(e.key)
			w.named(e.key, e.value)
			w.walk(e.value)
			w.pop()
		}
	case reflect.Slice:
		for i := range v.Len() {
			w.pushIndex(i)
			w.walk(v.Index(i))
			w.pop()
		}
	case reflect.String:
		w.literal(v.String())
	case reflect.Interface: // a raw object's values
		if !v.IsNil() {
			w.walk(v.Elem())
		}
	}
}

// named checks the values that take their meaning from their name: a pipeline
// parameter's default, a step's constant input, a schedule's parameter.
func (w *secretWalker) named(name string, v reflect.Value) {
	switch v.Type() {
	case parameterType:
		w.push("default")
		w.namedValue(name, v.Interface().(model.PipelineParameter).Default, "parameter %s looks like a credential, and its default would be in the repository, the pipeline spec and every run's record: "+
			"give it no default, and have the steps that need it read a Secret (env: NAME: secret: {name: \"...\", key: \"...\"})")
		w.pop()
	case bindingType:
		w.push("value")
		w.namedValue(name, v.Interface().(model.Binding).Value, "input %s looks like a credential, and this constant would be in the repository and the pipeline spec: "+
			"have the step read a Secret instead (env: NAME: secret: {name: \"...\", key: \"...\"})")
		w.pop()
	case rawMessageType:
		w.namedValue(name, json.RawMessage(v.Bytes()), "parameter %s looks like a credential, and this value would be in the repository, the schedule's CronJob and every run's record: "+
			"have the steps that need it read a Secret instead (env: NAME: secret: {name: \"...\", key: \"...\"})")
	}
}

// namedValue reports a plain value given to something named like a credential.
func (w *secretWalker) namedValue(name string, raw json.RawMessage, format string) {
	if len(raw) == 0 || !credential.SecretName(name) {
		return
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return
	}
	switch x := v.(type) {
	case string:
		if x == "" {
			return
		}
	case float64:
	default:
		return
	}
	w.credential(format, name)
}

// raw looks into a value of any type written by the user (a default, a constant).
func (w *secretWalker) raw(b json.RawMessage) {
	if len(b) == 0 {
		return
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return
	}
	w.plain(v)
}

func (w *secretWalker) plain(v any) {
	switch x := v.(type) {
	case string:
		w.literal(x)
	case []any:
		for i, e := range x {
			w.pushIndex(i)
			w.plain(e)
			w.pop()
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			w.push(k)
			w.plain(x[k])
			w.pop()
		}
	}
}

// literal reports a string that holds a token of a well-known shape or a URI whose user
// info holds a credential.
func (w *secretWalker) literal(s string) {
	if what, ok := credential.Token(s); ok {
		w.credential("holds what looks like %s, which would be in the repository and in the rendered manifests: "+
			"keep it in a Secret, and have the container read it (env: NAME: secret: {name: \"...\", key: \"...\"})", what)
		return
	}
	if uri, ok := credential.UserInfo(s); ok {
		w.credential("the user info of %s... holds a credential, which would be in the repository and in the rendered manifests: "+
			"remove it from the URI, and %s", uri, w.credentialsVia())
		return
	}
	if name, ok := credential.QueryParam(s); ok {
		w.credential("the URI's query parameter %s holds a credential (a token, key or signature), which would be in the repository and in the rendered manifests: "+
			"remove it from the URI, and %s", name, w.credentialsVia())
	}
}

// credentialsVia says how the field's reader takes credentials instead of a URI's.
func (w *secretWalker) credentialsVia() string {
	path := w.path()
	switch {
	case strings.HasPrefix(path, "servingEndpoints.") && strings.HasSuffix(path, ".storageUri"):
		return "give KServe the credentials through the endpoint's serviceAccount and its Secret"
	case strings.HasSuffix(path, ".dataset.storageUri") || strings.HasSuffix(path, ".model.storageUri"):
		return "give the initializer the credentials through its secret"
	}
	return "have the container read them from a Secret (env: NAME: secret: {name: \"...\", key: \"...\"})"
}

// env checks a container's variables: valid names, one source for a reference, valid
// Secret and ConfigMap names and keys, and no credential as a plain value.
func (w *secretWalker) env(env map[string]model.EnvValue) {
	for _, k := range slices.Sorted(maps.Keys(env)) {
		v := env[k]
		w.push(k)
		if errs := validation.IsEnvVarName(k); len(errs) > 0 {
			w.r.errorf(w.path(), "%q is not a valid environment variable name: %s", k, strings.Join(errs, "; "))
		}
		switch {
		case v.Secret != nil && v.ConfigMap != nil:
			w.r.errorf(w.path(), "set secret or configMap, not both")
		case v.NamesNoSource():
			w.r.errorf(w.path(), "set the value's source: secret: {name, key} or configMap: {name, key}, or write the value as a string")
		case v.Secret != nil:
			w.keyRef("secret", "Secret", *v.Secret)
			w.push("secret")
			w.secretKey(*v.Secret)
			w.pop()
		case v.ConfigMap != nil:
			w.keyRef("configMap", "ConfigMap", *v.ConfigMap)
			w.configMapKey(*v.ConfigMap)
		case credential.SecretName(k) && !notACredential(v.Value):
			w.credential("%s looks like a credential, and its value would be in the repository and in the rendered manifests: "+
				"keep it in a Secret and write %s: secret: {name: \"...\", key: \"...\"}", k, k)
		default:
			w.literal(v.Value)
		}
		w.pop()
	}
}

// keyRef checks the name and key of a Secret or ConfigMap (at field) as the API server
// would.
func (w *secretWalker) keyRef(field, kind string, ref model.KeyRef) {
	w.push(field)
	defer w.pop()
	if errs := validation.IsDNS1123Subdomain(ref.Name); len(errs) > 0 {
		w.r.errorf(w.path()+".name", "%q is not a valid %s name: %s", ref.Name, kind, strings.Join(errs, "; "))
	}
	if errs := validation.IsConfigMapKey(ref.Key); len(errs) > 0 {
		w.r.errorf(w.path()+".key", "%q is not a valid %s key: %s", ref.Key, kind, strings.Join(errs, "; "))
	}
}

// kubeRef is a value made only of references to other variables, $(NAME), which
// Kubernetes expands.
func kubeRef(s string) bool {
	for s != "" {
		rest, ok := strings.CutPrefix(s, "$(")
		if !ok {
			return false
		}
		end := strings.IndexByte(rest, ')')
		if end <= 0 || len(validation.IsEnvVarName(rest[:end])) > 0 {
			return false
		}
		s = rest[end+1:]
	}
	return true
}

// notACredential is a value that cannot be one, whatever its variable is named: empty,
// a switch, another variable ($(DB_PASSWORD)), or a Katib trial parameter.
func notACredential(s string) bool {
	switch strings.ToLower(s) {
	case "", "true", "false", "yes", "no", "on", "off", "0", "1", "none", "null":
		return true
	}
	return kubeRef(s) || placeholderPattern.MatchString(s)
}

// credential reports a credential written as a plain value: an error, or a warning
// where the platform's policy allows them.
func (w *secretWalker) credential(format string, args ...any) {
	path := w.path()
	msg := fmt.Sprintf(format, args...)
	if !w.allowed {
		w.r.errorf(path, "%s", msg)
		return
	}
	w.r.warnf(path, "%s (policy.secrets.literalCredentials lets it through)", msg)
}

// configMapData checks a ConfigMap's values as env's: no value under a key named like
// a credential, and no token or URI with user info in any.
func (w *secretWalker) configMapData(data model.ConfigMapData) {
	for _, k := range slices.Sorted(maps.Keys(data)) {
		w.push(k)
		if credential.SecretName(k) && !notACredential(data[k]) {
			w.credential("%s looks like a credential, and a ConfigMap's values are in the repository, the rendered manifests and readable by every viewer of the namespace: "+
				"keep it in a Secret, and have the containers read it from there", k)
		} else {
			w.literal(data[k])
		}
		w.pop()
	}
}

// configMapKey reports a reference to a key the tenant's ConfigMap of that name lacks.
// A ConfigMap the tenant does not declare may exist without mlc: it is not checked.
func (w *secretWalker) configMapKey(ref model.KeyRef) {
	c, ok := w.configMaps[ref.Name]
	if !ok || c.HasKey(ref.Key) {
		return
	}
	keys := slices.Sorted(maps.Keys(c.Data))
	keys = append(keys, slices.Sorted(maps.Keys(c.BinaryData))...)
	have := "none"
	if len(keys) > 0 {
		have = strings.Join(keys, ", ")
	}
	w.r.errorf(w.path()+".configMap.key", "ConfigMap %s (configMaps) has no key %q (has %s)", ref.Name, ref.Key, have)
}
