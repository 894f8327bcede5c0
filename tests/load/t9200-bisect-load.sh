#!/bin/sh
# perflab-test: measures (runs alone: it judges CPU on a lab, under a load it makes itself)
test_description='a lab bisection while a CPU hog comes and goes: the planted commit or INCONCLUSIVE, never another commit'
. "$(dirname "$0")/../t/test-lib.sh"
. "$SRC_DIR/tests/t/lib-sample.sh"

# One bisection per seed in PERFLAB_LOAD_SEEDS (default 1 2 3 4 5), each on
# a history of that seed; a busy loop on one core is on for 20 s, off for 20 s, as long as
# the bisection runs (about half the time at full load on one core).
seeds=${PERFLAB_LOAD_SEEDS:-1 2 3 4 5}
lab=t92$(printf '%04x' $$ | tail -c 3)

hog() {
	while :; do
		timeout 20 sh -c 'while :; do :; done'
		sleep 20
	done
}

test_expect_success NETNS 'the lab' '
	perflab lab up --name $lab >/dev/null
'

for i in $seeds; do
	test_expect_success NETNS "seed $i: a bisection under a coming and going load" '
		rm -rf repo results job planted.secret out err rc &&
		python3 "$SRC_DIR/scripts/sample-history.py" repo --commits 30 --seed $i \
			--planted "$TRASH/planted.secret" >tips &&
		good=$(sed -n "s/^night1 //p" tips) && bad=$(sed -n "s/^night3 //p" tips) &&
		git -C repo merge-base --is-ancestor $(cat planted.secret) $bad &&
		! git -C repo merge-base --is-ancestor $(cat planted.secret) $good &&
		SAMPLE_BYTES=1048576 sample_job job "$TRASH/repo" "rate = 1G
[thresholds]
cpu_per_gbit = +20%" &&
		{ hog & } && hogpid=$! &&
		{
			perflab bisect run --job job --hosts lab.hosts --good $good --bad $bad >out 2>err
			echo $? >rc
			pkill -P $hogpid; kill $hogpid; wait $hogpid 2>/dev/null; true
		} &&
		cat out &&
		rc=$(cat rc) &&
		culprit=$(sed -n "s/^culprit: \([0-9a-f]*\) .*/\1/p" out) &&
		runs=$(cat results/bisect/*/journal.ndjson | grep -c "\"measurement\"" || true) &&
		moved=$(grep -c "the ground moved" out || true) &&
		echo "# seed $i: exit $rc, culprit ${culprit:-none}, planted $(cat planted.secret), $runs runs, ground moved: $moved" >>"$SRC_DIR/build/test-logs/t9200-table" &&
		if test "$rc" = 0; then
			test "$culprit" = "$(cat planted.secret)"
		else
			test "$rc" = 2 && test -z "$culprit"
		fi
	'
done

test_expect_success NETNS 'lab down' '
	perflab lab down --name $lab >/dev/null
'

test_done
