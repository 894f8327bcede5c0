#ifndef BISECT_SIMULATE_H
#define BISECT_SIMULATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Synthetic bisections to choose and check the engine: a linear history
 * of n commits, level 100 with noise of sigma 1 (so the threshold, 1%,
 * is one sigma), a step of d sigmas (higher is worse) at a random
 * commit, and one of the noise models below. Every trial drives the
 * same engine (bisect/engine.h) the real bisection uses.
 */
enum sim_noise {
	SIM_GAUSSIAN = 0,	/* N(0, 1) */
	SIM_OUTLIERS,		/* N(0, 1), and 5% of runs 3 to 10 sigma higher (one-sided) */
	SIM_BIMODAL,		/* two modes at +-0.8 with sd 0.6 (variance 1) */
	SIM_BOOT,		/* per-boot offset N(0, 0.5^2) + run N(0, 0.75): a boot per request */
	SIM_FAILURES,		/* gaussian; 3% of runs fail, 2% of commits do not build */
	SIM_NOISE_COUNT
};

const char *sim_noise_name(enum sim_noise m);
int sim_noise_parse(const char *s);	/* -1 if unknown */

struct sim_cell {
	size_t n;		/* commits */
	double d;		/* step, sigmas */
	enum sim_noise noise;
	unsigned k;		/* probes per round */
	unsigned trials;
	uint64_t seed;
};

struct sim_stats {
	unsigned trials;
	double exact;		/* named the planted commit exactly */
	double in_range;	/* planted commit inside the culprit or range reported */
	double inconclusive;	/* inconclusive, budget or not reproduced */
	double named;		/* named a culprit or range (at d = 0: a false culprit) */
	double runs_mean, runs_p95;
	double builds_mean, builds_p95;
	double rounds_mean;
	double stated;		/* mean stated confidence of named answers */
	double measured;	/* fraction of named answers holding the planted commit */
};

/* Run a cell's trials; deterministic for a seed. */
int sim_run(struct sim_stats *out, const struct sim_cell *cell);

#endif
