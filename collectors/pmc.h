#ifndef COLLECTORS_PMC_H
#define COLLECTORS_PMC_H

#include <stdint.h>

struct json_t;

/*
 * Hardware performance counters in counting mode. Events are named as
 * users know them (libpfm4, perf and pmcstat spellings, see pmcname.h),
 * encoded by libpfm4 and counted with perf_event_open in groups. This
 * module owns both: callers see plain structs, never pfm_* or
 * perf_event types.
 *
 * Where the kernel has no PMU (most VMs) hardware events cannot be
 * opened: that is said once, and their counts are NaN (null in JSON),
 * while software events (task-clock, page-faults) still count.
 */

/* What an event stands for in derived metrics. */
enum pmc_role {
	PMC_ROLE_NONE,
	PMC_ROLE_CYCLES,		/* unhalted core cycles */
	PMC_ROLE_INSTRUCTIONS,		/* instructions retired */
	PMC_ROLE_STALL_CYCLES,		/* cycles allocation stalled (RESOURCE_STALLS.ANY) */
	PMC_ROLE_LLC_MISSES,
	PMC_ROLE_LLC_REFERENCES,
	PMC_ROLE_TASK_CLOCK,		/* CPU time, ns */
	PMC_ROLE_TD_NOT_DELIVERED,	/* IDQ_UOPS_NOT_DELIVERED.CORE: slots the front end left empty */
	PMC_ROLE_TD_ISSUED,		/* UOPS_ISSUED.ANY */
	PMC_ROLE_TD_RETIRED,		/* UOPS_RETIRED.RETIRE_SLOTS */
	PMC_ROLE_TD_RECOVERY,		/* INT_MISC.RECOVERY_CYCLES */
	PMC_NROLES
};
extern const char *const pmc_role_names[PMC_NROLES];	/* "cycles", "stall_cycles", ... */

/* Privilege levels an event leaves out (perf_event_attr.exclude_*). */
#define PMC_EXCL_USER	1
#define PMC_EXCL_KERNEL	2
#define PMC_EXCL_HV	4
#define PMC_EXCL_HOST	8
#define PMC_EXCL_GUEST	16

struct pmc_event {
	char *name;		/* as the user wrote it (owned) */
	char *pfm;		/* libpfm4's full name with every attribute (owned) */
	char *pmu;		/* libpfm4 PMU of the event: "snb", "perf" (owned) */
	uint32_t type;		/* perf_event_attr.type */
	uint64_t config, config1, config2;	/* perf_event_attr.config* */
	unsigned excl;		/* PMC_EXCL_* bits */
	int software;		/* a kernel software event: counts without a PMU */
	enum pmc_role role;
};

/* An ordered set of events to count together. */
struct pmc_events {
	struct pmc_event *v;
	int nr, alloc;
	int td_width;		/* issue slots per cycle for top-down level 1, 0 = none */
	const char *family;	/* default-set family: "intel-snb-skl", "generic" (static) */
};
#define PMC_EVENTS_INIT { NULL, 0, 0, 0, "generic" }

/*
 * Initialize libpfm4 once (later calls are free). Encoding works for
 * every PMU libpfm4 knows, present or not. 0 or -1.
 */
int pmc_setup(void);
/*
 * The PMU unprefixed events resolve against first: the host's core PMU
 * as libpfm4 detects it ("snb", "amd64_fam19h_zen3"), or "perf" (the
 * kernel's generic events) when libpfm4 knows none. Static storage.
 */
const char *pmc_default_pmu(void);

/*
 * Encode one event spec for pmu (NULL: the host's PMUs). Tries libpfm4's
 * spelling, then pmcstat's (the dotted form, then the alias table).
 * Returns 0, or -1 with an error naming the event and the PMU.
 */
int pmc_encode(struct pmc_event *out, const char *spec, const char *pmu);
void pmc_event_release(struct pmc_event *e);

/* Add one event (encoded for the host's PMUs); its role is found by encoding. */
int pmc_events_add(struct pmc_events *s, const char *spec);
/* Add every event of a comma-separated list (pmcname_split). */
int pmc_events_parse(struct pmc_events *s, const char *list);
/*
 * The default set of the host's PMU family (pmc_family), then the
 * software events task-clock, context-switches, cpu-migrations and
 * page-faults. Events a PMU lacks are left out. 0 or -1.
 */
int pmc_events_default(struct pmc_events *s);
void pmc_events_release(struct pmc_events *s);
/* The index of the first event with a role, or -1. */
int pmc_events_role(const struct pmc_events *s, enum pmc_role role);

/*
 * The family of a libpfm4 PMU, which decides the default events and
 * the top-down formula: "intel-snb-skl", "intel", "amd-zen", "generic".
 * *td_width gets the issue width for top-down (0: none). Static storage.
 */
const char *pmc_family(const char *pmu, int *td_width);

/* PMUs and events libpfm4 knows, for `perflab events`. */
struct pmc_pmu_desc {
	const char *name, *desc;
	int present;		/* libpfm4 detected it on this host */
	int is_core;		/* a core PMU (not uncore, not OS generic) */
	int nevents;
	int ncounters, nfixed;	/* generic and fixed counters */
};
struct pmc_umask_desc {
	const char *name, *desc;
	uint64_t code;
	int is_default;
};
struct pmc_event_desc {
	const char *pmu, *name, *desc;
	const char *equiv;	/* the event it is another name for, or NULL */
	uint64_t code;
	int numasks;
	const struct pmc_umask_desc *umasks;
};
typedef int (*pmc_pmu_fn)(const struct pmc_pmu_desc *d, void *data);
typedef int (*pmc_event_fn)(const struct pmc_event_desc *d, void *data);
/* Call fn for each PMU (a non-zero return stops the walk with it). */
int pmc_for_each_pmu(pmc_pmu_fn fn, void *data);
/* Call fn for each event of a PMU; PERFLAB_ENOTFOUND (reported) if unknown. */
int pmc_for_each_event(const char *pmu, pmc_event_fn fn, void *data);

/*
 * Counting. A counter holds the open perf_event groups of a set of
 * events, either system-wide on a list of CPUs (one row per CPU), or in
 * the children this process starts next (one row), from their exec on
 * and inherited by their own children. Software events form one group;
 * hardware events groups of at most as many as the PMU has counters, so
 * ratios within a group come from the same cycles. Groups the kernel
 * multiplexes are scaled by time enabled / time running.
 */
struct pmc_counter;

int pmc_counter_open_cpus(struct pmc_counter **out, const struct pmc_events *s,
			  const int *cpus, int ncpu);
/*
 * Count in the children of this process: open this, then spawn the
 * command (fork + exec). Other processes this process starts meanwhile
 * are counted too.
 */
int pmc_counter_open_children(struct pmc_counter **out, const struct pmc_events *s);
void pmc_counter_free(struct pmc_counter *c);
/* Why hardware events count nothing here, or NULL when they do. */
const char *pmc_counter_unavailable(const struct pmc_counter *c);

/* A cumulative reading of one event on one row. */
struct pmc_raw {
	uint64_t value;		/* events since open, unscaled */
	uint64_t enabled;	/* ns the group was enabled */
	uint64_t running;	/* ns it was on the PMU */
	int ok;			/* 0: not counted here (could not be opened) */
};
struct pmc_reading {
	int nev, nrow;
	struct pmc_raw *raw;	/* [row * nev + ev] */
};
/* Read every group; out is (re)allocated to fit. 0 or -1. */
int pmc_counter_read(struct pmc_counter *c, struct pmc_reading *out);
void pmc_reading_release(struct pmc_reading *r);

/*
 * One interval between two readings, scaled: count = Δvalue ×
 * Δenabled / Δrunning. NaN where the event was not counted, or was
 * enabled but never got on the PMU in the interval (multiplexed out);
 * a task that did not run at all counted 0. scale is Δenabled /
 * Δrunning (1 when the event counted all the time); running is
 * Δrunning, NaN where the event could not be opened (perf's `<not
 * supported>`), 0 where it never ran (perf's `<not counted>`).
 */
struct pmc_interval {
	int nev, nrow;
	double dt;		/* seconds */
	double *count;		/* [row * nev + ev] */
	double *scale;		/* [row * nev + ev] */
	double *running;	/* [row * nev + ev] ns on the PMU; NaN: not opened (may be NULL) */
};
/* prev may be NULL: since the counters were opened. 0 or -1 on a mismatch. */
int pmc_interval_compute(struct pmc_interval *out, const struct pmc_reading *now,
			 const struct pmc_reading *prev, double dt);
void pmc_interval_release(struct pmc_interval *iv);
/*
 * Sum the rows into count[nev] and average their scale into scale[nev]
 * (NaN rows left out; all NaN gives NaN).
 */
void pmc_interval_total(const struct pmc_interval *iv, double *count, double *scale);

/* Metrics derived from one group of counts (a CPU, a core, all CPUs). */
struct pmc_derived {
	double ipc;		/* instructions per cycle */
	double stall_frac;	/* stall cycles / cycles */
	double llc_miss_ratio;	/* LLC misses / LLC references */
	double cycles_per_s;	/* cycles per second of the interval */
	double cpus_utilized;	/* task-clock / elapsed time */
	double frontend_bound;	/* top-down level 1: shares of issue slots, 0..1 */
	double bad_speculation;
	double retiring;
	double backend_bound;
};
#define PMC_NDERIVED 9
extern const char *const pmc_derived_names[PMC_NDERIVED];	/* JSON keys, in struct order */
/* Derive metrics from count[nev] of the set over dt seconds; NaN where unmeasurable. */
void pmc_derive(struct pmc_derived *out, const struct pmc_events *s, const double *count,
		double dt);
/* The count of the event with a role, or NaN. */
double pmc_role_count(const struct pmc_events *s, const double *count, enum pmc_role role);

/*
 * JSON for a group of counts: {"counts": {event: n}, "scale": {event:
 * x}, "derived": {...}}, null where unmeasured. A new reference.
 */
struct json_t *pmc_counts_json(const struct pmc_events *s, const double *count,
			       const double *scale, double dt);
/* {"cycles": n, "instructions": n, ...} for each role the set has. */
struct json_t *pmc_roles_json(const struct pmc_events *s, const double *count);
/* Describe the set: [{"name", "pfm", "pmu", "type", "config", "software", "role"}]. */
struct json_t *pmc_events_json(const struct pmc_events *s);

#endif
