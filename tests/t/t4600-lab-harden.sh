#!/bin/sh
# perflab-test: quiet (its runs judge no CPU or goodput: it runs beside other suites)
test_description='a lab run with careless paths and hosts that never answer (issue 14)'
. "$(dirname "$0")/test-lib.sh"

lab=h6$(printf '%04x' $$ | tail -c 4)

# A TCP port that accepts and then says nothing: a host that hangs.
silent_port() {
	python3 -c '
import os, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
pid = os.fork()
if pid: print(s.getsockname()[1], pid, flush=True); os._exit(0)
os.setsid(); sys.stdout.flush(); os.close(1); conns = []
t = time.time()
while time.time() - t < 300: conns.append(s.accept()[0])
'
}

test_expect_success NETNS 'lab up' '
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab --clients 1 >out
'

test_expect_success NETNS 'a results path of 150 characters: the run completes (#3)' '
	long=$TRASH/r && while test ${#long} -lt 150; do long=${long}r; done &&
	test ${#long} = 150 &&
	perflab run --hosts lab.hosts --duration 1 --warmup 0 --collectors none \
		--results "$long" >out 2>err &&
	json "$long"/*/run.json "d[\"status\"] == \"complete\""
'

test_expect_success 'a host that never answers: ssh says why (#3)' '
	set -- $(silent_port) && port=$1 &&
	test_when_finished_all "kill $2" &&
	printf "[host dut1]\naddress = 127.0.0.1\nport = %s\nrole = dut\nuser = root\nconnect_timeout = 2s\n" \
		$port >silent.hosts &&
	start=$(date +%s.%N) &&
	test_exit_code 128 perflab run --hosts silent.hosts --duration 1 --results sres 2>err &&
	end=$(date +%s.%N) &&
	cat err &&
	grep -q "cannot reach host .dut1. (root@127.0.0.1:$port) over ssh (exit 255): .*banner exchange" err
'

test_expect_success 'a host that never answers: one connect timeout, no fetch after it (#11)' '
	start=$(date +%s.%N) &&
	test_exit_code 128 perflab run --hosts silent.hosts --duration 1 --results sres2 2>err &&
	end=$(date +%s.%N) &&
	cat err &&
	python3 -c "import sys; t = $end - $start; print(t); sys.exit(t >= 3.5)" &&
	! grep -q "cannot fetch" err &&
	test $(grep -c . err) = 1
'

test_expect_success NETNS 'a reboot command that exits 0 must still bring a new boot (#5)' '
	echo image >image &&
	printf "[deploy]\ninstall = true\nreboot = true\n" >job-reboot &&
	sed -e "s/^boot_timeout = 30s$/boot_timeout = 2s/" lab.hosts >fast.hosts &&
	test_exit_code 128 perflab run --hosts fast.hosts --job job-reboot --image ./image \
		--duration 1 --warmup 0 --collectors none --results rb 2>err &&
	cat err &&
	grep -q "host .dut1. answers but did not boot anew within 2 s .*say kind = service" err &&
	json rb/*/run.json "d[\"status\"] == \"aborted\" and d[\"deploy\"][\"outcome\"] == \"abort\""
'

test_expect_success NETNS 'kind = service: a restart that exits 0 needs no new boot (#5)' '
	printf "[deploy]\ninstall = true\nreboot = true\nkind = service\n" >job-restart &&
	perflab config check job-restart &&
	perflab run --hosts fast.hosts --job job-restart --image ./image \
		--duration 1 --warmup 0 --collectors none --results rs &&
	json rs/*/run.json "d[\"status\"] == \"complete\" and d[\"deploy\"][\"outcome\"] == \"ok\""
'

test_expect_success NETNS 'a / in the host name: the console log stays in the run directory (#14)' '
	sed -e "s|^\[host dut1\]$|[host ../esc/dut1]|" \
	    -e "/^\[host \.\.\/esc\/dut1\]$/a console = sh -c \"echo console of \$1\" console {host}" \
	    lab.hosts >slash.hosts &&
	perflab config check slash.hosts &&
	mkdir -p sl && perflab run --hosts slash.hosts --job job-restart --image ./image \
		--duration 1 --warmup 0 --collectors none --results sl/res &&
	d=sl/res/$(ls sl/res) &&
	grep -q "^console of ../esc/dut1$" "$d/console-%2E.%2Fesc%2Fdut1.log" &&
	test ! -e sl/esc && test ! -e sl/res/esc
'

test_done
