/*
 * The bisection engine: endpoints, then a posterior over the first bad
 * commit fed by every run, then the culprit against its parent. See
 * engine.h for the contract; simulate.c measures it.
 */
#include "bisect/engine.h"
#include "common/stats.h"
#include "common/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REQ 64
#define OUTLIER_P 0.05		/* weight of the broad component of the likelihood */
#define OUTLIER_WIDTH 5.0	/* its width, in sigmas */
#define SURE 0.98		/* p_bad beyond which a commit counts as bad (levels) */

enum phase { PH_ENDPOINTS, PH_PROBE, PH_CONFIRM, PH_DONE };

struct cdata {
	double *v;		/* valid values */
	size_t nv, alloc;
	unsigned runs;		/* runs, failed included */
	unsigned nan;		/* failed runs */
	int skip;		/* unbuildable or unmeasurable */
};

struct engine {
	struct engine_config c;
	struct cdata *cd;		/* [n + 1]; cd[0] is the good endpoint */
	enum phase phase;
	enum bisect_status status;
	char reason[256];
	struct engine_request req[MAX_REQ];	/* the round being measured */
	unsigned left[MAX_REQ];			/* runs still due per request */
	size_t nreq;
	unsigned round, runs, builds;
	struct stats_looks looks;	/* endpoints and confirmation */
	unsigned end_look, conf_look;
	double mu_g, mu_b, sigma;	/* levels and run noise */
	double *logp, *post, *pbad;	/* [n]: log posterior, posterior, P(bad) */
	long best, lo, hi;		/* MAP culprit and its class */
	double conf;			/* posterior mass of [lo, hi] */
	long conf_a, conf_b;		/* confirmation: parent side, culprit side */
	struct stats_verdict last;	/* last verdict (endpoints or confirmation) */
	int have_last;
};

static struct cdata *D(struct engine *e, long commit)
{
	return &e->cd[commit + 1];
}

static const struct cdata *CD(const struct engine *e, long commit)
{
	return &e->cd[commit + 1];
}

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
	out->max_side_runs = 40;
	out->confidence = 0.99;
	out->seed = 0x5eedb15ec7ULL;
}

struct engine *engine_new(const struct engine_config *c)
{
	struct engine *e;
	unsigned runs[4];

	if (!c->n)
		return error("bisect engine: an empty range"), NULL;
	if (c->direction != 1 && c->direction != -1)
		return error("bisect engine: direction %d is not +1 or -1", c->direction), NULL;
	if (!(c->threshold > 0) || c->threshold >= 1)
		return error("bisect engine: threshold %g is not in (0, 1)", c->threshold), NULL;
	if (!c->k || c->k > MAX_REQ / 2 || c->confirm_runs < 2 ||
	    c->max_side_runs < 2 * c->confirm_runs || !(c->confidence > 0.5 && c->confidence < 1))
		return error("bisect engine: bad configuration (k %u, confirm runs %u, "
			     "side runs %u, confidence %g)", c->k, c->confirm_runs,
			     c->max_side_runs, c->confidence), NULL;
	e = xcalloc(1, sizeof(*e));
	e->c = *c;
	e->cd = xcalloc(c->n + 1, sizeof(*e->cd));
	e->logp = xcalloc(c->n, sizeof(double));
	e->post = xcalloc(c->n, sizeof(double));
	e->pbad = xcalloc(c->n, sizeof(double));
	runs[0] = c->confirm_runs / 2;
	runs[1] = c->confirm_runs;
	runs[2] = 2 * c->confirm_runs;
	runs[3] = c->max_side_runs;
	stats_looks_init(&e->looks, STATS_ALPHA_DEFAULT, runs, 2 * c->confirm_runs < c->max_side_runs ? 4 : 3);
	e->conf_look = 1;	/* confirmation starts at confirm_runs per side */
	e->best = e->lo = e->hi = e->conf_a = e->conf_b = -1;
	e->conf = NAN;
	e->mu_g = e->mu_b = e->sigma = NAN;
	for (size_t i = 0; i < c->n; i++)
		e->post[i] = 1.0 / (double)c->n;
	for (size_t i = 0; i < c->n; i++)
		e->pbad[i] = 0.5;	/* unknown until the first posterior */
	return e;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i <= e->c.n; i++)
		free(e->cd[i].v);
	free(e->cd);
	free(e->logp);
	free(e->post);
	free(e->pbad);
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

/* Is c an ancestor of x (or x)? Linear when no ancestry was given. */
static int reaches(const struct engine *e, size_t x, size_t c)
{
	if (!e->c.anc)
		return c <= x;
	return (int)(e->c.anc[x * e->c.words + c / 64] >> (c % 64) & 1);
}

static void use_runs(struct engine *e, long commit)
{
	for (size_t i = 0; i < e->nreq; i++)
		if (e->req[i].commit == commit && e->left[i]) {
			e->left[i]--;
			return;
		}
}

static void count_build(struct engine *e, struct cdata *d)
{
	if (!d->runs && !d->skip)
		e->builds++;
}

int engine_observe(struct engine *e, long commit, double value)
{
	struct cdata *d;

	if (!valid_commit(e, commit))
		return error("bisect engine: no commit %ld in a range of %zu", commit, e->c.n);
	d = D(e, commit);
	count_build(e, d);
	d->runs++;
	e->runs++;
	use_runs(e, commit);
	if (isnan(value) || isinf(value)) {
		d->nan++;
		/* A commit whose runs mostly fail cannot be measured: a skip. */
		if (d->nan >= 3 && d->nan > 2 * d->nv)
			d->skip = 1;
		return 0;
	}
	ALLOC_GROW(d->v, d->nv + 1, d->alloc);
	d->v[d->nv++] = value;
	return 0;
}

int engine_unbuildable(struct engine *e, long commit)
{
	struct cdata *d;

	if (!valid_commit(e, commit))
		return error("bisect engine: no commit %ld in a range of %zu", commit, e->c.n);
	d = D(e, commit);
	count_build(e, d);
	d->skip = 1;
	for (size_t i = 0; i < e->nreq; i++)
		if (e->req[i].commit == commit)
			e->left[i] = 0;
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

/* --- levels and the posterior --------------------------------------- */

static double *collect(struct engine *e, int bad_side, size_t *n)
{
	double *v = NULL;
	size_t alloc = 0;

	*n = 0;
	for (long x = BISECT_GOOD_END; x < (long)e->c.n; x++) {
		const struct cdata *d = D(e, x);
		int is_bad = x == (long)e->c.n - 1 || (x >= 0 && e->pbad[x] > SURE);
		int is_good = x < 0 || (!is_bad && e->pbad[x] < 1 - SURE);

		if (d->skip || !d->nv || (bad_side ? !is_bad : !is_good))
			continue;
		ALLOC_GROW(v, *n + d->nv, alloc);
		memcpy(v + *n, d->v, d->nv * sizeof(double));
		*n += d->nv;
	}
	return v;
}

/* Levels of good and bad and the run noise, from the commits already called. */
static void estimate_levels(struct engine *e)
{
	size_t ng, nb;
	double *g = collect(e, 0, &ng), *b = collect(e, 1, &nb), *res;
	double mg = stats_median(g, ng), mb = stats_median(b, nb), s;

	res = xmalloc((ng + nb + 1) * sizeof(double));
	for (size_t i = 0; i < ng; i++)
		res[i] = g[i] - mg;
	for (size_t i = 0; i < nb; i++)
		res[ng + i] = b[i] - mb;
	s = stats_mad_scaled(res, ng + nb);
	if (!(s > 0))
		s = stats_stddev(res, ng + nb);
	if (!(s > 0))
		s = 1e-9 * (fabs(mg) + fabs(mb) + 1e-300);
	e->mu_g = mg;
	e->mu_b = mb;
	e->sigma = s;
	free(g);
	free(b);
	free(res);
}

/* log of the mixture density (up to a constant), in log space: never -inf. */
static double loglik(double y, double mu, double s)
{
	double z = (y - mu) / s, w = OUTLIER_WIDTH;
	double a = log(1 - OUTLIER_P) - 0.5 * z * z;
	double b = log(OUTLIER_P / w) - 0.5 * z * z / (w * w);

	return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}

static double llr(const struct engine *e, const struct cdata *d)
{
	double sum = 0;

	for (size_t i = 0; i < d->nv; i++)
		sum += loglik(d->v[i], e->mu_b, e->sigma) - loglik(d->v[i], e->mu_g, e->sigma);
	return sum;
}

static void normalize(struct engine *e)
{
	double max = -INFINITY, sum = 0;

	for (size_t c = 0; c < e->c.n; c++)
		if (e->logp[c] > max)
			max = e->logp[c];
	for (size_t c = 0; c < e->c.n; c++)
		sum += e->post[c] = exp(e->logp[c] - max);
	for (size_t c = 0; c < e->c.n; c++)
		e->post[c] /= sum;
}

static void posterior_linear(struct engine *e)
{
	double acc = 0;

	for (size_t i = e->c.n; i-- > 0;) {
		const struct cdata *d = CD(e, (long)i);

		if (!d->skip && d->nv)
			acc += llr(e, d);
		e->logp[i] = acc;
	}
	normalize(e);
	acc = 0;
	for (size_t x = 0; x < e->c.n; x++)
		e->pbad[x] = acc += e->post[x];
	for (size_t x = 0; x < e->c.n; x++)
		if (e->pbad[x] > 1)
			e->pbad[x] = 1;
}

static void posterior_dag(struct engine *e)
{
	memset(e->logp, 0, e->c.n * sizeof(double));
	for (size_t x = 0; x < e->c.n; x++) {
		const struct cdata *d = CD(e, (long)x);
		double l;

		if (d->skip || !d->nv)
			continue;
		l = llr(e, d);
		for (size_t c = 0; c < e->c.n; c++)
			if (reaches(e, x, c))
				e->logp[c] += l;
	}
	normalize(e);
	for (size_t x = 0; x < e->c.n; x++) {
		double m = 0;

		for (size_t c = 0; c < e->c.n; c++)
			if (reaches(e, x, c))
				m += e->post[c];
		e->pbad[x] = m > 1 ? 1 : m;
	}
}

static void posterior(struct engine *e)
{
	/* Two passes: levels from the calls of the previous posterior. */
	for (int pass = 0; pass < 2; pass++) {
		estimate_levels(e);
		if (e->c.anc)
			posterior_dag(e);
		else
			posterior_linear(e);
	}
}

/* Same verdict pattern over every measurable commit: indistinguishable. */
static int same_class(const struct engine *e, size_t a, size_t b)
{
	if (a == b)
		return 1;
	if (!e->c.anc) {
		size_t lo = a < b ? a : b, hi = a < b ? b : a;

		for (size_t x = lo; x < hi; x++)
			if (!CD(e, (long)x)->skip)
				return 0;
		return 1;
	}
	for (size_t x = 0; x < e->c.n; x++)
		if (!CD(e, (long)x)->skip && reaches(e, x, a) != reaches(e, x, b))
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

/* --- planning -------------------------------------------------------- */

static void add_req(struct engine *e, long commit, unsigned runs, const char *why)
{
	if (e->nreq == MAX_REQ || !runs)
		return;
	e->req[e->nreq] = (struct engine_request){ commit, runs, why };
	e->left[e->nreq++] = runs;
}

/* Runs still needed for commit to hold target valid values. */
static unsigned topup(const struct engine *e, long commit, unsigned target)
{
	const struct cdata *d = CD(e, commit);

	return d->nv >= target ? 0 : target - (unsigned)d->nv;
}

static int judge(struct engine *e, long a, long b, unsigned look)
{
	const struct cdata *da = CD(e, a), *db = CD(e, b);

	if (stats_verdict(&e->last, da->v, da->nv, db->v, db->nv,
			  e->c.threshold * e->c.direction, e->looks.alpha[look]) < 0)
		return -1;
	e->have_last = 1;
	return (int)e->last.outcome;
}

static int plan_pair(struct engine *e, long a, long b, unsigned look, const char *why)
{
	unsigned t = e->looks.runs[look];

	add_req(e, a, topup(e, a, t), why);
	add_req(e, b, topup(e, b, t), why);
	return (int)e->nreq;
}

static int unmeasurable_endpoint(struct engine *e)
{
	if (D(e, BISECT_GOOD_END)->skip || D(e, (long)e->c.n - 1)->skip) {
		finish(e, BISECT_INCONCLUSIVE, "an endpoint cannot be built or measured");
		return 1;
	}
	return 0;
}

static int step_endpoints(struct engine *e)
{
	long bad = (long)e->c.n - 1;
	unsigned t = e->looks.runs[e->end_look];
	int v;

	if (unmeasurable_endpoint(e))
		return 0;
	if (topup(e, BISECT_GOOD_END, t) || topup(e, bad, t))
		return plan_pair(e, BISECT_GOOD_END, bad, e->end_look, "endpoint");
	if ((v = judge(e, BISECT_GOOD_END, bad, e->end_look)) < 0) {
		finish(e, BISECT_INCONCLUSIVE, "the endpoints cannot be compared");
		return 0;
	}
	if (v == STATS_BAD) {
		e->phase = PH_PROBE;
		return -1;
	}
	if (v == STATS_GOOD) {
		finish(e, BISECT_NOT_REPRODUCED, "bad is not worse than good: %s", e->last.reason);
		return 0;
	}
	if (++e->end_look == e->looks.n) {
		finish(e, BISECT_INCONCLUSIVE, "the endpoints differ by less than the noise "
		       "can tell: %s", e->last.reason);
		return 0;
	}
	return -1;
}

/* Runs per probe: enough for one commit to move the odds about 50:1. */
static unsigned probe_runs(const struct engine *e)
{
	double delta = fabs(e->mu_b - e->mu_g) / e->sigma;
	double r = ceil(5.0 / (delta * delta));

	if (!(r >= 3))
		r = 3;
	return r > 20 ? 20 : (unsigned)r;
}

static int pick_probes(struct engine *e)
{
	unsigned k = e->c.k, runs = probe_runs(e);
	char *taken = xcalloc(e->c.n, 1);

	for (unsigned j = 1; j <= k; j++) {
		double target = (double)j / (k + 1), bd = INFINITY;
		long best = -1;

		for (size_t x = 0; x + 1 < e->c.n; x++) {
			double d = fabs(e->pbad[x] - target);

			if (taken[x] || CD(e, (long)x)->skip)
				continue;
			if (d < bd - 1e-12) {
				bd = d;
				best = (long)x;
			}
		}
		if (best < 0 || e->pbad[best] < 1e-9 || e->pbad[best] > 1 - 1e-9)
			continue;
		taken[best] = 1;
		add_req(e, best, runs, "probe");
	}
	free(taken);
	return (int)e->nreq;
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

		if (CD(e, (long)x)->skip || !reaches(e, (size_t)e->hi, x) || same_class(e, x, (size_t)e->lo))
			continue;
		for (size_t c = 0; c < e->c.n; c++)
			m += reaches(e, x, c);
		if (m > most) {
			most = m;
			a = (long)x;
		}
	}
	return a;
}

static int step_probe(struct engine *e)
{
	posterior(e);
	find_class(e);
	if (e->conf >= e->c.confidence) {
		e->phase = PH_CONFIRM;
		e->conf_a = parent_side(e);
		e->conf_b = e->hi;
		return -1;
	}
	if (pick_probes(e) == 0) {
		finish(e, BISECT_INCONCLUSIVE, "no commit left whose measurement would help");
		return 0;
	}
	return (int)e->nreq;
}

static int step_confirm(struct engine *e)
{
	long a = e->conf_a, b = e->conf_b, was = e->best;
	int v;

	if (topup(e, a, e->looks.runs[e->conf_look]) || topup(e, b, e->looks.runs[e->conf_look]))
		return plan_pair(e, a, b, e->conf_look, "confirm");
	if ((v = judge(e, a, b, e->conf_look)) < 0) {
		finish(e, BISECT_INCONCLUSIVE, "the culprit cannot be compared with its parent");
		return 0;
	}
	posterior(e);
	find_class(e);
	if (v == STATS_BAD && e->best == was && e->conf >= e->c.confidence) {
		if (e->lo == e->hi)
			finish(e, BISECT_CULPRIT, "worse than its parent: %s", e->last.reason);
		else
			finish(e, BISECT_RANGE, "the culprit is one of %ld commits that cannot "
			       "be told apart (unbuildable between them): %s",
			       e->hi - e->lo + 1, e->last.reason);
		return 0;
	}
	/* Not confirmed: more runs per side next time, or give up at the last look. */
	if (++e->conf_look == e->looks.n) {
		finish(e, BISECT_INCONCLUSIVE, "the likely culprit could not be confirmed "
		       "against its parent: %s", e->last.reason);
		return 0;
	}
	if (v != STATS_INCONCLUSIVE || e->best != was)
		e->phase = PH_PROBE;
	return -1;
}

static int over_budget(struct engine *e)
{
	if (e->runs < e->c.max_runs && e->builds < e->c.max_builds)
		return 0;
	if (e->phase != PH_ENDPOINTS) {
		posterior(e);
		find_class(e);
	}
	finish(e, BISECT_BUDGET, "the budget ran out (%u of %u runs, %u of %u builds)",
	       e->runs, e->c.max_runs, e->builds, e->c.max_builds);
	return 1;
}

static int plan(struct engine *e)
{
	int r = -1;

	e->nreq = 0;
	for (int guard = 0; r < 0 && e->phase != PH_DONE; guard++) {
		if (guard == 64) {
			finish(e, BISECT_INCONCLUSIVE, "the engine made no progress (a bug)");
			return 0;
		}
		if (over_budget(e))
			return 0;
		switch (e->phase) {
		case PH_ENDPOINTS:
			r = step_endpoints(e);
			break;
		case PH_PROBE:
			r = step_probe(e);
			break;
		case PH_CONFIRM:
			r = step_confirm(e);
			break;
		default:
			r = 0;
		}
	}
	if (r > 0)
		e->round++;
	return r > 0 ? r : 0;
}

static size_t outstanding(const struct engine *e, struct engine_request *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nreq && n < max; i++)
		if (e->left[i]) {
			out[n] = e->req[i];
			out[n++].runs = e->left[i];
		}
	return n;
}

int engine_next(struct engine *e, struct engine_request *out, size_t max)
{
	size_t n = outstanding(e, out, max);

	if (n)
		return (int)n;
	if (e->phase == PH_DONE || plan(e) == 0)
		return 0;
	return (int)outstanding(e, out, max);
}

/* --- the result ------------------------------------------------------ */

static void fill_commit(const struct engine *e, struct engine_commit *out, long x)
{
	const struct cdata *d = CD(e, x);
	double p = x < 0 ? 0 : e->pbad[x];

	out->runs = d->runs;
	out->median = d->nv ? stats_median(d->v, d->nv) : NAN;
	out->p_bad = d->nv && e->phase != PH_ENDPOINTS ? p : NAN;
	if (d->skip)
		out->verdict = VERDICT_SKIP;
	else if (!d->runs)
		out->verdict = VERDICT_UNTESTED;
	else if (x < 0)
		out->verdict = VERDICT_GOOD;
	else if (x == (long)e->c.n - 1 && e->phase != PH_ENDPOINTS)
		out->verdict = VERDICT_BAD;
	else if (e->phase == PH_ENDPOINTS || !d->nv)
		out->verdict = VERDICT_INCONCLUSIVE;
	else
		out->verdict = p > e->c.confidence ? VERDICT_BAD :
			       p < 1 - e->c.confidence ? VERDICT_GOOD : VERDICT_INCONCLUSIVE;
}

int engine_result(const struct engine *e, struct engine_result *out)
{
	memset(out, 0, sizeof(*out));
	out->status = e->status;
	out->culprit = e->status == BISECT_CULPRIT ? e->best : -1;
	out->lo = e->lo;
	out->hi = e->hi;
	out->confidence = e->phase == PH_ENDPOINTS || e->status == BISECT_NOT_REPRODUCED ?
			  NAN : e->conf;
	if (e->status == BISECT_NOT_REPRODUCED || (e->status == BISECT_INCONCLUSIVE && e->lo < 0))
		out->lo = out->hi = -1;
	out->ratio = e->have_last ? e->last.ratio : NAN;
	out->ratio_lo = e->have_last ? e->last.lo : NAN;
	out->ratio_hi = e->have_last ? e->last.hi : NAN;
	out->p = e->have_last ? e->last.p : NAN;
	out->runs = e->runs;
	out->builds = e->builds;
	out->rounds = e->round;
	out->n = e->c.n;
	out->commits = xcalloc(e->c.n, sizeof(*out->commits));
	out->skipped = xcalloc(e->c.n + 1, sizeof(size_t));
	fill_commit(e, &out->good_end, BISECT_GOOD_END);
	for (size_t x = 0; x < e->c.n; x++) {
		fill_commit(e, &out->commits[x], (long)x);
		if (CD(e, (long)x)->skip)
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
