#!/usr/bin/env python3
"""make bench, the sampling part: what `perflab top` costs the command it
samples, against `perf record` on the same command, in the same run.

A CPU-bound C program does a fixed amount of work and prints how long it
took (CLOCK_MONOTONIC, its own start to its own end, so neither tool's
start-up or write-out counts). It runs plain, under
`perflab top -S cpu-clock -F 1000 -- prog` and under
`perf record -e cpu-clock -F 1000 -- prog`, alternating, BENCH_RUNS
times (default 5), everything pinned to one CPU so the tool's own
reading of its ring buffers competes with the command. The overhead is
the ratio of the command's run time to its median plain run time.

Medians and ratios are printed; nothing here is a pass/fail test.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

PERFLAB = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "perflab"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
CPU = os.environ.get("BENCH_CPU", str(min(1, os.cpu_count() - 1)))
WORK = int(os.environ.get("BENCH_TOP_WORK", "600000000"))	# loop iterations
TMP = tempfile.mkdtemp(prefix="perflab-bench-top-")

PROG = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) unsigned long work(unsigned long n)
{
	volatile unsigned long x = 0;

	for (unsigned long i = 0; i < n; i++)
		x += i ^ (x >> 3);
	return x;
}

static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double t0 = now(), c0 = cpu();

	work(strtoul(argv[1], NULL, 10));
	printf("%.6f %.6f\n", now() - t0, cpu() - c0);
	return 0;
}
"""


def build():
    src = os.path.join(TMP, "work.c")
    exe = os.path.join(TMP, "work")
    with open(src, "w") as f:
        f.write(PROG)
    subprocess.run(["cc", "-O1", "-o", exe, src], check=True)
    return exe


def elapsed(out):
    """The command's own wall and CPU seconds: the line of two bare numbers."""
    for line in out.splitlines():
        try:
            wall, cpu = line.split()
            return float(wall), float(cpu)
        except ValueError:
            continue
    raise RuntimeError("no elapsed time in output: %r" % out[:500])


def run(argv, env=None):
    p = subprocess.run(["taskset", "-c", CPU] + argv, capture_output=True, text=True,
                       env=env)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (argv[0], p.returncode, p.stderr[-500:]))
    return p.stdout, p.stderr


def plain(exe):
    out, _ = run([exe, str(WORK)])
    return elapsed(out), None


def perflab_top(exe):
    out, _ = run([PERFLAB, "top", "-S", "cpu-clock", "-F", "1000", "-w", "3600", "--json",
                  "-n", "5", "--", exe, str(WORK)])
    total = json.loads(out.strip().splitlines()[-1])
    return elapsed(out), total["samples"]


def perf_record(exe):
    data = os.path.join(TMP, "perf.data")
    out, _ = run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "1000", "-o", data,
                  "--", exe, str(WORK)])
    stats = subprocess.run(["perf", "report", "-i", data, "--stats"], capture_output=True,
                           text=True).stdout
    samples = None
    for line in stats.splitlines():
        if "SAMPLE events:" in line:
            samples = int(line.split(":")[1].split()[0])
            break
    return elapsed(out), samples


def main():
    if not shutil.which("perf"):
        print("bench-top: perf is not installed; skipped")
        return 0
    exe = build()
    sides = [("plain", plain), ("perflab top", perflab_top), ("perf record", perf_record)]
    wall = {name: [] for name, _ in sides}
    cpu = {name: [] for name, _ in sides}
    samples = {name: [] for name, _ in sides}
    for i in range(RUNS):
        # rotate the order so no side always runs first or last
        for name, fn in sides[i % 3:] + sides[:i % 3]:
            (w, c), n = fn(exe)
            wall[name].append(w)
            cpu[name].append(c)
            if n is not None:
                samples[name].append(n)
    print("top sampling overhead: cpu-clock at 1000 Hz, %d alternating runs of a "
          "CPU-bound command pinned to CPU %s (load average %.2f)"
          % (RUNS, CPU, os.getloadavg()[0]))
    print("  %-12s %8s %8s %8s %8s %8s" % ("", "wall_s", "ratio", "cpu_s", "ratio", "samples"))
    ratios = {}
    for name, _ in sides:
        w = statistics.median(wall[name])
        c = statistics.median(cpu[name])
        ratios[name] = (w / statistics.median(wall["plain"]), c / statistics.median(cpu["plain"]))
        ns = "%8.0f" % statistics.median(samples[name]) if samples[name] else "%8s" % "-"
        print("  %-12s %8.3f %8.4f %8.3f %8.4f %s" % (name, w, ratios[name][0], c,
                                                     ratios[name][1], ns))
    ours, theirs = ratios["perflab top"], ratios["perf record"]
    print("  perflab top / perf record: wall ratio %.4f, cpu ratio %.4f"
          % (ours[0] / theirs[0], ours[1] / theirs[1]))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
