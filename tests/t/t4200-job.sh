#!/bin/sh
test_description='perflab run --job --commit: build at a commit, deploy on the lab DUT, measure'
. "$(dirname "$0")/test-lib.sh"

lab=t42$(printf '%04x' $$ | tail -c 3)

commit() { git -C repo add -A && git -C repo commit -q -m "$1" && git -C repo rev-parse HEAD; }

test_expect_success NETNS 'a lab, and a repository of a small C server with a few commits' '
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab >/dev/null &&
	git init -q -b main repo &&
	git -C repo config user.email t@example.com && git -C repo config user.name t &&
	cp "$SRC_DIR/tests/fixtures/sampleserver/server.c" repo/ &&
	printf "server: server.c\n\tcc -O2 -pthread -o server server.c\n" >repo/Makefile &&
	c1=$(commit "the server") &&
	echo "/* a comment */" >>repo/server.c &&
	c2=$(commit "a comment; \$(touch pwned) \`id\` \"quoted\"") &&
	echo "this does not compile" >>repo/server.c &&
	c3=$(commit "broken") &&
	cat >job <<-EOF
	[source]
	repo = $TRASH/repo
	build = make server
	artifact = server
	workdir = $TRASH/builds
	[workload]
	workload = chunk
	url = http://{dut}:{port}/bytes/262144
	connections = 2
	duration = 2s
	warmup = 1s
	[deploy]
	install = sh -c "cp \\"\\\$1\\" \\"\\\$2/server.new\\" && mv \\"\\\$2/server.new\\" \\"\\\$2/server\\"" install {image} {workdir}
	reboot = sh -c "cd \\"\\\$1\\" && { [ -f svc.pid ] && kill \\\$(cat svc.pid) 2>/dev/null; sleep 0.2; }; setsid ./server 8080 >svc.log 2>&1 </dev/null & echo \\\$! >svc.pid" reboot {workdir}
	ready = bash -c "exec 3<>/dev/tcp/127.0.0.1/8080"
	server = image
	port = 8080
	EOF
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
