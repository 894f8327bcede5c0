/*
 * From raw counter readings to figures: intervals scaled for
 * multiplexing, totals, derived metrics and their JSON. Plain
 * arithmetic, testable without a PMU.
 */
#include "collectors/pmc.h"
#include "common/json.h"
#include "common/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const pmc_derived_names[PMC_NDERIVED] = {
	"ipc", "stall_frac", "llc_miss_ratio", "cycles_per_s", "cpus_utilized",
	"frontend_bound", "bad_speculation", "retiring", "backend_bound"
};

/* One event on one row over the interval; NaN when it was not counted. */
static void scale_one(const struct pmc_raw *now, const struct pmc_raw *prev, double *count,
		      double *scale, double *running)
{
	static const struct pmc_raw zero = { 0, 0, 0, 1 };
	double dv, de, dr;

	*count = *scale = *running = NAN;
	if (!prev)
		prev = &zero;
	if (!now->ok || !prev->ok || now->value < prev->value || now->enabled < prev->enabled ||
	    now->running < prev->running)
		return;
	dv = (double)(now->value - prev->value);
	de = (double)(now->enabled - prev->enabled);
	dr = (double)(now->running - prev->running);
	*running = dr;
	if (de <= 0 && dr <= 0) {
		*scale = 1;	/* a task that did not run: it counted nothing */
		*count = dv;
		return;
	}
	if (dr <= 0)
		return;		/* enabled but never on the PMU: unknown, not zero */
	*scale = de / dr;
	*count = dv * *scale;
}

int pmc_interval_compute(struct pmc_interval *out, const struct pmc_reading *now,
			 const struct pmc_reading *prev, double dt)
{
	size_t n = (size_t)now->nrow * (size_t)now->nev;

	if (prev && (prev->nev != now->nev || prev->nrow != now->nrow))
		return error("counter readings of different shapes");
	if (out->nev != now->nev || out->nrow != now->nrow || !out->count) {
		pmc_interval_release(out);
		out->count = xcalloc(n ? n : 1, sizeof(double));
		out->scale = xcalloc(n ? n : 1, sizeof(double));
		out->running = xcalloc(n ? n : 1, sizeof(double));
		out->nev = now->nev;
		out->nrow = now->nrow;
	}
	out->dt = dt;
	for (size_t i = 0; i < n; i++)
		scale_one(&now->raw[i], prev ? &prev->raw[i] : NULL, &out->count[i],
			  &out->scale[i], &out->running[i]);
	return 0;
}

void pmc_interval_release(struct pmc_interval *iv)
{
	free(iv->count);
	free(iv->scale);
	free(iv->running);
	memset(iv, 0, sizeof(*iv));
}

void pmc_interval_total(const struct pmc_interval *iv, double *count, double *scale)
{
	for (int e = 0; e < iv->nev; e++) {
		double sum = 0, ssum = 0;
		int n = 0;

		for (int r = 0; r < iv->nrow; r++) {
			double v = iv->count[r * iv->nev + e];

			if (isnan(v))
				continue;
			sum += v;
			ssum += iv->scale[r * iv->nev + e];
			n++;
		}
		count[e] = n ? sum : NAN;
		scale[e] = n ? ssum / n : NAN;
	}
}

double pmc_role_count(const struct pmc_events *s, const double *count, enum pmc_role role)
{
	int i = pmc_events_role(s, role);

	return i < 0 ? NAN : count[i];
}

static double ratio(double a, double b)
{
	return isnan(a) || isnan(b) || b <= 0 ? NAN : a / b;
}

static double clamp01(double v)
{
	return isnan(v) ? v : v < 0 ? 0 : v > 1 ? 1 : v;
}

/*
 * Top-down level 1 (Yasin, "A Top-Down Method for Performance Analysis
 * and Counters Architecture", ISPASS 2014), the slots-based formula for
 * Sandy Bridge to Skylake with W issue slots per cycle (W = 4):
 *
 *   SLOTS           = W * CPU_CLK_UNHALTED.THREAD
 *   Frontend Bound  = IDQ_UOPS_NOT_DELIVERED.CORE / SLOTS
 *   Bad Speculation = (UOPS_ISSUED.ANY - UOPS_RETIRED.RETIRE_SLOTS
 *                      + W * INT_MISC.RECOVERY_CYCLES) / SLOTS
 *   Retiring        = UOPS_RETIRED.RETIRE_SLOTS / SLOTS
 *   Backend Bound   = 1 - (Frontend Bound + Bad Speculation + Retiring)
 *
 * The per-thread form: with SMT on, Intel divides core-wide events by
 * CPU_CLK_UNHALTED.THREAD_ANY / 2 instead; rolled up per core the sums
 * come out the same. Multiplexing can push a share slightly outside
 * 0..1; like pmu-tools' toplev, shares are clamped.
 */
static void topdown(struct pmc_derived *d, const struct pmc_events *s, const double *count)
{
	double w = s->td_width, cycles = pmc_role_count(s, count, PMC_ROLE_CYCLES);
	double slots = w * cycles;
	double nd = pmc_role_count(s, count, PMC_ROLE_TD_NOT_DELIVERED);
	double issued = pmc_role_count(s, count, PMC_ROLE_TD_ISSUED);
	double retired = pmc_role_count(s, count, PMC_ROLE_TD_RETIRED);
	double recovery = pmc_role_count(s, count, PMC_ROLE_TD_RECOVERY);

	d->frontend_bound = d->bad_speculation = d->retiring = d->backend_bound = NAN;
	if (w <= 0)
		return;
	d->frontend_bound = clamp01(ratio(nd, slots));
	d->bad_speculation = clamp01(ratio(issued - retired + w * recovery, slots));
	d->retiring = clamp01(ratio(retired, slots));
	d->backend_bound = clamp01(1 - d->frontend_bound - d->bad_speculation - d->retiring);
}

void pmc_derive(struct pmc_derived *d, const struct pmc_events *s, const double *count,
		double dt)
{
	double cycles = pmc_role_count(s, count, PMC_ROLE_CYCLES);

	d->ipc = ratio(pmc_role_count(s, count, PMC_ROLE_INSTRUCTIONS), cycles);
	d->stall_frac = ratio(pmc_role_count(s, count, PMC_ROLE_STALL_CYCLES), cycles);
	d->llc_miss_ratio = ratio(pmc_role_count(s, count, PMC_ROLE_LLC_MISSES),
				  pmc_role_count(s, count, PMC_ROLE_LLC_REFERENCES));
	d->cycles_per_s = ratio(cycles, dt);
	d->cpus_utilized = ratio(pmc_role_count(s, count, PMC_ROLE_TASK_CLOCK), dt * 1e9);
	topdown(d, s, count);
}

static void derived_json(json_t *obj, const struct pmc_derived *d)
{
	const double v[PMC_NDERIVED] = {
		d->ipc, d->stall_frac, d->llc_miss_ratio, d->cycles_per_s, d->cpus_utilized,
		d->frontend_bound, d->bad_speculation, d->retiring, d->backend_bound
	};

	for (int i = 0; i < PMC_NDERIVED; i++)
		json_set_num(obj, pmc_derived_names[i], v[i]);
}

json_t *pmc_counts_json(const struct pmc_events *s, const double *count, const double *scale,
			double dt)
{
	json_t *obj = json_object(), *c = json_object(), *sc = json_object(), *d = json_object();
	struct pmc_derived der;

	for (int i = 0; i < s->nr; i++) {
		json_set(c, s->v[i].name, json_count(count[i]));
		json_set_num(sc, s->v[i].name, scale ? scale[i] : NAN);
	}
	pmc_derive(&der, s, count, dt);
	derived_json(d, &der);
	json_set(obj, "counts", c);
	json_set(obj, "scale", sc);
	json_set(obj, "derived", d);
	return obj;
}

json_t *pmc_roles_json(const struct pmc_events *s, const double *count)
{
	json_t *obj = json_object();

	for (int r = 1; r < PMC_NROLES; r++)
		if (pmc_events_role(s, (enum pmc_role)r) >= 0)
			json_set(obj, pmc_role_names[r], json_count(pmc_role_count(s, count, r)));
	return obj;
}

json_t *pmc_events_json(const struct pmc_events *s)
{
	json_t *arr = json_array();

	for (int i = 0; i < s->nr; i++) {
		const struct pmc_event *e = &s->v[i];
		json_t *o = json_object();
		char config[32];

		snprintf(config, sizeof(config), "0x%llx", (unsigned long long)e->config);
		json_set_str(o, "name", e->name);
		json_set_str(o, "pfm", e->pfm);
		json_set_str(o, "pmu", e->pmu);
		json_set_int(o, "type", e->type);
		json_set_str(o, "config", config);
		json_set(o, "software", json_boolean(e->software));
		json_set_str(o, "role", e->role ? pmc_role_names[e->role] : NULL);
		json_array_append_new(arr, o);
	}
	return arr;
}
