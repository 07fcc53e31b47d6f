// Package kfpir checks Kubeflow Pipelines v2 IR documents (the PipelineSpec a
// pipeline compiles to, and the optional PlatformSpec beside it) strictly
// against the upstream protobuf definitions.
//
// The definitions are the descriptor set under spec/, compiled from
// upstream's pipeline_spec.proto and kubernetes_executor_config.proto by
// tools/kfpspec and embedded here; nothing is read from disk at run time.
// Documents are decoded with protojson into dynamic messages, as the KFP
// backend decodes them into its generated types: unknown fields and values of
// the wrong type are errors.
//
// Upstream keeps two parts of the IR as google.protobuf.Struct and decodes
// them into typed messages later; this package checks those too:
// PipelineSpec.deploymentSpec against ml_pipelines.PipelineDeploymentConfig,
// and each executor under PlatformSpec.platforms.kubernetes.deploymentSpec
// against kfp_kubernetes.KubernetesExecutorConfig.
package kfpir

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Full names of the messages documents are checked against.
const (
	PipelineSpecMessage             = "ml_pipelines.PipelineSpec"
	PlatformSpecMessage             = "ml_pipelines.PlatformSpec"
	PipelineDeploymentConfigMessage = "ml_pipelines.PipelineDeploymentConfig"
	KubernetesExecutorConfigMessage = "kfp_kubernetes.KubernetesExecutorConfig"
)

// kubernetesPlatform is the PlatformSpec.platforms key of the Kubernetes
// platform, whose executors are KubernetesExecutorConfigs.
const kubernetesPlatform = "kubernetes"

//go:embed spec/kfp-ir.binpb
var descriptorSet []byte

// schema is the registry built from the embedded descriptor set.
type schema struct {
	files *protoregistry.Files
	types *dynamicpb.Types
}

var loadSchema = sync.OnceValues(func() (*schema, error) {
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(descriptorSet, &set); err != nil {
		return nil, fmt.Errorf("kfpir: embedded descriptor set: %w", err)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, fmt.Errorf("kfpir: embedded descriptor set: %w", err)
	}
	return &schema{files: files, types: dynamicpb.NewTypes(files)}, nil
})

func (s *schema) message(name string) (protoreflect.MessageDescriptor, error) {
	d, err := s.files.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return nil, fmt.Errorf("kfpir: %s: %w", name, err)
	}
	md, ok := d.(protoreflect.MessageDescriptor)
	if !ok {
		return nil, fmt.Errorf("kfpir: %s is not a message", name)
	}
	return md, nil
}

// Error is a document that does not match its message.
type Error struct {
	// Message is the full name of the message checked against, such as
	// "ml_pipelines.PipelineSpec".
	Message string
	// Path is where in the document the problem is, in the document's own
	// field names (components.comp-a.inputDefinitions.parameters, tasks[0],
	// ["key.with.dots"]); empty when the decoder did not say.
	Path string
	// Reason is what is wrong, as protojson put it, without its position.
	Reason string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s (%s)", e.Reason, e.Message)
	}
	return fmt.Sprintf("%s: %s (%s)", e.Path, e.Reason, e.Message)
}

// ValidatePipelineSpec checks that doc, a JSON or YAML document, is an
// ml_pipelines.PipelineSpec, including its deploymentSpec as an
// ml_pipelines.PipelineDeploymentConfig. A mismatch is reported as an *Error.
func ValidatePipelineSpec(doc []byte) error {
	s, err := loadSchema()
	if err != nil {
		return err
	}
	m, err := s.decode(doc, PipelineSpecMessage, "")
	if err != nil {
		return err
	}
	dep := m.Get(m.Descriptor().Fields().ByName("deployment_spec")).Message()
	if !dep.IsValid() {
		return nil
	}
	js, err := protojson.Marshal(dep.Interface())
	if err != nil {
		return err
	}
	_, err = s.decode(js, PipelineDeploymentConfigMessage, "deploymentSpec")
	return err
}

// ValidatePlatformSpec checks that doc, a JSON or YAML document, is an
// ml_pipelines.PlatformSpec, and that every executor of its "kubernetes"
// platform is a kfp_kubernetes.KubernetesExecutorConfig. Every executor is
// checked; mismatches are reported as *Error values joined with errors.Join.
func ValidatePlatformSpec(doc []byte) error {
	s, err := loadSchema()
	if err != nil {
		return err
	}
	m, err := s.decode(doc, PlatformSpecMessage, "")
	if err != nil {
		return err
	}
	platforms := m.Get(m.Descriptor().Fields().ByName("platforms")).Map()
	k8s := platforms.Get(protoreflect.ValueOfString(kubernetesPlatform).MapKey())
	if !k8s.IsValid() {
		return nil
	}
	single := k8s.Message()
	dep := single.Get(single.Descriptor().Fields().ByName("deployment_spec")).Message()
	executors := dep.Get(dep.Descriptor().Fields().ByName("executors")).Map()
	var names []string
	executors.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		names = append(names, k.String())
		return true
	})
	slices.Sort(names)
	var errs []error
	for _, name := range names {
		exec := executors.Get(protoreflect.ValueOfString(name).MapKey()).Message()
		js, err := protojson.Marshal(exec.Interface())
		if err != nil {
			return err
		}
		prefix := joinPath(joinPath(joinPath(joinPath("platforms", kubernetesPlatform), "deploymentSpec"), "executors"), name)
		if _, err := s.decode(js, KubernetesExecutorConfigMessage, prefix); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ValidateKubernetesExecutorConfig checks that doc, a JSON or YAML document,
// is a kfp_kubernetes.KubernetesExecutorConfig: one executor's entry under a
// PlatformSpec's platforms.kubernetes.deploymentSpec.executors.
func ValidateKubernetesExecutorConfig(doc []byte) error {
	s, err := loadSchema()
	if err != nil {
		return err
	}
	_, err = s.decode(doc, KubernetesExecutorConfigMessage, "")
	return err
}

// ValidateDocuments checks the documents of one compiled pipeline: a
// PipelineSpec and, unless platformSpec is empty, a PlatformSpec. Errors of
// both are joined.
func ValidateDocuments(pipelineSpec, platformSpec []byte) error {
	err := ValidatePipelineSpec(pipelineSpec)
	if len(bytes.TrimSpace(platformSpec)) == 0 {
		return err
	}
	return errors.Join(err, ValidatePlatformSpec(platformSpec))
}

// ValidatePipelineFile checks a pipeline file as the KFP SDK writes it: a
// YAML stream whose first document is the PipelineSpec, optionally followed
// by "---" and the PlatformSpec. Documents holding only comments are ignored.
func ValidatePipelineFile(data []byte) error {
	docs, err := splitDocuments(data)
	if err != nil {
		return err
	}
	switch len(docs) {
	case 0:
		return errors.New("kfpir: pipeline file has no document")
	case 1:
		return ValidateDocuments(docs[0], nil)
	case 2:
		return ValidateDocuments(docs[0], docs[1])
	default:
		return fmt.Errorf("kfpir: pipeline file has %d documents; want a PipelineSpec and at most one PlatformSpec", len(docs))
	}
}

// splitDocuments splits a YAML stream into its non-empty documents, each
// converted to JSON.
func splitDocuments(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("kfpir: %w", err)
		}
		js, err := toJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("kfpir: document %d: %w", len(docs)+1, err)
		}
		if !isNull(js) {
			docs = append(docs, js)
		}
	}
}

// toJSON returns doc as JSON: as it is when it already is JSON, converted
// from YAML otherwise.
func toJSON(doc []byte) ([]byte, error) {
	if t := bytes.TrimSpace(doc); len(t) > 0 && t[0] == '{' && json.Valid(t) {
		return t, nil
	}
	return yaml.YAMLToJSON(doc)
}

func isNull(js []byte) bool {
	t := bytes.TrimSpace(js)
	return len(t) == 0 || string(t) == "null"
}

// decode unmarshals doc strictly into a new message of the named type.
// prefix is the path of doc inside the document the caller was given.
func (s *schema) decode(doc []byte, name, prefix string) (protoreflect.Message, error) {
	md, err := s.message(name)
	if err != nil {
		return nil, err
	}
	js, err := toJSON(doc)
	if err != nil {
		return nil, &Error{Message: name, Path: prefix, Reason: "not YAML or JSON: " + err.Error()}
	}
	if isNull(js) {
		return nil, &Error{Message: name, Path: prefix, Reason: "empty document"}
	}
	m := dynamicpb.NewMessage(md)
	opts := protojson.UnmarshalOptions{DiscardUnknown: false, Resolver: s.types}
	if err := opts.Unmarshal(js, m); err != nil {
		return nil, newError(name, prefix, js, err)
	}
	return m, nil
}
