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
 * package (socket) or NUMA node, in one of three layouts:
 *
 *   perf   perf stat's: a line per event, its derived metric after '#'
 *          ("insn per cycle", "CPUs utilized"), `<not supported>` for an
 *          event the host cannot count, `<not counted>` for one that
 *          never ran in the interval; never a 0 for either
 *   csv    perf stat -x SEP's fields, in its order: [time,] [aggregate,
 *          [cpus,]] value, unit, event, run time (ns), percent running,
 *          metric value, metric unit; a line with only the last two is a
 *          metric of the group (top-down)
 *   wide   pmcstat -w's: a row per group and interval, a column per event
 *          and per derived metric, `-` where nothing was measured
 */
enum stat_layout {
	STAT_LAYOUT_PERF,
	STAT_LAYOUT_CSV,
	STAT_LAYOUT_WIDE
};

struct stat_view {
	const struct pmc_events *ev;
	const struct topology *topo;	/* for roll-ups; may be NULL when split is 0 */
	enum topo_level level;		/* the rows when split: TOPO_CPU, TOPO_CORE, ... */
	int split;			/* 0: one row for all CPUs */
	const int *cpus;		/* OS CPU of each interval row; NULL: one row (a command) */
	enum stat_layout layout;
	const char *sep;		/* csv: the field separator (default ",") */
};

/* A group of CPUs rolled together: one block of the table. */
struct stat_group {
	char label[32];		/* "all", "cpu3", "core1", "package0", "node1" */
	int *cpus, ncpu;	/* the counted CPUs in it (none for a command's count) */
	double *count;		/* [nev], summed over the CPUs */
	double *scale;		/* [nev], mean multiplexing scale (enabled / running) */
	double *running;	/* [nev], ns on the PMU, summed; NaN: could not be opened */
};

/*
 * Roll an interval's rows up into the groups the view asks for, in
 * group order, leaving out groups with no counted CPU. Returns the
 * count; free with stat_groups_free.
 */
int stat_groups(const struct stat_view *v, const struct pmc_interval *iv,
		struct stat_group **out);
void stat_groups_free(struct stat_group *g, int n);

/* The header line of a periodic table in the view's layout ("" for csv). */
void stat_format_header(struct strbuf *out, const struct stat_view *v);
/*
 * The rows of one interval in the view's layout. t is the time since
 * the start in seconds for a periodic table, or NaN for a final count
 * (no time column).
 */
void stat_format(struct strbuf *out, const struct stat_view *v, const struct pmc_interval *iv,
		 double t);
/*
 * One interval as a JSON object: {"type": type, "t_s", "dt_s",
 * "groups": [{"group", "cpus", "counts", "scale", "derived"}]}. Counts
 * are integers, null where not measured.
 */
struct json_t *stat_json(const struct stat_view *v, const struct pmc_interval *iv,
			 const char *type, double t);

/* A count for humans: "1,234,567", or "-" for NaN. */
const char *stat_fmt_count(double v, char *buf, int len);

#endif
