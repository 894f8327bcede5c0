#include "tests/unit/test.h"
#include "verdict/calibrate.h"
#include "common/rand.h"

#include <math.h>

/* boots x runs values around 100 with run noise sd_run and boot offsets sd_boot */
static void synth(double *v, size_t boots, size_t runs, double sd_run, double sd_boot,
		  unsigned long long seed)
{
	struct rng r;

	rng_seed(&r, seed);
	for (size_t b = 0; b < boots; b++) {
		double off = sd_boot * rng_normal(&r);

		for (size_t k = 0; k < runs; k++)
			v[b * runs + k] = 100 * exp(off + sd_run * rng_normal(&r));
	}
}

TEST(calibrate, boots_that_differ_make_the_boot_the_unit)
{
	double v[40];
	struct noise n;

	synth(v, 5, 8, 0.01, 0.05, 1);
	noise_estimate(&n, v, 5, 8, 0.05, 7);
	CHECK(n.unit_boot);
	CHECK(n.p_boot < 0.01);
	CHECK(n.icc > 0.8);
	CHECK_NEAR(n.cv_run, 0.01, 0.004);
	CHECK(n.cv_boot > 0.02);
	CHECK_NEAR(n.sigma, n.cv_boot, 0);
}

TEST(calibrate, quiet_boots_keep_the_run_as_unit)
{
	double v[40];
	struct noise n;

	synth(v, 5, 8, 0.03, 0.0, 2);
	noise_estimate(&n, v, 5, 8, 0.05, 7);
	CHECK(!n.unit_boot);
	CHECK(n.p_boot > 0.05);
	CHECK_NEAR(n.cv_run, 0.03, 0.01);
	CHECK_NEAR(n.sigma, n.cv_run, 0);
	/* a 5% threshold at 3% noise is 1.6 sigma: 20 runs per side */
	CHECK_INT(n.runs_needed, 20);
}

TEST(calibrate, one_boot_measures_no_boot_noise)
{
	double v[5] = { 100, 101, 99, 100.5, 99.5 };
	struct noise n;

	noise_estimate(&n, v, 1, 5, -0.03, 7);
	CHECK(isnan(n.p_boot) && isnan(n.cv_boot) && isnan(n.icc));
	CHECK(!n.unit_boot);
	CHECK_INT(n.n, 5);
}

TEST(calibrate, missing_and_bad_values_are_left_out)
{
	double v[6] = { 100, NAN, 0, -3, 101, 99 };
	struct noise n;

	noise_estimate(&n, v, 2, 3, 0.05, 7);
	CHECK_INT(n.n, 3);
}
