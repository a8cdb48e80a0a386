#!/usr/bin/env bash
# Fuzzes every parser of outside input (each `func Fuzz…` of the module) for FUZZTIME, one after
# another, prints a table of targets, executions and outcomes (also to test-output/fuzz.txt),
# and keeps up to FUZZ_KEEP of each target's corpus, the smallest inputs first, under the
# package's testdata/fuzz/<target>, where `go test` runs them as seeds from then on. A crash
# leaves its input there too (go test writes it) and fails the run.
set -u
cd "$(dirname "$0")/../.."
FUZZTIME=${FUZZTIME:-10m}
FUZZ_KEEP=${FUZZ_KEEP:-64}
GO=${GO:-go}
cache=$($GO env GOCACHE)/fuzz
module=$($GO list -m)
mkdir -p test-output
report=test-output/fuzz.txt
printf '%-40s %-22s %12s %10s %s\n' package target execs corpus outcome | tee "$report"
failed=0
while IFS=: read -r file name; do
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
