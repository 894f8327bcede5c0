#!/bin/sh
# perflab-test: measures (runs alone: it judges CPU or goodput on a lab)
test_description='perflab bisect run on the namespace lab: a generated history, a planted regression, a broken commit, kill -9 and resume, three DUTs'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIR/lib-sample.sh"

lab=t61$(printf '%04x' $$ | tail -c 3)

# The generator knows what it planted; perflab never reads the file.
test_expect_success 'a generated history of about 100 commits with merges' '
	python3 "$SRC_DIR/scripts/sample-history.py" repo --commits 100 --planted "$TRASH/planted.secret" >tips &&
	bad=$(sed -n "s/^night3 //p" tips) &&
	broken=$(sed -n "s/^broken //p" tips) &&
	# the range: git bisect would test the broken commit first, so any
	# bisection meets it (a good end in the past of the broken commit)
	for c in $(git -C repo rev-list --first-parent $broken) $(git -C repo rev-list $broken); do
		test "$(git -C repo rev-list --bisect $c..$bad)" = "$broken" && good=$c && break
	done &&
	test -n "$good" &&
	echo "$good" >good && echo "$bad" >bad && echo "$broken" >broken &&
	git -C repo merge-base --is-ancestor $good $(cat planted.secret) &&
	test $(git -C repo rev-list --count --merges $good..$bad) -ge 3 &&
	git -C repo merge-base --is-ancestor $broken $bad &&
	! git -C repo merge-base --is-ancestor $broken $good &&
	SAMPLE_BYTES=1048576 sample_job job "$TRASH/repo" "rate = 1G
[thresholds]
cpu_per_gbit = +20%" &&
	perflab config check job
'

test_expect_success 'usage errors name what is missing' '
	test_exit_code 129 perflab bisect run --job job 2>err &&
	grep -q "needs --job, --good and --bad" err &&
	test_exit_code 129 perflab bisect run --job job --good $(cat good) --bad $(cat bad) --metric nope 2>err &&
	grep -q "metric .nope." err
'

test_expect_success NETNS 'three DUTs: killed mid-hunt, resumed, the planted commit named, the broken one skipped' '
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab --duts 3 --clients 3 >/dev/null &&
	{ perflab bisect run --job job --hosts lab.hosts --good $(cat good) --bad $(cat bad) >out1 2>err1 & } &&
	pid=$! &&
	# kill the controller once it has measured past the endpoints
	for i in $(seq 1 600); do
		grep -q "^round 3:" out1 2>/dev/null && break
		sleep 0.5
	done &&
	grep -q "^round 3:" out1 &&
	kill -9 $pid &&
	sleep 1 &&
	before=$(grep -c "\"measurement\"" results/bisect/*/journal.ndjson) &&
	perflab bisect resume >out2 2>err2 &&
	cat out1 out2 &&
	grep -q "^resuming " out2 &&
	culprit=$(sed -n "s/^culprit: \([0-9a-f]*\) .*/\1/p" out2) &&
	test "$culprit" = "$(cat planted.secret)" &&
	grep -q "^skipped: $(cat broken)" out2 &&
	after=$(grep -c "\"measurement\"" results/bisect/*/journal.ndjson) &&
	test $after -gt $before
'

test_expect_success 'three DUTs without noise: ceil(log4 N) probe rounds, one endpoint round, one or two to confirm' '
	perflab bisect simulate --n 61 --d 8 --noise gaussian --k 3 --trials 50 --json >sim &&
	cat sim &&
	json sim "d[\"exact\"] == 1.0 and d[\"rounds_mean\"] <= 3 + 1 + 2"
'

# On the lab the machine'''s noise can add rounds (a probe measured again);
# the log shows how many, and every round'''s probes side by side.
test_expect_success NETNS 'the rounds on the lab: probes side by side, new commits probed in few rounds' '
	n=$(git -C repo rev-list --count $(cat good)..$(cat bad)) &&
	cat out1 out2 | grep "^round [0-9]*:" >rounds &&
	probes=$(grep -c "probe.*|.*probe" rounds) &&
	test $probes -ge 1 &&
	python3 - rounds $n <<-\PY
	import math, re, sys
	seen, fresh, total = set(), 0, set()
	for line in open(sys.argv[1]):
	    m = re.match(r"round (\d+): (.*)", line)
	    if m.group(1) in total:
	        continue            # printed again after the resume
	    total.add(m.group(1))
	    ids = [p.split()[0] for p in m.group(2).split(" | ") if "(probe" in p]
	    if any(i not in seen for i in ids):
	        fresh += 1
	    seen.update(ids)
	bound = math.ceil(math.log(int(sys.argv[2]), 4))
	print("%d rounds in all, %d probing new commits; ceil(log4 %s) = %d" %
	      (len(total), fresh, sys.argv[2], bound))
	sys.exit(fresh > 3 * (bound + 1))
	PY
'

test_expect_success NETNS 'the report inputs: trace and result name the culprit and link the runs' '
	d=$(ls -d results/bisect/2*) &&
	python3 -m json.tool $d/result.json | cut -c1-160 | head -60 &&
	json $d/result.json "d[\"status\"] == \"culprit\" and d[\"culprit\"][\"commit\"] == \"$(cat planted.secret)\"" &&
	json $d/result.json "\"$(cat broken)\" in d[\"skipped\"]" &&
	json $d/result.json "all(len(s[\"runs\"]) >= 1 for s in d[\"steps\"])" &&
	json $d/trace.json "d[\"culprit\"] == \"$(cat planted.secret)\"" &&
	first=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"steps\"][0][\"runs\"][0])" $d/result.json) &&
	test -f "$d/$first/summary.json"
'

test_expect_success NETNS 'bisect run --one answers as git bisect run expects: 1 bad, 125 cannot build' '
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab >/dev/null &&
	git -C repo checkout -q --detach $(cat broken) &&
	test_exit_code 125 perflab bisect run --job job --hosts lab.hosts --good $(cat good) --one HEAD >one1 &&
	git -C repo checkout -q main &&
	grep -q "does not build: skip" one1 &&
	test_exit_code 1 perflab bisect run --job job --hosts lab.hosts --good $(cat good) --one $(cat planted.secret) >one2 &&
	grep -q "BAD" one2
'

test_done
