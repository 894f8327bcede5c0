#!/bin/sh
test_description='perflab bisect: git parity of the next commit, simulate, knobs'
. "$(dirname "$0")/test-lib.sh"

# parity DIR SEED TRIALS [skip]: random ranges of DIR, ours against git's.
parity() {
	python3 - "$@" <<-'PY'
	import random, subprocess, sys
	d, seed, trials = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	skip = len(sys.argv) > 4
	rnd = random.Random(seed)
	def out(*a):
	    p = subprocess.run(list(a), capture_output=True, text=True)
	    return p.stdout.strip(), p.returncode
	commits = out("git", "-C", d, "rev-list", "--all")[0].split()
	n = bad_n = 0
	while n < trials:
	    bad = rnd.choice(commits)
	    anc = out("git", "-C", d, "rev-list", bad)[0].split()[1:]
	    if not anc:
	        continue
	    goods = rnd.sample(anc, 1) if skip else rnd.sample(commits, rnd.choice([1, 2]))
	    fp = [] if skip or rnd.random() < 0.6 else ["--first-parent"]
	    rng = out("git", "-C", d, "rev-list", *fp, bad, *["^" + g for g in goods])[0].split()
	    if len(rng) < 3:
	        continue
	    args = ["perflab", "bisect", "next", "--repo", d, "--bad", bad, *fp]
	    for g in goods:
	        args += ["--good", g]
	    if skip:
	        skips = rnd.sample(rng, min(len(rng) - 1, rnd.choice([1, 2, 4])))
	        out("git", "-C", d, "bisect", "reset")
	        out("git", "-C", d, "bisect", "start", "--no-checkout", bad, goods[0])
	        o = subprocess.run(["git", "-C", d, "bisect", "skip"] + skips,
	                           capture_output=True, text=True).stdout
	        want = out("git", "-C", d, "rev-parse", "BISECT_HEAD")[0]
	        if "only 'skip'ped" in o or "first bad commit" in o:
	            want = "END"
	        for s in skips:
	            args += ["--skip", s]
	    else:
	        want = out("git", "-C", d, "rev-list", "--bisect", *fp, bad,
	                   *["^" + g for g in goods])[0]
	    got, rc = out(*args)
	    if rc or (skip and got == rng[0] and want == "END"):
	        got = "END"
	    n += 1
	    if got != want:
	        bad_n += 1
	        print("mismatch: bad %s goods %s %s: git %s, perflab %s" % (bad, goods, fp, want, got))
	if skip:
	    out("git", "-C", d, "bisect", "reset")
	print("%d of %d agree" % (n - bad_n, n))
	sys.exit(1 if bad_n else 0)
	PY
}

test_expect_success 'a generated history with merges and equal dates' '
	python3 "$TEST_DIR/lib-bisect-history.py" hist 7 80 &&
	test $(git -C hist rev-list --merges --count main) -gt 3
'

test_expect_success 'next agrees with git rev-list --bisect (merges, several goods, first-parent)' '
	parity hist 1 60 >out && cat out && grep -q "60 of 60 agree" out
'

test_expect_success 'next agrees with git bisect after skips' '
	parity hist 2 30 skip >out && cat out && grep -q "30 of 30 agree" out
'

test_expect_success "next agrees with git on this repository's own history" '
	git clone -q --bare "$SRC_DIR" own.git &&
	parity own.git 3 30 >out && cat out && grep -q "30 of 30 agree" out
'

test_expect_success 'next: an unknown revision and an empty range are errors' '
	test_must_fail perflab bisect next --repo hist --good nosuch --bad main 2>err &&
	grep -q "nosuch" err &&
	test_must_fail perflab bisect next --repo hist --good main --bad main~3 2>err &&
	grep -q "empty range" err
'

test_expect_success 'simulate: a cell is deterministic and meets its accuracy' '
	perflab bisect simulate --n 32 --d 3 --noise gaussian --trials 40 --json >a &&
	perflab bisect simulate --n 32 --d 3 --noise gaussian --trials 40 --json >b &&
	test_cmp a b &&
	json a "d[\"exact\"] >= 0.95 and d[\"runs_mean\"] < 80"
'

test_expect_success 'simulate: no regression, no culprit' '
	perflab bisect simulate --n 32 --d 0 --noise gaussian --trials 40 --json >z &&
	json z "d[\"named\"] <= 0.05"
'

test_done
