#ifndef BISECT_ENGINE_H
#define BISECT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The bisection engine: pure (no I/O, no clock), fed run-level
 * measurements, deterministic. The same sequence of engine_next /
 * engine_observe_block / engine_unbuildable calls gives the same answers
 * on every host, so resuming is replaying the journal into a fresh
 * engine (bisect/journal.h). Every random choice (the order of the two
 * sides of a block) derives from config.seed and the block's number,
 * never from the order of calls.
 *
 * Candidates are indexes 0..n-1 in revs order (bisect/revs.h): index
 * n - 1 is the bad commit, and "the first bad commit is c" means every
 * commit reaching c is bad and every other one good. The good endpoint
 * (the first good commit) is index BISECT_GOOD_END.
 *
 * Blocks. Runs are planned in blocks: a few requests measured back to
 * back on one DUT (a lane), so that whatever moves the ground under the
 * lab (a slow drift, a step in background load, a DUT that rebooted
 * into a slower state) lands on every request of the block alike. Every
 * block holds a reference whose side is known:
 *  - the endpoints' first look: blocks of the good and the bad endpoint,
 *    one run each (confirm_runs of them, spread over the lanes);
 *  - probe blocks, one a lane a round: the good endpoint as the control
 *    (one run; as many as the probe's once the ground moved), the probe
 *    (2 to 4 runs, sized from the step and the noise) and, while the
 *    endpoints' verdict is still open, the bad endpoint (one run);
 *  - confirmation blocks: the culprit's parent and the culprit, one run
 *    each (and both endpoints while their verdict is open).
 * The order inside a block is randomised from the seed in ABBA
 * quartets: two consecutive blocks of a lane are A B, B A or B A, A B
 * (a linear drift cancels over each pair; the middle two requests are
 * the same commit: one deploy fewer).
 *
 * How it decides (chosen by simulation, `perflab bisect simulate`):
 *  1. Endpoints: every block that holds both endpoints is a pair; when
 *     the pairs reach a look (confirm_runs, 2x, 3x ... up to
 *     max_side_runs) they are judged with stats_paired_verdict, the
 *     block, not the run, the unit of replication (alpha 0.05 spent
 *     over the looks). GOOD ends with NOT_REPRODUCED, INCONCLUSIVE at
 *     the last look with INCONCLUSIVE. After the first look the
 *     endpoints ride in the probe blocks: probing does not wait for
 *     their verdict, but no culprit is named before it is BAD.
 *  2. Probes: one posterior over the position of the first bad commit,
 *     fed by every run (bisect/model.c). Its model: a run is its side's
 *     level (good or bad) + the ground under its lane at that moment +
 *     a boot offset per request (random effect) + run noise; the ground
 *     is a random walk per lane in planned run time. The walk's and the
 *     boots' variances are averaged over a grid by their likelihood (0:
 *     still ground, independent runs, is one point of it), the levels,
 *     the lanes' offsets and the noise scale are integrated out, runs
 *     far from what the model predicts for them are set aside. The
 *     controls anchor the ground: when it moves, each probe is in
 *     effect compared with the control of its own block. Each round
 *     probes the commit(s) whose chance of being bad is nearest 1/2
 *     (k probes: nearest j/(k+1)); a commit already built is measured
 *     again when that is nearly as good (builds cost more than runs).
 *  3. Confirmation: when one culprit (or one class of candidates that
 *     unbuildable commits make indistinguishable: a RANGE) holds half
 *     the posterior, it is measured against its parent in fresh
 *     confirmation blocks, judged with a paired verdict on those blocks
 *     only, never on the runs that chose it (stats_paired_verdict_scaled
 *     with the spread pooled over every pair block, or the signed-rank
 *     test while there are too few), at looks of 3/5 confirm_runs
 *     blocks. Its level is 0.004 / (the posterior's doubt about the pair
 *     when chosen), between 0.005 and 0.05 and halved when the ground
 *     moved, spent over the looks: a pair chosen in doubt must show
 *     more. It is named when that verdict is BAD, the endpoints' is
 *     BAD, and the posterior, with every run, holds it with
 *     config.confidence (more probes where the doubt lies until then).
 *     A GOOD, or a posterior that moved elsewhere, sends it back to
 *     probing. A culprit that is an endpoint (the bad commit itself, or
 *     the first commit, whose parent is the good endpoint) goes through
 *     the same confirmation.
 * The answer is never a culprit the evidence does not carry: when the
 * budget ran out or the confirmation stayed inconclusive the status is
 * INCONCLUSIVE or BUDGET, lo..hi is the range still in doubt and the
 * reason says why (and whether the ground moved).
 *
 * Improvement hunts ("which commit made it faster?"): the engine bisects
 * a change from old (the "good" endpoint) to new (the "bad" one) and does
 * not care which way users prefer. direction is the way the metric
 * moved from old to new. A regression hunt on CPU is +1 and on goodput
 * -1; to hunt an improvement the caller swaps the terms (old = slow,
 * new = fast: good endpoint = the old commit, bad endpoint = the new
 * one) and gives the direction of the improvement: -1 for CPU that fell,
 * +1 for goodput that rose. The threshold is the size of the change, as
 * always > 0. Words like "bad" and "culprit" below mean "new behaviour"
 * and "the commit that brought it".
 */

#define BISECT_GOOD_END (-1L)

enum bisect_status {
	BISECT_RUNNING = 0,
	BISECT_CULPRIT,		/* culprit named and confirmed against its parent */
	BISECT_RANGE,		/* the culprit is one of [lo, hi]: unbuildable commits between */
	BISECT_NOT_REPRODUCED,	/* bad is not worse than good by the threshold */
	BISECT_INCONCLUSIVE,	/* the statistics could not decide: [lo, hi] still in doubt */
	BISECT_BUDGET		/* runs or builds ran out; [lo, hi] still in doubt */
};

enum bisect_verdict {
	VERDICT_UNTESTED = 0,
	VERDICT_GOOD,
	VERDICT_BAD,
	VERDICT_SKIP,		/* unbuildable or unmeasurable */
	VERDICT_INCONCLUSIVE	/* measured, the posterior cannot call it yet */
};

const char *bisect_status_name(enum bisect_status s);	/* "culprit", ... */
const char *bisect_verdict_name(enum bisect_verdict v);	/* "good", ... */

struct engine_config {
	size_t n;		/* candidates (commits in the range, bad included) */
	/*
	 * Ancestry as in struct bisect_revs (anc, words), or NULL for a
	 * linear range. Borrowed: must outlive the engine.
	 */
	const uint64_t *anc;
	size_t words;
	int direction;		/* +1: new is higher than old (CPU regression); -1: lower */
	double threshold;	/* relative change that matters, > 0 (0.05 = 5%) */
	unsigned k;		/* lanes: DUTs measuring side by side, probes per round, >= 1 */
	unsigned max_runs;	/* total runs budget, failed runs included */
	unsigned max_builds;	/* distinct commits measured, endpoints included */
	unsigned confirm_runs;	/* blocks (runs per side) at the first look (>= 2) */
	unsigned max_side_runs;	/* blocks at the last look (endpoints, confirmation) */
	double confidence;	/* posterior mass needed to name a culprit (0.99) */
	uint64_t seed;		/* orders every block (A B or B A); journaled */
};

/* Defaults for n candidates: threshold 0.05, direction +1, k 1, ... */
void engine_config_init(struct engine_config *out, size_t n);

/*
 * What to measure: runs runs of commit (an index or BISECT_GOOD_END),
 * back to back on lane's DUT after one deploy (the engine counts every
 * request as its own boot: a lab whose boots differ should deploy anew
 * even when the DUT already runs the commit; keeping the boot is
 * harmless when they do not), as part of block.
 */
struct engine_request {
	long commit;
	unsigned runs;
	const char *why;	/* "endpoint", "control", "probe", "confirm" (static) */
	unsigned block;		/* the block the runs belong to: 0, 1, 2 ... over the bisection */
	unsigned lane;		/* 0..k-1: which DUT; a lane's blocks in order on one DUT */
};

struct engine;

/* A new engine; NULL after error() on a bad configuration. */
struct engine *engine_new(const struct engine_config *c);
void engine_free(struct engine *e);	/* NULL-safe */

/*
 * The next round: fills out[0..max) and returns how many requests
 * (0: done, see engine_result). The requests come lane by lane, lane 0
 * first, and within a lane in measuring order: the caller measures a
 * lane's requests one after the other on one DUT (lanes side by side on
 * k DUTs; with fewer DUTs, one lane after the other), each request's
 * runs back to back, and reports every run with engine_observe_block
 * and the request's block. A round is one block per lane (2 to 4
 * requests), or, for a look of the endpoints or of the confirmation,
 * several pair blocks per lane: never more than
 * ENGINE_MAX_REQUESTS(config) requests. With a smaller out[] the first
 * max come, and the rest on the next calls (engine_round unchanged).
 * While runs of the current round are outstanding it returns what is
 * left of that round, in the same order (so a resumed controller
 * finishes the round).
 */
#define ENGINE_MAX_REQUESTS(c) (2 * ((size_t)(c)->max_side_runs + 2 * (size_t)(c)->k))
int engine_next(struct engine *e, struct engine_request *out, size_t max);
/* The round number of the last engine_next that planned a new round (1-based). */
unsigned engine_round(const struct engine *e);

/*
 * One run of commit measured in block (as its request said): value of
 * the metric, NaN for a failed run or one lost with its DUT (it counts
 * in the budget; a commit whose runs keep failing, in two requests or
 * more, is skipped). A run of a block that has no request for commit,
 * or of a block not planned yet, is an error.
 */
int engine_observe_block(struct engine *e, long commit, unsigned block, double value);
/*
 * The same without a block (journals written before blocks, callers
 * that measure the requests in the order given): the run goes to the
 * first request of commit in the current round with runs still due, in
 * the order engine_next gave them; with none, to a block of its own
 * (used, but it has no control).
 */
int engine_observe(struct engine *e, long commit, double value);
/* commit cannot be built or booted: skip it (git bisect skip). */
int engine_unbuildable(struct engine *e, long commit);

struct engine_commit {
	enum bisect_verdict verdict;
	double p_bad;		/* posterior chance the commit is bad, NaN if untested */
	unsigned runs;		/* runs, failed included */
	double median;		/* median of its values, NaN if none */
};

struct engine_result {
	enum bisect_status status;
	long culprit;		/* index, or -1 */
	/*
	 * The range holding the culprit: == culprit when named, the class
	 * of a RANGE, and for INCONCLUSIVE and BUDGET the smallest range
	 * around the likeliest culprit that holds config.confidence of the
	 * posterior (the range still in doubt); -1 if none.
	 */
	long lo, hi;
	double confidence;	/* stated: posterior mass of [lo, hi] (NaN before probing) */
	double ratio;		/* culprit/parent (or bad/good) Hodges-Lehmann ratio, NaN if none */
	double ratio_lo, ratio_hi; /* its interval */
	double p;		/* the last verdict's one-sided p */
	unsigned runs;		/* runs used, failed included */
	unsigned builds;	/* distinct commits measured (or found unbuildable) */
	unsigned rounds;	/* rounds planned */
	unsigned blocks;	/* blocks planned */
	unsigned boots;		/* requests with a run reported (each one deploy) */
	/*
	 * The ground: did the controls (the good endpoint of every block,
	 * the parent in the confirmation) move beyond their noise during the
	 * bisection? p_ground is the posterior chance that they did (NaN
	 * before probing), ground_moved is p_ground >= 0.95, ground_shift
	 * the relative move of the ground from the first block to the last
	 * (0.03: 3% in the direction of the change, NaN if unknown).
	 * The engine has accounted for it either way; the reason says so.
	 */
	int ground_moved;
	double p_ground;
	double ground_shift;
	size_t *skipped;	/* unbuildable/unmeasurable indexes, ascending (owned) */
	size_t nskipped;
	struct engine_commit good_end;	/* the good endpoint */
	struct engine_commit *commits;	/* [n] (owned) */
	size_t n;
	char reason[384];	/* why this status, and the ground if it moved */
};

/* The state now (also while running). Release with engine_result_release. */
int engine_result(const struct engine *e, struct engine_result *out);
void engine_result_release(struct engine_result *r);

/* The configuration the engine runs with (for the journal). */
const struct engine_config *engine_get_config(const struct engine *e);

#endif
