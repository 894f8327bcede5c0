/*
 * `perflab stat` tables: perf stat's layout (and its -x CSV), or
 * pmcstat -w's wide one, per CPU or rolled up by topology.
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

/* perf's software event numbers (linux/perf_event.h, PERF_COUNT_SW_*) */
enum { SW_CPU_CLOCK, SW_TASK_CLOCK, SW_PAGE_FAULTS, SW_CONTEXT_SWITCHES, SW_CPU_MIGRATIONS,
       SW_PAGE_FAULTS_MIN, SW_PAGE_FAULTS_MAJ };

static struct stat_group *group_add(struct stat_group **g, int *n, int nev, const char *label)
{
	struct stat_group *x;

	*g = xrealloc(*g, (size_t)(*n + 1) * sizeof(**g));
	x = &(*g)[(*n)++];
	memset(x, 0, sizeof(*x));
	snprintf(x->label, sizeof(x->label), "%s", label);
	x->count = xcalloc((size_t)nev + 1, sizeof(double));
	x->scale = xcalloc((size_t)nev + 1, sizeof(double));
	x->running = xcalloc((size_t)nev + 1, sizeof(double));
	return x;
}

static void group_cpu(struct stat_group *x, int cpu)
{
	x->cpus = xrealloc(x->cpus, (size_t)(x->ncpu + 1) * sizeof(int));
	x->cpus[x->ncpu++] = cpu;
}

/* The sum of an event's running time over rows; NaN when no row could open it. */
static double running_total(const struct pmc_interval *iv, int e)
{
	double sum = NAN;

	for (int r = 0; iv->running && r < iv->nrow; r++) {
		double v = iv->running[r * iv->nev + e];

		if (!isnan(v))
			sum = isnan(sum) ? v : sum + v;
	}
	return sum;
}

/* One group for everything counted. */
static int groups_all(const struct stat_view *v, const struct pmc_interval *iv,
		      struct stat_group **out)
{
	int n = 0;
	struct stat_group *x = group_add(out, &n, iv->nev, "all");

	pmc_interval_total(iv, x->count, x->scale);
	for (int e = 0; e < iv->nev; e++)
		x->running[e] = running_total(iv, e);
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
	for (int r = 0; src && r < iv->nrow; r++)
		if (v->cpus[r] >= 0 && v->cpus[r] < v->topo->ncpu)
			per_cpu[v->cpus[r]] = src[r * iv->nev + ev];
}

/* Roll one array of the interval up to the view's level into dst[group * nev + e]. */
static void rollup_one(const struct stat_view *v, const struct pmc_interval *iv,
		       const double *src, enum topo_agg agg, double *dst, int ngroups)
{
	double *per_cpu = xcalloc((size_t)v->topo->ncpu + 1, sizeof(double));
	double *out = xcalloc((size_t)ngroups + 1, sizeof(double));

	for (int e = 0; e < iv->nev; e++) {
		by_cpu(v, iv, src, e, per_cpu);
		topology_rollup(v->topo, v->level, agg, per_cpu, out);
		for (int g = 0; g < ngroups; g++)
			dst[g * iv->nev + e] = out[g];
	}
	free(per_cpu);
	free(out);
}

/* Which groups hold a counted CPU, and which CPUs each holds. */
static int groups_split(const struct stat_view *v, const struct pmc_interval *iv,
			struct stat_group **out)
{
	int ng = topology_ngroups(v->topo, v->level), n = 0;
	size_t size = (size_t)ng * (size_t)iv->nev + 1;
	double *count = xcalloc(size, sizeof(double)), *scale = xcalloc(size, sizeof(double));
	double *running = xcalloc(size, sizeof(double));

	rollup_one(v, iv, iv->count, TOPO_SUM, count, ng);
	rollup_one(v, iv, iv->scale, TOPO_MEAN, scale, ng);
	rollup_one(v, iv, iv->running, TOPO_SUM, running, ng);
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
				memcpy(x->running, &running[g * iv->nev],
				       (size_t)iv->nev * sizeof(double));
			}
			group_cpu(x, v->cpus[r]);
		}
	}
	free(count);
	free(scale);
	free(running);
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
		free(g[i].running);
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

/* --- what one event shows: its value, unit and metric ------------------ */

/* Time-based software events read in ns; people read them in msec. */
static int is_clock(const struct pmc_event *e)
{
	return e->software && (e->config == SW_CPU_CLOCK || e->config == SW_TASK_CLOCK);
}

enum ev_state { EV_COUNTED, EV_NOT_SUPPORTED, EV_NOT_COUNTED };

/*
 * perf's words for a count it has not got: the event could not be
 * opened here, or it never got on the PMU (or its task never ran) in
 * the interval. A measured 0 stays 0.
 */
static enum ev_state ev_state(const struct stat_group *g, int e)
{
	double run = g->running ? g->running[e] : NAN;

	if (isnan(g->count[e]))
		return g->running && !isnan(run) ? EV_NOT_COUNTED : EV_NOT_SUPPORTED;
	if (g->running && run == 0 && g->count[e] == 0)
		return EV_NOT_COUNTED;
	return EV_COUNTED;
}

/* The time the group's CPUs ran the task (task-clock, s), else the interval. */
static double busy_seconds(const struct stat_view *v, const struct stat_group *g, double dt)
{
	int i = pmc_events_role(v->ev, PMC_ROLE_TASK_CLOCK);

	if (i >= 0 && !isnan(g->count[i]) && g->count[i] > 0)
		return g->count[i] / 1e9;
	return NAN;
}

/* A rate per second with perf's K/M/G prefix into unit. */
static double per_sec(double n, double secs, char *unit, size_t len)
{
	static const char *const prefix[] = { "", "K", "M", "G" };
	double r = n / secs;
	int k = 0;

	while (k < 3 && fabs(r) >= 1000) {
		r /= 1000;
		k++;
	}
	snprintf(unit, len, "%s/sec", prefix[k]);
	return r;
}

/*
 * The metric perf prints after '#' on an event's line: CPUs utilized,
 * a rate, GHz, instructions per cycle, the share of cycles stalled, the
 * LLC miss share. Returns 0 and NaN when the event has none here; *pct
 * says the value is a percentage.
 */
static double event_metric(const struct stat_view *v, const struct stat_group *g, int e,
			   double dt, char *unit, size_t len, int *pct)
{
	const struct pmc_event *ev = &v->ev->v[e];
	double c = g->count[e], busy = busy_seconds(v, g, dt), cyc;

	*pct = 0;
	*unit = '\0';
	if (isnan(c))
		return NAN;
	cyc = pmc_role_count(v->ev, g->count, PMC_ROLE_CYCLES);
	if (ev->role == PMC_ROLE_TASK_CLOCK || (is_clock(ev) && dt > 0)) {
		snprintf(unit, len, "CPUs utilized");
		return c / 1e9 / dt;
	}
	if (ev->software && ev->config >= SW_PAGE_FAULTS && ev->config <= SW_PAGE_FAULTS_MAJ)
		return per_sec(c, isnan(busy) ? dt : busy, unit, len);
	if (ev->role == PMC_ROLE_CYCLES && !isnan(busy)) {
		snprintf(unit, len, "GHz");
		return c / busy / 1e9;
	}
	if (ev->role == PMC_ROLE_INSTRUCTIONS && cyc > 0) {
		snprintf(unit, len, "insn per cycle");
		return c / cyc;
	}
	*pct = 1;
	if (ev->role == PMC_ROLE_STALL_CYCLES && cyc > 0) {
		snprintf(unit, len, "backend cycles idle");
		return 100 * c / cyc;
	}
	if (ev->role == PMC_ROLE_LLC_MISSES) {
		double ref = pmc_role_count(v->ev, g->count, PMC_ROLE_LLC_REFERENCES);

		snprintf(unit, len, "of all LL-cache refs");
		return ref > 0 ? 100 * c / ref : NAN;
	}
	return NAN;
}

/* Which top-down shares the set gives (pmc_derived_names 5..8). */
static int has_topdown(const struct pmc_events *s)
{
	int td = s->td_width > 0 && pmc_events_role(s, PMC_ROLE_CYCLES) >= 0;

	for (int r = PMC_ROLE_TD_NOT_DELIVERED; r <= PMC_ROLE_TD_RECOVERY; r++)
		td &= pmc_events_role(s, (enum pmc_role)r) >= 0;
	return td;
}

static const char *const topdown_units[4] = {
	"frontend bound", "bad speculation", "retiring", "backend bound"
};

/* --- perf stat's layout -------------------------------------------------- */

/*
 * The aggregate column as perf prints it: CPU3 (per CPU), S0-D0-C1 (per
 * core), S0 (per socket), N0 (per node); "" when not split.
 */
static void perf_label(const struct stat_view *v, const struct stat_group *g, char *buf,
		       size_t len)
{
	int c = g->ncpu ? g->cpus[0] : 0, pkg;

	*buf = '\0';
	if (!v->split || !v->cpus || !v->topo)
		return;
	pkg = topology_group_of(v->topo, TOPO_PACKAGE, c);
	switch (v->level) {
	case TOPO_CPU: snprintf(buf, len, "CPU%d", c); break;
	case TOPO_CORE:
		snprintf(buf, len, "S%d-D0-C%d", pkg, topology_group_of(v->topo, TOPO_CORE, c));
		break;
	case TOPO_PACKAGE: snprintf(buf, len, "S%d", pkg); break;
	default: snprintf(buf, len, "N%d", topology_group_of(v->topo, TOPO_NODE, c)); break;
	}
}

static void perf_prefix(struct strbuf *out, const struct stat_view *v,
			const struct stat_group *g, double t)
{
	char label[32];

	if (!isnan(t))
		strbuf_addf(out, "%16.9f ", t);
	perf_label(v, g, label, sizeof(label));
	if (*label && v->level == TOPO_CPU)
		strbuf_addf(out, "%-10s", label);
	else if (*label)
		strbuf_addf(out, "%-12s%8d", label, g->ncpu);
}

static void perf_value(char *buf, size_t len, const struct pmc_event *ev,
		       enum ev_state st, double c)
{
	if (st == EV_NOT_SUPPORTED)
		snprintf(buf, len, "<not supported>");
	else if (st == EV_NOT_COUNTED)
		snprintf(buf, len, "<not counted>");
	else if (is_clock(ev))
		snprintf(buf, len, "%.2f", c / 1e6);
	else
		stat_fmt_count(c, buf, (int)len);
}

static void perf_event_line(struct strbuf *out, const struct stat_view *v,
			    const struct stat_group *g, int e, double dt, double t)
{
	const struct pmc_event *ev = &v->ev->v[e];
	enum ev_state st = ev_state(g, e);
	char val[64], unit[32];
	double m = NAN;
	int pct = 0;

	perf_prefix(out, v, g, t);
	perf_value(val, sizeof(val), ev, st, g->count[e]);
	strbuf_addf(out, "%18s %-4s %-32s", val, is_clock(ev) ? "msec" : "", ev->name);
	if (st == EV_COUNTED)
		m = event_metric(v, g, e, dt, unit, sizeof(unit), &pct);
	if (!isnan(m))
		strbuf_addf(out, " # %8.*f%s %-20s", pct ? 2 : 3, m, pct ? "%" : "", unit);
	if (st == EV_COUNTED && !isnan(g->scale[e]) && g->scale[e] > 1.0005)
		strbuf_addf(out, "  (%.2f%%)", 100 / g->scale[e]);
	strbuf_rtrim(out);
	strbuf_addch(out, '\n');
}

static void perf_group(struct strbuf *out, const struct stat_view *v,
		       const struct stat_group *g, double dt, double t)
{
	struct pmc_derived d;
	const double *td = &d.frontend_bound;

	for (int e = 0; e < v->ev->nr; e++)
		perf_event_line(out, v, g, e, dt, t);
	if (!has_topdown(v->ev))
		return;
	pmc_derive(&d, v->ev, g->count, dt);
	for (int k = 0; k < 4; k++) {
		if (isnan(td[k]))
			continue;
		perf_prefix(out, v, g, t);
		strbuf_addf(out, "%18s %-4s %-32s # %8.1f%% %s\n", "", "", "", 100 * td[k],
			    topdown_units[k]);
	}
}

/* --- perf stat -x SEP ---------------------------------------------------- */

static void csv_prefix(struct strbuf *out, const struct stat_view *v,
		       const struct stat_group *g, double t, const char *sep)
{
	char label[32];

	if (!isnan(t))
		strbuf_addf(out, "%.9f%s", t, sep);
	perf_label(v, g, label, sizeof(label));
	if (*label && v->level == TOPO_CPU)
		strbuf_addf(out, "%s%s", label, sep);
	else if (*label)
		strbuf_addf(out, "%s%s%d%s", label, sep, g->ncpu, sep);
}

static void csv_event_line(struct strbuf *out, const struct stat_view *v,
			   const struct stat_group *g, int e, double dt, double t)
{
	const struct pmc_event *ev = &v->ev->v[e];
	const char *sep = v->sep ? v->sep : ",";
	enum ev_state st = ev_state(g, e);
	double run = g->running ? g->running[e] : NAN, m = NAN;
	char unit[32];
	int pct;

	csv_prefix(out, v, g, t, sep);
	if (st == EV_NOT_SUPPORTED)
		strbuf_addstr(out, "<not supported>");
	else if (st == EV_NOT_COUNTED)
		strbuf_addstr(out, "<not counted>");
	else if (is_clock(ev))
		strbuf_addf(out, "%.2f", g->count[e] / 1e6);
	else
		strbuf_addf(out, "%.0f", g->count[e]);
	strbuf_addf(out, "%s%s%s%s%s", sep, is_clock(ev) ? "msec" : "", sep, ev->name, sep);
	strbuf_addf(out, "%.0f%s", st == EV_COUNTED && !isnan(run) ? run : 0, sep);
	strbuf_addf(out, "%.2f%s", st == EV_COUNTED && g->scale[e] > 0 ? 100 / g->scale[e] : 100,
		    sep);
	if (st == EV_COUNTED)
		m = event_metric(v, g, e, dt, unit, sizeof(unit), &pct);
	if (!isnan(m))
		strbuf_addf(out, "%.*f%s%s", pct ? 2 : 3, m, sep, unit);
	else
		strbuf_addstr(out, sep);
	strbuf_addch(out, '\n');
}

static void csv_group(struct strbuf *out, const struct stat_view *v,
		      const struct stat_group *g, double dt, double t)
{
	const char *sep = v->sep ? v->sep : ",";
	struct pmc_derived d;
	const double *td = &d.frontend_bound;

	for (int e = 0; e < v->ev->nr; e++)
		csv_event_line(out, v, g, e, dt, t);
	if (!has_topdown(v->ev))
		return;
	pmc_derive(&d, v->ev, g->count, dt);
	for (int k = 0; k < 4; k++) {
		if (isnan(td[k]))
			continue;
		csv_prefix(out, v, g, t, sep);
		/* perf's metric-only line: the event's fields empty */
		strbuf_addf(out, "%s%s%s%s%s%.1f%s%s\n", sep, sep, sep, sep, sep, 100 * td[k], sep,
			    topdown_units[k]);
	}
}

/* --- pmcstat -w: one row per interval, one column per event ----------------- */

/* Which derived metrics the event set can give: a bit per pmc_derived_names entry. */
static unsigned derivable(const struct pmc_events *s)
{
	int cyc = pmc_events_role(s, PMC_ROLE_CYCLES) >= 0;
	unsigned bits = 0;

	bits |= (cyc && pmc_events_role(s, PMC_ROLE_INSTRUCTIONS) >= 0) << 0;
	bits |= (cyc && pmc_events_role(s, PMC_ROLE_STALL_CYCLES) >= 0) << 1;
	bits |= (pmc_events_role(s, PMC_ROLE_LLC_MISSES) >= 0 &&
		 pmc_events_role(s, PMC_ROLE_LLC_REFERENCES) >= 0) << 2;
	bits |= cyc << 3;
	bits |= (pmc_events_role(s, PMC_ROLE_TASK_CLOCK) >= 0) << 4;
	bits |= has_topdown(s) ? 0xfu << 5 : 0;
	return bits;
}

_Static_assert(sizeof(struct pmc_derived) == PMC_NDERIVED * sizeof(double),
	       "pmc_derived is the metrics of pmc_derived_names, in order");

static int col_width(const char *name)
{
	int n = (int)strlen(name) + (int)strlen(":ms");

	return n > 12 ? n : 12;
}

static void wide_header(struct strbuf *out, const struct stat_view *v)
{
	unsigned bits = derivable(v->ev);

	strbuf_addf(out, "#%11s", "time_s");
	if (v->cpus && v->split)
		strbuf_addf(out, " %-9s", "group");
	for (int e = 0; e < v->ev->nr; e++) {
		char name[96];

		snprintf(name, sizeof(name), "%s%s", v->ev->v[e].name,
			 is_clock(&v->ev->v[e]) ? ":ms" : "");
		strbuf_addf(out, " %*s", col_width(v->ev->v[e].name), name);
	}
	for (int k = 0; k < PMC_NDERIVED; k++)
		if (bits & (1u << k))
			strbuf_addf(out, " %*s", col_width(pmc_derived_names[k]),
				    pmc_derived_names[k]);
	strbuf_addch(out, '\n');
}

static void wide_metric(struct strbuf *out, int k, double v)
{
	int w = col_width(pmc_derived_names[k]);

	if (isnan(v))
		strbuf_addf(out, " %*s", w, "-");
	else if (k == 0 || k == 4)
		strbuf_addf(out, " %*.2f", w, v);		/* ipc, cpus_utilized */
	else if (k == 3)
		strbuf_addf(out, " %*.3fG", w - 1, v / 1e9);	/* cycles per second */
	else
		strbuf_addf(out, " %*.1f%%", w - 1, v * 100);	/* fractions */
}

static void wide_group(struct strbuf *out, const struct stat_view *v,
		       const struct stat_group *g, double dt, double t)
{
	unsigned bits = derivable(v->ev);
	struct pmc_derived d;
	double dv[PMC_NDERIVED];

	strbuf_addf(out, "%12.3f", isnan(t) ? dt : t);
	if (v->cpus && v->split)
		strbuf_addf(out, " %-9s", g->label);
	for (int e = 0; e < v->ev->nr; e++) {
		int w = col_width(v->ev->v[e].name);

		if (isnan(g->count[e]))
			strbuf_addf(out, " %*s", w, "-");
		else if (is_clock(&v->ev->v[e]))
			strbuf_addf(out, " %*.2f", w, g->count[e] / 1e6);
		else
			strbuf_addf(out, " %*.0f", w, g->count[e]);
	}
	pmc_derive(&d, v->ev, g->count, dt);
	memcpy(dv, &d, sizeof(dv));
	for (int k = 0; k < PMC_NDERIVED; k++)
		if (bits & (1u << k))
			wide_metric(out, k, dv[k]);
	strbuf_addch(out, '\n');
}

/* --- the three together ---------------------------------------------------- */

void stat_format_header(struct strbuf *out, const struct stat_view *v)
{
	if (v->layout == STAT_LAYOUT_WIDE) {
		wide_header(out, v);
	} else if (v->layout == STAT_LAYOUT_PERF) {
		strbuf_addf(out, "#%15s ", "time");
		if (v->split && v->cpus)
			strbuf_addf(out, v->level == TOPO_CPU ? "%-10s" : "%-12s%8s",
				    v->level == TOPO_CPU ? "CPU" : topo_level_names[v->level],
				    "cpus");
		strbuf_addf(out, "%18s %-4s %s\n", "counts", "unit", "events");
	}
}

void stat_format(struct strbuf *out, const struct stat_view *v, const struct pmc_interval *iv,
		 double t)
{
	struct stat_group *g;
	int n = stat_groups(v, iv, &g);

	for (int i = 0; i < n; i++) {
		if (v->layout == STAT_LAYOUT_WIDE)
			wide_group(out, v, &g[i], iv->dt, t);
		else if (v->layout == STAT_LAYOUT_CSV)
			csv_group(out, v, &g[i], iv->dt, t);
		else
			perf_group(out, v, &g[i], iv->dt, t);
	}
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
