#!/usr/bin/env python3
"""make bench, the fingerprint part: what taking a host fingerprint costs a run.

`perflab run` takes one fingerprint per run; this times `perflab fingerprint
--json` on this machine (a whole process: start, read /proc and /sys, NIC
ioctls, hash, print) next to `uname -a`, the cheapest way to ask a host what
it is, as the peer. `perflab version` is the start-up of the perflab binary
alone, so fingerprint minus version is the fingerprint itself. Medians of 20
interleaved runs; nothing here is a pass/fail test.
"""
import os
import statistics
import subprocess
import sys
import time

PERFLAB = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "perflab"))
RUNS = int(os.environ.get("BENCH_FP_RUNS", "20"))

CASES = [
    ("perflab fingerprint", [PERFLAB, "-q", "fingerprint", "--json"]),
    ("uname -a (peer)", ["uname", "-a"]),
    ("perflab version", [PERFLAB, "-q", "version"]),
]


def once(argv):
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main():
    times = {name: [] for name, _ in CASES}
    for _ in range(RUNS):	# interleaved, so drifts of a noisy VM hit all alike
        for name, argv in CASES:
            times[name].append(once(argv))
    med = {name: statistics.median(v) for name, v in times.items()}
    size = len(subprocess.run(CASES[0][1], capture_output=True, check=True).stdout)
    print("fingerprint: median of %d runs, wall ms (fingerprint is %d bytes of JSON)"
          % (RUNS, size))
    for name, _ in CASES:
        print("  %-22s %8.2f ms   min %.2f  max %.2f" %
              (name, med[name] * 1e3, min(times[name]) * 1e3, max(times[name]) * 1e3))
    fp, peer, start = med["perflab fingerprint"], med["uname -a (peer)"], med["perflab version"]
    print("  ratio fingerprint / uname -a        %.2f" % (fp / peer))
    print("  fingerprint alone (minus start-up)  %.2f ms per run" % ((fp - start) * 1e3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
