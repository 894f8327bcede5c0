#!/bin/sh
# perflab-test: measures (runs alone: it judges CPU or goodput on a lab)
test_description='a real kernel bisection: Debian'"'"'s linux-source-6.1 with a planted receive-window regression, built at each commit, booted in a QEMU DUT, measured with an upload, the culprit named and the broken commits skipped'
. "$(dirname "$0")/../t/test-lib.sh"

# Kept between runs (make clean removes them): the generated history and
# the build directory, so a second run builds incrementally.
KDIR=${PERFLAB_KERNEL_DIR:-$SRC_DIR/build/kernel}
lab=k$(printf '%04x' $$ | tail -c 4)
t0=$(date +%s)
stamp() { echo "# $(($(date +%s) - t0)) s: $*" >>"$TRASH/times"; }

test_expect_success 'the kernel history: linux-source-6.1 and 40 commits on top' '
	test -r /usr/src/linux-source-6.1.tar.xz ||
		{ echo "linux-source-6.1 is needed (make check-kernel installs it)"; false; } &&
	mkdir -p "$KDIR" &&
	python3 "$SRC_DIR/scripts/kernel-history.py" "$KDIR/linux" --planted "$TRASH/planted.secret" >tips &&
	cat tips &&
	good=$(sed -n "s/^good //p" tips) && bad=$(sed -n "s/^bad //p" tips) &&
	broken=$(sed -n "s/^broken //p" tips) &&
	echo $good >good && echo $bad >bad && echo $broken >broken &&
	sed -n "s/^panic //p" tips >panics &&
	test "$(git -C "$KDIR/linux" rev-list --bisect $good..$bad)" = "$broken" &&
	stamp "history ready"
'

test_expect_success 'a kernel job: tinyconfig and a fragment, booted in a VM, an upload into it' '
	cat >job <<-EOF &&
	[source]
	kind = kernel
	repo = $KDIR/linux
	config = $SRC_DIR/tests/kernel/perflab-vm.config
	base_config = tinyconfig
	workdir = $KDIR/builds
	build_timeout = 40m
	[deploy]
	kind = kernel
	[workload]
	workload = xfer
	direction = up
	size = 10M
	rcvbuf = 64K
	delay-ms = 10
	count = 2
	warmup = 0
	duration = 120s
	[run]
	collectors = cpu,net
	[thresholds]
	latency_p50 = +30%
	EOF
	perflab config check job
'

test_expect_success NETNS 'a lab of one VM DUT and one client' '
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab --vm 1 --clients 1 >out 2>err &&
	cat out err &&
	grep -q "is up: 1 DUT (QEMU VMs" out &&
	stamp "lab up"
'

test_expect_success NETNS 'bisect run names the planted commit and skips the commits it cannot measure' '
	{ perflab bisect run --job job --hosts lab.hosts --good $(cat good) --bad $(cat bad) \
		--metric latency_p50 >bisect.out 2>bisect.err; echo $? >rc; } &&
	cat bisect.out &&
	stamp "bisection done" &&
	test "$(cat rc)" = 0 &&
	culprit=$(sed -n "s/^culprit: \([0-9a-f]*\) .*/\1/p" bisect.out) &&
	test "$culprit" = "$(cat planted.secret)" &&
	grep -q "^skipped: $(cat broken)" bisect.out &&
	grep -q "does not build" bisect.out
'

test_expect_success NETNS 'a kernel that panics is a skip, its console kept with the run' '
	d=$(ls -d results/bisect/2*) &&
	for p in $(cat panics); do
		grep -q "^skipped: $p" bisect.out && found=$p
	done &&
	test -n "$found" &&
	grep -l "Kernel panic" results/*/console-dut1.log | head -1 >panic.log &&
	test -s panic.log
'

test_expect_success NETNS 'the report draws the two kernels side by side' '
	d=$(ls -d results/bisect/2*) &&
	perflab report --html report.html $d >/dev/null &&
	test -s report.html &&
	perflab report --html kernels.html $d/runs/good $d/runs/bad >/dev/null &&
	grep -q "<svg" kernels.html &&
	stamp "reports"
'

test_expect_success NETNS 'what it cost: builds, boots, steps, total' '
	python3 - "$KDIR/builds" results <<-\PY
	import glob, json, os, sys
	metas = [json.load(open(p)) for p in glob.glob(sys.argv[1] + "/images/*/*/meta.json")] + \
	        [json.load(open(p)) for p in glob.glob(sys.argv[1] + "/images/*/meta.json")]
	ok = sorted(m.get("build_s", 0) for m in metas if m.get("status") == "ok")
	bad = [m for m in metas if m.get("status") != "ok"]
	print("builds: %d ok, %d failed; slowest %.0f s (the full one), median %.0f s" %
	      (len(ok), len(bad), ok[-1] if ok else 0, ok[len(ok) // 2] if ok else 0))
	boots = []
	for p in glob.glob(sys.argv[2] + "/2*/run.json"):
	    d = json.load(open(p)).get("deploy") or {}
	    if d.get("boot_s"):
	        boots.append(d["boot_s"])
	boots.sort()
	if boots:
	    print("boots: %d, median %.1f s, slowest %.1f s" % (len(boots), boots[len(boots) // 2], boots[-1]))
	PY
	cat "$TRASH/times"
'

test_done
