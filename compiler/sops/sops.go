// Package sops checks Secret manifests encrypted with SOPS, which mlc publishes exactly
// as the repository holds them: Flux's kustomize-controller decrypts them in the
// cluster. mlc never decrypts a Secret, and never writes one in plaintext.
package sops

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Secret is what mlc knows of an encrypted Secret: its names and the names of its keys,
// which SOPS leaves in plaintext.
type Secret struct {
	// Name and Namespace are metadata's; Namespace is empty when the file sets none.
	Name, Namespace string
	// Keys are the keys of data and stringData, sorted.
	Keys []string
}

// ReadFile reads the file at path, named shown in errors; a symbolic link is refused,
// so that the file is the repository's own.
func ReadFile(path, shown string) ([]byte, error) {
	if st, err := os.Lstat(path); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("%s is a symbolic link: mlc reads encrypted Secrets from the repository's own files", shown)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such file", shown)
	}
	return data, err
}

// Check checks that data, the file shown, is a v1 Secret manifest encrypted with SOPS:
// SOPS's metadata is there with its message authentication code, and every value of
// data and stringData is encrypted.
func Check(data []byte, shown string) (*Secret, error) {
	var s struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		Data       map[string]any `json:"data"`
		StringData map[string]any `json:"stringData"`
		SOPS       *struct {
			MAC string `json:"mac"`
		} `json:"sops"`
	}
	if err := yaml.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: not a Secret manifest: %v", shown, err)
	}
	if n := documents(data); n > 1 {
		return nil, fmt.Errorf("%s holds %d YAML documents: a Secret's file holds that Secret alone", shown, n)
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		return nil, fmt.Errorf("%s does not end with a newline, as SOPS writes files: mlc publishes the file as it is, after others", shown)
	}
	switch {
	case s.APIVersion != "v1" || s.Kind != "Secret" || s.Metadata.Name == "":
		return nil, fmt.Errorf("%s: not a Secret (apiVersion v1, kind Secret, metadata.name)", shown)
	case s.SOPS == nil || s.SOPS.MAC == "":
		return nil, fmt.Errorf("%s: not encrypted with SOPS (no sops metadata): encrypt it with `sops --encrypt --encrypted-regex '^(data|stringData)$' --in-place %s`", shown, shown)
	}
	var plain []string
	for field, m := range map[string]map[string]any{"data": s.Data, "stringData": s.StringData} {
		for k, v := range m {
			if !Encrypted(v) {
				plain = append(plain, field+"."+k)
			}
		}
	}
	if len(plain) > 0 {
		slices.Sort(plain)
		return nil, fmt.Errorf("%s: %s not encrypted: mlc never publishes a plaintext Secret", shown, strings.Join(plain, ", "))
	}
	keys := slices.Collect(maps.Keys(s.Data))
	for k := range s.StringData {
		if _, dup := s.Data[k]; !dup {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return &Secret{Name: s.Metadata.Name, Namespace: s.Metadata.Namespace, Keys: keys}, nil
}

// documents counts the YAML documents of data that hold something.
func documents(data []byte) int {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	n := 0
	for {
		doc, err := r.Read()
		if err != nil {
			return n
		}
		if len(bytes.TrimSpace(doc)) > 0 {
			n++
		}
	}
}

// Encrypted reports whether a value is one SOPS encrypted: ENC[...].
func Encrypted(v any) bool {
	s, _ := v.(string)
	return strings.HasPrefix(s, "ENC[") && strings.HasSuffix(s, "]")
}
