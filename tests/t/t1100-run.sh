#!/bin/sh
# perflab-test: measures (runs alone: it judges CPU or goodput on a lab)
test_description='perflab run: a measured local run and its results directory'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'a 3 s bulk run writes a complete results directory' '
	perflab run --duration 3 --warmup 1 --connections 2 --results res >out 2>err &&
	test $(ls res | wc -l) = 1 &&
	dir=res/$(ls res) &&
	for f in run.json summary.json client.ndjson server.ndjson cpu.ndjson freq.ndjson \
		 net.ndjson client.log server.log collect.log; do
		test -f $dir/$f || { echo "missing $f"; exit 1; }
	done &&
	! ls -a res | grep -q "^\.tmp" &&
	grep -q "^run $dir$" out && grep -q "^results: res/$" out &&
	json $dir/run.json "d[\"status\"] == \"complete\" and d[\"workload\"] == \"bulk\"" &&
	json $dir/run.json "d[\"params\"][\"connections\"] == \"2\" and d[\"host\"][\"kernel\"]"
'

test_expect_success 'goodput equals bytes over time' '
	s=$dir/summary.json &&
	json $s "d[\"duration_s\"] == 3.0 and d[\"warmup_s\"] == 1.0" &&
	json $s "abs(d[\"goodput_bps\"] * d[\"duration_s\"] / 8 / d[\"bytes_rx\"] - 1) < 1e-6" &&
	json $s "sum(d[\"errors\"].values()) == 0"
'

# In a network namespace of its own, lo carries our traffic and nothing else.
test_expect_success ROOT 'goodput agrees with the loopback interface counters within 5%' '
	unshare -n sh -c "ip link set lo up && perflab run --duration 3 --warmup 1 --results nsres" >/dev/null &&
	s=nsres/$(ls nsres)/summary.json &&
	json $s "abs(d[\"net\"][\"ifaces\"][\"lo\"][\"rx_bytes\"] / d[\"bytes_rx\"] - 1) < 0.05" ||
	{ json $s "(d[\"net\"][\"ifaces\"][\"lo\"][\"rx_bytes\"], d[\"bytes_rx\"])"; false; }
'

test_expect_success 'intervals are aligned: the warmup apart, then the measured ones' '
	json $dir/client.ndjson "[l[\"phase\"] for l in lines if l[\"type\"] == \"interval\"] == [\"warmup\"] + [\"measure\"] * 3" &&
	json $dir/client.ndjson "all(abs(l[\"dt_s\"] - 1) < 1e-6 for l in lines if l[\"type\"] == \"interval\")" &&
	python3 - $dir <<-\PY
	import json, sys
	d = sys.argv[1]
	client = [json.loads(l) for l in open(d + "/client.ndjson")]
	cpu = [json.loads(l) for l in open(d + "/cpu.ndjson")]
	ends = {round(l["t_mono_s"], 3) for l in client if l["type"] == "interval"}
	samples = {round(l["t_mono_s"], 3) for l in cpu if l["type"] == "sample"}
	# every client interval ends with a collector sample: within 50 ms on
	# a loaded machine (a collector that is not aligned is off by up to
	# half an interval)
	for t in ends:
	    assert min(abs(t - s) for s in samples) < 0.05, (t, sorted(samples))
	PY
'

test_expect_success 'cpu is measured; frequency is measured or null with a reason, never 0' '
	s=$dir/summary.json &&
	json $s "0 < d[\"cpu_util_pct\"] <= 100 and d[\"cpu_pct_per_gbps\"] > 0" &&
	json $s "0 < d[\"cpu_busy_cpus\"] <= $(nproc)" &&
	if json $s "d[\"freq_source\"] is None"; then
		json $s "d[\"freq_mhz\"] is None and d[\"freq_unavailable\"]" &&
		grep -q "frequency .*- (unmeasurable here" out
	else
		json $s "d[\"freq_mhz\"] > 0"
	fi
'

test_expect_success 'repeat makes one directory per run and a table with the median' '
	perflab run --repeat 2 --duration 1 --warmup 0 --workload crr --connections 2 --results rep >out &&
	test $(ls rep | wc -l) = 2 &&
	grep -q "^median " out &&
	for d in rep/*; do json $d/summary.json "d[\"tps\"] > 0 and d[\"workload\"] == \"crr\""; done
'

test_expect_success 'a job file sets the workload; flags override it' '
	cat >job <<-\EOF &&
	[workload]
	workload = xfer
	size = 1M
	duration = 30s
	[run]
	collectors = cpu
	label = test kernel
	EOF
	perflab run --job job --duration 1 --warmup 0 --results jobres >out &&
	d=jobres/$(ls jobres) &&
	json $d/summary.json "d[\"workload\"] == \"xfer\" and d[\"duration_s\"] == 1.0" &&
	json $d/summary.json "d[\"size_bytes\"] == 1048576 and d[\"transactions\"] > 0" &&
	json $d/run.json "d[\"label\"] == \"test kernel\"" &&
	test ! -f $d/freq.ndjson &&
	json $d/summary.json "d[\"freq_mhz\"] is None and d[\"freq_source\"] is None"
'

test_expect_success 'a bad job file stops the run with file:line' '
	printf "[workload]\nconnections = lots\n" >bad &&
	test_exit_code 129 perflab run --job bad --results badres 2>err &&
	grep -q "bad:2: invalid value .lots. for .connections." err &&
	test ! -d badres
'

test_expect_success 'an unknown collector is a usage error before anything runs' '
	test_exit_code 129 perflab run --collectors cpu,bogus --results r2 2>err &&
	grep -q "unknown collector .bogus." err && test ! -d r2
'

test_expect_success 'a run killed midway leaves no complete-looking directory' '
	{ perflab run --duration 30 --results "$TRASH/killed" >/dev/null 2>&1 & } &&
	pid=$! &&
	sleep 2 &&
	kill -9 $pid &&
	sleep 1 &&
	! pgrep -f "$TRASH/killed" &&
	test $(ls killed | wc -l) = 0 &&
	ls -a killed | grep -q "^\.tmp-" &&
	json killed/.tmp-*/run.json "d[\"status\"] == \"running\""
'

test_expect_success 'the next run names what a crashed run left behind' '
	perflab run --duration 1 --warmup 0 --results killed >out 2>err &&
	grep -q "incomplete run .killed/.tmp-" err &&
	test $(ls killed | wc -l) = 1 &&
	ls -a killed | grep -q "^\.incomplete-" &&
	! ls -a killed | grep -q "^\.tmp-"
'

test_expect_success 'a run just starting (no run.json yet) is left alone, an old one is moved aside' '
	mkdir -p starting/.tmp-20300101T000000Z-bulk-new starting/.tmp-20000101T000000Z-bulk-old &&
	touch -d "2000-01-01" starting/.tmp-20000101T000000Z-bulk-old &&
	perflab run --duration 1 --warmup 0 --results starting >out 2>err &&
	test -d starting/.tmp-20300101T000000Z-bulk-new &&
	test -d starting/.incomplete-20000101T000000Z-bulk-old &&
	! grep -q "bulk-new" err
'

test_done
