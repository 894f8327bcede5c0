#!/bin/sh
# perflab-test: measures (runs alone: its bisection judges CPU per Gbit/s on a lab)
test_description='faults survived (issue 14): kill -9 of nightly and bisect run, a full results filesystem, the sshd of a DUT killed mid-run'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIR/lib-sample.sh"

lab=t49$(printf '%04x' $$ | tail -c 3)
sql() { sqlite3 -batch "$@"; }

# Finished run directories of RESULTS (not .tmp-, not .incomplete-).
nruns() { ls "$1" 2>/dev/null | grep -c '^[0-9]\{8\}T' || :; }

# wait_runs RESULTS N PID: until RESULTS holds N finished runs or PID is gone.
# Polls (no clock is judged): at most 600 looks.
wait_runs() {
	i=0
	while [ $i -lt 6000 ] && [ "$(nruns "$1")" -lt "$2" ] && kill -0 "$3" 2>/dev/null; do
		sleep 0.05; i=$((i + 1))
	done
	[ "$(nruns "$1")" -ge "$2" ]
}

# kill_at RESULTS N CMD...: start CMD in the background, kill -9 it once
# RESULTS holds N finished runs; fails when CMD ended before that.
kill_at() {
	res=$1 n=$2; shift 2
	"$@" >>killed.out 2>>killed.err &
	kpid=$!
	if wait_runs "$res" "$n" $kpid && kill -9 $kpid 2>/dev/null; then
		wait $kpid 2>/dev/null
		echo "killed at $(nruns "$res") runs" >>killed.out
		return 0
	fi
	wait $kpid
	echo "ended before $n runs (exit $?)" >&2
	return 1
}

# Nothing hidden in the index, every indexed directory is there.
index_clean() {
	test "$(sql "$1/.history.sqlite" "SELECT count(*) FROM runs WHERE dir LIKE '.%'")" = 0 &&
	for d in $(sql "$1/.history.sqlite" "SELECT dir FROM runs"); do
		test -f "$1/$d/run.json" || { echo "indexed $d has no run.json"; return 1; }
	done
}

test_expect_success 'a generated history and a job of 1 s runs' '
	python3 "$SRC_DIR/scripts/sample-history.py" repo --commits 18 --planted "$TRASH/planted.secret" >tips &&
	cat tips &&
	n1=$(sed -n "s/^night1 //p" tips) && n2=$(sed -n "s/^night2 //p" tips) &&
	n3=$(sed -n "s/^night3 //p" tips) &&
	git -C repo merge-base --is-ancestor $(cat planted.secret) $n3 &&
	! git -C repo merge-base --is-ancestor $(cat planted.secret) $n2 &&
	git -C repo branch tip $n1 &&
	SAMPLE_BYTES=1048576 sample_job job "$TRASH/repo" "rate = 1G
[thresholds]
cpu_per_gbit = +10%" &&
	sed -i -e "s/^\[source\]$/[source]\nbranch = tip/" -e "s/^warmup = .*/warmup = 0/" job &&
	perflab config check job
'

test_expect_success NETNS 'lab up' '
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab >/dev/null
'

# --- kill -9 of perflab nightly ---------------------------------------

test_expect_success NETNS 'nightly: the baseline night, then the same night uninterrupted elsewhere' '
	perflab nightly --job job --hosts lab.hosts --date 2030-01-01 --baseline-runs 2 >night1 2>&1 &&
	grep -q "^night 2030-01-01: GOOD at $n1" night1 &&
	mkdir ref && cp -r results ref/ &&
	git -C repo branch -f tip $n3 &&
	{ (cd ref && perflab nightly --job ../job --hosts ../lab.hosts --date 2030-01-02 --looks 4,8 --no-bisect) >ref.out 2>&1; echo $? >ref.rc; } &&
	cat ref.out | grep -v "nightly: [0-9]* of" &&
	grep -q "^night 2030-01-02: [A-Z]* at $n3" ref.out
'

test_expect_success NETNS 'nightly killed after 1, then 3 runs: the rerun of the night reaches the same verdict, no run redone' '
	base=$(nruns results) &&
	kill_at results $((base + 1)) perflab nightly --job job --hosts lab.hosts --date 2030-01-02 --looks 4,8 --no-bisect &&
	kill_at results $((base + 3)) perflab nightly --job job --hosts lab.hosts --date 2030-01-02 --looks 4,8 --no-bisect &&
	{ perflab nightly --job job --hosts lab.hosts --date 2030-01-02 --looks 4,8 --no-bisect >night2 2>&1; echo $? >rc; } &&
	cat killed.out night2 | grep -v "nightly: [0-9]* of" &&
	test "$(cat rc)" = "$(cat ref.rc)" &&
	test "$(sed -n "s/^night 2030-01-02: //p" night2)" = "$(sed -n "s/^night 2030-01-02: //p" ref.out)" &&
	grep -q "^resuming the night: " night2 &&
	sql results/.history.sqlite "SELECT summary FROM nightly WHERE date = '\''2030-01-02'\''" >s.json &&
	# every finished run of the night is one the night counted: none redone
	used=$(json s.json "len(d[\"baseline_runs\"]) + len(d[\"tip_runs\"])") &&
	made=$(grep -l "\"series\": \"nightly 2030-01-02 " results/2*/run.json | wc -l) &&
	echo "runs used $used, made $made" &&
	test "$made" = "$used" &&
	json s.json "len(set(d[\"baseline_runs\"] + d[\"tip_runs\"])) == $used" &&
	index_clean results &&
	test -z "$(ls -A results | grep "^\.tmp-")"
'

# --- kill -9 of perflab bisect run, and the sshd of the DUT killed ------

# The session sshds of the DUT (not its listener): every connection of
# the controller to the DUT drops at once, mid-run.
kill_dut_sshd() {
	listener=$(cat .perflab-lab/dut1/sshd.pid) &&
	for p in $(ip netns pids $lab-dut1); do
		case "$(cat /proc/$p/comm 2>/dev/null)" in
		sshd|sshd-session) test "$p" != "$listener" && kill -9 $p && echo "killed sshd $p" ;;
		esac
	done
}

# The job's server is a service of the DUT: it outlives the ssh sessions,
# the client finishes against it, only the DUT's collectors die.
test_expect_success NETNS 'a lone run: the sshd of the DUT killed mid-run, the run fails as a run' '
	perflab run --hosts lab.hosts --job job --commit $n1 --duration 3 --warmup 0 --results sshd >sshd.out 2>sshd.err &
	rpid=$! &&
	i=0 && while [ $i -lt 600 ] && ! ls sshd/.tmp-*/client-*.log >/dev/null 2>&1 && kill -0 $rpid; do sleep 0.05; i=$((i+1)); done &&
	sleep 0.3 &&
	kill_dut_sshd >killed &&
	test -s killed &&
	{ wait $rpid; echo $? >rc; } &&
	cat sshd.out sshd.err &&
	d=sshd/$(ls sshd | grep "^2") &&
	json $d/run.json "d[\"status\"] == \"failed\" and \"dut1\" in d[\"failure\"]" &&
	test "$(cat rc)" != 0 &&
	test "$(sql sshd/.history.sqlite "SELECT count(*) FROM metrics")" = 0 &&
	perflab run --hosts lab.hosts --job job --commit $n1 --duration 1 --warmup 0 --results sshd >again 2>&1 &&
	test "$(nruns sshd)" = 2
'

test_expect_success NETNS 'bisect run: the DUT'\''s sshd killed mid-run, killed -9 after 8 and 12 runs, resumed: the planted commit, no run redone, no number from the failed run' '
	rm -f killed.out killed.err &&
	bres=results &&
	base=$(nruns $bres) &&
	{ perflab bisect run --job job --hosts lab.hosts --good $n1 --bad $n3 >bis1.out 2>bis1.err & } &&
	bpid=$! &&
	{ wait_runs $bres $((base + 5)) $bpid || { cat bis1.out bis1.err; false; }; } &&
	# mid-run: its client is loading the DUT
	i=0 && while [ $i -lt 600 ] && ! ls $bres/.tmp-*/client-*.log >/dev/null 2>&1; do sleep 0.05; i=$((i+1)); done &&
	sleep 0.3 &&
	kill_dut_sshd &&
	# it goes on (or stops for the lab, and resume goes on)
	{ wait_runs $bres $((base + 8)) $bpid || :; } &&
	{ kill -9 $bpid 2>/dev/null; wait $bpid 2>/dev/null; :; } &&
	kill_at $bres $((base + 12)) perflab bisect resume &&
	{ perflab bisect resume >bis2.out 2>bis2.err; echo $? >rc; } &&
	cat bis1.out bis1.err killed.out killed.err bis2.out bis2.err | grep -v "^bisect: round" &&
	test "$(cat rc)" = 0 &&
	test "$(sed -n "s/^culprit: \([0-9a-f]*\) .*/\1/p" bis2.out)" = "$(cat planted.secret)" &&
	j=$(ls -d $bres/bisect/2*)/journal.ndjson &&
	# no number from a failed run; every finished bisect run journaled once
	python3 - $j $bres <<-\PY &&
	import glob, json, os, sys
	journal, res = sys.argv[1], sys.argv[2]
	ms = [json.loads(l) for l in open(journal) if "\"measurement\"" in l]
	runs = [os.path.basename(m["run"]) for m in ms if m.get("run")]
	dirs = {}
	for p in glob.glob(os.path.join(res, "2*", "run.json")):
	    d = json.load(open(p))
	    if d.get("kind") == "bisect":
	        dirs[os.path.basename(os.path.dirname(p))] = d
	failed = [n for n, d in dirs.items() if d["status"] == "failed"]
	print("%d measurements, %d bisect runs, failed: %s" % (len(ms), len(dirs), failed))
	bad = 0
	for m in ms:
	    n = os.path.basename(m.get("run") or "")
	    if n in dirs and dirs[n]["status"] != "complete" and m.get("value") is not None:
	        print("a number from failed run", n); bad = 1
	if len(runs) != len(set(runs)):
	    print("a run journaled twice"); bad = 1
	# an aborted run measured nothing: measuring it again is no redo
	unjournaled = sorted(n for n in set(dirs) - set(runs) if dirs[n]["status"] != "aborted")
	if unjournaled:
	    print("finished but not journaled (redone):", unjournaled); bad = 1
	if not failed:
	    print("the sshd kill failed no run"); bad = 1
	sys.exit(bad)
	PY
	index_clean $bres
'

# --- the results filesystem full ---------------------------------------

test_expect_success ROOT 'a full results filesystem: the run fails naming the path, nothing half-written indexed; freed, a run works' '
	mkdir full && mount -t tmpfs -o size=1m none full &&
	test_when_finished_all "umount $TRASH/full" &&
	perflab run --duration 1 --warmup 0 --collectors none --results full >ok.out 2>&1 &&
	test "$(nruns full)" = 1 &&
	dd if=/dev/zero of=full/filler bs=4k 2>/dev/null; df full &&
	{ perflab run --duration 1 --warmup 0 --results full >full.out 2>full.err; echo $? >rc; } &&
	cat full.out full.err &&
	test "$(cat rc)" != 0 &&
	grep -q "full/.*No space left on device" full.err &&
	! grep -q "(null)" full.out full.err &&
	rm full/filler &&
	index_clean full &&
	test "$(sql full/.history.sqlite "SELECT count(*) FROM runs WHERE status = '\''complete'\''")" = 1 &&
	# every directory under a run name is a whole run: a run.json with its last word
	bad=0 && for d in $(ls full | grep "^2"); do
		json full/$d/run.json "d[\"status\"] in (\"complete\", \"failed\", \"aborted\", \"skipped\")" &&
		{ ! json full/$d/run.json "d[\"status\"] == \"complete\"" || test -s full/$d/summary.json; } || bad=1
	done && test $bad = 0 &&
	perflab run --duration 1 --warmup 0 --collectors none --results full >ok2.out 2>&1 &&
	test "$(sql full/.history.sqlite "SELECT count(*) FROM runs WHERE status = '\''complete'\''")" = 2
'

test_done
