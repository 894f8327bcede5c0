#!/bin/sh
test_description='the TCP blackbox: collect --collectors ...,tcptrace on the namespace lab, the checks in summary.json, perflab trace and plot trace-conn, broken [checks] and traces'
. "$(dirname "$0")/test-lib.sh"

lab=t23$(printf '%04x' $$ | tail -c 3)

# The kernel here has neither fq nor netem, so --delay-ms (TCP_TX_DELAY)
# is not honoured: the delay comes from a tbf queue on the DUT's link
# instead (the switch's port towards the DUT: the upload's data waits
# there), as the recorder's own unit tests do. The sender starts with
# initcwnd 200 and runs cubic, which fills that queue: the RTT grows until
# the window is the limit. (bbr, this machine's default, paces at the
# link's rate and keeps the queue short: with a low RTT a 64K window is
# no limit at 20 Mbit/s, and nothing is stuck.)
dut_link() {
	ip netns exec $lab-sw tc qdisc replace dev dut1 root tbf "$@"
}
dut_link_clear() {
	ip netns exec $lab-sw tc qdisc del dev dut1 root 2>/dev/null || :
}
retrans_segs() {	# the kernel's own count in client1's namespace
	ip netns exec $lab-client1 awk '/^Tcp:/ { if (h) print $13; h = 1 }' /proc/net/snmp
}
# run NAME ARGS...: one traced upload across the lab into NAME/
run() {
	name=$1; shift
	perflab run --hosts lab.hosts --collectors cpu,net,tcptrace --direction up --warmup 0 \
		--results $name "$@" >$name.out 2>$name.err && d=$name/$(ls $name) &&
	echo $d >$name.dir
}

test_expect_success NETNS 'lab up' '
	perflab lab up --name $lab >out &&
	ip -n $lab-client1 route | grep -q "^198.18.0.0/24" &&
	ip -n $lab-client1 route change 198.18.0.0/24 dev eth0 initcwnd 200
'

test_expect_success NETNS 'a clean traced upload: a trace per host, checks in summary.json, nothing flagged' '
	dut_link_clear &&
	before=$(retrans_segs) &&
	run clean --workload bulk --duration 1 --connections 2 &&
	after=$(retrans_segs) &&
	d=$(cat clean.dir) &&
	test -s $d/hosts/dut1/tcptrace.ndjson && test -s $d/hosts/client1/tcptrace.ndjson &&
	json $d/hosts/dut1/tcptrace.ndjson "lines[0][\"type\"] == \"info\" and lines[-1][\"type\"] == \"stats\"" &&
	json $d/summary.json "d[\"tcp_checks\"][\"hosts\"][\"dut1\"][\"conns\"] >= 2" &&
	json $d/summary.json "d[\"tcp_checks\"][\"hosts\"][\"client1\"][\"conns\"] >= 2" &&
	json $d/summary.json "all(v[\"count\"] == 0 for k, v in d[\"tcp_checks\"][\"rules\"].items() if k not in (\"retransmits\", \"stalled\")) and d[\"tcp_checks\"][\"rules\"][\"stalled\"][\"count\"] in (0, None)" &&
	json $d/summary.json "d[\"tcp_checks\"][\"rules\"][\"retransmits\"][\"count\"] == $after - $before" &&
	perflab trace --flagged $d >flagged &&
	{ test ! -s flagged || grep -v "retransmits$" flagged | { ! grep .; }; }
'

test_expect_success NETNS 'perflab trace lists the connections; one connection'"'"'s timeline' '
	d=$(cat clean.dir) &&
	perflab trace $d >list &&
	grep -q "^host dut1: [0-9]* connections, source tracepoints" list &&
	c=$(sed -n "s/^  \(client1:[0-9]*\) .*/\1/p" list | head -1) &&
	test -n "$c" &&
	perflab trace $d $c >tl &&
	head -2 tl | grep -q "t_s *what *cwnd *inflight *snd_wnd *rcv_wnd *srtt_ms *retrans" &&
	test $(grep -c " probe \| sample " tl) -gt 5 &&
	test_exit_code 1 perflab trace $d 1 2>err &&
	grep -q "traces of 2 hosts: name one, HOST:1" err &&
	test_exit_code 1 perflab trace $d client1:99999 2>err &&
	grep -q "no connection 99999 in the trace of host .client1." err
'

test_expect_success NETNS 'rcvbuf 64K behind a slow queue on the DUT'"'"'s link: rwnd_stuck on the DUT'"'"'s connections' '
	dut_link rate 20mbit burst 20000 limit 300000 &&
	test_when_finished_all dut_link_clear &&
	run stuck --workload xfer --size 4M --rcvbuf 64K --cc cubic --duration 2 --connections 1 &&
	d=$(cat stuck.dir) &&
	json $d/summary.json "d[\"tcp_checks\"][\"rules\"][\"rwnd_stuck\"][\"count\"] >= 1" &&
	json $d/summary.json "{c[\"host\"] for c in d[\"tcp_checks\"][\"rules\"][\"rwnd_stuck\"][\"conns\"]} == {\"dut1\"}" &&
	json $d/summary.json "d[\"tcp_checks\"][\"hosts\"][\"dut1\"][\"rules\"][\"rwnd_stuck\"][\"count\"] >= 1" &&
	perflab trace --flagged $d | grep -q "^dut1:[0-9]* .*rwnd_stuck"
'

test_expect_success NETNS 'the same without --rcvbuf: autotuning grows the window, nothing stuck' '
	dut_link rate 20mbit burst 20000 limit 300000 &&
	test_when_finished_all dut_link_clear &&
	run free --workload xfer --size 4M --cc cubic --duration 2 --connections 1 &&
	d=$(cat free.dir) &&
	json $d/summary.json "d[\"tcp_checks\"][\"rules\"][\"rwnd_stuck\"][\"count\"] == 0"
'

test_expect_success NETNS,GNUPLOT 'plot trace-conn draws a flagged connection; the report links it' '
	d=$(cat stuck.dir) &&
	c=$(perflab trace --flagged $d | sed -n "s/^\(dut1:[0-9]*\) .*/\1/p" | head -1) &&
	perflab plot trace-conn $d $c --out plots >out &&
	test -s plots/trace-conn-$(echo $c | tr : -).png &&
	grep -q "cwnd" plots/trace-conn-$(echo $c | tr : -).gp &&
	perflab report $d --html rep.html >out &&
	grep -q "TCP checks" rep.html &&
	grep -q "href=\"#conn-dut1-${c#dut1:}\"" rep.html &&
	grep -q "id=\"conn-dut1-${c#dut1:}\"" rep.html
'

test_expect_success NETNS 'a tbf with a tiny burst: retransmits counted within 5% of TcpRetransSegs' '
	dut_link rate 100mbit burst 3000 limit 6000 &&
	test_when_finished_all dut_link_clear &&
	before=$(retrans_segs) &&
	run loss --workload bulk --duration 1 --connections 2 &&
	after=$(retrans_segs) &&
	d=$(cat loss.dir) &&
	n=$(json $d/summary.json "d[\"tcp_checks\"][\"rules\"][\"retransmits\"][\"count\"]") &&
	k=$((after - before)) &&
	echo "retransmits: trace $n, TcpRetransSegs delta $k" &&
	test $k -gt 10 &&
	python3 -c "import sys; n, k = $n, $k; sys.exit(0 if abs(n - k) <= 0.05 * k else 1)"
'

test_expect_success NETNS 'compare gates a rule count: 0 against 0 is no move, not NaN' '
	{ perflab compare --json $(cat clean.dir) $(cat free.dir) >cmp.json || test $? -le 2; } &&
	json cmp.json "[m for m in d[\"metrics\"] if m[\"name\"] == \"tcp_rwnd_stuck\"][0][\"ratio\"] == 1"
'

test_expect_success NETNS 'lab down' '
	perflab lab down --name $lab
'

test_expect_success 'a [checks] section: valid keys pass config check, bad ones name file:line' '
	printf "[workload]\nduration = 1\n[checks]\nstalled.rtts = 4\nunexpected_reset.ignore = TCP_ABORT_ON_CLOSE\n" >good.job &&
	perflab config check good.job &&
	printf "[workload]\nduration = 1\n[checks]\nstalled.rtts = 4\nrwnd_stuck.samples = many\n" >bad.job &&
	test_exit_code 129 perflab config check bad.job 2>err &&
	grep -q "bad.job:5: invalid value .many. for .rwnd_stuck.samples. in \[checks\]" err &&
	printf "[checks]\nstalled.forever = 1\n" >bad2.job &&
	test_exit_code 129 perflab config check bad2.job 2>err &&
	grep -q "bad2.job:2: unknown key .stalled.forever. in \[checks\]" err &&
	printf "[checks]\nunexpected_reset.ignore = not/a reason\n" >bad3.job &&
	test_exit_code 129 perflab config check bad3.job 2>err &&
	grep -q "bad3.job:2: invalid value .not/a reason. for .unexpected_reset.ignore." err &&
	test_exit_code 129 perflab run --checks "stalled.rtts=-1" --duration 1 2>err &&
	grep -q "stalled.rtts" err
'

test_expect_success 'perflab trace on a cut trace reads up to the cut; on garbage names file:line' '
	tail -c +2 "$SRC_DIR/tests/fuzz/corpus/tcptrace/trace-tbf-a" >whole.ndjson &&	# a seed: its first byte picks the fuzzed reader
	perflab trace whole.ndjson >whole.out &&
	size=$(wc -c <whole.ndjson) &&
	head -c $((size * 2 / 3)) whole.ndjson >cut.ndjson &&
	perflab trace cut.ndjson >cut.out 2>cut.err &&
	grep -q "cut short" cut.out &&
	{ printf "{\"type\":\"info\",\"source\":\"tracepoints\",\"t\":1}\n"; printf "\001\002garbage\n{}\n"; } >junk.ndjson &&
	test_exit_code 1 perflab trace junk.ndjson 2>err &&
	grep -q "junk.ndjson:2" err &&
	test_exit_code 1 perflab trace nothing-here 2>err &&
	grep -q "nothing-here" err
'

test_done
