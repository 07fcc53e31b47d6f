package kubeflow

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/sops"
)

// SecretFile is a file of the repository: its path, and the path as platform.cue writes it.
type SecretFile struct{ Path, Shown string }

// DefaultDecryptionSecret is the Secret, in flux-system, that holds the key Flux decrypts
// the platform's SOPS-encrypted Secrets with, unless kubeflow.decryptionSecret names another.
const DefaultDecryptionSecret = "sops-keys"

// Passthrough is a file mlc publishes exactly as the repository holds it: a Secret
// encrypted with SOPS, whose message authentication code any re-encoding would break.
type Passthrough struct {
	APIVersion, Kind, Namespace, Name string
	Data                              []byte
}

// generatedSuffix matches the hash kustomize's secretGenerator appends to a name.
var generatedSuffix = regexp.MustCompile(`-[a-z0-9]{10}$`)

// replaceSecrets replaces, in a unit, each Secret carrying upstream's default credentials
// with the encrypted Secret the platform declares for it (kubeflow.secrets, by
// "<namespace>/<name>", the name as upstream writes it: for a generated Secret, without
// kustomize's hash), and renames the references to a generated one. It returns the
// files to publish as they are, and the Secrets left with default credentials.
func replaceSecrets(b *Built, secrets map[string]SecretFile, used map[string]bool) ([]Passthrough, []error) {
	var pass []Passthrough
	var errs []error
	kept := b.Objects[:0]
	for _, o := range b.Objects {
		keys := credentialKeys(o)
		if o["kind"] != "Secret" || len(keys) == 0 {
			kept = append(kept, o)
			continue
		}
		ns, name := meta(o, "namespace"), meta(o, "name")
		key := ns + "/" + generatedSuffix.ReplaceAllString(name, "")
		file, ok := secrets[key]
		if exact := ns + "/" + name; !ok {
			if file, ok = secrets[exact]; ok {
				key = exact
			}
		}
		if !ok {
			errs = append(errs, fmt.Errorf("kubeflow.secrets: %s: Secret %s/%s holds upstream's default credentials (%s), which mlc does not publish: declare it encrypted with SOPS, kubeflow: secrets: %q: \"<file>\", or turn the component off",
				b.Name, ns, name, strings.Join(keys, ", "), key))
			kept = append(kept, o)
			continue
		}
		used[key] = true
		p, err := readEncryptedSecret(file.Path, file.Shown, ns)
		if err != nil {
			errs = append(errs, fmt.Errorf("kubeflow.secrets: %s: %w", key, err))
			continue
		}
		if p.Name != name {
			renameSecret(b.Objects, name, p.Name)
		}
		pass = append(pass, p)
	}
	b.Objects = kept
	return pass, errs
}

// readEncryptedSecret reads a Secret manifest encrypted with SOPS, checks that it is
// one (see sops.Check), of the namespace of the Secret it replaces.
func readEncryptedSecret(path, file, namespace string) (Passthrough, error) {
	data, err := sops.ReadFile(path, file)
	if err != nil {
		return Passthrough{}, err
	}
	s, err := sops.Check(data, file)
	if err != nil {
		return Passthrough{}, err
	}
	if s.Namespace != namespace {
		return Passthrough{}, fmt.Errorf("%s: metadata.namespace is %q; the Secret it replaces is in %q", file, s.Namespace, namespace)
	}
	return Passthrough{APIVersion: "v1", Kind: "Secret", Namespace: namespace, Name: s.Name, Data: data}, nil
}

// renameSecret makes the pod templates of objs that name Secret from name it to.
func renameSecret(objs []map[string]any, from, to string) {
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for _, field := range []string{"secretName"} {
				if t[field] == from {
					t[field] = to
				}
			}
			for _, ref := range []string{"secretKeyRef", "secretRef"} {
				if r, ok := t[ref].(map[string]any); ok && r["name"] == from {
					r["name"] = to
				}
			}
			for _, c := range t {
				walk(c)
			}
		case []any:
			for _, c := range t {
				walk(c)
			}
		}
	}
	for _, o := range objs {
		walk(o["spec"])
	}
}
