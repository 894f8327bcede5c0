#!/usr/bin/env python3
"""Grow a kernel history to bisect, from Debian's linux-source-6.1.

    kernel-history.py DIR [--tarball T] [--commits N] [--seed S] [--planted FILE]

DIR becomes a git repository: one commit holding the kernel tree as
Debian ships it, then N commits on top that touch net/ipv4 harmlessly
(a comment each), among them:

  - one that plants the shape of the Linux 6.5 -> 6.6 receive-window
    regression (seed 001): for a socket whose application set SO_RCVBUF
    itself, the window the receiver advertises is halved, so a 10 MB
    upload into it with an added RTT takes about twice as long, while
    autotuned sockets are untouched;
  - a run of three commits that cannot be measured, in the middle of
    the range where a bisection looks first: one whose kernel panics at
    boot, one that does not build (on top of it), one that builds again
    but still panics; the next commit fixes both.

It prints "good ID" (the base), "bad ID" (the tip) and "broken ID" and
"panic ID" lines for the unmeasurable commits; the planted commit goes
only into --planted FILE, which nothing perflab runs reads. An existing
DIR made by the same script and arguments is reused as it is.
"""
import argparse
import hashlib
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TARBALL = "/usr/src/linux-source-6.1.tar.xz"

# net/ipv4 files whose comments the harmless commits touch (each one
# recompiles one object: the history stays cheap to build incrementally)
FILES = ["tcp_input.c", "tcp_ipv4.c", "tcp_timer.c", "tcp_cong.c", "tcp_minisocks.c",
         "tcp_fastopen.c", "tcp_rate.c", "tcp_recovery.c", "tcp_offload.c", "tcp_ulp.c",
         "udp.c", "ip_output.c", "ip_input.c", "route.c", "af_inet.c", "inet_hashtables.c",
         "tcp_bbr.c", "tcp_cubic.c", "icmp.c", "devinet.c"]
VERBS = ["clarify", "reword", "tidy", "document", "fix a typo in", "expand on"]
NOUNS = ["the window update path", "a locking comment", "the retransmit timer notes",
         "the listen path", "the route lookup", "the congestion hooks", "the ACK path",
         "the socket teardown notes", "the GSO notes", "the hash table comments"]

PLANT_AT = """	int free_space = tcp_space(sk);
	int allowed_space = tcp_full_space(sk);
	int full_space, window;
"""
PLANTED = """	int free_space = tcp_space(sk);
	int allowed_space = tcp_full_space(sk);
	int full_space, window;

	/* A buffer the application sized itself with SO_RCVBUF: assume the
	 * bookkeeping overhead of its skbs is as large as the data again,
	 * and advertise half of what the autotuned estimate would.
	 */
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK) {
		free_space >>= 1;
		allowed_space >>= 1;
	}
"""
PANIC_AT = "static int __init inet_init(void)\n{\n"
PANIC = ("static int __init inet_init(void)\n{\n"
         "\tif (IS_ENABLED(CONFIG_INET))\n"
         "\t\tpanic(\"inet_init: refusing to start without a route cache\");\n")


def git(repo, *args, capture=False):
    r = subprocess.run(["git", "-C", repo] + list(args), check=True,
                       stdout=subprocess.PIPE if capture else subprocess.DEVNULL)
    return r.stdout.decode().strip() if capture else None


def commit(repo, subject):
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", subject)
    return git(repo, "rev-parse", "HEAD", capture=True)


def edit(repo, name, old, new):
    path = os.path.join(repo, "net", "ipv4", name)
    src = open(path).read()
    if old not in src:
        sys.exit("kernel-history: '%s' not found in %s" % (old.splitlines()[0], path))
    open(path, "w").write(src.replace(old, new, 1))


def harmless(repo, rng, k):
    name = FILES[k % len(FILES)]
    path = os.path.join(repo, "net", "ipv4", name)
    with open(path, "a") as f:
        f.write("\n/* perflab sample history, edit %d: %s */\n" % (k, rng.choice(NOUNS)))
    return "ipv4: %s %s (%s)" % (rng.choice(VERBS), rng.choice(NOUNS), name)


def import_tree(repo, tarball):
    os.makedirs(repo)
    subprocess.run(["tar", "-xJf", tarball, "-C", repo, "--strip-components=1"], check=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "kernel-history@perflab.invalid")
    git(repo, "config", "user.name", "kernel-history")
    # Debian's top-level .gitignore ends by ignoring everything (its packaging): drop that
    gi = os.path.join(repo, ".gitignore")
    text = open(gi).read()
    if "# Debian packaging" in text:
        open(gi, "w").write(text[:text.index("# Debian packaging")])
    subprocess.run(["git", "-C", repo, "add", "-A", "-f"], check=True)
    git(repo, "commit", "-q", "-m", "linux-source-6.1 as Debian ships it")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--tarball", default=TARBALL)
    ap.add_argument("--commits", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--planted", required=True)
    o = ap.parse_args()
    n = o.commits
    if n < 12:
        sys.exit("kernel-history: at least 12 commits")
    me = hashlib.sha256(open(__file__, "rb").read()).hexdigest()[:16]
    stamp = "%s n=%d seed=%d" % (me, n, o.seed)
    done = os.path.join(o.dir, ".git", "perflab-kernel-history")
    if os.path.exists(done) and open(done).read().split("\n")[0] == stamp:
        sys.stdout.write(open(done).read().split("\n", 1)[1])
        with open(o.planted, "w") as f:
            f.write(open(done + ".planted").read())
        return
    if os.path.exists(o.dir):
        subprocess.run(["rm", "-rf", o.dir], check=True)
    import_tree(o.dir, o.tarball)
    good = git(o.dir, "rev-parse", "HEAD", capture=True)
    rng = random.Random(o.seed)
    mid = n // 2 - 1             # git's midpoint of the range, where a bisection looks first
    plant = (3 * n) // 4
    out, planted = [], None
    k = 0
    while k < n:
        if k == mid - 1:
            edit(o.dir, "af_inet.c", PANIC_AT, PANIC)
            out.append("panic " + commit(o.dir, "ipv4: refuse to start without a route cache"))
        elif k == mid:
            with open(os.path.join(o.dir, "net", "ipv4", "tcp_ipv4.c"), "a") as f:
                f.write("\nthis line does not compile\n")
            out.append("broken " + commit(o.dir, harmless(o.dir, rng, k)))
        elif k == mid + 1:
            path = os.path.join(o.dir, "net", "ipv4", "tcp_ipv4.c")
            open(path, "w").write(open(path).read().replace("\nthis line does not compile\n", "\n"))
            out.append("panic " + commit(o.dir, "tcp: fix the build"))
        elif k == mid + 2:
            edit(o.dir, "af_inet.c", PANIC, PANIC_AT)
            commit(o.dir, "ipv4: start without a route cache again")
        elif k == plant:
            edit(o.dir, "tcp_output.c", PLANT_AT, PLANTED)
            planted = commit(o.dir, "tcp: leave room for skb overhead in windows of locked buffers")
        else:
            commit(o.dir, harmless(o.dir, rng, k))
        k += 1
    bad = git(o.dir, "rev-parse", "HEAD", capture=True)
    text = "good %s\nbad %s\n%s\n" % (good, bad, "\n".join(out))
    open(done, "w").write(stamp + "\n" + text)
    open(done + ".planted", "w").write(planted + "\n")
    with open(o.planted, "w") as f:
        f.write(planted + "\n")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
