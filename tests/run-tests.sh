#!/bin/sh
# Run every test: the C unit tests (under ASan+UBSan), a short run of each
# fuzz target on its seed corpus, and the shell tests. Suites that do not
# measure CPU or goodput run two at a time; the suites marked
# "# perflab-test: measures" (they judge CPU or goodput on a lab) run
# alone afterwards, since measurements on a loaded machine lie; those marked
# "# perflab-test: long" start first among the quiet ones. Each suite
# has a timeout (PERFLAB_TEST_TIMEOUT, default 420 s) and prints its time.
# Ends with the line "N passed, N failed".
#
#   tests/run-tests.sh [SUITE...]     e.g. tests/run-tests.sh t5100-history unit
cd "$(dirname "$0")/.." || exit 1
log=build/test-logs
jobs=${PERFLAB_TEST_JOBS:-2}
timeout_s=${PERFLAB_TEST_TIMEOUT:-420}
fuzz_s=${PERFLAB_FUZZ_SECONDS:-4}
export log timeout_s fuzz_s

# run_one NAME: run a suite into $log/NAME.out (TAP) and $log/NAME.time.
run_one() {
	name=$1
	start=$(date +%s)
	case $name in
	unit)
		timeout "$timeout_s" build/unit-tests >"$log/$name.out" 2>&1 ;;
	fuzz-*)
		corpus=tests/fuzz/corpus/${name#fuzz-}
		work="$log/$name.corpus"
		mkdir -p "$work"
		if timeout "$timeout_s" "build/fuzz/$name" -max_total_time="$fuzz_s" -timeout=10 \
			-rss_limit_mb=2048 "$work" "$corpus" >"$log/$name.fuzz" 2>&1; then
			printf 'ok 1 - %s\n1..1\n' "$name" >"$log/$name.out"
		else
			{ printf 'not ok 1 - %s\n' "$name"; tail -30 "$log/$name.fuzz"; printf '1..1\n'; } \
				>"$log/$name.out"
		fi ;;
	*)
		timeout "$timeout_s" sh "tests/t/$name.sh" >"$log/$name.out" 2>&1 ;;
	esac
	rc=$?
	[ "$rc" = 124 ] && echo "not ok - $name: timed out after ${timeout_s}s" >>"$log/$name.out"
	echo $(($(date +%s) - start)) >"$log/$name.time"
}

if [ "${1:-}" = --one ]; then
	run_one "$2"
	exit 0
fi

rm -rf "$log"
mkdir -p "$log"

measures() { grep -q '^# perflab-test: measures' "tests/t/$1.sh" 2>/dev/null; }
long() { grep -q '^# perflab-test: long' "tests/t/$1.sh" 2>/dev/null; }

all=""
if [ $# -gt 0 ]; then
	all="$*"
else
	all="unit"
	for fz in build/fuzz/fuzz-*; do
		[ -x "$fz" ] && all="$all $(basename "$fz")"
	done
	for t in tests/t/t[0-9]*.sh; do
		[ -f "$t" ] && all="$all $(basename "$t" .sh)"
	done
fi
# the long quiet suites (they boot VMs) start first, the others fill in beside them
quiet="" loud="" first=""
for s in $all; do
	if measures "$s"; then loud="$loud $s"
	elif long "$s"; then first="$first $s"
	else quiet="$quiet $s"; fi
done
quiet="$first $quiet"
quiet=${quiet# }

t0=$(date +%s)
# the quiet suites, $jobs at a time; then the measuring ones, alone
[ -n "$quiet" ] && printf '%s\n' $quiet | xargs -P "$jobs" -n 1 "$0" --one
for s in $loud; do
	"$0" --one "$s"
done

passed=0 failed=0 skipped=0
for name in $all; do
	file="$log/$name.out"
	secs=$(cat "$log/$name.time" 2>/dev/null || echo '?')
	p=$(grep -c '^ok ' "$file")
	f=$(grep -c '^not ok ' "$file")
	s=$(grep -c '^ok .*# skip' "$file")
	passed=$((passed + p - s))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$f" != 0 ] || ! grep -q '^1\.\.' "$file"; then
		grep -q '^1\.\.' "$file" || { failed=$((failed + 1)); echo "$name: did not finish"; }
		echo "FAIL $name ($p ok, $f failed, ${secs}s, see $file)"
		grep -A40 '^not ok' "$file" | head -80
	else
		printf 'ok   %-34s %3d passed%s %5ss\n' "$name" "$((p - s))" \
			"$( [ "$s" != 0 ] && echo ", $s skipped" )" "$secs"
	fi
done
echo "time: $(($(date +%s) - t0)) s (suites marked 'measures' ran alone:$loud)"
[ "$skipped" != 0 ] && echo "$skipped skipped (missing prerequisites; see $log)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
