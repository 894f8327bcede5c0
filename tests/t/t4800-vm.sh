#!/bin/sh
# perflab-test: long (it boots VMs: among the quiet suites, started first)
test_description='the VM lab: a QEMU DUT booting Debian'"'"'s cloud kernel, measured from a namespace client; [deploy] kind = kernel boots a built kernel and keeps its console; a kernel that panics is a skip; lab down leaves nothing'
. "$(dirname "$0")/test-lib.sh"

lab=t48$(printf '%04x' $$ | tail -c 3)
kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | tail -1)

have_vm() {
	[ -n "$kernel" ] && command -v qemu-system-x86_64 >/dev/null &&
	[ -x /usr/sbin/dropbear ] && command -v busybox >/dev/null
}

test_expect_success NETNS 'lab up --vm: a guest boots the kernel, ready with ssh and the agent' '
	have_vm || { echo "needs linux-image-cloud-amd64, qemu-system-x86, dropbear-bin, busybox-static (make deps)"; false; } &&
	test_when_finished_all "perflab lab down --name $lab" &&
	perflab lab up --name $lab --vm 1 --kernel "$kernel" >out 2>err &&
	cat out err &&
	grep -q "is up: 1 DUT (QEMU VMs, \(kvm\|tcg\), booted), 1 client" out &&
	grep -q "^vm = .*/dut1$" lab.hosts &&
	grep -q "^power_cycle = .* lab power-cycle dut1 " lab.hosts &&
	grep -q "perflab-ready .* host=dut1 " .perflab-lab/dut1/console.log &&
	perflab lab status --name $lab >status &&
	grep -q "dut1 .*(VM) .* on" status
'

test_expect_success NETNS 'an upload into the guest, its own CPU and QEMU'"'"'s beside it' '
	perflab run --hosts lab.hosts --workload xfer --direction up --size 4M --count 2 --warmup 0 \
		--rcvbuf 64K --delay-ms 10 --results res >out 2>err &&
	r=$(ls -d res/2*) &&
	json $r/run.json "d[\"status\"] == \"complete\"" &&
	json $r/summary.json "d[\"transactions\"] == 2" &&
	json $r/summary.json "d[\"hosts\"][\"dut1\"][\"cpu_scope\"] == \"machine\"" &&
	json $r/summary.json "d[\"qemu_cpu_util_pct\"] > 0" &&
	json $r/hosts/dut1/fingerprint.json "d[\"kernel\"][\"release\"].endswith(\"cloud-amd64\")" &&
	json $r/hosts/dut1/fingerprint.json "\"nonce\" not in d[\"kernel\"][\"cmdline\"]"
'

# A "build" that yields the distribution kernel, and a deploy that boots it.
test_expect_success NETNS '[deploy] kind = kernel boots the image in the VM and keeps the console' '
	git init -q -b main src && git -C src commit -q --allow-empty -m "the kernel" &&
	c=$(git -C src rev-parse HEAD) &&
	cat >job <<-EOF &&
	[source]
	repo = $TRASH/src
	build = cp $kernel {image}
	workdir = $TRASH/builds
	[deploy]
	kind = kernel
	[workload]
	workload = xfer
	direction = up
	size = 1M
	count = 1
	warmup = 0
	EOF
	perflab run --job job --hosts lab.hosts --commit $c --results kres >out 2>err &&
	r=$(ls -d kres/2*) &&
	json $r/run.json "d[\"status\"] == \"complete\" and d[\"deploy\"][\"outcome\"] == \"ok\"" &&
	json $r/run.json "d[\"deploy\"][\"boot_s\"] > 0" &&
	grep -q "perflab-ready .* nonce=" $r/console-dut1.log
'

test_expect_success NETNS 'a kernel that panics at boot is a skip (125), its console kept' '
	cat job >panic.job &&
	sed -i "/^kind = kernel$/a cmdline = init=/no/such/init" panic.job &&
	test_exit_code 125 perflab run --job panic.job --hosts lab.hosts --commit $(git -C src rev-parse HEAD) \
		--results pres >out 2>err &&
	grep -q "panicked" err &&
	r=$(ls -d pres/2*) &&
	json $r/run.json "d[\"status\"] == \"skipped\"" &&
	grep -q "Kernel panic" $r/console-dut1.log &&
	perflab lab power-cycle dut1 --name $lab >/dev/null 2>&1 || true
'

test_expect_success NETNS 'lab down stops QEMU and removes what it made' '
	perflab lab down --name $lab >/dev/null &&
	! pgrep -f "perflab-dut1.*$TRASH" >/dev/null &&
	! ip netns list | grep -q "^$lab-" &&
	test ! -e .perflab-lab
'

test_done
