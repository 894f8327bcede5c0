/*
 * The pmc collector: the default events of the host's PMU family,
 * counted system-wide on every CPU. Each sample carries per-CPU counts,
 * the totals with derived metrics (IPC, stall fraction, LLC miss ratio,
 * top-down), and the counts by role for the run summary. The info
 * record carries the topology, so per-CPU counts can be rolled up per
 * core, package and node afterwards.
 */
#include "collectors/collector.h"
#include "collectors/pmc.h"
#include "collectors/topology.h"
#include "common/json.h"
#include "common/util.h"

#include <math.h>
#include <stdlib.h>

struct pmc_priv {
	struct pmc_events ev;
	struct pmc_counter *counter;
	struct topology *topo;
	int *cpus, ncpu;		/* OS CPU number of each row */
	struct pmc_reading prev, now;
	struct pmc_interval iv;
	int have_prev;
};

static json_t *topology_json(const struct topology *t)
{
	json_t *arr = json_array();

	for (int c = 0; c < t->ncpu; c++) {
		json_t *o;

		if (!t->cpu[c].present)
			continue;
		o = json_object();
		json_set_int(o, "cpu", c);
		json_set_int(o, "core", t->cpu[c].core);
		json_set_int(o, "package", t->cpu[c].package);
		json_set_int(o, "node", t->cpu[c].node);
		json_array_append_new(arr, o);
	}
	return arr;
}

static int online_cpus(struct pmc_priv *p)
{
	p->cpus = xcalloc((size_t)p->topo->ncpu, sizeof(*p->cpus));
	for (int c = 0; c < p->topo->ncpu; c++)
		if (p->topo->cpu[c].present)
			p->cpus[p->ncpu++] = c;
	return p->ncpu ? 0 : error("no CPU to count on");
}

static void pmc_close(void *priv);

static int pmc_open(void *priv, json_t *info)
{
	struct pmc_priv *p = priv;

	p->ev = (struct pmc_events)PMC_EVENTS_INIT;
	if (topology_load(&p->topo) || online_cpus(p) || pmc_events_default(&p->ev) ||
	    pmc_counter_open_cpus(&p->counter, &p->ev, p->cpus, p->ncpu)) {
		pmc_close(p);	/* collector_open frees priv without calling close */
		return -1;
	}
	json_set_str(info, "pmu", pmc_default_pmu());
	json_set_str(info, "family", p->ev.family);
	json_set_int(info, "td_width", p->ev.td_width);
	json_set(info, "events", pmc_events_json(&p->ev));
	json_set(info, "topology", topology_json(p->topo));
	json_set_str(info, "unavailable", pmc_counter_unavailable(p->counter));
	return 0;
}

static json_t *per_cpu_json(const struct pmc_priv *p)
{
	json_t *arr = json_array();

	for (int r = 0; r < p->ncpu; r++) {
		json_t *o = json_object();
		const double *count = &p->iv.count[r * p->ev.nr];
		const double *scale = &p->iv.scale[r * p->ev.nr];
		json_t *c = json_object(), *s = json_object();

		for (int e = 0; e < p->ev.nr; e++) {
			json_set_num(c, p->ev.v[e].name, count[e]);
			json_set_num(s, p->ev.v[e].name, scale[e]);
		}
		json_set_int(o, "cpu", p->cpus[r]);
		json_set(o, "counts", c);
		json_set(o, "scale", s);
		json_array_append_new(arr, o);
	}
	return arr;
}

static int pmc_sample(void *priv, json_t *rec, double dt, int prev_ok)
{
	struct pmc_priv *p = priv;
	struct pmc_reading tmp;
	double *count, *scale;

	if (pmc_counter_read(p->counter, &p->now))
		return -1;
	if (prev_ok && p->have_prev) {
		if (pmc_interval_compute(&p->iv, &p->now, &p->prev, dt))
			return -1;
		count = xcalloc((size_t)p->ev.nr + 1, sizeof(double));
		scale = xcalloc((size_t)p->ev.nr + 1, sizeof(double));
		pmc_interval_total(&p->iv, count, scale);
		json_set(rec, "cpus", per_cpu_json(p));
		json_set(rec, "totals", pmc_counts_json(&p->ev, count, scale, dt));
		json_set(rec, "roles", pmc_roles_json(&p->ev, count));
		free(count);
		free(scale);
	}
	tmp = p->prev;		/* swap, keeping both buffers */
	p->prev = p->now;
	p->now = tmp;
	p->have_prev = 1;
	return 0;
}

static void pmc_close(void *priv)
{
	struct pmc_priv *p = priv;

	pmc_counter_free(p->counter);
	pmc_events_release(&p->ev);
	topology_free(p->topo);
	pmc_reading_release(&p->prev);
	pmc_reading_release(&p->now);
	pmc_interval_release(&p->iv);
	free(p->cpus);
}

const struct collector_ops pmc_collector = {
	.name = "pmc",
	.summary = "hardware counters per CPU (perf_event), IPC, stalls, LLC misses, top-down",
	.priv_size = sizeof(struct pmc_priv),
	.open = pmc_open,
	.sample = pmc_sample,
	.close = pmc_close,
};
