#ifndef BISECT_ENGINE_H
#define BISECT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The bisection engine: pure (no I/O, no clock), fed run-level
 * measurements, deterministic. The same sequence of engine_next /
 * engine_observe / engine_unbuildable calls gives the same answers on
 * every host, so resuming is replaying the journal into a fresh engine.
 *
 * Candidates are indexes 0..n-1 in revs order (bisect/revs.h): index
 * n - 1 is the bad commit, and "the first bad commit is c" means every
 * commit reaching c is bad and every other one good. The good endpoint
 * (the first good commit) is index BISECT_GOOD_END.
 *
 * How it decides (chosen by simulation, `perflab bisect simulate`):
 *  1. Endpoints: the good and bad endpoints are measured in interleaved
 *     batches and judged with stats_verdict at sequential looks
 *     (10, 20, 40 runs per side). GOOD ends with NOT_REPRODUCED,
 *     INCONCLUSIVE at the last look with INCONCLUSIVE: no culprit.
 *  2. Probes: one posterior over the position of the first bad commit,
 *     fed by every run of every commit (a robust likelihood: normal with
 *     a 5% outlier component, levels and scale re-estimated from the
 *     runs each round). Each round probes the commit(s) whose chance of
 *     being bad is nearest 1/2 (k probes: nearest j/(k+1)), so with no
 *     noise it picks git's midpoint; a commit already built is simply
 *     measured again when that helps most.
 *  3. Confirmation: when one culprit (or one class of candidates that
 *     unbuildable commits make indistinguishable: a RANGE) holds the
 *     posterior's confidence, it is measured against its parent until
 *     both have at least confirm_runs runs and stats_verdict says BAD.
 *     A GOOD there sends it back to probing.
 */

#define BISECT_GOOD_END (-1L)

enum bisect_status {
	BISECT_RUNNING = 0,
	BISECT_CULPRIT,		/* culprit named and confirmed against its parent */
	BISECT_RANGE,		/* the culprit is one of [lo, hi]: unbuildable commits between */
	BISECT_NOT_REPRODUCED,	/* bad is not worse than good by the threshold */
	BISECT_INCONCLUSIVE,	/* the statistics could not decide */
	BISECT_BUDGET		/* runs or builds ran out; range is the best guess */
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
	int direction;		/* +1: higher is worse (CPU); -1: lower is worse (goodput) */
	double threshold;	/* relative change that matters, > 0 (0.05 = 5%) */
	unsigned k;		/* probes per round (DUTs), >= 1 */
	unsigned max_runs;	/* total runs budget, failed runs included */
	unsigned max_builds;	/* distinct commits measured, endpoints included */
	unsigned confirm_runs;	/* runs per side before a culprit is named (>= 10) */
	unsigned max_side_runs;	/* runs per side at the last look (endpoints, confirmation) */
	double confidence;	/* posterior mass needed to name a culprit (0.99) */
	uint64_t seed;		/* for any randomised choice (none today); journaled */
};

/* Defaults for n candidates: threshold 0.05, direction +1, k 1, ... */
void engine_config_init(struct engine_config *out, size_t n);

/* What to measure: runs runs of commit (an index or BISECT_GOOD_END). */
struct engine_request {
	long commit;
	unsigned runs;
	const char *why;	/* "endpoint", "probe", "confirm" (static) */
};

struct engine;

/* A new engine; NULL after error() on a bad configuration. */
struct engine *engine_new(const struct engine_config *c);
void engine_free(struct engine *e);	/* NULL-safe */

/*
 * The next round: fills out[0..max) and returns how many requests
 * (0: done, see engine_result). A round has at most max(k, 2) requests:
 * the endpoint and confirmation rounds compare two commits, whose runs
 * the caller interleaves (ABAB) when it has fewer DUTs than requests.
 * While runs of the current round are outstanding it returns what is
 * left of that round (so a resumed controller finishes the round).
 */
int engine_next(struct engine *e, struct engine_request *out, size_t max);
/* The round number of the last engine_next that planned a new round (1-based). */
unsigned engine_round(const struct engine *e);

/*
 * One run of commit: value of the metric, NaN for a failed run (it
 * counts in the budget; a commit whose runs mostly fail is skipped).
 * Runs of commits outside the round are accepted and used.
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
	long lo, hi;		/* range holding the culprit (== culprit when named), -1 if none */
	double confidence;	/* stated: posterior mass of [lo, hi] (NaN before probing) */
	double ratio;		/* culprit/parent (or bad/good) Hodges-Lehmann ratio, NaN if none */
	double ratio_lo, ratio_hi; /* its interval */
	double p;		/* the last verdict's one-sided p */
	unsigned runs;		/* runs used, failed included */
	unsigned builds;	/* distinct commits measured (or found unbuildable) */
	unsigned rounds;	/* rounds planned */
	size_t *skipped;	/* unbuildable/unmeasurable indexes, ascending (owned) */
	size_t nskipped;
	struct engine_commit good_end;	/* the good endpoint */
	struct engine_commit *commits;	/* [n] (owned) */
	size_t n;
	char reason[256];	/* one sentence: why this status */
};

/* The state now (also while running). Release with engine_result_release. */
int engine_result(const struct engine *e, struct engine_result *out);
void engine_result_release(struct engine_result *r);

/* The configuration the engine runs with (for the journal). */
const struct engine_config *engine_get_config(const struct engine *e);

#endif
