#include "tests/unit/test.h"
#include "common/stats.h"
#include "common/rand.h"
#include "common/util.h"

#include <math.h>
#include <stdlib.h>

/*
 * Reference values below come from published examples where one exists
 * (cited), and otherwise from hand derivations written out in the
 * comments. Every exact probability was also re-derived outside this
 * code by enumeration in exact rational arithmetic (Python fractions),
 * which is where the long fractions come from.
 */

/* ---- the generator ---- */

TEST(rand, reference_streams)
{
	uint64_t st = 0;
	struct rng r = { { 1, 2, 3, 4 } };

	/* splitmix64 from state 0, as published with the algorithm */
	CHECK(splitmix64(&st) == 0xe220a8397b1dcdafULL);
	CHECK(splitmix64(&st) == 0x6e789e6aa1b965f4ULL);
	CHECK(splitmix64(&st) == 0x06c45d188009454fULL);
	/* xoshiro256** from the state {1, 2, 3, 4} (reference xoshiro256starstar.c) */
	CHECK(rng_next(&r) == 11520);
	CHECK(rng_next(&r) == 0);
	CHECK(rng_next(&r) == 1509978240);
	CHECK(rng_next(&r) == 1215971899390074240ULL);
}

TEST(rand, seeded_and_bounded)
{
	struct rng a, b;
	double sum = 0, sq = 0;
	int differ = 0, hits[3] = { 0 };

	rng_seed(&a, 42);
	rng_seed(&b, 42);
	for (int i = 0; i < 1000; i++)
		CHECK(rng_next(&a) == rng_next(&b));
	rng_seed(&b, 43);
	for (int i = 0; i < 10; i++)
		differ += rng_next(&a) != rng_next(&b);
	CHECK_INT(differ, 10);
	for (int i = 0; i < 30000; i++) {
		uint64_t k = rng_below(&a, 3);
		double u = rng_uniform(&a), z = rng_normal(&a);

		REQUIRE(k < 3 && u >= 0 && u < 1);
		hits[k]++;
		sum += z;
		sq += z * z;
	}
	/* 30000 draws: 6 standard errors of slack, the seed is fixed anyway */
	for (int i = 0; i < 3; i++)
		CHECK(abs(hits[i] - 10000) < 500);
	CHECK(fabs(sum / 30000) < 0.035);
	CHECK(fabs(sq / 30000 - 1) < 0.05);
	CHECK_INT(rng_below(&a, 0), 0);
}

/* ---- summaries ---- */

TEST(stats, quantiles_type7)
{
	/*
	 * R's quantile(c(2, 4, 4, 5, 7, 9, 10, 21), type = 7) by hand:
	 * h = 7 q (0-based): q = .1 -> 2 + .7 * 2 = 3.4; q = .25 -> 4;
	 * q = .5 -> 5 + .5 * 2 = 6; q = .9 -> 10 + .3 * 11 = 13.3.
	 * The NaNs must be dropped and counted, the order must not matter.
	 */
	double v[] = { 21, NAN, 4, 9, 2, 10, NAN, 4, 7, 5 };
	struct stats_summary s;
	size_t n = ARRAY_SIZE(v);

	CHECK_NEAR(stats_quantile(v, n, 0.1), 3.4, 1e-12);
	CHECK_NEAR(stats_quantile(v, n, 0.25), 4, 1e-12);
	CHECK_NEAR(stats_quantile(v, n, 0.9), 13.3, 1e-12);
	CHECK_NEAR(stats_quantile(v, n, 0), 2, 0);
	CHECK_NEAR(stats_quantile(v, n, 1), 21, 0);
	CHECK(isnan(stats_quantile(v, n, 1.5)));
	CHECK(isnan(stats_quantile(v, n, NAN)));
	CHECK_NEAR(stats_median(v, n), 6, 1e-12);
	CHECK_INT(stats_count_nan(v, n), 2);
	/*
	 * |x - 6| = 4 2 2 1 1 3 4 15 -> sorted 1 1 2 2 3 4 4 15, MAD 2.5;
	 * mean 62 / 8 = 7.75; squared deviations sum to 251.5, sd sqrt(251.5 / 7).
	 */
	CHECK_NEAR(stats_mad(v, n), 2.5, 1e-12);
	CHECK_NEAR(stats_mad_scaled(v, n), 2.5 * 1.482602218505602, 1e-12);
	CHECK_NEAR(stats_mean(v, n), 7.75, 1e-12);
	CHECK_NEAR(stats_stddev(v, n), sqrt(251.5 / 7), 1e-12);
	stats_summarize(&s, v, n);
	CHECK_INT(s.n, 8);
	CHECK_INT(s.nan, 2);
	CHECK_NEAR(s.min, 2, 0);
	CHECK_NEAR(s.max, 21, 0);
	CHECK_NEAR(s.p25, 4, 1e-12);
	CHECK_NEAR(s.p75, 9.25, 1e-12);	/* h = 5.25: 9 + .25 * 1 */
}

TEST(stats, empty_is_nan_never_zero)
{
	double v[] = { NAN, NAN }, one[] = { 3 };
	struct stats_summary s;

	stats_summarize(&s, v, 2);
	CHECK_INT(s.n, 0);
	CHECK_INT(s.nan, 2);
	CHECK(isnan(s.median) && isnan(s.mean) && isnan(s.mad) && isnan(s.min));
	CHECK(isnan(stats_median(NULL, 0)));
	CHECK(isnan(stats_mean(v, 2)));
	CHECK(isnan(stats_stddev(one, 1)));
	CHECK_NEAR(stats_median(one, 1), 3, 0);
	CHECK_NEAR(stats_mad(one, 1), 0, 0);
}

TEST(stats, normal_distribution)
{
	CHECK_NEAR(stats_norm_cdf(0), 0.5, 1e-15);
	CHECK_NEAR(stats_norm_cdf(1.959963984540054), 0.975, 1e-12);
	CHECK_NEAR(stats_norm_quantile(0.975), 1.959963984540054, 1e-9);
	CHECK_NEAR(stats_norm_quantile(0.005), -2.575829303548901, 1e-9);
	CHECK_NEAR(stats_norm_quantile(0.9), 1.281551565544601, 1e-9);
	CHECK_NEAR(stats_norm_quantile(1e-10), -6.361340902404056, 1e-8);
	CHECK(isinf(stats_norm_quantile(0)) && stats_norm_quantile(0) < 0);
	CHECK(isnan(stats_norm_quantile(2)));
}

/* ---- Mann-Whitney ---- */

/*
 * Hollander & Wolfe (1973), p. 69: permeability constants of the human
 * chorioamnion at term (x) and at 12 to 26 weeks (y); the alternative
 * of interest is that x is larger. R's wilcox.test(x, y, alternative =
 * "greater") documents W = 35, p = 0.1272 (exact), and with exact =
 * FALSE, correct = FALSE, p = 0.1103. Here A = y, B = x.
 */
static const double hw_x[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
static const double hw_y[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };

TEST(stats, mann_whitney_exact_hollander_wolfe)
{
	struct stats_mw mw;

	stats_mann_whitney(&mw, hw_y, 5, hw_x, 10, STATS_GREATER);
	CHECK_NEAR(mw.u, 35, 0);
	CHECK(mw.exact && !mw.ties && isnan(mw.z));
	CHECK_NEAR(mw.p, 382.0 / 3003, 1e-12);		/* 0.1272 */
	stats_mann_whitney(&mw, hw_y, 5, hw_x, 10, STATS_TWO_SIDED);
	CHECK_NEAR(mw.p, 764.0 / 3003, 1e-12);
	/* the same data the other way round: the lower tail */
	stats_mann_whitney(&mw, hw_x, 10, hw_y, 5, STATS_LESS);
	CHECK_NEAR(mw.u, 15, 0);
	CHECK_NEAR(mw.p, 382.0 / 3003, 1e-12);
}

TEST(stats, mann_whitney_exact_table)
{
	/*
	 * m = n = 5: the counts of U = 0, 1, 2 among the C(10, 5) = 252
	 * arrangements are 1, 1, 2 (partitions of u into at most 5 parts of
	 * at most 5), so P(U <= 2) = 4/252 = 0.0159, the classical
	 * critical value of the 5% two-sided table. Complete separation has
	 * P = 1/252 = 0.00397, the least p five runs per side can give.
	 */
	double a[] = { 1, 2, 3, 4, 5 }, b[] = { 6, 7, 8, 9, 10 };
	double c[] = { 1, 2, 3, 7, 8 }, d[] = { 4, 5, 6, 9, 10 };
	struct stats_mw mw;

	stats_mann_whitney(&mw, a, 5, b, 5, STATS_GREATER);
	CHECK_NEAR(mw.u, 25, 0);
	CHECK_NEAR(mw.p, 1.0 / 252, 1e-15);
	stats_mann_whitney(&mw, b, 5, a, 5, STATS_TWO_SIDED);
	CHECK_NEAR(mw.p, 2.0 / 252, 1e-15);
	/* d over c: pairs (c, d) with d > c: 3 + 3 + 3 + 5 + 5 = 19, U' = 6 */
	stats_mann_whitney(&mw, d, 5, c, 5, STATS_LESS);
	CHECK_NEAR(mw.u, 6, 0);
	/* P(U <= 6) = (1+1+2+3+5+7+9)/252 = 28/252 */
	CHECK_NEAR(mw.p, 28.0 / 252, 1e-15);
	stats_mann_whitney(&mw, a, 5, b + 4, 1, STATS_GREATER);
	CHECK_NEAR(mw.p, 1.0 / 6, 1e-15);
}

TEST(stats, mann_whitney_exact_with_ties_by_hand)
{
	/*
	 * A = {1, 2, 2}, B = {2, 3, 3}. Pooled: 1 | 2 2 2 | 3 3 with
	 * midranks 1, 3, 5.5; B's rank sum 3 + 5.5 + 5.5 = 14, U = 14 - 6 = 8.
	 * Given the ties, choosing j1, j2, j3 values from the three groups
	 * (j1 + j2 + j3 = 3) gives W = j1 + 3 j2 + 5.5 j3 in C(1,j1) C(3,j2)
	 * C(2,j3) of the C(6,3) = 20 ways; W >= 14 only for (0, 1, 2), in
	 * 3 ways: P = 3/20. The tie-free table would say P(U >= 8) = 2/20.
	 */
	double a[] = { 1, 2, 2 }, b[] = { 2, 3, 3 };
	struct stats_mw mw;

	stats_mann_whitney(&mw, a, 3, b, 3, STATS_GREATER);
	CHECK_NEAR(mw.u, 8, 0);
	CHECK(mw.exact && mw.ties);
	CHECK_NEAR(mw.p, 3.0 / 20, 1e-14);
	stats_mann_whitney(&mw, a, 3, b, 3, STATS_TWO_SIDED);
	CHECK_NEAR(mw.p, 6.0 / 20, 1e-14);
	stats_mann_whitney(&mw, a, 3, b, 3, STATS_LESS);
	CHECK_NEAR(mw.p, 1.0, 1e-14);
}

/*
 * NAG Library manual, G08AHF/G08AKF example program: two groups of 16
 * and 23 heavily tied values; published U = 86, normal statistic
 * -2.8039 (with the continuity correction), approximate lower tail
 * 0.0025, exact lower tail 0.0020. Enumerated exactly:
 * 76053443 / 37711260990 = 0.00201673.
 */
static const double nag1[] = { 13, 6, 12, 7, 12, 7, 10, 7, 10, 7, 16, 7, 10, 8, 9, 8 };
static const double nag2[] = { 17, 6, 10, 8, 15, 8, 15, 10, 15, 10, 14, 10, 14, 11,
			       14, 11, 13, 12, 13, 12, 13, 12, 12 };

TEST(stats, mann_whitney_exact_with_ties_nag)
{
	struct stats_mw mw;

	stats_mann_whitney(&mw, nag2, 23, nag1, 16, STATS_LESS);
	CHECK_NEAR(mw.u, 86, 0);
	CHECK(mw.exact && mw.ties);
	CHECK_NEAR(mw.p, 76053443.0 / 37711260990.0, 1e-12);
}

/* P(U <= u) by visiting all C(N, nb) label assignments: the definition. */
static double brute_le(const double *pool, size_t n, size_t nb, double u_obs)
{
	double hit = 0, all = 0;

	for (unsigned mask = 0; mask < (1u << n); mask++) {
		double u = 0;

		if ((size_t)__builtin_popcount(mask) != nb)
			continue;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++)
				if (!(mask >> i & 1) && (mask >> j & 1))
					u += pool[j] > pool[i] ? 1 : pool[j] == pool[i] ? 0.5 : 0;
		all++;
		hit += u <= u_obs + 1e-9;
	}
	return hit / all;
}

TEST(stats, mann_whitney_ties_against_enumeration)
{
	struct rng r;

	rng_seed(&r, 7);
	for (int t = 0; t < 60; t++) {
		size_t na = 1 + rng_below(&r, 7), nb = 1 + rng_below(&r, 6);
		double pool[13];
		struct stats_mw mw;

		/* values from {1..4}: plenty of ties of every size */
		for (size_t i = 0; i < na + nb; i++)
			pool[i] = (double)(1 + rng_below(&r, 4));
		stats_mann_whitney(&mw, pool, na, pool + na, nb, STATS_LESS);
		CHECK_NEAR(mw.p, brute_le(pool, na + nb, nb, mw.u), 1e-12);
	}
}

TEST(stats, mann_whitney_normal_approximation)
{
	/*
	 * A = 1..60, B = 3..62 (beyond STATS_EXACT_MAX). By hand: B = 3..60
	 * each beat b - 1 of A and tie one, U = sum(b - 0.5) over 3..60 plus
	 * 60 + 60 = (1827 - 29) + 120 = 1918. mean = 1800; 58 ties of two:
	 * sum(t^3 - t) = 348; var = 3600/12 (121 - 348 / (120 * 119)) =
	 * 36292.689; z = (118 - 0.5) / 190.50640 = 0.6167772, p = 0.2686909.
	 */
	double a[60], b[60], c[60];
	struct stats_mw mw;

	for (int i = 0; i < 60; i++) {
		a[i] = i + 1;
		b[i] = i + 3;
		c[i] = 7;
	}
	stats_mann_whitney(&mw, a, 60, b, 60, STATS_GREATER);
	CHECK(!mw.exact && mw.ties);
	CHECK_NEAR(mw.u, 1918, 0);
	CHECK_NEAR(mw.z, 117.5 / sqrt(300 * (121 - 348.0 / (120 * 119))), 1e-12);
	CHECK_NEAR(mw.z, 0.6167772, 1e-7);
	CHECK_NEAR(mw.p, 0.2686909, 1e-7);
	stats_mann_whitney(&mw, a, 60, b, 60, STATS_TWO_SIDED);
	CHECK_NEAR(mw.p, 2 * 0.2686909, 2e-7);
	stats_mann_whitney(&mw, a, 60, b, 60, STATS_LESS);
	CHECK_NEAR(mw.z, 118.5 / sqrt(300 * (121 - 348.0 / (120 * 119))), 1e-12);
	/* everything tied: no evidence at all, exact or not */
	stats_mann_whitney(&mw, c, 60, c, 60, STATS_TWO_SIDED);
	CHECK_NEAR(mw.p, 1, 0);
	stats_mann_whitney(&mw, c, 5, c, 5, STATS_GREATER);
	CHECK_NEAR(mw.p, 1, 1e-15);
}

TEST(stats, mann_whitney_nan_and_empty)
{
	double a[] = { 1, NAN, 2, 3, 4, 5 }, b[] = { NAN, 6, 7, 8, 9, 10, NAN };
	double none[] = { NAN };
	struct stats_mw mw;

	stats_mann_whitney(&mw, a, 6, b, 7, STATS_GREATER);
	CHECK_INT(mw.na, 5);
	CHECK_INT(mw.nb, 5);
	CHECK_INT(mw.nan, 3);
	CHECK_NEAR(mw.p, 1.0 / 252, 1e-15);
	stats_mann_whitney(&mw, a, 6, none, 1, STATS_GREATER);
	CHECK_INT(mw.nb, 0);
	CHECK(isnan(mw.u) && isnan(mw.p));
}

/* ---- Hodges-Lehmann and Moses ---- */

TEST(stats, hodges_lehmann_moses_hollander_wolfe)
{
	/*
	 * The chorioamnion data again, shift of x over y: the median of the
	 * 50 differences is (0.30 + 0.31) / 2 = 0.305. Moses' interval with
	 * m = 5, n = 10: P(U <= 8) = 0.01998 <= 0.025 < P(U <= 9), so k = 9
	 * and the 95% interval is [D(9), D(42)] = [-0.15, 0.76] with
	 * achieved confidence 1 - 2 * 60/3003 = 0.96004; at 90%, k = 12,
	 * [-0.08, 0.72]; at 99%, k = 5, [-0.35, 1.01].
	 */
	struct stats_shift s;

	REQUIRE(!stats_hl_shift(&s, hw_y, 5, hw_x, 10, 0.95));
	CHECK(s.exact);
	CHECK_NEAR(s.estimate, 0.305, 1e-9);
	CHECK_NEAR(s.lo, -0.15, 1e-9);
	CHECK_NEAR(s.hi, 0.76, 1e-9);
	CHECK_NEAR(s.confidence, 1 - 120.0 / 3003, 1e-12);
	REQUIRE(!stats_hl_shift(&s, hw_y, 5, hw_x, 10, 0.90));
	CHECK_NEAR(s.lo, -0.08, 1e-9);
	CHECK_NEAR(s.hi, 0.72, 1e-9);
	CHECK(s.confidence >= 0.90);
	REQUIRE(!stats_hl_shift(&s, hw_y, 5, hw_x, 10, 0.99));
	CHECK_NEAR(s.lo, -0.35, 1e-9);
	CHECK_NEAR(s.hi, 1.01, 1e-9);
	CHECK(s.confidence >= 0.99);
}

TEST(stats, moses_too_few_is_unbounded)
{
	/* 2 against 2: P(U <= 0) = 1/6 > 0.025, no order statistic will do */
	double a[] = { 1, 2 }, b[] = { 3, 4 };
	struct stats_shift s;

	REQUIRE(!stats_hl_shift(&s, a, 2, b, 2, 0.95));
	CHECK_NEAR(s.estimate, 2, 1e-12);
	CHECK(isinf(s.lo) && s.lo < 0 && isinf(s.hi) && s.hi > 0);
	CHECK_NEAR(s.confidence, 1, 0);
	/* at 60%: P(U <= 0) = 1/6 <= 0.2, k = 1: [D(1), D(4)] = [1, 3] */
	REQUIRE(!stats_hl_shift(&s, a, 2, b, 2, 0.60));
	CHECK_NEAR(s.lo, 1, 0);
	CHECK_NEAR(s.hi, 3, 0);
	CHECK_NEAR(s.confidence, 2.0 / 3, 1e-15);
}

TEST(stats, moses_normal_approximation)
{
	/*
	 * A = 1..60, B = A + 10: the differences are 10 + v, v = j - i
	 * taking each value in -59..59 60 - |v| times; the estimate is 10.
	 * sd of U = sqrt(3600 * 121 / 12) = 190.526; at 95% the largest
	 * u with Phi((u + 0.5 - 1800) / sd) <= 0.025 is
	 * floor(1799.5 - 1.959964 * 190.526) = 1426, so k = 1427. The counts
	 * from v = -59 up reach c (c + 1) / 2 at v = c - 60: 1378 at c = 52,
	 * 1431 at c = 53, so D(1427) = 10 - 7 = 3 and symmetrically
	 * D(2174) = 17.
	 */
	double a[60], b[60];
	struct stats_shift s;

	for (int i = 0; i < 60; i++) {
		a[i] = i + 1;
		b[i] = i + 11;
	}
	REQUIRE(!stats_hl_shift(&s, a, 60, b, 60, 0.95));
	CHECK(!s.exact);
	CHECK_NEAR(s.estimate, 10, 0);
	CHECK_NEAR(s.lo, 3, 0);
	CHECK_NEAR(s.hi, 17, 0);
	CHECK_NEAR(s.confidence, 1 - 2 * stats_norm_cdf((1426.5 - 1800) / sqrt(36300.0)), 1e-12);
	CHECK(s.confidence >= 0.95);
}

TEST(stats, hodges_lehmann_ratio)
{
	double a[] = { 100, 104, 98, 101, 97 }, b[5], bad[] = { 100, 0, 101 };
	double none[] = { NAN, NAN };
	struct stats_shift s;

	for (int i = 0; i < 5; i++)
		b[i] = a[i] * 1.1;
	REQUIRE(!stats_hl_ratio(&s, a, 5, b, 5, 0.95));
	CHECK_NEAR(s.estimate, 1.1, 1e-12);
	CHECK(s.lo < 1.1 && s.hi > 1.1 && s.lo > 1.0);
	test_capture_start();
	CHECK(stats_hl_ratio(&s, a, 5, bad, 3, 0.95) < 0);
	CHECK_CONTAINS(test_captured(), "value '0' of B is not positive");
	CHECK(stats_hl_shift(&s, a, 5, b, 5, 1.5) < 0);
	CHECK_CONTAINS(test_captured(), "confidence level '1.5'");
	test_capture_end();
	REQUIRE(!stats_hl_ratio(&s, a, 5, none, 2, 0.95));
	CHECK(isnan(s.estimate) && isnan(s.lo));
	CHECK_INT(s.nan, 2);
}

/* ---- Holm ---- */

TEST(stats, holm)
{
	/*
	 * The worked example of the Wikipedia article "Holm-Bonferroni
	 * method": p = 0.01, 0.04, 0.03, 0.005 at alpha 0.05 rejects H4
	 * (0.005 < 0.05/4) and H1 (0.01 < 0.05/3), then stops at H3
	 * (0.03 > 0.05/2). Adjusted (R's p.adjust "holm"): 4 * 0.005,
	 * 3 * 0.01, 2 * 0.03, max(0.06, 0.04).
	 */
	double p[] = { 0.01, 0.04, 0.03, 0.005 }, adj[4];
	double q[] = { 0.02, NAN, 0.5 };

	stats_holm(adj, p, 4);
	CHECK_NEAR(adj[0], 0.03, 1e-15);
	CHECK_NEAR(adj[1], 0.06, 1e-15);
	CHECK_NEAR(adj[2], 0.06, 1e-15);
	CHECK_NEAR(adj[3], 0.02, 1e-15);
	/* NaN stays NaN and does not count in m; in place works */
	stats_holm(q, q, 3);
	CHECK_NEAR(q[0], 0.04, 1e-15);
	CHECK(isnan(q[1]));
	CHECK_NEAR(q[2], 0.5, 1e-15);
	p[0] = 0.3, p[1] = 0.4, p[2] = 0.5, p[3] = 0.6;
	stats_holm(p, p, 4);
	CHECK_NEAR(p[0], 1, 0);		/* 4 x 0.3, capped */
	CHECK_NEAR(p[3], 1, 0);
}

/* ---- sequential looks ---- */

TEST(stats, looks_pocock_spending)
{
	/* alpha ln(1 + (e - 1) t) at t = 1/8, 1/4, 1/2, 1, differenced */
	struct stats_looks l;
	static const unsigned bad[] = { 5, 5 };
	double sum = 0;

	stats_looks_default(&l);
	REQUIRE(l.n == 4);
	CHECK_INT(l.runs[0], 5);
	CHECK_INT(l.runs[3], 40);
	CHECK_NEAR(l.alpha[0], 0.025 * log(1 + (M_E - 1) / 8), 1e-15);
	CHECK_NEAR(l.alpha[0], 0.004864, 1e-6);
	CHECK_NEAR(l.alpha[1], 0.004070, 1e-6);
	CHECK_NEAR(l.alpha[2], 0.006568, 1e-6);
	CHECK_NEAR(l.alpha[3], 0.009497, 1e-6);
	for (size_t i = 0; i < l.n; i++)
		sum += l.alpha[i];
	CHECK_NEAR(sum, 0.025, 1e-15);
	/* the first look can be decided by a complete separation of 5 and 5 */
	CHECK(l.alpha[0] >= 1.0 / 252);
	CHECK_INT(stats_looks_at(&l, 4), -1);
	CHECK_INT(stats_looks_at(&l, 5), 0);
	CHECK_INT(stats_looks_at(&l, 19), 1);
	CHECK_INT(stats_looks_at(&l, 40), 3);
	test_capture_start();
	CHECK(stats_looks_init(&l, 0.05, bad, 2) < 0);
	CHECK(stats_looks_init(&l, 0.7, bad, 1) < 0);
	CHECK(stats_looks_init(&l, 0.05, bad, 0) < 0);
	test_capture_end();
}

/* ---- the verdict ---- */

TEST(stats, verdict_cases)
{
	double a[] = { 40, 41, 39, 40.5, 39.5 }, b[5], c[5], d[5];
	struct stats_verdict v;

	for (int i = 0; i < 5; i++) {
		b[i] = a[i] * 1.21;		/* CPU +21% */
		c[i] = a[(i + 2) % 5] * 1.001;	/* same */
		d[i] = a[i] * 0.8;		/* goodput -20% */
	}
	REQUIRE(!stats_verdict(&v, a, 5, b, 5, 0.05, 0.0049));
	CHECK_STR(stats_outcome_name(v.outcome), "BAD");
	CHECK_NEAR(v.ratio, 1.21, 1e-9);
	CHECK(v.lo > 1 && v.hi > v.lo);
	CHECK_NEAR(v.p, 1.0 / 252, 1e-15);
	CHECK_CONTAINS(v.reason, "+21.0%");
	CHECK_CONTAINS(v.reason, "significant increase");
	/* the same numbers against a goodput threshold: an increase is fine */
	REQUIRE(!stats_verdict(&v, a, 5, b, 5, -0.03, 0.0049));
	CHECK_STR(stats_outcome_name(v.outcome), "GOOD");
	REQUIRE(!stats_verdict(&v, a, 5, d, 5, -0.03, 0.0049));
	CHECK_STR(stats_outcome_name(v.outcome), "BAD");
	CHECK_CONTAINS(v.reason, "significant decrease");
	/* five runs cannot rule out 5% with 2.5% spread: inconclusive, not "same" */
	REQUIRE(!stats_verdict(&v, a, 5, c, 5, 0.05, 0.0049));
	CHECK_STR(stats_outcome_name(v.outcome), "INCONCLUSIVE");
	CHECK_CONTAINS(v.reason, "neither excludes no change nor rules out +5.0%");
	CHECK(!strstr(v.reason, "same"));
	/* too few for the confidence asked */
	REQUIRE(!stats_verdict(&v, a, 2, b, 2, 0.05, 0.0049));
	CHECK_STR(stats_outcome_name(v.outcome), "INCONCLUSIVE");
	CHECK_CONTAINS(v.reason, "more runs needed");
	CHECK(v.lo == 0 && isinf(v.hi));
}

TEST(stats, verdict_small_significant_change_and_errors)
{
	/* +2% every time, with 0.5% spread, 20 runs: significant, below half of 5% */
	double a[20], b[20], z[] = { 1, 2, -1 };
	double s1[] = { 100, 100.1, 100.2, 100.3, 100.4 };
	double s2[] = { 100.5, 100.6, 100.7, 100.8, 107 };
	struct stats_verdict v;

	for (int i = 0; i < 20; i++) {
		a[i] = 100 + (i % 5) * 0.5;
		b[i] = 102 + ((i + 2) % 5) * 0.5;
	}
	REQUIRE(!stats_verdict(&v, a, 20, b, 20, 0.05, 0.0066));
	CHECK_STR(stats_outcome_name(v.outcome), "GOOD");
	CHECK_CONTAINS(v.reason, "a significant but smaller change");
	REQUIRE(!stats_verdict(&v, a, 20, b, 20, 0.03, 0.0066));
	CHECK_STR(stats_outcome_name(v.outcome), "BAD");
	/*
	 * Complete separation (p = 1/252) but the median ratio is +0.4%, and
	 * one wild run keeps the upper bound 107/100 above +5%: significant,
	 * too small to be BAD, not small enough to be GOOD.
	 */
	REQUIRE(!stats_verdict(&v, s1, 5, s2, 5, 0.05, 0.0049));
	CHECK_STR(stats_outcome_name(v.outcome), "INCONCLUSIVE");
	CHECK_NEAR(v.lo, 100.5 / 100.4, 1e-12);
	CHECK_NEAR(v.hi, 1.07, 1e-12);
	CHECK_CONTAINS(v.reason, "significant increase below half the +5.0% threshold");
	test_capture_start();
	CHECK(stats_verdict(&v, a, 5, b, 5, 0, 0.01) < 0);
	CHECK(stats_verdict(&v, a, 5, b, 5, -1, 0.01) < 0);
	CHECK(stats_verdict(&v, a, 5, b, 5, 0.05, 0.6) < 0);
	CHECK(stats_verdict(&v, a, 5, z, 3, 0.05, 0.01) < 0);
	CHECK_CONTAINS(test_captured(), "not positive");
	test_capture_end();
}

TEST(stats, verdict_holm_across_metrics)
{
	/* three gated metrics, one clear BAD at p = 1/252 against alpha 0.0049 */
	double a[] = { 40, 41, 39, 40.5, 39.5 }, b[5];
	struct stats_verdict v[3];

	for (int i = 0; i < 5; i++)
		b[i] = a[i] * 1.21;
	REQUIRE(!stats_verdict(&v[0], a, 5, b, 5, 0.05, 0.0049));
	REQUIRE(!stats_verdict(&v[1], a, 5, a, 5, 0.05, 0.0049));
	REQUIRE(!stats_verdict(&v[2], a, 5, a, 5, -0.03, 0.0049));
	REQUIRE(v[0].outcome == STATS_BAD);
	stats_verdict_holm(v, 3);
	/* 3 x 0.00397 = 0.0119 > 0.0049: no longer BAD, and it says why */
	CHECK_STR(stats_outcome_name(v[0].outcome), "INCONCLUSIVE");
	CHECK_NEAR(v[0].p_adj, 3.0 / 252, 1e-15);
	CHECK_CONTAINS(v[0].reason, "Holm");
	/* with a level that survives the correction it stays BAD */
	REQUIRE(!stats_verdict(&v[0], a, 5, b, 5, 0.05, 0.02));
	REQUIRE(!stats_verdict(&v[1], a, 5, a, 5, 0.05, 0.02));
	stats_verdict_holm(v, 2);
	CHECK_STR(stats_outcome_name(v[0].outcome), "BAD");
}

/* ---- seeded simulations ---- */

/* n lognormal values around `level` with log-sigma `sigma`. */
static void draw(struct rng *r, double *v, size_t n, double level, double sigma)
{
	for (size_t i = 0; i < n; i++)
		v[i] = level * exp(sigma * rng_normal(r));
}

/* Outcomes of `trials` verdicts of B = A x ratio at n per side. */
static void simulate(int counts[3], uint64_t seed, int trials, size_t n,
		     double sigma, double ratio, double threshold, double alpha)
{
	struct rng r;
	double a[64], b[64];

	rng_seed(&r, seed);
	counts[0] = counts[1] = counts[2] = 0;
	for (int t = 0; t < trials; t++) {
		struct stats_verdict v;

		draw(&r, a, n, 100, sigma);
		draw(&r, b, n, 100 * ratio, sigma);
		if (stats_verdict(&v, a, n, b, n, threshold, alpha) < 0)
			return;
		counts[v.outcome]++;
	}
}

TEST(stats, simulated_aa_rarely_bad)
{
	/*
	 * A/A at 5 runs per side and the first look's level (0.0049): a
	 * BAD needs complete separation the bad way, P = 1/252 = 0.4%, so
	 * about 4 in 1000 are expected.
	 */
	struct stats_looks l;
	int c[3];

	stats_looks_default(&l);
	simulate(c, 1, 1000, 5, 0.05, 1.0, 0.05, l.alpha[0]);
	CHECK(c[STATS_BAD] <= 10);
	CHECK(c[STATS_BAD] + c[STATS_GOOD] + c[STATS_INCONCLUSIVE] == 1000);
	simulate(c, 2, 1000, 5, 0.10, 1.0, 0.05, l.alpha[0]);
	CHECK(c[STATS_BAD] <= 10);
	simulate(c, 3, 1000, 5, 0.10, 1.0, -0.03, l.alpha[0]);
	CHECK(c[STATS_BAD] <= 10);
}

TEST(stats, simulated_20pct_shift_bad_at_5_runs)
{
	/*
	 * +20% CPU with 5% noise, 5 runs per side: the shift is 3.6 sigma
	 * of log noise, complete separation (the only BAD there is at this
	 * level) happens in about 91% of trials. Goodput -20% likewise.
	 */
	struct stats_looks l;
	int c[3];

	stats_looks_default(&l);
	simulate(c, 4, 1000, 5, 0.05, 1.2, 0.05, l.alpha[0]);
	CHECK(c[STATS_BAD] >= 850);
	CHECK_INT(c[STATS_GOOD], 0);
	simulate(c, 5, 1000, 5, 0.05, 1 / 1.2, -0.03, l.alpha[0]);
	CHECK(c[STATS_BAD] >= 850);
}

TEST(stats, simulated_1pct_shift_good_with_enough_runs)
{
	/*
	 * +1% against a +5% threshold. With 2% noise the third look (20
	 * runs per side, level 0.0066) bounds it near 1% + 2.5 * 0.65% =
	 * 2.6%, GOOD in about 99% of trials; with 3% noise the last look
	 * (40 runs, 0.0095) does as well. At 5 runs it is inconclusive.
	 * (With 5% noise even 40 runs give GOOD only about 82% of the
	 * time; make bench prints the table.) A BAD stays rare: it needs
	 * the estimate to overshoot to +2.5%.
	 */
	struct stats_looks l;
	int c[3];

	stats_looks_default(&l);
	simulate(c, 6, 200, 20, 0.02, 1.01, 0.05, l.alpha[2]);
	CHECK(c[STATS_GOOD] >= 190);
	CHECK(c[STATS_BAD] <= 6);
	simulate(c, 7, 200, 40, 0.03, 1.01, 0.05, l.alpha[3]);
	CHECK(c[STATS_GOOD] >= 190);
	CHECK(c[STATS_BAD] <= 6);
	simulate(c, 8, 200, 5, 0.05, 1.01, 0.05, l.alpha[0]);
	CHECK(c[STATS_INCONCLUSIVE] >= 180);
}

/* ---- change points ---- */

static void history(double *x, size_t n, uint64_t seed, size_t step_at, double step)
{
	struct rng r;

	rng_seed(&r, seed);
	for (size_t i = 0; i < n; i++)
		x[i] = (i >= step_at ? 100 * step : 100) * exp(0.05 * rng_normal(&r));
}

TEST(stats, changepoint_planted_step)
{
	/* 60 nights, +15% from night 35 on, 5% noise: one change at 35 */
	double x[60];
	struct stats_cp *cp;
	int n;

	history(x, 60, 11, 35, 1.15);
	n = stats_changepoints(&cp, x, 60, NULL);
	REQUIRE(n == 1);
	CHECK(cp[0].index >= 34 && cp[0].index <= 36);
	CHECK(cp[0].p <= 0.001);
	CHECK(fabs(cp[0].before / 100 - 1) < 0.05);
	CHECK(fabs(cp[0].after / 115 - 1) < 0.05);
	free(cp);
}

TEST(stats, changepoint_flat_history)
{
	double x[60];
	struct stats_cp *cp;

	for (uint64_t seed = 20; seed < 25; seed++) {
		history(x, 60, seed, 60, 1);
		CHECK_INT(stats_changepoints(&cp, x, 60, NULL), 0);
		free(cp);
	}
}

TEST(stats, changepoint_two_steps_windows_and_nan)
{
	/*
	 * 150 nights in windows of 50: -10% at 40, then +20% at 110, with
	 * NaN nights (not measured) that must not shift the indexes.
	 */
	double x[150];
	struct stats_cp *cp;
	int n;

	history(x, 150, 12, 150, 1);
	for (size_t i = 40; i < 150; i++)
		x[i] *= i < 110 ? 0.9 : 0.9 * 1.2;
	x[10] = x[75] = NAN;
	x[111] = INFINITY;
	n = stats_changepoints(&cp, x, 150, NULL);
	REQUIRE(n == 2);
	CHECK(cp[0].index >= 39 && cp[0].index <= 41);
	CHECK(cp[1].index >= 109 && cp[1].index <= 112);
	CHECK(cp[0].after < cp[0].before && cp[1].after > cp[1].before);
	CHECK(fabs(cp[1].before / 90 - 1) < 0.05);
	free(cp);
}

TEST(stats, changepoint_deterministic_and_options)
{
	double x[60];
	struct stats_cp *c1, *c2;
	struct stats_cp_opts o = STATS_CP_OPTS_INIT;

	history(x, 60, 13, 30, 1.08);
	o.window = 0;
	REQUIRE(stats_changepoints(&c1, x, 60, &o) == stats_changepoints(&c2, x, 60, &o));
	if (c1 && c2)
		CHECK(c1[0].p == c2[0].p && c1[0].index == c2[0].index);
	free(c1);
	free(c2);
	test_capture_start();
	o.min_size = 1;
	CHECK(stats_changepoints(&c1, x, 60, &o) < 0);
	CHECK(c1 == NULL);
	o.min_size = 5;
	o.window = 8;
	CHECK(stats_changepoints(&c1, x, 60, &o) < 0);
	o.window = 50;
	o.alpha = 0;
	CHECK(stats_changepoints(&c1, x, 60, &o) < 0);
	test_capture_end();
	/* too short to split: nothing, and no error */
	CHECK_INT(stats_changepoints(&c1, x, 9, NULL), 0);
	free(c1);
	/* constant, or nothing measured: no change, and it terminates */
	for (int i = 0; i < 60; i++)
		x[i] = i % 7 ? 100 : INFINITY;
	CHECK_INT(stats_changepoints(&c1, x, 60, NULL), 0);
	free(c1);
	for (int i = 0; i < 60; i++)
		x[i] = NAN;
	CHECK_INT(stats_changepoints(&c1, x, 60, NULL), 0);
	free(c1);
}

/* ---- paired comparisons ---- */

/*
 * Hollander and Wolfe's depression data, as in R's ?wilcox.test:
 * wilcox.test(x, y, paired = TRUE, alternative = "greater") gives V = 40,
 * p = 0.01953 (10 of the 512 sign patterns reach 40).
 */
static const double dep_x[] = { 1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30 };
static const double dep_y[] = { 0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29 };

TEST(stats, signed_rank_hollander_wolfe)
{
	double d[9];
	struct stats_sr sr;

	for (int i = 0; i < 9; i++)
		d[i] = dep_x[i] - dep_y[i];
	stats_signed_rank(&sr, d, 9, STATS_GREATER);
	CHECK_NEAR(sr.v, 40, 0);
	CHECK_NEAR(sr.p, 10.0 / 512, 1e-15);
	CHECK(sr.exact && !sr.ties);
	stats_signed_rank(&sr, d, 9, STATS_LESS);
	CHECK_NEAR(sr.p, 505.0 / 512, 1e-15);	/* P(V <= 40): 3 patterns have V = 40 */
	stats_signed_rank(&sr, d, 9, STATS_TWO_SIDED);
	CHECK_NEAR(sr.p, 20.0 / 512, 1e-15);
}

/* P(V >= v) by enumerating every sign pattern of the doubled midranks. */
static double sr_enumerate(const double *d, size_t n, double v)
{
	double r2[16];
	size_t m = 0, hits = 0;

	for (size_t i = 0; i < n; i++) {
		double lt = 0, eq = 0;

		if (d[i] == 0)
			continue;
		for (size_t j = 0; j < n; j++) {
			if (d[j] == 0)
				continue;
			lt += fabs(d[j]) < fabs(d[i]);
			eq += fabs(d[j]) == fabs(d[i]);
		}
		r2[m++] = 2 * lt + eq + 1;
	}
	for (unsigned long s = 0; s < 1ul << m; s++) {
		double sum = 0;

		for (size_t i = 0; i < m; i++)
			sum += s >> i & 1 ? r2[i] : 0;
		hits += sum >= 2 * v - 1e-9;
	}
	return (double)hits / (double)(1ul << m);
}

TEST(stats, signed_rank_ties_and_zeros_against_enumeration)
{
	struct rng r;

	rng_seed(&r, 11);
	for (int t = 0; t < 40; t++) {
		double d[12];
		size_t n = 4 + (size_t)rng_below(&r, 9);
		struct stats_sr sr;

		for (size_t i = 0; i < n; i++)	/* few distinct values: ties, zeros */
			d[i] = (double)((long)rng_below(&r, 7) - 2) / 2;
		stats_signed_rank(&sr, d, n, STATS_GREATER);
		if (!sr.n)
			continue;
		CHECK_NEAR(sr.p, sr_enumerate(d, n, sr.v), 1e-12);
	}
}

TEST(stats, signed_rank_normal_approximation_and_nan)
{
	double d[60];
	struct stats_sr sr;
	double mean = 60.0 * 61 / 4, sd = sqrt(60.0 * 61 * 121 / 24);

	for (int i = 0; i < 60; i++)
		d[i] = (i % 3 ? 1 : -1) * (i + 1);	/* two positives in three */
	stats_signed_rank(&sr, d, 60, STATS_GREATER);
	CHECK(!sr.exact);
	CHECK_NEAR(sr.z, (sr.v - mean - 0.5) / sd, 1e-12);
	CHECK_NEAR(sr.p, 1 - stats_norm_cdf(sr.z), 1e-12);
	d[0] = NAN;
	d[1] = 0;
	stats_signed_rank(&sr, d, 60, STATS_GREATER);
	CHECK_INT(sr.nan, 1);
	CHECK_INT(sr.zeros, 1);
	CHECK_INT(sr.n, 58);
	stats_signed_rank(&sr, d, 0, STATS_GREATER);
	CHECK(isnan(sr.v) && isnan(sr.p));
}

TEST(stats, hodges_lehmann_paired_tukey_interval)
{
	double d[9];
	struct stats_shift hl;

	for (int i = 0; i < 9; i++)
		d[i] = dep_x[i] - dep_y[i];
	/*
	 * 45 Walsh averages, median 0.46; at 95%, k = 6 (P(V <= 5) = 10/512
	 * <= 0.025 < P(V <= 6) = 14/512): [W(6), W(40)] = [0.01, 0.786],
	 * achieved 1 - 20/512.
	 */
	REQUIRE(stats_hl_paired(&hl, d, 9, 0.95) == 0);
	CHECK_NEAR(hl.estimate, 0.46, 1e-12);
	CHECK_NEAR(hl.lo, 0.01, 1e-12);
	CHECK_NEAR(hl.hi, 0.786, 1e-12);
	CHECK_NEAR(hl.confidence, 1 - 20.0 / 512, 1e-15);
	/* too few for the level: unbounded */
	REQUIRE(stats_hl_paired(&hl, d, 3, 0.95) == 0);
	CHECK(isinf(hl.lo) && isinf(hl.hi) && hl.confidence == 1);
}

TEST(stats, student_t)
{
	CHECK_NEAR(stats_t_cdf(0, 5), 0.5, 1e-15);
	CHECK_NEAR(stats_t_cdf(1, 1), 0.75, 1e-12);	/* Cauchy */
	CHECK_NEAR(stats_t_cdf(2, 2), 0.5 + 1 / sqrt(6), 1e-12);
	CHECK_NEAR(stats_t_cdf(-2, 2), 0.5 - 1 / sqrt(6), 1e-12);
	/* tables (and Simpson on the density to 1e-10) */
	CHECK_NEAR(stats_t_quantile(0.975, 4), 2.776445105, 1e-8);
	CHECK_NEAR(stats_t_quantile(0.95, 10), 1.812461123, 1e-8);
	CHECK_NEAR(stats_t_quantile(0.99, 30), 2.457261542, 1e-8);
	CHECK_NEAR(stats_t_quantile(0.5, 7.5), 0, 1e-9);
	CHECK_NEAR(stats_t_cdf(1.96, 1e6), stats_norm_cdf(1.96), 1e-6);
	CHECK(isnan(stats_t_cdf(1, 0)));
}

TEST(stats, paired_verdict_cancels_drift)
{
	double a[16], b[16], u[16], w[16];
	struct stats_verdict v;

	/*
	 * The ground rises 2% a block; within a block B is 0.2% above A.
	 * The blocks are the unit: a 0.2% change, nowhere near 5%.
	 */
	for (int i = 0; i < 16; i++) {
		a[i] = 100 * (1 + 0.02 * i) * (1 + 0.001 * ((i * 7) % 5 - 2));
		b[i] = a[i] * 1.002 * (1 + 0.0005 * ((i * 3) % 5 - 2));
	}
	REQUIRE(!stats_paired_verdict(&v, a, b, 16, 0.05, 0.01));
	CHECK_STR(stats_outcome_name(v.outcome), "GOOD");
	CHECK(v.ratio > 1 && v.ratio < 1.005);
	CHECK_INT(v.na, 16);
	/* the same runs taken as two unpaired samples drown in the drift */
	REQUIRE(!stats_verdict(&v, a, 16, b, 16, 0.05, 0.01));
	CHECK_STR(stats_outcome_name(v.outcome), "INCONCLUSIVE");
	/* a 6% step in every block is BAD; a lost side drops its block */
	for (int i = 0; i < 16; i++) {
		u[i] = a[i];
		w[i] = a[i] * 1.06 * (1 + 0.001 * ((i * 5) % 3 - 1));
	}
	u[3] = NAN;
	REQUIRE(!stats_paired_verdict(&v, u, w, 16, 0.05, 0.01));
	CHECK_STR(stats_outcome_name(v.outcome), "BAD");
	CHECK_INT(v.na, 15);
	CHECK_INT(v.nan, 1);
	CHECK_NEAR(v.p, 1.0 / 32768, 1e-15);	/* all 15 positive */
	test_capture_start();
	u[3] = -1;
	CHECK(stats_paired_verdict(&v, u, w, 16, 0.05, 0.01) < 0);
	CHECK_CONTAINS(test_captured(), "not positive");
	test_capture_end();
}

TEST(stats, paired_verdict_scaled)
{
	double a[6], b[6];
	struct stats_verdict v;
	double se = 0.01 * sqrt(1.0526 / 6);

	for (int i = 0; i < 6; i++) {
		a[i] = 100;
		b[i] = 100 * exp(0.02);
	}
	/* a known spread of 1% a block (20 df): t = 0.02 / se */
	REQUIRE(!stats_paired_verdict_scaled(&v, a, b, 6, 0.01, 0.01, 0.01, 20));
	CHECK_STR(stats_outcome_name(v.outcome), "BAD");
	CHECK_NEAR(log(v.ratio), 0.02, 1e-9);
	CHECK_NEAR(v.p, 1 - stats_t_cdf(0.02 / se, 20), 1e-12);
	CHECK_NEAR(log(v.hi) - log(v.ratio), stats_t_quantile(0.99, 20) * se, 1e-9);
	/* one wild block moves Huber's estimate by k / n only: 0.02 + 1.345 * 0.01 / 5 */
	b[5] = 100 * exp(0.5);
	REQUIRE(!stats_paired_verdict_scaled(&v, a, b, 6, 0.01, 0.01, 0.01, 20));
	CHECK_NEAR(log(v.ratio), 0.02269, 1e-6);
	test_capture_start();
	CHECK(stats_paired_verdict_scaled(&v, a, b, 6, 0.01, 0.01, 0, 20) < 0);
	CHECK(stats_paired_verdict_scaled(&v, a, b, 6, 0.01, 0.01, 0.01, 0.5) < 0);
	test_capture_end();
}
