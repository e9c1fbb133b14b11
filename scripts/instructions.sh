#!/usr/bin/env bash
# instructions.sh: counts the machine instructions one operation of a
# benchmark executes, for each of its impl=<variant> sub-benchmarks, with
# valgrind's callgrind — a figure that, unlike time, does not depend on the
# load of the machine.
#
#	scripts/instructions.sh [-gc] [-n N] [-p PKG] BENCHMARK [IMPL...]
#	scripts/instructions.sh BenchmarkPut sdk repository
#
# BENCHMARK is a benchmark's name (BenchmarkPut, or BenchmarkExactlyOnce/op=Put
# for a nested one); IMPLs are its impl= variants (default: sdk repository).
# PKG is the package of the benchmark (default ./repository/).
#
# For each variant the test binary runs the sub-benchmark N times
# (-test.benchtime Nx, default 2000) and 2N times under callgrind; the
# difference of the two instruction totals, divided by N, is the
# instructions per operation: the setup, the test framework and the start
# of the process are in both totals and cancel. It prints one line per
# variant, and its ratio to the first.
#
# By default the garbage collector is off (GOGC=off): what is counted is
# the operation's own work, allocation included but not the collector's
# marking and sweeping, and repeats agree to about 0.1%. With -gc the
# collector runs, stopping the world (GODEBUG=gcstoptheworld=1) so that its
# work lands on a predictable schedule; repeats then agree to about 1%.
# The Go runtime runs on one P (GOMAXPROCS=1), without asynchronous
# preemption (its signals upset callgrind) and without sampling allocations
# for the memory profile (which would add a random cost). Each variant takes about a
# minute; needs valgrind.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

n=2000
pkg=./repository/
gc=0
while [ $# -gt 0 ]; do
	case "$1" in
	-gc) gc=1; shift ;;
	-n) n="$2"; shift 2 ;;
	-p) pkg="$2"; shift 2 ;;
	-h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	-*) echo "instructions.sh: unknown flag $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $# -lt 1 ]; then
	echo "usage: scripts/instructions.sh [-gc] [-n N] [-p PKG] BENCHMARK [IMPL...]" >&2
	exit 2
fi
bench="$1"
shift
impls=("$@")
[ ${#impls[@]} -gt 0 ] || impls=(sdk repository)
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is not installed" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/bench.test" "$pkg"

export GOMAXPROCS=1
if [ "$gc" = 1 ]; then
	export GODEBUG=asyncpreemptoff=1,memprofilerate=0,gcstoptheworld=1
	unset GOGC
else
	export GODEBUG=asyncpreemptoff=1,memprofilerate=0 GOGC=off
fi

# total prints the instructions of the whole run of the sub-benchmark at
# $2 iterations.
total() {
	local pattern="$1" iters="$2"
	(cd "$tmp" && valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		./bench.test -test.run '^$' -test.bench "$pattern" -test.benchtime "${iters}x" \
		>"$tmp/out" 2>"$tmp/err") || { cat "$tmp/out" "$tmp/err" >&2; return 1; }
	grep -Eq "^Benchmark[^[:space:]]*[[:space:]]+${iters}[[:space:]]" "$tmp/out" || {
		echo "instructions.sh: $pattern did not run ${iters} times:" >&2
		cat "$tmp/out" >&2
		return 1
	}
	sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' "$tmp/err"
}

echo "# $bench: instructions per operation (callgrind, N=$n and 2N, $([ "$gc" = 1 ] && echo "collector on" || echo "GOGC=off"))"
base=""
for impl in "${impls[@]}"; do
	# Anchor each element so that BenchmarkPut does not also run BenchmarkPutX.
	pattern="$(echo "$bench" | sed 's#/#$/^#g; s#^#^#; s#$#$#')/^impl=${impl}\$"
	a="$(total "$pattern" "$n")"
	b="$(total "$pattern" "$((2 * n))")"
	per=$(((b - a) / n))
	if [ -z "$base" ]; then
		base=$per
		printf '%-16s %12d instr/op\n' "impl=$impl" "$per"
	else
		printf '%-16s %12d instr/op  %s×\n' "impl=$impl" "$per" "$(awk -v a="$per" -v b="$base" 'BEGIN { printf "%.3f", a / b }')"
	fi
done
