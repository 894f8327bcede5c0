#!/bin/sh
# perflab-test: quiet (its runs judge no CPU or goodput: it runs beside other suites)
test_description='perflab run with a service that fails, careless results paths, crowded seconds (issue 14)'
. "$(dirname "$0")/test-lib.sh"

# A port nothing listens on: every connection is refused.
dead_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

test_expect_success 'a service that refuses every connection: the run failed, with the reason (#15)' '
	port=$(dead_port) &&
	test_exit_code 1 perflab run --workload chunk --url http://127.0.0.1:$port/x \
		--duration 1 --warmup 0 --collectors none --results f15 >out 2>err &&
	cat out err &&
	d=f15/$(ls f15) &&
	json $d/run.json "d[\"status\"] == \"failed\" and d[\"workload_failed\"] is True" &&
	json $d/run.json "\"did no transaction in the measured window\" in d[\"failure\"] and \"refused\" in d[\"failure\"]" &&
	grep -q "error: the service under test did no transaction in the measured window: .* errors (refused" err &&
	grep -q "^run $d: failed: the service under test did no transaction" out &&
	test_must_fail perflab report --text $d 2>err &&
	grep -q "is a failed run (the service under test did no transaction" err &&
	perflab history --results f15 >h &&
	# the failed run is listed, with no number for what it did not measure
	test "$(awk "/ failed /{ print \$(NF - 1), \$NF }" h)" = "- -"
'

test_expect_success 'max-error-ratio = 1 and a job: a run that moved nothing still failed (#15)' '
	printf "[workload]\nworkload = chunk\nurl = http://127.0.0.1:$port/x\n[run]\nmax-error-ratio = 1\n" >job &&
	perflab config check job &&
	test_exit_code 1 perflab run --job job --duration 1 --warmup 0 --collectors none \
		--results f15b 2>err &&
	json f15b/*/run.json "d[\"status\"] == \"failed\""
'

test_expect_success 'a results path that is a file, or read-only: said, never "(null)" (#12)' '
	echo x >afile &&
	test_exit_code 1 perflab run --duration 1 --results afile >out 2>err &&
	cat out err &&
	grep -q "afile. exists and is not a directory" err &&
	! grep -q "(null)" out err &&
	grep -q "^run: not started" out &&
	test_exit_code 1 perflab run --duration 1 --repeat 3 --results afile/sub >out 2>err &&
	grep -q "afile/sub" err && ! grep -q "(null)" out &&
	test $(grep -c "^run" out) = 1
'

test_expect_success ROOT 'a read-only results directory (#12)' '
	mkdir ro && mount -t tmpfs -o ro none ro &&
	test_when_finished_all "umount $TRASH/ro" &&
	test_exit_code 1 perflab run --duration 1 --results ro >out 2>err &&
	grep -q "cannot create the run directory .ro/.tmp-.*Read-only file system" err &&
	! grep -q "(null)" out
'

test_expect_success 'a client that needs more files than the limit says so on the terminal, naming the renamed log (#12)' '
	test_exit_code 1 perflab run --connections 1100000 --duration 1 --warmup 0 \
		--collectors none --results fd >out 2>err &&
	cat out err &&
	d=fd/$(ls fd) &&
	grep -q "1100000 connections need 1100064 open files" $d/client.log &&
	grep -q "error: the client on host .local.: 1100000 connections need 1100064 open files" err &&
	grep -q "its log is .$d/client.log." err &&
	! grep -q "\.tmp-" err
'

test_expect_success 'without RENAME_NOREPLACE (NFS): the run directory is still finalised (#2)' '
	PERFLAB_TEST_NO_RENAMEAT2=1 perflab run --duration 1 --warmup 0 --collectors none \
		--results nfs >out 2>err &&
	d=nfs/$(ls nfs) &&
	json $d/run.json "d[\"status\"] == \"complete\"" &&
	test -z "$(ls -A nfs | grep "^\.tmp-")"
'

# A run never reads its own standard input: once a host run locally
# left a descriptor 0 among the outputs to read, so the run swallowed
# its caller's input (and, closed, handed a pipe there to a collector
# that then never saw its input end).
test_expect_success 'a run leaves its standard input alone' '
	{ echo kept; sleep 1; echo after; } | {
		perflab run --duration 1 --warmup 0 --results stdin >out 2>err &&
		read first && test "$first" = kept
	} &&
	json stdin/$(ls stdin)/run.json "d[\"status\"] == \"complete\""
'

test_done
