package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// kubeFlags are the flags of the commands that reach a cluster.
type kubeFlags struct {
	kubeconfig, context string
}

// config loads the client configuration the flags name, and the context's name.
func (f kubeFlags) config() (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: f.context})
	cfg, err := cc.ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		return nil, "", errors.New(noKubeconfig(f.kubeconfig))
	}
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	name := f.context
	if name == "" {
		if raw, err := cc.RawConfig(); err == nil {
			name = raw.CurrentContext
		}
	}
	return cfg, name, nil
}

// noKubeconfig says why no cluster is configured: the files named do not exist.
func noKubeconfig(explicit string) string {
	files := []string{explicit}
	switch env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); {
	case explicit != "":
	case env != "":
		files = filepath.SplitList(env)
	default:
		files = []string{clientcmd.RecommendedHomeFile}
	}
	var missing []string
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return "no kubeconfig to reach a cluster: " + strings.Join(missing, ", ") + " does not exist (give --kubeconfig, or set KUBECONFIG)"
	}
	return "no kubeconfig to reach a cluster: " + strings.Join(files, ", ") + " names no cluster (give --kubeconfig and --context)"
}
