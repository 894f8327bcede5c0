#!/bin/sh
# perflab-test: quiet (its runs judge no CPU or goodput: it runs beside other suites)
test_description='deploy an image on the lab DUT: install, reboot, wait, power-cycle, classify'
. "$(dirname "$0")/test-lib.sh"

lab=t41$(printf '%04x' $$ | tail -c 3)

test_expect_success NETNS 'a lab and an image (the sample HTTP server)' '
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab >/dev/null &&
	cc -O2 -pthread -o image "$SRC_DIR/tests/fixtures/sampleserver/server.c" &&
	labdir=$(pwd)/.perflab-lab &&
	cat >job <<-\EOF
	[workload]
	workload = chunk
	url = http://{dut}:{port}/bytes/262144
	connections = 2
	duration = 2s
	warmup = 1s
	[deploy]
	install = sh -c "cp \"$1\" \"$2/server.new\" && mv \"$2/server.new\" \"$2/server\"" install {image} {workdir}
	# a service restart stands for a reboot in a namespace lab
	reboot = sh -c "cd \"$1\" && { [ -f svc.pid ] && kill $(cat svc.pid) 2>/dev/null; sleep 0.2; }; setsid ./server 8080 >svc.log 2>&1 </dev/null & echo $! >svc.pid" reboot {workdir}
	ready = bash -c "exec 3<>/dev/tcp/127.0.0.1/8080"
	kind = service
	server = image
	port = 8080
	EOF
	perflab config check job
'

test_expect_success NETNS 'run --image: installed in the DUT, restarted, measured from a client' '
	perflab run --hosts lab.hosts --job job --image ./image --commit c0ffee --results res >out &&
	d=res/$(ls res) &&
	json $d/run.json "d[\"status\"] == \"complete\" and d[\"commit\"] == \"c0ffee\"" &&
	json $d/run.json "d[\"deploy\"][\"outcome\"] == \"ok\" and not d[\"deploy\"][\"power_cycled\"]" &&
	json $d/summary.json "d[\"transactions\"] > 0 and sum(d[\"errors\"].values()) == 0" &&
	json $d/summary.json "d[\"bytes_rx\"] == 262144 * d[\"transactions\"] or d[\"bytes_rx\"] > 0" &&
	test -f $d/hosts/dut1/cpu.ndjson && test -f $d/hosts/client1/client.ndjson &&
	test ! -f $d/hosts/dut1/server.ndjson &&
	cmp image $labdir/dut1/work/server &&
	ip netns pids $lab-dut1 | while read p; do cat /proc/$p/cmdline | tr "\0" " "; echo; done |
		grep -q "^./server 8080"
'

test_expect_success NETNS 'the console is captured on the controller while the DUT boots' '
	sed -e "/^\[host dut1\]$/a console = sh -c \"echo console of \$1; sleep 30\" console {host}" \
	    lab.hosts >console.hosts &&
	perflab run --hosts console.hosts --job job --image ./image --duration 1 --warmup 0 \
		--results con >out &&
	grep -q "^console of dut1$" con/*/console-dut1.log &&
	! pgrep -f "console of" >/dev/null
'

test_expect_success NETNS 'an install that fails is a skip (exit 125), not a result' '
	sed "s/^install = .*/install = false/" job >job-bad &&
	test_exit_code 125 perflab run --hosts lab.hosts --job job-bad --image ./image --results skip 2>err &&
	json skip/*/run.json "d[\"status\"] == \"skipped\" and d[\"deploy\"][\"outcome\"] == \"skip\"" &&
	test ! -f skip/*/summary.json &&
	grep -q "the install command on host .dut1. failed (exit 1)" err
'

test_expect_success NETNS 'a service that never gets ready is a skip' '
	sed -e "s/^ready = .*/ready = false/" job >job-notready &&
	sed -e "s/^boot_timeout = 30s$/boot_timeout = 2s/" lab.hosts >fast.hosts &&
	test_exit_code 125 perflab run --hosts fast.hosts --job job-notready --image ./image \
		--results notready 2>err &&
	grep -q "booted but its service was not ready" err
'

# A reboot that takes the DUT away: its sshd is stopped; power_cycle on
# the controller brings it back (or, in the second case, does not).
test_expect_success NETNS 'a DUT that does not come back is power-cycled' '
	sed -e "s|^reboot = .*|reboot = sh -c \"kill \$(cat $labdir/dut1/sshd.pid)\"|" \
	    -e "/^ready = /d" -e "s/^server = image/server = perflab/" \
	    -e "s/^kind = service/kind = commands/" job >job-gone &&
	sed -e "s/^boot_timeout = 30s$/boot_timeout = 3s/" \
	    -e "/^\[host dut1\]$/a power_cycle = perflab lab power-cycle dut1 --name $lab --dir $labdir" \
	    lab.hosts >pc.hosts &&
	perflab config check pc.hosts &&
	perflab run --hosts pc.hosts --job job-gone --image ./image --results pc >out 2>err &&
	grep -q "host .dut1. did not come back within 3 s: power-cycling it" err &&
	json pc/*/run.json "d[\"status\"] == \"complete\" and d[\"deploy\"][\"power_cycled\"]"
'

test_expect_success NETNS 'and when the power cycle does not help, the run aborts (exit 128)' '
	sed -e "s/^boot_timeout = 30s$/boot_timeout = 2s/" \
	    -e "/^\[host dut1\]$/a power_cycle = true" lab.hosts >dead.hosts &&
	test_exit_code 128 perflab run --hosts dead.hosts --job job-gone --image ./image --results dead 2>err &&
	grep -q "host .dut1. did not come back after a power cycle" err &&
	json dead/*/run.json "d[\"status\"] == \"aborted\" and d[\"deploy\"][\"outcome\"] == \"abort\"" &&
	perflab lab power-cycle dut1 --name $lab --dir $labdir
'

test_expect_success 'a bad [deploy] section is refused with file:line' '
	printf "[deploy]\nserver = image\n" >bad1 &&
	test_exit_code 129 perflab config check bad1 2>err &&
	grep -q "bad1:1: \[deploy\] server = image needs the image.s .port." err &&
	printf "[deploy]\ninstall = cp {image} {nowhere}\n" >bad2 &&
	test_exit_code 129 perflab config check bad2 2>err &&
	grep -q "bad2:2: unknown placeholder .{nowhere}." err
'

test_done
