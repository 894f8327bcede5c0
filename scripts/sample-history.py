#!/usr/bin/env python3
"""Generate the history of a small C server for perflab's demo and tests.

    sample-history.py DIR [--commits N] [--seed S] [--planted FILE]

A git repository of tests/fixtures/sampleserver/server.c, grown by N
commits: harmless edits on main and on feature branches merged with
--no-ff, one commit that does not build (fixed by the next one on its
branch), and one commit that plants a regression: it makes the server
hash every byte it sends, so its CPU per Gbit/s rises by tens of
percent at the same goodput.

It prints the three "nightly" tips (on main: a third of the way, before
the regression is merged, and the end) and the broken commit, one per
line as "night1 ID" ... "broken ID". The planted commit goes only into
--planted FILE: the demo compares it with what perflab finds, and
nothing perflab runs reads it.
"""
import argparse
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "..", "tests", "fixtures", "sampleserver", "server.c")

BASELINE = """/* Per-byte work done before sending: none in the baseline. */
static unsigned prepare(char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return 0;
}"""

PLANTED = """/* Per-byte work done before sending: a checksum of the payload. */
static volatile unsigned payload_sum;

static unsigned prepare(char *buf, size_t len)
{
	unsigned h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)buf[i]) * 16777619u;
	payload_sum = h;
	return h;
}"""

AREAS = ["net", "http", "accept", "buffers", "log", "docs", "build", "tests", "conn", "config"]
VERBS = ["tidy", "rename", "document", "simplify", "split", "reorder", "clarify", "fix a typo in",
         "comment", "reword"]
NOUNS = ["the accept loop", "the request parser", "the reply head", "connection setup",
         "the send path", "error messages", "the usage text", "buffer sizes", "the main loop",
         "header handling", "keep-alive", "the port option"]


def git(repo, *args, capture=False):
    r = subprocess.run(["git", "-C", repo] + list(args), check=True,
                       stdout=subprocess.PIPE if capture else subprocess.DEVNULL)
    return r.stdout.decode().strip() if capture else None


def commit(repo, subject):
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", subject)
    return git(repo, "rev-parse", "HEAD", capture=True)


def subject(rng):
    return "%s: %s %s" % (rng.choice(AREAS), rng.choice(VERBS), rng.choice(NOUNS))


def harmless_edit(repo, rng, i):
    """Edit a notes file and a comment: the program stays the same."""
    notes = os.path.join(repo, "NOTES")
    with open(notes, "a") as f:
        f.write("change %d: %s\n" % (i, subject(rng)))
    path = os.path.join(repo, "server.c")
    src = open(path).read()
    marker = "/* revision "
    head = src.split("\n", 1)
    if head[0].startswith(marker):
        src = head[1]
    open(path, "w").write("%s%d */\n%s" % (marker, i, src))


def set_prepare(repo, body):
    path = os.path.join(repo, "server.c")
    src = open(path).read()
    start = src.index("/* Per-byte work done before sending")
    end = src.index("\n}\n", start) + 2
    open(path, "w").write(src[:start] + body + src[end:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--commits", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--planted", required=True)
    o = ap.parse_args()
    rng = random.Random(o.seed)
    repo = o.dir
    os.makedirs(repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "A Developer")
    git(repo, "config", "commit.gpgsign", "false")
    src = open(SERVER).read()
    assert BASELINE in src, "the fixture's prepare() changed: update sample-history.py"
    open(os.path.join(repo, "server.c"), "w").write(src)
    open(os.path.join(repo, "Makefile"), "w").write(
        "server: server.c\n\tcc -O2 -pthread -o server server.c\n")
    commit(repo, "the server")

    n, made = o.commits, 1
    broken_at = int(n * 0.66)          # on a branch merged after night 2
    plant_at = int(n * 0.61)           # on a branch merged after night 2
    night_at = [int(n * 0.33), int(n * 0.55), n]
    nights, broken, planted = [], None, None
    while made < n:
        # a feature branch now and then, merged with --no-ff
        if rng.random() < 0.3 and made + 4 < n:
            branch = "topic-%d" % made
            base = git(repo, "rev-parse", "HEAD", capture=True)
            git(repo, "checkout", "-q", "-b", branch, base)
            for _ in range(rng.randint(2, 4)):
                harmless_edit(repo, rng, made)
                if made >= broken_at and broken is None:
                    with open(os.path.join(repo, "server.c"), "a") as f:
                        f.write("\nthis line does not compile\n")
                    broken = commit(repo, subject(rng))
                    src = open(os.path.join(repo, "server.c")).read()
                    open(os.path.join(repo, "server.c"), "w").write(
                        src.replace("\nthis line does not compile\n", "\n"))
                    commit(repo, "build: fix the build")
                    made += 2
                    continue
                if made >= plant_at and planted is None:
                    set_prepare(repo, PLANTED)
                    planted = commit(repo, "http: checksum the payload before sending")
                    made += 1
                    continue
                commit(repo, subject(rng))
                made += 1
            git(repo, "checkout", "-q", "main")
            git(repo, "merge", "-q", "--no-ff", "-m", "Merge branch '%s'" % branch, branch)
            git(repo, "branch", "-q", "-d", branch)
            made += 1
        else:
            harmless_edit(repo, rng, made)
            commit(repo, subject(rng))
            made += 1
        while len(nights) < len(night_at) - 1 and made >= night_at[len(nights)]:
            nights.append(git(repo, "rev-parse", "HEAD", capture=True))
    nights.append(git(repo, "rev-parse", "HEAD", capture=True))
    if planted is None or broken is None:
        sys.exit("sample-history: too few commits to plant a regression")
    with open(o.planted, "w") as f:
        f.write(planted + "\n")
    for k, c in enumerate(nights):
        print("night%d %s" % (k + 1, c))
    print("broken %s" % broken)


if __name__ == "__main__":
    main()
