#!/bin/sh
# perflab-test: quiet (its runs judge no CPU or goodput: it runs beside other suites)
test_description='perflab lab: namespaces, real sshd, a run across hosts'
. "$(dirname "$0")/test-lib.sh"

# A lab name of our own, so parallel runs and a user's lab never meet.
lab=t4$(printf '%04x' $$ | tail -c 4)

test_expect_success NETNS 'lab up: namespaces, sshd, a hosts file' '
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab --clients 2 >out &&
	grep -q "lab .$lab. is up: 1 DUT, 2 clients; hosts file lab.hosts" out &&
	perflab config check lab.hosts &&
	for h in sw ctl dut1 client1 client2; do
		ip netns list | grep -q "^$lab-$h" || { echo "no $lab-$h"; exit 1; }
	done &&
	test $(ip netns pids $lab-dut1 | wc -l) = 1 &&
	perflab lab status --name $lab >status &&
	grep -q "all hosts answer ssh" status
'

test_expect_success NETNS 'lab up again is a no-op' '
	perflab lab up --name $lab --clients 2 >out &&
	grep -q "lab .$lab. is up: lab.hosts" out
'

test_expect_success NETNS 'a run across the lab: server on the DUT, clients drive, collectors everywhere' '
	perflab run --hosts lab.hosts --connections 4 --duration 2 --warmup 1 --results res >out &&
	d=res/$(ls res) &&
	for f in hosts/dut1/server.ndjson hosts/dut1/cpu.ndjson hosts/client1/client.ndjson \
		 hosts/client2/client.ndjson hosts/client1/cpu.ndjson hosts/client2/net.ndjson \
		 summary.json run.json; do
		test -f $d/$f || { echo "missing $f"; exit 1; }
	done &&
	json $d/run.json "d[\"status\"] == \"complete\"" &&
	json $d/run.json "[h[\"name\"] for h in d[\"hosts\"]] == [\"dut1\", \"client1\", \"client2\"]" &&
	json $d/run.json "all(abs(h[\"clock_offset_s\"]) < 0.05 for h in d[\"hosts\"])" &&
	json $d/summary.json "d[\"dut\"] == \"dut1\" and d[\"goodput_bps\"] > 0" &&
	json $d/summary.json "d[\"connections\"] == 4" &&
	json $d/summary.json "sorted(d[\"hosts\"]) == [\"client1\", \"client2\", \"dut1\"]" &&
	json $d/summary.json "d[\"hosts\"][\"dut1\"][\"cpu_util_pct\"] > 0" &&
	c1=$(json $d/hosts/client1/client.ndjson "[l for l in lines if l[\"type\"] == \"summary\"][0][\"bytes_rx\"]") &&
	c2=$(json $d/hosts/client2/client.ndjson "[l for l in lines if l[\"type\"] == \"summary\"][0][\"bytes_rx\"]") &&
	json $d/summary.json "d[\"bytes_rx\"] == $c1 + $c2" &&
	json $d/summary.json "d[\"latency_us\"] is not None and abs(d[\"goodput_bps\"] * d[\"duration_s\"] / 8 / d[\"bytes_rx\"] - 1) < 1e-6"
'

test_expect_success NETNS 'traffic really crossed the DUT link' '
	json $d/summary.json "d[\"net\"][\"ifaces\"][\"eth0\"][\"tx_bytes\"] >= 0.95 * d[\"bytes_rx\"]"
'

test_expect_success NETNS 'nothing is left on the hosts after the run' '
	test ! -e .perflab-lab/dut1/work/runs/$(ls res) &&
	test -z "$(ls .perflab-lab/client1/work/runs 2>/dev/null)"
'

test_expect_success NETNS 'an unreachable host aborts the run (128: the lab needs a hand), named' '
	sed -e "s/^address = 198.18.0.102$/address = 198.18.0.199/" \
	    -e "s/^connect_timeout = 5s$/connect_timeout = 2s/" lab.hosts >bad.hosts &&
	start=$(date +%s) &&
	test_exit_code 128 perflab run --hosts bad.hosts --duration 1 --results badres 2>err &&
	end=$(date +%s) &&
	test $((end - start)) -lt 20 &&
	grep -q "cannot reach host .client2. (root@198.18.0.199:22)" err &&
	json badres/*/run.json "d[\"status\"] == \"aborted\""
'

test_expect_success NETNS 'a host name full of shell metacharacters is only data' '
	sed -e "s/^\[host client2\]$/[host c2;touch pwned-\$(id -u)\`x\`]/" lab.hosts >meta.hosts &&
	perflab config check meta.hosts &&
	perflab run --hosts meta.hosts --duration 1 --warmup 0 --results metares >out 2>err &&
	d=metares/$(ls metares) &&
	test -d "$d/hosts/c2%3Btouch%20pwned-%24%28id%20-u%29%60x%60" &&
	json $d/summary.json "\"c2;touch pwned-\$(id -u)\`x\`\" in d[\"hosts\"]" &&
	! ls pwned* 2>/dev/null && ! ls / | grep -q pwned &&
	! ls .perflab-lab/*/work | grep -q pwned
'

test_expect_success NETNS 'lab down removes every namespace, process and file it made' '
	echo "not ours" >keep.hosts &&
	perflab lab down --name $lab >out &&
	grep -q "lab .$lab. is down" out &&
	! ip netns list | grep -q "^$lab-" &&
	! pgrep -f "$TRASH/.perflab-lab" &&
	test ! -e lab.hosts && test ! -e .perflab-lab &&
	test -f keep.hosts &&
	perflab lab down --name $lab &&
	test_exit_code 1 perflab lab status --name $lab
'

test_expect_success NETNS 'lab down after a crash mid-up, with no state left' '
	perflab lab up --name $lab >/dev/null &&
	rm .perflab-lab/lab.json &&
	perflab lab down --name $lab 2>err &&
	grep -q "no state" err &&
	! ip netns list | grep -q "^$lab-"
'

test_expect_success NETNS 'a lab name that is not a safe prefix is refused' '
	test_exit_code 1 perflab lab up --name "x;rm" 2>err &&
	grep -q "invalid lab name" err
'

test_done
