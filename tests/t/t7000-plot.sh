#!/bin/sh
test_description='perflab plot: every kind from real runs, PNG and SVG through gnuplot'
. "$(dirname "$0")/test-lib.sh"

# png FILE: a valid PNG of a readable size (width, height from IHDR).
png_ok() {
	python3 - "$1" <<-\PY
	import struct, sys
	d = open(sys.argv[1], "rb").read()
	assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
	assert d[12:16] == b"IHDR", "no IHDR"
	w, h = struct.unpack(">II", d[16:24])
	assert 800 <= w <= 2000 and 400 <= h <= 1500, (w, h)
	assert len(d) > 10000, len(d)
	PY
}

run() {
	perflab -q run --duration 2 --warmup 1 --results "$1" --label "$2" --rate "$3" "$@" >/dev/null
}

test_expect_success GNUPLOT 'real runs: two paced sides, three repeats each' '
	perflab -q run --repeat 3 --duration 1 --warmup 0.5 --rate 400M --label "v6.1 <base> & co" \
		--results a >/dev/null &&
	perflab -q run --repeat 3 --duration 1 --warmup 0.5 --rate 300M --label v6.2-merge \
		--results b >/dev/null &&
	test $(ls a | grep -c bulk) = 3 && test $(ls b | grep -c bulk) = 3
'

test_expect_success GNUPLOT 'timeseries of two runs overlaid, PNG and SVG' '
	perflab plot timeseries $(ls -d a/*-bulk-* | head -1) $(ls -d b/*-bulk-* | head -1) \
		--out ts >out &&
	png_ok ts/timeseries.png &&
	grep -q "<svg" ts/timeseries.svg &&
	grep -q "v6.1 &lt;base> &amp; co vs v6.2-merge" ts/timeseries.svg &&
	grep -q "goodput (Gbit/s)" ts/timeseries.svg &&
	grep -q "CPU busy (% of all CPUs)" ts/timeseries.svg &&
	grep -q "warmup" ts/timeseries.svg &&
	test -s ts/timeseries-1-goodput.dat && test -s ts/timeseries.gp
'

test_expect_success GNUPLOT 'an unmeasured frequency is a note, not a line at 0' '
	if grep -q "\"mhz\":null" $(ls -d a/*-bulk-* | head -1)/freq.ndjson; then
		grep -q "effective MHz: not measured" ts/timeseries.svg &&
		! grep -q "effective frequency (MHz)" ts/timeseries.svg &&
		! grep -q "^[0-9.]* 0$" ts/timeseries-1-mhz.dat
	fi
'

test_expect_success GNUPLOT 'a measured frequency gets its own panel' '
	cp -r "$(ls -d a/*-bulk-* | head -1)" mhz &&
	python3 - mhz/freq.ndjson <<-\PY &&
	import json, sys
	out = []
	for l in open(sys.argv[1]):
	    d = json.loads(l)
	    if d.get("type") == "sample":
	        d["mhz"] = 2100.0
	    out.append(json.dumps(d))
	open(sys.argv[1], "w").write("\n".join(out) + "\n")
	PY
	perflab plot timeseries mhz --out mz >out &&
	grep -q "effective frequency (MHz)" mz/timeseries.svg &&
	grep -q " 2100$" mz/timeseries-1-mhz.dat
'

test_expect_success GNUPLOT 'box plot of a metric across two sets, every run a dot' '
	perflab plot box --metric goodput a b --out bx --format both >out &&
	png_ok bx/box-goodput.png &&
	grep -q "goodput across 2 sets" bx/box-goodput.svg &&
	grep -q "goodput (Gbit/s)" bx/box-goodput.svg &&
	test $(grep -c "^[0-9]" bx/box-goodput-1.dat) = 4 &&
	awk "/^[0-9]/ && NF == 2 && (\$2 < 0.38 || \$2 > 0.42) { exit 1 }" bx/box-goodput-1.dat
'

test_expect_success GNUPLOT 'stalls without a PMU say so instead of drawing zeros' '
	perflab plot stalls a b --out st >out &&
	png_ok st/stalls.png &&
	if grep -q "\"stall_frac\": null" $(ls -d a/*-bulk-* | head -1)/summary.json; then
		grep -q "no PMU data" st/stalls.svg &&
		test $(grep -c "^[0-9]" st/stalls.dat) = 0
	fi
'

test_expect_success GNUPLOT 'stalls from summaries holding counter data' '
	cp -r a pa && cp -r b pb &&
	python3 - pa pb <<-\PY &&
	import json, os, sys
	for side, stall, ipc in ((sys.argv[1], 0.31, 1.42), (sys.argv[2], 0.47, 0.96)):
	    for k, r in enumerate(sorted(x for x in os.listdir(side) if "-bulk-" in x)):
	        p = os.path.join(side, r, "summary.json")
	        s = json.load(open(p))
	        s["stall_frac"], s["ipc"], s["pmc_unavailable"] = stall + 0.01 * k, ipc - 0.02 * k, None
	        json.dump(s, open(p, "w"))
	PY
	perflab plot stalls pa pb --out sp >out &&
	png_ok sp/stalls.png &&
	grep -q "not stalled" sp/stalls.svg && grep -q "IPC" sp/stalls.svg &&
	! grep -q "no PMU data" sp/stalls.svg &&
	grep -q "^1 32 68 1.4$" sp/stalls.dat && grep -q "^2 48 52 0.94$" sp/stalls.dat
'

# A trace over the medians of real runs: the good side before, the bad after.
make_trace() {
	python3 - a b "$1" <<-\PY
	import hashlib, json, os, sys
	def vals(side):
	    out = []
	    for r in sorted(x for x in os.listdir(side) if "-bulk-" in x):
	        out.append(json.load(open(os.path.join(side, r, "summary.json")))["goodput_bps"] / 1e9)
	    return out
	g, b = vals(sys.argv[1]), vals(sys.argv[2])
	pts = []
	for i in range(9):
	    verdict = "good" if i < 4 else "skip" if i == 4 else "bad"
	    v = [] if verdict == "skip" else (g if i < 4 else b)
	    if i == 6:
	        verdict, v = "inconclusive", [g[0], b[0]]
	    pts.append({"order": i, "commit": hashlib.sha1(str(i).encode()).hexdigest(),
	                "subject": "net: tcp <%d> & \"x\" it's" % i, "verdict": verdict, "values": v})
	t = {"metric": "goodput", "unit": "Gbit/s", "label": "goodput", "points": pts,
	     "culprit": pts[5]["commit"]}
	json.dump(t, open(sys.argv[3], "w"), indent=1)
	PY
}

test_expect_success GNUPLOT 'bisection trace: verdicts marked, the culprit named' '
	make_trace trace.json &&
	perflab plot trace trace.json --out tr >out &&
	png_ok tr/trace.png &&
	grep -q "culprit ac3478d69a net: tcp &lt;5> &amp; \"x\" it.s" tr/trace.svg &&
	grep -q ">ac3478d<" tr/trace.svg &&
	for v in good bad inconclusive skip; do grep -q ">$v<" tr/trace.svg || exit 1; done &&
	grep -q "goodput (Gbit/s)" tr/trace.svg
'

test_expect_success 'broken traces name the file and the value' '
	printf "{\"metric\":\"x\",\"points\":[{\"order\":0,\"commit\":\"abcd\",\"verdict\":\"maybe\"}]}" >bad1.json &&
	test_must_fail perflab plot trace bad1.json --out z 2>err &&
	grep -q "bad1.json.: points\[0\].verdict is \"maybe\": expected good, bad, skip or inconclusive" err &&
	printf "{\"metric\":\"x\",\"points\":[{\"order\":0,\"commit\":\"xyz!\",\"verdict\":\"good\"}]}" >bad2.json &&
	test_must_fail perflab plot trace bad2.json --out z 2>err &&
	grep -q "points\[0\].commit is \"xyz!\"" err &&
	printf "{\"metric\":\"x\",\"pionts\":[]}" >bad3.json &&
	test_must_fail perflab plot trace bad3.json --out z 2>err &&
	grep -q "unknown member .pionts." err &&
	printf "{\"metric\":\"x\",\"points\":[{\"order\":0,\"commit\":\"abcd\",\"verdict\":\"good\",\"values\":[1,\"2\"]}]}" >bad4.json &&
	test_must_fail perflab plot trace bad4.json --out z 2>err &&
	grep -q "points\[0\].values\[1\] is \"2\"" err &&
	printf "{\"metric\":" >bad5.json &&
	test_must_fail perflab plot trace bad5.json --out z 2>err &&
	grep -q "bad5.json" err
'

test_expect_success 'usage errors' '
	test_exit_code 129 perflab plot nonsense x --out z &&
	test_exit_code 129 perflab plot box a &&
	test_exit_code 129 perflab plot trace --out z &&
	test_exit_code 1 perflab plot box --metric nosuch a --out z
'

test_expect_success GNUPLOT 'the script re-plots by hand, gnuplot alone' '
	rm tr/trace.png tr/trace.svg &&
	(cd tr && gnuplot trace.gp) &&
	png_ok tr/trace.png && grep -q "<svg" tr/trace.svg
'

test_done
