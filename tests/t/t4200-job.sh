#!/bin/sh
# perflab-test: quiet (its runs judge no CPU or goodput: it runs beside other suites)
test_description='perflab run --job --commit: build at a commit, deploy on the lab DUT, measure'
. "$(dirname "$0")/test-lib.sh"

lab=t42$(printf '%04x' $$ | tail -c 3)

. "$TEST_DIR/lib-sample.sh"

commit() { sample_commit repo "$1"; }

test_expect_success NETNS 'a lab, and a repository of a small C server with a few commits' '
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab >/dev/null &&
	sample_repo repo &&
	c1=$(git -C repo rev-parse HEAD) &&
	echo "/* a comment */" >>repo/server.c &&
	c2=$(commit "a comment; \$(touch pwned) \`id\` \"quoted\"") &&
	echo "this does not compile" >>repo/server.c &&
	c3=$(commit "broken") &&
	sample_job job "$TRASH/repo" &&
	perflab config check job
'

test_expect_success NETNS 'run --commit builds, installs in the DUT, measures from a client over ssh' '
	perflab run --job job --hosts lab.hosts --commit $c1 --results res >out &&
	grep -q "(built) for ${c1%????????????????????????????}" out &&
	d=res/$(ls res) &&
	json $d/run.json "d[\"status\"] == \"complete\" and d[\"commit\"] == \"$c1\"" &&
	json $d/run.json "d[\"build\"][\"cache_hit\"] is False and d[\"build\"][\"subject\"] == \"the server\"" &&
	json $d/run.json "d[\"deploy\"][\"outcome\"] == \"ok\"" &&
	json $d/summary.json "d[\"transactions\"] > 0 and sum(d[\"errors\"].values()) == 0" &&
	test -f $d/hosts/dut1/cpu.ndjson && test -f $d/hosts/client1/client.ndjson &&
	test -f $d/hosts/dut1/fingerprint.json && test -f $d/fingerprint.json
'

test_expect_success NETNS 'the same commit again hits the image cache' '
	perflab run --job job --hosts lab.hosts --commit $c1 --results res2 >out &&
	grep -q "(cache hit)" out &&
	json res2/*/run.json "d[\"build\"][\"cache_hit\"] is True and d[\"status\"] == \"complete\""
'

test_expect_success NETNS 'a subject full of shell metacharacters is data' '
	perflab run --job job --hosts lab.hosts --commit $c2 --results res3 >out &&
	json res3/*/run.json "d[\"build\"][\"subject\"].startswith(\"a comment; \$(touch pwned)\")" &&
	! find / -xdev -name pwned 2>/dev/null | grep -q pwned
'

test_expect_success NETNS 'a commit that does not build is a skip with its log, and nothing is deployed' '
	test_exit_code 125 perflab run --job job --hosts lab.hosts --commit $c3 --results res4 2>err &&
	grep -q "the build of .$c3. failed" err &&
	json res4/*/run.json "d[\"status\"] == \"skipped\" and d[\"build\"][\"failed\"]" &&
	json res4/*/run.json "\"deploy\" not in d" &&
	log=$(json res4/*/run.json "d[\"build\"][\"log\"]") &&
	grep -q "error" "$log"
'

test_expect_success 'a revision that does not exist is named' '
	test_exit_code 128 perflab run --job job --commit nosuchrev --results res5 2>err &&
	grep -q "nosuchrev" err
'

test_done
