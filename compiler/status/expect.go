package status

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/mlc-gitops/mlc/compiler/kubeflow"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Expected maps an artifact's OCI repository, as its OCIRepository names it
// ("oci://host/path"), to the digest that should be applied ("sha256:...").
type Expected map[string]string

// ParsePushed reads what `mlc push` printed on stdout: one "oci://<repository>@<digest>"
// per artifact. Other lines are ignored.
func ParsePushed(r io.Reader) (Expected, error) {
	exp := Expected{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "oci://") {
			continue
		}
		repo, digest, ok := strings.Cut(line, "@")
		if !ok || !strings.HasPrefix(digest, "sha256:") {
			return nil, fmt.Errorf("%q is not oci://<repository>@sha256:<digest>, as mlc push prints", line)
		}
		exp[repo] = digest
	}
	return exp, sc.Err()
}

// Tenants returns the tenants the expected artifacts of cluster are for (their
// repositories end in /<cluster>/tenants/<tenant>).
func (e Expected) Tenants(cluster string) []string {
	var out []string
	for repo := range e {
		parts := strings.Split(repo, "/")
		n := len(parts)
		if n >= 3 && parts[n-2] == "tenants" && (cluster == "" || parts[n-3] == cluster) {
			out = append(out, parts[n-1])
		}
	}
	return out
}

// ForCluster keeps the artifacts of one cluster.
func (e Expected) ForCluster(cluster string) Expected {
	out := Expected{}
	for repo, d := range e {
		if strings.HasSuffix(repo, "/"+cluster+"/platform") || strings.HasSuffix(repo, "/"+cluster+"/"+kubeflow.Dir) || strings.Contains(repo, "/"+cluster+"/tenants/") {
			out[repo] = d
		}
	}
	return out
}

// Resolver finds the digest a unit's tag points at in the registry now.
type Resolver struct {
	// Keychain gives registry credentials; the Docker config and helpers when nil.
	Keychain authn.Keychain
	// Insecure allows plain HTTP to any registry (loopback ones always may).
	Insecure bool
}

// Resolve adds to exp, for each unit of rep that has no expectation yet, the digest its
// OCIRepository's tag points at in the registry.
func (r *Resolver) Resolve(ctx context.Context, rep *Report, exp Expected) error {
	kc := r.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	for _, u := range rep.Units {
		if u.URL == "" || u.Tag == "" {
			continue
		}
		if _, ok := exp[u.URL]; ok {
			continue
		}
		var opts []name.Option
		if r.Insecure || u.insecure {
			opts = append(opts, name.Insecure)
		}
		ref, err := name.NewTag(strings.TrimPrefix(u.URL, "oci://")+":"+u.Tag, opts...)
		if err != nil {
			return fmt.Errorf("%s: %w", u.Tenant, err)
		}
		desc, err := remote.Head(ref, remote.WithContext(ctx), remote.WithAuthFromKeychain(kc))
		if err != nil {
			return fmt.Errorf("%s: reading the digest of %s from the registry: %w", u.Tenant, ref, err)
		}
		exp[u.URL] = desc.Digest.String()
	}
	return nil
}

// Problem is why one unit's rollout is not done.
type Problem struct {
	Tenant  string `json:"tenant"`
	Message string `json:"message"`
	// Final problems will not go away by waiting (a stalled Kustomization).
	Final bool `json:"final,omitempty"`
}

func (p Problem) String() string { return p.Tenant + ": " + p.Message }

// Problems lists why the rollout is not done: for every unit, that it is applied (the
// expected digest when exp has one for it, else what its source fetched), Ready, and
// its workloads healthy. None means done.
func (rep *Report) Problems(exp Expected) []Problem {
	var out []Problem
	for _, u := range rep.Units {
		add := func(final bool, format string, args ...any) {
			out = append(out, Problem{Tenant: u.Tenant, Message: fmt.Sprintf(format, args...), Final: final})
		}
		if !u.Found {
			if u.Tenant == Platform {
				add(false, "no Kustomization flux-system/mlc-platform: apply the cluster's flux-system folder from `mlc render`")
			} else {
				add(false, "no Kustomization %s/mlc-tenant yet: the platform has not applied it", u.Namespace)
			}
			continue
		}
		if u.Suspended {
			add(true, "reconciliation is suspended")
			continue
		}
		if u.Stalled {
			add(true, "stalled: %s", u.LastError())
			continue
		}
		want, pinned := exp[u.URL]
		if !pinned {
			want = Digest(u.Fetched)
		}
		switch {
		case want == "":
			add(false, "the source has fetched nothing yet%s", suffix(sourceError(u)))
		case Digest(u.Applied) != want && Digest(u.Attempted) == want && u.Ready != nil && u.Ready.Status == metav1.ConditionFalse && !u.Reconciling:
			add(false, "applying %s failed: %s: %s", short(want), u.Ready.Reason, u.Ready.Message)
		case Digest(u.Applied) != want && Digest(u.Fetched) != want:
			add(false, "waiting for the source to fetch %s (it has %s)%s", short(want), orNone(short(Digest(u.Fetched))), suffix(sourceError(u)))
		case Digest(u.Applied) != want:
			add(false, "applying %s%s", short(want), suffix(readyText(u)))
		case u.Ready == nil || u.Ready.Status != metav1.ConditionTrue:
			add(false, "%s", orNone(readyText(u)))
		case !u.Current:
			add(false, "kustomize-controller has not reconciled the latest spec yet")
		}
		for _, w := range u.Workloads {
			if !w.Healthy() {
				add(false, "%s %s: %s%s", w.Kind, w.Name, w.Health, suffix(w.Message))
			}
		}
	}
	return out
}

func sourceError(u Unit) string {
	if u.Source != nil && u.Source.Status == metav1.ConditionFalse {
		return "source " + u.Source.Reason + ": " + u.Source.Message
	}
	return ""
}

func readyText(u Unit) string {
	if u.Ready == nil {
		return "not reconciled yet"
	}
	return "Ready=" + string(u.Ready.Status) + " " + u.Ready.Reason + ": " + u.Ready.Message
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// short abbreviates a digest for people: sha256:0123456789ab.
func short(digest string) string {
	if len(digest) > len("sha256:")+12 {
		return digest[:len("sha256:")+12]
	}
	return digest
}

// CheckCluster makes sure the cluster's Flux follows the named cluster's artifacts, so
// that a kubeconfig pointing at the wrong cluster is caught.
func (rep *Report) CheckCluster(cluster string) error {
	for _, u := range rep.Units {
		if u.Tenant == Platform && u.URL != "" && !strings.HasSuffix(u.URL, "/"+cluster+"/platform") {
			return fmt.Errorf("this cluster's Flux follows %s, not the artifacts of cluster %q: check --context", u.URL, cluster)
		}
	}
	return nil
}

// WaitOptions tune Wait.
type WaitOptions struct {
	// Only limits the tenants to these.
	Only []string
	// Expected digests; nil asks the registry once for each unit's tag (Resolver).
	Expected Expected
	Resolver *Resolver
	// Interval between reads; 2s when zero.
	Interval time.Duration
	// Progress, when set, is told each time the list of problems changes.
	Progress func(rep *Report, problems []Problem)
}

// Wait reads the rollout until it has no problems, a final problem shows, or ctx ends
// (give it the timeout). It returns the last report and its problems: none means done.
func (r *Reader) Wait(ctx context.Context, opts WaitOptions) (*Report, []Problem, error) {
	interval := opts.Interval
	if interval == 0 {
		interval = 2 * time.Second
	}
	exp := opts.Expected
	resolve := exp == nil
	if resolve {
		exp = Expected{}
	}
	also := exp.Tenants("")
	var (
		last     string
		rep      *Report
		problems []Problem
	)
	for {
		next, err := r.Read(ctx, also, opts.Only)
		if err != nil {
			if ctx.Err() != nil && rep != nil {
				return rep, problems, nil // the time is up
			}
			return nil, nil, err
		}
		rep = next
		if resolve {
			res := opts.Resolver
			if res == nil {
				res = &Resolver{}
			}
			if err := res.Resolve(ctx, rep, exp); err != nil {
				return rep, nil, err
			}
		}
		problems = rep.Problems(exp)
		if opts.Progress != nil {
			var b strings.Builder
			for _, p := range problems {
				b.WriteString(p.String() + "\n")
			}
			if b.String() != last {
				last = b.String()
				opts.Progress(rep, problems)
			}
		}
		if len(problems) == 0 {
			return rep, nil, nil
		}
		for _, p := range problems {
			if p.Final {
				return rep, problems, nil
			}
		}
		select {
		case <-ctx.Done():
			return rep, problems, nil
		case <-time.After(interval):
		}
	}
}
