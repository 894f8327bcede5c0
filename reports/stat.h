#ifndef REPORTS_STAT_H
#define REPORTS_STAT_H

#include "collectors/topology.h"

struct json_t;
struct strbuf;
struct pmc_events;
struct pmc_interval;

/*
 * The tables of `perflab stat`: counters and derived metrics for one
 * interval, for all CPUs together, per CPU, or rolled up per core,
 * package or NUMA node. Figures that were not measured print as `-`
 * (null in JSON), never as 0.
 */
struct stat_view {
	const struct pmc_events *ev;
	const struct topology *topo;	/* for roll-ups; may be NULL when split is 0 */
	enum topo_level level;		/* the rows when split: TOPO_CPU, TOPO_CORE, ... */
	int split;			/* 0: one row for all CPUs */
	const int *cpus;		/* OS CPU of each interval row; NULL: one row (a command) */
};

/* A group of CPUs rolled together: one block of the table. */
struct stat_group {
	char label[32];		/* "all", "cpu3", "core1", "package0", "node1" */
	int *cpus, ncpu;	/* the counted CPUs in it (none for a command's count) */
	double *count;		/* [nev], summed over the CPUs */
	double *scale;		/* [nev], mean multiplexing scale (enabled / running) */
};

/*
 * Roll an interval's rows up into the groups the view asks for, in
 * group order, leaving out groups with no counted CPU. Returns the
 * count; free with stat_groups_free.
 */
int stat_groups(const struct stat_view *v, const struct pmc_interval *iv,
		struct stat_group **out);
void stat_groups_free(struct stat_group *g, int n);

/* The header line of the periodic table. */
void stat_format_header(struct strbuf *out, const struct stat_view *v);
/*
 * The rows of one interval: each group's counters, then the derived
 * metrics the event set allows. t is the time since the start in
 * seconds for a periodic table, or NaN for a final count (no time
 * column).
 */
void stat_format(struct strbuf *out, const struct stat_view *v, const struct pmc_interval *iv,
		 double t);
/*
 * One interval as a JSON object: {"type": type, "t_s", "dt_s",
 * "groups": [{"group", "cpus", "counts", "scale", "derived"}]}.
 */
struct json_t *stat_json(const struct stat_view *v, const struct pmc_interval *iv,
			 const char *type, double t);

/* A count for humans: "1,234,567", or "-" for NaN. */
const char *stat_fmt_count(double v, char *buf, int len);

#endif
