#ifndef COMMON_STATS_H
#define COMMON_STATS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Statistics for deciding between two builds: robust summaries, the
 * Mann-Whitney test, the Hodges-Lehmann ratio with its interval, Holm's
 * correction, sequential looks, the verdict on one gated metric, and
 * change-point detection over a history. compare, nightly and bisect
 * call this; it prints nothing except through error().
 *
 * Conventions:
 * - Samples are arrays of double. NaN means "could not be measured":
 *   every function drops NaNs first, and those that fill a struct count
 *   what they dropped. A sample left empty gives NaN results, never 0.
 * - A is the baseline, B the candidate; effects are B relative to A.
 * - An alpha is one-sided: the chance of a false call in one direction.
 */

/*
 * Summaries. Quantiles are R's type 7 (its default, and numpy's):
 * with the n sorted values x[1..n], h = (n - 1) q + 1 and
 * Q(q) = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
 * The median is Q(0.5). stddev divides by n - 1 (NaN below 2 values).
 * MAD is unscaled, median |x - median|; scaled, it is multiplied by
 * STATS_MAD_SCALE = 1 / Phi^-1(3/4) to estimate sigma for normal
 * data (R's mad() default).
 */
#define STATS_MAD_SCALE 1.482602218505602

struct stats_summary {
	size_t n;		/* values used */
	size_t nan;		/* NaNs dropped */
	double min, max;	/* extremes (unit of the values) */
	double median;		/* Q(0.5) */
	double p25, p75;	/* Q(0.25), Q(0.75) */
	double mad;		/* unscaled median absolute deviation */
	double mean;		/* arithmetic mean */
	double stddev;		/* sample standard deviation (n - 1) */
};

void stats_summarize(struct stats_summary *out, const double *v, size_t n);
size_t stats_count_nan(const double *v, size_t n);
double stats_quantile(const double *v, size_t n, double q);	/* NaN if q not in [0,1] */
double stats_median(const double *v, size_t n);
double stats_mad(const double *v, size_t n);			/* unscaled */
double stats_mad_scaled(const double *v, size_t n);		/* x STATS_MAD_SCALE */
double stats_mean(const double *v, size_t n);
double stats_stddev(const double *v, size_t n);

/* The standard normal distribution function and its inverse (0 < p < 1). */
double stats_norm_cdf(double z);
double stats_norm_quantile(double p);
/*
 * Student's t distribution with df > 0 degrees of freedom (df need not
 * be an integer): the distribution function (from the regularized
 * incomplete beta function) and its inverse (0 < p < 1).
 */
double stats_t_cdf(double t, double df);
double stats_t_quantile(double p, double df);

/*
 * Mann-Whitney U. U counts the pairs (a, b) with b > a, plus half the
 * pairs with b == a (0 <= U <= na nb; it equals R's W of
 * wilcox.test(b, a)). Large U means B tends to be larger.
 *
 * When both sides have at most STATS_EXACT_MAX values, p comes from the
 * exact permutation distribution of U: without ties the classical
 * distribution, with ties the distribution conditional on the observed
 * tie pattern (every choice of nb of the pooled values equally likely,
 * midranks for ties), enumerated by dynamic programming over the tie
 * groups. Two-sided p is twice the smaller tail, at most 1 (as R does;
 * the conditional distribution need not be symmetric).
 * Beyond that size, the normal approximation with the tie correction
 * of the variance, na nb / 12 (N + 1 - sum(t^3 - t) / (N (N - 1))), and
 * a continuity correction of 1/2 towards the mean; z is reported then.
 * (At 50 per side the two agree to about 1e-4 on tied and untied data;
 * the exact tied case costs up to about 50 ms there.)
 */
#define STATS_EXACT_MAX 50

enum stats_side {
	STATS_TWO_SIDED = 0,
	STATS_GREATER,		/* alternative: B tends to be larger than A */
	STATS_LESS		/* alternative: B tends to be smaller than A */
};

struct stats_mw {
	size_t na, nb;		/* values used from A and B */
	size_t nan;		/* NaNs dropped from both */
	double u;		/* the statistic (pairs), NaN if a side is empty */
	double p;		/* p-value for the side asked */
	double z;		/* normal deviate if approximate, else NaN */
	int exact;		/* 1: exact distribution, 0: normal approximation */
	int ties;		/* 1: the pooled sample has ties */
};

void stats_mann_whitney(struct stats_mw *out, const double *a, size_t na,
			const double *b, size_t nb, enum stats_side side);

/*
 * The Hodges-Lehmann shift: the median of the na nb differences
 * b_j - a_i, and Moses' distribution-free interval for it at the
 * confidence asked (e.g. 0.95): [D(k), D(na nb + 1 - k)] of the sorted
 * differences, k the largest with P(U <= k - 1) <= (1 - level) / 2 under
 * the tie-free null distribution of U, exact up to STATS_EXACT_MAX per
 * side and the normal approximation (continuity-corrected) beyond.
 * Because U is discrete the achieved confidence, 1 - 2 P(U <= k - 1), is
 * at least the level and is reported. When even k = 1 falls short (too
 * few values for the level), the interval is unbounded (-inf, +inf) and
 * the achieved confidence is 1. With ties in the data the closed
 * interval is conservative.
 *
 * stats_hl_ratio does the same on log values and reports exp() of the
 * shift and of the bounds: the typical ratio B/A (1.05 = B 5% higher),
 * an unbounded interval being [0, +inf]. Every value must be positive
 * and finite there, else it fails with error().
 * Both fail when na nb exceeds STATS_HL_MAX_PAIRS (the differences are
 * held in memory).
 */
#define STATS_HL_MAX_PAIRS ((size_t)1 << 22)

struct stats_shift {
	size_t na, nb;		/* values used from A and B */
	size_t nan;		/* NaNs dropped from both */
	double estimate;	/* shift (unit of the values) or ratio B/A */
	double lo, hi;		/* its interval */
	double level;		/* the confidence asked */
	double confidence;	/* the confidence achieved */
	int exact;		/* 1: exact order statistics, 0: normal approximation */
};

int stats_hl_shift(struct stats_shift *out, const double *a, size_t na,
		   const double *b, size_t nb, double level);
int stats_hl_ratio(struct stats_shift *out, const double *a, size_t na,
		   const double *b, size_t nb, double level);

/*
 * Holm's step-down adjustment of n p-values into adj[] (adj may be p):
 * sorted ascending, p(i) becomes max over j <= i of min(1, (m - j + 1) p(j)).
 * Rejecting where adj <= alpha keeps the chance of any false rejection
 * among the m at alpha. NaNs are left out of m and stay NaN.
 */
void stats_holm(double *adj, const double *p, size_t n);

/*
 * Sequential looks: measure runs[0] runs per side, decide, and if the
 * verdict is INCONCLUSIVE take more, up to runs[n - 1]. The overall
 * false-BAD rate alpha_total is spent across the looks with the
 * Pocock-type function of Lan and DeMets, alpha(t) = alpha_total
 * ln(1 + (e - 1) t), t = runs[i] / runs[n - 1] the information fraction,
 * and alpha[i] = alpha(t_i) - alpha(t_i-1) is the level of look i.
 * Why Pocock-type rather than O'Brien-Fleming-type: OBF spends almost
 * nothing early (under 1e-7 of 0.025 at 5 of 40 runs), and 5 runs per
 * side can never be significant below 1/252 = 0.004 with a rank test,
 * so OBF would make the cheap first look useless, while a gross
 * regression (the usual product of a bad merge) should be caught there.
 * Pocock-type spends evenly (0.19 of alpha at 5 of 40 runs, enough for
 * a complete separation of 5 against 5) and still keeps 0.38 for the
 * last look. Each look uses its increment as a plain level, which
 * bounds the overall rate by the sum (Bonferroni); that ignores the
 * correlation between looks and so is conservative.
 * The default: 5, 10, 20, 40 runs per side, alpha_total 0.025 (the
 * one-sided half of the usual 0.05): per look 0.0049, 0.0041, 0.0066,
 * 0.0095. GOOD calls are bounded the same way.
 */
#define STATS_MAX_LOOKS 8
#define STATS_ALPHA_DEFAULT 0.025

struct stats_looks {
	size_t n;				/* number of looks */
	unsigned runs[STATS_MAX_LOOKS];		/* runs per side at each look */
	double alpha[STATS_MAX_LOOKS];		/* one-sided level of each look */
	double alpha_total;			/* sum of alpha[] */
};

void stats_looks_default(struct stats_looks *out);
/* runs must increase; fails with error() otherwise. */
int stats_looks_init(struct stats_looks *out, double alpha_total,
		     const unsigned *runs, size_t n);
/* The last look whose run count is <= runs, or -1 if before the first. */
int stats_looks_at(const struct stats_looks *l, size_t runs);

/*
 * The verdict on one gated metric. threshold is the relative change
 * that matters, signed towards bad: +0.05 for "an increase of 5% is bad"
 * (CPU), -0.03 for "a decrease of 3% is bad" (goodput). alpha is the
 * one-sided level of this look. The effect is the Hodges-Lehmann ratio
 * B/A with its interval at confidence 1 - 2 alpha (so each end has error
 * alpha), p the exact (or approximate) Mann-Whitney p in the bad
 * direction. Then:
 *   BAD: p <= alpha, the interval excludes 1 on the bad side, and the
 *        ratio has moved at least half the threshold the bad way;
 *   GOOD: otherwise, if the interval rules out a move of the full
 *        threshold the bad way;
 *   INCONCLUSIVE: anything else. It is never "same": the caller takes
 *        the next look, and at the budget reports the interval.
 * reason says why, in words. Fails with error() on a zero threshold,
 * one at or below -100%, or a value that is not positive and finite.
 */
enum stats_outcome {
	STATS_INCONCLUSIVE = 0,
	STATS_GOOD,
	STATS_BAD
};

struct stats_verdict {
	enum stats_outcome outcome;
	double ratio;		/* Hodges-Lehmann B/A */
	double lo, hi;		/* its interval (0 and +inf: unbounded) */
	double confidence;	/* achieved confidence of [lo, hi] */
	double p;		/* one-sided p in the bad direction */
	double p_adj;		/* after stats_verdict_holm(); else p */
	double threshold;	/* as given (fraction, signed towards bad) */
	double alpha;		/* as given */
	size_t na, nb;		/* values used */
	size_t nan;		/* NaNs dropped */
	int exact;		/* the test and interval were exact */
	char reason[384];	/* one sentence */
};

const char *stats_outcome_name(enum stats_outcome o);	/* "BAD", ... */
int stats_verdict(struct stats_verdict *out, const double *a, size_t na,
		  const double *b, size_t nb, double threshold, double alpha);
/*
 * Several gated metrics judged at once: any BAD among them is a
 * claim about a family, so their p-values are Holm-adjusted and a BAD
 * whose adjusted p exceeds its alpha becomes INCONCLUSIVE, with the
 * reason rewritten. GOOD needs no adjustment: "all GOOD" holds only if
 * each does, an intersection-union test that keeps each level.
 */
void stats_verdict_holm(struct stats_verdict *v, size_t n);

/*
 * Paired comparisons: A and B measured side by side in blocks (A B or
 * B A, one after the other on one host), so that a drift or a step in
 * the background lands on both. The block, not the run, is the unit of
 * replication: d[i] is block i's difference B - A (or log(B / A)).
 *
 * Wilcoxon's signed-rank test: zero differences are dropped (Wilcoxon's
 * convention, R's default), |d| ranked with midranks for ties, and V is
 * the sum of the ranks of the positive differences (R's V of
 * wilcox.test(d) or wilcox.test(b, a, paired = TRUE)). Large V means B
 * tends to be larger. With at most STATS_EXACT_MAX nonzero differences
 * p is exact: without ties the classical distribution, with ties the
 * distribution conditional on the tie pattern (every sign pattern
 * equally likely), by dynamic programming on doubled midranks.
 * Beyond, the normal approximation with the tie-corrected variance
 * n (n + 1) (2n + 1) / 24 - sum(t^3 - t) / 48 and a continuity
 * correction of 1/2; z is reported then.
 */
struct stats_sr {
	size_t n;		/* nonzero differences used */
	size_t zeros;		/* zero differences dropped */
	size_t nan;		/* NaNs dropped */
	double v;		/* the statistic (sum of ranks), NaN if n is 0 */
	double p;		/* p-value for the side asked */
	double z;		/* normal deviate if approximate, else NaN */
	int exact;		/* 1: exact distribution */
	int ties;		/* 1: tied |d| among the nonzero differences */
};

void stats_signed_rank(struct stats_sr *out, const double *d, size_t n, enum stats_side side);

/*
 * The one-sample Hodges-Lehmann estimate of paired differences: the
 * median of the n (n + 1) / 2 Walsh averages (d_i + d_j) / 2, i <= j
 * (zeros kept), and Tukey's interval [W(k), W(M + 1 - k)] of the sorted
 * Walsh averages, k the largest with P(V <= k - 1) <= (1 - level) / 2
 * under the tie-free null distribution of V (exact up to
 * STATS_EXACT_MAX, else normal). Unbounded (-inf, +inf) when even k = 1
 * falls short. Fails when the Walsh averages exceed STATS_HL_MAX_PAIRS.
 * na and nb of out both get the number of differences used.
 */
int stats_hl_paired(struct stats_shift *out, const double *d, size_t n, double level);

/*
 * The verdict on paired values: a[i] and b[i] are block i's A and B
 * (each a positive value, e.g. a run or the median of a block's runs;
 * a block with a NaN on either side is dropped and counted in nan).
 * The effect is the ratio exp(HL of log(b_i / a_i)) with its interval
 * at 1 - 2 alpha, p the signed-rank p in the bad direction; BAD, GOOD
 * and INCONCLUSIVE by the rules of stats_verdict. na and nb are the
 * blocks used.
 */
int stats_paired_verdict(struct stats_verdict *out, const double *a, const double *b,
			 size_t n, double threshold, double alpha);
/*
 * The same when the spread of one block's log ratio is known from other
 * blocks of the same shape (e.g. earlier pairs of the same design):
 * scale is its standard deviation, estimated with df degrees of
 * freedom. The effect is exp() of Huber's M-estimate of the log ratios'
 * location (k = 1.345 scales; robust to a few outlying blocks), its
 * standard error scale sqrt(1.0526 / n) (Huber's asymptotic variance at
 * the normal), p and the interval from Student's t with df: with a few
 * blocks it needs far fewer than the signed-rank test, whose p cannot go
 * below 2^-n. Fails with error() on a scale that is not positive or df
 * below 1.
 */
int stats_paired_verdict_scaled(struct stats_verdict *out, const double *a, const double *b,
				size_t n, double threshold, double alpha, double scale,
				double df);

/*
 * Change points in a history (one value per night, in order), in the
 * manner of E-Divisive means (Matteson and James, 2014) as used by
 * MongoDB's and Hunter's change-point tools: for every split of a
 * segment into L and R (each at least min_size points), the energy
 * statistic
 *   q = |L||R|/(|L|+|R|) (2 mean|l - r| - mean|l - l'| - mean|r - r'|)
 * is computed; the split with the largest q is significant if few
 * random permutations of the segment reach as large a maximum:
 * p = (1 + exceeding) / (1 + permutations), the generator seeded with
 * seed so the answer is reproducible. A significant split divides the
 * segment and both halves are searched again. Histories longer than
 * window are searched in windows of that many points overlapping by
 * half (as Hunter does: it bounds the cost and keeps old steps from
 * masking new ones); a change found twice is kept once, with the
 * smaller p. NaN (and infinite) points are skipped; indexes refer to
 * the input.
 */
struct stats_cp_opts {
	double alpha;		/* significance of one split; default 0.001 */
	unsigned permutations;	/* default 1999: p can reach 0.0005 */
	size_t min_size;	/* points each side of a split; >= 2, default 5 */
	size_t window;		/* points per window, 0 = all; default 50 */
	uint64_t seed;		/* permutation stream */
};
#define STATS_CP_OPTS_INIT { 0.001, 1999, 5, 50, 0x5eedcafe }

struct stats_cp {
	size_t index;		/* input index of the first point after the change */
	double p;		/* permutation p of the split */
	double before;		/* median of the segment before it */
	double after;		/* median of the segment after it */
};

/*
 * Fills *out (the caller frees it) with the change points in order of
 * index and returns their number, or -1 on bad options (error()).
 */
int stats_changepoints(struct stats_cp **out, const double *x, size_t n,
		       const struct stats_cp_opts *opts);

#endif
