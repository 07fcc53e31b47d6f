#!/usr/bin/env bash
# hack/e2e.sh: the real cluster the end-to-end tests run against.
#
#   hack/e2e.sh build   build etcd, kube-apiserver, kube-controller-manager, kubectl, Flux's
#                       source-controller and kustomize-controller from the Go module proxy
#                       into the cache folder (each once per set of versions; seconds when
#                       already built)
#   hack/e2e.sh up      start etcd, kube-apiserver (with the CRDs), kube-controller-manager, both
#                       Flux controllers, an OCI registry and the webhook and readiness
#                       stand-ins, in the background, for trying things by hand
#   hack/e2e.sh down    stop what `up` started
#   hack/e2e.sh env     print the variables that point at the binaries (and at the running
#                       cluster, after `up`): eval "$(hack/e2e.sh env)"
#
# The cache folder is ${MLC_E2E_CACHE:-$HOME/.cache/mlc-e2e}, outside the repository: the
# binaries go to bin-k8s<v>-etcd<v>-flux<v>-<go>/, the throwaway Go modules that build them
# to src/. Nothing built or fetched is ever written into the repository. Versions are in
# internal/e2etest/versions.env. The recipe, with every workaround explained, is the
# project's note on running a real cluster (shared/notes/real-cluster.md).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../internal/e2etest/versions.env
. "$ROOT/internal/e2etest/versions.env"
CACHE=${MLC_E2E_CACHE:-$HOME/.cache/mlc-e2e}
GOVERSION=$(go env GOVERSION)
BIN=${MLC_E2E_BIN:-$CACHE/bin-k8s$K8S_VERSION-etcd$ETCD_VERSION-flux$FLUX_VERSION-$GOVERSION}
RUN=${MLC_E2E_RUN:-$CACHE/run}
export GOWORK=off GOTOOLCHAIN=local

say() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# timed NAME CMD...: runs CMD and reports how long it took, also in $CACHE/build.log.
timed() {
	local name=$1 start=$SECONDS
	shift
	say "$name ..."
	"$@"
	local took=$((SECONDS - start))
	say "$name done in ${took}s"
	printf '%s %s %ss\n' "$(date -u +%FT%TZ)" "$name" "$took" >>"$CACHE/build.log"
}

# gobuild OUT PKG [LDFLAGS]: builds PKG in the current module to $BIN/OUT, atomically.
gobuild() {
	local out=$1 pkg=$2 ld=${3:-}
	go build -trimpath -ldflags "-s -w $ld" -o "$BIN/.$out.tmp" "$pkg"
	mv "$BIN/.$out.tmp" "$BIN/$out"
}

tidy() { GOFLAGS="-mod=mod -buildvcs=false" go mod tidy "$@"; }

# The Kubernetes binaries, all from one throwaway module requiring k8s.io/kubernetes.
KUBE_BINARIES="kube-apiserver kube-controller-manager kubectl"

build_kube() {
	local need="" b
	for b in $KUBE_BINARIES; do [ -x "$BIN/$b" ] || need="$need $b"; done
	[ -n "$need" ] || return 0
	local src=$CACHE/src/kube-$K8S_VERSION staging k
	mkdir -p "$src" && cd "$src"
	# The k8s.io/kubernetes module replaces its staging repositories with local folders,
	# which a dependency's replaces cannot do: replace each with its published release.
	k=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	staging=$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging.*#\1#p' "$k/go.mod")
	{
		printf 'module example.com/kube\n\ngo 1.26.0\n\ngodebug default=go1.26\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "$K8S_VERSION"
		for r in $staging; do printf '\t%s => %s v0.%s\n' "$r" "$r" "${K8S_VERSION#1.}"; done
		printf ')\n'
	} >go.mod
	{
		printf '//go:build tools\n\npackage tools\n\nimport (\n'
		for b in $KUBE_BINARIES; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b"; done
		printf ')\n'
	} >tools.go
	printf 'package main\n\nfunc main() {}\n' >main.go
	tidy
	local minor=${K8S_VERSION#*.}
	minor=${minor%%.*}
	local ld="-X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
	for b in $need; do
		timed "$b v$K8S_VERSION" gobuild "$b" "k8s.io/kubernetes/cmd/$b" "$ld"
	done
}

build_etcd() {
	[ -x "$BIN/etcd" ] && return
	local src=$CACHE/src/etcd-$ETCD_VERSION
	mkdir -p "$src" && cd "$src"
	printf 'module example.com/etcd\n\ngo 1.26.0\n' >go.mod
	printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >main.go
	GOFLAGS="-mod=mod -buildvcs=false" go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
	tidy
	timed "etcd v$ETCD_VERSION" gobuild etcd .
}

# build_flux NAME REPLACES: a throwaway module requiring the controller, with the replaces
# of the controller's own go.mod (a dependency's replaces are ignored) and those this
# proxy needs.
build_flux() {
	local name=$1 replaces=$2
	[ -x "$BIN/$name" ] && return
	local src=$CACHE/src/$name-$FLUX_VERSION
	mkdir -p "$src" && cd "$src"
	printf 'module example.com/%s\n\ngo 1.26.0\n\nrequire github.com/fluxcd/%s v%s\n\n%s\n' "$name" "$name" "$FLUX_VERSION" "$replaces" >go.mod
	printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/fluxcd/%s"\n' "$name" >tools.go
	printf 'package main\n\nfunc main() {}\n' >main.go
	# -e: some test-only dependencies (fluxcd/pkg/helmtestserver) are refused by the proxy.
	tidy -e
	timed "$name v$FLUX_VERSION" gobuild "$name" "github.com/fluxcd/$name"
}

build() {
	mkdir -p "$BIN" "$CACHE/src"
	local start=$SECONDS
	say "binaries: $BIN"
	build_kube
	build_etcd
	# fluxcd/pkg/artifact v0.18.3 is refused by this proxy; v0.18.0 builds and runs.
	build_flux source-controller 'replace github.com/opencontainers/go-digest => github.com/opencontainers/go-digest v1.0.1-0.20220411205349-bde1400a84be
replace github.com/fluxcd/pkg/artifact => github.com/fluxcd/pkg/artifact v0.18.0'
	build_flux kustomize-controller 'replace github.com/opencontainers/go-digest => github.com/opencontainers/go-digest v1.0.1-0.20220411205349-bde1400a84be
replace sigs.k8s.io/kustomize/api => sigs.k8s.io/kustomize/api v0.21.1
replace sigs.k8s.io/kustomize/kyaml => sigs.k8s.io/kustomize/kyaml v0.21.1
replace gopkg.in/yaml.v3 => gopkg.in/yaml.v3 v3.0.1'
	# The Flux CRDs, from the controllers' modules, for the tests and `up`.
	local crds=$BIN/crds
	mkdir -p "$crds"
	for name in source-controller kustomize-controller; do
		local dir
		dir=$(cd "$CACHE/src/$name-$FLUX_VERSION" && go list -m -f '{{.Dir}}' "github.com/fluxcd/$name")
		cp -f "$dir"/config/crd/bases/*.yaml "$crds/"
		chmod u+w "$crds"/*.yaml
	done
	printf 'k8s=%s etcd=%s flux=%s go=%s\n' "$K8S_VERSION" "$ETCD_VERSION" "$FLUX_VERSION" "$GOVERSION" >"$BIN/.stamp"
	"$BIN/kube-apiserver" --version >&2
	say "all built in $((SECONDS - start))s: $BIN"
}

up() {
	if [ -f "$RUN/pid" ] && kill -0 "$(cat "$RUN/pid")" 2>/dev/null; then
		say "already up (pid $(cat "$RUN/pid")); hack/e2e.sh down first"
		cat "$RUN/env"
		return
	fi
	rm -rf "$RUN" && mkdir -p "$RUN"
	(cd "$ROOT" && go build -o "$RUN/e2e-cluster" ./internal/e2etest/cmd/e2e-cluster)
	# Its own session, so that `down` stops it and every server it started.
	MLC_E2E_BIN=$BIN setsid "$RUN/e2e-cluster" -dir "$RUN" >"$RUN/log" 2>&1 </dev/null &
	echo $! >"$RUN/pid"
	local i
	for i in $(seq 1 600); do
		if [ -f "$RUN/env" ]; then
			cat "$RUN/env"
			say "up; logs in $RUN; hack/e2e.sh down stops it"
			return
		fi
		if ! kill -0 "$(cat "$RUN/pid")" 2>/dev/null; then
			cat "$RUN/log" >&2
			say "the cluster did not start"
			return 1
		fi
		sleep 0.1
	done
	say "the cluster did not start within 60s; see $RUN/log"
	down
	return 1
}

down() {
	[ -f "$RUN/pid" ] || { say "not up"; return; }
	local pid
	pid=$(cat "$RUN/pid")
	kill -TERM -- "-$pid" 2>/dev/null || true
	local i
	for i in $(seq 1 150); do
		kill -0 -- "-$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	rm -f "$RUN/pid" "$RUN/env"
	say "down"
}

env_() {
	printf 'export MLC_E2E_BIN=%q\n' "$BIN"
	printf 'export KUBEBUILDER_ASSETS=%q\n' "$BIN"
	if [ -f "$RUN/env" ] && [ -f "$RUN/pid" ] && kill -0 "$(cat "$RUN/pid")" 2>/dev/null; then
		cat "$RUN/env"
	fi
}

case ${1:-} in
build) build ;;
up) up ;;
down) down ;;
env) env_ ;;
*)
	sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
