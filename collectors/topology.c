/*
 * The CPU topology from hwloc: packages, cores, PUs and NUMA nodes,
 * flattened into a per-CPU table. This file owns every hwloc handle.
 */
#include "collectors/topology.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <hwloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CPULIST_MAX (1 << 20)	/* highest CPU number + 1 we accept */

const char *const topo_level_names[TOPO_NLEVELS] = { "cpu", "core", "package", "node" };

static int logical_ancestor(hwloc_topology_t topo, hwloc_obj_t pu, hwloc_obj_type_t type)
{
	hwloc_obj_t o = hwloc_get_ancestor_obj_by_type(topo, type, pu);

	return o ? (int)o->logical_index : -1;
}

/* In hwloc 2 NUMA nodes hang beside the CPUs, not above them. */
static int node_of(hwloc_topology_t topo, unsigned os_cpu)
{
	int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);

	for (int i = 0; i < n; i++) {
		hwloc_obj_t node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)i);

		if (node->cpuset && hwloc_bitmap_isset(node->cpuset, os_cpu))
			return (int)node->logical_index;
	}
	return -1;
}

static int count_of(hwloc_topology_t topo, hwloc_obj_type_t type)
{
	int n = hwloc_get_nbobjs_by_type(topo, type);

	return n > 0 ? n : 0;
}

/* The highest OS CPU number + 1, or -1 (reported) if one is absurd. */
static int cpu_span(hwloc_topology_t topo, int npu)
{
	int n = 0;

	for (int i = 0; i < npu; i++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)i);

		if (pu->os_index >= CPULIST_MAX)
			return error("CPU number %u is out of range", pu->os_index);
		if ((int)pu->os_index >= n)
			n = (int)pu->os_index + 1;
	}
	return n;
}

/*
 * Fill t from a loaded hwloc topology. A machine without a level (no
 * Core objects on some platforms, no NUMA node) gets one group per CPU
 * for cores and a single group for packages and nodes.
 */
static int flatten(struct topology *t, hwloc_topology_t topo)
{
	int npu = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);

	if (npu <= 0)
		return error("the topology has no processing units");
	t->ncpu = cpu_span(topo, npu);
	if (t->ncpu < 0)
		return -1;
	t->cpu = xcalloc((size_t)t->ncpu, sizeof(*t->cpu));
	for (int c = 0; c < t->ncpu; c++)
		t->cpu[c] = (struct topo_cpu){ 0, -1, -1, -1 };
	t->ncores = count_of(topo, HWLOC_OBJ_CORE);
	t->npackages = count_of(topo, HWLOC_OBJ_PACKAGE);
	t->nnodes = count_of(topo, HWLOC_OBJ_NUMANODE);
	for (int i = 0; i < npu; i++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)i);
		struct topo_cpu *c = &t->cpu[pu->os_index];

		c->present = 1;
		c->core = t->ncores ? logical_ancestor(topo, pu, HWLOC_OBJ_CORE) : i;
		c->package = t->npackages ? logical_ancestor(topo, pu, HWLOC_OBJ_PACKAGE) : 0;
		c->node = t->nnodes ? node_of(topo, pu->os_index) : 0;
		t->npresent++;
	}
	t->ncores = t->ncores ? t->ncores : npu;
	t->npackages += !t->npackages;
	t->nnodes += !t->nnodes;
	return 0;
}

static int load(struct topology **out, const char *xml)
{
	hwloc_topology_t topo;
	struct topology *t;
	int ret = -1;

	*out = NULL;
	if (hwloc_topology_init(&topo))
		return error_errno("cannot initialize hwloc");
	/* Only CPUs and memory matter here: skip caches and I/O, which are slow to discover. */
	hwloc_topology_set_cache_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE);
	hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE);
	if (xml && hwloc_topology_set_xml(topo, xml)) {
		error_errno("cannot use topology file '%s'", xml);
	} else if (hwloc_topology_load(topo)) {
		error_errno("cannot load the CPU topology%s%s%s", xml ? " from '" : "",
			    xml ? xml : "", xml ? "'" : "");
	} else {
		t = xcalloc(1, sizeof(*t));
		ret = flatten(t, topo);
		if (ret)
			topology_free(t);
		else
			*out = t;
	}
	hwloc_topology_destroy(topo);
	return ret;
}

int topology_load(struct topology **out)
{
	return load(out, NULL);
}

int topology_load_xml(struct topology **out, const char *path)
{
	return load(out, path);
}

void topology_free(struct topology *t)
{
	if (!t)
		return;
	free(t->cpu);
	free(t);
}

int topology_ngroups(const struct topology *t, enum topo_level level)
{
	switch (level) {
	case TOPO_CORE:
		return t->ncores;
	case TOPO_PACKAGE:
		return t->npackages;
	case TOPO_NODE:
		return t->nnodes;
	default:
		return t->ncpu;
	}
}

int topology_group_of(const struct topology *t, enum topo_level level, int cpu)
{
	const struct topo_cpu *c;

	if (cpu < 0 || cpu >= t->ncpu || !t->cpu[cpu].present)
		return -1;
	c = &t->cpu[cpu];
	switch (level) {
	case TOPO_CORE:
		return c->core;
	case TOPO_PACKAGE:
		return c->package;
	case TOPO_NODE:
		return c->node;
	default:
		return cpu;
	}
}

void topology_rollup(const struct topology *t, enum topo_level level, enum topo_agg agg,
		     const double *per_cpu, double *out)
{
	int n = topology_ngroups(t, level);
	int *members = xcalloc((size_t)n, sizeof(*members));

	for (int g = 0; g < n; g++)
		out[g] = 0;
	for (int c = 0; c < t->ncpu; c++) {
		int g = topology_group_of(t, level, c);

		if (g < 0 || g >= n || isnan(per_cpu[c]))
			continue;
		out[g] += per_cpu[c];
		members[g]++;
	}
	for (int g = 0; g < n; g++) {
		if (!members[g])
			out[g] = NAN;
		else if (agg == TOPO_MEAN)
			out[g] /= members[g];
	}
	free(members);
}

int topo_level_parse(const char *name)
{
	for (int i = 0; i < TOPO_NLEVELS; i++)
		if (!strcmp(name, topo_level_names[i]))
			return i;
	return -1;
}

/* One number of a CPU list; advances *p. */
static int cpulist_number(const char **p, long *out)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	*out = strtol(*p, &end, 10);
	if (errno || *out >= CPULIST_MAX)
		return -1;
	*p = end;
	return 0;
}

static int cpulist_bad(unsigned char *seen, const char *s, const char *origin)
{
	free(seen);
	return error("invalid CPU list '%.64s' in %s: numbers and ranges like 0-3,8",
		     s, origin);
}

/* One element, "N" or "LO-HI", and the comma after it; advances *p. */
static int cpulist_range(const char **p, long *lo, long *hi)
{
	if (cpulist_number(p, lo))
		return -1;
	*hi = *lo;
	if (**p == '-' && ((*p)++, cpulist_number(p, hi) || *hi < *lo))
		return -1;
	if (**p == ',' && (*p)[1])
		(*p)++;
	else if (**p)
		return -1;
	return 0;
}

int cpulist_parse(const char *s, int **out, const char *origin)
{
	unsigned char *seen = NULL;
	int *set = NULL, n = 0, max = -1;
	size_t alloc = 0;
	const char *p = s;

	*out = NULL;
	while (*p) {
		long lo, hi;

		if (cpulist_range(&p, &lo, &hi))
			return cpulist_bad(seen, s, origin);
		if (!seen)
			seen = xcalloc(CPULIST_MAX, 1);
		memset(seen + lo, 1, (size_t)(hi - lo + 1));
		max = hi > max ? (int)hi : max;
	}
	if (!seen)
		return error("empty CPU list in %s", origin);
	for (int c = 0; c <= max; c++) {
		if (!seen[c])
			continue;
		ALLOC_GROW(set, (size_t)n + 1, alloc);
		set[n++] = c;
	}
	free(seen);
	*out = set;
	return n;
}
