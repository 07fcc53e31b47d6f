#!/usr/bin/env bash
# hack/bench-vs-cue.sh [TENANTS] [WORKLOADS] [RUNS]: times `mlc render --no-cache` against
# `cue export` on the same synthetic platform (default 1000 tenants x 10 workloads) and
# prints both wall times, their ratio and both peak RSS (from /usr/bin/time -v). Each is
# run RUNS times (default 3), in turn, and the median run of each is reported: a shared
# machine's speed drifts, and on this kind of disk creating files costs several times
# more while many were deleted in the last seconds (every render writes thousands).
#
# Then the warm render, as a user runs it: `mlc render -o DIR` with the cache, over the
# tree it wrote before, after a one-line change to one tenant (a different tenant each
# time), RUNS times; its median wall time is reported against the cold one.
#
# The cue command is installed from the Go module proxy at the cuelang.org/go version of
# go.mod, into ${MLC_BENCH_CACHE:-$HOME/.cache/mlc-bench}/cue-<version>/ (reused when
# there). The platform is written by compiler/synth twice: as a repository for mlc and
# as one plain CUE package, schemas included, for cue (see synth.WritePlain). Both are
# written to a temporary directory in that cache folder (or $MLC_BENCH_WORK), removed
# at the end.
set -euo pipefail

TENANTS=${1:-1000}
WORKLOADS=${2:-10}
RUNS=${3:-3}
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

# Not in /tmp: there, test runs create and delete files by the hundred thousand, and on
# this kind of disk (ext4 without a journal) creating files where many were deleted
# lately costs several times the system time (measured: 6-8 s instead of 1.1-1.6 s for
# a render's 25,000 files). $MLC_BENCH_WORK chooses another place.
mkdir -p "${MLC_BENCH_WORK:-$CACHE}"
WORK=$(mktemp -d -p "${MLC_BENCH_WORK:-$CACHE}")
trap 'rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/mlc" ./cmd/mlc)
(cd "$ROOT" && go run ./compiler/synth/cmd/synth -tenants "$TENANTS" -workloads "$WORKLOADS" -o "$WORK/repo" -plain "$WORK/plain")

# measure NAME DIR CMD...: runs CMD in DIR under GNU time and appends "wall cpu rss" (s,
# s, MiB) to $WORK/NAME.runs.
measure() {
	local name=$1 dir=$2
	shift 2
	if ! (cd "$dir" && /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"); then
		echo "bench-vs-cue: $name failed:" >&2
		cat "$WORK/$name.err" >&2
		exit 1
	fi
	awk -F': ' '
		/Elapsed \(wall clock\)/ {n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i]}
		/(User|System) time \(seconds\)/ {c += $2}
		/Maximum resident set size/ {r = $2 / 1024}
		END {printf "%s %s %.0f\n", w, c, r}' "$WORK/$name.time" >>"$WORK/$name.runs"
}

# median NAME: sets wall_NAME, cpu_NAME and rss_NAME from the run of median wall time.
median() {
	local w c r
	read -r w c r < <(sort -n "$WORK/$1.runs" | awk -v n="$RUNS" 'NR == int((n + 1) / 2)')
	printf -v "wall_$1" '%s' "$w"
	printf -v "cpu_$1" '%s' "$c"
	printf -v "rss_$1" '%s' "$r"
}

# Every render writes a new directory; all are removed at the end, not between runs. ext4
# without a journal (as on the machines this was measured on) searches past the inodes
# deleted in the last 30 seconds to create a file, which can double a render's system
# time; so the runs start once the deletions before this script (earlier runs' clean-up)
# are that old. MLC_BENCH_SETTLE=0 skips the wait.
sleep "${MLC_BENCH_SETTLE:-30}"
for run in $(seq "$RUNS"); do
	measure mlc "$WORK/repo" "$WORK/mlc" render --no-cache -q -o "$WORK/out-$run"
	measure cue "$WORK/plain" "$CUE" export
done
median mlc
median cue
objects=$(find "$WORK/out-1" -name '*.yaml' ! -name kustomization.yaml | wc -l)

# Warm: a cache and a tree of their own, filled by a render. The files it wrote are
# known by their stat only once a later render has read them, a second or more after
# they were written (as git's index, see emit.WithIndex): that is the second render.
# Each change is made more than a second before the render, as a person's edit would be.
export MLC_CACHE_DIR="$WORK/cache"
for fill in 1 2; do
	sleep 1.1
	(cd "$WORK/repo" && "$WORK/mlc" render -q -o "$WORK/warm" >/dev/null 2>&1)
done
tenants=("$WORK"/repo/tenants/*/)
for run in $(seq "$RUNS"); do
	echo "// warm run $run" >>"${tenants[$((run * 7 % ${#tenants[@]}))]}tenant.cue"
	sleep 1.1
	measure warm "$WORK/repo" "$WORK/mlc" render -q -o "$WORK/warm"
done
median warm

echo "platform: $TENANTS tenants x $WORKLOADS workloads; $(nproc) cores; $(go env GOVERSION); cue $CUE_VERSION; median of $RUNS runs each; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'mlc render --no-cache  wall %6.2f s  cpu %6.2f s  peak RSS %5s MiB  (%s objects)\n' "$wall_mlc" "$cpu_mlc" "$rss_mlc" "$objects"
printf 'cue export             wall %6.2f s  cpu %6.2f s  peak RSS %5s MiB\n' "$wall_cue" "$cpu_cue" "$rss_cue"
echo "all runs (wall s, cpu s, RSS MiB): mlc $(tr '\n' ';' <"$WORK/mlc.runs") cue $(tr '\n' ';' <"$WORK/cue.runs")"
awk -v m="$wall_mlc" -v c="$wall_cue" 'BEGIN {printf "ratio mlc/cue, wall    %.2f (target <= 0.60)\n", m / c}'
awk -v m="$cpu_mlc" -v c="$cpu_cue" 'BEGIN {printf "ratio mlc/cue, CPU     %.2f (target <= 0.80)\n", m / c}'
printf 'mlc render, warm       wall %6.2f s  cpu %6.2f s  peak RSS %5s MiB  (one tenant changed; runs: %s)\n' "$wall_warm" "$cpu_warm" "$rss_warm" "$(cut -d' ' -f1 "$WORK/warm.runs" | tr '\n' ' ')"
awk -v w="$wall_warm" -v m="$wall_mlc" 'BEGIN {printf "warm/cold              %.1f%% (target <= 5%%)\n", 100 * w / m}'
