#!/usr/bin/env bash
# hack/bench-vs-cue.sh [TENANTS] [WORKLOADS]: times `mlc render --no-cache` against
# `cue export` on the same synthetic platform (default 1000 tenants x 10 workloads) and
# prints both wall times, their ratio and both peak RSS (from /usr/bin/time -v).
#
# The cue command is installed from the Go module proxy at the cuelang.org/go version of
# go.mod, into ${MLC_BENCH_CACHE:-$HOME/.cache/mlc-bench}/cue-<version>/ (reused when
# there). The platform is written by compiler/synth twice: as a repository for mlc and
# as one plain CUE package, schemas included, for cue (see synth.WritePlain). Both are
# written to a temporary directory that is removed at the end.
set -euo pipefail

TENANTS=${1:-1000}
WORKLOADS=${2:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${MLC_BENCH_CACHE:-$HOME/.cache/mlc-bench}
export GOWORK=off GOTOOLCHAIN=local

if [ ! -x /usr/bin/time ]; then
	echo "bench-vs-cue: needs GNU time at /usr/bin/time (apt-get install time)" >&2
	exit 2
fi

CUE_VERSION=$(cd "$ROOT" && go list -m -f '{{.Version}}' cuelang.org/go)
CUE="$CACHE/cue-$CUE_VERSION/cue"
if [ ! -x "$CUE" ]; then
	echo "installing cue $CUE_VERSION into $(dirname "$CUE")" >&2
	mkdir -p "$(dirname "$CUE")"
	GOBIN=$(dirname "$CUE") go install "cuelang.org/go/cmd/cue@$CUE_VERSION"
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/mlc" ./cmd/mlc)
(cd "$ROOT" && go run ./compiler/synth/cmd/synth -tenants "$TENANTS" -workloads "$WORKLOADS" -o "$WORK/repo" -plain "$WORK/plain")

# measure NAME DIR CMD...: runs CMD in DIR under GNU time; sets wall_NAME and cpu_NAME
# (user + system, seconds) and rss_NAME (MiB).
measure() {
	local name=$1 dir=$2
	shift 2
	if ! (cd "$dir" && /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"); then
		echo "bench-vs-cue: $name failed:" >&2
		cat "$WORK/$name.err" >&2
		exit 1
	fi
	local wall cpu rss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$WORK/$name.time")
	cpu=$(awk -F': ' '/(User|System) time \(seconds\)/ {s += $2} END {print s}' "$WORK/$name.time")
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$WORK/$name.time")
	printf -v "wall_$name" '%s' "$wall"
	printf -v "cpu_$name" '%s' "$cpu"
	printf -v "rss_$name" '%s' "$rss"
}

measure mlc "$WORK/repo" "$WORK/mlc" render --no-cache -q -o "$WORK/out"
measure cue "$WORK/plain" "$CUE" export
objects=$(find "$WORK/out" -name '*.yaml' ! -name kustomization.yaml | wc -l)

echo "platform: $TENANTS tenants x $WORKLOADS workloads; $(nproc) cores; $(go env GOVERSION); cue $CUE_VERSION; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'mlc render --no-cache  wall %6.2f s  cpu %6.2f s  peak RSS %5s MiB  (%s objects)\n' "$wall_mlc" "$cpu_mlc" "$rss_mlc" "$objects"
printf 'cue export             wall %6.2f s  cpu %6.2f s  peak RSS %5s MiB\n' "$wall_cue" "$cpu_cue" "$rss_cue"
awk -v m="$wall_mlc" -v c="$wall_cue" 'BEGIN {printf "ratio mlc/cue          %.2f (target <= 0.60)\n", m / c}'
