#!/bin/sh
# perflab-test: measures (runs alone: it judges CPU or goodput on a lab)
test_description='an improvement hunt: which commit made the server cheaper? bisect run --improvement with git'"'"'s old/new terms names it'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIR/lib-sample.sh"

lab=t615$(printf '%04x' $$ | tail -c 2)

# The server hashes every byte it sends (the old, dear behaviour), then,
# among harmless commits, one drops the hashing: the improvement.
test_expect_success 'a history in which one commit makes the server cheaper' '
	sample_repo repo >/dev/null &&
	python3 - "$SRC_DIR/scripts/sample-history.py" repo <<-\PY &&
	import importlib.util, sys
	spec = importlib.util.spec_from_file_location("sh", sys.argv[1])
	sh = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(sh)
	sh.set_prepare(sys.argv[2], sh.PLANTED)
	PY
	sample_commit repo "http: checksum the payload before sending" >old &&
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		if [ $i = 8 ]; then
			python3 - "$SRC_DIR/scripts/sample-history.py" repo <<-\PY
			import importlib.util, sys
			spec = importlib.util.spec_from_file_location("sh", sys.argv[1])
			sh = importlib.util.module_from_spec(spec)
			spec.loader.exec_module(sh)
			sh.set_prepare(sys.argv[2], sh.BASELINE)
			PY
			sample_commit repo "http: drop the per-byte checksum" >fast
		else
			echo "/* note $i */" >>repo/server.c &&
			sample_commit repo "docs: note $i" >/dev/null
		fi
	done &&
	git -C repo rev-parse HEAD >new &&
	SAMPLE_BYTES=1048576 sample_job job "$TRASH/repo" "rate = 400M
[thresholds]
cpu_per_gbit = +20%" &&
	perflab config check job
'

test_expect_success 'a threshold that points the better way needs --improvement' '
	test_exit_code 129 perflab bisect run --job job --old $(cat old) --new $(cat new) \
		--metric cpu_per_gbit --threshold -20% 2>err &&
	grep -q "add --improvement" err
'

test_expect_success NETNS 'bisect run --improvement names the commit that made it cheaper' '
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab >/dev/null &&
	perflab bisect run --job job --hosts lab.hosts --old $(cat old) --new $(cat new) \
		--improvement --metric cpu_per_gbit >out 2>err &&
	cat out &&
	grep -q "(-20% is the improvement)" out &&
	grep -q "^improvement: $(cat fast) http: drop the per-byte checksum" out &&
	d=$(ls -d results/bisect/2*) &&
	json $d/result.json "d[\"hunt\"] == \"improvement\" and d[\"culprit\"][\"commit\"] == \"$(cat fast)\""
'

test_done
