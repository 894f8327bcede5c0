/*
 * The posterior over the first bad commit (engine.h, "Probes").
 *
 * Every usable request s (a segment: runs of one commit in one block,
 * one boot) gives the mean ybar_s of its kept runs. The model:
 *
 *	ybar_s = mu_side(s) + lambda_lane(s) + beta_lane(s)(t_s) + e_s
 *	e_s ~ N(0, sigma^2 (1 / w_s + tau2)),  runs within s ~ N(., sigma^2)
 *	beta_lane(t) a random walk in the lane's planned run time:
 *	beta(t') - beta(t) ~ N(0, sigma^2 q (t' - t)), beta = 0 at the lane's start
 *
 * side(s) is good or bad by the hypothesis (the culprit); the two levels
 * mu_g <= mu_b (in the direction of the change) and the lanes' offsets
 * lambda (DUTs that differ) have flat priors and are integrated out, as
 * is sigma (prior 1 / sigma). For each (tau2, q) of a small grid an
 * augmented Kalman filter (de Jong) runs once over every request, the
 * state the ground of each lane, carrying a column per commit and per
 * lane offset; what it returns, C = X' V^-1 X, c = X' V^-1 y, y' V^-1 y
 * and log |V|, makes every hypothesis an O(1) (linear history) or
 * O(m^2) (DAG) sum. The grid points are averaged by their likelihood
 * and a prior, so "the ground never moved" (q = 0) and "every request
 * is a boot of its own" (tau2 > 0) are learned, not assumed.
 *
 * Outlying runs are set aside before the final fit: a run far from its
 * commit's runs near it on its lane, then, after a first fit, a run far
 * from what the model predicts for its request (an outlier, or a burst
 * of background work under part of a block).
 */
#include "bisect/engine-int.h"
#include "common/stats.h"
#include "common/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OUT_RUN_Z 5.0		/* a run this far (in s0) from its neighbours' median is set aside */
#define NEAR_T 16.0		/* its neighbours: same commit, same lane, within this many runs */
#define NEAR_MIN 4		/* neighbours (itself included) needed to judge it */
#define OUT_SEG_Z 3.0		/* a run this far (in sigma) from its prediction is set aside */
#define MOVE_VAR 0.25		/* the ground "moved": its walk's variance over the bisection, sigma^2 */

static const double tau_grid[] = { 0, 0.15, 0.5, 1.5 };
static const double tau_prior[] = { 0.7, 0.1, 0.1, 0.1 };
static const double q_grid[] = { 0, 3e-4, 3e-3, 3e-2, 0.3 };
static const double q_prior[] = { 0.7, 0.075, 0.075, 0.075, 0.075 };
#define NTAU (sizeof(tau_grid) / sizeof(tau_grid[0]))
#define NQ (sizeof(q_grid) / sizeof(q_grid[0]))
#define NGRID (NTAU * NQ)

struct mseg {
	size_t seg;		/* index into e->segs */
	size_t r0, nr;		/* its runs: z[r0 .. r0 + nr) */
	double y;		/* mean of its kept runs, scaled */
	double w;		/* runs kept */
	double ssw;		/* within sum of squares of its kept runs, scaled */
	unsigned lane;
	double t;
	int slot;		/* column of its commit */
};

struct mdata {
	struct mseg *all;	/* every usable request */
	size_t nall;
	double *z;		/* their runs, scaled */
	char *keep;		/* ... 0: set aside as outlying */
	size_t nz;
	struct mseg *s;		/* the requests with runs kept, summarized */
	size_t ns;
	size_t m;		/* commit columns; slot 0 is the good endpoint */
	long *slot_commit;	/* [m] */
	int *lane_col;		/* [k] column of the lane's offset, -1: the reference lane */
	size_t nl;		/* lane columns, after the m commit columns */
	double ssw;		/* within-request sum of squares of kept runs, scaled */
	double nw;		/* runs kept */
	double s0, center;	/* scale and centre: y = direction (value - center) / s0 */
	double sout;		/* the scale outliers are judged by: s0, or the last fit's if larger */
	int dir;
};

/* What one grid point's filter pass gives, lanes profiled out. */
struct mprof {
	double *C;		/* [m * m] */
	double *c;		/* [m] */
	double yy, logdet;
	int ok;
};

static double sq(double x)
{
	return x * x;
}

/* --- the data ---------------------------------------------------------- */

/* First value of commit x in block k, NaN if none. */
static double first_in(const struct engine *e, const struct eblock *k, long x)
{
	for (size_t s = k->seg0; s < k->seg0 + k->nseg; s++)
		if (e->segs[s].commit == x && e->segs[s].nv)
			return e->segs[s].v[0];
	return NAN;
}

/*
 * Differences of a pair's contrast (b - a) between consecutive blocks of
 * a lane that hold both, over sqrt 2: free of the levels and the ground.
 */
static void pair_diffs(const struct engine *e, long a, long b, double **d, size_t *n,
		       size_t *alloc)
{
	for (unsigned l = 0; l < e->c.k; l++) {
		double prev = NAN;

		for (size_t i = 0; i < e->nblocks; i++) {
			const struct eblock *k = &e->blocks[i];
			double c;

			if (k->lane != l)
				continue;
			c = first_in(e, k, b) - first_in(e, k, a);
			if (isnan(c))
				continue;
			if (!isnan(prev)) {
				ALLOC_GROW(*d, *n + 1, *alloc);
				(*d)[(*n)++] = fabs(c - prev) / M_SQRT2;
			}
			prev = c;
		}
	}
}

/* A robust scale from differences that are free of the levels. */
static double prelim_scale(const struct engine *e)
{
	double *d = NULL, s;
	size_t n = 0, alloc = 0;

	for (size_t i = 0; i < e->nsegs; i++) {
		const struct eseg *g = &e->segs[i];

		for (size_t j = 1; j < g->nv; j++) {
			ALLOC_GROW(d, n + 1, alloc);
			d[n++] = fabs(g->v[j] - g->v[j - 1]);
		}
	}
	pair_diffs(e, BISECT_GOOD_END, (long)e->c.n - 1, &d, &n, &alloc);
	/* median |difference| of two N(0, s^2): 0.6745 sqrt(2) s */
	s = n >= 3 ? stats_median(d, n) / (0.6744897501960817 * M_SQRT2) : NAN;
	free(d);
	return s;
}

static double good_center(const struct engine *e)
{
	double *v = NULL, c;
	size_t n = 0, alloc = 0;

	for (size_t i = 0; i < e->nsegs; i++) {
		const struct eseg *g = &e->segs[i];

		if (g->commit != BISECT_GOOD_END)
			continue;
		for (size_t j = 0; j < g->nv; j++) {
			ALLOC_GROW(v, n + 1, alloc);
			v[n++] = g->v[j];
		}
	}
	c = n ? stats_median(v, n) : 0;
	free(v);
	return c;
}

static int usable(const struct engine *e, const struct eseg *g)
{
	return g->nv && !engine_ccd(e, g->commit)->skip;
}

/* The kept runs of request i: 0 for a run far from its neighbours. */
static void keep_runs(const struct engine *e, const struct mdata *d, size_t i, char *keep)
{
	const struct eseg *g = &e->segs[i];
	const struct eblock *k = &e->blocks[g->block];
	double near[64];

	for (size_t r = 0; r < g->nv; r++) {
		size_t nn = 0;

		keep[r] = 1;
		for (size_t j = 0; j < e->nsegs && nn < ARRAY_SIZE(near); j++) {
			const struct eseg *h = &e->segs[j];
			const struct eblock *kh = &e->blocks[h->block];

			if (h->commit != g->commit || kh->lane != k->lane || fabs(kh->t - k->t) > NEAR_T)
				continue;
			for (size_t x = 0; x < h->nv && nn < ARRAY_SIZE(near); x++)
				near[nn++] = h->v[x];
		}
		if (nn >= NEAR_MIN &&
		    fabs(g->v[r] - stats_median(near, nn)) > OUT_RUN_Z * d->sout)
			keep[r] = 0;
	}
}

static int slot_of(struct mdata *d, long commit)
{
	for (size_t i = 0; i < d->m; i++)
		if (d->slot_commit[i] == commit)
			return (int)i;
	return -1;
}

/* Columns: the good endpoint, then every usable commit in index order. */
static void make_slots(const struct engine *e, struct mdata *d)
{
	char *has = xcalloc(e->c.n + 1, 1);

	for (size_t i = 0; i < e->nsegs; i++)
		if (usable(e, &e->segs[i]))
			has[e->segs[i].commit + 1] = 1;
	d->slot_commit = xcalloc(e->c.n + 1, sizeof(long));
	d->slot_commit[d->m++] = BISECT_GOOD_END;
	for (size_t x = 0; x < e->c.n; x++)
		if (has[x + 1])
			d->slot_commit[d->m++] = (long)x;
	free(has);
}

static void make_lanes(const struct engine *e, struct mdata *d)
{
	int ref = -1;

	d->lane_col = xcalloc(e->c.k, sizeof(int));
	for (unsigned l = 0; l < e->c.k; l++)
		d->lane_col[l] = -1;
	for (size_t i = 0; i < d->ns; i++) {
		unsigned l = d->s[i].lane;

		if (ref < 0)
			ref = (int)l;
		if ((int)l != ref && d->lane_col[l] < 0)
			d->lane_col[l] = (int)(d->m + d->nl++);
	}
}

static void add_seg(const struct engine *e, struct mdata *d, size_t i, const char *keep)
{
	const struct eseg *g = &e->segs[i];
	const struct eblock *k = &e->blocks[g->block];
	struct mseg *m = &d->all[d->nall++];

	memset(m, 0, sizeof(*m));
	m->seg = i;
	m->r0 = d->nz;
	m->nr = g->nv;
	m->lane = k->lane;
	m->t = k->t;
	m->slot = slot_of(d, g->commit);
	for (size_t r = 0; r < g->nv; r++) {
		d->z[d->nz] = (g->v[r] - d->center) * d->dir / d->s0;
		d->keep[d->nz++] = keep[r];
	}
}

/* The kept runs of every request into its mean, weight and sum of squares. */
static void summarize(struct mdata *d)
{
	d->ns = 0;
	d->ssw = d->nw = 0;
	for (size_t i = 0; i < d->nall; i++) {
		struct mseg m = d->all[i];
		double sum = 0, w = 0, ss = 0;

		for (size_t r = m.r0; r < m.r0 + m.nr; r++)
			if (d->keep[r])
				sum += d->z[r], w++;
		if (!w)
			continue;
		m.y = sum / w;
		m.w = w;
		for (size_t r = m.r0; r < m.r0 + m.nr; r++)
			if (d->keep[r])
				ss += sq(d->z[r] - m.y);
		m.ssw = ss;
		d->ssw += ss;
		d->nw += w;
		d->s[d->ns++] = m;
	}
}

static void mdata_build(const struct engine *e, struct mdata *d)
{
	double s0 = prelim_scale(e);
	size_t runs = 0;
	char keep[4096];

	memset(d, 0, sizeof(*d));
	d->dir = e->c.direction;
	d->center = good_center(e);
	if (!(s0 > 0))
		s0 = 1e-3 * (fabs(d->center) + 1e-9);
	d->s0 = s0;
	/* a few early differences can make s0 small: never judge runs by less than the last fit */
	d->sout = e->m.valid && e->m.sigma > s0 ? e->m.sigma : s0;
	make_slots(e, d);
	for (size_t i = 0; i < e->nsegs; i++)
		runs += e->segs[i].nv;
	d->all = xcalloc(e->nsegs + 1, sizeof(*d->all));
	d->s = xcalloc(e->nsegs + 1, sizeof(*d->s));
	d->z = xcalloc(runs + 1, sizeof(double));
	d->keep = xcalloc(runs + 1, 1);
	for (size_t i = 0; i < e->nsegs; i++) {
		const struct eseg *g = &e->segs[i];

		if (!usable(e, g) || g->nv > sizeof(keep))
			continue;
		keep_runs(e, d, i, keep);
		add_seg(e, d, i, keep);
	}
	summarize(d);
	make_lanes(e, d);
}

static void mdata_release(struct mdata *d)
{
	free(d->all);
	free(d->z);
	free(d->keep);
	free(d->s);
	free(d->slot_commit);
	free(d->lane_col);
}

/* --- the filter -------------------------------------------------------- */

/* Cholesky of the n x n matrix a in place (lower); 0 if not positive definite. */
static int cholesky(double *a, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		double s = a[j * n + j];

		for (size_t k = 0; k < j; k++)
			s -= sq(a[j * n + k]);
		if (!(s > 0))
			return 0;
		a[j * n + j] = sqrt(s);
		for (size_t i = j + 1; i < n; i++) {
			double t = a[i * n + j];

			for (size_t k = 0; k < j; k++)
				t -= a[i * n + k] * a[j * n + k];
			a[i * n + j] = t / a[j * n + j];
		}
	}
	return 1;
}

/* Solve L L' x = b in place, L from cholesky(). */
static void chol_solve(const double *l, size_t n, double *b)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < i; k++)
			b[i] -= l[i * n + k] * b[k];
		b[i] /= l[i * n + i];
	}
	for (size_t i = n; i-- > 0;) {
		for (size_t k = i + 1; k < n; k++)
			b[i] -= l[k * n + i] * b[k];
		b[i] /= l[i * n + i];
	}
}

struct kf {
	size_t nc;		/* columns: commits, lanes, then y */
	double *a;		/* [k * nc] state mean per lane and column */
	double *P;		/* [k] state variance per lane */
	double *tp;		/* [k] time of the lane's last block, NAN before */
	double *v;		/* [nc] innovations of the request at hand */
	double *C;		/* [(nc - 1)^2] X' V^-1 X */
	double *c;		/* [nc - 1] X' V^-1 y */
	double yy, logdet;
};

static void kf_init(struct kf *f, const struct mdata *d, unsigned k)
{
	f->nc = d->m + d->nl + 1;
	f->a = xcalloc((size_t)k * f->nc, sizeof(double));
	f->P = xcalloc(k, sizeof(double));
	f->tp = xmalloc(k * sizeof(double));
	f->v = xcalloc(f->nc, sizeof(double));
	f->C = xcalloc((f->nc - 1) * (f->nc - 1), sizeof(double));
	f->c = xcalloc(f->nc - 1, sizeof(double));
}

static void kf_reset(struct kf *f, unsigned k)
{
	memset(f->a, 0, (size_t)k * f->nc * sizeof(double));
	memset(f->P, 0, k * sizeof(double));
	for (unsigned l = 0; l < k; l++)
		f->tp[l] = NAN;
	memset(f->C, 0, (f->nc - 1) * (f->nc - 1) * sizeof(double));
	memset(f->c, 0, (f->nc - 1) * sizeof(double));
	f->yy = f->logdet = 0;
}

static void kf_release(struct kf *f)
{
	free(f->a);
	free(f->P);
	free(f->tp);
	free(f->v);
	free(f->C);
	free(f->c);
}

/* The request's innovations into f->v; returns their variance F (sigma^2 units). */
static double kf_innovate(struct kf *f, const struct mdata *d, const struct mseg *s,
			  double tau2, double q)
{
	unsigned l = s->lane;
	double *a = f->a + (size_t)l * f->nc;
	size_t ny = f->nc - 1;

	if (isnan(f->tp[l]))
		f->tp[l] = s->t;
	else if (s->t > f->tp[l]) {
		f->P[l] += q * (s->t - f->tp[l]);
		f->tp[l] = s->t;
	}
	for (size_t j = 0; j < f->nc; j++)
		f->v[j] = -a[j];
	f->v[s->slot] += 1;
	if (d->lane_col[l] >= 0)
		f->v[d->lane_col[l]] += 1;
	f->v[ny] += s->y;
	return f->P[l] + 1 / s->w + tau2;
}

static void kf_update(struct kf *f, const struct mseg *s, double F)
{
	double *a = f->a + (size_t)s->lane * f->nc, K = f->P[s->lane] / F;
	size_t ny = f->nc - 1;

	for (size_t i = 0; i < ny; i++) {
		double vi = f->v[i] / F;

		if (vi == 0)
			continue;
		for (size_t j = 0; j < ny; j++)
			f->C[i * ny + j] += vi * f->v[j];
		f->c[i] += vi * f->v[ny];
	}
	f->yy += f->v[ny] * f->v[ny] / F;
	f->logdet += log(F);
	if (K > 0)
		for (size_t j = 0; j < f->nc; j++)
			a[j] += K * f->v[j];
	f->P[s->lane] -= K * f->P[s->lane];
}

static void kf_pass(struct kf *f, const struct mdata *d, unsigned k, double tau2, double q)
{
	kf_reset(f, k);
	for (size_t i = 0; i < d->ns; i++) {
		double F = kf_innovate(f, d, &d->s[i], tau2, q);

		kf_update(f, &d->s[i], F);
	}
}

/* Profile the lane offsets out of the filter's sums into p (m columns). */
static void profile(const struct kf *f, const struct mdata *d, struct mprof *p)
{
	size_t m = d->m, nl = d->nl, ny = f->nc - 1;
	double *L = xcalloc(nl * nl + 1, sizeof(double)), *col = xcalloc(nl + 1, sizeof(double));
	double *u = xcalloc(nl + 1, sizeof(double));

	p->ok = 1;
	p->yy = f->yy;
	p->logdet = f->logdet;
	for (size_t i = 0; i < m; i++) {
		p->c[i] = f->c[i];
		for (size_t j = 0; j < m; j++)
			p->C[i * m + j] = f->C[i * ny + j];
	}
	for (size_t i = 0; i < nl; i++)
		for (size_t j = 0; j < nl; j++)
			L[i * nl + j] = f->C[(m + i) * ny + m + j] + (i == j ? 1e-9 : 0);
	if (nl && !cholesky(L, nl))
		p->ok = 0;
	if (nl && p->ok) {
		for (size_t i = 0; i < nl; i++) {
			p->logdet += 2 * log(L[i * nl + i]);
			u[i] = f->c[m + i];
		}
		chol_solve(L, nl, u);	/* u = C_ll^-1 c_l */
		for (size_t i = 0; i < nl; i++)
			p->yy -= f->c[m + i] * u[i];
		for (size_t j = 0; j < m; j++) {
			for (size_t i = 0; i < nl; i++)
				col[i] = f->C[(m + i) * ny + j];
			chol_solve(L, nl, col);	/* C_ll^-1 C_lj */
			for (size_t r = 0; r < m; r++)
				for (size_t i = 0; i < nl; i++)
					p->C[r * m + j] -= f->C[r * ny + m + i] * col[i];
			for (size_t i = 0; i < nl; i++)
				p->c[j] -= f->C[j * ny + m + i] * u[i];
		}
	}
	free(L);
	free(col);
	free(u);
}

/* The lane offsets given the commit columns b[0..m): into b[m..m + nl). */
static void lane_offsets(const struct kf *f, const struct mdata *d, double *b)
{
	size_t m = d->m, nl = d->nl, ny = f->nc - 1;
	double *L = xcalloc(nl * nl + 1, sizeof(double));

	for (size_t i = 0; i < nl; i++) {
		b[m + i] = f->c[m + i];
		for (size_t j = 0; j < m; j++)
			b[m + i] -= f->C[(m + i) * ny + j] * b[j];
		for (size_t j = 0; j < nl; j++)
			L[i * nl + j] = f->C[(m + i) * ny + m + j] + (i == j ? 1e-9 : 0);
	}
	if (nl && cholesky(L, nl))
		chol_solve(L, nl, b + m);
	else
		for (size_t i = 0; i < nl; i++)
			b[m + i] = 0;
	free(L);
}

/* --- the hypotheses ---------------------------------------------------- */

struct hyp {
	double lml;		/* log marginal likelihood */
	double mg, mb;		/* levels, scaled */
	double s2;		/* sigma^2 estimate, scaled */
};

static void hyp_eval(struct hyp *h, const struct mdata *d, const struct mprof *p,
		     double Sgg, double Sgb, double Sbb, double rg, double rb)
{
	double det = Sgg * Sbb - Sgb * Sgb, dof = d->nw - 2 - (double)d->nl, S, vd, se;

	h->lml = -INFINITY;
	h->mg = h->mb = h->s2 = NAN;
	if (!(det > 0) || !(dof > 0))
		return;
	h->mg = (Sbb * rg - Sgb * rb) / det;
	h->mb = (Sgg * rb - Sgb * rg) / det;
	S = d->ssw + p->yy - (rg * h->mg + rb * h->mb);
	if (!(S > 1e-12 * d->nw))
		S = 1e-12 * d->nw;
	h->s2 = S / dof;
	vd = (Sgg + Sbb + 2 * Sgb) / det;
	se = sqrt(h->s2 * vd);
	h->lml = -0.5 * log(det) - 0.5 * p->logdet - 0.5 * dof * log(S) +
		 log(fmax(stats_norm_cdf((h->mb - h->mg) / se), 1e-300));
}

/* Every split of a linear history: slots [0, s) good, [s, m) bad; out[s], s = 1..m-1. */
static void splits_linear(const struct mdata *d, const struct mprof *p, struct hyp *out)
{
	size_t m = d->m;
	double T = 0, cT = 0, Sgg = 0, G = 0, rg = 0, *row = xcalloc(m, sizeof(double));

	for (size_t i = 0; i < m; i++) {
		for (size_t j = 0; j < m; j++)
			row[i] += p->C[i * m + j];
		T += row[i];
		cT += p->c[i];
	}
	for (size_t s = 1; s < m; s++) {
		size_t i = s - 1;
		double cross = 0, Sgb;

		for (size_t j = 0; j < i; j++)
			cross += p->C[i * m + j];
		Sgg += 2 * cross + p->C[i * m + i];
		G += row[i];
		rg += p->c[i];
		Sgb = G - Sgg;
		hyp_eval(&out[s], d, p, Sgg, Sgb, T - Sgg - 2 * Sgb, rg, cT - rg);
	}
	free(row);
}

/* One DAG hypothesis: bad[i] says which slots are bad. */
static void split_mask(const struct mdata *d, const struct mprof *p, const char *bad,
		       struct hyp *out)
{
	size_t m = d->m;
	double Sgg = 0, Sgb = 0, Sbb = 0, rg = 0, rb = 0;

	for (size_t i = 0; i < m; i++) {
		for (size_t j = 0; j < m; j++) {
			double v = p->C[i * m + j];

			if (!bad[i] && !bad[j])
				Sgg += v;
			else if (bad[i] && bad[j])
				Sbb += v;
			else
				Sgb += v / 2;
		}
		if (bad[i])
			rb += p->c[i];
		else
			rg += p->c[i];
	}
	hyp_eval(out, d, p, Sgg, Sgb, Sbb, rg, rb);
}

/*
 * The hypotheses the candidates map to: hyp_of[c] indexes a list of
 * distinct bad-slot masks (linear: the split s, masks unused).
 */
struct hset {
	size_t nh;		/* distinct hypotheses */
	size_t *hyp_of;		/* [n] */
	char *masks;		/* [nh * m] (DAG) */
};

static void hset_linear(const struct engine *e, const struct mdata *d, struct hset *hs)
{
	size_t s = 1;

	hs->nh = d->m;
	hs->hyp_of = xcalloc(e->c.n, sizeof(size_t));
	hs->masks = NULL;
	for (size_t c = 0; c < e->c.n; c++) {
		while (s < d->m && d->slot_commit[s] < (long)c)
			s++;
		hs->hyp_of[c] = s;	/* slots before s are good */
	}
}

static void hset_dag(const struct engine *e, const struct mdata *d, struct hset *hs)
{
	size_t m = d->m, alloc = 0;
	char *mask = xcalloc(m + 1, 1);

	hs->nh = 0;
	hs->hyp_of = xcalloc(e->c.n, sizeof(size_t));
	hs->masks = NULL;
	for (size_t c = 0; c < e->c.n; c++) {
		size_t h;

		for (size_t i = 1; i < m; i++)
			mask[i] = (char)engine_reaches(e, (size_t)d->slot_commit[i], c);
		for (h = 0; h < hs->nh; h++)
			if (!memcmp(hs->masks + h * m, mask, m))
				break;
		if (h == hs->nh) {
			ALLOC_GROW(hs->masks, (hs->nh + 1) * m, alloc);
			memcpy(hs->masks + hs->nh * m, mask, m);
			hs->nh++;
		}
		hs->hyp_of[c] = h;
	}
	free(mask);
}

static void hset_eval(const struct engine *e, const struct mdata *d, const struct hset *hs,
		      const struct mprof *p, struct hyp *out)
{
	if (!e->c.anc) {
		for (size_t i = 0; i < hs->nh; i++)
			out[i].lml = -INFINITY;
		splits_linear(d, p, out);
		return;
	}
	for (size_t h = 0; h < hs->nh; h++)
		split_mask(d, p, hs->masks + h * d->m, &out[h]);
}

/* --- putting it together ----------------------------------------------- */

struct fit {
	struct mdata d;
	struct hset hs;
	struct hyp *h;		/* [NGRID * nh] */
	double lp[NGRID];	/* log prior of each grid point */
};

static void fit_grid(const struct engine *e, struct fit *f)
{
	struct kf kf;
	struct mprof p;
	size_t m = f->d.m;

	p.C = xcalloc(m * m, sizeof(double));
	p.c = xcalloc(m, sizeof(double));
	kf_init(&kf, &f->d, e->c.k);
	for (size_t g = 0; g < NGRID; g++) {
		double tau2 = tau_grid[g / NQ], q = q_grid[g % NQ];

		f->lp[g] = log(tau_prior[g / NQ]) + log(q_prior[g % NQ]);
		kf_pass(&kf, &f->d, e->c.k, tau2, q);
		profile(&kf, &f->d, &p);
		if (!p.ok) {
			for (size_t h = 0; h < f->hs.nh; h++)
				f->h[g * f->hs.nh + h].lml = -INFINITY;
			continue;
		}
		hset_eval(e, &f->d, &f->hs, &p, f->h + g * f->hs.nh);
	}
	kf_release(&kf);
	free(p.C);
	free(p.c);
}

static void fit_run(const struct engine *e, struct fit *f)
{
	if (e->c.anc)
		hset_dag(e, &f->d, &f->hs);
	else
		hset_linear(e, &f->d, &f->hs);
	f->h = xcalloc(NGRID * f->hs.nh, sizeof(*f->h));
	fit_grid(e, f);
}

static void fit_release(struct fit *f)
{
	mdata_release(&f->d);
	free(f->hs.hyp_of);
	free(f->hs.masks);
	free(f->h);
}

/* The best (grid point, hypothesis), restricted to q > 0 when moved_only. */
static void fit_best(const struct fit *f, int moved_only, size_t *bg, size_t *bh)
{
	double best = -INFINITY;

	*bg = *bh = 0;
	for (size_t g = 0; g < NGRID; g++) {
		if (moved_only && q_grid[g % NQ] == 0)
			continue;
		for (size_t h = 0; h < f->hs.nh; h++) {
			double v = f->lp[g] + f->h[g * f->hs.nh + h].lml;

			if (v > best) {
				best = v;
				*bg = g;
				*bh = h;
			}
		}
	}
}

/* Every column's fitted value at (grid point g, hypothesis bh): levels, lane offsets. */
static double *fitted_b(const struct engine *e, const struct fit *f, struct kf *kf,
			size_t g, size_t bh)
{
	const struct mdata *d = &f->d;
	const struct hyp *h = &f->h[g * f->hs.nh + bh];
	double *b = xcalloc(d->m + d->nl + 1, sizeof(double));

	for (size_t i = 0; i < d->m; i++) {
		int bad = e->c.anc ? f->hs.masks[bh * d->m + i] : i >= bh;

		b[i] = bad ? h->mb : h->mg;
	}
	kf_pass(kf, d, e->c.k, tau_grid[g / NQ], q_grid[g % NQ]);
	lane_offsets(kf, d, b);
	return b;
}

/*
 * The runs far from what the best fit predicts for their request (its
 * one-step prediction, the fitted levels put in), in units of their sd:
 * an outlier, or a burst of background work, set aside.
 */
static size_t drop_outlying(const struct engine *e, struct fit *f)
{
	size_t bg, bh, dropped = 0, ny;
	struct kf kf;
	struct mdata *d = &f->d;
	const struct hyp *h;
	double *b, s;

	fit_best(f, 0, &bg, &bh);
	h = &f->h[bg * f->hs.nh + bh];
	if (!isfinite(h->lml))
		return 0;
	s = sqrt(h->s2);
	kf_init(&kf, d, e->c.k);
	b = fitted_b(e, f, &kf, bg, bh);
	kf_reset(&kf, e->c.k);
	ny = kf.nc - 1;
	for (size_t i = 0; i < d->ns; i++) {
		const struct mseg *sg = &d->s[i];
		double F = kf_innovate(&kf, d, sg, tau_grid[bg / NQ], q_grid[bg % NQ]);
		double r = kf.v[ny], pred, sd;

		for (size_t j = 0; j < ny; j++)
			r -= kf.v[j] * b[j];
		pred = sg->y - r;
		sd = s * sqrt(1 + F - 1 / sg->w);
		for (size_t x = sg->r0; x < sg->r0 + sg->nr; x++)
			if (d->keep[x] && fabs(d->z[x] - pred) > OUT_SEG_Z * sd) {
				d->keep[x] = 0;
				dropped++;
			}
		kf_update(&kf, sg, F);
	}
	kf_release(&kf);
	free(b);
	return dropped;
}

static double logsumexp2(double a, double b)
{
	if (a == -INFINITY)
		return b;
	if (b == -INFINITY)
		return a;
	return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}

static void normalize(struct engine *e)
{
	double max = -INFINITY, sum = 0;

	for (size_t c = 0; c < e->c.n; c++)
		if (e->logp[c] > max)
			max = e->logp[c];
	if (max == -INFINITY) {
		for (size_t c = 0; c < e->c.n; c++)
			e->post[c] = 1.0 / (double)e->c.n;
		return;
	}
	for (size_t c = 0; c < e->c.n; c++)
		sum += e->post[c] = exp(e->logp[c] - max);
	for (size_t c = 0; c < e->c.n; c++)
		e->post[c] /= sum;
}

static void fill_pbad(struct engine *e)
{
	if (!e->c.anc) {
		double acc = 0;

		for (size_t x = 0; x < e->c.n; x++)
			e->pbad[x] = (acc += e->post[x]) > 1 ? 1 : acc;
		return;
	}
	for (size_t x = 0; x < e->c.n; x++) {
		double m = 0;

		for (size_t c = 0; c < e->c.n; c++)
			if (engine_reaches(e, x, c))
				m += e->post[c];
		e->pbad[x] = m > 1 ? 1 : m;
	}
}

/* Candidates' posterior and the ground's, averaged over the grid. */
static void posterior_of(struct engine *e, const struct fit *f)
{
	double moved = -INFINITY, all = -INFINITY, T = 0;
	size_t nh = f->hs.nh;

	for (unsigned l = 0; l < e->c.k; l++)
		T = fmax(T, e->lane_t[l]);
	for (size_t c = 0; c < e->c.n; c++)
		e->logp[c] = -INFINITY;
	for (size_t g = 0; g < NGRID; g++)
		for (size_t c = 0; c < e->c.n; c++) {
			double v = f->lp[g] + f->h[g * nh + f->hs.hyp_of[c]].lml;

			e->logp[c] = logsumexp2(e->logp[c], v);
			all = logsumexp2(all, v);
			/* a walk too slow to move it by half a sigma over the bisection is still */
			if (q_grid[g % NQ] * T >= MOVE_VAR)
				moved = logsumexp2(moved, v);
		}
	normalize(e);
	fill_pbad(e);
	e->m.p_ground = all == -INFINITY ? NAN : exp(moved - all);
}

/* The ground's filtered level at the reference lane's last request, scaled. */
static double ground_at_end(const struct engine *e, const struct fit *f, size_t g, size_t bh)
{
	const struct mdata *d = &f->d;
	struct kf kf;
	double lvl, *b;
	const double *a;
	unsigned ref = d->ns ? d->s[0].lane : 0;

	if (!isfinite(f->h[g * f->hs.nh + bh].lml) || q_grid[g % NQ] == 0)
		return 0;
	kf_init(&kf, d, e->c.k);
	b = fitted_b(e, f, &kf, g, bh);
	/* the filter ran on y - X b: the state is a_y - sum a_j b_j */
	a = kf.a + (size_t)ref * kf.nc;
	lvl = a[kf.nc - 1];
	for (size_t j = 0; j + 1 < kf.nc; j++)
		lvl -= a[j] * b[j];
	kf_release(&kf);
	free(b);
	return lvl;
}

static void model_summary(struct engine *e, const struct fit *f)
{
	size_t bg, bh, mg, mh;
	const struct hyp *h;
	double s0 = f->d.s0;

	fit_best(f, 0, &bg, &bh);
	h = &f->h[bg * f->hs.nh + bh];
	e->m.valid = isfinite(h->lml);
	e->m.center = f->d.center;
	e->m.sigma = s0 * sqrt(h->s2);
	e->m.tau2 = tau_grid[bg / NQ];
	e->m.q = q_grid[bg % NQ];
	e->m.mu_g = f->d.center + e->c.direction * s0 * h->mg;
	e->m.mu_b = f->d.center + e->c.direction * s0 * h->mb;
	fit_best(f, 1, &mg, &mh);
	e->m.shift = e->c.direction * s0 * ground_at_end(e, f, mg, mh);
}

void model_fit(struct engine *e)
{
	struct fit f;

	memset(&f, 0, sizeof(f));
	mdata_build(e, &f.d);
	fit_run(e, &f);
	if (drop_outlying(e, &f)) {
		summarize(&f.d);
		free(f.hs.hyp_of);
		free(f.hs.masks);
		free(f.h);
		fit_run(e, &f);
	}
	posterior_of(e, &f);
	model_summary(e, &f);
	fit_release(&f);
}
