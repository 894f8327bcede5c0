#!/bin/sh
test_description='leases: two jobs on one lab never measure at once; a second one waits or says who holds it; kill -9 leaves no stale lease'
. "$(dirname "$0")/test-lib.sh"

lab=t47$(printf '%04x' $$ | tail -c 3)
PERFLAB_LEASE_DIR=$TRASH/leases
export PERFLAB_LEASE_DIR

# wait until FILE holds PATTERN (at most 60 s)
wait_for() {
	for i in $(seq 1 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "no '$2' in $1"; cat "$1"; return 1
}

test_expect_success NETNS 'a lab, and a job that holds it' '
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab >/dev/null &&
	{ perflab run --hosts lab.hosts --duration 6 --warmup 0 --results first >first.out 2>&1 & } &&
	echo $! >first.pid &&
	for i in $(seq 1 300); do
		perflab lab status --name $lab >status 2>&1; grep -q "leased by" status && break
		sleep 0.1
	done &&
	grep -q "leased by pid $(cat first.pid) (run) since 20" status
'

test_expect_success NETNS 'a second job that will not wait exits 128, naming the holder' '
	test_exit_code 128 perflab run --hosts lab.hosts --duration 1 --warmup 0 --lease-wait 0 \
		--results second 2>err &&
	grep -q "host .dut1. is leased by pid $(cat first.pid) (run) since .*: the lab is busy" err &&
	test ! -d second || test -z "$(ls second)"
'

test_expect_success NETNS 'a job that waits says so and measures only after the holder is done' '
	perflab run --hosts lab.hosts --duration 1 --warmup 0 --results third >third.out 2>third.err &&
	grep -q "is leased by pid $(cat first.pid) (run)" third.err &&
	grep -q "waiting" third.err &&
	wait $(cat first.pid) &&
	python3 - <<-\PY
	import glob, json
	a = json.load(open(glob.glob("first/2*/run.json")[0]))
	b = json.load(open(glob.glob("third/2*/run.json")[0]))
	print(a["finished_utc"], "<=", b["started_utc"])
	assert a["status"] == b["status"] == "complete"
	assert a["finished_utc"] <= b["started_utc"]
	PY
'

test_expect_success NETNS 'kill -9 of a holder frees the hosts at once' '
	{ perflab run --hosts lab.hosts --duration 30 --warmup 0 --results killed >k.out 2>&1 & } &&
	pid=$! &&
	for i in $(seq 1 300); do
		perflab lab status --name $lab >status 2>&1; grep -q "leased by pid $pid" status && break
		sleep 0.1
	done &&
	grep -q "leased by pid $pid" status &&
	kill -9 $pid && wait $pid; 
	perflab lab status --name $lab >status2 2>&1 &&
	! grep -q "leased by" status2 &&
	perflab run --hosts lab.hosts --duration 1 --warmup 0 --lease-wait 0 --results after >/dev/null
'

test_done
