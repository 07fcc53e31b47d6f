package kubeflow

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// Plan is what a cluster installs, resolved from its platform.cue settings: the release,
// where its manifests are, and the units to build, each with the parts it is built from.
type Plan struct {
	Release *Release
	Source  Source
	Parts   []Part
	// Secrets are the encrypted Secrets that replace upstream's default credentials, by
	// "<namespace>/<name>": files, absolute.
	Secrets map[string]SecretFile
	// DecryptionSecret is the Secret, in flux-system, that Flux decrypts them with.
	DecryptionSecret string
	// Runtimes are files of the repository with runtimes to install besides the
	// release's.
	Runtimes []RuntimeFile
}

// Settings are the platform's settings, beside its kubeflow field, that mlc checks
// tenants against and installs, so that what it checks is what the cluster runs.
type Settings struct {
	// TrialResources are the kinds Katib runs trials of (defaults.katib.trialResources).
	TrialResources []string
	// StorageClass is the class of new volumes (defaults.storageClass): the install's
	// claims get it as tenants' do; the cluster's default class when empty.
	StorageClass string
	// UserIDHeader and UserIDPrefix are defaults.access's: tenants' authorization
	// policies name them, so they must be what the install forwards.
	UserIDHeader, UserIDPrefix string
}

// Components that are off unless platform.cue turns them on: upstream's example install
// leaves out the Training Operator and the model registry; its user namespace is a
// demonstration profile, which mlc's tenants replace (and whose v1.11.0 Profile is
// named "$(profile-name)": its replacements select a Profile version it is not).
var offByDefault = map[string]bool{"trainingOperator": true, "modelRegistry": true, "userNamespace": true}

// NewPlan resolves a cluster's Kubeflow settings. resolve gives the path of a folder or
// file platform.cue names (relative to the repository); fetch gives the folder of a git
// source (see Fetcher).
func NewPlan(k *model.Kubeflow, settings Settings, resolve func(string) string, fetch func(model.KubeflowGit) (string, error)) (*Plan, error) {
	if k.Release == "" {
		return nil, fmt.Errorf("kubeflow.release: the kubeflow/manifests release to install is not set")
	}
	rel, err := Lookup(k.Release)
	if err != nil {
		return nil, fmt.Errorf("kubeflow.release: %w", err)
	}
	p := &Plan{Release: rel, Secrets: map[string]SecretFile{}, DecryptionSecret: k.DecryptionSecret}
	if p.DecryptionSecret == "" {
		p.DecryptionSecret = DefaultDecryptionSecret
	}
	for key, file := range k.Secrets {
		// A credential comes from the repository, where review sees that it changed.
		if !filepath.IsLocal(filepath.FromSlash(file)) {
			return nil, fmt.Errorf("kubeflow.secrets: %q: %s is not a file inside the repository", key, file)
		}
		p.Secrets[key] = SecretFile{Path: resolve(file), Shown: file}
	}
	for _, file := range k.Runtimes {
		if !filepath.IsLocal(filepath.FromSlash(file)) {
			return nil, fmt.Errorf("kubeflow.runtimes: %s is not a file inside the repository", file)
		}
		p.Runtimes = append(p.Runtimes, RuntimeFile{Path: resolve(file), Shown: file})
	}
	switch src := k.Source; {
	case src.Git != nil && src.Path != "":
		return nil, fmt.Errorf("kubeflow.source: set git or path, not both")
	case src.Path != "":
		p.Source.Dir = resolve(src.Path)
	case src.Git != nil:
		g := *src.Git
		if g.Tag == "" {
			g.Tag = k.Release
		}
		if p.Source.Dir, err = fetch(g); err != nil {
			return nil, fmt.Errorf("kubeflow.source.git: %w", err)
		}
	default:
		return nil, fmt.Errorf("kubeflow.source: where to read kubeflow/manifests %s from is not set: a git url or a path", k.Release)
	}
	for _, remote := range slices.Sorted(maps.Keys(k.Source.Mirrors)) {
		m := Mirror{Remote: remote, Dir: resolve(k.Source.Mirrors[remote])}
		// A mirror that maps nothing is a misspelt reference, and the base it was to
		// replace is fetched from the network after all.
		if !slices.ContainsFunc(rel.Remotes, func(r string) bool { _, ok := mirrorOf([]Mirror{m}, r); return ok }) {
			return nil, fmt.Errorf("kubeflow.source.mirrors.%q: Kubeflow %s fetches no remote base of that reference; it fetches %s", remote, rel.Version, strings.Join(rel.Remotes, ", "))
		}
		p.Source.Mirrors = append(p.Source.Mirrors, m)
	}
	for name := range k.Components {
		if !slices.Contains(rel.Components(), name) {
			return nil, fmt.Errorf("kubeflow.components.%s: Kubeflow %s has no such component", name, rel.Version)
		}
	}
	for unit := range k.Patches {
		u, ok := rel.Unit(unit)
		if !ok {
			return nil, fmt.Errorf("kubeflow.patches.%s: Kubeflow %s has no unit %q", unit, rel.Version, unit)
		}
		if !enabled(k, u.Component) {
			return nil, fmt.Errorf("kubeflow.patches.%s: the unit is not installed: its component %s is off", unit, u.Component)
		}
	}
	images := imagesOf(k.Images)
	for _, u := range rel.Units {
		if !enabled(k, u.Component) {
			continue
		}
		part := Part{Name: u.Name, Resources: u.Resources, Components: u.Components, Images: append(slices.Clone(u.Images), images...)}
		for _, p := range k.Patches[u.Name] {
			patch := types.Patch{Patch: p.Patch}
			if t := p.Target; t != nil {
				patch.Target = &types.Selector{
					ResId:              resid.ResId{Gvk: resid.Gvk{Group: t.Group, Version: t.Version, Kind: t.Kind}, Name: t.Name, Namespace: t.Namespace},
					LabelSelector:      t.LabelSelector,
					AnnotationSelector: t.AnnotationSelector,
				}
			}
			part.Patches = append(part.Patches, patch)
		}
		if settings.StorageClass != "" {
			part.Settings = append(part.Settings, storageClassPatch(settings.StorageClass))
		}
		if u.Name == "pipelines" && k.Pipelines.Definitions == "database" {
			part.Resources = []string{pipelinesDatabase}
			part.Images = images
		}
		if u.KatibConfig != "" {
			if err := katibConfig(&part, filepath.Join(p.Source.Dir, filepath.FromSlash(u.KatibConfig)), settings.TrialResources); err != nil {
				return nil, err
			}
		}
		p.Parts = append(p.Parts, part)
	}
	if err := namedSettings(k, settings, p); err != nil {
		return nil, err
	}
	return p, nil
}

// enabled tells whether a component is on: "core" always is.
func enabled(k *model.Kubeflow, component string) bool {
	if on, set := k.Components[component]; set {
		return on
	}
	return component == "core" || !offByDefault[component]
}

// Resolver returns the function NewPlan resolves paths with: an absolute path is
// itself; a relative one is relative to the repository at repo, or, when it leads out of
// the repository, to origin, where the repository's files come from when repo is a copy
// of them (a revision exported from git; origin is repo otherwise).
func Resolver(repo, origin string) func(string) string {
	return func(p string) string {
		switch p = filepath.FromSlash(p); {
		case filepath.IsAbs(p):
			return filepath.Clean(p)
		case filepath.IsLocal(p) || origin == "":
			return filepath.Join(repo, p)
		}
		return filepath.Join(origin, p)
	}
}

// imagesOf returns the image settings as kustomize images, sorted by name.
func imagesOf(m map[string]model.KubeflowImage) []types.Image {
	var out []types.Image
	for _, name := range slices.Sorted(maps.Keys(m)) {
		i := m[name]
		out = append(out, types.Image{Name: name, NewName: i.NewName, NewTag: i.NewTag, Digest: i.Digest})
	}
	return out
}

// sortedUnique returns the strings sorted, without repeats.
func sortedUnique(s []string) []string {
	sort.Strings(s)
	return slices.Compact(s)
}

// unitID is "kubeflow-<unit>": the name of a unit's Flux Kustomization.
func unitID(unit string) string { return "kubeflow-" + unit }

// katibConfig makes Katib's configuration, the release's own file, list the trial
// kinds the platform declares: mlc checks experiments against that list.
func katibConfig(part *Part, file string, trialResources []string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("kubeflow.source: Katib's configuration: %w", err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		return fmt.Errorf("kubeflow.source: %s: %w", file, err)
	}
	controller, _ := dig(cfg, "init", "controller").(map[string]any)
	if controller == nil {
		return fmt.Errorf("kubeflow.source: %s: no init.controller", file)
	}
	controller["trialResources"] = trialResources
	if b, err = yaml.Marshal(cfg); err != nil {
		return err
	}
	const name = "katib-config.yaml"
	part.Files = map[string][]byte{name: b}
	part.ConfigMaps = append(part.ConfigMaps, types.ConfigMapArgs{GeneratorArgs: types.GeneratorArgs{
		Namespace: "kubeflow", Name: "katib-config", Behavior: "merge",
		KvPairSources: types.KvPairSources{FileSources: []string{name}},
		Options:       &types.GeneratorOptions{DisableNameSuffixHash: true},
	}})
	return nil
}

// storageClassPatch gives every claim of a unit the storage class.
func storageClassPatch(class string) types.Patch {
	return types.Patch{
		Target: &types.Selector{ResId: resid.ResId{Gvk: resid.Gvk{Version: "v1", Kind: "PersistentVolumeClaim"}}},
		Patch:  fmt.Sprintf("- op: add\n  path: /spec/storageClassName\n  value: %q\n", class),
	}
}
