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
#define CONFIRM_ALPHA 0.05	/* culprit against parent: one-sided level */
#define GOOD_STRICT 0.2		/* GOOD before the last look: at alpha x this too */
#define TAB_Z 12.0		/* the mixture's log density is tabulated on [-TAB_Z, TAB_Z] */
#define TAB_STEP 64		/* points per sigma */
#define TAB_N ((size_t)(2 * TAB_Z * TAB_STEP) + 1)
#define GRID_STEP 8		/* level grid points per sigma */
#define PROBE_NATS 1.0		/* expected log odds one probe moves (runs per probe) */
#define BUILD_PENALTY 0.2	/* a new build must be this much nearer 1/2 */
#define PROBE_MIN 2		/* runs per probe, at least */
#define GRID_MIN 64
#define GRID_MAX 1024

enum phase { PH_ENDPOINTS, PH_PROBE, PH_CONFIRM, PH_DONE };

struct cdata {
	double *v;		/* valid values */
	unsigned *batch;	/* [nv]: the round each value was measured in (its boot) */
	size_t nv, alloc, balloc;
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
	double mu_g, mu_b, sigma;	/* levels (posterior means) and run noise */
	double tau2;			/* between-batch variance (boots), 0 if none seen */
	double *tab;			/* [TAB_N] log density of the run noise */
	double *grid, *ell;		/* level grid [ng], per-commit log likelihoods [(n + 1) * ng] */
	size_t ng, gridcap;
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
	out->max_side_runs = 60;
	out->confidence = 0.99;
	out->seed = 0x5eedb15ec7ULL;
}

struct engine *engine_new(const struct engine_config *c)
{
	struct engine *e;
	unsigned runs[STATS_MAX_LOOKS];
	size_t nl;

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
	/* Looks at confirm_runs, 2x, 3x ... per side, up to max_side_runs. */
	for (nl = 0; nl < ARRAY_SIZE(runs) - 1 && (nl + 1) * c->confirm_runs < c->max_side_runs; nl++)
		runs[nl] = (unsigned)(nl + 1) * c->confirm_runs;
	runs[nl++] = c->max_side_runs;
	stats_looks_init(&e->looks, STATS_ALPHA_DEFAULT, runs, nl);
	e->conf_look = 0;	/* confirmation starts at confirm_runs per side */
	e->best = e->lo = e->hi = e->conf_a = e->conf_b = -1;
	e->conf = NAN;
	e->mu_g = e->mu_b = e->sigma = NAN;
	for (size_t i = 0; i < c->n; i++)
		e->post[i] = 1.0 / (double)c->n;
	for (size_t i = 0; i < c->n; i++)
		e->pbad[i] = 0.5;	/* unknown until the first posterior */
	e->tab = xcalloc(TAB_N, sizeof(double));
	for (size_t i = 0; i < TAB_N; i++) {
		double z = -TAB_Z + (double)i / TAB_STEP, w = OUTLIER_WIDTH;
		double a = log(1 - OUTLIER_P) - 0.5 * z * z;
		double b = log(OUTLIER_P / w) - 0.5 * z * z / (w * w);

		e->tab[i] = a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
	}
	return e;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i <= e->c.n; i++) {
		free(e->cd[i].v);
		free(e->cd[i].batch);
	}
	free(e->tab);
	free(e->grid);
	free(e->ell);
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
	ALLOC_GROW(d->batch, d->nv + 1, d->balloc);
	d->batch[d->nv] = e->round;
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

/* --- noise, levels and the posterior --------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The run noise from differences of consecutive runs of one batch (one
 * commit, one round): free of the levels, whichever side a commit is.
 */
static double within_sigma(const struct engine *e)
{
	double *dv = NULL, s;
	size_t n = 0, alloc = 0;

	for (long x = BISECT_GOOD_END; x < (long)e->c.n; x++) {
		const struct cdata *d = CD(e, x);

		for (size_t i = 1; i < d->nv; i++) {
			if (d->batch[i] != d->batch[i - 1])
				continue;
			ALLOC_GROW(dv, n + 1, alloc);
			dv[n++] = fabs(d->v[i] - d->v[i - 1]);
		}
	}
	/* median |difference| of two N(0, s^2): 0.6745 * sqrt(2) s */
	s = n >= 3 ? stats_median(dv, n) / (0.6744897501960817 * M_SQRT2) : NAN;
	free(dv);
	return s;
}

/* Batch medians and sizes of commit x, in measuring order. */
static size_t batches(const struct cdata *d, double *med, size_t *m)
{
	size_t nb = 0;

	for (size_t i = 0; i < d->nv;) {
		size_t j = i;

		while (j < d->nv && d->batch[j] == d->batch[i])
			j++;
		med[nb] = stats_median(d->v + i, j - i);
		m[nb++] = j - i;
		i = j;
	}
	return nb;
}

/*
 * Between-batch variance (a boot's offset): consecutive batches of the
 * same commit differ more than their runs allow. Kept only when the
 * excess is clear (chi-square at 1%), so independent runs lose nothing.
 */
static double between_var(const struct engine *e, double s)
{
	double *z = NULL, *h = NULL, q = 0, med;
	size_t np = 0, alloc = 0, halloc = 0, nq;

	for (long x = BISECT_GOOD_END; x < (long)e->c.n; x++) {
		const struct cdata *d = CD(e, x);
		double *bm;
		size_t *m, nb;

		if (d->nv < 2)
			continue;
		bm = xmalloc(d->nv * sizeof(double));
		m = xmalloc(d->nv * sizeof(size_t));
		nb = batches(d, bm, m);
		for (size_t b = 1; b < nb; b++) {
			/* a median's variance is about pi/2 s^2 / m */
			double v = M_PI_2 * s * s * (1.0 / (double)m[b] + 1.0 / (double)m[b - 1]);
			double diff = bm[b] - bm[b - 1];

			ALLOC_GROW(z, np + 1, alloc);
			ALLOC_GROW(h, np + 1, halloc);
			z[np] = diff * diff / v;
			h[np++] = v;
		}
		free(bm);
		free(m);
	}
	if (np < 2) {
		free(z);
		free(h);
		return 0;
	}
	/* Drop the largest term (an outlier moves one batch), then chi-square. */
	qsort(z, np, sizeof(double), cmp_double);
	nq = np - 1;
	for (size_t i = 0; i < nq; i++)
		q += z[i];
	med = stats_median(h, np);
	free(z);
	free(h);
	/* chi-square(nq) 99th percentile, Wilson-Hilferty */
	{
		double k = (double)nq, t = 1 - 2 / (9 * k) + 2.326347874 * sqrt(2 / (9 * k));
		double crit = k * t * t * t;

		if (q <= crit + 1.0 * nq) /* a trimmed sum runs low: some slack */
			return 0;
	}
	return (q / (double)nq - 1) * med / 2;
}

/* Log density of one run at level mu (up to a constant), from the table. */
static double runlik(const struct engine *e, double y, double mu)
{
	double z = (y - mu) / e->sigma, t, f;
	size_t i;

	if (z <= -TAB_Z || z >= TAB_Z)
		return log(OUTLIER_P / OUTLIER_WIDTH) - 0.5 * z * z / (OUTLIER_WIDTH * OUTLIER_WIDTH);
	t = (z + TAB_Z) * TAB_STEP;
	i = (size_t)t;
	if (i + 1 >= TAB_N)
		return e->tab[TAB_N - 1];
	f = t - (double)i;
	return e->tab[i] + f * (e->tab[i + 1] - e->tab[i]);
}

/* The level grid: every commit's median within, 4 sigmas of margin. */
static void make_grid(struct engine *e)
{
	double lo = INFINITY, hi = -INFINITY, span;
	size_t ng;

	for (long x = BISECT_GOOD_END; x < (long)e->c.n; x++) {
		const struct cdata *d = CD(e, x);
		double m;

		if (d->skip || !d->nv)
			continue;
		m = e->c.direction * stats_median(d->v, d->nv);
		if (m < lo)
			lo = m;
		if (m > hi)
			hi = m;
	}
	lo -= 4 * e->sigma;
	hi += 4 * e->sigma;
	span = hi - lo;
	ng = (size_t)ceil(span / e->sigma * GRID_STEP) + 1;
	if (ng < GRID_MIN)
		ng = GRID_MIN;
	if (ng > GRID_MAX)
		ng = GRID_MAX;
	if (ng > e->gridcap) {
		e->grid = xrealloc(e->grid, ng * sizeof(double));
		e->ell = xrealloc(e->ell, (e->c.n + 1) * ng * sizeof(double));
		e->gridcap = ng;
	}
	e->ng = ng;
	for (size_t j = 0; j < ng; j++)
		e->grid[j] = lo + span * (double)j / (double)(ng - 1);
}

/*
 * ell[x] over the grid: log likelihood of commit x's runs at each level.
 * A batch of m runs counts as m / (1 + m tau2 / sigma^2) runs (a random
 * offset per boot; exact for normal runs).
 */
static double *commit_ell(struct engine *e, long x)
{
	const struct cdata *d = CD(e, x);
	double *l = e->ell + (size_t)(x + 1) * e->ng;

	memset(l, 0, e->ng * sizeof(double));
	for (size_t i = 0; i < d->nv;) {
		size_t j = i;
		double w;

		while (j < d->nv && d->batch[j] == d->batch[i])
			j++;
		w = 1 / (1 + (double)(j - i) * e->tau2 / (e->sigma * e->sigma));
		for (size_t g = 0; g < e->ng; g++) {
			double sum = 0;

			for (size_t r = i; r < j; r++)
				sum += runlik(e, e->c.direction * d->v[r], e->grid[g]);
			l[g] += w * sum;
		}
		i = j;
	}
	return l;
}

/*
 * log of the integral over levels g <= b (bad is no better than good) of
 * exp(G(g) + B(b)): both levels unknown, a flat prior on the grid. The
 * posterior means of the levels go to *mg and *mb when asked.
 */
static double marginal(const struct engine *e, const double *G, const double *B,
		       double *tmp, double *mg, double *mb)
{
	double ga = -INFINITY, ba = -INFINITY, suf = 0, tot = 0, sg = 0, sb = 0;
	size_t ng = e->ng;

	for (size_t j = 0; j < ng; j++) {
		if (G[j] > ga)
			ga = G[j];
		if (B[j] > ba)
			ba = B[j];
	}
	/* tmp[j]: sum over b >= grid[j] of exp(B - ba) */
	for (size_t j = ng; j-- > 0;)
		tmp[j] = suf += exp(B[j] - ba);
	for (size_t j = 0; j < ng; j++) {
		double w = exp(G[j] - ga) * tmp[j];

		tot += w;
		if (mg)
			sg += w * e->grid[j];
	}
	if (mb) {
		double pre = 0;

		/* b's weight: exp(B) times the G mass at or below it */
		for (size_t j = 0; j < ng; j++) {
			pre += exp(G[j] - ga);
			sb += pre * exp(B[j] - ba) * e->grid[j];
		}
		*mb = sb / tot;
		*mg = sg / tot;
	}
	return log(tot) + ga + ba;
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

static int measured(const struct engine *e, long x)
{
	const struct cdata *d = CD(e, x);

	return !d->skip && d->nv;
}

/* Linear: the sides of c are [good end, c) and [c, n); piecewise constant in c. */
static void posterior_linear(struct engine *e, double *G, double *B, double *tmp)
{
	size_t ng = e->ng;
	double lp = 0, *tot = xcalloc(ng, sizeof(double));

	for (long x = BISECT_GOOD_END; x < (long)e->c.n; x++)
		if (measured(e, x)) {
			const double *l = e->ell + (size_t)(x + 1) * ng;

			for (size_t j = 0; j < ng; j++)
				tot[j] += l[j];
		}
	memset(B, 0, ng * sizeof(double));
	/* walk c down: B holds the commits >= c, G the rest */
	for (long x = (long)e->c.n - 1; x >= 0; x--) {
		if (measured(e, x) || x == (long)e->c.n - 1) {
			const double *l = e->ell + (size_t)(x + 1) * ng;

			if (measured(e, x))
				for (size_t j = 0; j < ng; j++)
					B[j] += l[j];
			for (size_t j = 0; j < ng; j++)
				G[j] = tot[j] - B[j];
			lp = marginal(e, G, B, tmp, NULL, NULL);
		}
		e->logp[x] = lp;
	}
	free(tot);
	normalize(e);
	{
		double acc = 0;

		for (size_t x = 0; x < e->c.n; x++)
			e->pbad[x] = (acc += e->post[x]) > 1 ? 1 : acc;
	}
}

static void posterior_dag(struct engine *e, double *G, double *B, double *tmp)
{
	size_t ng = e->ng;
	double *tot = xcalloc(ng, sizeof(double));

	for (long x = BISECT_GOOD_END; x < (long)e->c.n; x++)
		if (measured(e, x)) {
			const double *l = e->ell + (size_t)(x + 1) * ng;

			for (size_t j = 0; j < ng; j++)
				tot[j] += l[j];
		}
	for (size_t c = 0; c < e->c.n; c++) {
		memset(B, 0, ng * sizeof(double));
		for (size_t x = 0; x < e->c.n; x++)
			if (measured(e, (long)x) && reaches(e, x, c)) {
				const double *l = e->ell + (x + 1) * ng;

				for (size_t j = 0; j < ng; j++)
					B[j] += l[j];
			}
		for (size_t j = 0; j < ng; j++)
			G[j] = tot[j] - B[j];
		e->logp[c] = marginal(e, G, B, tmp, NULL, NULL);
	}
	free(tot);
	normalize(e);
	for (size_t x = 0; x < e->c.n; x++) {
		double m = 0;

		for (size_t c = 0; c < e->c.n; c++)
			if (reaches(e, x, c))
				m += e->post[c];
		e->pbad[x] = m > 1 ? 1 : m;
	}
}

/* The levels' posterior means given the MAP culprit (for sizing probes). */
static void levels_at(struct engine *e, size_t best, double *G, double *B, double *tmp)
{
	size_t ng = e->ng;

	memset(G, 0, ng * sizeof(double));
	memset(B, 0, ng * sizeof(double));
	for (long x = BISECT_GOOD_END; x < (long)e->c.n; x++) {
		const double *l;
		double *to;

		if (!measured(e, x))
			continue;
		l = e->ell + (size_t)(x + 1) * ng;
		to = x >= 0 && reaches(e, (size_t)x, best) ? B : G;
		for (size_t j = 0; j < ng; j++)
			to[j] += l[j];
	}
	marginal(e, G, B, tmp, &e->mu_g, &e->mu_b);
}

/*
 * One posterior over the first bad commit, fed by every run: the levels
 * of good and bad are integrated out (not plugged in), the run noise is
 * a normal with a 5% broad component, a boot's offset a random effect.
 */
static void posterior(struct engine *e)
{
	double s = within_sigma(e), *G, *B, *tmp;
	size_t best = 0;

	if (!(s > 0)) {
		/* too few pairs: the spread of the endpoints' runs */
		const struct cdata *g = CD(e, BISECT_GOOD_END), *b = CD(e, (long)e->c.n - 1);

		s = stats_mad_scaled(g->v, g->nv);
		if (!(s > 0))
			s = stats_mad_scaled(b->v, b->nv);
		if (!(s > 0))
			s = 1e-9 * (fabs(stats_median(g->v, g->nv)) + 1e-300);
	}
	e->sigma = s;
	e->tau2 = between_var(e, s);
	make_grid(e);
	for (long x = BISECT_GOOD_END; x < (long)e->c.n; x++)
		if (measured(e, x))
			commit_ell(e, x);
	G = xmalloc(e->ng * sizeof(double));
	B = xmalloc(e->ng * sizeof(double));
	tmp = xmalloc(e->ng * sizeof(double));
	if (e->c.anc)
		posterior_dag(e, G, B, tmp);
	else
		posterior_linear(e, G, B, tmp);
	for (size_t c = 1; c < e->c.n; c++)
		if (e->post[c] > e->post[best])
			best = c;
	levels_at(e, best, G, B, tmp);
	e->mu_g *= e->c.direction;
	e->mu_b *= e->c.direction;
	free(G);
	free(B);
	free(tmp);
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

/*
 * GOOD at a look of alpha: kept only if it holds at a stricter level
 * too, so an effect at the threshold is rarely called "not reproduced"
 * at an early look.
 */
static int judge_good(struct engine *e, long a, long b, unsigned look)
{
	struct stats_verdict v;
	const struct cdata *da = CD(e, a), *db = CD(e, b);

	if (stats_verdict(&v, da->v, da->nv, db->v, db->nv, e->c.threshold * e->c.direction,
			  e->looks.alpha[look] * GOOD_STRICT) < 0)
		return 0;
	return v.outcome == STATS_GOOD;
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
	if (v == STATS_GOOD && (e->end_look + 1 == e->looks.n ||
				judge_good(e, BISECT_GOOD_END, bad, e->end_look))) {
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
	const struct cdata *g = CD(e, BISECT_GOOD_END), *b = CD(e, (long)e->c.n - 1);
	double delta = fabs(stats_median(b->v, b->nv) - stats_median(g->v, g->nv));
	double s2 = e->sigma * e->sigma, r;

	/* The endpoints' step, not the MAP's: both sides are certain there. */
	r = ceil(PROBE_NATS * 2 * s2 / (delta * delta));
	/* a boot's offset: a batch of r runs counts as r / (1 + r tau2 / s2) */
	if (e->tau2 > 0 && r * e->tau2 / s2 < 1 && r < 20)
		r = ceil(r / (1 - r * e->tau2 / s2));
	if (!(r >= PROBE_MIN))
		r = PROBE_MIN;
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

			/* a commit not built yet costs a build: measure a built one again */
			if (!CD(e, (long)x)->runs)
				d += BUILD_PENALTY;
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
	unsigned t = e->looks.runs[e->conf_look];
	struct stats_verdict v;
	const struct cdata *da, *db;

	if (topup(e, a, t) || topup(e, b, t))
		return plan_pair(e, a, b, e->conf_look, "confirm");
	da = CD(e, a);
	db = CD(e, b);
	if (stats_verdict(&v, da->v, da->nv, db->v, db->nv, e->c.threshold * e->c.direction,
			  CONFIRM_ALPHA) < 0) {
		finish(e, BISECT_INCONCLUSIVE, "the culprit cannot be compared with its parent");
		return 0;
	}
	e->last = v;
	e->have_last = 1;
	posterior(e);
	find_class(e);
	if (e->best != was || e->conf < e->c.confidence) {
		/* The posterior moved: probe again. */
		e->phase = PH_PROBE;
		return -1;
	}
	if (v.outcome == STATS_BAD) {
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
