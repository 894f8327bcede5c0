#!/bin/sh
# perflab-test: measures (runs alone: it judges CPU or goodput on a lab)
test_description='perflab top: sampled functions, user and kernel, by share'
. "$(dirname "$0")/test-lib.sh"

# A program that spends nearly all its time in one uniquely named
# function; it spins for the seconds given, checking the clock seldom,
# on the CPU given second if any (it moves there after its exec).
cat >spin.c <<'EOF'
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void perflab_test_spin(double secs)
{
	volatile unsigned long x = 0;
	double end = now() + secs;

	while (now() < end)
		for (int i = 0; i < 2000000; i++)
			x += i;
}

int main(int argc, char **argv)
{
	cpu_set_t set;

	if (argc > 2) {
		CPU_ZERO(&set);
		CPU_SET(atoi(argv[2]), &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			return 1;
	}
	perflab_test_spin(argc > 1 ? atof(argv[1]) : 3);
	return 0;
}
EOF

# Small reads of /dev/zero: most of the time is in the kernel.
cat >readzero.c <<'EOF'
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[64];
	int fd = open("/dev/zero", O_RDONLY);
	time_t end = time(NULL) + (argc > 1 ? atoi(argv[1]) : 3);

	while (time(NULL) < end)
		for (int i = 0; i < 10000; i++)
			if (read(fd, buf, sizeof(buf)) != sizeof(buf))
				return 1;
	return 0;
}
EOF

# The last JSON line of perflab top's output: the whole run.
total() {
	tail -n 1 "$1" >"$1.total"
}

# Assert the top row of a run's table: function, module, share above pct.
top_row_is() {
	json "$1.total" "d['type'] == 'total' and d['samples'] > 0" &&
	json "$1.total" "d['rows'][0]['function'] == '$2' and d['rows'][0]['module'] == '$3'" &&
	json "$1.total" "d['rows'][0]['share_pct'] > $4"
}

# Is there a CPU PMU? (none on VMs without a virtual PMU)
have_pmu() {
	for p in cpu cpu_core cpu_atom armv8_pmuv3_0; do
		test -e /sys/bus/event_source/devices/$p && return 0
	done
	return 1
}

test_expect_success 'build the test programs' '
	cc -O1 -o spin spin.c &&
	cc -O1 -o readzero readzero.c
'

test_expect_success ROOT 'a command: its spinning function is the top row, in its module' '
	perflab top -S cpu-clock --duration 2 --json -- ./spin 30 >cmd.out 2>cmd.err &&
	total cmd.out &&
	top_row_is cmd.out perflab_test_spin spin 50 &&
	json cmd.out.total "d[\"command\"] == [\"./spin\", \"30\"] and d[\"freq_hz\"] == 1000" &&
	json cmd.out.total "d[\"lost\"] == 0 and sorted(d[\"rows\"][0][\"per_cpu\"]) == [str(c) for c in d[\"cpus\"]]" &&
	grep "\"type\":\"interval\"" cmd.out >/dev/null
'

test_expect_success ROOT 'a command that ends by itself ends the sampling, its exit code recorded' '
	perflab top -S task-clock --json -- ./spin 1 >self.out &&
	total self.out &&
	top_row_is self.out perflab_test_spin spin 50 &&
	json self.out.total "d[\"exit_code\"] == 0 and d[\"duration_s\"] < 20"
'

# System-wide, the other tenants of a shared machine take samples too:
# the program runs at a real-time priority on the CPU sampled, so that
# it gets that CPU whatever else runs (the kernel keeps 5% for others).
test_expect_success ROOT 'system-wide: the spinning program is the top row' '
	{ taskset -c 0 chrt -f 10 ./spin 10 & } && pid=$! &&
	test_when_finished_all "kill $pid" &&
	sleep 0.2 &&
	perflab top -S cpu-clock -C 0 --duration 2 --json >sys.out &&
	kill $pid &&
	total sys.out &&
	top_row_is sys.out perflab_test_spin spin 50 &&
	json sys.out.total "d[\"cpus\"] == [0] and d[\"command\"] is None"
'

test_expect_success ROOT 'system-wide over all CPUs finds it too' '
	{ nice -n -10 ./spin 30 & } && pid=$! &&
	test_when_finished_all "kill $pid" &&
	sleep 0.2 &&
	perflab top -S cpu-clock --duration 2 --json >all.out &&
	kill $pid &&
	total all.out &&
	json all.out.total "d[\"rows\"][0][\"function\"] == \"perflab_test_spin\"" &&
	json all.out.total "len(d[\"cpus\"]) == $(nproc)"
'

test_expect_success ROOT 'one process by pid (--pid)' '
	{ ./spin 30 & } && pid=$! &&
	test_when_finished_all "kill $pid" &&
	sleep 0.2 &&
	perflab top -S cpu-clock --pid $pid --duration 1 --json >pid.out &&
	kill $pid &&
	total pid.out &&
	top_row_is pid.out perflab_test_spin spin 50 &&
	json pid.out.total "d[\"pid\"] == $pid"
'

test_expect_success ROOT 'kernel functions resolve from kallsyms, in the kernel module' '
	perflab top -S cpu-clock --duration 2 --json -n 0 -- ./readzero 30 >kern.out &&
	total kern.out &&
	python3 - kern.out.total <<-\PY
	import json, sys
	d = json.load(open(sys.argv[1]))
	kern = [r for r in d["rows"] if r["module"] == "kernel"]
	share = sum(r["share_pct"] for r in kern)
	named = [r for r in kern if r["function"] != "[unknown]"]
	assert share > 30, ("kernel share", share)
	assert sum(r["share_pct"] for r in named) > 0.9 * share, kern
	text = set()
	for line in open("/proc/kallsyms"):
	    f = line.split()
	    if f[1] in "tTwW":
	        text.add(f[2])
	assert all(r["function"] in text for r in named), named
	# the read path itself is there by name
	assert {"read_zero", "vfs_read", "ksys_read"} & {r["function"] for r in named}, named
	PY
'

test_expect_success ROOT 'children of the command, each gone before its samples are read' '
	cat >many.sh <<-\EOF &&
	i=0
	while [ $i -lt 30 ]; do ./spin 0.05; i=$((i + 1)); done
	EOF
	perflab top -S cpu-clock --json -- sh many.sh >kids.out &&
	total kids.out &&
	top_row_is kids.out perflab_test_spin spin 80
'

# Each child execs (and maps its files) on CPU 0, then moves to CPU 1,
# the only one sampled, and exits before its samples are read: only
# the side-band records of CPU 0 can name its function.
test_expect_success ROOT 'side-band records come from CPUs not sampled too (-C)' '
	if test $(nproc) -lt 2; then
		echo "one CPU: nothing to check"
	else
		cat >moving.sh <<-\EOF &&
		i=0
		while [ $i -lt 30 ]; do ./spin 0.05 1; i=$((i + 1)); done
		EOF
		taskset -c 0 perflab top -S cpu-clock -C 1 --json -- sh moving.sh >moving.out &&
		total moving.out &&
		top_row_is moving.out perflab_test_spin spin 80 &&
		json moving.out.total "d[\"cpus\"] == [1]"
	fi
'

test_expect_success ROOT 'a plain periodic print when stdout is not a terminal' '
	perflab top -S cpu-clock -w 1 --duration 3 -n 5 -- ./spin 30 >text.out &&
	cat text.out &&
	test $(grep -c "^perflab top -S cpu-clock: 1000 Hz, mean period [0-9]* events on [0-9]* CPUs, [0-9.]* s at" text.out) -ge 2 &&
	grep "^perflab top -S cpu-clock: 1000 Hz, mean period [0-9]* events on [0-9]* CPUs, whole run of 3\.[0-9] s: " text.out &&
	! grep "$(printf "\033")" text.out &&
	grep -E "^ +[0-9.]+% +[0-9]+  perflab_test_spin +spin$" text.out &&
	perflab top -S cpu-clock --per-cpu --duration 1 -- ./spin 30 >cpu.out &&
	grep -E "^  SHARE  SAMPLES +CPU0 +CPU1? *.*FUNCTION" cpu.out
'

test_expect_success ROOT 'an interrupt ends the sampling with the whole run and stops the command' '
	{ perflab top -S cpu-clock --json -- ./spin 30 >int.out 2>int.err & } && pid=$! &&
	sleep 1.5 &&
	kill -INT $pid &&
	wait $pid &&
	total int.out &&
	top_row_is int.out perflab_test_spin spin 50 &&
	json int.out.total "d[\"exit_code\"] is None and d[\"duration_s\"] < 25" &&
	grep "stopping .\./spin.: interrupted" int.err
'

# One page per ring at 20 kHz: the kernel usually has to drop records.
test_expect_success ROOT 'records lost to full rings are counted and said, not fatal' '
	perflab top -S cpu-clock -F 20000 --mmap-pages 1 --duration 2 --json -- ./spin 30 \
		>lost.out 2>lost.err &&
	total lost.out &&
	top_row_is lost.out perflab_test_spin spin 50 &&
	lost=$(json lost.out.total "d[\"lost\"]") &&
	if test "$lost" -gt 0; then
		grep "warning: $lost records and 0 samples lost" lost.err
	else
		! grep "lost" lost.err
	fi
'

test_expect_success 'a hardware event fails clearly where there is no PMU' '
	if have_pmu; then
		echo "this host has a PMU: nothing to check"
	else
		test_must_fail perflab top -S cycles --duration 1 >hw.out 2>hw.err &&
		grep "cannot sample .cycles.: it is a hardware event" hw.err &&
		grep "no hardware PMU" hw.err &&
		grep "perflab top -S cpu-clock" hw.err &&
		test_must_fail perflab top -S instructions -- ./spin 1 2>hw2.err &&
		grep "instructions" hw2.err && grep "cpu-clock" hw2.err &&
		test ! -s hw.out
	fi
'

test_expect_success 'bad command lines are usage errors' '
	bad= &&
	for args in "--duration 1" "-S nosuchevent --duration 1" \
		"-S cpu-clock -C 1-0 --duration 1" "-S cpu-clock -p 1 -- true" \
		"-S cpu-clock --freq 0 --duration 1" "-S cpu-clock -m 3 --duration 1"; do
		perflab top $args 2>usage.err
		rc=$?
		test $rc = 129 && grep "^error: " usage.err || bad="$bad [$args: $rc]"
	done &&
	test -z "$bad" &&
	perflab help top >help.out &&
	grep -- "--event EVENT" help.out
'

test_done
