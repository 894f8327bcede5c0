#!/usr/bin/env python3
"""A random git history with merges for bisect parity tests.

usage: lib-bisect-history.py DIR SEED N

Creates a repository in DIR with about N commits on a few branches that
fork and merge, committer dates drawn so that some commits share a second
(git breaks such ties by queue order, which the tests exercise). Prints
nothing; every commit's id is in DIR/.git/../commits.txt, oldest first.
"""
import os, random, subprocess, sys

d, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
os.makedirs(d, exist_ok=True)

def git(*args, env=None):
    e = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e",
             GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@e")
    if env:
        e.update(env)
    return subprocess.run(["git", "-C", d] + list(args), env=e, check=True,
                          capture_output=True, text=True).stdout.strip()

git("init", "-q", "-b", "main")
t = 1700000000
heads = {}
commits = []

def commit(parents, msg):
    global t
    t += rnd.choice([0, 0, 1, 5, 60])
    tree = git("mktree", env=None) if False else None
    blob = subprocess.run(["git", "-C", d, "hash-object", "-w", "--stdin"], input=msg,
                          capture_output=True, text=True, check=True).stdout.strip()
    tree = subprocess.run(["git", "-C", d, "mktree"], input="100644 blob %s\tf\n" % blob,
                          capture_output=True, text=True, check=True).stdout.strip()
    args = ["commit-tree", tree, "-m", msg]
    for p in parents:
        args += ["-p", p]
    date = "%d +0000" % t
    c = git(*args, env={"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
    commits.append(c)
    return c

heads["main"] = commit([], "root")
nb = 0
while len(commits) < n:
    r = rnd.random()
    names = list(heads)
    if r < 0.12 and len(heads) < 4:
        nb += 1
        src = rnd.choice(names)
        heads["b%d" % nb] = heads[src]
    elif r < 0.22 and len(heads) > 1:
        a, b = rnd.sample(names, 2)
        heads[a] = commit([heads[a], heads[b]], "merge %s %s" % (b, a))
        if b != "main":
            del heads[b]
    else:
        br = rnd.choice(names)
        heads[br] = commit([heads[br]], "c%d on %s" % (len(commits), br))
for b in list(heads):
    if b != "main":
        heads["main"] = commit([heads["main"], heads[b]], "merge %s" % b)
git("update-ref", "refs/heads/main", heads["main"])
with open(os.path.join(d, "commits.txt"), "w") as f:
    f.write("\n".join(commits) + "\n")
