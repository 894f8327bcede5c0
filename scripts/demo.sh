#!/bin/sh
# make demo: the whole story on this machine, as root.
#
#  1. a lab of network namespaces: three DUTs and three clients, each with
#     a real sshd, joined by veth pairs through a bridge;
#  2. a sample project: a small HTTP server in C with a few hundred commits
#     and merges, one commit that does not build, and one that makes the
#     server hash every byte it sends (CPU per Gbit/s up by tens of percent);
#  3. three nights of `perflab nightly`: a baseline, a good night, and a
#     night that catches the regression and bisects it at once on the
#     three DUTs side by side;
#  4. the report, as HTML with plots and as text;
#  5. the planted commit beside the one perflab found by measurement.
#
# The generator writes the planted commit's id to a file that nothing
# perflab runs reads; the demo compares the two at the end and fails if
# they differ. The lab is torn down however the demo ends.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
demo=$top/demo
lab=plabdemo
started=$(date +%s)

say() { printf '\n== %s\n' "$*"; }
elapsed() { echo "$(( $(date +%s) - started ))s"; }

cleanup() {
	cd "$demo" 2>/dev/null && "$top/perflab" lab down --name $lab >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

rm -rf "$demo"
mkdir -p "$demo"
cd "$demo"
export PATH="$top:$PATH"

say "a short local run first: bulk TCP over loopback, cubic and bbr side by side"
perflab run --workload bulk --connections 4 --cc cubic,bbr --duration 3 --warmup 1 \
	--results local >/dev/null
python3 - local/*/summary.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for name, s in sorted(d["stacks"].items()):
    print("  %-6s %6.2f Gbit/s  retransmits %d" % (name, s["goodput_bps"] / 1e9, s["tcp"]["retrans"]))
print("  CPU %.1f%%, effective MHz %s (null: this host does not expose it)" % (
    d["cpu_util_pct"], d.get("freq_mhz")))
PY

say "the lab: 3 DUTs and 3 clients in network namespaces, a real sshd in each"
perflab lab up --name $lab --duts 3 --clients 3
# nightly measures on one DUT and one client; the bisection uses all three
python3 - lab.hosts night.hosts <<'PY'
import re, sys
text = open(sys.argv[1]).read()
parts = re.split(r"(?m)^(?=\[host )", text)
keep = [p for p in parts if not p.startswith("[host ") or
        re.match(r"\[host (\S*dut1|\S*client1)\]", p)]
open(sys.argv[2], "w").write("".join(keep))
PY

say "the sample project: a small C server, 300 commits with merges"
python3 "$top/scripts/sample-history.py" project --commits 300 \
	--planted "$demo/.planted-by-the-generator" >tips
night1=$(sed -n 's/^night1 //p' tips)
night2=$(sed -n 's/^night2 //p' tips)
night3=$(sed -n 's/^night3 //p' tips)
git -C project log --oneline --graph | head -12
echo "  ... $(git -C project rev-list --count HEAD) commits, $(git -C project rev-list --count --merges HEAD) merges"
git -C project branch nightly "$night1"

cat >demo.job <<EOF
# The demo's job: build the server at a commit, install it on the DUT,
# fetch 1 MiB bodies over HTTP at 1 Gbit/s and judge CPU per Gbit/s.
[source]
repo = $demo/project
branch = nightly
build = make server
artifact = server
workdir = $demo/builds

[workload]
workload = chunk
url = http://{dut}:{port}/bytes/1048576
rate = 1G
connections = 2
duration = 1s
warmup = 0.5s

[deploy]
install = sh -c "cp \\"\\\$1\\" \\"\\\$2/server.new\\" && mv \\"\\\$2/server.new\\" \\"\\\$2/server\\"" install {image} {workdir}
reboot = sh -c "cd \\"\\\$1\\" && { [ -f svc.pid ] && kill \\\$(cat svc.pid) 2>/dev/null; sleep 0.2; }; setsid ./server 8080 >svc.log 2>&1 </dev/null & echo \\\$! >svc.pid" reboot {workdir}
ready = bash -c "exec 3<>/dev/tcp/127.0.0.1/8080"
kind = service
server = image
port = 8080

[thresholds]
cpu_per_gbit = +20%
goodput = -10%
EOF
perflab config check demo.job

status=0
for n in 1 2 3; do
	eval tip=\$night$n
	git -C project branch -f nightly "$tip"
	say "night $n: the tip of 'nightly' is $(git -C project log -1 --format='%h %s' "$tip") ($(elapsed))"
	set -- --job demo.job --hosts night.hosts --date "2030-01-0$n" --looks 5,10,20
	[ $n = 3 ] && set -- "$@" --bisect-hosts lab.hosts
	perflab nightly "$@" || status=$?
done

say "the report ($(elapsed))"
bdir=$(ls -d results/bisect/2* | tail -1)
perflab report "$bdir" --html "$demo/report.html" >/dev/null
perflab report --nightly results --job demo.job --html "$demo/nights.html" >/dev/null
perflab report "$bdir" --text | sed -n "1,/^The log, step by step/p" | head -12

found=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print((d.get("culprit") or {}).get("commit",""))' "$bdir/result.json")
planted=$(cat "$demo/.planted-by-the-generator")
say "the answer ($(elapsed))"
echo "planted: $planted"
echo "found:   $found"
echo
echo "the bisection's report: $demo/report.html"
echo "the nights' report:     $demo/nights.html"
echo "results:                $demo/results/ (runs, .history.sqlite, bisect/)"
if [ "$found" != "$planted" ]; then
	echo "demo: perflab named another commit than the one planted" >&2
	exit 1
fi
