#!/usr/bin/env python3
"""make bench, the collectors: do they move the workload?

Bulk goodput over loopback with every collector sampling at 1 s against
none, 5 alternating pairs of 5 s runs; the median ratio (target >= 0.99)
and the collectors' own CPU time as a share of one core (target < 1%).
"""
import json
import os
import statistics
import subprocess
import tempfile

PERFLAB = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "perflab"))
PAIRS = int(os.environ.get("BENCH_RUNS", "5"))
SECS = os.environ.get("BENCH_SECS", "5")


def run(collectors, results):
    subprocess.run([PERFLAB, "-q", "run", "--connections", "4", "--duration", SECS,
                    "--warmup", "1", "--collectors", collectors, "--results", results],
                   check=True, stdout=subprocess.DEVNULL)
    d = os.path.join(results, sorted(os.listdir(results))[-1])
    summ = json.load(open(os.path.join(d, "summary.json")))
    meta = json.load(open(os.path.join(d, "run.json")))
    return summ["goodput_bps"], meta["process_cpu_s"]["collect"], meta


def main():
    tmp = tempfile.mkdtemp(prefix="perflab-bench-collect-")
    ratios, shares = [], []
    for i in range(PAIRS):
        order = ["all", "none"] if i % 2 == 0 else ["none", "all"]
        got = {}
        for which in order:
            got[which] = run(which, os.path.join(tmp, which))
        ratios.append(got["all"][0] / got["none"][0])
        meta = got["all"][2]
        wall = float(SECS) + 1 + 1  # warmup, measure, and about a second of set-up
        shares.append(got["all"][1] / wall * 100)
    print("collector overhead: %d alternating pairs of %s s bulk runs, all collectors "
          "(%s) vs none" % (PAIRS, SECS, "cpu,freq,net,pmc"))
    print("  goodput ratio all/none: median %.3f (min %.3f, max %.3f), target >= 0.99"
          % (statistics.median(ratios), min(ratios), max(ratios)))
    print("  the collectors' own CPU: median %.2f%% of one core (target < 1%%)"
          % statistics.median(shares))
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
