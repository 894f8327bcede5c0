#ifndef BISECT_BISECT_H
#define BISECT_BISECT_H

/*
 * Bisection: the API the commands use. revs (ranges, git's midpoint),
 * engine (the noisy decision), journal (JSON lines, replay) and knobs
 * (delta debugging) are below; this file adds a bisection's state
 * directory, RESULTS/bisect/<id>/ with state.json and journal.ndjson,
 * and RESULTS/bisect/CURRENT naming the current one (like git's
 * BISECT_START).
 *
 * The automatic loop (perflab bisect run) is:
 *
 *	bisect_create(&b, &opts)              (or bisect_resume(&b, results))
 *	while ((n = bisect_next(&b, req, max)) > 0)
 *		for each req[i], req[i].runs times:
 *			measure bisect_commit_id(&b, req[i].commit):
 *			bisect_record(&b, req[i].commit, value, run_dir)
 *			or, if it cannot be built: bisect_record_unbuildable(...)
 *	bisect_finish(&b, &res)               (journals the result)
 *	bisect_release(&b)
 *
 * Every call that changes state journals first and fsyncs, so kill -9
 * at any point followed by bisect_resume continues with the same plan.
 */
#include "bisect/engine.h"
#include "bisect/journal.h"
#include "bisect/knobs.h"
#include "bisect/revs.h"

/*
 * The state directory (bisect/bisect.c) and the manual, git-bisect-like
 * verdicts (bisect/manual.c).
 */
struct bisect_opts {
	const char *results;	/* results directory ("results") */
	const char *repo;	/* repository holding the range */
	const char *bad;	/* revision */
	char *const *goods;	/* revisions */
	size_t ngoods;
	int first_parent;
	const char *metric;	/* "cpu", "goodput", ... (journaled, not interpreted) */
	const char *job;	/* job file, or NULL (journaled, not interpreted) */
	struct engine_config engine; /* n, anc and words are filled by bisect_create */
};

struct bisect {
	char *dir;		/* RESULTS/bisect/<id> (owned) */
	char *id;		/* <id>: UTC time and the bad commit's short id (owned) */
	char *repo;		/* repository, an absolute path (owned) */
	char *results;		/* the results directory, an absolute path (owned) */
	char *metric;		/* (owned, may be NULL) */
	char *job;		/* an absolute path (owned, may be NULL) */
	struct bisect_revs revs;	/* the range */
	struct engine *engine;		/* NULL in a manual (human) bisection */
	struct journal journal;
	unsigned round;			/* of the requests being measured */
	enum bisect_verdict *last;	/* [n] verdicts journaled so far (owned) */
	/* manual bisection (good/bad/skip by hand), as git bisect: */
	char *bad;			/* current bad id (owned) */
	char **goods;			/* good ids (owned, NULL-terminated) */
	char **skips;			/* skipped ids (owned, NULL-terminated) */
	unsigned steps;			/* verdicts given by hand */
};

/*
 * Start a bisection: load the range, create RESULTS/bisect/<id>/ with
 * state.json and the journal's start line, point CURRENT at it. Without
 * with_engine it is a manual bisection (good/bad/skip by hand, no
 * engine); with it the engine is configured from opts->engine (n and
 * ancestry filled here from the range).
 */
int bisect_create(struct bisect *out, const struct bisect_opts *opts, int with_engine);
/*
 * Open the current bisection of results (CURRENT), reload its range and
 * replay its journal into a fresh engine, to continue it: the journal is
 * opened to append, a torn last line cut (journal_open). PERFLAB_ENOTFOUND
 * when none.
 */
int bisect_resume(struct bisect *out, const char *results);
/*
 * The same to look at it (status): nothing is written, the journal is
 * not opened (b->journal.fd stays -1).
 */
int bisect_read(struct bisect *out, const char *results);
void bisect_release(struct bisect *b);
/*
 * The id CURRENT names (owned), or NULL: errno ENOENT when there is no
 * bisection in progress, else after error().
 */
char *bisect_current(const char *results);
/* Remove CURRENT (the state directory stays for log and replay). */
int bisect_reset(const char *results);

/* The id of a commit index (BISECT_GOOD_END: the first good). */
const char *bisect_commit_id(const struct bisect *b, long commit);

/* engine_next, journaling a new round. 0: done. */
int bisect_next(struct bisect *b, struct engine_request *out, size_t max);
/* engine_observe / engine_unbuildable, journaled (and verdict changes). */
int bisect_record(struct bisect *b, long commit, double value, const char *run_dir);
/*
 * engine_observe_block: a run of commit measured in block (its request's),
 * NaN for a run that failed or was lost with its DUT; journaled.
 */
int bisect_record_block(struct bisect *b, long commit, unsigned block, double value,
			const char *run_dir);
int bisect_record_unbuildable(struct bisect *b, long commit);
/* engine_result, journaled as the result line once finished. */
int bisect_finish(struct bisect *b, struct engine_result *out);

/*
 * Manual verdicts (git bisect good/bad/skip): rev (NULL: the commit
 * bisect_manual_next would test) is marked, journaled and state.json
 * rewritten. Then *next gets the commit to test (index into the new
 * range, -1 when done) and *done is set when the first bad commit is
 * known (b->bad), or 2 when only skipped commits are left.
 */
int bisect_manual(struct bisect *b, enum bisect_verdict v, const char *rev);
long bisect_manual_next(struct bisect *b, int *done);
/*
 * When bisect_manual_next says only skipped commits are left (done 2):
 * the indexes of the commits the first bad one could be, in git's order
 * (the skipped ones as git lists them, then the bad one if not skipped).
 * out has room for b->revs.n. Returns how many.
 */
size_t bisect_manual_suspects(const struct bisect *b, size_t *out);
/*
 * git's "Bisecting: N revisions left to test after this (roughly K
 * steps)" for the commit bisect_manual_next proposes: *left is N,
 * the return value K (git's estimate_bisect_steps over the range).
 */
int bisect_manual_estimate(const struct bisect *b, size_t *left);
/* git's estimate_bisect_steps: steps left for a range of all commits. */
int bisect_estimate_steps(size_t all);

/* Rewrite state.json from b (after the manual fields changed). */
int bisect_write_state(const struct bisect *b);
/*
 * Start a new bisection from a copy of an automatic bisection's journal
 * (perflab bisect replay): replayed into a fresh engine, written as the
 * journal of a new state directory of results, which becomes CURRENT.
 */
int bisect_import(struct bisect *out, const char *results, const char *journal,
		  const char *repo, const char *metric, const char *job);

#endif
