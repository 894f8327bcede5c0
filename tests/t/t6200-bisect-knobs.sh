#!/bin/sh
# perflab-test: measures (runs alone: it judges CPU or goodput on a lab)
test_description='perflab bisect knobs --job: delta debugging over configuration items, measured'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: a paced bulk job on this machine and four items, one of them costly' '
	printf "[workload]\nworkload = bulk\nrate = 1G\nconnections = 2\nduration = 1s\nwarmup = 0.5s\n[run]\nresults = res\n[thresholds]\ncpu_per_gbit = +25%%\n" >job &&
	cat >items <<-\EOF
	# items to try, one per line
	timeout = 20s
	records = none

	bufsize = 64
	interval = 1s
	EOF
	perflab config check job
'

test_expect_success 'bad items name the file, the line and the value' '
	printf "timeout = 20s\nno-such-key = 1\nbufsize = lots\njust words\n" >bad &&
	test_exit_code 129 perflab bisect knobs --job job --items bad 2>err &&
	grep -q "^error: bad:2: .no-such-key. is not a \[workload\] or \[run\] key" err &&
	grep -q "^error: bad:3: .*lots" err &&
	grep -q "^error: bad:4: .just words.: expected KEY = VALUE" err &&
	test ! -d res &&
	printf "# nothing\n" >empty &&
	test_exit_code 129 perflab bisect knobs --job job --items empty 2>err &&
	grep -q "no items" err
'

test_expect_success 'the one item that matters is found by measurement' '
	perflab bisect knobs --job job --items items --runs 4 --max-runs 8 >out 2>err &&
	cat out &&
	sed -n "/^the smallest set/,\$p" out >found &&
	test $(grep -c " = " found) = 1 &&
	grep -q "^  bufsize = 64   (items:5)$" found &&
	grep -q "{bufsize=64}: BAD" out
'

test_done
