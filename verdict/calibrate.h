#ifndef VERDICT_CALIBRATE_H
#define VERDICT_CALIBRATE_H

#include <stddef.h>

struct json_t;

/*
 * A/A noise: one build measured over several boots, several runs each.
 * Run-to-run and boot-to-boot variation are separated (on log values,
 * so they read as coefficients of variation), a permutation test says
 * whether boots differ beyond what runs explain, and that picks the
 * unit of replication: a run, or a boot.
 */
struct noise {
	double cv_run;		/* run-to-run variation within a boot (fraction) */
	double cv_boot;		/* boot-to-boot variation of the boot means (fraction) */
	double icc;		/* share of the variance that is between boots, 0..1 */
	double p_boot;		/* permutation p of "boots differ"; NaN with one boot */
	int unit_boot;		/* 1: replicate boots, 0: runs are the unit */
	double sigma;		/* the unit's variation (fraction): cv_run or cv_boot */
	int runs_needed;	/* per side for 90% power at the threshold, 0: over 40 */
	size_t n;		/* values used */
};

/*
 * Estimate from values[b * runs + r] (boot b, run r; NaN = missing).
 * threshold is the relative change that must be detectable (0: skip
 * runs_needed). seed makes the permutation test reproducible.
 */
void noise_estimate(struct noise *out, const double *values, size_t boots, size_t runs,
		    double threshold, unsigned long long seed);
struct json_t *noise_json(const struct noise *n);

#endif
