#ifndef BISECT_ENGINE_INT_H
#define BISECT_ENGINE_INT_H

/*
 * The engine's state, shared by bisect/engine.c (planning, the API) and
 * bisect/model.c (the posterior). Not an API: nothing else includes it.
 */
#include "bisect/engine.h"
#include "common/stats.h"

#include <stddef.h>

/* One request: runs of one commit in one block (one deploy, one boot). */
struct eseg {
	long commit;
	unsigned block;		/* index into blocks */
	unsigned planned;	/* runs asked */
	unsigned left;		/* runs still due */
	unsigned nan;		/* failed or lost runs */
	double *v;		/* valid values, in the order measured (owned) */
	size_t nv, alloc;
	const char *why;
};

enum bkind { BK_PROBE, BK_CONFIRM, BK_EXTRA };

struct eblock {
	unsigned lane;
	unsigned round;
	enum bkind kind;
	double t;		/* lane time at its start: runs planned before it on its lane */
	size_t seg0, nseg;	/* its requests: segs[seg0 .. seg0 + nseg) */
	long a, b;		/* pair blocks: the reference (A) and the other side (B) */
};

struct ecommit {
	unsigned runs;		/* runs, failed included */
	unsigned nan;		/* failed runs */
	unsigned nv;		/* valid runs */
	unsigned failrounds;	/* rounds with a failed run */
	unsigned failround;	/* the last of them */
	int skip;		/* unbuildable or unmeasurable */
};

/* What the posterior says beyond the candidates' chances. */
struct emodel {
	double sigma;		/* run noise, metric units (posterior mode) */
	double tau2;		/* boot variance / sigma^2 at the best grid point */
	double q;		/* ground random walk variance per run / sigma^2, same */
	double p_ground;	/* posterior chance that the ground moves (q > 0) */
	double mu_g, mu_b;	/* levels at the likeliest culprit, metric units */
	double shift;		/* the ground's level at the last block - first, metric units */
	double center;		/* the good endpoint's median (scale of shift) */
	int valid;		/* fitted at least once */
};

enum phase { PH_SEARCH, PH_CONFIRM, PH_DONE };

struct engine {
	struct engine_config c;
	struct ecommit *cd;		/* [n + 1]; cd[0] is the good endpoint */
	struct eseg *segs;
	size_t nsegs, segalloc;
	struct eblock *blocks;
	size_t nblocks, blockalloc;
	size_t round_seg0;		/* the current round's requests: segs[round_seg0..] */
	double *lane_t;			/* [k] planned runs per lane so far */
	unsigned *lane_nb;		/* [k] pair/probe blocks per lane (ABBA quartets) */
	int *lane_afirst;		/* [k] the last block's order: reference first */
	enum phase phase;
	enum bisect_status status;
	char reason[384];
	unsigned round, runs, builds, boots;
	int ends_bad;			/* the endpoints were judged BAD */
	struct stats_looks looks;	/* endpoints */
	struct stats_looks clooks;	/* confirmation */
	unsigned end_look, conf_look;
	double *logp, *post, *pbad;	/* [n]: log posterior, posterior, P(bad) */
	long best, lo, hi;		/* MAP culprit and its class */
	double conf;			/* posterior mass of [lo, hi] */
	long conf_a, conf_b;		/* confirmation: parent side, culprit side */
	double conf_scale;		/* ... its looks' alpha x this (confirm_alpha) */
	int pair_bad;			/* ... found BAD: the posterior's doubt is left */
	struct stats_verdict pair_verdict;	/* ... that verdict */
	struct stats_verdict last;	/* last verdict (endpoints or confirmation) */
	int have_last;
	struct emodel m;
};

static inline struct ecommit *engine_cd(struct engine *e, long commit)
{
	return &e->cd[commit + 1];
}

static inline const struct ecommit *engine_ccd(const struct engine *e, long commit)
{
	return &e->cd[commit + 1];
}

/* Is c an ancestor of x (or x)? Linear when no ancestry was given. */
int engine_reaches(const struct engine *e, size_t x, size_t c);

/*
 * The posterior over the first bad commit from every usable run
 * (bisect/model.c): fills logp, post, pbad and m.
 */
void model_fit(struct engine *e);

#endif
