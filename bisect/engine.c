/*
 * The bisection engine: endpoints, then a posterior over the first bad
 * commit fed by every run, then the culprit against its parent, all in
 * blocks that carry their own reference. See engine.h for the contract,
 * model.c for the posterior; simulate.c measures it.
 */
#include "bisect/engine-int.h"
#include "common/rand.h"
#include "common/stats.h"
#include "common/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENDS_ALPHA 0.05	/* endpoints: one-sided, spent over the looks (one of two gates) */
#define CONFIRM_ALPHA 0.05	/* culprit against parent: one-sided, spent over the looks, */
#define CONFIRM_ALPHA_MIN 0.005	/* ... scaled down to this when the posterior doubts the pair */
#define WRONG_BUDGET 0.004	/* the chance of a wrong culprit one confirmation may add */
#define GOOD_STRICT 0.2		/* GOOD before the last look: at alpha x this too */
#define CONF_ENTER 0.5		/* posterior mass of a class that sends it to confirmation */
#define PROBE_NATS 1.0		/* expected log odds one probe moves (sizes probes) */
#define PROBE_MIN 2		/* runs per probe, at least */
#define PROBE_MAX 4		/* and at most: more runs on one commit early are mostly wasted */
#define MOVED_P 0.95		/* posterior chance that the ground moved, to say so */
#define BIG_CONTROL_P 0.5	/* ... to give probes a control as large as themselves */
#define SCALE_DF 8		/* degrees of freedom of the pooled spread of pairs, to use it */
#define BUILD_PENALTY 0.25	/* a new build must be this much nearer 1/2 */

const char *bisect_status_name(enum bisect_status s)
{
	static const char *names[] = { "running", "culprit", "range", "not reproduced",
				       "inconclusive", "budget" };

	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

const char *bisect_verdict_name(enum bisect_verdict v)
{
	static const char *names[] = { "untested", "good", "bad", "skip", "inconclusive" };

	return (unsigned)v < ARRAY_SIZE(names) ? names[v] : "?";
}

void engine_config_init(struct engine_config *out, size_t n)
{
	memset(out, 0, sizeof(*out));
	out->n = n;
	out->direction = 1;
	out->threshold = 0.05;
	out->k = 1;
	out->max_runs = 400;
	out->max_builds = 40;
	out->confirm_runs = 10;
	out->max_side_runs = 60;
	out->confidence = 0.99;
	out->seed = 0x5eedb15ec7ULL;
}

/* Looks at first, first + step, ... up to last blocks, alpha spent Pocock-like. */
static void looks_init(struct stats_looks *l, unsigned first, unsigned step, unsigned last,
		       double alpha)
{
	unsigned runs[STATS_MAX_LOOKS];
	size_t nl;

	for (nl = 0; nl < ARRAY_SIZE(runs) - 1 && first + nl * step < last; nl++)
		runs[nl] = first + (unsigned)nl * step;
	runs[nl++] = last;
	stats_looks_init(l, alpha, runs, nl);
}

/* The confirmation's looks: every 3/5 of confirm_runs blocks (6 of 10), at least 2. */
static unsigned confirm_step(const struct engine_config *c)
{
	unsigned s = (3 * c->confirm_runs + 4) / 5;

	return s < 2 ? 2 : s;
}

static int config_ok(const struct engine_config *c)
{
	if (!c->n)
		return error("bisect engine: an empty range");
	if (c->direction != 1 && c->direction != -1)
		return error("bisect engine: direction %d is not +1 or -1", c->direction);
	if (!(c->threshold > 0) || c->threshold >= 1)
		return error("bisect engine: threshold %g is not in (0, 1)", c->threshold);
	if (!c->k || c->k > 64 || c->confirm_runs < 2 ||
	    c->max_side_runs < 2 * c->confirm_runs || c->max_side_runs > 1000 ||
	    !(c->confidence > 0.5 && c->confidence < 1))
		return error("bisect engine: bad configuration (k %u, confirm runs %u, "
			     "side runs %u, confidence %g)", c->k, c->confirm_runs,
			     c->max_side_runs, c->confidence);
	return 0;
}

/* The uniform prior over the culprit: a commit is bad with the share it reaches. */
static void prior(struct engine *e)
{
	for (size_t c = 0; c < e->c.n; c++)
		e->post[c] = 1.0 / (double)e->c.n;
	for (size_t x = 0; x < e->c.n; x++) {
		size_t m = 0;

		for (size_t c = 0; c < e->c.n; c++)
			m += engine_reaches(e, x, c);
		e->pbad[x] = (double)m / (double)e->c.n;
	}
}

struct engine *engine_new(const struct engine_config *c)
{
	struct engine *e;

	if (config_ok(c) < 0)
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->c = *c;
	e->cd = xcalloc(c->n + 1, sizeof(*e->cd));
	e->logp = xcalloc(c->n, sizeof(double));
	e->post = xcalloc(c->n, sizeof(double));
	e->pbad = xcalloc(c->n, sizeof(double));
	e->lane_t = xcalloc(c->k, sizeof(double));
	e->lane_nb = xcalloc(c->k, sizeof(unsigned));
	e->lane_afirst = xcalloc(c->k, sizeof(int));
	looks_init(&e->looks, c->confirm_runs, c->confirm_runs, c->max_side_runs, ENDS_ALPHA);
	/* the confirmation borrows the pairs' spread: its looks come sooner */
	looks_init(&e->clooks, confirm_step(c), confirm_step(c), c->max_side_runs, CONFIRM_ALPHA);
	e->best = e->lo = e->hi = e->conf_a = e->conf_b = -1;
	e->conf = NAN;
	e->m.p_ground = e->m.shift = e->m.sigma = NAN;
	prior(e);
	return e;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nsegs; i++)
		free(e->segs[i].v);
	free(e->segs);
	free(e->blocks);
	free(e->cd);
	free(e->logp);
	free(e->post);
	free(e->pbad);
	free(e->lane_t);
	free(e->lane_nb);
	free(e->lane_afirst);
	free(e);
}

const struct engine_config *engine_get_config(const struct engine *e)
{
	return &e->c;
}

unsigned engine_round(const struct engine *e)
{
	return e->round;
}

static int valid_commit(const struct engine *e, long commit)
{
	return commit >= BISECT_GOOD_END && commit < (long)e->c.n;
}

int engine_reaches(const struct engine *e, size_t x, size_t c)
{
	if (!e->c.anc)
		return c <= x;
	return (int)(e->c.anc[x * e->c.words + c / 64] >> (c % 64) & 1);
}

/* --- blocks and requests ------------------------------------------------ */

static size_t new_block(struct engine *e, unsigned lane, enum bkind kind, long a, long b)
{
	struct eblock *k;

	ALLOC_GROW(e->blocks, e->nblocks + 1, e->blockalloc);
	k = &e->blocks[e->nblocks];
	memset(k, 0, sizeof(*k));
	k->lane = lane;
	k->round = e->round + 1;
	k->kind = kind;
	k->t = e->lane_t[lane];
	k->seg0 = e->nsegs;
	k->a = a;
	k->b = b;
	return e->nblocks++;
}

static void new_seg(struct engine *e, size_t block, long commit, unsigned runs, const char *why)
{
	struct eseg *s;

	ALLOC_GROW(e->segs, e->nsegs + 1, e->segalloc);
	s = &e->segs[e->nsegs++];
	memset(s, 0, sizeof(*s));
	s->commit = commit;
	s->block = (unsigned)block;
	s->planned = s->left = runs;
	s->why = why;
	e->blocks[block].nseg++;
	e->lane_t[e->blocks[block].lane] += runs;
}

/*
 * The order of the lane's next block: ABBA quartets, the first block of
 * each quartet A B or B A by a coin from the seed and the block number.
 */
static int ref_first(struct engine *e, unsigned lane)
{
	int first;

	if (e->lane_nb[lane] % 2 == 0) {
		uint64_t s = e->c.seed ^ (0x9e3779b97f4a7c15ULL * (e->nblocks + 1));

		first = (int)(splitmix64(&s) >> 63);
	} else {
		first = !e->lane_afirst[lane];
	}
	e->lane_nb[lane]++;
	e->lane_afirst[lane] = first;
	return first;
}

/*
 * A block on lane: the inner requests xs[0..nx) (runs each), with the
 * good endpoint before them and, while the endpoints are undecided, the
 * bad one after them; or the other way round. A commit is measured
 * once per block: an inner request for an endpoint is left out.
 */
static void plan_block(struct engine *e, unsigned lane, enum bkind kind, const long *xs,
		       unsigned nx, unsigned runs, unsigned ctrl, int ends)
{
	long bad = (long)e->c.n - 1, seq[8];
	unsigned rs[8], n = 0;
	const char *ws[8], *iw = kind == BK_CONFIRM ? "confirm" : "probe";
	size_t b = new_block(e, lane, kind, nx ? xs[0] : bad, nx > 1 ? xs[1] : bad);
	int first = ref_first(e, lane);

	/* the confirmation's parent is its control: the good endpoint only for the ends' pairs */
	if (ends || kind != BK_CONFIRM)
		seq[n] = BISECT_GOOD_END, rs[n] = ctrl, ws[n++] = ends ? "endpoint" : "control";
	for (unsigned i = 0; i < nx && n < 7; i++)
		if ((xs[i] != BISECT_GOOD_END || !n) && (!ends || xs[i] != bad))
			seq[n] = xs[i], rs[n] = runs, ws[n++] = iw;
	if (ends)
		seq[n] = bad, rs[n] = 1, ws[n++] = "endpoint";
	for (unsigned i = 0; i < n; i++) {
		unsigned j = first ? i : n - 1 - i;

		new_seg(e, b, seq[j], rs[j], ws[j]);
	}
}

/*
 * The values of the blocks holding both a and b (of kind, or any kind
 * when kind is BK_EXTRA), each side the median of its runs there.
 */
static size_t pair_values(const struct engine *e, enum bkind kind, long a, long b,
			  double **va, double **vb)
{
	size_t n = 0;

	*va = xmalloc((e->nblocks + 1) * sizeof(double));
	*vb = xmalloc((e->nblocks + 1) * sizeof(double));
	for (size_t i = 0; i < e->nblocks; i++) {
		const struct eblock *k = &e->blocks[i];
		double x = NAN, y = NAN;

		if (kind != BK_EXTRA && (k->kind != kind || k->a != a || k->b != b))
			continue;
		for (size_t s = k->seg0; s < k->seg0 + k->nseg; s++) {
			const struct eseg *g = &e->segs[s];

			if (!g->nv)
				continue;
			if (g->commit == a)
				x = stats_median(g->v, g->nv);
			else if (g->commit == b)
				y = stats_median(g->v, g->nv);
		}
		if (isnan(x) || isnan(y))
			continue;
		(*va)[n] = x;
		(*vb)[n++] = y;
	}
	return n;
}

/* --- observations -------------------------------------------------------- */

static void count_build(struct engine *e, struct ecommit *d)
{
	if (!d->runs && !d->skip)
		e->builds++;
}

static void record(struct engine *e, struct eseg *s, double value)
{
	struct ecommit *d = engine_cd(e, s->commit);

	count_build(e, d);
	if (!s->nv && !s->nan)
		e->boots++;
	d->runs++;
	e->runs++;
	if (s->left)
		s->left--;
	if (isnan(value) || isinf(value)) {
		unsigned round = e->blocks[s->block].round;

		if (round != d->failround)
			d->failrounds++;
		d->failround = round;
		s->nan++;
		d->nan++;
		/*
		 * A commit whose runs keep failing, in two rounds or more (a DUT
		 * lost mid-round takes all its runs of that round): a skip.
		 */
		if (d->nan >= 3 && d->nan > 2 * d->nv && d->failrounds >= 2)
			d->skip = 1;
		return;
	}
	ALLOC_GROW(s->v, s->nv + 1, s->alloc);
	s->v[s->nv++] = value;
	d->nv++;
}

int engine_observe_block(struct engine *e, long commit, unsigned block, double value)
{
	if (!valid_commit(e, commit))
		return error("bisect engine: no commit %ld in a range of %zu", commit, e->c.n);
	if (block >= e->nblocks)
		return error("bisect engine: no block %u (%zu planned)", block, e->nblocks);
	for (size_t i = e->blocks[block].seg0; i < e->blocks[block].seg0 + e->blocks[block].nseg; i++)
		if (e->segs[i].commit == commit) {
			record(e, &e->segs[i], value);
			return 0;
		}
	return error("bisect engine: block %u has no request for commit %ld", block, commit);
}

int engine_observe(struct engine *e, long commit, double value)
{
	size_t b;

	if (!valid_commit(e, commit))
		return error("bisect engine: no commit %ld in a range of %zu", commit, e->c.n);
	for (size_t i = e->round_seg0; i < e->nsegs; i++)
		if (e->segs[i].commit == commit && e->segs[i].left) {
			record(e, &e->segs[i], value);
			return 0;
		}
	/* a run outside the plan: a block of its own on lane 0, now */
	b = new_block(e, 0, BK_EXTRA, commit, commit);
	e->blocks[b].round = e->round;
	new_seg(e, b, commit, 0, "extra");
	record(e, &e->segs[e->nsegs - 1], value);
	e->lane_t[0]++;
	return 0;
}

int engine_unbuildable(struct engine *e, long commit)
{
	struct ecommit *d;

	if (!valid_commit(e, commit))
		return error("bisect engine: no commit %ld in a range of %zu", commit, e->c.n);
	d = engine_cd(e, commit);
	count_build(e, d);
	d->skip = 1;
	for (size_t i = e->round_seg0; i < e->nsegs; i++)
		if (e->segs[i].commit == commit)
			e->segs[i].left = 0;
	return 0;
}

static void finish(struct engine *e, enum bisect_status s, const char *fmt, ...)
	PRINTF(3, 4);

static void finish(struct engine *e, enum bisect_status s, const char *fmt, ...)
{
	va_list ap;

	e->status = s;
	e->phase = PH_DONE;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
}

/* --- the posterior's answer -------------------------------------------- */

/* Same verdict pattern over every measurable commit: indistinguishable. */
static int same_class(const struct engine *e, size_t a, size_t b)
{
	if (a == b)
		return 1;
	if (!e->c.anc) {
		size_t lo = a < b ? a : b, hi = a < b ? b : a;

		for (size_t x = lo; x < hi; x++)
			if (!engine_ccd(e, (long)x)->skip)
				return 0;
		return 1;
	}
	for (size_t x = 0; x < e->c.n; x++)
		if (!engine_ccd(e, (long)x)->skip &&
		    engine_reaches(e, x, a) != engine_reaches(e, x, b))
			return 0;
	return 1;
}

/* The MAP culprit, its class [lo, hi] and the class's mass. */
static void find_class(struct engine *e)
{
	size_t best = 0;

	for (size_t c = 1; c < e->c.n; c++)
		if (e->post[c] > e->post[best])
			best = c;
	e->best = (long)best;
	e->lo = e->hi = (long)best;
	e->conf = 0;
	for (size_t c = 0; c < e->c.n; c++) {
		if (!same_class(e, best, c))
			continue;
		e->conf += e->post[c];
		if ((long)c < e->lo)
			e->lo = (long)c;
		if ((long)c > e->hi)
			e->hi = (long)c;
	}
	if (e->conf > 1)
		e->conf = 1;
}

static void fit(struct engine *e)
{
	model_fit(e);
	find_class(e);
}

/* --- planning ------------------------------------------------------------ */

/*
 * A round plans one block per lane: the good endpoint as the control,
 * and (while the endpoints' verdict is open) the bad endpoint, around
 * what the phase needs: a probe, or the culprit's parent and the
 * culprit. The endpoints are judged whenever their pairs reach a look;
 * the answer is named only once they were found BAD.
 */

/* log(b / a) of every pair in va, vb (positive values only) into d; returns how many. */
static size_t log_ratios_of(const double *va, const double *vb, size_t n, double *d)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (va[i] > 0 && vb[i] > 0)
			d[m++] = log(vb[i] / va[i]);
	return m;
}

/* Append the log ratios of pair (a, b) in blocks of kind to the groups. */
static void add_group(const struct engine *e, enum bkind kind, long a, long b, double *d,
		      size_t *n, size_t *gs, size_t *ng)
{
	double *va, *vb;
	size_t m = pair_values(e, kind, a, b, &va, &vb);

	m = log_ratios_of(va, vb, m, d + *n);
	if (m >= 3) {
		gs[(*ng)++] = m;
		*n += m;
	}
	free(va);
	free(vb);
}

/*
 * The spread of one pair block's log ratio, pooled over every pair the
 * bisection measured (the endpoints', each confirmation's), each group
 * about its own mean, blocks beyond 3.5 robust sds left out; df its
 * degrees of freedom. NaN with too few.
 */
static double pair_scale(const struct engine *e, double *df)
{
	double *d = xmalloc((2 * e->nblocks + 1) * sizeof(double)), *dev, s1, ss = 0, scale = NAN;
	size_t *gs = xcalloc(e->nblocks + 2, sizeof(size_t)), n = 0, ng = 0, kept = 0;

	add_group(e, BK_EXTRA, BISECT_GOOD_END, (long)e->c.n - 1, d, &n, gs, &ng);
	for (size_t i = 0; i < e->nblocks; i++) {
		const struct eblock *k = &e->blocks[i];
		int seen = 0;

		for (size_t j = 0; j < i && !seen; j++)
			seen = e->blocks[j].kind == BK_CONFIRM && e->blocks[j].a == k->a &&
			       e->blocks[j].b == k->b;
		if (k->kind == BK_CONFIRM && !seen)
			add_group(e, BK_CONFIRM, k->a, k->b, d, &n, gs, &ng);
	}
	dev = xmalloc((n + 1) * sizeof(double));
	for (size_t g = 0, at = 0; g < ng; at += gs[g++]) {
		double med = stats_median(d + at, gs[g]);

		for (size_t i = at; i < at + gs[g]; i++)
			dev[i] = fabs(d[i] - med);
	}
	s1 = n ? STATS_MAD_SCALE * stats_median(dev, n) : NAN;
	for (size_t g = 0, at = 0; s1 > 0 && g < ng; at += gs[g++]) {
		double sum = 0, med = stats_median(d + at, gs[g]);
		size_t m = 0;

		for (size_t i = at; i < at + gs[g]; i++)
			if (fabs(d[i] - med) <= 3.5 * s1)
				sum += d[i], m++;
		for (size_t i = at; i < at + gs[g]; i++)
			if (fabs(d[i] - med) <= 3.5 * s1)
				ss += (d[i] - sum / m) * (d[i] - sum / m);
		kept += m > 0 ? m - 1 : 0;
	}
	*df = (double)kept;
	if (kept >= 2 && ss > 0)
		scale = sqrt(ss / (double)kept);
	free(d);
	free(dev);
	free(gs);
	return scale;
}

/*
 * The paired verdict on the blocks of kind for (a, b) at alpha; -1 on
 * error. The confirmation borrows the pairs' spread from every pair
 * block once there are enough of them; the endpoints use the
 * signed-rank test on their own blocks.
 */
static int judge_pairs(struct engine *e, struct stats_verdict *v, enum bkind kind,
		       long a, long b, double alpha)
{
	double *va, *vb, df = 0, scale = kind == BK_CONFIRM ? pair_scale(e, &df) : NAN;
	size_t n = pair_values(e, kind, a, b, &va, &vb);
	double t = e->c.threshold * e->c.direction;
	int r;

	if (scale > 0 && df >= SCALE_DF)
		r = stats_paired_verdict_scaled(v, va, vb, n, t, alpha, scale, df);
	else
		r = stats_paired_verdict(v, va, vb, n, t, alpha);
	free(va);
	free(vb);
	return r < 0 ? -1 : (int)v->outcome;
}

static size_t complete_pairs(const struct engine *e, enum bkind kind, long a, long b)
{
	double *va, *vb;
	size_t n = pair_values(e, kind, a, b, &va, &vb);

	free(va);
	free(vb);
	return n;
}

static int unmeasurable_endpoint(struct engine *e)
{
	if (engine_cd(e, BISECT_GOOD_END)->skip || engine_cd(e, (long)e->c.n - 1)->skip) {
		finish(e, BISECT_INCONCLUSIVE, "an endpoint cannot be built or measured");
		return 1;
	}
	return 0;
}

/*
 * GOOD at a look of alpha: kept only if it holds at a stricter level
 * too, so an effect at the threshold is rarely called "not reproduced"
 * at an early look.
 */
static int judge_good(struct engine *e, long bad, unsigned look)
{
	struct stats_verdict v;

	return judge_pairs(e, &v, BK_EXTRA, BISECT_GOOD_END, bad,
			   e->looks.alpha[look] * GOOD_STRICT) == STATS_GOOD;
}

/*
 * The endpoints' verdict when their pairs (every block holding both)
 * reach the next look: BAD sets ends_bad; 0 when that finished the
 * bisection (not reproduced, inconclusive).
 */
static int judge_ends(struct engine *e)
{
	long bad = (long)e->c.n - 1;
	int v;

	if (unmeasurable_endpoint(e))
		return 0;
	if (e->ends_bad ||
	    complete_pairs(e, BK_EXTRA, BISECT_GOOD_END, bad) < e->looks.runs[e->end_look])
		return 1;
	v = judge_pairs(e, &e->last, BK_EXTRA, BISECT_GOOD_END, bad, e->looks.alpha[e->end_look]);
	e->have_last = v >= 0;
	if (v < 0) {
		finish(e, BISECT_INCONCLUSIVE, "the endpoints cannot be compared");
		return 0;
	}
	if (v == STATS_BAD) {
		e->ends_bad = 1;
		return 1;
	}
	if (v == STATS_GOOD && (e->end_look + 1 == e->looks.n || judge_good(e, bad, e->end_look))) {
		finish(e, BISECT_NOT_REPRODUCED, "bad is not worse than good: %s", e->last.reason);
		return 0;
	}
	if (++e->end_look == e->looks.n) {
		finish(e, BISECT_INCONCLUSIVE, "the endpoints differ by less than the noise "
		       "can tell: %s", e->last.reason);
		return 0;
	}
	return 1;
}

/* Runs per probe: enough for one probe to move the odds about PROBE_NATS. */
static unsigned probe_runs(const struct engine *e)
{
	double delta = fabs(e->m.mu_b - e->m.mu_g) / e->m.sigma, den, r;

	if (!e->m.valid)
		return PROBE_MIN;
	if (!(delta > 0) || !isfinite(delta))
		return PROBE_MAX;
	/* a request of r runs: the level within sigma^2 (1 / r + tau2) */
	den = delta * delta / (2 * PROBE_NATS) - e->m.tau2;
	r = den > 1.0 / PROBE_MAX ? ceil(1 / den) : PROBE_MAX;
	return r < PROBE_MIN ? PROBE_MIN : r > PROBE_MAX ? PROBE_MAX : (unsigned)r;
}

/* The commit to probe for target chance of being bad, or -1. */
static long pick_one(const struct engine *e, const char *taken, double target)
{
	double bd = INFINITY;
	long best = -1;

	for (size_t x = 0; x + 1 < e->c.n; x++) {
		double d = fabs(e->pbad[x] - target);

		if (taken[x] || engine_ccd(e, (long)x)->skip ||
		    e->pbad[x] < 1e-9 || e->pbad[x] > 1 - 1e-9)
			continue;
		/* a commit not built yet costs a build: measure a built one again */
		if (!engine_ccd(e, (long)x)->runs)
			d += BUILD_PENALTY;
		if (d < bd - 1e-12) {
			bd = d;
			best = (long)x;
		}
	}
	return best;
}

/* Control runs: one, or as many as the probe's once the ground moves. */
static unsigned control_runs(const struct engine *e, unsigned runs)
{
	return e->m.valid && e->m.p_ground >= BIG_CONTROL_P ? runs : 1;
}

static int plan_probes(struct engine *e)
{
	unsigned k = e->c.k, runs = probe_runs(e), lanes = 0;
	char *taken = xcalloc(e->c.n, 1);

	for (unsigned l = 0; l < k; l++) {
		long x = pick_one(e, taken, (double)(l + 1) / (k + 1));

		if (x < 0)
			continue;
		taken[x] = 1;
		plan_block(e, lanes++, BK_PROBE, &x, 1, runs, control_runs(e, runs), !e->ends_bad);
	}
	free(taken);
	/* nothing left to probe, but the endpoints still open: their pairs alone */
	for (unsigned l = 0; !lanes && !e->ends_bad && l < k; l++)
		plan_block(e, l, BK_PROBE, NULL, 0, 0, 1, 1);
	return lanes || !e->ends_bad;
}

/* The commit on the good side of class [lo, hi]: its parent. */
static long parent_side(const struct engine *e)
{
	long a = BISECT_GOOD_END;
	size_t most = 0;

	if (!e->c.anc)
		return e->lo - 1;
	for (size_t x = 0; x < e->c.n; x++) {
		size_t m = 0;

		if (engine_ccd(e, (long)x)->skip || !engine_reaches(e, (size_t)e->hi, x) ||
		    same_class(e, x, (size_t)e->lo))
			continue;
		for (size_t c = 0; c < e->c.n; c++)
			m += engine_reaches(e, x, c);
		if (m > most) {
			most = m;
			a = (long)x;
		}
	}
	return a;
}

/*
 * The confirmation's level, from the posterior's doubt about the pair
 * when it is chosen: a pair the posterior is unsure of (often the
 * neighbour of the culprit) is wrong that often, and each of its looks
 * could pass by chance, so its fresh pairs must say more. Its chance of
 * naming a wrong culprit, doubt x alpha, stays near WRONG_BUDGET.
 */
static double confirm_alpha(const struct engine *e)
{
	double doubt = 1 - e->conf, a = doubt > 0 ? WRONG_BUDGET / doubt : CONFIRM_ALPHA;

	/* on moving ground the model is the weaker witness: ask the pairs for more */
	if (e->m.p_ground >= BIG_CONTROL_P)
		a /= 2;
	return a < CONFIRM_ALPHA_MIN ? CONFIRM_ALPHA_MIN : a > CONFIRM_ALPHA ? CONFIRM_ALPHA : a;
}

/* Confirmation of the class [lo, hi]: its first look needs new blocks. */
static void enter_confirm(struct engine *e)
{
	size_t have;

	e->phase = PH_CONFIRM;
	e->pair_bad = 0;
	e->conf_a = parent_side(e);
	e->conf_b = e->hi;
	have = complete_pairs(e, BK_CONFIRM, e->conf_a, e->conf_b);
	if (have >= e->clooks.runs[e->clooks.n - 1]) {
		/* judged at its last look already, and the posterior came back */
		finish(e, BISECT_INCONCLUSIVE, "the likeliest culprit was measured against its "
		       "parent %zu times and could not be confirmed: %s", have, e->last.reason);
		return;
	}
	for (e->conf_look = 0; e->clooks.runs[e->conf_look] <= have; e->conf_look++)
		;
	e->conf_scale = confirm_alpha(e) / CONFIRM_ALPHA;
}

static int has_data(const struct engine *e)
{
	return e->cd[0].nv && e->cd[e->c.n].nv;
}

/* The endpoints' first look: their blocks alone, spread over the lanes. */
static int plan_first_look(struct engine *e)
{
	size_t have = complete_pairs(e, BK_EXTRA, BISECT_GOOD_END, (long)e->c.n - 1);
	unsigned need, per;

	if (e->ends_bad || e->end_look || have >= e->looks.runs[0])
		return 0;
	need = e->looks.runs[0] - (unsigned)have;
	per = (need + e->c.k - 1) / e->c.k;
	for (unsigned l = 0; l < e->c.k; l++)
		for (unsigned i = 0; i < per; i++)
			plan_block(e, l, BK_PROBE, NULL, 0, 0, 1, 1);
	return 1;
}

/* Probing: the posterior, then confirmation or the next probes. */
static int step_search(struct engine *e)
{
	if (plan_first_look(e))
		return 1;
	if (has_data(e))
		fit(e);
	if (e->m.valid && (e->conf >= CONF_ENTER || e->conf >= e->c.confidence)) {
		enter_confirm(e);
		return e->phase == PH_DONE ? 0 : -1;
	}
	if (!plan_probes(e)) {
		finish(e, BISECT_INCONCLUSIVE, "no commit left whose measurement would help");
		return 0;
	}
	return 1;
}

static void name_culprit(struct engine *e)
{
	if (e->lo == e->hi)
		finish(e, BISECT_CULPRIT, "worse than its parent: %s", e->last.reason);
	else
		finish(e, BISECT_RANGE, "the culprit is one of %ld commits that cannot be told "
		       "apart (unbuildable between them): %s", e->hi - e->lo + 1, e->last.reason);
}

/* More confirmation blocks, one a lane: the parent, the culprit (and the endpoints). */
static void plan_confirm(struct engine *e, unsigned need)
{
	long xs[2] = { e->conf_a, e->conf_b };
	unsigned per = (need + e->c.k - 1) / e->c.k;

	if (!e->ends_bad)
		per = 1;	/* the endpoints' pairs come one a block, looks between */
	for (unsigned l = 0; l < e->c.k; l++)
		for (unsigned i = 0; i < per; i++)
			plan_block(e, l, BK_CONFIRM, xs, 2, 1, 1, !e->ends_bad);
}

/*
 * The pair was found BAD: what is left is the posterior's doubt, which
 * may lie elsewhere (a range probed too little): probe it, or wait for
 * the endpoints' verdict, and name the culprit once both hold.
 */
static int step_confirmed(struct engine *e)
{
	long was = e->best;

	fit(e);
	if (e->best != was || e->conf < CONF_ENTER) {
		e->phase = PH_SEARCH;
		e->pair_bad = 0;
		return -1;
	}
	if (e->conf >= e->c.confidence && e->ends_bad) {
		e->last = e->pair_verdict;
		name_culprit(e);
		return 0;
	}
	if (e->conf >= e->c.confidence || !plan_probes(e))
		plan_confirm(e, 1);	/* waiting for the endpoints' verdict */
	return 1;
}

static int step_confirm(struct engine *e)
{
	long a = e->conf_a, b = e->conf_b, was = e->best;
	size_t have = complete_pairs(e, BK_CONFIRM, a, b);
	unsigned want = e->clooks.runs[e->conf_look];
	int v;

	if (e->pair_bad)
		return step_confirmed(e);
	if (have < want) {
		plan_confirm(e, want - (unsigned)have);
		return 1;
	}
	v = judge_pairs(e, &e->last, BK_CONFIRM, a, b,
			e->clooks.alpha[e->conf_look] * e->conf_scale);
	e->have_last = v >= 0;
	if (v < 0) {
		finish(e, BISECT_INCONCLUSIVE, "the culprit cannot be compared with its parent");
		return 0;
	}
	fit(e);
	if (e->best != was || e->conf < CONF_ENTER || v == STATS_GOOD) {
		e->phase = PH_SEARCH;	/* the posterior moved, or no step here: probe again */
		return -1;
	}
	if (v == STATS_BAD) {
		e->pair_bad = 1;
		e->pair_verdict = e->last;
		return step_confirmed(e);
	}
	if (++e->conf_look == e->clooks.n) {
		finish(e, BISECT_INCONCLUSIVE, "the likely culprit could not be confirmed "
		       "against its parent: %s", e->last.reason);
		return 0;
	}
	return -1;
}

static int over_budget(struct engine *e)
{
	if (e->runs < e->c.max_runs && e->builds < e->c.max_builds)
		return 0;
	if (has_data(e))
		fit(e);
	finish(e, BISECT_BUDGET, "the budget ran out (%u of %u runs, %u of %u builds)",
	       e->runs, e->c.max_runs, e->builds, e->c.max_builds);
	return 1;
}

/* The ground in words, appended to the reason when it moved. */
static void say_ground(struct engine *e)
{
	size_t len = strlen(e->reason);

	if (!e->m.valid || !(e->m.p_ground >= MOVED_P))
		return;
	snprintf(e->reason + len, sizeof(e->reason) - len,
		 "; the ground moved under the lab (chance %.3f): the controls' level went "
		 "%+.1f%% from the first block to the last, and every probe was judged "
		 "against the control of its block", e->m.p_ground,
		 100 * e->m.shift / (e->m.center ? fabs(e->m.center) : 1));
}

static int plan(struct engine *e)
{
	int r = -1;

	e->round_seg0 = e->nsegs;
	if (!over_budget(e) && !judge_ends(e))
		r = 0;
	for (int guard = 0; r < 0 && e->phase != PH_DONE; guard++) {
		if (guard == 64) {
			finish(e, BISECT_INCONCLUSIVE, "the engine made no progress (a bug)");
			break;
		}
		r = e->phase == PH_SEARCH ? step_search(e) : step_confirm(e);
	}
	if (r > 0) {
		e->round++;
		return 1;
	}
	say_ground(e);
	return 0;
}

/* The current round's requests with runs due, lane by lane, in order. */
static size_t outstanding(const struct engine *e, struct engine_request *out, size_t max)
{
	size_t n = 0;

	for (unsigned l = 0; l < e->c.k; l++)
		for (size_t i = e->round_seg0; i < e->nsegs && n < max; i++) {
			const struct eseg *s = &e->segs[i];
			const struct eblock *k = &e->blocks[s->block];

			if (k->lane != l || !s->left || k->kind == BK_EXTRA)
				continue;
			out[n++] = (struct engine_request){ s->commit, s->left, s->why,
							    s->block, k->lane };
		}
	return n;
}

int engine_next(struct engine *e, struct engine_request *out, size_t max)
{
	size_t n = outstanding(e, out, max);

	if (n || !max)
		return (int)n;
	if (e->phase == PH_DONE || !plan(e))
		return 0;
	return (int)outstanding(e, out, max);
}

/* --- the result ---------------------------------------------------------- */

static double commit_median(const struct engine *e, long x)
{
	double *v = NULL, m;
	size_t n = 0, alloc = 0;

	for (size_t i = 0; i < e->nsegs; i++)
		if (e->segs[i].commit == x)
			for (size_t j = 0; j < e->segs[i].nv; j++) {
				ALLOC_GROW(v, n + 1, alloc);
				v[n++] = e->segs[i].v[j];
			}
	m = n ? stats_median(v, n) : NAN;
	free(v);
	return m;
}

static void fill_commit(const struct engine *e, struct engine_commit *out, long x)
{
	const struct ecommit *d = engine_ccd(e, x);
	double p = x < 0 ? 0 : e->pbad[x];

	out->runs = d->runs;
	out->median = commit_median(e, x);
	out->p_bad = d->nv && e->m.valid ? p : NAN;
	if (d->skip)
		out->verdict = VERDICT_SKIP;
	else if (!d->runs)
		out->verdict = VERDICT_UNTESTED;
	else if (x < 0)
		out->verdict = VERDICT_GOOD;
	else if (x == (long)e->c.n - 1 && e->ends_bad)
		out->verdict = VERDICT_BAD;
	else if (!e->m.valid || !d->nv)
		out->verdict = VERDICT_INCONCLUSIVE;
	else
		out->verdict = p > e->c.confidence ? VERDICT_BAD :
			       p < 1 - e->c.confidence ? VERDICT_GOOD : VERDICT_INCONCLUSIVE;
}

/* The smallest range around the likeliest culprit holding the confidence. */
static double doubt_range(const struct engine *e, long *lo, long *hi)
{
	double mass;

	*lo = *hi = e->best;
	mass = e->post[e->best];
	if (e->c.anc) {
		for (size_t c = 0; c < e->c.n; c++)
			if (e->post[c] >= 1e-3) {
				*lo = (long)c < *lo ? (long)c : *lo;
				*hi = (long)c > *hi ? (long)c : *hi;
			}
		mass = 0;
		for (long c = *lo; c <= *hi; c++)
			mass += e->post[c];
		return mass > 1 ? 1 : mass;
	}
	while (mass < e->c.confidence && (*lo > 0 || *hi + 1 < (long)e->c.n)) {
		double l = *lo > 0 ? e->post[*lo - 1] : -1, h = *hi + 1 < (long)e->c.n ?
			   e->post[*hi + 1] : -1;

		if (l >= h)
			mass += e->post[--*lo];
		else
			mass += e->post[++*hi];
	}
	return mass > 1 ? 1 : mass;
}

static void result_range(const struct engine *e, struct engine_result *out)
{
	int probed = e->m.valid && e->best >= 0;

	out->culprit = e->status == BISECT_CULPRIT ? e->best : -1;
	out->lo = probed ? e->lo : -1;
	out->hi = probed ? e->hi : -1;
	out->confidence = probed ? e->conf : NAN;
	if (e->status == BISECT_NOT_REPRODUCED || !probed) {
		out->lo = out->hi = -1;
		out->confidence = NAN;
	} else if (e->status == BISECT_INCONCLUSIVE || e->status == BISECT_BUDGET) {
		out->confidence = doubt_range(e, &out->lo, &out->hi);
	}
}

int engine_result(const struct engine *e, struct engine_result *out)
{
	memset(out, 0, sizeof(*out));
	out->status = e->status;
	result_range(e, out);
	out->ratio = e->have_last ? e->last.ratio : NAN;
	out->ratio_lo = e->have_last ? e->last.lo : NAN;
	out->ratio_hi = e->have_last ? e->last.hi : NAN;
	out->p = e->have_last ? e->last.p : NAN;
	out->runs = e->runs;
	out->builds = e->builds;
	out->rounds = e->round;
	out->blocks = (unsigned)e->nblocks;
	out->boots = e->boots;
	out->p_ground = e->m.valid ? e->m.p_ground : NAN;
	out->ground_moved = out->p_ground >= MOVED_P;
	out->ground_shift = e->m.valid && e->m.center ? e->m.shift / fabs(e->m.center) : NAN;
	out->n = e->c.n;
	out->commits = xcalloc(e->c.n, sizeof(*out->commits));
	out->skipped = xcalloc(e->c.n + 1, sizeof(size_t));
	fill_commit(e, &out->good_end, BISECT_GOOD_END);
	for (size_t x = 0; x < e->c.n; x++) {
		fill_commit(e, &out->commits[x], (long)x);
		if (engine_ccd(e, (long)x)->skip)
			out->skipped[out->nskipped++] = x;
	}
	snprintf(out->reason, sizeof(out->reason), "%s", e->reason);
	return 0;
}

void engine_result_release(struct engine_result *r)
{
	free(r->commits);
	free(r->skipped);
	r->commits = NULL;
	r->skipped = NULL;
}
