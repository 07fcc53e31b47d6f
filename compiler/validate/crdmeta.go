package validate

import (
	"reflect"

	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// verifyCRDMeta, set by tests only, makes getObjectMeta and setObjectMeta
// also take the API server's path, and report whether the shortcut was taken
// and whether both give the same.
var verifyCRDMeta func(step string, fast, same bool)

// getObjectMeta is the API server's strict decoding of a custom resource's
// metadata (schemaobjectmeta.GetObjectMetaWithOptions, returning unknown
// field paths). Metadata that decodeTyped can decode is decoded from the map
// rather than from its JSON encoding; simple then reports that it sets no
// more than the fields metaMap writes.
func getObjectMeta(u map[string]any) (meta *metav1.ObjectMeta, unknown []string, simple bool, err error) {
	var fast *metav1.ObjectMeta
	if m, ok := u["metadata"].(map[string]any); ok {
		fast = &metav1.ObjectMeta{}
		if !decodeTyped(m, reflect.ValueOf(fast).Elem()) {
			fast = nil
		} else {
			// decodeTyped sets only the fields of the keys there are.
			simple = true
			for k := range m {
				switch k {
				case "name", "generateName", "namespace", "labels", "annotations":
				default:
					simple = false
				}
			}
			if verifyCRDMeta == nil {
				return fast, nil, simple, nil
			}
		}
	}
	meta, _, unknown, err = schemaobjectmeta.GetObjectMetaWithOptions(u, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if verifyCRDMeta != nil {
		verifyCRDMeta("get", fast != nil, err == nil && unknown == nil && reflect.DeepEqual(fast, meta))
		if fast != nil {
			return fast, nil, simple, nil
		}
	}
	return meta, unknown, false, err
}

// setObjectMeta is schemaobjectmeta.SetObjectMeta for a non-nil meta: it
// sets u's metadata to meta's unstructured form. When simple, meta sets no
// more than a name, generateName, namespace, labels and annotations, and
// the form is built directly (metaMap).
func setObjectMeta(u map[string]any, meta *metav1.ObjectMeta, simple bool) error {
	if simple && verifyCRDMeta == nil {
		u["metadata"] = metaMap(meta)
		return nil
	}
	if err := schemaobjectmeta.SetObjectMeta(u, meta); err != nil {
		return err
	}
	if verifyCRDMeta != nil {
		fast := metaMap(meta)
		verifyCRDMeta("set", simple, reflect.DeepEqual(fast, u["metadata"]))
		if simple {
			u["metadata"] = fast
		}
	}
	return nil
}

// metaMap returns the unstructured form of meta's name, generateName,
// namespace, labels and annotations, as the unstructured converter gives it.
func metaMap(meta *metav1.ObjectMeta) map[string]any {
	// The converter omits the fields that are empty.
	m := make(map[string]any, 5)
	if meta.Name != "" {
		m["name"] = meta.Name
	}
	if meta.GenerateName != "" {
		m["generateName"] = meta.GenerateName
	}
	if meta.Namespace != "" {
		m["namespace"] = meta.Namespace
	}
	if len(meta.Labels) > 0 {
		m["labels"] = stringMap(meta.Labels)
	}
	if len(meta.Annotations) > 0 {
		m["annotations"] = stringMap(meta.Annotations)
	}
	return m
}

func stringMap(m map[string]string) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
