#ifndef COLLECTORS_TOPOLOGY_H
#define COLLECTORS_TOPOLOGY_H

/*
 * The CPU topology of a host: which core, package and NUMA node each
 * logical CPU belongs to, so per-CPU figures can be rolled up. The
 * topology module owns every hwloc handle; what it hands out is this
 * plain struct.
 *
 * Ids are dense, in hwloc's logical order: core ids run 0..ncores-1
 * over the whole machine (two packages' "core 0" are different cores),
 * and likewise for packages and nodes.
 */
enum topo_level {
	TOPO_CPU,	/* each logical CPU (hardware thread) alone */
	TOPO_CORE,
	TOPO_PACKAGE,
	TOPO_NODE,	/* NUMA node */
	TOPO_NLEVELS
};
extern const char *const topo_level_names[TOPO_NLEVELS];	/* "cpu", "core", ... */

enum topo_agg {
	TOPO_SUM,	/* counts: cycles, bytes */
	TOPO_MEAN	/* rates and shares: MHz, percent */
};

struct topo_cpu {
	int present;	/* 1 if the OS CPU number exists (online) */
	int core;	/* dense core id, -1 when absent */
	int package;	/* dense package id, -1 when absent */
	int node;	/* dense NUMA node id, -1 when absent */
};

struct topology {
	int ncpu;		/* entries in cpu[]: the highest OS CPU number + 1 */
	int npresent;		/* CPUs present */
	int ncores, npackages, nnodes;
	struct topo_cpu *cpu;	/* by OS CPU number */
};

/*
 * Load this host's topology. hwloc honours HWLOC_XMLFILE, so a recorded
 * topology can stand in for the real one. Returns 0 or -1 (reported).
 */
int topology_load(struct topology **out);
/* Load a topology recorded by `lstopo --of xml` (or hwloc's synthetic). */
int topology_load_xml(struct topology **out, const char *path);
/* Free a topology; NULL is fine. */
void topology_free(struct topology *t);

/* How many groups a level has (CPUs: ncpu, the array length). */
int topology_ngroups(const struct topology *t, enum topo_level level);
/* The group of an OS CPU number at a level, or -1 when it is absent. */
int topology_group_of(const struct topology *t, enum topo_level level, int cpu);
/*
 * Roll per-CPU figures up to a level. per_cpu has t->ncpu entries (by
 * OS CPU number), out has topology_ngroups(t, level). A NaN figure is
 * one that was not measured (a CPU left out by -C, a counter that did
 * not run) and is left out; a group with no measured CPU is NaN, never 0.
 */
void topology_rollup(const struct topology *t, enum topo_level level, enum topo_agg agg,
		     const double *per_cpu, double *out);

/*
 * Parse a CPU list as Linux prints them and as `taskset -c` takes them:
 * "0-3,8,10-11". Returns the count and a sorted array without
 * duplicates in *out (the caller frees it), or -1 with an error naming
 * origin. Numbers must be below 1 << 20.
 */
int cpulist_parse(const char *s, int **out, const char *origin);

/* Parse a level name: "cpu", "core", "package", "node". -1 if unknown. */
int topo_level_parse(const char *name);

#endif
