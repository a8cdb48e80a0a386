#!/usr/bin/env bash
# Fuzzes every parser of outside input (each `func Fuzz…` of the module) for FUZZTIME, one after
# another (FUZZ_JOBS at a time), prints a table of targets, executions and outcomes (also to test-output/fuzz.txt),
# and keeps up to FUZZ_KEEP of each target's corpus, the smallest inputs first, under the
# package's testdata/fuzz/<target>, where `go test` runs them as seeds from then on. A crash
# leaves its input there too (go test writes it) and fails the run.
set -u
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/../.."
FUZZTIME=${FUZZTIME:-10m}
FUZZ_KEEP=${FUZZ_KEEP:-64}
GO=${GO:-go}
cache=$($GO env GOCACHE)/fuzz
module=$($GO list -m)
mkdir -p test-output
header() { printf '%-40s %-22s %12s %10s %s\n' package target execs corpus outcome; }

# FUZZ_JOBS>1 fuzzes that many targets at a time (each with FUZZ_PARALLEL workers): the script
# runs once per shard and the shards' tables are joined.
jobs=${FUZZ_JOBS:-1}
if [ -z "${FUZZ_SHARD:-}" ] && [ "$jobs" -gt 1 ]; then
	pids=()
	for ((i = 0; i < jobs; i++)); do
		FUZZ_SHARD="$i/$jobs" "$self" >/dev/null &
		pids+=($!)
	done
	failed=0
	for p in "${pids[@]}"; do wait "$p" || failed=1; done
	{ header; for ((i = 0; i < jobs; i++)); do cat "test-output/fuzz-$i.txt"; rm -f "test-output/fuzz-$i.txt"; done; } | tee test-output/fuzz.txt
	exit $failed
fi
shard=${FUZZ_SHARD:-0/1}
shard_i=${shard%/*}
shard_n=${shard#*/}
if [ -n "${FUZZ_SHARD:-}" ]; then
	report=test-output/fuzz-$shard_i.txt
	: >"$report"
else
	report=test-output/fuzz.txt
	header | tee "$report"
fi
failed=0
k=-1
while IFS=: read -r file name; do
	k=$((k + 1))
	[ $((k % shard_n)) -eq "$shard_i" ] || continue
	pkg=$(dirname "$file")
	name=${name#func }
	name=${name%%(*}
	log=$(mktemp)
	if $GO test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 10s -parallel "${FUZZ_PARALLEL:-2}" "$pkg" >"$log" 2>&1; then
		outcome=ok
	else
		outcome=FAILED
		failed=1
		sed -n '1,40p' "$log" >&2
	fi
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	src="$cache/$module/${pkg#./}/$name"
	dst="$pkg/testdata/fuzz/$name"
	kept=0
	if [ -d "$src" ]; then
		mkdir -p "$dst"
		# The smallest inputs of the generated corpus: each is a seed of every later go test.
		for f in $(ls -Sr "$src" | head -n "$FUZZ_KEEP"); do cp -n "$src/$f" "$dst/$f"; done
		kept=$(ls "$dst" | wc -l)
	fi
	printf '%-40s %-22s %12s %10s %s\n' "$pkg" "$name" "${execs:-0}" "$kept" "$outcome" | tee -a "$report"
	rm -f "$log"
done < <(grep -rEo '^func Fuzz[A-Za-z0-9_]*\(' --include='*_test.go' . | grep -v '^./var/' | sort)
exit $failed
