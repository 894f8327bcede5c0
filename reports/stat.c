/*
 * `perflab stat` tables: pmcstat -w / perf stat -I style rows of
 * counters and derived metrics, per CPU or rolled up by topology.
 */
#include "reports/stat.h"
#include "collectors/pmc.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct stat_group *group_add(struct stat_group **g, int *n, int nev, const char *label)
{
	struct stat_group *x;

	*g = xrealloc(*g, (size_t)(*n + 1) * sizeof(**g));
	x = &(*g)[(*n)++];
	memset(x, 0, sizeof(*x));
	snprintf(x->label, sizeof(x->label), "%s", label);
	x->count = xcalloc((size_t)nev + 1, sizeof(double));
	x->scale = xcalloc((size_t)nev + 1, sizeof(double));
	return x;
}

static void group_cpu(struct stat_group *x, int cpu)
{
	x->cpus = xrealloc(x->cpus, (size_t)(x->ncpu + 1) * sizeof(int));
	x->cpus[x->ncpu++] = cpu;
}

/* One group for everything counted. */
static int groups_all(const struct stat_view *v, const struct pmc_interval *iv,
		      struct stat_group **out)
{
	int n = 0;
	struct stat_group *x = group_add(out, &n, iv->nev, "all");

	pmc_interval_total(iv, x->count, x->scale);
	for (int r = 0; v->cpus && r < iv->nrow; r++)
		group_cpu(x, v->cpus[r]);
	return n;
}

/* Spread one event's rows over OS CPU numbers (NaN where not counted). */
static void by_cpu(const struct stat_view *v, const struct pmc_interval *iv, const double *src,
		   int ev, double *per_cpu)
{
	for (int c = 0; c < v->topo->ncpu; c++)
		per_cpu[c] = NAN;
	for (int r = 0; r < iv->nrow; r++)
		if (v->cpus[r] >= 0 && v->cpus[r] < v->topo->ncpu)
			per_cpu[v->cpus[r]] = src[r * iv->nev + ev];
}

/* Roll every event up to the view's level: sums of counts, means of scales. */
static void rollup(const struct stat_view *v, const struct pmc_interval *iv, double *count,
		   double *scale, int ngroups)
{
	double *per_cpu = xcalloc((size_t)v->topo->ncpu + 1, sizeof(double));
	double *out = xcalloc((size_t)ngroups + 1, sizeof(double));

	for (int e = 0; e < iv->nev; e++) {
		by_cpu(v, iv, iv->count, e, per_cpu);
		topology_rollup(v->topo, v->level, TOPO_SUM, per_cpu, out);
		for (int g = 0; g < ngroups; g++)
			count[g * iv->nev + e] = out[g];
		by_cpu(v, iv, iv->scale, e, per_cpu);
		topology_rollup(v->topo, v->level, TOPO_MEAN, per_cpu, out);
		for (int g = 0; g < ngroups; g++)
			scale[g * iv->nev + e] = out[g];
	}
	free(per_cpu);
	free(out);
}

/* Which groups hold a counted CPU, and which CPUs each holds. */
static int groups_split(const struct stat_view *v, const struct pmc_interval *iv,
			struct stat_group **out)
{
	int ng = topology_ngroups(v->topo, v->level), n = 0;
	double *count = xcalloc((size_t)ng * (size_t)iv->nev + 1, sizeof(double));
	double *scale = xcalloc((size_t)ng * (size_t)iv->nev + 1, sizeof(double));

	rollup(v, iv, count, scale, ng);
	for (int g = 0; g < ng; g++) {
		struct stat_group *x = NULL;
		char label[32];

		snprintf(label, sizeof(label), "%s%d", topo_level_names[v->level], g);
		for (int r = 0; r < iv->nrow; r++) {
			if (topology_group_of(v->topo, v->level, v->cpus[r]) != g)
				continue;
			if (!x) {
				x = group_add(out, &n, iv->nev, label);
				memcpy(x->count, &count[g * iv->nev], (size_t)iv->nev * sizeof(double));
				memcpy(x->scale, &scale[g * iv->nev], (size_t)iv->nev * sizeof(double));
			}
			group_cpu(x, v->cpus[r]);
		}
	}
	free(count);
	free(scale);
	return n;
}

int stat_groups(const struct stat_view *v, const struct pmc_interval *iv,
		struct stat_group **out)
{
	*out = NULL;
	if (!v->split || !v->cpus || !v->topo)
		return groups_all(v, iv, out);
	return groups_split(v, iv, out);
}

void stat_groups_free(struct stat_group *g, int n)
{
	for (int i = 0; i < n; i++) {
		free(g[i].cpus);
		free(g[i].count);
		free(g[i].scale);
	}
	free(g);
}

const char *stat_fmt_count(double v, char *buf, int len)
{
	char digits[64];
	int n, k = 0;

	if (isnan(v) || isinf(v)) {
		snprintf(buf, (size_t)len, "-");
		return buf;
	}
	n = snprintf(digits, sizeof(digits), "%.0f", v);
	if (n <= 0 || n >= (int)sizeof(digits) || n * 4 / 3 + 2 > len) {
		snprintf(buf, (size_t)len, "%.6g", v);
		return buf;
	}
	for (int i = 0; i < n; i++) {
		int left = n - i;

		buf[k++] = digits[i];
		if (left > 1 && left % 3 == 1 && digits[i] != '-')
			buf[k++] = ',';
	}
	buf[k] = '\0';
	return buf;
}

/* Time-based software events read in ns; people read them in msec. */
static int is_clock(const struct pmc_event *e)
{
	return e->software && (e->config == 0 || e->config == 1);	/* cpu-clock, task-clock */
}

/* The time and group columns; a command's own count has no group. */
static void row_prefix(struct strbuf *out, double t, const char *label)
{
	if (!isnan(t))
		strbuf_addf(out, "%12.3f  ", t);
	if (label)
		strbuf_addf(out, "%-10s ", label);
}

static void format_event(struct strbuf *out, const struct pmc_event *e, double count,
			 double scale, double t, const char *label)
{
	char buf[64];

	row_prefix(out, t, label);
	if (is_clock(e) && !isnan(count))
		strbuf_addf(out, "%18.2f msec ", count / 1e6);
	else
		strbuf_addf(out, "%18s      ", stat_fmt_count(count, buf, sizeof(buf)));
	strbuf_addstr(out, e->name);
	if (!isnan(scale) && scale > 1.0005)
		strbuf_addf(out, "  [scaled x%.2f: counted %.1f%% of the time]", scale,
			    100 / scale);
	strbuf_addch(out, '\n');
}

/* Which derived metrics the event set can give: a bit per pmc_derived_names entry. */
static unsigned derivable(const struct pmc_events *s)
{
	int cyc = pmc_events_role(s, PMC_ROLE_CYCLES) >= 0;
	int td = s->td_width > 0 && cyc;
	unsigned bits = 0;

	for (int r = PMC_ROLE_TD_NOT_DELIVERED; r <= PMC_ROLE_TD_RECOVERY; r++)
		td &= pmc_events_role(s, (enum pmc_role)r) >= 0;
	bits |= (cyc && pmc_events_role(s, PMC_ROLE_INSTRUCTIONS) >= 0) << 0;
	bits |= (cyc && pmc_events_role(s, PMC_ROLE_STALL_CYCLES) >= 0) << 1;
	bits |= (pmc_events_role(s, PMC_ROLE_LLC_MISSES) >= 0 &&
		 pmc_events_role(s, PMC_ROLE_LLC_REFERENCES) >= 0) << 2;
	bits |= cyc << 3;
	bits |= (pmc_events_role(s, PMC_ROLE_TASK_CLOCK) >= 0) << 4;
	bits |= td ? 0xfu << 5 : 0;
	return bits;
}

_Static_assert(sizeof(struct pmc_derived) == PMC_NDERIVED * sizeof(double),
	       "pmc_derived is the metrics of pmc_derived_names, in order");

static void format_metric(struct strbuf *out, int k, double v, double t, const char *label)
{
	char buf[64];

	row_prefix(out, t, label);
	if (isnan(v))
		snprintf(buf, sizeof(buf), "-");
	else if (k == 0 || k == 4)
		snprintf(buf, sizeof(buf), "%.2f", v);		/* ipc, cpus_utilized */
	else if (k == 3)
		snprintf(buf, sizeof(buf), "%.3f G", v / 1e9);	/* cycles per second */
	else
		snprintf(buf, sizeof(buf), "%.1f %%", v * 100);	/* fractions */
	strbuf_addf(out, "%18s      %s\n", buf, pmc_derived_names[k]);
}

static void format_group(struct strbuf *out, const struct stat_view *v,
			 const struct stat_group *g, double dt, double t)
{
	const char *label = v->cpus ? g->label : NULL;
	unsigned bits = derivable(v->ev);
	struct pmc_derived d;
	double dv[PMC_NDERIVED];

	for (int e = 0; e < v->ev->nr; e++)
		format_event(out, &v->ev->v[e], g->count[e], g->scale[e], t, label);
	pmc_derive(&d, v->ev, g->count, dt);
	memcpy(dv, &d, sizeof(dv));
	for (int k = 0; k < PMC_NDERIVED; k++)
		if (bits & (1u << k))
			format_metric(out, k, dv[k], t, label);
}

void stat_format_header(struct strbuf *out, const struct stat_view *v)
{
	strbuf_addf(out, "#%11s  ", "time_s");
	if (v->cpus)
		strbuf_addf(out, "%-10s ", "group");
	strbuf_addf(out, "%18s      %s\n", "count", "event");
}

void stat_format(struct strbuf *out, const struct stat_view *v, const struct pmc_interval *iv,
		 double t)
{
	struct stat_group *g;
	int n = stat_groups(v, iv, &g);

	for (int i = 0; i < n; i++)
		format_group(out, v, &g[i], iv->dt, t);
	stat_groups_free(g, n);
}

json_t *stat_json(const struct stat_view *v, const struct pmc_interval *iv, const char *type,
		  double t)
{
	json_t *rec = json_object(), *arr = json_array();
	struct stat_group *g;
	int n = stat_groups(v, iv, &g);

	for (int i = 0; i < n; i++) {
		json_t *o = pmc_counts_json(v->ev, g[i].count, g[i].scale, iv->dt);
		json_t *cpus = json_array();

		for (int k = 0; k < g[i].ncpu; k++)
			json_array_append_new(cpus, json_integer(g[i].cpus[k]));
		json_set_str(o, "group", g[i].label);
		json_set(o, "cpus", cpus);
		json_array_append_new(arr, o);
	}
	stat_groups_free(g, n);
	json_set_str(rec, "type", type);
	json_set_num(rec, "t_s", t);
	json_set_num(rec, "dt_s", iv->dt);
	json_set(rec, "groups", arr);
	return rec;
}
