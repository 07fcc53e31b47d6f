package kfpir

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// ValidSpecs reports whether ValidateDocuments certainly accepts the encoding/json
// encodings of pipelineSpec and platformSpec (nil: no PlatformSpec), without encoding
// them or decoding them with protojson into dynamic messages: the specs are walked
// against the messages by protojson's rules, the deploymentSpec and the Kubernetes
// executors again as they come out of google.protobuf.Struct. False means only "not
// known valid" (an error, or something the walk does not model); the caller then runs
// ValidateDocuments, which says what is wrong. TestValidSpecsSound compares the two.
func ValidSpecs(pipelineSpec, platformSpec any) bool {
	f := loadFast()
	if f == nil {
		return false
	}
	ps, ok := pipelineSpec.(map[string]any)
	if !ok || ps == nil || !(walker{}).message(f.pipelineSpec, ps, 0) {
		return false
	}
	if dep := f.pipelineSpec.get(ps, "deployment_spec"); dep != nil {
		if !(walker{viaStruct: true}).message(f.deploymentConfig, dep, 0) {
			return false
		}
	}
	if platformSpec == nil {
		return true
	}
	pl, ok := platformSpec.(map[string]any)
	if !ok || pl == nil || !(walker{}).message(f.platformSpec, pl, 0) {
		return false
	}
	// The walk above made these a map, a SinglePlatformSpec, a
	// PlatformDeploymentConfig and a map where present.
	platforms, _ := f.platformSpec.get(pl, "platforms").(map[string]any)
	k8s, _ := platforms[kubernetesPlatform].(map[string]any)
	dep, _ := f.singlePlatform.get(k8s, "deployment_spec").(map[string]any)
	executors, _ := f.platformDeployment.get(dep, "executors").(map[string]any)
	for _, exec := range executors {
		if !(walker{viaStruct: true}).message(f.executorConfig, exec, 0) {
			return false
		}
	}
	return true
}

// maxDepth bounds the walk, well under protojson's recursion limit.
const maxDepth = 1000

// maxExactInt is the largest magnitude up to which every integer is a float64
// and is formatted as its exact decimal digits.
const maxExactInt = 1 << 53

// fastSchema is the messages ValidSpecs walks against.
type fastSchema struct {
	pipelineSpec, deploymentConfig, platformSpec, singlePlatform, platformDeployment, executorConfig *msgInfo
}

var loadFast = sync.OnceValue(func() *fastSchema {
	s, err := loadSchema()
	if err != nil {
		return nil
	}
	memo := map[protoreflect.FullName]*msgInfo{}
	var f fastSchema
	for _, m := range []struct {
		name string
		out  **msgInfo
	}{
		{PipelineSpecMessage, &f.pipelineSpec},
		{PipelineDeploymentConfigMessage, &f.deploymentConfig},
		{PlatformSpecMessage, &f.platformSpec},
		{"ml_pipelines.SinglePlatformSpec", &f.singlePlatform},
		{"ml_pipelines.PlatformDeploymentConfig", &f.platformDeployment},
		{KubernetesExecutorConfigMessage, &f.executorConfig},
	} {
		md, err := s.message(m.name)
		if err != nil {
			return nil
		}
		*m.out = newMsgInfo(md, memo)
	}
	// ValidSpecs follows these fields to the nested documents.
	if f.pipelineSpec.byProto["deployment_spec"] == nil || f.platformSpec.byProto["platforms"] == nil ||
		f.singlePlatform.byProto["deployment_spec"] == nil || f.platformDeployment.byProto["executors"] == nil {
		return nil
	}
	return &f
})

// wkt is how protojson reads a message: as an object of fields, or by a
// well-known type's own JSON form.
type wkt int

const (
	wktNone wkt = iota
	wktStruct
	wktValue
	wktListValue
	wktDuration
	wktUnsupported // other well-known types, and messages the walk does not model
)

// msgInfo is a message as ValidSpecs walks it.
type msgInfo struct {
	wkt wkt
	// fields holds every key protojson resolves to a field: the JSON name,
	// else the proto name.
	fields  map[string]*fieldInfo
	byProto map[protoreflect.Name]*fieldInfo
}

// get returns the value of the named field in m, nil when it is absent or
// null. m is known to be valid, so at most one of the field's keys is set.
func (mi *msgInfo) get(m map[string]any, name protoreflect.Name) any {
	fi := mi.byProto[name]
	for _, k := range fi.keys {
		if v, ok := m[k]; ok {
			return normNull(v)
		}
	}
	return nil
}

type fieldInfo struct {
	// keys are the keys that resolve to the field. protojson refuses an
	// object holding two of them.
	keys        []string
	list, isMap bool
	// nullDecoded is set when a null is decoded as a value (a
	// google.protobuf.Value, or the NullValue enum) rather than skipped.
	nullDecoded bool
	oneof       int // index of the containing oneof, or -1
	mapKey      protoreflect.Kind
	val         *valueInfo // the value, the list's element or the map's value
}

type valueInfo struct {
	kind      protoreflect.Kind
	msg       *msgInfo
	enum      protoreflect.EnumValueDescriptors
	nullValue bool // the enum is google.protobuf.NullValue
}

func newMsgInfo(md protoreflect.MessageDescriptor, memo map[protoreflect.FullName]*msgInfo) *msgInfo {
	if mi := memo[md.FullName()]; mi != nil {
		return mi
	}
	mi := &msgInfo{}
	memo[md.FullName()] = mi
	if md.FullName().Parent() == "google.protobuf" {
		switch md.Name() {
		case "Struct":
			mi.wkt = wktStruct
		case "Value":
			mi.wkt = wktValue
		case "ListValue":
			mi.wkt = wktListValue
		case "Duration":
			mi.wkt = wktDuration
		default:
			mi.wkt = wktUnsupported
		}
		return mi
	}
	// Required fields (checked after decoding, as AllowPartial is unset),
	// extensions, message sets and groups (which have more names) are not
	// modelled; nor more oneofs than a uint64 has bits.
	fds := md.Fields()
	if md.RequiredNumbers().Len() > 0 || md.ExtensionRanges().Len() > 0 || md.Oneofs().Len() > 64 {
		mi.wkt = wktUnsupported
		return mi
	}
	for i := range fds.Len() {
		if fds.Get(i).Kind() == protoreflect.GroupKind {
			mi.wkt = wktUnsupported
			return mi
		}
	}
	mi.fields = make(map[string]*fieldInfo, 2*fds.Len())
	mi.byProto = make(map[protoreflect.Name]*fieldInfo, fds.Len())
	infos := make([]*fieldInfo, fds.Len())
	for i := range fds.Len() {
		fd := fds.Get(i)
		fi := &fieldInfo{list: fd.IsList(), isMap: fd.IsMap(), oneof: -1}
		if od := fd.ContainingOneof(); od != nil {
			fi.oneof = od.Index()
		}
		fi.nullDecoded = (fd.Message() != nil && fd.Message().FullName() == "google.protobuf.Value") ||
			(fd.Enum() != nil && fd.Enum().FullName() == "google.protobuf.NullValue")
		vd := fd
		if fi.isMap {
			fi.mapKey = fd.MapKey().Kind()
			vd = fd.MapValue()
		}
		fi.val = newValueInfo(vd, memo)
		infos[i] = fi
		mi.byProto[fd.Name()] = fi
	}
	// protojson looks a key up as a JSON name first, then as a proto name.
	for i, fi := range infos {
		name := fds.Get(i).JSONName()
		if mi.fields[name] == nil {
			mi.fields[name] = fi
		}
	}
	for i, fi := range infos {
		name := fds.Get(i).TextName()
		if mi.fields[name] == nil {
			mi.fields[name] = fi
		}
	}
	for k, fi := range mi.fields {
		fi.keys = append(fi.keys, k)
	}
	return mi
}

func newValueInfo(fd protoreflect.FieldDescriptor, memo map[protoreflect.FullName]*msgInfo) *valueInfo {
	vi := &valueInfo{kind: fd.Kind()}
	switch fd.Kind() {
	case protoreflect.MessageKind:
		vi.msg = newMsgInfo(fd.Message(), memo)
	case protoreflect.EnumKind:
		vi.enum = fd.Enum().Values()
		vi.nullValue = fd.Enum().FullName() == "google.protobuf.NullValue"
	}
	return vi
}

// walker checks values as protojson decodes them. With viaStruct, the value
// is decoded after protojson has marshalled it as a google.protobuf.Struct,
// which holds every number as a float64.
type walker struct {
	viaStruct bool
}

// normNull returns nil for a nil map or slice, which encoding/json writes as
// null.
func normNull(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return nil
		}
	case []any:
		if x == nil {
			return nil
		}
	}
	return v
}

// message reports whether v certainly decodes as the message.
func (w walker) message(mi *msgInfo, v any, depth int) bool {
	if depth > maxDepth {
		return false
	}
	v = normNull(v)
	switch mi.wkt {
	case wktValue:
		return jsonValue(v, depth)
	case wktStruct:
		m, ok := v.(map[string]any)
		return ok && jsonObject(m, depth)
	case wktListValue:
		l, ok := v.([]any)
		return ok && jsonValue(l, depth)
	case wktDuration:
		s, ok := v.(string)
		return ok && durationOK(s)
	case wktUnsupported:
		return false
	}
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	var oneofs uint64
	for k, fv := range m {
		fi := mi.fields[k]
		if fi == nil {
			return false
		}
		if len(fi.keys) > 1 {
			for _, other := range fi.keys {
				if _, dup := m[other]; dup && other != k {
					return false
				}
			}
		}
		fv = normNull(fv)
		if fv == nil && !fi.nullDecoded {
			continue
		}
		switch {
		case fi.list:
			l, ok := fv.([]any)
			if !ok {
				return false
			}
			for _, e := range l {
				if !w.value(fi.val, e, depth+1) {
					return false
				}
			}
		case fi.isMap:
			mm, ok := fv.(map[string]any)
			if !ok {
				return false
			}
			for mk, e := range mm {
				if !mapKeyOK(fi.mapKey, mk) || !w.value(fi.val, e, depth+1) {
					return false
				}
			}
		default:
			if fi.oneof >= 0 {
				bit := uint64(1) << fi.oneof
				if oneofs&bit != 0 {
					return false
				}
				oneofs |= bit
			}
			if !w.value(fi.val, fv, depth+1) {
				return false
			}
		}
	}
	return true
}

// value reports whether v certainly decodes as a field's value, a list's
// element or a map's value.
func (w walker) value(vi *valueInfo, v any, depth int) bool {
	if vi.msg != nil {
		return w.message(vi.msg, v, depth)
	}
	v = normNull(v)
	switch vi.kind {
	case protoreflect.BoolKind:
		_, ok := v.(bool)
		return ok
	case protoreflect.StringKind:
		// Invalid UTF-8 needs no care: encoding/json writes it as U+FFFD,
		// and any string is a string.
		_, ok := v.(string)
		return ok
	case protoreflect.BytesKind:
		s, ok := v.(string)
		return ok && base64OK(s)
	case protoreflect.EnumKind:
		switch x := v.(type) {
		case nil:
			return vi.nullValue
		case string:
			return vi.enum.ByName(protoreflect.Name(x)) != nil
		}
		n, ok := w.integer(v)
		return ok && n >= math.MinInt32 && n <= math.MaxInt32
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return w.intOK(v, math.MinInt32, math.MaxInt32, 32, true)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return w.intOK(v, math.MinInt64, math.MaxInt64, 64, true)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return w.intOK(v, 0, math.MaxUint32, 32, false)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return w.intOK(v, 0, math.MaxInt64, 64, false)
	case protoreflect.FloatKind:
		return floatOK(v, 32)
	case protoreflect.DoubleKind:
		return floatOK(v, 64)
	}
	return false
}

// integer returns the integer a JSON number v is read as, if it certainly is
// one. Past 2^53 a float64 (and, after the Struct round trip, any number) may
// be written in digits other than its exact value, so those are not judged.
func (w walker) integer(v any) (int64, bool) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > maxExactInt {
			return 0, false
		}
		n = int64(x)
	default:
		return 0, false
	}
	if w.viaStruct && (n > maxExactInt || n < -maxExactInt) {
		return 0, false
	}
	return n, true
}

// intOK reports whether v is an integer field's value in [lo, hi]: a JSON
// number, or a string holding one, which the walk takes only in its plain
// decimal form.
func (w walker) intOK(v any, lo, hi int64, bits int, signed bool) bool {
	if s, ok := v.(string); ok {
		if !plainInt(s) {
			return false
		}
		var err error
		if signed {
			_, err = strconv.ParseInt(s, 10, bits)
		} else {
			_, err = strconv.ParseUint(s, 10, bits)
		}
		return err == nil
	}
	n, ok := w.integer(v)
	return ok && n >= lo && n <= hi
}

// plainInt reports whether s is -?(0|[1-9][0-9]*), but not "-0".
func plainInt(s string) bool {
	if strings.HasPrefix(s, "-") {
		s = s[1:]
		if s == "0" {
			return false
		}
	}
	if s == "0" {
		return true
	}
	if s == "" || s[0] < '1' || s[0] > '9' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// floatOK reports whether v is a float (bits 32) or double field's value.
// Every finite float64 is written in digits that parse back to it, so for a
// float only its magnitude matters.
func floatOK(v any, bits int) bool {
	switch x := v.(type) {
	case int, int64:
		return true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false // not JSON
		}
		return bits == 64 || math.Abs(x) <= math.MaxFloat32
	case string:
		switch x {
		case "NaN", "Infinity", "-Infinity":
			return true
		}
		if !jsonNumber(x) {
			return false
		}
		_, err := strconv.ParseFloat(x, bits)
		return err == nil
	}
	return false
}

// jsonNumber reports whether s is a number in JSON's grammar.
func jsonNumber(s string) bool {
	i := 0
	digits := func() bool {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		digits()
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}

// base64OK reports whether protojson reads s as bytes: standard or URL
// base64, padded or not, by which characters and length it has.
func base64OK(s string) bool {
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if len(s)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	_, err := enc.DecodeString(s)
	return err == nil
}

// maxDurationSeconds is the range of google.protobuf.Duration, about 10,000
// years.
const maxDurationSeconds = 315576000000

// durationOK reports whether s is a google.protobuf.Duration the walk is sure
// of: -?(0|[1-9][0-9]*)(.[0-9]{1,9})?s, in range.
func durationOK(s string) bool {
	body, ok := strings.CutSuffix(s, "s")
	if !ok {
		return false
	}
	body = strings.TrimPrefix(body, "-")
	secs, frac, hasFrac := strings.Cut(body, ".")
	if !plainInt(secs) || secs[0] == '-' || len(secs) > 12 {
		return false
	}
	if hasFrac {
		if len(frac) == 0 || len(frac) > 9 {
			return false
		}
		for i := 0; i < len(frac); i++ {
			if frac[i] < '0' || frac[i] > '9' {
				return false
			}
		}
	}
	n, err := strconv.ParseInt(secs, 10, 64)
	return err == nil && n <= maxDurationSeconds
}

// mapKeyOK reports whether k is a map key of the kind. Only the plain decimal
// forms of integers are taken, so that no two keys are the same number.
func mapKeyOK(kind protoreflect.Kind, k string) bool {
	var err error
	switch kind {
	case protoreflect.StringKind:
		// encoding/json writes invalid UTF-8 as U+FFFD: two such keys could
		// become the same key.
		return utf8.ValidString(k)
	case protoreflect.BoolKind:
		return k == "true" || k == "false"
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		_, err = strconv.ParseInt(k, 10, 32)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		_, err = strconv.ParseInt(k, 10, 64)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		_, err = strconv.ParseUint(k, 10, 32)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		_, err = strconv.ParseUint(k, 10, 64)
	default:
		return false
	}
	return err == nil && plainInt(k)
}

// jsonValue reports whether v is JSON that google.protobuf.Value takes: any
// JSON-like value with finite numbers.
func jsonValue(v any, depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch x := v.(type) {
	case nil, bool, string, int, int64:
		return true
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	case []any:
		for _, e := range x {
			if !jsonValue(e, depth+1) {
				return false
			}
		}
		return true
	case map[string]any:
		return x == nil || jsonObject(x, depth)
	}
	return false
}

// jsonObject reports whether m, not nil, is JSON that google.protobuf.Struct
// takes.
func jsonObject(m map[string]any, depth int) bool {
	if m == nil {
		return false
	}
	for k, e := range m {
		if !utf8.ValidString(k) || !jsonValue(e, depth+1) {
			return false
		}
	}
	return true
}
