#!/bin/sh
# perflab-test: measures (runs alone: it judges CPU or goodput on a lab)
test_description='perflab calibrate: A/A over boots and runs, the unit of replication'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIR/lib-sample.sh"

lab=t53$(printf '%04x' $$ | tail -c 3)

test_expect_success 'on this machine alone: runs only, boots refused without a build' '
	printf "[workload]\nworkload = chunk\nsize = 256K\nconnections = 2\nrate = 400M\nduration = 1s\nwarmup = 0.5s\n[run]\nresults = res\n" >local.job &&
	perflab calibrate --job local.job --boots 1 --runs 4 >out &&
	grep -q "^goodput .* run " out && grep -q "^unit of replication: run$" out &&
	json res/noise/local.json "d[\"unit\"] == \"run\" and d[\"metrics\"][\"goodput\"][\"values\"] == 4" &&
	json res/noise/local.json "d[\"metrics\"][\"goodput\"][\"cv_boot\"] is None" &&
	test $(ls res | grep -c "^2") = 4 &&
	json "res/$(ls res | grep "^2" | head -1)/run.json" "d[\"kind\"] == \"calibrate\" and d[\"series\"].startswith(\"calibrate \")" &&
	test_exit_code 129 perflab calibrate --job local.job --boots 2 --runs 2 2>err &&
	grep -q "needs a build to deploy again" err
'

test_expect_success NETNS 'on the lab: three boots of one build, three runs each' '
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab >/dev/null &&
	sample_repo repo &&
	sample_job job "$TRASH/repo" &&
	perflab calibrate --job job --hosts lab.hosts --boots 3 --runs 3 >out &&
	grep -q "^unit of replication: \(run\|boot\)$" out &&
	json results/noise/job.json "d[\"boots\"] == 3 and d[\"metrics\"][\"goodput\"][\"values\"] == 9" &&
	json results/noise/job.json "d[\"metrics\"][\"goodput\"][\"p_boot\"] is not None" &&
	deploys=$(for r in results/2*; do json $r/run.json "\"deploy\" in d"; echo $?; done | grep -c "^0$") &&
	test "$deploys" = 3
'

test_done
