#!/bin/sh
test_description='perflab bisect start/good/bad/skip/status/log/replay/reset: a manual session step by step against git bisect'
. "$(dirname "$0")/test-lib.sh"

# session REPO SEED [first-parent]: manual sessions driven by a known first
# bad commit (and commits that cannot be tested: skipped when proposed),
# perflab and git bisect side by side on copies; every proposal, the final
# answer and the skip behaviour must be the same.
session() {
	python3 - "$@" <<-'PY'
	import os, random, shutil, subprocess, sys
	d, seed = sys.argv[1], int(sys.argv[2])
	mode = sys.argv[3] if len(sys.argv) > 3 else ""
	fp = ["--first-parent"] if mode == "fp" else []
	rnd = random.Random(seed)
	def run(*a, cwd=None):
	    p = subprocess.run(list(a), capture_output=True, text=True, cwd=cwd)
	    return p.stdout, p.returncode
	def lines(out):
	    return [l for l in out.splitlines() if l.strip()]
	def gitl(*a):
	    return run("git", "-C", d, *a)[0].split()
	head = gitl("rev-parse", "main")[0]
	commits = gitl("rev-list", "main")
	fails = sessions = onlyskip = 0
	for k in range(5):
	    bad = head if k % 2 == 0 else rnd.choice(commits[:len(commits) // 3])
	    anc = gitl("rev-list", bad)[1:]
	    good = rnd.choice(anc[len(anc) // 2:])
	    rng = gitl("rev-list", *fp, bad, "^" + good)
	    if len(rng) < 4:
	        continue
	    first = rnd.choice(rng)
	    untestable = set(rnd.sample(rng, min(len(rng) // 3, [0, 2, 4, 8][k % 4])))
	    untestable.discard(first) if k % 3 else None
	    if mode == "near":
	        # the first bad commit and its parent cannot be tested: git
	        # ends with the list of suspects
	        untestable = {first, gitl("rev-parse", first + "^")[0]} & set(rng)
	    res = "results-%d-%d" % (seed, k)
	    gd = "gitcopy"
	    shutil.rmtree(gd, ignore_errors=True)
	    shutil.copytree(d, gd, symlinks=True)
	    gout, _ = run("git", "-C", gd, "bisect", "start", "--no-checkout", *fp, bad, good)
	    pout, rc = run("perflab", "bisect", "start", "--repo", d, "--bad", bad, "--good", good,
	                   "--results", res, *fp)
	    sessions += 1
	    steps = 0
	    while True:
	        gl, pl = lines(gout), lines(pout)
	        if "first bad commit" in gout:
	            ok = pl[:1] == gl[:1]
	        elif "only 'skip'ped" in gout:
	            # git lists the suspects up to "We cannot bisect more!"
	            ok = pl == gl[:len(pl)] and pl[-1] == "We cannot bisect more!"
	        else:
	            ok = pl[:2] == gl[:2] and pl[1].startswith("[")
	        if not ok:
	            fails += 1
	            print("session %d step %d differs:\n git: %s\n perflab: %s" % (k, steps, gl[:4], pl[:4]))
	            break
	        if "first bad commit" in gout or "only 'skip'ped" in gout:
	            onlyskip += "only 'skip'ped" in gout
	            if "first bad commit" in gout and not untestable and not pl[0].startswith(first):
	                fails += 1
	                print("session %d: %s named, %s planted" % (k, pl[0], first))
	            break
	        c = pl[1][1:41]
	        if c in untestable:
	            v = "skip"
	        else:
	            v = "bad" if run("git", "-C", d, "merge-base", "--is-ancestor", first, c)[1] == 0 else "good"
	        # perflab marks what it proposed, git is told the commit
	        pout, rc = run("perflab", "bisect", v, "--results", res)
	        gout, _ = run("git", "-C", gd, "bisect", v, c)
	        steps += 1
	        if steps > 60:
	            fails += 1
	            print("session %d does not end" % k)
	            break
	    print("session %d: %d steps, %d untestable, %s" % (k, steps, len(untestable), lines(gout)[0]))
	print("%d of %d sessions agree" % (sessions - fails, sessions))
	if mode == "near" and not onlyskip:
	    fails += 1
	    print("no session ended with only skipped commits")
	sys.exit(1 if fails or sessions < 3 else 0)
	PY
}

test_expect_success 'a generated history with merges' '
	python3 "$TEST_DIR/lib-bisect-history.py" hist 11 70 &&
	test $(git -C hist rev-list --merges --count main) -gt 3
'

test_expect_success 'manual sessions agree with git bisect step by step (merges, skips)' '
	session hist 1 >out && cat out && grep -q "agree" out && ! grep -q differs out
'

test_expect_success 'manual sessions agree with git bisect --first-parent' '
	session hist 2 fp >out && cat out && grep -q "agree" out && ! grep -q differs out
'

test_expect_success 'skipped next to the first bad commit: the same suspects as git' '
	session hist 3 near >out && cat out && grep -q "agree" out && ! grep -q differs out &&
	grep -q "only .skip.ped" out
'

test_expect_success 'start: the first commit to test is git rev-list --bisect'"'"'s' '
	bad=$(git -C hist rev-parse main) && good=$(git -C hist rev-list main | tail -1) &&
	echo $bad >bad && echo $good >good &&
	perflab bisect start --repo hist --good $good --bad $bad >out &&
	cat out &&
	want=$(git -C hist rev-list --bisect $bad ^$good) &&
	sed -n 2p out | grep -q "^\[$want\] " &&
	grep -q "^Bisecting: [0-9]* revisions left to test after this (roughly [0-9]* steps)" out &&
	test -f results/bisect/CURRENT &&
	id=$(cat results/bisect/CURRENT) &&
	json results/bisect/$id/state.json "d[\"manual\"] is True and d[\"steps\"] == 0"
'

test_expect_success 'status: range, steps done and left of a manual bisection' '
	perflab bisect status >st && cat st &&
	n=$(git -C hist rev-list --count $(cat bad) ^$(cat good)) &&
	grep -q "^range left: $n commits (0 skipped)" st &&
	grep -q "^steps done: 0" st &&
	grep -q "^estimated steps left: [1-9]" st &&
	grep -q "^to test: $(git -C hist rev-list --bisect $(cat bad) ^$(cat good))" st
'

test_expect_success 'good, bad, skip by name; the journal has the verdicts; log shows them' '
	c=$(sed -n "2s/^\[\([0-9a-f]*\)\].*/\1/p" out) &&
	perflab bisect skip >o1 &&
	c2=$(sed -n "2s/^\[\([0-9a-f]*\)\].*/\1/p" o1) && test "$c2" != "$c" &&
	perflab bisect good $(echo $c2 | cut -c1-10) >o2 &&
	perflab bisect bad HEAD >o3 2>e3 || { cat e3; false; } &&
	id=$(cat results/bisect/CURRENT) &&
	grep -c "\"ev\":\"mark\"" results/bisect/$id/journal.ndjson >nm && test $(cat nm) = 3 &&
	json results/bisect/$id/state.json "d[\"steps\"] == 3 and d[\"skips\"] == [\"$c\"] and \"$c2\" in d[\"goods\"]" &&
	perflab bisect log >log && cat log &&
	test $(wc -l <log) = 4 &&
	sed -n 1p log | grep -q "^start: bad $(cat bad), [0-9]* commits, good $(cat good)" &&
	sed -n 2p log | grep -q "^skip $c$" &&
	sed -n 3p log | grep -q "^good $c2$" &&
	sed -n 4p log | grep -q "^bad $(git -C hist rev-parse HEAD)$" &&
	perflab bisect log --json >lj && test $(wc -l <lj) = 4 &&
	perflab bisect status >st && grep -q "^steps done: 3" st && grep -q "(1 skipped)" st
'

test_expect_success 'replay: a new bisection from the journal ends where the old one is' '
	id=$(cat results/bisect/CURRENT) &&
	perflab bisect replay results/bisect/$id/journal.ndjson >rp && cat rp &&
	grep -q "^replayed 3 verdicts into results/bisect/" rp &&
	sed 1d rp >got && test_cmp o3 got &&
	id2=$(cat results/bisect/CURRENT) && test "$id2" != "$id" &&
	perflab bisect log >log2 && sed 1d log >a && sed 1d log2 >b && test_cmp a b
'

test_expect_success 'reset: says which bisection was left; then none is current' '
	id=$(cat results/bisect/CURRENT) &&
	perflab bisect reset >r && grep -q "left bisection $id" r &&
	test ! -f results/bisect/CURRENT &&
	test -d results/bisect/$id &&
	perflab bisect reset >r && grep -q "not bisecting" r
'

test_expect_success 'no current bisection: good, status and log say so' '
	test_must_fail perflab bisect good 2>e && grep -q "no bisection in progress in .results." e &&
	test_must_fail perflab bisect status 2>e && grep -q "results/bisect/CURRENT" e &&
	test_must_fail perflab bisect log 2>e && grep -q "no bisection in progress" e
'

test_expect_success 'broken inputs: unknown commit, damaged state.json, bad journal' '
	perflab bisect start --repo hist --good $(cat good) --bad $(cat bad) >/dev/null &&
	test_must_fail perflab bisect good nosuchcommit 2>e && cat e &&
	grep -q "unknown revision .nosuchcommit." e &&
	test_must_fail perflab bisect start --repo hist --good nosuch --bad $(cat bad) 2>e &&
	grep -q "nosuch" e &&
	id=$(cat results/bisect/CURRENT) &&
	echo "{\"repo\": " >results/bisect/$id/state.json &&
	test_must_fail perflab bisect bad 2>e && cat e &&
	grep -q "results/bisect/$id/state.json" e &&
	test_must_fail perflab bisect status 2>e && grep -q "state.json" e &&
	echo "{\"ev\":\"nonsense\"}" >j.ndjson &&
	test_must_fail perflab bisect replay j.ndjson 2>e && cat e && grep -q "j.ndjson:1" e &&
	test_must_fail perflab bisect replay nofile 2>e && grep -q "nofile" e &&
	test_exit_code 129 perflab bisect start --repo hist --bad $(cat bad) 2>e &&
	grep -q "needs --bad, at least one --good" e
'

test_expect_success 'an automatic journal: status reads the engine, log shows rounds side by side' '
	mkdir -p auto && cat >auto/mk.py <<-\EOF &&
	import json, sys
	n = 16
	ids = ["%040x" % (i + 1) for i in range(n)]
	L = [{"ev": "start", "config": {"n": n, "direction": 1, "threshold": 0.05, "k": 2,
	      "max_runs": 400, "max_builds": 40, "confirm_runs": 10, "max_side_runs": 40,
	      "confidence": 0.99, "seed": "1"}, "metric": "cpu", "bad": ids[-1],
	      "goods": ["%040x" % 999], "first_parent": 0,
	      "commits": [{"id": ids[i], "subject": "c%d" % i, "parents": [i - 1] if i else []}
	                  for i in range(n)]}]
	for l in L:
	    print(json.dumps(l))
	EOF
	python3 auto/mk.py >auto/journal.ndjson &&
	echo "{\"repo\": \"hist\", \"bad\": \"x\", \"manual\": false}" >auto/state.json &&
	perflab bisect replay auto/journal.ndjson --results res2 >rp && cat rp &&
	grep -q "perflab bisect resume" rp &&
	perflab bisect status --results res2 >st && cat st &&
	grep -q "^kind: automatic (2 DUTs)" st &&
	grep -q "^range left: 16 of 16 commits" st &&
	grep -q "^rounds so far: 0, runs: 0" st &&
	grep -q "^p_bad leader: none yet" st &&
	grep -q "^time per round so far: unknown" st &&
	perflab bisect log --results res2 >lg && grep -q "^start: bad 0*10, 16 commits" lg
'

test_expect_success 'status never writes: a one-line journal without its newline survives (#4)' '
	perflab bisect start --repo hist --good $(cat good) --bad $(cat bad) --results r4 >/dev/null &&
	j=r4/bisect/$(cat r4/bisect/CURRENT)/journal.ndjson &&
	test $(wc -l <$j) = 1 &&
	printf %s "$(cat $j)" >j.tmp && mv j.tmp $j && cp $j j.before &&
	perflab bisect status --results r4 >st &&
	test_cmp j.before $j &&
	perflab bisect log --results r4 >lg && grep -q "^start" lg &&
	test_cmp j.before $j &&
	perflab bisect good --results r4 >/dev/null &&
	json $j "len(lines) == 2 and lines[0][\"ev\"] == \"start\" and lines[1][\"ev\"] == \"mark\""
'

test_expect_success 'a torn last line: status leaves it, the next verdict (a resume) cuts it (#4)' '
	printf "{\"ev\":\"mark\",\"verd" >>$j && cp $j j.before &&
	perflab bisect status --results r4 >st &&
	test_cmp j.before $j &&
	perflab bisect bad --results r4 >/dev/null &&
	json $j "len(lines) == 3 and lines[2][\"ev\"] == \"mark\" and lines[2][\"verdict\"] == \"bad\""
'

test_expect_success 'start --repo as typed: state.json holds absolute paths; other directories work (#6)' '
	perflab bisect start --repo hist --good $(cat good) --bad $(cat bad) --results r6 >/dev/null &&
	s=r6/bisect/$(cat r6/bisect/CURRENT)/state.json &&
	json $s "d[\"repo\"] == \"$TRASH/hist\" and d[\"results\"] == \"$TRASH/r6\"" &&
	mkdir -p elsewhere && (cd elsewhere && perflab bisect status --results ../r6 >st &&
		grep -q "^kind: manual, repository $TRASH/hist" st &&
		perflab bisect good --results ../r6 >next) &&
	grep -q "^Bisecting: " elsewhere/next
'

test_done
