#!/bin/sh
# The ranks rule (see the top of the Makefile): a file includes headers of
# its own rank or lower; lab/ and reports/ never include each other. Prints
# every crossing as FILE:LINE: and fails if there is one.
cd "$(dirname "$0")/.." || exit 2

rank() {
	case $1 in
	common) echo 0 ;;
	collectors|workloads) echo 1 ;;
	store) echo 2 ;;
	verdict|bisect) echo 3 ;;
	lab|reports) echo 4 ;;
	harness) echo 5 ;;
	*) echo - ;;
	esac
}

bad=0
files=0
for dir in common collectors workloads store verdict bisect lab reports harness; do
	mine=$(rank "$dir")
	for f in "$dir"/*.c "$dir"/*.h; do
		[ -f "$f" ] || continue
		files=$((files + 1))
		# "#include "dir/x.h"" lines, with their line numbers
		grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z]*/' "$f" |
		sed 's/^\([0-9]*\):.*"\([a-z]*\)\/.*/\1 \2/' >"${TMPDIR:-/tmp}/layers.$$"
		while read -r line to; do
			theirs=$(rank "$to")
			[ "$theirs" = - ] && continue	# build/version.h and the like
			if [ "$theirs" -gt "$mine" ] ||
			   { [ "$dir" = lab ] && [ "$to" = reports ]; } ||
			   { [ "$dir" = reports ] && [ "$to" = lab ]; }; then
				echo "$f:$line: $dir (rank $mine) includes $to (rank $theirs)"
				bad=$((bad + 1))
			fi
		done <"${TMPDIR:-/tmp}/layers.$$"
	done
done
rm -f "${TMPDIR:-/tmp}/layers.$$"
if [ "$bad" != 0 ]; then
	echo "check-layers: $bad includes cross a rank (common < collectors, workloads < store < verdict, bisect < lab, reports < harness)"
	exit 1
fi
echo "check-layers: $files files keep the ranks"
