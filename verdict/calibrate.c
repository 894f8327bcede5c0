#include "verdict/calibrate.h"
#include "common/json.h"
#include "common/rand.h"
#include "common/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PERMUTATIONS 999
#define BOOT_ALPHA 0.05

/*
 * Effect sizes (in units of noise sigma) that 5, 10, 20 and 40 runs per
 * side detect with 90% power: the first three measured by simulation
 * of the rank test (bench/stats-power.c), the last by the usual square
 * root scaling from 20.
 */
static const struct { int runs; double sigmas; } power[] = {
	{ 5, 3.58 }, { 10, 1.97 }, { 20, 1.32 }, { 40, 0.93 },
};

/* Sum of squares between groups over (B - 1): the F numerator. */
static double between_ms(const double *y, const size_t *group, size_t n, size_t boots,
			 double *means, size_t *counts)
{
	double grand = 0, ss = 0;

	memset(means, 0, boots * sizeof(*means));
	memset(counts, 0, boots * sizeof(*counts));
	for (size_t i = 0; i < n; i++) {
		means[group[i]] += y[i];
		counts[group[i]]++;
		grand += y[i];
	}
	grand /= (double)n;
	for (size_t b = 0; b < boots; b++) {
		if (!counts[b])
			continue;
		means[b] /= (double)counts[b];
		ss += (double)counts[b] * (means[b] - grand) * (means[b] - grand);
	}
	return boots > 1 ? ss / (double)(boots - 1) : NAN;
}

static double within_ms(const double *y, const size_t *group, size_t n, size_t boots,
			const double *means)
{
	double ss = 0;

	for (size_t i = 0; i < n; i++)
		ss += (y[i] - means[group[i]]) * (y[i] - means[group[i]]);
	return n > boots ? ss / (double)(n - boots) : NAN;
}

/* "Boots differ": how often shuffled runs spread the boot means as much. */
static double permutation_p(double *y, const size_t *group, size_t n, size_t boots,
			    double observed, unsigned long long seed)
{
	double *means = xcalloc(boots, sizeof(*means));
	size_t *counts = xcalloc(boots, sizeof(*counts)), hits = 0;
	struct rng r;

	rng_seed(&r, seed);
	for (int k = 0; k < PERMUTATIONS; k++) {
		rng_shuffle(&r, y, n);
		hits += between_ms(y, group, n, boots, means, counts) >= observed;
	}
	free(means);
	free(counts);
	return (1.0 + (double)hits) / (1.0 + PERMUTATIONS);
}

static int runs_for(double threshold, double sigma)
{
	double effect = log(1 + fabs(threshold)) / sigma;

	for (size_t i = 0; i < ARRAY_SIZE(power); i++)
		if (effect >= power[i].sigmas)
			return power[i].runs;
	return 0;
}

void noise_estimate(struct noise *out, const double *values, size_t boots, size_t runs,
		    double threshold, unsigned long long seed)
{
	double *y = xcalloc(boots * runs + 1, sizeof(*y)), *means = xcalloc(boots, sizeof(*means));
	size_t *group = xcalloc(boots * runs + 1, sizeof(*group));
	size_t *counts = xcalloc(boots, sizeof(*counts)), n = 0;
	double msb, msw, nbar, var_b;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < boots * runs; i++)
		if (values[i] > 0 && isfinite(values[i])) {
			y[n] = log(values[i]);
			group[n++] = i / runs;
		}
	out->n = n;
	msb = n ? between_ms(y, group, n, boots, means, counts) : NAN;
	msw = n ? within_ms(y, group, n, boots, means) : NAN;
	nbar = boots ? (double)n / (double)boots : 0;
	var_b = isnan(msb) || isnan(msw) ? 0 : fmax(0, (msb - msw) / nbar);
	out->cv_run = isnan(msw) ? NAN : sqrt(msw);
	/* with one boot there is nothing between boots to see */
	out->cv_boot = isnan(msw) || boots < 2 ? NAN : sqrt(var_b + msw / (nbar > 0 ? nbar : 1));
	out->icc = isnan(msw) || boots < 2 || var_b + msw <= 0 ? NAN : var_b / (var_b + msw);
	out->p_boot = boots > 1 && !isnan(msb) ? permutation_p(y, group, n, boots, msb, seed) : NAN;
	out->unit_boot = out->p_boot < BOOT_ALPHA;
	out->sigma = out->unit_boot ? out->cv_boot : out->cv_run;
	out->runs_needed = threshold && out->sigma > 0 ? runs_for(threshold, out->sigma) : 0;
	if (threshold && out->sigma == 0)
		out->runs_needed = power[0].runs;
	free(y);
	free(means);
	free(group);
	free(counts);
}

json_t *noise_json(const struct noise *n)
{
	json_t *o = json_object();

	json_set_int(o, "values", (long long)n->n);
	json_set_num(o, "cv_run", n->cv_run);
	json_set_num(o, "cv_boot", n->cv_boot);
	json_set_num(o, "icc", n->icc);
	json_set_num(o, "p_boot", n->p_boot);
	json_set_str(o, "unit", n->unit_boot ? "boot" : "run");
	json_set_num(o, "sigma", n->sigma);
	json_set(o, "runs_needed", n->runs_needed ? json_integer(n->runs_needed) : json_null());
	return o;
}
