#!/bin/sh
# perflab-test: long (it boots VMs: among the quiet suites, started first)
test_description='bisect knobs on the DUT: two sysctls and a kernel argument of a VM DUT, applied and read back; the one that slows an upload with an added RTT is found by measurement'
. "$(dirname "$0")/test-lib.sh"

lab=t64$(printf '%04x' $$ | tail -c 3)
kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | tail -1)

test_expect_success 'a job and its items: sysctls and a kernel argument' '
	cat >job <<-\EOF &&
	[workload]
	workload = xfer
	direction = up
	size = 2M
	count = 2
	warmup = 0
	delay-ms = 10
	[run]
	collectors = cpu
	[thresholds]
	latency_p50 = +30%
	EOF
	# tcp_rmem caps the receive buffer an upload into the DUT autotunes to
	cat >items <<-\EOF &&
	sysctl.net.ipv4.tcp_timestamps = 1
	boot.mitigations = off
	sysctl.net.ipv4.tcp_rmem = 4096 8192 16384
	EOF
	printf "sysctl.kernel.pid_max = 9999\n" >global.items &&
	printf "sysctl.net ipv4 = 1\nboot.a = b c\n" >bad.items &&
	test_exit_code 129 perflab bisect knobs --job job --items bad.items 2>err &&
	grep -q "bad.items:1: .sysctl.net ipv4.: not a sysctl name" err &&
	grep -q "bad.items:2: .boot.a.: the value .b c. is not one word" err
'

test_expect_success NETNS 'on a namespace DUT only its network namespace'"'"'s sysctls are taken' '
	test_when_finished_all "perflab lab down --name ${lab}n --dir nslab --hosts-out ns.hosts" &&
	perflab lab up --name ${lab}n --dir nslab --hosts-out ns.hosts >/dev/null &&
	test_exit_code 129 perflab bisect knobs --job job --hosts ns.hosts --items global.items 2>err &&
	grep -q "only its own sysctls (net.\*)" err &&
	test_exit_code 129 perflab bisect knobs --job job --hosts ns.hosts --items items 2>err &&
	grep -q "kernel arguments need a VM DUT" err
'

test_expect_success NETNS 'the smallest set that slows the upload: the tcp_rmem sysctl, found by measurement' '
	test -n "$kernel" || { echo "needs linux-image-cloud-amd64 (make deps)"; false; } &&
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab --vm 1 --kernel "$kernel" >/dev/null 2>&1 &&
	perflab bisect knobs --job job --hosts lab.hosts --items items --metric latency_p50 \
		--runs 3 --max-runs 6 >out 2>err &&
	cat out &&
	sed -n "/the smallest set/,\$p" out >set &&
	test $(grep -c " = " set) = 1 &&
	grep -q "net.ipv4.tcp_rmem = 4096 8192 16384 .*items:3" set
'

test_expect_success NETNS 'the DUT is back as it was: baseline sysctls, no extra kernel arguments' '
	ip netns exec $lab-ctl ssh -F /dev/null -o BatchMode=yes \
		-o UserKnownHostsFile=.perflab-lab/known_hosts -i .perflab-lab/id_ed25519 \
		root@198.18.0.11 "sysctl -n net.ipv4.tcp_rmem; cat /proc/cmdline" >after &&
	cat after &&
	! grep -q "4096.*8192.*16384" after &&
	! grep -q "mitigations=off" after
'

test_done
