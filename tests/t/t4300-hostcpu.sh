#!/bin/sh
# perflab-test: measures (runs alone: it judges CPU or goodput on a lab)
test_description='each namespace host'"'"'s CPU is its own: a commit that makes only the server dearer per byte moves the DUT'"'"'s cpu_per_gbit, not the client'"'"'s, and more than the whole machine'"'"'s'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIR/lib-sample.sh"

lab=t43$(printf '%04x' $$ | tail -c 3)

# The sample server, then the same server hashing every byte it sends
# (the regression sample-history.py plants): only the DUT does more work.
test_expect_success 'a server and a commit that makes it dearer per byte' '
	sample_repo repo >/dev/null &&
	git -C repo rev-parse HEAD >good &&
	python3 - "$SRC_DIR/scripts/sample-history.py" repo <<-\PY &&
	import importlib.util, sys
	spec = importlib.util.spec_from_file_location("sh", sys.argv[1])
	sh = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(sh)
	sh.set_prepare(sys.argv[2], sh.PLANTED)
	PY
	sample_commit repo "http: checksum the payload before sending" >bad &&
	SAMPLE_BYTES=1048576 sample_job job "$TRASH/repo" "rate = 400M" &&
	perflab config check job
'

test_expect_success NETNS 'lab up gives every host a cgroup and says how the CPUs are shared' '
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab >out &&
	grep -q "^CPUs: .*counted by cgroup v[12]" out &&
	grep -q "^cgroup = perflab/$lab/dut1$" lab.hosts &&
	grep -q "^cgroup = perflab/$lab/client1$" lab.hosts &&
	ncpu=$(getconf _NPROCESSORS_ONLN) &&
	if [ $ncpu -ge 2 ]; then
		grep -q "the DUT on $((ncpu - 1))" out &&
		sed -n "/^\[host dut1\]/,/^\[/p" lab.hosts | grep -q "^cpus = $((ncpu - 1))$"
	fi
'

test_expect_success NETNS 'paced runs at both commits: the DUT'"'"'s figures are its own, labelled' '
	perflab run --job job --hosts lab.hosts --commit $(cat good) --repeat 5 --results good.res \
		>good.out 2>good.err &&
	perflab run --job job --hosts lab.hosts --commit $(cat bad) --repeat 5 --results bad.res \
		>bad.out 2>bad.err &&
	r=$(ls -d good.res/2* | head -1) &&
	json $r/run.json "[h[\"cpu_scope\"] for h in d[\"hosts\"]] == [\"cgroup\", \"cgroup\"]" &&
	json $r/summary.json "d[\"cpu_scope\"] == \"cgroup\" and d[\"machine_cpu_util_pct\"] > 0" &&
	json $r/summary.json "d[\"hosts\"][\"client1\"][\"cpu_scope\"] == \"cgroup\"" &&
	grep -q "the DUT.s own (its cgroup); the machine" good.out
'

test_expect_success NETNS 'the DUT'"'"'s cpu_per_gbit moves; the client'"'"'s and the machine'"'"'s far less' '
	python3 - good.res bad.res <<-\PY
	import glob, json, statistics, sys
	def medians(d):
	    dut, cli, mach, gbps = [], [], [], []
	    for f in sorted(glob.glob(d + "/2*/summary.json")):
	        s = json.load(open(f))
	        g = s["goodput_gbps"]
	        gbps.append(g)
	        dut.append(s["cpu_pct_per_gbps"])
	        cli.append(s["hosts"]["client1"]["cpu_util_pct"] / g)
	        mach.append(s["machine_cpu_util_pct"] / g)
	    m = statistics.median
	    return m(dut), m(cli), m(mach), m(gbps)
	a, b = medians(sys.argv[1]), medians(sys.argv[2])
	names = ["DUT cpu%/Gbps", "client cpu%/Gbps", "machine cpu%/Gbps", "goodput Gbit/s"]
	for n, x, y in zip(names, a, b):
	    print("%-18s good %8.3f  bad %8.3f  ratio %.3f" % (n, x, y, y / x))
	dut, cli, mach = b[0] / a[0], b[1] / a[1], b[2] / a[2]
	# The client does a little more work per byte when the bytes come in
	# smaller bursts from a slower server, and the figure of the machine holds
	# everything else that runs: each must move less than the DUT figure.
	ok = dut > 1.15 and abs(cli - 1) < (dut - 1) / 2 and dut > mach
	print("DUT step %.0f%%, client %.0f%%, machine %.0f%%: %s" %
	      (100 * (dut - 1), 100 * (cli - 1), 100 * (mach - 1), "as expected" if ok else "NOT as expected"))
	sys.exit(0 if ok else 1)
	PY
'

test_done
