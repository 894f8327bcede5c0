#!/bin/sh
test_description='perflab-agent: a static binary that runs and measures where there is nothing but busybox; the controller checks its protocol and never runs a binary it did not place'
. "$(dirname "$0")/test-lib.sh"

lab=t45$(printf '%04x' $$ | tail -c 3)
agent="$SRC_DIR/perflab-agent"

test_expect_success 'the agent is linked statically and says its protocol' '
	file "$agent" | grep -q "statically linked" &&
	! ldd "$agent" >/dev/null 2>&1 &&
	"$agent" version >out &&
	grep -q "^perflab-agent .* protocol [0-9][0-9]* sha256 [0-9a-f]\{64\}$" out &&
	perflab version >pv &&
	grep -q "agent protocol" pv
'

test_expect_success 'the agent has only the host verbs' '
	"$agent" --help >help &&
	for v in version load collect clock fingerprint; do grep -q "^   $v " help || exit 1; done &&
	test_exit_code 129 "$agent" bisect run 2>err &&
	grep -q "unknown verb .bisect." err
'

# A root file system of busybox and the agent, nothing else: no libc.so,
# no ld.so, no libgit2; /proc, /sys and /dev mounted for the collectors.
have_busybox() { command -v busybox >/dev/null 2>&1 && busybox --list | grep -q "^chroot$"; }

test_expect_success ROOT 'in a root of busybox alone: collectors measure, load moves traffic' '
	have_busybox || { echo "busybox-static is needed (make deps installs it)"; exit 1; } &&
	root=$TRASH/root &&
	mkdir -p $root/bin $root/proc $root/sys $root/dev $root/out &&
	cp "$(command -v busybox)" $root/bin/busybox &&
	for a in sh ls cat wc; do ln -s busybox $root/bin/$a; done &&
	cp "$agent" $root/bin/perflab-agent &&
	test -z "$(find $root -name "*.so*")" &&
	port=$(free_port) &&
	unshare -m sh -c "
		mount -t proc proc $root/proc && mount -t sysfs sys $root/sys &&
		mount --bind /dev $root/dev &&
		chroot $root /bin/perflab-agent collect --collectors cpu,net --interval 0.5 --duration 2 --out-dir /out &&
		chroot $root /bin/perflab-agent fingerprint >$TRASH/fp.json &&
		{ chroot $root /bin/perflab-agent load server --port $port --duration 6 >/dev/null 2>&1 & } &&
		sleep 0.5 &&
		chroot $root /bin/perflab-agent load client --port $port --workload xfer --size 4M --count 3 >$TRASH/client.ndjson
	" &&
	json $root/out/cpu.ndjson "len([l for l in lines if l[\"type\"] == \"sample\" and l[\"util_pct\"] is not None]) >= 2" &&
	json $root/out/net.ndjson "any(l[\"type\"] == \"sample\" for l in lines)" &&
	json $TRASH/fp.json "d[\"kernel\"][\"release\"]" &&
	json $TRASH/client.ndjson "[l for l in lines if l[\"type\"] == \"summary\"][0][\"transactions\"] == 3"
'

test_expect_success NETNS 'a lab run installs the agent, not perflab, in each host workdir (0700)' '
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab >/dev/null &&
	perflab run --hosts lab.hosts --duration 1 --warmup 0 --results res >out 2>err &&
	w=.perflab-lab/dut1/work &&
	test -x $w/perflab-agent && test ! -e $w/perflab &&
	test "$(stat -c %a $w)" = 700 && test "$(stat -c %a $w/perflab-agent)" = 700 &&
	cmp $w/perflab-agent "$agent"
'

test_expect_success NETNS 'an installed agent of the same protocol is accepted, another protocol refused' '
	inst=$TRASH/installed &&
	mkdir -p $inst && chmod 700 $inst &&
	cp "$agent" $inst/perflab-agent &&
	sed "/^\[host dut1\]$/a agent = $inst/perflab-agent" lab.hosts >inst.hosts &&
	perflab run --hosts inst.hosts --duration 1 --warmup 0 --results res >out 2>err || { cat err; exit 1; } &&
	printf "#!/bin/sh\necho perflab-agent 9.9 protocol 999\n" >$inst/old-agent &&
	chmod 700 $inst/old-agent &&
	sed "/^\[host dut1\]$/a agent = $inst/old-agent" lab.hosts >old.hosts &&
	test_exit_code 128 perflab run --hosts old.hosts --duration 1 --warmup 0 --results res2 >out 2>err &&
	grep -q "not perflab-agent protocol" err
'

# issue: a predictable workdir in a world-writable place let anyone plant
# a binary that perflab then ran as root. Now the workdir must be the ssh
# user's alone, and a binary in it that is not is never run.
test_expect_success NETNS 'a workdir others can write, or a planted agent, is refused and never run' '
	w=.perflab-lab/dut1/work &&
	chmod 777 $w &&
	test_exit_code 128 perflab run --hosts lab.hosts --duration 1 --warmup 0 --results res3 >out 2>err &&
	grep -q "refusing workdir" err &&
	chmod 700 $w &&
	printf "#!/bin/sh\ntouch $TRASH/planted-ran\necho perflab-agent x protocol 1\n" >$w/perflab-agent &&
	chmod 755 $w/perflab-agent && chown nobody $w/perflab-agent &&
	test_exit_code 128 perflab run --hosts lab.hosts --duration 1 --warmup 0 --results res4 >out 2>err &&
	grep -q "refusing agent" err &&
	test ! -e $TRASH/planted-ran &&
	rm -f $w/perflab-agent &&
	perflab run --hosts lab.hosts --duration 1 --warmup 0 --results res5 >out 2>err &&
	cmp $w/perflab-agent "$agent"
'

test_done
