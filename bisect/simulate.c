/*
 * Simulated bisections (see simulate.h): drives the real engine with
 * synthetic runs.
 */
#include "bisect/simulate.h"
#include "bisect/engine.h"
#include "common/rand.h"
#include "common/stats.h"
#include "common/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *noise_names[] = { "gaussian", "outliers", "bimodal", "boot", "failures" };

const char *sim_noise_name(enum sim_noise m)
{
	return (unsigned)m < SIM_NOISE_COUNT ? noise_names[m] : "?";
}

int sim_noise_parse(const char *s)
{
	for (int i = 0; i < SIM_NOISE_COUNT; i++)
		if (!strcmp(s, noise_names[i]))
			return i;
	return -1;
}

struct trial {
	const struct sim_cell *cell;
	struct rng *r;
	size_t culprit;		/* planted first bad commit */
	char *broken;		/* [n] unbuildable */
};

static double noise(struct trial *t, double boot)
{
	struct rng *r = t->r;
	double u;

	switch (t->cell->noise) {
	case SIM_OUTLIERS:
		u = rng_normal(r);
		return rng_uniform(r) < 0.05 ? u + 3 + 7 * rng_uniform(r) : u;
	case SIM_BIMODAL:
		return (rng_uniform(r) < 0.5 ? -0.8 : 0.8) + 0.6 * rng_normal(r);
	case SIM_BOOT:
		return boot + 0.75 * rng_normal(r);
	default:
		return rng_normal(r);
	}
}

static double value(struct trial *t, long commit, double boot)
{
	int bad = commit >= 0 && (size_t)commit >= t->culprit;

	if (t->cell->noise == SIM_FAILURES && rng_uniform(t->r) < 0.03)
		return NAN;
	return 100 + (bad ? t->cell->d : 0) + noise(t, boot);
}

static void measure(struct trial *t, struct engine *e, const struct engine_request *q)
{
	double boot = t->cell->noise == SIM_BOOT ? 0.5 * rng_normal(t->r) : 0;

	if (q->commit >= 0 && t->broken[q->commit]) {
		engine_unbuildable(e, q->commit);
		return;
	}
	for (unsigned i = 0; i < q->runs; i++)
		engine_observe(e, q->commit, value(t, q->commit, boot));
}

static void plant(struct trial *t, size_t n)
{
	t->culprit = (size_t)rng_below(t->r, n);
	t->broken = xcalloc(n, 1);
	if (t->cell->noise != SIM_FAILURES)
		return;
	for (size_t i = 0; i + 1 < n; i++)
		t->broken[i] = rng_uniform(t->r) < 0.02;
}

static int one_trial(struct engine_result *res, const struct sim_cell *cell, uint64_t seed,
		     size_t *culprit)
{
	struct engine_config c;
	struct engine_request q[64];
	struct rng r;
	struct trial t = { cell, &r, 0, NULL };
	struct engine *e;
	int n;

	rng_seed(&r, seed);
	plant(&t, cell->n);
	*culprit = t.culprit;
	engine_config_init(&c, cell->n);
	c.threshold = 0.01;
	c.k = cell->k;
	c.max_builds = 3 * (unsigned)ceil(log2((double)cell->n + 1)) + 10;
	c.max_runs = 500;
	if (!(e = engine_new(&c))) {
		free(t.broken);
		return -1;
	}
	while ((n = engine_next(e, q, ARRAY_SIZE(q))) > 0)
		for (int i = 0; i < n; i++)
			measure(&t, e, &q[i]);
	engine_result(e, res);
	engine_free(e);
	free(t.broken);
	return 0;
}

static double p95(double *v, size_t n)
{
	return stats_quantile(v, n, 0.95);
}

int sim_run(struct sim_stats *out, const struct sim_cell *cell)
{
	double *runs = xcalloc(cell->trials + 1, sizeof(double));
	double *builds = xcalloc(cell->trials + 1, sizeof(double));
	double stated = 0, right = 0;
	uint64_t s = cell->seed;

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < cell->trials; i++) {
		struct engine_result res;
		size_t culprit;
		int named, in;

		if (one_trial(&res, cell, splitmix64(&s), &culprit) < 0) {
			free(runs);
			free(builds);
			return -1;
		}
		named = res.status == BISECT_CULPRIT || res.status == BISECT_RANGE;
		in = named && res.lo <= (long)culprit && (long)culprit <= res.hi;
		out->exact += res.status == BISECT_CULPRIT && res.culprit == (long)culprit;
		out->in_range += in;
		out->named += named;
		out->inconclusive += !named;
		if (named) {
			stated += res.confidence;
			right += in;
		}
		runs[i] = res.runs;
		builds[i] = res.builds;
		out->rounds_mean += res.rounds;
		engine_result_release(&res);
	}
	out->trials = cell->trials;
	out->stated = out->named ? stated / out->named : NAN;
	out->measured = out->named ? right / out->named : NAN;
	out->exact /= cell->trials;
	out->in_range /= cell->trials;
	out->named /= cell->trials;
	out->inconclusive /= cell->trials;
	out->rounds_mean /= cell->trials;
	out->runs_mean = stats_mean(runs, cell->trials);
	out->runs_p95 = p95(runs, cell->trials);
	out->builds_mean = stats_mean(builds, cell->trials);
	out->builds_p95 = p95(builds, cell->trials);
	free(runs);
	free(builds);
	return 0;
}
