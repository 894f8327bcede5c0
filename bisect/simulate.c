/*
 * Simulated bisections (see simulate.h): drives the real engine with
 * synthetic runs, measured the way a lab measures a round.
 */
#include "bisect/simulate.h"
#include "bisect/engine.h"
#include "common/rand.h"
#include "common/stats.h"
#include "common/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LANES 16
#define REQS 4096

static const char *noise_names[] = { "gaussian", "outliers", "bimodal", "boot", "failures",
				     "drift", "loadstep", "bursts", "dutfail" };

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
	struct rng *r;		/* run noise */
	struct rng ground;	/* the faults' timeline, apart from the engine's choices */
	size_t culprit;		/* planted first bad commit */
	char *broken;		/* [n] unbuildable */
	int sign;		/* +1, or -1 for an improvement */
	double now;		/* lab clock at the round's start, runs */
	double step_at;		/* load step time */
	char *burst;		/* [nburst] per unit of lab time: in a burst */
	size_t nburst, balloc;
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

/* Is lab time `at` inside a burst? The timeline grows as the clock does. */
static int in_burst(struct trial *t, double at)
{
	size_t i = at < 0 ? 0 : (size_t)at;

	while (t->nburst <= i) {
		size_t len = 1;
		int on = rng_uniform(&t->ground) < 0.01;

		if (on)
			len = 3 + (size_t)rng_below(&t->ground, 8);
		ALLOC_GROW(t->burst, t->nburst + len, t->balloc);
		memset(t->burst + t->nburst, on, len);
		t->nburst += len;
	}
	return t->burst[i];
}

/* The ground under the lab at time `at`, in sigmas, the way the step goes. */
static double ground(struct trial *t, double at)
{
	switch (t->cell->noise) {
	case SIM_DRIFT:
		return at / 100;
	case SIM_LOADSTEP:
		return at >= t->step_at ? 2 : 0;
	case SIM_BURSTS:
		return in_burst(t, at) ? 3 + 7 * rng_uniform(t->r) : 0;
	default:
		return 0;
	}
}

static double value(struct trial *t, long commit, double boot, double at)
{
	int bad = commit >= 0 && (size_t)commit >= t->culprit;
	double v;

	if (t->cell->noise == SIM_FAILURES && rng_uniform(t->r) < 0.03)
		return NAN;
	v = (bad ? t->cell->d : 0) + ground(t, at) + noise(t, boot);
	return 100 + t->sign * v;
}

struct lane {
	double clock;		/* runs done this round */
	int failed;		/* the DUT failed this round: its runs are lost */
	double fail_at;
};

static void measure(struct trial *t, struct engine *e, const struct engine_request *q,
		    struct lane *ln)
{
	double boot = t->cell->noise == SIM_BOOT ? 0.5 * rng_normal(t->r) : 0;

	if (q->commit >= 0 && t->broken[q->commit]) {
		engine_unbuildable(e, q->commit);
		return;
	}
	for (unsigned i = 0; i < q->runs; i++) {
		double v = value(t, q->commit, boot, t->now + ln->clock);

		if (ln->failed)
			v = NAN;	/* lost with its DUT */
		engine_observe_block(e, q->commit, q->block, v);
		ln->clock++;
	}
}

/* One round: every lane's requests in order, lanes side by side. */
static void round_measure(struct trial *t, struct engine *e, const struct engine_request *q,
			  int n)
{
	struct lane ln[MAX_LANES];
	double longest = 0;

	memset(ln, 0, sizeof(ln));
	for (int l = 0; l < MAX_LANES; l++)
		if (t->cell->noise == SIM_DUTFAIL)
			ln[l].failed = rng_uniform(&t->ground) < 0.05;
	for (int i = 0; i < n; i++)
		measure(t, e, &q[i], &ln[q[i].lane % MAX_LANES]);
	for (int l = 0; l < MAX_LANES; l++)
		if (ln[l].clock > longest)
			longest = ln[l].clock;
	t->now += longest;
}

static void plant(struct trial *t, size_t n)
{
	t->culprit = (size_t)rng_below(t->r, n);
	t->broken = xcalloc(n, 1);
	t->step_at = 20 + 130 * rng_uniform(&t->ground);
	if (t->cell->noise != SIM_FAILURES)
		return;
	for (size_t i = 0; i + 1 < n; i++)
		t->broken[i] = rng_uniform(t->r) < 0.02;
}

static void trial_config(struct engine_config *c, const struct sim_cell *cell)
{
	engine_config_init(c, cell->n);
	c->threshold = 0.01;
	c->k = cell->k;
	c->direction = cell->improvement ? -1 : 1;
	c->max_builds = 3 * (unsigned)ceil(log2((double)cell->n + 1)) + 10;
	c->max_runs = 500;
}

static int one_trial(struct engine_result *res, const struct sim_cell *cell, uint64_t seed,
		     size_t *culprit)
{
	struct engine_config c;
	struct engine_request *q = xcalloc(REQS, sizeof(*q));
	struct rng r;
	struct trial t;
	struct engine *e;
	int n;

	memset(&t, 0, sizeof(t));
	t.cell = cell;
	t.r = &r;
	t.sign = cell->improvement ? -1 : 1;
	rng_seed(&r, seed);
	rng_seed(&t.ground, seed ^ 0x6a09e667f3bcc909ULL);
	plant(&t, cell->n);
	*culprit = t.culprit;
	trial_config(&c, cell);
	c.seed = seed;
	e = engine_new(&c);
	while (e && (n = engine_next(e, q, REQS)) > 0)
		round_measure(&t, e, q, n);
	if (e)
		engine_result(e, res);
	engine_free(e);
	free(t.broken);
	free(t.burst);
	free(q);
	return e ? 0 : -1;
}

static double p95(double *v, size_t n)
{
	return stats_quantile(v, n, 0.95);
}

struct tally {
	double *runs, *builds;
	double stated, right;
};

static void count(struct sim_stats *out, struct tally *ty, const struct sim_cell *cell,
		  const struct engine_result *res, size_t culprit, unsigned i)
{
	int named = res->status == BISECT_CULPRIT || res->status == BISECT_RANGE;
	int in = named && cell->d > 0 && res->lo <= (long)culprit && (long)culprit <= res->hi;

	out->exact += cell->d > 0 && res->status == BISECT_CULPRIT &&
		      res->culprit == (long)culprit;
	out->in_range += in;
	out->named += named;
	out->wrong += named && !in;
	out->inconclusive += !named;
	out->moved += res->ground_moved;
	if (named) {
		ty->stated += res->confidence;
		ty->right += in;
	}
	ty->runs[i] = res->runs;
	ty->builds[i] = res->builds;
	out->boots_mean += res->boots;
	out->rounds_mean += res->rounds;
}

static void average(struct sim_stats *out, struct tally *ty, unsigned trials)
{
	out->trials = trials;
	out->stated = out->named ? ty->stated / out->named : NAN;
	out->measured = out->named ? ty->right / out->named : NAN;
	out->exact /= trials;
	out->in_range /= trials;
	out->wrong /= trials;
	out->named /= trials;
	out->inconclusive /= trials;
	out->moved /= trials;
	out->boots_mean /= trials;
	out->rounds_mean /= trials;
	out->runs_mean = stats_mean(ty->runs, trials);
	out->runs_p95 = p95(ty->runs, trials);
	out->builds_mean = stats_mean(ty->builds, trials);
	out->builds_p95 = p95(ty->builds, trials);
}

int sim_run(struct sim_stats *out, const struct sim_cell *cell)
{
	struct tally ty = { xcalloc(cell->trials + 1, sizeof(double)),
			    xcalloc(cell->trials + 1, sizeof(double)), 0, 0 };
	uint64_t s = cell->seed;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!cell->trials || !cell->k || cell->k > MAX_LANES)
		ret = error("simulate: %u trials, k %u (1 to %d)", cell->trials, cell->k, MAX_LANES);
	for (unsigned i = 0; !ret && i < cell->trials; i++) {
		struct engine_result res;
		size_t culprit;

		if (one_trial(&res, cell, splitmix64(&s), &culprit) < 0) {
			ret = -1;
			break;
		}
		count(out, &ty, cell, &res, culprit, i);
		engine_result_release(&res);
	}
	if (!ret)
		average(out, &ty, cell->trials);
	free(ty.runs);
	free(ty.builds);
	return ret;
}
