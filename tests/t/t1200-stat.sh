#!/bin/sh
# perflab-test: measures (runs alone: it judges CPU or goodput on a lab)
test_description='perflab events and stat: counting mode, pmcstat names, topology roll-ups'
. "$(dirname "$0")/test-lib.sh"

# Does the kernel expose a core PMU? (Decided without perflab.)
has_pmu() { ls /sys/bus/event_source/devices 2>/dev/null | grep -q '^cpu'; }

# A command whose counts are deterministic: it spins until it has used
# 0.5 s of CPU since it started (whatever the load, the loop absorbs
# start-up and page-fault costs) and touches 8 MiB once.
cat >busy.pl <<'PL'
BEGIN { require Time::HiRes; $t0 = Time::HiRes::clock_gettime(2) }  # CLOCK_PROCESS_CPUTIME_ID
my $x = "a" x (8 << 20);
1 while Time::HiRes::clock_gettime(2) - $t0 < 0.5;
PL

test_expect_success 'encode: libpfm4 names for a PMU this host lacks (acceptance)' '
	perflab events --pmu snb --encode "UOPS_EXECUTED:THREAD:c=1:i=1" >out &&
	grep -qx "config   0x18001b1" out &&
	grep -qx "type     4 (raw)" out &&
	grep -qx "pmu      snb" out &&
	perflab events --encode "snb::UOPS_EXECUTED:THREAD:c=1:i=1" >out2 &&
	grep -qx "config   0x18001b1" out2
'

test_expect_success 'encode: pmcstat spellings and the alias table (acceptance)' '
	perflab events --pmu snb --encode RESOURCE_STALLS.ANY >out &&
	grep -qx "config   0x1a2" out &&
	perflab events --pmu snb --encode "UOPS_DISPATCHED.THREAD,inv,cmask=1" >out &&
	grep -qx "config   0x18001b1" out &&
	perflab events --pmu snb --encode "RESOURCE_STALLS.ANY,usr" >out &&
	grep -qx "exclude  kernel guest" out &&
	perflab events --pmu snb --encode "LONGEST_LAT_CACHE.MISS,LONGEST_LAT_CACHE.REFERENCE" >out &&
	test $(grep -c "^config " out) = 2 &&
	grep -qx "config   0x412e" out && grep -qx "config   0x4f2e" out
'

test_expect_success 'encode: libpfm4 names the snb LLC events oddly, and perflab says so' '
	perflab events --pmu snb --encode LLC_MISSES >out &&
	grep -qx "config   0x412e" out &&
	grep -q "^libpfm4  snb::LAST_LEVEL_CACHE_MISSES" out &&
	grep -q "^warning  .*config 0x12e, not as this event" out &&
	perflab events --pmu snb --encode LLC_REFERENCES >out &&
	grep -qx "config   0x4f2e" out &&
	perflab events --pmu snb --encode UOPS_EXECUTED:THREAD >out &&
	! grep -q "^warning" out
'

test_expect_success 'encode: generic and software events' '
	perflab events --encode task-clock,page-faults,cycles >out &&
	test $(grep -c "^type     1 (software)" out) = 2 &&
	grep -qx "type     0 (hardware)" out
'

test_expect_success 'list: a pattern selects events and unit masks' '
	perflab events --pmu snb resource_stalls.any >out &&
	grep -q "^snb::RESOURCE_STALLS " out &&
	grep -q "^  :ANY " out &&
	! grep -q "^  :RS " out &&
	perflab events --pmu snb "UOPS_EXEC*" >out &&
	grep -q "^snb::UOPS_EXECUTED " out && grep -q "^  :THREAD " out &&
	! grep -q RESOURCE_STALLS out &&
	perflab events >all &&
	test $(wc -l <all) -gt 10 &&
	perflab events --list-pmus >pmus &&
	grep -q "^snb  *no " pmus && grep -q "^perf  *yes " pmus &&
	perflab events --aliases | grep -q "^UOPS_DISPATCHED.THREAD  *UOPS_EXECUTED:THREAD"
'

test_expect_success 'list and encode: unknown PMUs and events fail with their name' '
	test_exit_code 1 perflab events --pmu nosuchpmu 2>err &&
	grep -q "unknown PMU .nosuchpmu." err &&
	test_exit_code 1 perflab events --pmu snb NO_SUCH_THING 2>err &&
	grep -q "no event of PMU .snb. matches .NO_SUCH_THING." err &&
	test_exit_code 1 perflab events --pmu snb --encode NO_SUCH_EVENT 2>err &&
	grep -q "cannot encode event .NO_SUCH_EVENT. for PMU .snb." err &&
	test_exit_code 1 perflab events --pmu snb --encode "RESOURCE_STALLS.ANY,cmask=999" 2>err &&
	grep -q "malformed modifier .cmask=999." err &&
	test_exit_code 1 perflab events --pmu snb --encode "RESOURCE_STALLS.ANY,bogus" >out 2>err &&
	grep -qx "config   0x1a2" out && grep -q "event .bogus." err &&
	test_exit_code 129 perflab events --encode "" 2>err &&
	test_exit_code 129 perflab events a b 2>err
'

test_expect_success 'stat: bad command lines exit 129 and name the culprit' '
	test_exit_code 129 perflab stat -e NO_SUCH_EVENT -- true 2>err &&
	grep -q "NO_SUCH_EVENT" err &&
	test_exit_code 129 perflab stat -e "task-clock,,page-faults" -- true 2>err &&
	grep -q "empty element" err &&
	test_exit_code 129 perflab stat -e "$(printf "task-clock\001")" -- true 2>err &&
	grep -q "invalid character 0x01" err &&
	test_exit_code 129 perflab stat -C 1-0 -n 1 2>err &&
	grep -q "invalid CPU list" err &&
	test_exit_code 129 perflab stat -C 4095 -n 1 2>err &&
	grep -q "CPU 4095 is not online" err &&
	test_exit_code 129 perflab stat --per-core --per-package -n 1 2>err &&
	grep -q "exclude each other" err &&
	test_exit_code 127 perflab stat -e task-clock -- /nonexistent/cmd 2>err
'

test_expect_success PERF 'stat agrees with perf stat on a deterministic command (acceptance)' '
	for i in 1 2 3; do
		perflab stat -e task-clock,context-switches,page-faults -J -o pl.$i -- perl busy.pl &&
		perf stat -x, -e task-clock,context-switches,page-faults -o pf.$i -- perl busy.pl ||
		return 1
	done &&
	python3 - <<-\PY
	import json, statistics
	ours = {"task-clock": [], "page-faults": [], "context-switches": []}
	theirs = {"task-clock": [], "page-faults": [], "context-switches": []}
	for i in (1, 2, 3):
	    total = [json.loads(l) for l in open("pl.%d" % i)][-1]
	    assert total["type"] == "total", total
	    for k, v in total["groups"][0]["counts"].items():
	        ours[k].append(v)
	    for line in open("pf.%d" % i):
	        f = line.strip().split(",")
	        if len(f) > 2 and f[2] in theirs:
	            # perf prints task-clock in msec, perflab in ns
	            theirs[f[2]].append(float(f[0]) * (1e6 if f[2] == "task-clock" else 1))
	for k in ("task-clock", "page-faults"):
	    a, b = statistics.median(ours[k]), statistics.median(theirs[k])
	    print(k, a, b, a / b)
	    assert abs(a / b - 1) < 0.02, (k, ours[k], theirs[k])
	# sanity: the loop ran 0.5 s and touched 8 MiB (2048 pages)
	assert statistics.median(ours["task-clock"]) >= 0.5e9
	assert statistics.median(ours["page-faults"]) >= 2048
	# context switches depend on the load: present, not compared
	assert all(v >= 0 for v in ours["context-switches"])
	PY
'

test_expect_success 'stat: hardware events print - and null, never 0; said once; exit 0' '
	perflab stat -e cycles,instructions,task-clock,page-faults -- perl busy.pl >out 2>err &&
	perflab stat -J -o j.json -e cycles,instructions,task-clock -- true 2>jerr &&
	if has_pmu; then
		! grep -q "not supported" err &&
		json j.json "lines[-1][\"groups\"][0][\"counts\"][\"cycles\"] > 0"
	else
		grep -q "^ *<not supported> *cycles$" err &&
		grep -q "^ *<not supported> *instructions$" err &&
		! grep -q "insn per cycle" err &&
		! grep -q "^ *0 *cycles" err &&
		test $(grep -c "^note: no hardware PMU" err) = 1 &&
		grep -q "msec task-clock" err &&
		json j.json "lines[0][\"type\"] == \"info\" and lines[0][\"unavailable\"]" &&
		json j.json "lines[-1][\"groups\"][0][\"counts\"][\"cycles\"] is None" &&
		json j.json "lines[-1][\"groups\"][0][\"derived\"][\"ipc\"] is None" &&
		json j.json "lines[-1][\"groups\"][0][\"counts\"][\"task-clock\"] > 0"
	fi
'

test_expect_success 'stat: the command exit code, and its children are counted' '
	test_exit_code 3 perflab stat -e task-clock -J -o c.json -- sh -c "perl busy.pl; exit 3" &&
	json c.json "lines[-1][\"groups\"][0][\"counts\"][\"task-clock\"] >= 0.5e9" &&
	json c.json "lines[-1][\"groups\"][0][\"derived\"][\"cpus_utilized\"] > 0"
'

test_expect_success 'stat -w with a command: intervals, then the total' '
	perflab stat -e task-clock -w 0.2 -J -o w.json -- perl busy.pl &&
	json w.json "[l[\"type\"] for l in lines][0] == \"info\"" &&
	json w.json "lines[-1][\"type\"] == \"total\" and len(lines) >= 3" &&
	json w.json "all(l[\"type\"] == \"interval\" for l in lines[1:-1])" &&
	python3 - <<-\PY
	import json
	lines = [json.loads(l) for l in open("w.json")]
	parts = sum(l["groups"][0]["counts"]["task-clock"] for l in lines[1:-1])
	total = lines[-1]["groups"][0]["counts"]["task-clock"]
	# the intervals add up to at most the total (the tail after the last tick is missing)
	assert parts <= total * 1.0001 and parts > 0, (parts, total)
	PY
'

test_expect_success ROOT 'stat system-wide: per CPU, per core, per package' '
	n=$(nproc) &&
	perflab stat -e task-clock,context-switches -w 0.2 -n 2 -A -J -o cpu.json &&
	json cpu.json "[l[\"type\"] for l in lines] == [\"info\", \"interval\", \"interval\"]" &&
	json cpu.json "[g[\"group\"] for g in lines[1][\"groups\"]] == [\"cpu%d\" % i for i in range($n)]" &&
	json cpu.json "all(g[\"counts\"][\"task-clock\"] > 0 for g in lines[2][\"groups\"])" &&
	perflab stat -e task-clock -w 0.2 -n 1 --per-package -J -o pkg.json &&
	json pkg.json "sorted(sum((g[\"cpus\"] for g in lines[1][\"groups\"]), [])) == list(range($n))" &&
	json pkg.json "lines[1][\"groups\"][0][\"group\"] == \"package0\"" &&
	perflab stat -e task-clock -w 0.2 -n 1 --per-core -C 0 -J -o core.json &&
	json core.json "[g[\"cpus\"] for g in lines[1][\"groups\"]] == [[0]]" &&
	perflab stat -e task-clock,page-faults -w 0.2 -n 1 --per-core >table &&
	grep -q "^#  *time_s group  *task-clock:ms  *page-faults  *cpus_utilized$" table &&
	grep -q "^ *0\.[0-9]* core0  " table &&
	perflab stat -e task-clock,page-faults -I 200 -n 1 --per-socket >perf &&
	grep -q "^#  *time  *package  *cpus  *counts unit events$" perf &&
	grep -q "^ *0\.[0-9]* S0  *$n  *[0-9.]* msec task-clock  *# *[0-9.]* CPUs utilized" perf
'

# The fields a script reads from perf stat -x, lines: event, unit, how
# many fields, and which are numbers; the metric unit of task-clock.
cat >fields.awk <<'AWK'
BEGIN { FS = "," }
NF >= 7 && $3 != "" {
	num1 = ($1 ~ /^[0-9][0-9.]*$/ || $1 ~ /^<not (supported|counted)>$/)
	printf "%s unit=%s nf=%d value=%d run=%d pct=%d metric=%s\n", $3, $2, NF, num1,
		($4 ~ /^[0-9]+$/), ($5 ~ /^[0-9]+[.][0-9][0-9]$/), ($3 == "task-clock" ? $7 : "-")
}
AWK

test_expect_success PERF 'stat -x, reads with the same awk line as perf stat -x, (acceptance)' '
	perflab stat -x, -e task-clock,context-switches -- true 2>ours &&
	perf stat -x, -e task-clock,context-switches -- true 2>theirs &&
	awk -f fields.awk ours >a && awk -f fields.awk theirs >b &&
	test_cmp b a && test $(wc -l <a) = 2 &&
	grep -q "^task-clock unit=msec nf=7 value=1 run=1 pct=1 metric=CPUs utilized$" a &&
	perflab stat -x";" -e task-clock -- true 2>semi &&
	grep -q "^[0-9.]*;msec;task-clock;[0-9]*;100.00;[0-9.]*;CPUs utilized$" semi &&
	if ! has_pmu; then
		perflab stat -x, -e cycles -- true 2>ours &&
		perf stat -x, -e cycles -- true 2>theirs &&
		grep -x "<not supported>,,cycles,0,100.00,," ours &&
		grep -x "<not supported>,,cycles,0,100.00,," theirs
	fi
'

test_expect_success PERF 'stat -x, -I and system-wide prefixes as perf prints them' '
	perflab stat -x, -I 100 -e task-clock,context-switches -- sleep 0.35 2>ours &&
	perf stat -x, -I 100 -e task-clock,context-switches -- sleep 0.35 2>theirs &&
	awk -F, "NF >= 8 { print NF, \$4 }" ours | sort -u >a &&
	awk -F, "NF >= 8 { print NF, \$4 }" theirs | sort -u >b &&
	test_cmp b a &&
	test $(grep -c task-clock ours) -ge 3 &&
	grep -q "^[0-9.]*,<not counted>,msec,task-clock,0,100.00,,$" ours
'

test_expect_success ROOT,PERF 'stat -a --per-core -x, prefixes each line with the core and its CPUs' '
	perflab stat -a --per-core -x, -e task-clock -- sleep 0.1 2>ours &&
	perf stat -a --per-core -x, -e task-clock -- sleep 0.1 2>theirs &&
	awk -F, "/task-clock/ { print NF, (\$1 ~ /^S[0-9]+-D[0-9]+-C[0-9]+\$/), \$2 }" ours >a &&
	awk -F, "/task-clock/ { print NF, (\$1 ~ /^S[0-9]+-D[0-9]+-C[0-9]+\$/), \$2 }" theirs >b &&
	test_cmp b a
'

test_expect_success 'stat: perf layout with # metrics, the times at the end; the wide table' '
	perflab stat -e task-clock,context-switches,page-faults -- perl busy.pl 2>out &&
	grep -q "^ *[0-9.]* msec task-clock  *#  *[0-9.]* CPUs utilized$" out &&
	grep -q "^ *[0-9,]*      page-faults  *#  *[0-9.]* [KM]*/sec$" out &&
	grep -q "^ *[0-9.]* seconds time elapsed$" out &&
	user=$(sed -n "s/^ *\([0-9.]*\) seconds user$/\1/p" out) &&
	sys=$(sed -n "s/^ *\([0-9.]*\) seconds sys$/\1/p" out) &&
	# the script spins on a system call: its half second splits between the two
	awk -v u="$user" -v s="$sys" "BEGIN { exit !(u + s >= 0.4 && u + s < 2) }" &&
	perflab stat -e task-clock,page-faults -w 0.2 -- perl busy.pl 2>wide &&
	head -1 wide | grep -q "^#  *time_s  *task-clock:ms  *page-faults  *cpus_utilized$" &&
	test $(grep -c "^ *[0-9]" wide) -ge 3 &&
	# every row an interval: none holds the whole run
	awk "/^ *[0-9]/ { if (\$2 > 300) bad = 1 } END { exit bad }" wide &&
	test_exit_code 129 perflab stat -I 100 -w 1 -- true 2>err &&
	grep -q "exclude each other" err
'

test_expect_success ROOT 'the pmc collector: per-CPU counts, totals, derived metrics' '
	perflab collect --collectors pmc --interval 0.2 --duration 0.7 -o col 2>err &&
	f=col/pmc.ndjson &&
	json $f "lines[0][\"type\"] == \"info\" and len(lines[0][\"topology\"]) == $(nproc)" &&
	json $f "len(lines) >= 3 and all(l[\"type\"] == \"sample\" for l in lines[1:])" &&
	json $f "all(len(l[\"cpus\"]) == $(nproc) for l in lines[1:])" &&
	json $f "lines[-1][\"totals\"][\"counts\"][\"task-clock\"] > 0" &&
	json $f "\"ipc\" in lines[-1][\"totals\"][\"derived\"]" &&
	if has_pmu; then
		json $f "lines[-1][\"roles\"][\"cycles\"] > 0"
	else
		json $f "lines[-1][\"roles\"][\"cycles\"] is None and lines[0][\"unavailable\"]" &&
		test $(grep -c "no hardware PMU" err) = 1
	fi
'

test_expect_success 'help lists the commands' '
	perflab help >out &&
	grep -q "^   stat " out && grep -q "^   events " out &&
	perflab help stat | grep -q "per-package" &&
	perflab help events | grep -q -- "--encode"
'

test_done
