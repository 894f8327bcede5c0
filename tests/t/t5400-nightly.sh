#!/bin/sh
# perflab-test: measures (runs alone: it judges CPU or goodput on a lab)
test_description='perflab nightly: three tips of a generated history, the third regressed'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIR/lib-sample.sh"

lab=t54$(printf '%04x' $$ | tail -c 3)
sql() { sqlite3 -batch "$@"; }

test_expect_success 'a job without a [source] or with a bad date is refused' '
	printf "[workload]\nworkload = chunk\n" >nosrc.job &&
	test_exit_code 129 perflab nightly --job nosrc.job 2>err &&
	grep -q "has no \[source\]" err &&
	sample_repo r0 && sample_job j0 "$TRASH/r0" &&
	test_exit_code 129 perflab nightly --job j0 --date 2030-13-45 2>err &&
	grep -q -- "--date .2030-13-45." err &&
	test_exit_code 129 perflab nightly --job j0 --looks 5,x 2>err &&
	grep -q -- "--looks .5,x." err
'

test_expect_success 'a generated history: three nightly tips, the regression planted before the third' '
	python3 "$SRC_DIR/scripts/sample-history.py" repo --commits 40 --planted planted >tips &&
	n1=$(sed -n "s/^night1 //p" tips) && n2=$(sed -n "s/^night2 //p" tips) &&
	n3=$(sed -n "s/^night3 //p" tips) &&
	git -C repo merge-base --is-ancestor $(cat planted) $n3 &&
	! git -C repo merge-base --is-ancestor $(cat planted) $n2 &&
	git -C repo branch tip $n1 &&
	SAMPLE_BYTES=1048576 sample_job job "$TRASH/repo" "rate = 1G
[thresholds]
cpu_per_gbit = +30%" &&
	sed -i "s/^\[source\]$/[source]\nbranch = tip/" job &&
	perflab config check job
'

test_expect_success NETNS 'night 1 is the baseline, night 2 is good, night 3 is bad with the range' '
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab >/dev/null &&
	perflab nightly --job job --hosts lab.hosts --date 2030-01-01 --looks 5,10,20 >out1 2>err1 &&
	grep -q "^night 2030-01-01: GOOD at $n1" out1 &&
	git -C repo branch -f tip $n2 &&
	{ perflab nightly --job job --hosts lab.hosts --date 2030-01-02 --looks 5,10,20 >out2 2>err2; echo $? >rc2; } &&
	cat out2 err2 | grep -v "nightly: [0-9]* of" &&
	test "$(cat rc2)" = 0 &&
	grep -q "^night 2030-01-02: GOOD at $n2" out2 &&
	git -C repo branch -f tip $n3 &&
	{ perflab nightly --job job --hosts lab.hosts --date 2030-01-03 --looks 5,10,20 --no-bisect >out3 2>err3; echo $? >rc3; } &&
	cat out3 err3 | grep -v "nightly: [0-9]* of" &&
	test "$(cat rc3)" = 1 &&
	grep -q "^night 2030-01-03: BAD at $n3" out3 &&
	grep -q "perflab bisect run --job job --hosts lab.hosts --good $n2 --bad $n3" out3
'

test_expect_success NETNS 'the history holds the nights, the range and the tagged runs' '
	sql results/.history.sqlite "SELECT date, verdict, range_good, range_bad FROM nightly ORDER BY date" >nights &&
	cat nights &&
	test "$(sed -n 1p nights)" = "2030-01-01|GOOD|$n1|" &&
	test "$(sed -n 2p nights)" = "2030-01-02|GOOD|$n2|" &&
	test "$(sed -n 3p nights)" = "2030-01-03|BAD|$n2|$n3" &&
	perflab history --nights --job job >list &&
	cat list &&
	grep -q "^2030-01-03  $(echo $n3 | cut -c1-12)  BAD  *job  *$(echo $n2 | cut -c1-12)\.\.$(echo $n3 | cut -c1-12)$" list &&
	test $(grep -c " GOOD " list) = 2 &&
	test $(sql results/.history.sqlite "SELECT count(*) FROM runs WHERE kind = '\''nightly'\'' AND series LIKE '\''nightly 2030-01-03 %'\''") -ge 10
'

test_done
