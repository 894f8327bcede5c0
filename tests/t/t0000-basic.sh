#!/bin/sh
test_description='the command table, help, version and exit codes'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'help lists the commands' '
	perflab help >out &&
	grep -q "^   run  " out && grep -q "^   load  " out && grep -q "^   config  " out &&
	grep -q "^   129  *usage or configuration error" out
'

test_expect_success 'help CMD shows that command' '
	perflab help load >out &&
	grep -q "^   server " out && grep -q "^   client " out &&
	perflab help load client | grep -q -- "-P, --connections N" &&
	perflab help load server | grep -q -- "--backlog N" &&
	perflab help run | grep -q -- "--repeat N" &&
	perflab run --help | grep -q -- "--collectors LIST"
'

test_expect_success 'version names the linked libraries' '
	perflab version >out &&
	for lib in perflab libgit2 hwloc jansson sqlite libpfm4 inih; do
		grep -q "^$lib " out || { echo "missing $lib"; exit 1; }
	done
'

test_expect_success 'an unknown command or option is a usage error (129)' '
	test_exit_code 129 perflab frobnicate &&
	test_exit_code 129 perflab --frobnicate &&
	test_exit_code 129 perflab help frobnicate &&
	test_exit_code 129 perflab load client --no-such-option &&
	test_exit_code 129 perflab load client --connections many &&
	test_exit_code 129 perflab load sideways &&
	test_exit_code 129 perflab
'

test_expect_success 'bad option values name the option and the value' '
	test_exit_code 129 perflab load client --duration "3 fortnights" 2>err &&
	grep -q "invalid value .3 fortnights. for .duration." err &&
	test_exit_code 129 perflab load client --connections 0 2>err &&
	grep -q "out of range" err
'

test_expect_success 'combinations that make no sense are refused' '
	test_exit_code 129 perflab load client --workload bulk --count 5 2>err &&
	grep -q "count" err &&
	test_exit_code 129 perflab load client --workload xfer --burst 5 2>err &&
	test_exit_code 129 perflab load client --cc cubic,cubic 2>err || true
'

test_done
