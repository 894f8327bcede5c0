#!/bin/sh
test_description='perflab report: HTML (checked in headless Chromium) and text, from real runs'
. "$(dirname "$0")/test-lib.sh"

# Chromium renders the page; it is optional: installed here when apt can,
# else the rendering checks are skipped (the HTML checks still run).
have_chromium() {
	command -v chromium >/dev/null 2>&1 && return 0
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
	say "# installing chromium for the rendering test" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium \
		>/dev/null 2>&1 ||
	{ apt-get update -q >/dev/null 2>&1 &&
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium \
		>/dev/null 2>&1; }
	command -v chromium >/dev/null 2>&1
}
if have_chromium; then CHROMIUM=yes; else CHROMIUM=; say "# chromium not available: rendering checks skipped"; fi

# dom FILE: the DOM Chromium builds from the page, with the network blocked.
dom() {
	timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--host-resolver-rules="MAP * ~NOTFOUND" --proxy-server="127.0.0.1:9" \
		--user-data-dir="$TRASH/chromium" --dump-dom "file://$(pwd)/$1" 2>/dev/null
}

# A page fetches nothing: no src/href/url() to a network, no scripts.
self_contained() {
	! grep -Eiq "(src|href)=\"?(https?:)?//|url\(|<script|<link|<iframe|<img" "$1" &&
	! grep -Eq "https?://" "$1"
}

test_expect_success 'real runs: two sides, two repeats each' '
	perflab -q run --repeat 2 --duration 1 --warmup 0.5 --rate 400M --label "v6.1 <b>&co" \
		--results a >/dev/null &&
	perflab -q run --repeat 2 --duration 1 --warmup 0.5 --rate 300M --label v6.2 \
		--results b >/dev/null &&
	RUN=$(ls -d a/*-bulk-* | head -1) && test -d "$RUN"
'

test_expect_success 'a run directory is read by the one strict reader: damaged files named (#7)' '
	cp -r "$RUN" dmg && head -c 100 "$RUN/run.json" >dmg/run.json &&
	test_must_fail perflab report --text dmg 2>err && cat err &&
	grep -q "^error: .dmg/run.json. is not JSON" err &&
	! grep -q "holds no complete run" err &&
	python3 -c "import json; d=json.load(open(\"$RUN/run.json\")); d[\"status\"]=5; json.dump(d, open(\"dmg/run.json\",\"w\"))" &&
	test_must_fail perflab report --text dmg 2>err &&
	grep -q "dmg/run.json.: .status. is a number, not a string" err &&
	cp "$RUN/run.json" dmg/ && echo "[1,2]" >dmg/summary.json &&
	test_must_fail perflab report --text dmg 2>err &&
	grep -q "dmg/summary.json" err &&
	rm dmg/summary.json &&
	python3 -c "import json; d=json.load(open(\"$RUN/run.json\")); d[\"status\"]=\"failed\"; d[\"failure\"]=\"a workload client failed\"; json.dump(d, open(\"dmg/run.json\",\"w\"))" &&
	test_must_fail perflab report --text dmg 2>err && cat err &&
	grep -q "^error: .dmg. is a failed run (a workload client failed): nothing was measured" err
'

test_expect_success GNUPLOT 'a run: report.html in the run directory, self-contained' '
	perflab report "$RUN" >out &&
	grep -q "^report: $RUN/report.html$" out &&
	grep -q "<svg" "$RUN/report.html" &&
	grep -q "<table>" "$RUN/report.html" &&
	grep -q "v6.1 &lt;b&gt;&amp;co" "$RUN/report.html" &&
	! grep -q "<b>&co" "$RUN/report.html" &&
	self_contained "$RUN/report.html" &&
	test -s "$RUN/report-plots/01-timeseries.png"
'

test_expect_success GNUPLOT 'a comparison: the table, the fingerprints, four plots' '
	perflab report a b --html cmp.html >out &&
	grep -q "^report: cmp.html$" out &&
	test $(grep -c "<svg" cmp.html) = 4 &&
	grep -q "<th>B/A</th>" cmp.html &&
	grep -q "fingerprint diff" cmp.html &&
	grep -q "perflab compare a b" cmp.html &&
	self_contained cmp.html
'

test_expect_success GNUPLOT 'the same comparison as text' '
	perflab report --text a b >cmp.txt &&
	grep -q "^  metric  *A median  *B median  *B/A" cmp.txt &&
	grep -q "^  goodput  *0.4 Gbit/s  *0.3 Gbit/s  *0.7" cmp.txt &&
	grep -q "^plot: cmp.*-plots/01-timeseries.png" cmp.txt ||
	grep -q "^plot: .*01-timeseries.png" cmp.txt
'

# A bisection directory as `perflab bisect run` leaves it: the runs of
# its steps, trace.json and result.json.
make_bisect() {
	mkdir -p bis/runs && cp -r a bis/runs/good && cp -r b bis/runs/bad &&
	python3 - bis <<-\PY
	import hashlib, json, os, sys
	d = sys.argv[1]
	def runs(side):
	    return sorted("runs/%s/%s" % (side, x) for x in os.listdir(os.path.join(d, "runs", side))
	                  if "-bulk-" in x)
	def vals(rs):
	    return [json.load(open(os.path.join(d, r, "summary.json")))["goodput_bps"] / 1e9 for r in rs]
	c = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(8)]
	g, b = runs("good"), runs("bad")
	verdict = ["good", "good", "good", "skip", "good", "bad", "bad", "bad"]
	pts = [{"order": i, "commit": c[i], "subject": "net: <script>alert(%d)</script> & \"q\"" % i,
	        "verdict": v, "values": [] if v == "skip" else vals(g if v == "good" else b)}
	       for i, v in enumerate(verdict)]
	json.dump({"metric": "goodput", "unit": "Gbit/s", "label": "goodput", "points": pts,
	           "culprit": c[5]}, open(os.path.join(d, "trace.json"), "w"))
	steps = [{"round": 1, "commit": c[4], "verdict": "good", "runs": g},
	         {"round": 2, "commit": c[6], "verdict": "bad", "runs": b},
	         {"round": 3, "commit": c[3], "verdict": "skip", "runs": []},
	         {"round": 4, "commit": c[5], "verdict": "bad", "runs": b[:1]}]
	res = {"status": "culprit", "culprit": {"commit": c[5], "subject": pts[5]["subject"]},
	       "range": None, "skipped": [c[3]],
	       "verdict": {"metric": "goodput", "ratio": 0.75, "lo": 0.74, "hi": 0.76, "p": 0.01},
	       "good": c[0], "bad": c[7], "job": "jobs/net.job", "steps": steps,
	       "commands": ["perflab bisect start --job jobs/net.job %s %s" % (c[7], c[0]),
	                    "perflab bisect run"],
	       "compare_good": "runs/good", "compare_bad": "runs/bad"}
	json.dump(res, open(os.path.join(d, "result.json"), "w"), indent=1)
	PY
}

test_expect_success GNUPLOT 'a bisection: culprit, trace, log with links, commands' '
	make_bisect &&
	perflab report bis >out &&
	grep -q "^report: bis/report.html$" out &&
	P=bis/report.html &&
	grep -q "Culprit: ac3478d69a3c net: &lt;script&gt;alert(5)&lt;/script&gt; &amp; &quot;q&quot;" $P &&
	! grep -q "<script" $P &&
	grep -q "<a href=\"runs/good/[0-9TZ]*-bulk-[0-9a-f]*\">" $P &&
	grep -q "perflab bisect start --job jobs/net.job" $P &&
	grep -q "goodput bad/good = 0.750 \[0.740, 0.760\]" $P &&
	test $(grep -c "<svg" $P) -ge 5 &&
	self_contained $P
'

test_expect_success GNUPLOT 'links are relative to where the page is written' '
	mkdir -p elsewhere/deep &&
	perflab report bis --html elsewhere/deep/r.html >out &&
	grep -q "<a href=\"../../bis/runs/good/" elsewhere/deep/r.html
'

test_expect_success GNUPLOT 'the bisection as text' '
	perflab report --text bis >bis.txt &&
	grep -q "^Culprit: ac3478d69a3c net: <script>alert(5)</script>" bis.txt &&
	grep -q "^  4  *ac3478d69a3c .* bad  *runs/good" bis.txt ||
	grep -q "^  4  *ac3478d69a3c .*bad  *runs/bad/" bis.txt &&
	grep -q "^  perflab bisect run$" bis.txt
'

test_expect_success GNUPLOT 'Chromium renders the pages: plots and tables are there' '
	if test -n "$CHROMIUM"; then
		dom bis/report.html >bis.dom &&
		test $(grep -o "<svg" bis.dom | wc -l) -ge 5 &&
		test $(grep -o "<table" bis.dom | wc -l) -ge 2 &&
		grep -q "The log, step by step" bis.dom &&
		grep -q "&lt;script&gt;alert(5)" bis.dom &&
		dom cmp.html >cmp.dom &&
		test $(grep -o "<svg" cmp.dom | wc -l) = 4 &&
		grep -q "<th>95% interval</th>" cmp.dom
	else
		say "skipped: no chromium"
	fi
'

test_expect_success 'a broken result.json names the file and the value' '
	mkdir -p bad1 && cp bis/trace.json bad1/ &&
	sed "s/\"culprit\": {/\"culprit\": 7, \"x\": {/" bis/result.json >bad1/result.json &&
	python3 -c "import json,sys; d=json.load(open(\"bis/result.json\")); d[\"status\"]=\"found\"; json.dump(d, open(\"bad1/result.json\",\"w\"))" &&
	test_must_fail perflab report bad1 2>err &&
	grep -q "bad1/result.json.: status is \"found\": expected culprit, range, not reproduced or inconclusive" err &&
	python3 -c "import json,sys; d=json.load(open(\"bis/result.json\")); d[\"steps\"][1][\"runs\"]=[\"../../etc\"]; json.dump(d, open(\"bad1/result.json\",\"w\"))" &&
	test_must_fail perflab report bad1 2>err &&
	grep -q "steps\[1\].runs\[0\] is \"../../etc\": expected a path relative" err &&
	python3 -c "import json,sys; d=json.load(open(\"bis/result.json\")); d[\"extra\"]=1; json.dump(d, open(\"bad1/result.json\",\"w\"))" &&
	test_must_fail perflab report bad1 2>err &&
	grep -q "unknown member .extra." err
'

test_expect_success 'a broken trace.json beside a good result.json' '
	mkdir -p bad2 && cp bis/result.json bad2/ &&
	printf "{\"metric\":\"goodput\",\"points\":[]}" >bad2/trace.json &&
	test_must_fail perflab report bad2 2>err &&
	grep -q "bad2/trace.json.: points is \[\]: expected a non-empty array" err
'

test_expect_success GNUPLOT 'nightly: the nights and the metric over them' '
	for n in 1 2 3; do
		perflab -q run --repeat 2 --duration 1 --warmup 0.5 --rate $((500 - n * 50))M \
			--label night$n --results n >/dev/null || exit 1
	done &&
	for n in 1 2 3; do
		v=GOOD; test $n = 3 && v=BAD
		sqlite3 n/.history.sqlite "UPDATE runs SET series = '\''night-$n'\'', commit_id = '\''${n}000000000000000000000000000000000000000'\'' WHERE label = '\''night$n'\'';
			INSERT INTO nightly (job, job_name, date, commit_id, verdict, series, range_good, range_bad, recorded_utc)
			VALUES ('\''jobs/net.job'\'', '\''net'\'', '\''2026-01-0$n'\'', '\''${n}000000000000000000000000000000000000000'\'', '\''$v'\'', '\''night-$n'\'',
			'\''2000000000000000000000000000000000000000'\'', '\''3000000000000000000000000000000000000000'\'', '\''2026-01-0${n}T03:00:00Z'\'')" || exit 1
	done &&
	perflab report --nightly n --job net --metric goodput >out &&
	grep -q "^report: n/nightly-net.html$" out &&
	grep -q "3 nights of job net, 2026-01-01 to 2026-01-03; the last was BAD" n/nightly-net.html &&
	grep -q "goodput over 3 nights of net" n/nightly-net.html &&
	test $(grep -c "^[0-9]" n/nightly-net-plots/01-nights-runs.dat) = 6 &&
	self_contained n/nightly-net.html &&
	perflab report --text --nightly n --job net >nt.txt &&
	grep -q "^  2026-01-03  *300000000000  *BAD  *200000000000..300000000000" nt.txt
'

test_expect_success 'usage errors' '
	test_exit_code 129 perflab report &&
	test_exit_code 129 perflab report a b c &&
	test_exit_code 129 perflab report --nightly n &&
	test_exit_code 129 perflab report --html x.html --text a &&
	test_exit_code 1 perflab report nosuchdir
'

test_done
