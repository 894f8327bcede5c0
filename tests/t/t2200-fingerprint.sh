#!/bin/sh
test_description='perflab fingerprint: this host, stored by every run, and diff'
. "$(dirname "$0")/test-lib.sh"

FIX=$TEST_DIR/t2200

# The paths of a diff's table, in the order printed (lines after the header).
paths() {
	sed -n 's/^  .*  \([a-z][^ ]*\)  .*/\1/p' "$1"
}

# A run directory holding FILE as its fingerprint.
fake_run() {
	mkdir -p "$1" && cp "$2" "$1/fingerprint.json"
}

test_expect_success 'fingerprint prints this host grouped and aligned' '
	perflab fingerprint >out &&
	head -n 1 out | grep -q "^host fingerprint, version 1, sha256 [0-9a-f]\{64\}$" &&
	grep -q "^  release  *$(uname -r)$" out &&
	grep -q "^  machine  *$(uname -m)$" out &&
	sed 1d out | grep "^[a-z]" | awk "{ print \$1 }" | tr "\n" " " >actual &&
	echo "os kernel cpu cpufreq cpuidle clocksource mitigations tcp sysctl nics modules devices " |
		tr -d "\n" >expect &&
	test_cmp expect actual &&
	# the values of one group start in one column
	sed -n "/^sysctl$/,/^nics$/p" out | grep "^  [a-z]" |
		awk "{ print index(\$0, \" \" \$2) }" | sort -u >cols &&
	test $(wc -l <cols) = 1
'

test_expect_success '--json is the raw object; sha256 is that of its canonical JSON' '
	perflab fingerprint --json >fp.json &&
	json fp.json "d[\"fingerprint_version\"] == 1 and d[\"kernel\"][\"release\"] == \"$(uname -r)\"" &&
	python3 - fp.json <<-\PY
	import hashlib, json, sys
	d = json.load(open(sys.argv[1]))
	h = d.pop("sha256")
	canon = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
	assert h == hashlib.sha256(canon.encode()).hexdigest(), h
	# what cannot be read is null, never "" (and no section is missing)
	def walk(v):
	    if isinstance(v, dict):
	        for x in v.values(): walk(x)
	    elif isinstance(v, list):
	        for x in v: walk(x)
	    else:
	        assert v != "", "an empty string in the fingerprint"
	walk(d)
	# nothing volatile or host-unique: no clock, no bogomips, no host name
	values = set()
	def collect(v):
	    if isinstance(v, dict):
	        for x in v.values(): collect(x)
	    elif isinstance(v, list):
	        for x in v: collect(x)
	    else:
	        values.add(str(v))
	collect(d)
	import socket
	assert socket.gethostname() not in values
	text = json.dumps(d)
	for line in open("/proc/cpuinfo"):
	    if line.startswith(("bogomips", "cpu MHz")):
	        assert line.split(":")[1].strip() not in text, line
	for s in ("os kernel cpu cpufreq cpuidle clocksource mitigations tcp sysctl nics "
	          "modules devices").split():
	    assert s in d, s
	PY
'

test_expect_success 'frequency driver and cpuidle driver come from sysfs, or are null' '
	f=/sys/devices/system/cpu/cpufreq/policy0/scaling_driver &&
	if test -r $f; then
		json fp.json "d[\"cpufreq\"][\"driver\"] == \"$(cat $f)\""
	else
		json fp.json "d[\"cpufreq\"][\"driver\"] is None and d[\"cpufreq\"][\"policies\"] is None"
	fi &&
	f=/sys/devices/system/cpu/cpuidle/current_driver &&
	if test -r $f; then
		json fp.json "d[\"cpuidle\"][\"driver\"] == \"$(cat $f)\""
	else
		json fp.json "d[\"cpuidle\"][\"driver\"] is None"
	fi
'

test_expect_success 'perflab run writes fingerprint.json into the run directory' '
	perflab run --duration 1 --warmup 0 --results res >/dev/null &&
	perflab run --duration 1 --warmup 0 --results res >/dev/null &&
	test $(ls res | wc -l) = 2 &&
	r1=$(ls -d res/* | head -n 1) && r2=$(ls -d res/* | tail -n 1) &&
	test -f $r1/fingerprint.json && test -f $r2/fingerprint.json &&
	json $r1/run.json "d[\"status\"] == \"complete\"" &&
	json $r1/fingerprint.json "d[\"kernel\"][\"release\"] == \"$(uname -r)\"" &&
	! ls -a $r1 | grep -q "\.tmp\."
'

test_expect_success 'two runs on this host diff as identical: nothing volatile sneaks in' '
	perflab fingerprint diff $r1 $r2 >out &&
	grep -q "^fingerprints are identical (sha256 [0-9a-f]\{64\})$" out &&
	test $(wc -l <out) = 1 &&
	# the same as a fingerprint taken now, a while and two loads later
	perflab fingerprint --json >now.json &&
	perflab fingerprint diff $r1 now.json &&
	json $r1/fingerprint.json "d[\"sha256\"] == $(python3 -c "import json; print(repr(json.load(open(\"now.json\"))[\"sha256\"]))")"
'

test_expect_success 'the fixtures are this machine'"'"'s fingerprint, edited' '
	python3 - $FIX/real.json now.json <<-\PY
	import json, sys
	fix, now = (json.load(open(p)) for p in sys.argv[1:3])
	assert set(fix) == set(now), set(fix) ^ set(now)
	for s in "os kernel cpu cpufreq cpuidle clocksource tcp".split():
	    assert set(fix[s]) == set(now[s]), (s, set(fix[s]) ^ set(now[s]))
	PY
'

test_expect_success 'only the frequency driver changed: said loudly, and first' '
	fake_run runA $FIX/cpufreq-a.json &&
	fake_run runB $FIX/cpufreq-b.json &&
	test_exit_code 1 perflab fingerprint diff runA runB >out &&
	cat >expect <<-\EOF &&
	1 difference between '"'"'runA'"'"' and '"'"'runB'"'"', most suspicious first:
	!!! the CPU frequency driver changed: intel_pstate -> acpi-cpufreq; the CPU may now run at a different clock
	  frequency driver  cpufreq.driver  intel_pstate -> acpi-cpufreq
	EOF
	test_cmp expect out
'

test_expect_success 'many changes: the driver first, then the rest in rank order' '
	fake_run runM $FIX/many-b.json &&
	test_exit_code 1 perflab fingerprint diff runA runM >out &&
	sed -n 2p out | grep -q "^!!! the CPU frequency driver changed: intel_pstate -> acpi-cpufreq" &&
	paths out >actual &&
	printf "%s\n" cpufreq.driver kernel.release sysctl.net.core.rmem_max modules >expect &&
	test_cmp expect actual &&
	grep -q "^  modules  *modules  *+sch_fq$" out &&
	grep -q "^  sysctl  *sysctl.net.core.rmem_max  *4194304 -> 212992$" out
'

test_expect_success '--json gives the same order, ranks ascending, and the alert' '
	test_exit_code 1 perflab fingerprint diff --json runA runM >d.json &&
	json d.json "[c[\"path\"] for c in d[\"changes\"]] == [\"cpufreq.driver\", \"kernel.release\", \"sysctl.net.core.rmem_max\", \"modules\"]" &&
	json d.json "[c[\"rank\"] for c in d[\"changes\"]] == sorted(c[\"rank\"] for c in d[\"changes\"])" &&
	json d.json "d[\"identical\"] is False and len(d[\"alerts\"]) == 1 and \"different clock\" in d[\"alerts\"][0]" &&
	json d.json "d[\"changes\"][3][\"added\"] == [\"sch_fq\"] and d[\"changes\"][3][\"removed\"] == []" &&
	json d.json "d[\"a\"][\"path\"] == \"runA\" and len(d[\"b\"][\"sha256\"]) == 64"
'

test_expect_success 'identical fingerprints exit 0 and say so; files work like run directories' '
	perflab fingerprint diff runA $FIX/cpufreq-a.json >out &&
	grep -q "^fingerprints are identical" out &&
	perflab fingerprint diff --json $FIX/cpufreq-b.json runB >d.json &&
	json d.json "d[\"identical\"] is True and d[\"changes\"] == [] and d[\"alerts\"] == []"
'

test_expect_success 'bad input: exit 129 and the file is named' '
	test_exit_code 129 perflab fingerprint diff runA missing.json 2>err &&
	grep -q "cannot read fingerprint .missing.json." err &&
	printf "{\"fingerprint_version\": 1, \"cpu" >trunc.json &&
	test_exit_code 129 perflab fingerprint diff trunc.json runA 2>err &&
	grep -q "^error: .trunc.json. is not JSON: line 1" err &&
	head -c 300 /bin/sh >binary.json &&
	test_exit_code 129 perflab fingerprint diff runA binary.json 2>err &&
	grep -q "binary.json. is not JSON" err &&
	test_exit_code 129 perflab fingerprint diff runA $r1/run.json 2>err &&
	grep -q "run.json. is not a perflab fingerprint: no .fingerprint_version." err &&
	echo "{\"fingerprint_version\": 1, \"cpufreq\": [\"intel_pstate\"]}" >shape.json &&
	test_exit_code 129 perflab fingerprint diff shape.json runA 2>err &&
	grep -q "shape.json. is not a perflab fingerprint: .cpufreq. is of type array" err &&
	mkdir norun &&
	test_exit_code 129 perflab fingerprint diff runA norun 2>err &&
	grep -q "run directory .norun. has no fingerprint.json" err
'

test_expect_success 'bad arguments: exit 129' '
	test_exit_code 129 perflab fingerprint diff runA 2>err &&
	grep -q "compares two fingerprints" err &&
	test_exit_code 129 perflab fingerprint diff runA runB runM &&
	test_exit_code 129 perflab fingerprint diff --bogus runA runB &&
	test_exit_code 129 perflab fingerprint extra &&
	test_exit_code 129 perflab fingerprint --host dut1 2>err &&
	grep -q "unknown option .--host." err
'

test_expect_success 'help lists the command and its diff' '
	perflab help | grep -q "^   fingerprint" &&
	perflab help fingerprint >out &&
	grep -q "^   diff  *what changed" out &&
	perflab help fingerprint diff >out &&
	grep -q "perflab fingerprint diff \[--json\] A B" out &&
	grep -q "Exit 0 when identical, 1 when different, 129" out
'

test_done
