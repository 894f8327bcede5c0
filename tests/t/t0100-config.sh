#!/bin/sh
test_description='config check: strict hosts and job files, file:line errors'
. "$(dirname "$0")/test-lib.sh"

# check FILE 'expected message': must fail with 129 and say file:line.
check_bad() {
	test_exit_code 129 perflab config check "$1" 2>err &&
	grep -q -- "$2" err || { echo "expected: $2"; cat err; return 1; }
}

test_expect_success 'the examples in the tree are valid' '
	perflab config check "$SRC_DIR/hosts.example" "$SRC_DIR/job.example" >out &&
	grep -q "hosts.example: ok (hosts file: dut1, client1, builder)" out &&
	grep -q "job.example: ok (job file)" out
'

test_expect_success 'every key a user can set is documented in the examples' '
	perflab config show "$SRC_DIR/hosts.example" | sed -n "/^\[host dut1\]/,/^$/p" |
		sed -n "s/ = .*//p" | grep -v "^\[" >keys &&
	perflab config show "$SRC_DIR/job.example" | sed -n "s/ = .*//p" >>keys &&
	while read k; do
		grep -q "^$k =" "$SRC_DIR/hosts.example" "$SRC_DIR/job.example" ||
			{ echo "undocumented key $k"; exit 1; }
	done <keys &&
	test $(wc -l <keys) -gt 40
'

test_expect_success 'unknown key names file, line and key' '
	printf "[host a]\naddress = local\nrole = dut\nspeed = fast\n" >h &&
	check_bad h "h:4: unknown key .speed. in \[host\]"
'

test_expect_success 'bad value names file, line and value' '
	printf "[host a]\naddress = local\nrole = dut\nport = 70000\n" >h &&
	check_bad h "h:4: value .70000. for .port. out of range" &&
	printf "[host a]\naddress = local\nrole = toaster\n" >h &&
	check_bad h "h:3: invalid value .toaster. for .role.: expected one of dut, client, build" &&
	printf "[workload]\nduration = soon\n" >j &&
	check_bad j "j:2: invalid value .soon. for .duration."
'

test_expect_success 'out-of-range and hex numbers are refused, not wrapped (#8)' '
	printf "[workload]\nrate = 1e21\n" >j &&
	check_bad j "j:2: invalid value .1e21. for .rate.: .*at most 1000T" &&
	printf "[workload]\nrate = 0x10G\n" >j &&
	check_bad j "j:2: invalid value .0x10G. for .rate." &&
	printf "[workload]\nsize = 0x10\n" >j &&
	check_bad j "j:2: invalid value .0x10. for .size." &&
	printf "[workload]\nduration = 1e20\n" >j &&
	check_bad j "j:2: invalid value .1e20. for .duration." &&
	test_exit_code 129 perflab load client --rate 1e21 2>err &&
	grep -q "invalid value .1e21. for .rate." err
'

test_expect_success 'duplicate host and duplicate key' '
	printf "[host a]\naddress = x\nrole = dut\n\n[host a]\naddress = y\nrole = client\n" >h &&
	check_bad h "h:5: duplicate host .a. (first at line 1)" &&
	printf "[host a]\naddress = x\naddress = y\nrole = dut\n" >h &&
	check_bad h "h:3: duplicate key .address. in \[host a\] (first at line 2)"
'

test_expect_success 'missing required keys and bad sections' '
	printf "[host a]\nrole = dut\n" >h &&
	check_bad h "h:1: \[host a\] has no .address." &&
	printf "[host]\naddress = x\n" >h &&
	check_bad h "h:1: section \[host\] needs a name" &&
	printf "[hots a]\naddress = x\n" >h &&
	check_bad h "h:1: unknown section \[hots a\]" &&
	printf "address = x\n" >h &&
	check_bad h "h:1: .address = x. is outside any \[section\]"
'

test_expect_success 'hosts and job sections do not mix' '
	printf "[host a]\naddress = x\nrole = dut\n[workload]\nduration = 5\n" >h &&
	check_bad h "h:4: \[workload\] belongs in a job file, but this is a hosts file"
'

test_expect_success 'syntax errors, truncation, binary data, huge files' '
	printf "[host a]\naddress = x\nrole = dut\nthis line has no equals sign\n" >h &&
	check_bad h "h:4: expected .key = value. or .\[section\]." &&
	printf "[host a\naddress = x\n" >h &&
	check_bad h "h:1: unterminated section header" &&
	printf "[host a]\naddress = x\nro" >h &&
	check_bad h "h:3: expected .key = value." &&
	printf "[host a]\naddress = x\000y\nrole = dut\n" >h &&
	check_bad h "h:2: binary data" &&
	{ printf "[host a]\naddress = "; head -c 500 /dev/zero | tr "\0" x; printf "\nrole = dut\n"; } >h &&
	check_bad h "h:2: line longer than" &&
	head -c 5000000 /dev/zero | tr "\0" "#" >h &&
	check_bad h "larger than" &&
	: >h && check_bad h "h:1: no sections" &&
	check_bad /nonexistent/file "cannot read ./nonexistent/file."
'

test_expect_success 'all errors of a file are reported, not only the first' '
	printf "[host a]\naddress = x\nrole = dut\nport = x\nuser = a\nspeed = 1\n" >h &&
	test_exit_code 129 perflab config check h 2>err &&
	grep -q "h:4:" err && grep -q "h:6:" err
'

test_expect_success 'placeholders are checked; metacharacters are data' '
	printf "[host a]\naddress = x\nrole = dut\ninstall = cp {image} {dest}\n" >h &&
	check_bad h "h:4: unknown placeholder .{dest}." &&
	printf "[host a]\naddress = x\nrole = dut\ninstall = sh -c \"rm -rf /; echo \$(id)\" {image}\n" >h &&
	perflab config check h &&
	perflab config show h | grep -q "^install = sh -c \"rm -rf /; echo \$(id)\" {image}$"
'

test_expect_success 'comments only on their own line: a ; after a space is part of the value (#9)' '
	printf "[run]\nlabel = kernel A ; patch B\n[source]\nrepo = /tmp\nbuild = sh -c \"make ; strip server\"\nartifact = server\n" >j &&
	perflab config check j &&
	perflab config show j >out &&
	grep -q "^label = kernel A ; patch B$" out &&
	grep -q "^build = sh -c \"make ; strip server\"$" out &&
	printf "[run]\n; a comment\n  # another\nlabel = a;b ;c\n    ; an indented comment\n    d ; e\n" >j &&
	perflab config show j | grep -q "^label = a;b ;c d ; e$" &&
	printf "[run]\nlabel = a\037b\n" >j &&
	check_bad j "j:2: binary data"
'

test_expect_success 'an indented line continues a value' '
	printf "[host a]\naddress = x\nrole = dut\ninstall = cp\n    {image}\n    /boot\nport = 2222\n" >h &&
	perflab config show h >out &&
	grep -q "^install = cp {image} /boot$" out &&
	grep -q "^port = 2222$" out
'

test_expect_success 'show spells out defaults and re-reads as the same' '
	printf "[workload]\nworkload = crr\nconnections = 4\n" >j &&
	perflab config show j >shown &&
	grep -q "^connections = 4$" shown &&
	sed -n "/^# defaults/,\$p" shown | grep -q "^duration = 10s$" &&
	! sed -n "/^# defaults/,\$p" shown | grep -q "^connections" &&
	perflab config show shown >again &&
	grep -v "^# defaults" shown >expect &&
	sort expect >expect.sorted && sort again >again.sorted &&
	test_cmp expect.sorted again.sorted
'

test_done
