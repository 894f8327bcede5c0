#!/bin/sh
# make demo: the story perflab can tell today, on this machine alone.
# Real traffic over loopback, collectors beside it, results on disk.
set -eu
cd "$(dirname "$0")/.."
out=demo/results
mkdir -p "$out"

say() { printf '\n== %s\n' "$*"; }

say "bulk streams: 8 connections, 3 runs of 5 s (after 2 s warmup)"
./perflab run --workload bulk --connections 8 --duration 5 --repeat 3 \
	--label "this kernel" --results "$out"

say "A/B stacks: the same host, connections split between cubic and bbr"
./perflab run --workload bulk --connections 4 --cc cubic,bbr --duration 5 --results "$out"
ab=$(ls -t "$out" | head -1)
python3 - "$out/$ab/summary.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for name, s in sorted(d["stacks"].items()):
    print("  %-6s %6.2f Gbit/s  retransmits %d  rtt %.0f us" % (
        name, s["goodput_bps"] / 1e9, s["tcp"]["retrans"], s["tcp"]["rtt_us"] or 0))
PY

say "connection rate: connect, request, response, close"
./perflab run --workload crr --connections 8 --duration 5 --results "$out"

say "a 10 MB transfer with a 64 KB receive buffer (the shape of a receive-window regression)"
./perflab run --workload xfer --rcvbuf 64K --count 20 --duration 30 --warmup 0 --results "$out"

printf '\nresults are in %s/ (one directory per run: run.json, summary.json,\n' "$out"
printf 'client/server/collector JSON lines and logs)\n'
