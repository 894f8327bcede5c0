#ifndef BISECT_SIMULATE_H
#define BISECT_SIMULATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Synthetic bisections to choose and check the engine: a linear history
 * of n commits, level 100 with noise of sigma 1 (so the threshold, 1%,
 * is one sigma), a step of d sigmas at a random commit (up: higher is
 * worse, the engine's direction +1; or, for an improvement hunt, down
 * with the direction -1), and one of the noise models below. Every
 * trial drives the same engine (bisect/engine.h) the real bisection
 * uses, the way a lab would: the requests of a round lane by lane in
 * the order given, k lanes side by side, each request one boot.
 *
 * Time is the lab's clock in runs: the lanes of a round run side by
 * side, run i of a lane at round start + i, and the next round starts
 * when the longest lane is done. The faults of the ground (drift, load
 * step, bursts) are functions of that clock, shared by every lane, and
 * push the metric the way the step goes (the worst case: they look
 * like the change).
 */
enum sim_noise {
	SIM_GAUSSIAN = 0,	/* N(0, 1) */
	SIM_OUTLIERS,		/* N(0, 1), and 5% of runs 3 to 10 sigma higher (one-sided) */
	SIM_BIMODAL,		/* two modes at +-0.8 with sd 0.6 (variance 1) */
	SIM_BOOT,		/* per-boot offset N(0, 0.5^2) + run N(0, 0.75^2): a boot per request */
	SIM_FAILURES,		/* gaussian; 3% of runs fail, 2% of commits do not build */
	SIM_DRIFT,		/* gaussian + the ground drifting 1 sigma per 100 runs of lab time */
	SIM_LOADSTEP,		/* gaussian + a step of 2 sigmas in background load at a time
				   uniform in [20, 150) runs (mid-bisection) */
	SIM_BURSTS,		/* gaussian + bursts of outliers: at each run of lab time a burst
				   starts with chance 1%, lasts 3 to 10 runs, and every run in it
				   is 3 to 10 sigma higher */
	SIM_DUTFAIL,		/* gaussian; in 5% of rounds a lane's DUT fails at a random run:
				   all its runs of that round are lost (reported failed) */
	SIM_NOISE_COUNT
};

const char *sim_noise_name(enum sim_noise m);
int sim_noise_parse(const char *s);	/* -1 if unknown */

struct sim_cell {
	size_t n;		/* commits */
	double d;		/* step, sigmas */
	enum sim_noise noise;
	unsigned k;		/* probes per round (lanes, DUTs) */
	unsigned trials;
	uint64_t seed;
	int improvement;	/* 1: the step goes down and the hunt's direction is -1 */
};

struct sim_stats {
	unsigned trials;
	double exact;		/* named the planted commit exactly */
	double in_range;	/* planted commit inside the culprit or range reported */
	double wrong;		/* named a culprit or range without the planted commit (d = 0: any) */
	double inconclusive;	/* inconclusive, budget or not reproduced */
	double named;		/* named a culprit or range */
	double runs_mean, runs_p95;
	double builds_mean, builds_p95;
	double boots_mean;	/* requests measured (deploys) */
	double rounds_mean;
	double moved;		/* answers that said the ground moved */
	double stated;		/* mean stated confidence of named answers */
	double measured;	/* fraction of named answers holding the planted commit */
};

/* Run a cell's trials; deterministic for a seed. */
int sim_run(struct sim_stats *out, const struct sim_cell *cell);

#endif
