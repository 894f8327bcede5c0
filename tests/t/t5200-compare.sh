#!/bin/sh
# perflab-test: measures (runs alone: it judges CPU or goodput on a lab)
test_description='perflab compare: honest verdicts on real and edited runs'
. "$(dirname "$0")/test-lib.sh"

# Five paced chunk runs at RATE into DIR: the goodput is the rate asked.
runs() {
	perflab -q run --repeat 5 --duration 1 --warmup 0.5 --workload chunk --size 256K \
		--connections 2 --rate "$2" --results "$1" >/dev/null
}

# A/A sides are run alternately (ABAB...), as a careful lab would, so a
# drift of the machine over time falls on both sides alike.
test_expect_success 'two sets of real runs, the same, and one paced 20% lower' '
	for i in 1 2 3 4 5; do
		perflab -q run --duration 1 --warmup 0.5 --workload chunk --size 256K \
			--connections 2 --rate 400M --results a1 >/dev/null &&
		perflab -q run --duration 1 --warmup 0.5 --workload chunk --size 256K \
			--connections 2 --rate 400M --results a2 >/dev/null || exit 1
	done &&
	runs cut 320M &&
	test $(ls a1 | wc -l) = 5 && test $(ls a2 | wc -l) = 5
'

# What the workload delivers is gated here: machine-wide CPU on a shared
# machine also counts its other tenants, so an A/A test of it would test
# the neighbours (the CPU gates are exercised on the edited runs below).
test_expect_success 'A/A of the same setup is not BAD' '
	{ test_exit_code 0 perflab compare --threshold goodput=-3% --threshold tps=-5% a1 a2 >out ||
	  test_exit_code 2 perflab compare --threshold goodput=-3% --threshold tps=-5% a1 a2 >out; } &&
	! grep -q "^BAD" out
'

test_expect_success 'a real 20% goodput cut is BAD, with its interval' '
	{ test_exit_code 1 perflab compare a1 cut >out || { cat out; false; }; } &&
	grep -q "^BAD: goodput -[12][0-9].[0-9]% \[" out &&
	grep -q "^  goodput .* BAD$" out
'

test_expect_success 'the JSON says the same' '
	test_exit_code 1 perflab compare --json a1 cut >out.json &&
	json out.json "d[\"outcome\"] == \"BAD\" and len(d[\"a\"][\"runs\"]) == 5" &&
	json out.json "[m for m in d[\"metrics\"] if m[\"name\"] == \"goodput\"][0][\"verdict\"][\"outcome\"] == \"BAD\"" &&
	json out.json "0.75 < [m for m in d[\"metrics\"] if m[\"name\"] == \"goodput\"][0][\"ratio\"] < 0.85"
'

# Edited copies of real runs: CPU +21% at equal goodput, a lower clock,
# and the frequency driver changed -- the story of the seed talk.
test_expect_success 'a CPU regression explained by the clock and the frequency driver' '
	cp -r a1 base && cp -r a1 merged &&
	python3 - base merged <<-\PY &&
	import json, os, sys
	# the field story: CPU in the low 40s, then 21% higher at equal
	# goodput, the clock 18% lower, another frequency driver
	noise = [0.0, 0.3, -0.2, 0.1, -0.3]
	for side, cpu, mhz, drv in ((sys.argv[1], 43.0, 2000.0, "intel_pstate"),
				    (sys.argv[2], 43.0 * 1.21, 1640.0, "acpi-cpufreq")):
	    for k, run in enumerate(sorted(r for r in os.listdir(side) if not r.startswith("."))):
	        d = os.path.join(side, run)
	        s = json.load(open(d + "/summary.json"))
	        s["goodput_bps"] = 9.2e10 * (1 + noise[k] / 1000)
	        s["cpu_util_pct"] = cpu * (1 + noise[k] / 100)
	        s["cpu_pct_per_gbps"] = s["cpu_util_pct"] / 92
	        s["freq_mhz"] = mhz * (1 + noise[k] / 200)
	        json.dump(s, open(d + "/summary.json", "w"))
	        f = json.load(open(d + "/fingerprint.json"))
	        f["cpufreq"]["driver"] = drv
	        json.dump(f, open(d + "/fingerprint.json", "w"))
	PY
	test_exit_code 1 perflab compare base merged >out &&
	grep -q "^BAD: cpu +21.0% \[+20.[0-9]%, +21.[0-9]%\]" out &&
	grep -q "at equal goodput; effective frequency -18.0%; the frequency driver changed$" out &&
	grep -q "^what moved with it:" out &&
	grep -q "the CPU frequency driver changed: intel_pstate -> acpi-cpufreq" out
'

test_expect_success 'thresholds from the command line and from a job' '
	test_exit_code 0 perflab compare --threshold goodput=-50% a1 cut >out &&
	grep -q "^GOOD: no regression past the thresholds: goodput -" out &&
	! grep -q "^BAD" out &&
	printf "[thresholds]\ntps = -10%%\n" >job &&
	test_exit_code 1 perflab compare --job job a1 cut >out &&
	grep -q "^  transactions .* BAD$" out && ! grep -q "^  goodput .* BAD$" out
'

test_expect_success 'bad thresholds and bad sides are named' '
	test_exit_code 129 perflab compare --threshold cpu=-5% a1 cut 2>err &&
	grep -q "points the good way" err &&
	test_exit_code 129 perflab compare --threshold speed=+5% a1 cut 2>err &&
	grep -q "unknown metric .speed." err &&
	printf "[thresholds]\ngoodput = +3%%\n" >badjob &&
	test_exit_code 129 perflab config check badjob 2>err &&
	grep -q "badjob:2:" err &&
	mkdir empty &&
	test_exit_code 128 perflab compare a1 empty 2>err &&
	grep -q "empty. holds no complete run" err &&
	test_exit_code 129 perflab compare a1
'

test_done
