#!/usr/bin/env python3
"""make bench, the build part: the image cache against a cold build.

A generated git repository of a small C program (FILES source files);
`perflab build --job J COMMIT` of the same commit, three ways, RUNS times
each, alternating:

- cold: no worktree, no cache (the first build of a commit on a fresh
  controller): checkout of the whole tree, a full build;
- incremental: the cache entry removed but the worktree kept (what a
  neighbouring commit costs): checkout, make finds its objects;
- hit: the image is in the cache: no checkout, no build.

Medians of wall time (the whole perflab process, what a user waits) and
the ratios are printed; nothing here is a pass/fail test.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PERFLAB = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "perflab"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
FILES = int(os.environ.get("BENCH_BUILD_FILES", "8"))
TMP = tempfile.mkdtemp(prefix="perflab-bench-build-")

GIT_ENV = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.org",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.org",
               GIT_CONFIG_NOSYSTEM="1", HOME=TMP)


def git(*args):
    subprocess.run(["git", "-C", os.path.join(TMP, "src")] + list(args), check=True,
                   env=GIT_ENV, stdout=subprocess.DEVNULL)


def source_file(i):
    """A C file with enough code that compiling it takes a moment at -O2."""
    funcs = []
    for j in range(40):
        funcs.append("""
static unsigned long f%d_%d(unsigned long x)
{
	unsigned long a[64];
	for (int k = 0; k < 64; k++)
		a[k] = (x * %d + k) ^ (a[(k + 7) %% 64] >> 3);
	for (int k = 1; k < 64; k++)
		a[k] += a[k - 1] * 31 + (unsigned long)k;
	return a[63];
}""" % (i, j, j + 3))
    calls = " + ".join("f%d_%d(x)" % (i, j) for j in range(40))
    return "".join(funcs) + "\nunsigned long part%d(unsigned long x) { return %s; }\n" % (i, calls)


def make_repo():
    src = os.path.join(TMP, "src")
    os.makedirs(src)
    subprocess.run(["git", "init", "-q", "-b", "main", src], check=True, env=GIT_ENV)
    for i in range(FILES):
        with open(os.path.join(src, "part%d.c" % i), "w") as f:
            f.write(source_file(i))
    with open(os.path.join(src, "main.c"), "w") as f:
        f.write("#include <stdio.h>\n")
        f.write("".join("unsigned long part%d(unsigned long);\n" % i for i in range(FILES)))
        f.write("int main(void) { unsigned long s = 0;\n")
        f.write("".join("\ts += part%d(%d);\n" % (i, i) for i in range(FILES)))
        f.write("\tprintf(\"%lu\\n\", s); return 0; }\n")
    objs = " ".join("part%d.o" % i for i in range(FILES)) + " main.o"
    with open(os.path.join(src, "Makefile"), "w") as f:
        f.write("CFLAGS = -O2\nprog: %s\n\t$(CC) -o $@ %s\n" % (objs, objs))
    with open(os.path.join(src, ".gitignore"), "w") as f:
        f.write("*.o\nprog\n")
    git("add", ".")
    git("commit", "-q", "-m", "the program")
    job = os.path.join(TMP, "job")
    with open(job, "w") as f:
        f.write("[source]\nrepo = %s\nbuild = make -j%d\nartifact = prog\n"
                "workdir = %s\n" % (src, os.cpu_count() or 1, os.path.join(TMP, "builds")))
    return job


def build(job):
    """Wall seconds of one perflab build, and whether it was a hit."""
    t0 = time.monotonic()
    out = subprocess.run([PERFLAB, "build", "--job", job, "main"], check=True,
                         capture_output=True, text=True, cwd=TMP).stdout
    secs = time.monotonic() - t0
    return secs, "\ncache   hit\n" in "\n" + out


def cold(job):
    shutil.rmtree(os.path.join(TMP, "builds"), ignore_errors=True)
    secs, hit = build(job)
    assert not hit
    return secs


def incremental(job):
    shutil.rmtree(os.path.join(TMP, "builds", "images"), ignore_errors=True)
    secs, hit = build(job)
    assert not hit
    return secs


def cached(job):
    secs, hit = build(job)
    assert hit
    return secs


def main():
    if not os.path.exists(PERFLAB):
        sys.exit("bench-build: build perflab first (make)")
    job = make_repo()
    times = {"cold": [], "incremental": [], "hit": []}
    for _ in range(RUNS):
        times["cold"].append(cold(job))
        times["incremental"].append(incremental(job))
        times["hit"].append(cached(job))
    med = {k: statistics.median(v) for k, v in times.items()}
    print("\n== build: image cache hit vs cold build of the same commit "
          "(%d C files, median of %d)" % (FILES + 1, RUNS))
    for k in ("cold", "incremental", "hit"):
        print("  %-12s %8.3f s   (min %.3f, max %.3f)" % (k, med[k], min(times[k]), max(times[k])))
    print("  cold / hit          %8.1fx" % (med["cold"] / med["hit"]))
    print("  cold / incremental  %8.1fx  (the persistent worktree's worth)"
          % (med["cold"] / med["incremental"]))


try:
    main()
finally:
    shutil.rmtree(TMP, ignore_errors=True)
