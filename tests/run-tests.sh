#!/bin/sh
# Run every test: the C unit tests (under ASan+UBSan), the shell tests
# and a short run of each fuzz target on its seed corpus. Ends with the
# line "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
log=build/test-logs
rm -rf "$log"
mkdir -p "$log"
passed=0
failed=0
skipped=0

# Count TAP lines of one suite's output file.
tally() {
	name=$1
	file=$2
	p=$(grep -c '^ok ' "$file")
	f=$(grep -c '^not ok ' "$file")
	s=$(grep -c '^ok .*# skip' "$file")
	passed=$((passed + p - s))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$f" != 0 ] || ! grep -q '^1\.\.' "$file"; then
		grep -q '^1\.\.' "$file" || { failed=$((failed + 1)); echo "$name: did not finish"; }
		echo "FAIL $name ($p ok, $f failed, see $file)"
		grep -A40 '^not ok' "$file" | head -80
	else
		printf 'ok   %-34s %3d passed%s\n' "$name" "$((p - s))" \
			"$( [ "$s" != 0 ] && echo ", $s skipped" )"
	fi
}

build/unit-tests >"$log/unit.out" 2>&1
tally unit "$log/unit.out"

for t in tests/t/t[0-9]*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	sh "$t" >"$log/$name.out" 2>&1
	tally "$name" "$log/$name.out"
done

for fz in build/fuzz/fuzz-*; do
	[ -x "$fz" ] || continue
	name=$(basename "$fz")
	corpus=tests/fuzz/corpus/${name#fuzz-}
	work="$log/$name.corpus"
	mkdir -p "$work"
	if "$fz" -max_total_time=15 -timeout=10 -rss_limit_mb=2048 "$work" "$corpus" \
		>"$log/$name.out" 2>&1; then
		printf 'ok 1 - %s\n1..1\n' "$name" >>"$log/$name.tap"
	else
		printf 'not ok 1 - %s\n1..1\n' "$name" >>"$log/$name.tap"
		tail -30 "$log/$name.out" >>"$log/$name.tap"
	fi
	tally "$name" "$log/$name.tap"
done

[ "$skipped" != 0 ] && echo "$skipped skipped (missing prerequisites; see $log)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
