/*
 * make bench, the statistics part: what the tests of common/stats.c can
 * see, measured by seeded simulation and set against theory.
 *
 * 1. Detection power of the exact two-sided Mann-Whitney test at the
 *    0.01 level: the smallest shift, in noise sigmas, detected in 90% of
 *    trials at 5, 10 and 20 runs per side, next to the large-sample
 *    figure (z(0.995) + z(0.9)) sqrt(2 / n) / sqrt(3 / pi), which gives
 *    2.5, 1.77 and 1.25 sigmas; and the false-alarm rate at zero shift.
 * 2. The verdict with its sequential looks (5, 10, 20, 40 runs, overall
 *    alpha 0.025) against a +5% threshold: how often each outcome, and
 *    the runs it took, for true changes from 0 to +20%.
 * 3. Change points in 60-night histories: false alarms on flat ones,
 *    and detection of a planted step.
 *
 * Usage: stats-power [TRIALS] (default 4000; the same seed every time).
 */
#include "common/stats.h"
#include "common/rand.h"
#include "common/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXN 40

static int trials = 4000;

/* Standard normal draws for every trial: common random numbers. */
static double *draws(uint64_t seed, size_t per_trial)
{
	double *z = xmalloc((size_t)trials * per_trial * sizeof(*z));
	struct rng r;

	rng_seed(&r, seed);
	for (size_t i = 0; i < (size_t)trials * per_trial; i++)
		z[i] = rng_normal(&r);
	return z;
}

/* Share of trials where the two-sided test at 0.01 rejects, B shifted by d. */
static double power_at(const double *z, size_t n, double d)
{
	int hit = 0;

	for (int t = 0; t < trials; t++) {
		const double *a = z + (size_t)t * 2 * n;
		double b[MAXN];
		struct stats_mw mw;

		for (size_t i = 0; i < n; i++)
			b[i] = a[n + i] + d;
		stats_mann_whitney(&mw, a, n, b, n, STATS_TWO_SIDED);
		hit += mw.p <= 0.01;
	}
	return (double)hit / trials;
}

/*
 * With common random numbers every trial's U only grows with d, so
 * power is monotone and bisection finds the 90% point.
 */
static double smallest_detected(const double *z, size_t n)
{
	double lo = 0, hi = 8;

	while (hi - lo > 0.005) {
		double mid = (lo + hi) / 2;

		if (power_at(z, n, mid) >= 0.9)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

static void power_table(void)
{
	static const size_t ns[] = { 5, 10, 20 };
	static const double quoted[] = { 2.5, 1.77, 1.25 };
	double zsum = stats_norm_quantile(0.995) + stats_norm_quantile(0.9);

	printf("Mann-Whitney, exact, two-sided, 0.01 level; %d trials per point\n", trials);
	printf("%-6s %-22s %-11s %-9s %-11s %s\n", "runs", "90% power at (sigmas)",
	       "theory", "quoted", "sim/theory", "false alarms at 0");
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		double *z = draws(100 + ns[i], 2 * ns[i]);
		double sim = smallest_detected(z, ns[i]);
		double th = zsum * sqrt(2.0 / (double)ns[i]) / sqrt(3 / M_PI);

		printf("%-6zu %-22.2f %-11.2f %-9.2f %-11.2f %.4f\n", ns[i], sim, th,
		       quoted[i], sim / th, power_at(z, ns[i], 0));
		free(z);
	}
	printf("(with 5%% run-to-run noise, one sigma is a 5%% change)\n\n");
}

/* One sequential comparison: the outcome and the runs per side used. */
static enum stats_outcome sequential(const struct stats_looks *l, const double *a,
				     const double *b, double threshold, unsigned *runs)
{
	struct stats_verdict v;

	v.outcome = STATS_INCONCLUSIVE;
	for (size_t k = 0; k < l->n; k++) {
		*runs = l->runs[k];
		if (stats_verdict(&v, a, *runs, b, *runs, threshold, l->alpha[k]) < 0)
			exit(1);
		if (v.outcome != STATS_INCONCLUSIVE)
			break;
	}
	return v.outcome;
}

static void verdict_table(double sigma, uint64_t seed)
{
	static const double changes[] = { 0, 0.01, 0.025, 0.05, 0.10, 0.20 };
	struct stats_looks l;
	int n = trials / 2;

	stats_looks_default(&l);
	printf("verdict, looks at 5/10/20/40 runs, threshold +5%%, noise %.0f%%, %d trials\n",
	       sigma * 100, n);
	printf("%-8s %-7s %-7s %-14s %s\n", "change", "BAD", "GOOD", "INCONCLUSIVE",
	       "mean runs per side");
	for (size_t c = 0; c < ARRAY_SIZE(changes); c++) {
		int count[3] = { 0 };
		double runs = 0;
		struct rng r;

		rng_seed(&r, seed + c);
		for (int t = 0; t < n; t++) {
			double a[MAXN], b[MAXN];
			unsigned used = 0;

			for (int i = 0; i < MAXN; i++) {
				a[i] = 100 * exp(sigma * rng_normal(&r));
				b[i] = 100 * (1 + changes[c]) * exp(sigma * rng_normal(&r));
			}
			count[sequential(&l, a, b, 0.05, &used)]++;
			runs += used;
		}
		printf("%+6.1f%%  %-7.3f %-7.3f %-14.3f %.1f\n", changes[c] * 100,
		       (double)count[STATS_BAD] / n, (double)count[STATS_GOOD] / n,
		       (double)count[STATS_INCONCLUSIVE] / n, runs / n);
	}
	printf("\n");
}

/*
 * Change points found in `histories` 60-night series with a step at 35:
 * share of histories where one is found within 2 nights of it, share
 * of histories where one is found at exactly 35, and changes reported
 * elsewhere per history (false alarms, or a step badly placed).
 */
static void changepoint_row(double step, int histories)
{
	int found = 0, exact = 0, extra = 0;
	struct rng r;

	rng_seed(&r, 900 + (uint64_t)(step * 1000));
	for (int h = 0; h < histories; h++) {
		double x[60];
		struct stats_cp *cp;
		int n, hit = 0;

		for (int i = 0; i < 60; i++)
			x[i] = 100 * (i >= 35 ? 1 + step : 1) * exp(0.05 * rng_normal(&r));
		n = stats_changepoints(&cp, x, 60, NULL);
		for (int i = 0; i < n; i++) {
			int near = labs((long)cp[i].index - 35) <= 2;

			hit |= near;
			exact += cp[i].index == 35;
			extra += !near || step == 0;
		}
		found += hit;
		free(cp);
	}
	printf("%+6.1f%%  %-10.3f %-12.3f %.3f\n", step * 100,
	       step ? (double)found / histories : NAN,
	       step ? (double)exact / histories : NAN, (double)extra / histories);
}

static void changepoint_table(void)
{
	static const double steps[] = { 0, 0.05, 0.10, 0.15, 0.20 };
	int histories = trials / 20 > 20 ? trials / 20 : 20;

	printf("change points, 60 nights, 5%% noise, step at night 35, alpha 0.001, %d histories\n",
	       histories);
	printf("%-8s %-10s %-12s %s\n", "step", "found +-2", "at exactly", "elsewhere per history");
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
		changepoint_row(steps[i], histories);
}

int main(int argc, char **argv)
{
	if (argc > 1 && (trials = atoi(argv[1])) < 10) {
		fprintf(stderr, "usage: stats-power [TRIALS >= 10]\n");
		return 129;
	}
	power_table();
	verdict_table(0.05, 500);
	verdict_table(0.10, 600);
	changepoint_table();
	return 0;
}
