/*
 * Counters on FreeBSD: hwpmc(4) through libpmc, behind the same API as
 * pmc.c and pmccount.c (libpfm4 and perf_event_open on Linux). Events
 * are named as pmcstat names them (RESOURCE_STALLS.ANY, and the
 * libpfm4 spellings pmcname.c translates), and libpmc encodes them
 * itself. Counting is system-wide per CPU (PMC_MODE_SC) or in a process
 * and its children (PMC_MODE_TC, attached to the command). hwpmc does
 * not multiplex: an event it cannot allocate is not counted (NaN), as a
 * hardware event is where Linux has no PMU. There are no software
 * events (task-clock, page-faults): they are not counted either.
 *
 * NEEDSWORK: compiled by make check-portable against stub headers, never
 * run: no FreeBSD host has run it yet. pmc_for_each_pmu/_event (perflab
 * events) say "not supported here": `pmccontrol -L` lists the events.
 */
#ifdef __FreeBSD__
#include "collectors/pmc.h"
#include "collectors/pmcname.h"
#include "common/parse.h"
#include "common/util.h"

#include <errno.h>
#include <pmc.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

const char *const pmc_role_names[PMC_NROLES] = {
	"none", "cycles", "instructions", "stall_cycles", "llc_misses", "llc_references",
	"task_clock", "td_not_delivered", "td_issued", "td_retired", "td_recovery"
};

/* pmcstat's names of the events with a role (hwpmc's event tables). */
static const char *const role_names[PMC_NROLES][3] = {
	[PMC_ROLE_CYCLES] = { "cycles", "CPU_CLK_UNHALTED.THREAD_P", "unhalted-cycles" },
	[PMC_ROLE_INSTRUCTIONS] = { "instructions", "INST_RETIRED.ANY_P", "instructions" },
	[PMC_ROLE_STALL_CYCLES] = { "RESOURCE_STALLS.ANY", "CYCLE_ACTIVITY.STALLS_TOTAL" },
	[PMC_ROLE_LLC_MISSES] = { "LONGEST_LAT_CACHE.MISS", "LLC_MISSES", "cache-misses" },
	[PMC_ROLE_LLC_REFERENCES] = { "LONGEST_LAT_CACHE.REFERENCE", "LLC_REFERENCES",
				      "cache-references" },
	[PMC_ROLE_TASK_CLOCK] = { "task-clock" },
};

static int ready;

int pmc_setup(void)
{
	if (!ready)
		ready = pmc_init() ? -1 : 1;	/* libpmc's */
	return ready > 0 ? 0 : error_errno("hwpmc is not loaded (kldload hwpmc)");
}

const char *pmc_default_pmu(void)
{
	return "hwpmc";
}

const char *pmc_family(const char *pmu, int *td_width)
{
	*td_width = 0;
	return "generic";
}

int pmc_encode(struct pmc_event *out, const char *spec, const char *pmu)
{
	memset(out, 0, sizeof(*out));
	if (!*spec)
		return error("an empty event name");
	out->name = xstrdup(spec);
	out->pfm = xstrdup(spec);	/* libpmc encodes it when it is allocated */
	out->pmu = xstrdup(pmu ? pmu : "hwpmc");
	out->software = !strcmp(spec, "task-clock") || !strcmp(spec, "cpu-clock") ||
			!strcmp(spec, "page-faults") || !strcmp(spec, "context-switches") ||
			!strcmp(spec, "cpu-migrations");
	return 0;
}

void pmc_event_release(struct pmc_event *e)
{
	free(e->name);
	free(e->pfm);
	free(e->pmu);
	memset(e, 0, sizeof(*e));
}

static enum pmc_role find_role(const char *name)
{
	for (int r = 1; r < PMC_NROLES; r++)
		for (int k = 0; k < 3 && role_names[r][k]; k++)
			if (!strcasecmp(name, role_names[r][k]))
				return (enum pmc_role)r;
	return PMC_ROLE_NONE;
}

int pmc_events_role(const struct pmc_events *s, enum pmc_role role)
{
	for (int i = 0; i < s->nr; i++)
		if (s->v[i].role == role)
			return i;
	return -1;
}

int pmc_events_add(struct pmc_events *s, const char *spec)
{
	struct pmc_event e;

	if (pmc_encode(&e, spec, NULL))
		return -1;
	e.role = find_role(spec);
	if (pmc_events_role(s, e.role) >= 0)
		e.role = PMC_ROLE_NONE;
	ALLOC_GROW(s->v, s->nr + 1, s->alloc);
	s->v[s->nr++] = e;
	return 0;
}

int pmc_events_parse(struct pmc_events *s, const char *list)
{
	char **v;
	int n = pmcname_split(list, &v), ret = 0;

	for (int i = 0; i < n && !ret; i++)
		ret = pmc_events_add(s, v[i]);
	if (n >= 0)
		argv_free(v);
	return n < 0 ? -1 : ret;
}

int pmc_events_default(struct pmc_events *s)
{
	static const char *const def[] = { "instructions", "unhalted-cycles", NULL };

	for (int i = 0; def[i]; i++)
		if (pmc_events_add(s, def[i]))
			return -1;
	return 0;
}

void pmc_events_release(struct pmc_events *s)
{
	for (int i = 0; i < s->nr; i++)
		pmc_event_release(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->nr = s->alloc = 0;
}

int pmc_for_each_pmu(pmc_pmu_fn fn, void *data)
{
	return error("listing PMUs is not supported on FreeBSD yet: pmccontrol -L lists the events");
}

int pmc_for_each_event(const char *pmu, pmc_event_fn fn, void *data)
{
	return error("listing events is not supported on FreeBSD yet: pmccontrol -L lists them");
}

/* --- counting ------------------------------------------------------------ */

struct pmc_counter {
	const struct pmc_events *s;
	int nrow, nev;
	pmc_id_t *id;		/* [row * nev + ev] */
	unsigned char *ok;	/* allocated and started */
	uint64_t t0;		/* ns, CLOCK_MONOTONIC, at the start */
	const char *unavailable;
};

static struct pmc_counter *counter_new(const struct pmc_events *s, int nrow)
{
	struct pmc_counter *c = xcalloc(1, sizeof(*c));
	size_t n = (size_t)nrow * (size_t)s->nr + 1;

	c->s = s;
	c->nrow = nrow;
	c->nev = s->nr;
	c->id = xcalloc(n, sizeof(*c->id));
	c->ok = xcalloc(n, 1);
	return c;
}

/* One event on one row; an event hwpmc refuses is not counted, and said once. */
static void open_one(struct pmc_counter *c, int row, int ev, enum pmc_mode mode, int cpu)
{
	size_t k = (size_t)row * (size_t)c->nev + (size_t)ev;

	if (c->s->v[ev].software)
		return;
	if (pmc_allocate(c->s->v[ev].pfm, mode, 0, cpu, &c->id[k], 0) ||
	    (mode == PMC_MODE_SC && pmc_start(c->id[k]))) {
		if (!c->unavailable)
			note("hwpmc cannot count '%s': %s", c->s->v[ev].name, strerror(errno));
		c->unavailable = "hwpmc refused an event (see the note)";
		return;
	}
	c->ok[k] = 1;
}

int pmc_counter_open_cpus(struct pmc_counter **out, const struct pmc_events *s,
			  const int *cpus, int ncpu)
{
	struct pmc_counter *c;

	if (pmc_setup())
		return -1;
	c = counter_new(s, ncpu);
	for (int r = 0; r < ncpu; r++)
		for (int e = 0; e < s->nr; e++)
			open_one(c, r, e, PMC_MODE_SC, cpus[r]);
	*out = c;
	return 0;
}

int pmc_counter_open_children(struct pmc_counter **out, const struct pmc_events *s)
{
	/*
	 * NEEDSWORK: PMC_MODE_TC counters are attached to a pid (pmc_attach)
	 * after the fork and before the exec; spawn() has no hook for it yet.
	 */
	return error("counting a command's events is not supported on FreeBSD yet; "
		     "count system-wide (perflab stat -a)");
}

void pmc_counter_free(struct pmc_counter *c)
{
	if (!c)
		return;
	for (size_t k = 0; k < (size_t)c->nrow * (size_t)c->nev; k++) {
		if (!c->ok[k])
			continue;
		pmc_stop(c->id[k]);
		pmc_release(c->id[k]);
	}
	free(c->id);
	free(c->ok);
	free(c);
}

const char *pmc_counter_unavailable(const struct pmc_counter *c)
{
	return c->unavailable;
}

/* hwpmc does not multiplex: an allocated counter runs all the time it is enabled. */
int pmc_counter_read(struct pmc_counter *c, struct pmc_reading *out)
{
	size_t n = (size_t)c->nrow * (size_t)c->nev;
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (!c->t0)
		c->t0 = now;
	if (out->nev != c->nev || out->nrow != c->nrow || !out->raw) {
		free(out->raw);
		out->raw = xcalloc(n ? n : 1, sizeof(*out->raw));
		out->nev = c->nev;
		out->nrow = c->nrow;
	}
	for (size_t k = 0; k < n; k++) {
		pmc_value_t v = 0;

		out->raw[k] = (struct pmc_raw){ 0, 0, 0, 0 };
		if (!c->ok[k] || pmc_read(c->id[k], &v))
			continue;
		out->raw[k] = (struct pmc_raw){ v, now - c->t0, now - c->t0, 1 };
	}
	return 0;
}

void pmc_reading_release(struct pmc_reading *r)
{
	free(r->raw);
	r->raw = NULL;
	r->nev = r->nrow = 0;
}
#endif /* __FreeBSD__ */
