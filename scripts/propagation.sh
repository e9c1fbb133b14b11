#!/usr/bin/env bash
# propagation.sh: measures the sync path end to end (sync's TestPropagation:
# an owner's write -> DynamoDB stream -> StreamReader -> SNS -> SQS ->
# Subscriber -> Copier) for this checkout and for a baseline commit, in
# alternating runs, each on private local servers started afresh and
# warmed up, and prints every run's figures and the medians per variant and
# mode.
#
# Usage: scripts/propagation.sh [rounds]        (default 3)
#
# Settings (environment):
#   TABLESTAKES_PROPAGATION  changes per run (default 1000)
#   PROPAGATION_BASELINE     baseline commit (default c67e41a: the sync path
#                            as issue 12 found it — one change applied at a
#                            time, three requests per insert)
#   PROPAGATION_MODES        modes to run (default "burst backlog paced"):
#                            burst: 4 writers as fast as they can;
#                            backlog: every change written before the path
#                            starts (the path's own throughput);
#                            paced: each writer waits 100ms after each write
#   PROPAGATION_DDB_PORT, PROPAGATION_FAUXQS_PORT
#                            ports of the private servers (18000, 14566)
#
# The baseline runs this checkout's sync/propagation_test.go (so both
# measure the same way), built in a temporary git worktree of the baseline.
# The servers are started with scripts/local-aws.sh and stopped at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${1:-3}"
CHANGES="${TABLESTAKES_PROPAGATION:-1000}"
BASE="${PROPAGATION_BASELINE:-c67e41a}"
MODES="${PROPAGATION_MODES:-burst backlog paced}"
export TABLESTAKES_DYNAMODB_PORT="${PROPAGATION_DDB_PORT:-18000}"
export TABLESTAKES_FAUXQS_PORT="${PROPAGATION_FAUXQS_PORT:-14566}"

TMP="$(mktemp -d)"
cleanup() {
	"$ROOT/scripts/local-aws.sh" stop >/dev/null 2>&1 || true
	git -C "$ROOT" worktree remove --force "$TMP/base" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT

echo "propagation: building this checkout ($(git -C "$ROOT" rev-parse --short HEAD)) and the baseline ($BASE)" >&2
(cd "$ROOT" && go test -c -o "$TMP/new.test" ./sync/)
git -C "$ROOT" worktree add --detach "$TMP/base" "$BASE" >/dev/null 2>&1
cp "$ROOT/sync/propagation_test.go" "$TMP/base/sync/propagation_test.go"
# The baseline has no Copier.Supersedes.
sed -i 's/return tc.copier.Supersedes(later, earlier)/return false/' "$TMP/base/sync/propagation_test.go"
(cd "$TMP/base" && go test -c -o "$TMP/old.test" ./sync/)

# ms converts a Go duration as the test prints it (994ms, 1.944s) to ms.
ms() { awk -v d="$1" 'BEGIN { if (d ~ /ms$/) { sub(/ms$/, "", d); print d+0 } else if (d ~ /µs$/) { print 0 } else { sub(/s$/, "", d); print d*1000 } }'; }

run() { # run <impl> <mode>
	local impl=$1 mode=$2 out
	# Fresh servers for every run (DynamoDB Local slows down as it keeps
	# the streams of deleted tables), warmed up by a short run that is not
	# counted (a fresh JVM is several times slower until its code is
	# compiled).
	"$ROOT/scripts/local-aws.sh" stop >/dev/null 2>&1 || true
	eval "$("$ROOT/scripts/local-aws.sh" start 2>/dev/null)"
	(cd "$ROOT/sync" && TABLESTAKES_PROPAGATION=300 TABLESTAKES_PROPAGATION_BACKLOG=1 TABLESTAKES_REQUIRE_SERVERS=1 \
		"$TMP/new.test" -test.run '^TestPropagation$' -test.count=1 >/dev/null 2>&1) || true
	local -a env=(TABLESTAKES_PROPAGATION="$CHANGES" TABLESTAKES_REQUIRE_SERVERS=1)
	case $mode in
	backlog) env+=(TABLESTAKES_PROPAGATION_BACKLOG=1) ;;
	paced) env+=(TABLESTAKES_PROPAGATION_PACE=100ms) ;;
	esac
	local dir="$ROOT/sync"
	[ "$impl" = old ] && dir="$TMP/base/sync"
	out="$(cd "$dir" && env "${env[@]}" "$TMP/$impl.test" -test.run '^TestPropagation$' -test.v -test.count=1 2>&1)" || {
		echo "$out" >&2
		echo "propagation: $impl $mode failed" >&2
		exit 1
	}
	local lat p50 p99 tput drained
	lat="$(grep -o 'copy written: p50 [^,]*, p90 [^,]*, p99 [^,]*' <<<"$out" | head -1)"
	p50="$(ms "$(awk '{print $4}' <<<"$lat" | tr -d ,)")"
	p99="$(ms "$(awk '{print $8}' <<<"$lat")")"
	tput="$(grep -o 'throughput: [0-9]* changes/s' <<<"$out" | awk '{print $2}' || true)"
	drained="$(grep -o 'backlog drained: [0-9]* changes/s' <<<"$out" | awk '{print $3}' || true)"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$impl" "$mode" "$p50" "$p99" "${tput:-}${drained:+/$drained}" | tee -a "$TMP/results"
}

printf 'round\tvariant\tmode\tp50 ms\tp99 ms\tchanges/s (end to end[/backlog drained])\n'
for round in $(seq 1 "$ROUNDS"); do
	for mode in $MODES; do
		# Alternate which variant goes first.
		if [ $((round % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
		for impl in $order; do run "$impl" "$mode"; done
	done
done

echo
echo "medians over $ROUNDS rounds (old = $BASE, new = $(git -C "$ROOT" rev-parse --short HEAD)):"
printf 'variant\tmode\tp50 ms\tp99 ms\tchanges/s\n'
for mode in $MODES; do
	for impl in old new; do
		awk -F'\t' -v i="$impl" -v m="$mode" '$2 == i && $3 == m { n++; p50[n] = $4; p99[n] = $5; split($6, t, "/"); tp[n] = (t[2] != "" ? t[2] : t[1]) }
			function med(a, n,   i, j, x) { for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j+1] = a[j]; a[j+1] = x } return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
			END { if (n) printf "%s\t%s\t%d\t%d\t%d%s\n", i, m, med(p50, n), med(p99, n), med(tp, n), (m == "backlog" ? " (drained)" : "") }' "$TMP/results"
	done
done
