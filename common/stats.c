#include "common/stats.h"
#include "common/rand.h"
#include "common/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- summaries ---- */

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/*
 * The values of v that are not NaN, sorted, in a new array the caller
 * frees; *k gets their number.
 */
static double *sorted_values(const double *v, size_t n, size_t *k)
{
	double *s = xmalloc((n ? n : 1) * sizeof(*s));
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			s[m++] = v[i];
	qsort(s, m, sizeof(*s), cmp_double);
	*k = m;
	return s;
}

/* Type 7 quantile of k > 0 sorted values. */
static double quantile_sorted(const double *s, size_t k, double q)
{
	double h = (double)(k - 1) * q;
	size_t lo = (size_t)floor(h);

	if (lo + 1 >= k)
		return s[k - 1];
	if (h == (double)lo)
		return s[lo];
	return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}

static double mad_sorted(const double *s, size_t k)
{
	double med = quantile_sorted(s, k, 0.5), m;
	double *d = xmalloc(k * sizeof(*d));

	for (size_t i = 0; i < k; i++)
		d[i] = fabs(s[i] - med);
	qsort(d, k, sizeof(*d), cmp_double);
	m = quantile_sorted(d, k, 0.5);
	free(d);
	return m;
}

static double mean_of(const double *s, size_t k)
{
	double sum = 0;

	for (size_t i = 0; i < k; i++)
		sum += s[i];
	return sum / (double)k;
}

static double stddev_of(const double *s, size_t k)
{
	double mean = mean_of(s, k), ss = 0;

	if (k < 2)
		return NAN;
	for (size_t i = 0; i < k; i++)
		ss += (s[i] - mean) * (s[i] - mean);
	return sqrt(ss / (double)(k - 1));
}

void stats_summarize(struct stats_summary *out, const double *v, size_t n)
{
	size_t k;
	double *s = sorted_values(v, n, &k);

	out->n = k;
	out->nan = n - k;
	if (!k) {
		out->min = out->max = out->median = out->p25 = out->p75 = NAN;
		out->mad = out->mean = out->stddev = NAN;
		free(s);
		return;
	}
	out->min = s[0];
	out->max = s[k - 1];
	out->median = quantile_sorted(s, k, 0.5);
	out->p25 = quantile_sorted(s, k, 0.25);
	out->p75 = quantile_sorted(s, k, 0.75);
	out->mad = mad_sorted(s, k);
	out->mean = mean_of(s, k);
	out->stddev = stddev_of(s, k);
	free(s);
}

size_t stats_count_nan(const double *v, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += !!isnan(v[i]);
	return c;
}

double stats_quantile(const double *v, size_t n, double q)
{
	size_t k;
	double *s, r = NAN;

	if (!(q >= 0 && q <= 1))
		return NAN;
	s = sorted_values(v, n, &k);
	if (k)
		r = quantile_sorted(s, k, q);
	free(s);
	return r;
}

double stats_median(const double *v, size_t n)
{
	return stats_quantile(v, n, 0.5);
}

double stats_mad(const double *v, size_t n)
{
	size_t k;
	double *s = sorted_values(v, n, &k), r = k ? mad_sorted(s, k) : NAN;

	free(s);
	return r;
}

double stats_mad_scaled(const double *v, size_t n)
{
	return STATS_MAD_SCALE * stats_mad(v, n);
}

double stats_mean(const double *v, size_t n)
{
	size_t k;
	double *s = sorted_values(v, n, &k), r = k ? mean_of(s, k) : NAN;

	free(s);
	return r;
}

double stats_stddev(const double *v, size_t n)
{
	size_t k;
	double *s = sorted_values(v, n, &k), r = stddev_of(s, k);

	free(s);
	return r;
}

/* ---- the normal distribution ---- */

double stats_norm_cdf(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

/* Upper tail 1 - Phi(z), accurate far out. */
static double norm_sf(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}

/*
 * Bisection on erfc: slow but needs no table of coefficients, and it
 * is called a handful of times per comparison.
 */
double stats_norm_quantile(double p)
{
	double lo = -40, hi = 40;

	if (!(p > 0 && p < 1))
		return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
	if (p > 0.5)
		return -stats_norm_quantile(1 - p);
	for (int i = 0; i < 200 && hi - lo > 1e-15; i++) {
		double mid = (lo + hi) / 2;

		if (stats_norm_cdf(mid) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* ---- Student's t ---- */

/* Continued fraction of the incomplete beta function (Lentz's method). */
static double beta_cf(double a, double b, double x)
{
	double c = 1, d = 1 - (a + b) * x / (a + 1), h;

	d = fabs(d) < 1e-300 ? 1e-300 : d;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= 300; m++) {
		double m2 = 2 * m, aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2)), del;

		d = 1 + aa * d;
		d = fabs(d) < 1e-300 ? 1e-300 : d;
		c = 1 + aa / c;
		c = fabs(c) < 1e-300 ? 1e-300 : c;
		d = 1 / d;
		h *= d * c;
		aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
		d = 1 + aa * d;
		d = fabs(d) < 1e-300 ? 1e-300 : d;
		c = 1 + aa / c;
		c = fabs(c) < 1e-300 ? 1e-300 : c;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-15)
			break;
	}
	return h;
}

/*
 * The regularized incomplete beta function I_x(a, b), y = 1 - x given
 * apart so that x near 1 loses no precision.
 */
static double beta_inc(double a, double b, double x, double y)
{
	double front;

	if (x <= 0)
		return 0;
	if (y <= 0)
		return 1;
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(y));
	if (x < (a + 1) / (a + b + 2))
		return front * beta_cf(a, b, x) / a;
	return 1 - front * beta_cf(b, a, y) / b;
}

double stats_t_cdf(double t, double df)
{
	double tail;

	if (isnan(t) || !(df > 0))
		return NAN;
	if (isinf(t))
		return t > 0 ? 1 : 0;
	if (t == 0)
		return 0.5;
	/* P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2) */
	tail = 0.5 * beta_inc(df / 2, 0.5, df / (df + t * t), t * t / (df + t * t));
	return t > 0 ? 1 - tail : tail;
}

double stats_t_quantile(double p, double df)
{
	double lo = -1e6, hi = 1e6;

	if (!(p > 0 && p < 1) || !(df > 0))
		return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
	if (p == 0.5)
		return 0;
	for (int i = 0; i < 300 && hi - lo > 1e-13 * (1 + fabs(lo + hi)); i++) {
		double mid = (lo + hi) / 2;

		if (stats_t_cdf(mid, df) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* ---- the null distribution of U ---- */

/*
 * Counts of arrangements of m A's and n B's by U (pairs with the B
 * after the A), index 0..m n, without ties. By the last element:
 * c[i][j](u) = c[i - 1][j](u) + c[i][j - 1](u - i). Only additions of
 * positive numbers, so the small tails that p-values come from are
 * exact integers. Two rows of n + 1 polynomials are kept. Pass i
 * writes row i up to u = i j and reads row i - 1 up to i j; entries of
 * a buffer past what its last pass wrote were never written (each pass
 * writes further than the one before), so they are zero from calloc
 * and no clearing is needed.
 */
static double *u_counts(size_t m, size_t n)
{
	size_t w = m * n + 1;
	double *prev = xcalloc((n + 1) * w, sizeof(double));
	double *cur = xcalloc((n + 1) * w, sizeof(double)), *t;

	for (size_t j = 0; j <= n; j++)
		prev[j * w] = 1;		/* no A: U = 0 */
	for (size_t i = 1; i <= m; i++) {
		for (size_t j = 0; j <= n; j++) {
			double *c = cur + j * w, *up = prev + j * w;
			double *left = j ? cur + (j - 1) * w : NULL;

			for (size_t u = 0; u <= i * j; u++)
				c[u] = up[u] + (left && u >= i ? left[u - i] : 0);
		}
		t = prev, prev = cur, cur = t;
	}
	memmove(prev, prev + n * w, w * sizeof(double));
	free(cur);
	return prev;
}

/*
 * The exact tie-free CDF of U for m and n: costly to build (about
 * m^2 n^2 / 4 additions, two tables of n (m n) doubles) and asked for
 * again and again with the same sizes (both tests of a verdict, every
 * metric of a comparison, every trial of a simulation), so the last
 * few are kept per thread. The distribution for (m, n) is that of
 * (n, m). The caller must not free the result.
 */
#define CDF_CACHE 4

static _Thread_local struct cdf_entry {
	size_t m, n;		/* m <= n */
	double *cdf;		/* P(U <= u), u = 0..m n */
} cdf_cache[CDF_CACHE];
static _Thread_local unsigned cdf_next;

static const double *exact_cdf(size_t m, size_t n)
{
	size_t lo = m < n ? m : n, hi = m < n ? n : m, top = m * n;
	struct cdf_entry *e;
	double *c, total = 0, run = 0;

	for (int i = 0; i < CDF_CACHE; i++)
		if (cdf_cache[i].cdf && cdf_cache[i].m == lo && cdf_cache[i].n == hi)
			return cdf_cache[i].cdf;
	c = u_counts(lo, hi);
	for (size_t u = 0; u <= top; u++)
		total += c[u];
	for (size_t u = 0; u <= top; u++)
		c[u] = (run += c[u]) / total;
	e = &cdf_cache[cdf_next++ % CDF_CACHE];
	free(e->cdf);
	*e = (struct cdf_entry){ lo, hi, c };
	return c;
}

/* P(U <= u) of the tie-free null distribution, exact or approximate. */
struct u_null {
	size_t m, n;
	const double *cdf;	/* exact (not owned), or NULL */
	double mean, sd;	/* for the normal approximation */
};

static void u_null_init(struct u_null *z, size_t m, size_t n)
{
	z->m = m;
	z->n = n;
	z->mean = (double)m * (double)n / 2;
	z->sd = sqrt((double)m * (double)n * (double)(m + n + 1) / 12);
	z->cdf = NULL;
	if (m <= STATS_EXACT_MAX && n <= STATS_EXACT_MAX)
		z->cdf = exact_cdf(m, n);
}

static double u_null_cdf(const struct u_null *z, double u)
{
	if (u < 0)
		return 0;
	if (z->cdf)
		return u >= (double)(z->m * z->n) ? 1 : z->cdf[(size_t)u];
	return stats_norm_cdf((floor(u) + 0.5 - z->mean) / z->sd);
}

/* ---- Mann-Whitney ---- */

/* The pooled sample in order, as tie groups. */
struct pooled {
	size_t na, nb;		/* values used from each side */
	size_t ngroups;
	size_t *size;		/* values in each tie group, ascending */
	size_t *in_b;		/* how many of them came from B */
};

struct tagged {
	double v;
	int from_b;
};

static int cmp_tagged(const void *x, const void *y)
{
	return cmp_double(&((const struct tagged *)x)->v,
			  &((const struct tagged *)y)->v);
}

static size_t tag_values(struct tagged *t, const double *v, size_t n, int from_b)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			t[k++] = (struct tagged){ v[i], from_b };
	return k;
}

static void pooled_init(struct pooled *pl, const double *a, size_t na,
			const double *b, size_t nb)
{
	struct tagged *t = xmalloc((na + nb + 1) * sizeof(*t));
	size_t n, g = 0;

	pl->na = tag_values(t, a, na, 0);
	pl->nb = tag_values(t + pl->na, b, nb, 1);
	n = pl->na + pl->nb;
	qsort(t, n, sizeof(*t), cmp_tagged);
	pl->size = xcalloc(n + 1, sizeof(size_t));
	pl->in_b = xcalloc(n + 1, sizeof(size_t));
	for (size_t i = 0; i < n; i++) {
		if (i && t[i].v != t[i - 1].v)
			g++;
		pl->size[g]++;
		pl->in_b[g] += (size_t)t[i].from_b;
	}
	pl->ngroups = n ? g + 1 : 0;
	free(t);
}

static void pooled_release(struct pooled *pl)
{
	free(pl->size);
	free(pl->in_b);
}

/*
 * Twice U, an integer: twice the rank sum of B with midranks, less
 * nb (nb + 1). A group starting after `start` values, of t values, has
 * doubled midrank 2 start + t + 1.
 */
static size_t pooled_u2(const struct pooled *pl)
{
	size_t start = 0, s2 = 0;

	for (size_t g = 0; g < pl->ngroups; g++) {
		s2 += (2 * start + pl->size[g] + 1) * pl->in_b[g];
		start += pl->size[g];
	}
	return s2 - pl->nb * (pl->nb + 1);
}

static double pooled_tie_term(const struct pooled *pl)
{
	double sum = 0;

	for (size_t g = 0; g < pl->ngroups; g++) {
		double t = (double)pl->size[g];

		sum += t * t * t - t;
	}
	return sum;
}

/*
 * One tie group into the table of ways: f[c][s] counts the choices of
 * c values so far with doubled rank sum s; choosing j of the group's t
 * values (C(t, j) ways) adds j r to s. Rows c <= cmax, sums <= smax.
 */
static void dp_add_group(double *g, const double *f, size_t w, size_t nb,
			 size_t cmax, size_t smax, size_t t, size_t r)
{
	for (size_t c = 0; c <= cmax; c++)
		memset(g + c * w, 0, (smax + 1) * sizeof(double));
	for (size_t c = 0; c <= cmax; c++) {
		for (size_t s = 0; s <= smax; s++) {
			double ways = f[c * w + s], binom = 1;

			if (ways == 0)
				continue;
			for (size_t j = 0; j <= t && c + j <= nb; j++) {
				g[(c + j) * w + s + j * r] += ways * binom;
				binom = binom * (double)(t - j) / (double)(j + 1);
			}
		}
	}
}

/*
 * The exact distribution of 2U given the tie groups, every choice of
 * nb of the pooled values being equally likely: probabilities indexed
 * by 2U, 0..2 na nb.
 */
static double *u2_tied_dist(const struct pooled *pl)
{
	size_t nb = pl->nb, n = pl->na + nb, w = 2 * n * nb + 1;
	size_t done = 0, off = nb * (nb + 1), top = 2 * pl->na * nb;
	double *f = xcalloc((nb + 1) * w, sizeof(double));
	double *g = xcalloc((nb + 1) * w, sizeof(double)), *t, total = 0;
	double *d = xcalloc(top + 1, sizeof(double));

	f[0] = 1;
	for (size_t k = 0; k < pl->ngroups; k++) {
		size_t sz = pl->size[k], r = 2 * done + sz + 1;
		size_t cmax = done + sz < nb ? done + sz : nb;

		dp_add_group(g, f, w, nb, cmax, 2 * (done + sz) * cmax, sz, r);
		t = f, f = g, g = t;
		done += sz;
	}
	for (size_t s = off; s <= off + top; s++)
		total += f[nb * w + s];
	for (size_t s = off; s <= off + top; s++)
		d[s - off] = f[nb * w + s] / total;
	free(f);
	free(g);
	return d;
}

/* Both tails, P(2U <= u2) and P(2U >= u2), exact. */
static void exact_tails(const struct pooled *pl, size_t u2, double *le, double *ge)
{
	size_t top = 2 * pl->na * pl->nb;
	double *d, lo = 0, hi = 0;

	if (pl->ngroups == pl->na + pl->nb) {
		struct u_null z;

		u_null_init(&z, pl->na, pl->nb);
		*le = u_null_cdf(&z, (double)(u2 / 2));
		/* symmetric without ties: P(U >= u) = P(U <= mn - u) */
		*ge = u_null_cdf(&z, (double)((top - u2) / 2));
		return;
	}
	d = u2_tied_dist(pl);
	for (size_t k = 0; k <= u2; k++)
		lo += d[k];
	for (size_t k = top + 1; k-- > u2; )
		hi += d[k];
	free(d);
	*le = lo < 1 ? lo : 1;
	*ge = hi < 1 ? hi : 1;
}

static double side_p(enum stats_side side, double le, double ge)
{
	double two = 2 * (le < ge ? le : ge);

	if (side == STATS_GREATER)
		return ge;
	if (side == STATS_LESS)
		return le;
	return two < 1 ? two : 1;
}

/* The normal approximation: sets z and p. */
static void approx_p(struct stats_mw *out, const struct pooled *pl, enum stats_side side)
{
	double m = (double)pl->na, n = (double)pl->nb, big = m + n;
	double var = m * n / 12 * ((big + 1) - pooled_tie_term(pl) / (big * (big - 1)));
	double d = out->u - m * n / 2, sd = sqrt(var);

	if (!(sd > 0)) {
		out->z = 0;
		out->p = 1;
		return;
	}
	if (side == STATS_GREATER)
		d -= 0.5;
	else if (side == STATS_LESS)
		d += 0.5;
	else if (d != 0)
		d -= copysign(0.5, d);
	out->z = d / sd;
	out->p = side_p(side, stats_norm_cdf(out->z), norm_sf(out->z));
}

void stats_mann_whitney(struct stats_mw *out, const double *a, size_t na,
			const double *b, size_t nb, enum stats_side side)
{
	struct pooled pl;
	size_t u2;
	double le, ge;

	pooled_init(&pl, a, na, b, nb);
	out->na = pl.na;
	out->nb = pl.nb;
	out->nan = na + nb - pl.na - pl.nb;
	out->u = out->p = out->z = NAN;
	out->exact = 0;
	out->ties = pl.ngroups < pl.na + pl.nb;
	if (!pl.na || !pl.nb)
		goto done;
	u2 = pooled_u2(&pl);
	out->u = (double)u2 / 2;
	if (pl.na <= STATS_EXACT_MAX && pl.nb <= STATS_EXACT_MAX) {
		exact_tails(&pl, u2, &le, &ge);
		out->p = side_p(side, le, ge);
		out->exact = 1;
	} else {
		approx_p(out, &pl, side);
	}
done:
	pooled_release(&pl);
}

/* ---- Hodges-Lehmann and Moses ---- */

/*
 * k for Moses' interval: the largest k with P(U <= k - 1) <= tail,
 * 0 if none; *achieved gets 1 - 2 P(U <= k - 1).
 */
static size_t moses_k(const struct u_null *z, double tail, double *achieved)
{
	size_t k = 0;

	if (z->cdf) {
		while (u_null_cdf(z, (double)k) <= tail)
			k++;
	} else {
		double umax = floor(z->mean - 0.5 + z->sd * stats_norm_quantile(tail));

		k = umax < 0 ? 0 : (size_t)umax + 1;
	}
	*achieved = k ? 1 - 2 * u_null_cdf(z, (double)k - 1) : 1;
	return k;
}

static void shift_interval(struct stats_shift *out, const double *d, size_t m, size_t n)
{
	struct u_null z;
	size_t k;

	u_null_init(&z, m, n);
	out->exact = z.cdf != NULL;
	k = moses_k(&z, (1 - out->level) / 2, &out->confidence);
	if (!k) {
		out->lo = -INFINITY;
		out->hi = INFINITY;
		return;
	}
	out->lo = d[k - 1];
	out->hi = d[m * n - k];
}

int stats_hl_shift(struct stats_shift *out, const double *a, size_t na,
		   const double *b, size_t nb, double level)
{
	size_t ka, kb, mn;
	double *sa, *sb, *d;

	if (!(level > 0 && level < 1))
		return error("confidence level '%g' is not between 0 and 1", level);
	sa = sorted_values(a, na, &ka);
	sb = sorted_values(b, nb, &kb);
	out->na = ka;
	out->nb = kb;
	out->nan = na + nb - ka - kb;
	out->level = level;
	out->estimate = out->lo = out->hi = out->confidence = NAN;
	out->exact = 0;
	mn = ka * kb;
	if (mn > STATS_HL_MAX_PAIRS) {
		free(sa);
		free(sb);
		return error("too many pairs (%zu x %zu) for the Hodges-Lehmann shift", ka, kb);
	}
	d = xmalloc((mn ? mn : 1) * sizeof(*d));
	for (size_t i = 0; i < ka; i++)
		for (size_t j = 0; j < kb; j++)
			d[i * kb + j] = sb[j] - sa[i];
	qsort(d, mn, sizeof(*d), cmp_double);
	if (mn) {
		out->estimate = quantile_sorted(d, mn, 0.5);
		shift_interval(out, d, ka, kb);
	}
	free(d);
	free(sa);
	free(sb);
	return 0;
}

/* log of every value into a new array; NaN stays NaN. */
static double *log_values(const double *v, size_t n, const char *side)
{
	double *l = xmalloc((n ? n : 1) * sizeof(*l));

	for (size_t i = 0; i < n; i++) {
		if (!isnan(v[i]) && !(v[i] > 0 && isfinite(v[i]))) {
			error("value '%g' of %s is not positive: a ratio needs positive values",
			      v[i], side);
			free(l);
			return NULL;
		}
		l[i] = log(v[i]);
	}
	return l;
}

int stats_hl_ratio(struct stats_shift *out, const double *a, size_t na,
		   const double *b, size_t nb, double level)
{
	double *la = log_values(a, na, "A"), *lb = NULL;
	int ret = -1;

	if (!la || !(lb = log_values(b, nb, "B")))
		goto done;
	ret = stats_hl_shift(out, la, na, lb, nb, level);
	out->estimate = exp(out->estimate);
	out->lo = exp(out->lo);
	out->hi = exp(out->hi);
done:
	free(la);
	free(lb);
	return ret;
}

/* ---- Holm ---- */

struct ranked_p {
	double p;
	size_t at;
};

static int cmp_ranked_p(const void *x, const void *y)
{
	const struct ranked_p *a = x, *b = y;
	int c = cmp_double(&a->p, &b->p);

	return c ? c : (a->at > b->at) - (a->at < b->at);
}

void stats_holm(double *adj, const double *p, size_t n)
{
	struct ranked_p *r = xmalloc((n ? n : 1) * sizeof(*r));
	size_t m = 0;
	double run = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(p[i]))
			r[m++] = (struct ranked_p){ p[i], i };
	qsort(r, m, sizeof(*r), cmp_ranked_p);
	for (size_t i = 0; i < n; i++)
		if (isnan(p[i]))
			adj[i] = NAN;
	for (size_t i = 0; i < m; i++) {
		double v = (double)(m - i) * r[i].p;

		run = fmax(run, fmin(v, 1));
		adj[r[i].at] = run;
	}
	free(r);
}

/* ---- sequential looks ---- */

int stats_looks_init(struct stats_looks *out, double alpha_total,
		     const unsigned *runs, size_t n)
{
	double spent = 0;

	if (!n || n > STATS_MAX_LOOKS)
		return error("'%zu' looks: between 1 and %d", n, STATS_MAX_LOOKS);
	if (!(alpha_total > 0 && alpha_total < 0.5))
		return error("overall alpha '%g' is not between 0 and 0.5", alpha_total);
	for (size_t i = 0; i < n; i++)
		if (!runs[i] || (i && runs[i] <= runs[i - 1]))
			return error("look %zu: '%u' runs do not increase", i + 1, runs[i]);
	out->n = n;
	out->alpha_total = alpha_total;
	for (size_t i = 0; i < n; i++) {
		double t = (double)runs[i] / runs[n - 1];
		double cum = alpha_total * log(1 + (M_E - 1) * t);

		out->runs[i] = runs[i];
		out->alpha[i] = cum - spent;
		spent = cum;
	}
	return 0;
}

void stats_looks_default(struct stats_looks *out)
{
	static const unsigned runs[] = { 5, 10, 20, 40 };

	stats_looks_init(out, STATS_ALPHA_DEFAULT, runs, ARRAY_SIZE(runs));
}

int stats_looks_at(const struct stats_looks *l, size_t runs)
{
	int at = -1;

	for (size_t i = 0; i < l->n; i++)
		if (l->runs[i] <= runs)
			at = (int)i;
	return at;
}

/* ---- the verdict ---- */

const char *stats_outcome_name(enum stats_outcome o)
{
	switch (o) {
	case STATS_GOOD:
		return "GOOD";
	case STATS_BAD:
		return "BAD";
	default:
		return "INCONCLUSIVE";
	}
}

/* A ratio as a signed percentage change ("+5.0%", "-100.0%", "+inf%"). */
static const char *pct(char *buf, size_t len, double ratio)
{
	double c = (ratio - 1) * 100;

	if (isinf(ratio))
		snprintf(buf, len, "+inf%%");
	else if (fabs(c) < 1e6)
		snprintf(buf, len, "%+.1f%%", c);
	else
		snprintf(buf, len, "%+.3g%%", c);
	return buf;
}

/* "+21.0% [+19.0%, +23.0%]" */
static void describe_effect(char *buf, size_t len, const struct stats_verdict *v)
{
	char e[24], l[24], h[24];

	snprintf(buf, len, "%s [%s, %s]", pct(e, sizeof(e), v->ratio),
		 pct(l, sizeof(l), v->lo), pct(h, sizeof(h), v->hi));
}

/* What the interval and p say, towards the bad side. */
struct findings {
	int up;			/* the threshold is an increase */
	int significant;	/* p <= alpha and the interval excludes 1 */
	int excludes;		/* the interval alone excludes 1 */
	int large;		/* the ratio moved half the threshold or more */
	int ruled_out;		/* the interval excludes the threshold */
	int unbounded;		/* too few values for the confidence */
};

static void find(struct findings *f, const struct stats_verdict *v)
{
	double limit = 1 + v->threshold, half = 1 + v->threshold / 2;

	f->up = v->threshold > 0;
	f->excludes = f->up ? v->lo > 1 : v->hi < 1;
	f->significant = v->p <= v->alpha && f->excludes;
	f->large = f->up ? v->ratio >= half : v->ratio <= half;
	f->ruled_out = f->up ? v->hi < limit : v->lo > limit;
	f->unbounded = isinf(v->hi) || v->lo == 0;
}

static void explain(struct stats_verdict *v, const struct findings *f)
{
	const char *way = f->up ? "increase" : "decrease";
	char eff[80], thr[24];
	char *r = v->reason;
	size_t len = sizeof(v->reason);

	describe_effect(eff, sizeof(eff), v);
	pct(thr, sizeof(thr), 1 + v->threshold);
	if (v->outcome == STATS_BAD)
		snprintf(r, len, "%s is a significant %s (p = %.3g <= %.3g) of at least "
			 "half the %s threshold", eff, way, v->p, v->alpha, thr);
	else if (v->outcome == STATS_GOOD)
		snprintf(r, len, "%s rules out a change of %s%s", eff, thr,
			 f->significant ? " (a significant but smaller change)" : "");
	else if (f->unbounded)
		snprintf(r, len, "%zu and %zu values cannot give %.1f%% confidence: "
			 "more runs needed", v->na, v->nb, 100 * (1 - 2 * v->alpha));
	else if (f->significant)
		snprintf(r, len, "%s is a significant %s below half the %s threshold, "
			 "and does not rule it out", eff, way, thr);
	else if (f->excludes)
		snprintf(r, len, "%s excludes no change, but the tie-aware p = %.3g > %.3g",
			 eff, v->p, v->alpha);
	else
		snprintf(r, len, "%s neither excludes no change nor rules out %s", eff, thr);
}

/*
 * BAD before GOOD: a significant move of at least half the threshold
 * is BAD even when its interval also stops short of the threshold.
 */
static void judge(struct stats_verdict *v)
{
	struct findings f;

	find(&f, v);
	if (f.significant && f.large)
		v->outcome = STATS_BAD;
	else if (f.ruled_out)
		v->outcome = STATS_GOOD;
	else
		v->outcome = STATS_INCONCLUSIVE;
	explain(v, &f);
}

static void verdict_init(struct stats_verdict *v, double threshold, double alpha)
{
	memset(v, 0, sizeof(*v));
	v->outcome = STATS_INCONCLUSIVE;
	v->ratio = v->lo = v->hi = v->confidence = v->p = v->p_adj = NAN;
	v->threshold = threshold;
	v->alpha = alpha;
}

int stats_verdict(struct stats_verdict *out, const double *a, size_t na,
		  const double *b, size_t nb, double threshold, double alpha)
{
	struct stats_shift hl;
	struct stats_mw mw;

	verdict_init(out, threshold, alpha);
	if (!(threshold > -1 && threshold != 0 && isfinite(threshold)))
		return error("threshold '%g' is not a change above -100%% and not 0", threshold);
	if (!(alpha > 0 && alpha < 0.5))
		return error("alpha '%g' is not between 0 and 0.5", alpha);
	if (stats_hl_ratio(&hl, a, na, b, nb, 1 - 2 * alpha) < 0)
		return -1;
	out->na = hl.na;
	out->nb = hl.nb;
	out->nan = hl.nan;
	if (!hl.na || !hl.nb) {
		snprintf(out->reason, sizeof(out->reason), "no values on side %s",
			 hl.na ? "B" : "A");
		return 0;
	}
	stats_mann_whitney(&mw, a, na, b, nb, threshold > 0 ? STATS_GREATER : STATS_LESS);
	out->ratio = hl.estimate;
	out->lo = hl.lo;
	out->hi = hl.hi;
	out->confidence = hl.confidence;
	out->p = out->p_adj = mw.p;
	out->exact = hl.exact && mw.exact;
	judge(out);
	return 0;
}

void stats_verdict_holm(struct stats_verdict *v, size_t n)
{
	double *p = xmalloc((n ? n : 1) * sizeof(*p));

	size_t tested = 0;

	for (size_t i = 0; i < n; i++) {
		p[i] = v[i].p;
		tested += !isnan(p[i]);	/* a gate that could not be judged is no test */
	}
	stats_holm(p, p, n);
	for (size_t i = 0; i < n; i++) {
		char eff[80];

		v[i].p_adj = p[i];
		if (v[i].outcome != STATS_BAD || !(p[i] > v[i].alpha))
			continue;
		v[i].outcome = STATS_INCONCLUSIVE;
		describe_effect(eff, sizeof(eff), &v[i]);
		snprintf(v[i].reason, sizeof(v[i].reason),
			 "%s is significant alone (p = %.3g) but not after Holm's correction "
			 "across %zu gated metrics (adjusted p = %.3g > %.3g)",
			 eff, v[i].p, tested, p[i], v[i].alpha);
	}
	free(p);
}

/* ---- paired comparisons ---- */

/*
 * Counts of sign patterns by the sum of the (doubled, integer) ranks
 * r2[0..n) of the positive ones: index 0..sum r2. Only additions, so
 * the tails are exact integers up to 2^53 (n <= 52).
 */
static double *sr_counts(const unsigned *r2, size_t n, size_t *top)
{
	size_t max = 0;
	double *c;

	for (size_t i = 0; i < n; i++)
		max += r2[i];
	c = xcalloc(max + 1, sizeof(double));
	c[0] = 1;
	for (size_t i = 0, hi = 0; i < n; i++) {
		hi += r2[i];
		for (size_t s = hi + 1; s-- > r2[i];)
			c[s] += c[s - r2[i]];
	}
	*top = max;
	return c;
}

struct sr_rank {
	double a;		/* |d| */
	int pos;		/* d > 0 */
};

static int cmp_sr_rank(const void *x, const void *y)
{
	return cmp_double(&((const struct sr_rank *)x)->a, &((const struct sr_rank *)y)->a);
}

/* Doubled midranks of the sorted |d| into r2; returns sum(t^3 - t) of the ties. */
static double sr_midranks(const struct sr_rank *s, size_t n, unsigned *r2)
{
	double tie = 0;

	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j < n && s[j].a == s[i].a)
			j++;
		for (size_t k = i; k < j; k++)
			r2[k] = (unsigned)(i + 1 + j);	/* 2 x the midrank of ranks i+1..j */
		tie += (double)(j - i) * (double)(j - i) * (double)(j - i) - (double)(j - i);
		i = j;
	}
	return tie;
}

/* Exact one-sided tails of the doubled statistic v2 over the sign patterns. */
static void sr_exact(struct stats_sr *out, const unsigned *r2, size_t n, size_t v2,
		     enum stats_side side)
{
	size_t top;
	double *c = sr_counts(r2, n, &top), le = 0, ge = 0, tot = 0;

	for (size_t s = 0; s <= top; s++) {
		tot += c[s];
		if (s <= v2)
			le += c[s];
		if (s >= v2)
			ge += c[s];
	}
	free(c);
	out->exact = 1;
	out->p = side_p(side, le / tot, ge / tot);
}

static void sr_approx(struct stats_sr *out, double tie, enum stats_side side)
{
	double m = (double)out->n, mean = m * (m + 1) / 4;
	double sd = sqrt(m * (m + 1) * (2 * m + 1) / 24 - tie / 48);
	double dv = out->v - mean, cc = dv > 0 ? 0.5 : dv < 0 ? -0.5 : 0;

	if (side == STATS_GREATER)
		cc = 0.5;
	else if (side == STATS_LESS)
		cc = -0.5;
	out->z = sd > 0 ? (dv - cc) / sd : 0;
	if (side == STATS_GREATER)
		out->p = norm_sf(out->z);
	else if (side == STATS_LESS)
		out->p = stats_norm_cdf(out->z);
	else
		out->p = fmin(1, 2 * norm_sf(fabs(out->z)));
}

void stats_signed_rank(struct stats_sr *out, const double *d, size_t n, enum stats_side side)
{
	struct sr_rank *s = xmalloc((n ? n : 1) * sizeof(*s));
	unsigned *r2 = xmalloc((n ? n : 1) * sizeof(*r2));
	size_t m = 0, v2 = 0;
	double tie;

	memset(out, 0, sizeof(*out));
	out->v = out->p = out->z = NAN;
	for (size_t i = 0; i < n; i++) {
		if (isnan(d[i]))
			out->nan++;
		else if (d[i] == 0)
			out->zeros++;
		else
			s[m++] = (struct sr_rank){ fabs(d[i]), d[i] > 0 };
	}
	out->n = m;
	if (m) {
		qsort(s, m, sizeof(*s), cmp_sr_rank);
		tie = sr_midranks(s, m, r2);
		out->ties = tie > 0;
		for (size_t i = 0; i < m; i++)
			v2 += s[i].pos ? r2[i] : 0;
		out->v = (double)v2 / 2;
		if (m <= STATS_EXACT_MAX)
			sr_exact(out, r2, m, v2, side);
		else
			sr_approx(out, tie, side);
	}
	free(s);
	free(r2);
}

/* P(V <= v) of the tie-free signed-rank null for n, exact or normal. */
static double sr_null_cdf(size_t n, const double *cdf, double v)
{
	double m = (double)n, mean = m * (m + 1) / 4, sd = sqrt(m * (m + 1) * (2 * m + 1) / 24);

	if (v < 0)
		return 0;
	if (cdf)
		return v >= m * (m + 1) / 2 ? 1 : cdf[(size_t)v];
	return stats_norm_cdf((floor(v) + 0.5 - mean) / sd);
}

/* The tie-free CDF of V for n (exact only up to STATS_EXACT_MAX), or NULL. */
static double *sr_null(size_t n)
{
	unsigned *r = xmalloc((n ? n : 1) * sizeof(*r));
	size_t top;
	double *c, tot = 0, run = 0, *cdf;

	if (n > STATS_EXACT_MAX) {
		free(r);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		r[i] = (unsigned)(i + 1);
	c = sr_counts(r, n, &top);
	cdf = xmalloc((top + 1) * sizeof(double));
	for (size_t v = 0; v <= top; v++)
		tot += c[v];
	for (size_t v = 0; v <= top; v++)
		cdf[v] = (run += c[v]) / tot;
	free(c);
	free(r);
	return cdf;
}

static void walsh_interval(struct stats_shift *out, const double *w, size_t nw, size_t n)
{
	double *cdf = sr_null(n), tail = (1 - out->level) / 2;
	size_t k = 0;

	out->exact = cdf != NULL;
	while (k < nw && sr_null_cdf(n, cdf, (double)k) <= tail)
		k++;
	out->confidence = k ? 1 - 2 * sr_null_cdf(n, cdf, (double)k - 1) : 1;
	out->lo = k ? w[k - 1] : -INFINITY;
	out->hi = k ? w[nw - k] : INFINITY;
	free(cdf);
}

int stats_hl_paired(struct stats_shift *out, const double *d, size_t n, double level)
{
	size_t k, nw;
	double *s, *w;

	if (!(level > 0 && level < 1))
		return error("confidence level '%g' is not between 0 and 1", level);
	s = sorted_values(d, n, &k);
	memset(out, 0, sizeof(*out));
	out->na = out->nb = k;
	out->nan = n - k;
	out->level = level;
	out->estimate = out->lo = out->hi = out->confidence = NAN;
	nw = k * (k + 1) / 2;
	if (nw > STATS_HL_MAX_PAIRS) {
		free(s);
		return error("too many differences (%zu) for the Hodges-Lehmann estimate", k);
	}
	w = xmalloc((nw ? nw : 1) * sizeof(*w));
	for (size_t i = 0, m = 0; i < k; i++)
		for (size_t j = i; j < k; j++)
			w[m++] = (s[i] + s[j]) / 2;
	qsort(w, nw, sizeof(*w), cmp_double);
	if (nw) {
		out->estimate = quantile_sorted(w, nw, 0.5);
		walsh_interval(out, w, nw, k);
	}
	free(w);
	free(s);
	return 0;
}

/* log(b_i / a_i) of the blocks with both sides; NULL after error() on a value <= 0. */
static double *log_ratios(const double *a, const double *b, size_t n, size_t *m)
{
	double *d = xmalloc((n ? n : 1) * sizeof(*d));

	*m = 0;
	for (size_t i = 0; i < n; i++) {
		if (isnan(a[i]) || isnan(b[i]))
			continue;
		if (!(a[i] > 0 && b[i] > 0 && isfinite(a[i]) && isfinite(b[i]))) {
			error("block %zu ('%g', '%g') is not positive: a ratio needs positive values",
			      i + 1, a[i], b[i]);
			free(d);
			return NULL;
		}
		d[(*m)++] = log(b[i] / a[i]);
	}
	return d;
}

int stats_paired_verdict(struct stats_verdict *out, const double *a, const double *b,
			 size_t n, double threshold, double alpha)
{
	struct stats_shift hl;
	struct stats_sr sr;
	double *d;
	size_t m;
	int ret = -1;

	verdict_init(out, threshold, alpha);
	if (!(threshold > -1 && threshold != 0 && isfinite(threshold)))
		return error("threshold '%g' is not a change above -100%% and not 0", threshold);
	if (!(alpha > 0 && alpha < 0.5))
		return error("alpha '%g' is not between 0 and 0.5", alpha);
	if (!(d = log_ratios(a, b, n, &m)))
		return -1;
	out->na = out->nb = m;
	out->nan = n - m;
	if (!m) {
		snprintf(out->reason, sizeof(out->reason), "no block has both sides");
		ret = 0;
	} else if (!stats_hl_paired(&hl, d, m, 1 - 2 * alpha)) {
		stats_signed_rank(&sr, d, m, threshold > 0 ? STATS_GREATER : STATS_LESS);
		out->ratio = exp(hl.estimate);
		out->lo = exp(hl.lo);
		out->hi = exp(hl.hi);
		out->confidence = hl.confidence;
		out->p = out->p_adj = sr.n ? sr.p : 1;
		out->exact = hl.exact && (sr.exact || !sr.n);
		judge(out);
		ret = 0;
	}
	free(d);
	return ret;
}

/* Huber's M-estimate of location with a known scale (k = 1.345). */
static double huber_location(const double *d, size_t n, double scale)
{
	double mu = stats_median(d, n), k = 1.345 * scale;

	for (int it = 0; it < 50; it++) {
		double num = 0, den = 0, next;

		for (size_t i = 0; i < n; i++) {
			double r = d[i] - mu, w = fabs(r) <= k ? 1 : k / fabs(r);

			num += w * d[i];
			den += w;
		}
		next = num / den;
		if (fabs(next - mu) <= 1e-12 * (scale + fabs(mu)))
			return next;
		mu = next;
	}
	return mu;
}

int stats_paired_verdict_scaled(struct stats_verdict *out, const double *a, const double *b,
				size_t n, double threshold, double alpha, double scale,
				double df)
{
	double *d, mu, se, q;
	size_t m;

	verdict_init(out, threshold, alpha);
	if (!(threshold > -1 && threshold != 0 && isfinite(threshold)))
		return error("threshold '%g' is not a change above -100%% and not 0", threshold);
	if (!(alpha > 0 && alpha < 0.5))
		return error("alpha '%g' is not between 0 and 0.5", alpha);
	if (!(scale > 0 && isfinite(scale)) || !(df >= 1))
		return error("scale '%g' with '%g' degrees of freedom: not a spread", scale, df);
	if (!(d = log_ratios(a, b, n, &m)))
		return -1;
	out->na = out->nb = m;
	out->nan = n - m;
	if (!m) {
		snprintf(out->reason, sizeof(out->reason), "no block has both sides");
		free(d);
		return 0;
	}
	mu = huber_location(d, m, scale);
	se = scale * sqrt(1.0526 / (double)m);
	q = stats_t_quantile(1 - alpha, df);
	out->ratio = exp(mu);
	out->lo = exp(mu - q * se);
	out->hi = exp(mu + q * se);
	out->confidence = 1 - 2 * alpha;
	out->p = out->p_adj = threshold > 0 ? 1 - stats_t_cdf(mu / se, df) :
			      stats_t_cdf(mu / se, df);
	judge(out);
	free(d);
	return 0;
}

/* ---- change points ---- */

/*
 * The energy statistic of every split of v[0..n) into v[0..tau) and
 * v[tau..n), each side at least min_size long: the largest, and its
 * tau in *at. Moving one point from right to left updates the within
 * sums in O(n), so all splits cost O(n^2).
 */
static double best_split(const double *v, size_t n, size_t min_size, size_t *at)
{
	double total = 0, wl = 0, wr, best = -INFINITY;

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			total += fabs(v[i] - v[j]);
	wr = total;
	for (size_t tau = 1; tau + min_size <= n; tau++) {
		size_t x = tau - 1;
		double nl = (double)tau, nr = (double)(n - tau), q;

		for (size_t i = 0; i < x; i++)
			wl += fabs(v[i] - v[x]);
		for (size_t j = x + 1; j < n; j++)
			wr -= fabs(v[x] - v[j]);
		if (tau < min_size)
			continue;
		q = nl * nr / (nl + nr) * (2 * (total - wl - wr) / (nl * nr)
			- wl / (nl * (nl - 1) / 2) - wr / (nr * (nr - 1) / 2));
		if (q > best) {
			best = q;
			*at = tau;
		}
	}
	return best;
}

/*
 * Permutation p of a split whose statistic is q. Stops early once the
 * exceedances show p cannot reach alpha: a significant split costs all
 * the permutations, an insignificant one usually a few dozen.
 */
static double split_p(const double *v, size_t n, double q,
		      const struct stats_cp_opts *o, struct rng *r)
{
	double *w = xmalloc(n * sizeof(*w)), limit;
	double tol = 1e-12 * fabs(q);
	unsigned exceed = 0, done = 0;
	size_t at;

	memcpy(w, v, n * sizeof(*w));
	limit = o->alpha * ((double)o->permutations + 1) - 1;
	while (done < o->permutations && exceed <= limit) {
		rng_shuffle(r, w, n);
		exceed += best_split(w, n, o->min_size, &at) >= q - tol;
		done++;
	}
	free(w);
	return (1.0 + exceed) / (1.0 + done);
}

struct cp_list {
	struct stats_cp *v;
	size_t nr, alloc;
};

static void cp_add(struct cp_list *l, size_t index, double p)
{
	ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	l->v[l->nr++] = (struct stats_cp){ index, p, NAN, NAN };
}

/* Search x[lo..hi) for a significant split and recurse into both sides. */
static void search_segment(const double *x, size_t lo, size_t hi,
			   const struct stats_cp_opts *o, struct rng *r, struct cp_list *out)
{
	size_t n = hi - lo, at = 0;
	double q, p;

	if (n < 2 * o->min_size)
		return;
	q = best_split(x + lo, n, o->min_size, &at);
	if (!isfinite(q) || !at)
		return;
	p = split_p(x + lo, n, q, o, r);
	if (p > o->alpha)
		return;
	cp_add(out, lo + at, p);
	search_segment(x, lo, lo + at, o, r, out);
	search_segment(x, lo + at, hi, o, r, out);
}

static int cmp_cp(const void *x, const void *y)
{
	const struct stats_cp *a = x, *b = y;

	return (a->index > b->index) - (a->index < b->index);
}

/*
 * Sort by index; of changes closer than min_size (the same step seen
 * from two windows) keep the one with the smaller p.
 */
static void cp_merge(struct cp_list *l, size_t min_size)
{
	size_t k = 0;

	if (!l->nr)
		return;
	qsort(l->v, l->nr, sizeof(*l->v), cmp_cp);
	for (size_t i = 0; i < l->nr; i++) {
		if (k && l->v[i].index - l->v[k - 1].index < min_size) {
			if (l->v[i].p < l->v[k - 1].p)
				l->v[k - 1] = l->v[i];
			continue;
		}
		l->v[k++] = l->v[i];
	}
	l->nr = k;
}

/* Medians either side of each change; indexes back to the input's. */
static void cp_finish(struct cp_list *l, const double *x, size_t m, const size_t *orig)
{
	for (size_t i = 0; i < l->nr; i++) {
		size_t from = i ? l->v[i - 1].index : 0;
		size_t at = l->v[i].index;
		size_t to = i + 1 < l->nr ? l->v[i + 1].index : m;

		l->v[i].before = stats_median(x + from, at - from);
		l->v[i].after = stats_median(x + at, to - at);
	}
	for (size_t i = 0; i < l->nr; i++)
		l->v[i].index = orig[l->v[i].index];
}

static int cp_opts_check(const struct stats_cp_opts *o)
{
	if (!(o->alpha > 0 && o->alpha < 1))
		return error("change-point alpha '%g' is not between 0 and 1", o->alpha);
	if (!o->permutations)
		return error("change points need at least one permutation");
	if (o->min_size < 2)
		return error("change-point minimum segment '%zu' is below 2", o->min_size);
	if (o->window && o->window < 2 * o->min_size)
		return error("change-point window '%zu' is below twice the minimum segment",
			     o->window);
	return 0;
}

int stats_changepoints(struct stats_cp **out, const double *x, size_t n,
		       const struct stats_cp_opts *opts)
{
	static const struct stats_cp_opts defaults = STATS_CP_OPTS_INIT;
	const struct stats_cp_opts *o = opts ? opts : &defaults;
	double *v = xmalloc((n ? n : 1) * sizeof(*v));
	size_t *orig = xmalloc((n ? n : 1) * sizeof(*orig)), m = 0;
	struct cp_list l = { NULL, 0, 0 };
	struct rng r;

	*out = NULL;
	if (cp_opts_check(o) < 0) {
		free(v);
		free(orig);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (isfinite(x[i]))
			orig[m] = i, v[m++] = x[i];
	rng_seed(&r, o->seed);
	if (!o->window || m <= o->window) {
		search_segment(v, 0, m, o, &r, &l);
	} else {
		for (size_t s = 0; s + o->window < m; s += o->window / 2)
			search_segment(v, s, s + o->window, o, &r, &l);
		search_segment(v, m - o->window, m, o, &r, &l);
	}
	cp_merge(&l, o->min_size);
	cp_finish(&l, v, m, orig);
	free(v);
	free(orig);
	*out = l.v;
	return (int)l.nr;
}
