#!/bin/sh
test_description='perflab top resolves a stripped binary from its separate debug file (libdwfl)'
. "$(dirname "$0")/test-lib.sh"

cat >spin.c <<'CC'
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void perflab_stripped_spin(double secs)
{
	volatile unsigned long x = 0;
	double end = now() + secs;

	while (now() < end)
		for (int i = 0; i < 2000000; i++)
			x += i;
}

int main(void)
{
	perflab_stripped_spin(1.5);
	return 0;
}
CC

# The top row's function of a run of top over CMD.
top_function() {
	perflab top -S cpu-clock -J "$@" | tail -n 1 >total.json &&
	json total.json "d['rows'][0]['function']"
}

test_expect_success 'a stripped binary, its debug file made apart (objcopy)' '
	cc -O1 -g -Wl,--build-id -o spin spin.c &&
	objcopy --only-keep-debug spin spin.debug &&
	objcopy --strip-all --add-gnu-debuglink=spin.debug spin spin.stripped &&
	! nm spin.stripped 2>/dev/null | grep -q perflab_stripped_spin
'

test_expect_success ROOT 'found through .gnu_debuglink beside the binary (acceptance)' '
	test "$(top_function -- ./spin.stripped)" = perflab_stripped_spin
'

test_expect_success ROOT 'found through the build-id under --debuginfo-path' '
	id=$(readelf -n spin.stripped | sed -n "s/.*Build ID: //p") &&
	mkdir -p "dbg/.build-id/$(echo $id | cut -c1-2)" &&
	mv spin.debug "dbg/.build-id/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).debug" &&
	test "$(top_function -- ./spin.stripped)" = "[unknown]" &&
	test "$(top_function --debuginfo-path "$TRASH/dbg" -- ./spin.stripped)" = perflab_stripped_spin
'

test_done
