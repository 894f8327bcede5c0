#!/usr/bin/env python3
"""make bench, the counter part: perflab's counting mode against perf in the same run.

- the cost of one sample of the pmc collector (perflab collect), against
  the cpu collector and against one interval of `perf stat -a -I` on the
  same software events: CPU time per sample, from the slope between a
  short and a long run (start-up costs cancel);
- `perflab stat -- CMD` against `perf stat -- CMD` on the same command:
  wall and CPU time over the bare command, alternating runs, medians.

Nothing here needs a hardware PMU: hardware events fail to open on a
PMU-less host and both tools read the software ones. Medians and ratios
are printed; nothing here is a pass/fail test.
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PERFLAB = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "perflab"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TMP = tempfile.mkdtemp(prefix="perflab-bench-stat-")
SW = "task-clock,context-switches,cpu-migrations,page-faults"
BUSY = ("BEGIN { require Time::HiRes; $t0 = Time::HiRes::clock_gettime(2) } "
        "1 while Time::HiRes::clock_gettime(2) - $t0 < 0.2")


def run(argv):
    """Run argv; return (wall seconds, CPU seconds of it and its children)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("%s failed" % " ".join(argv))
    return wall, ru.ru_utime + ru.ru_stime


def perflab_samples(collector, interval, secs):
    out = os.path.join(TMP, "%s-%d" % (collector, time.monotonic_ns()))
    _, cpu = run([PERFLAB, "-q", "collect", "--collectors", collector, "--interval",
                  str(interval), "--duration", str(secs), "-o", out])
    n = sum(1 for _ in open(os.path.join(out, collector + ".ndjson"))) - 1
    shutil.rmtree(out)
    return n, cpu


def perf_samples(interval, secs):
    ms = int(interval * 1000)
    _, cpu = run(["perf", "stat", "-a", "-A", "-x,", "-I", str(ms), "-e", SW,
                  "-o", "/dev/null", "--", "sleep", str(secs)])
    return round(secs / interval), cpu


def per_sample(fn, interval):
    """CPU seconds per sample: the slope between a 0.5 s and a 3 s run."""
    slopes = []
    for _ in range(RUNS):
        n0, c0 = fn(interval, 0.5)
        n1, c1 = fn(interval, 3.0)
        if n1 > n0:
            slopes.append((c1 - c0) / (n1 - n0))
    return statistics.median(slopes)


def sample_cost():
    iv = 0.01
    print("one sample, system-wide on %d CPUs, every %g s (CPU time per sample, "
          "median of %d slopes)" % (os.cpu_count(), iv, RUNS))
    pmc = per_sample(lambda i, s: perflab_samples("pmc", i, s), iv)
    cpu = per_sample(lambda i, s: perflab_samples("cpu", i, s), iv)
    row = [("perflab pmc collector (default events)", pmc),
           ("perflab cpu collector (/proc/stat)", cpu)]
    if shutil.which("perf"):
        row.append(("perf stat -a -A -I (%s)" % SW, per_sample(perf_samples, iv)))
    for name, v in row:
        print("  %-58s %8.1f us" % (name, v * 1e6))
    print("  ratio pmc sample / cpu sample          %.2fx" % (pmc / cpu))
    if len(row) == 3:
        print("  ratio pmc sample / perf stat interval  %.2fx" % (pmc / row[2][1]))
    print()


def stat_overhead():
    cmds = [("true", ["true"]), ("perl busy 0.2 s", ["perl", "-e", BUSY])]
    tools = [("bare", []),
             ("perflab stat", [PERFLAB, "stat", "-e", SW, "--"]),
             ("perf stat", ["perf", "stat", "-x,", "-e", SW, "--"])]
    if not shutil.which("perf"):
        tools = tools[:2]
    print("counting a command: wall and CPU time (tool + command), median of %d "
          "alternating runs" % (RUNS * 2))
    for label, cmd in cmds:
        res = {name: [] for name, _ in tools}
        for i in range(RUNS * 2):
            order = tools if i % 2 == 0 else list(reversed(tools))
            for name, prefix in order:
                res[name].append(run(prefix + cmd))
        med = {n: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
               for n, v in res.items()}
        for name, _ in tools:
            w, c = med[name]
            print("  %-18s %-14s wall %8.2f ms  CPU %8.2f ms" % (label, name, w * 1e3, c * 1e3))
        if "perf stat" in med:
            ow = [med[n][0] - med["bare"][0] for n in ("perflab stat", "perf stat")]
            oc = [med[n][1] - med["bare"][1] for n in ("perflab stat", "perf stat")]
            print("  %-18s overhead over the bare command: perflab %.2f ms wall, %.2f ms CPU; "
                  "perf %.2f ms wall, %.2f ms CPU" % (label, ow[0] * 1e3, oc[0] * 1e3,
                                                      ow[1] * 1e3, oc[1] * 1e3))
            print("  %-18s ratio perflab stat / perf stat: wall %.2fx, CPU %.2fx" %
                  (label, med["perflab stat"][0] / med["perf stat"][0],
                   med["perflab stat"][1] / med["perf stat"][1]))
    print()


def main():
    if not os.path.exists(PERFLAB):
        sys.exit("build perflab first")
    try:
        sample_cost()
        stat_overhead()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
