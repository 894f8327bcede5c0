/*
 * The cpu collector: per-CPU time by state between samples, from
 * /proc/stat on Linux and kern.cp_times on FreeBSD.
 */
#include "collectors/collector.h"
#include "collectors/cpustat.h"
#include "collectors/topology.h"
#include "common/json.h"
#include "common/util.h"
#include "common/strbuf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __FreeBSD__
#include <sys/types.h>
#include <sys/sysctl.h>
#endif

struct cpu_priv {
	struct cpustat prev;
	int have_prev;
	struct topology *topo;	/* for roll-ups; NULL if hwloc cannot say */
};

static int read_now(struct cpustat *out)
{
#ifdef __FreeBSD__
	size_t len = 0;
	long *v;
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if (sysctlbyname("kern.cp_times", NULL, &len, NULL, 0))
		return error_errno("cannot read kern.cp_times");
	v = xmalloc(len);
	if (sysctlbyname("kern.cp_times", v, &len, NULL, 0)) {
		free(v);
		return error_errno("cannot read kern.cp_times");
	}
	for (size_t i = 0; i < len / sizeof(long); i++)
		strbuf_addf(&sb, "%ld ", v[i]);
	ret = cptimes_parse(out, sb.buf, "kern.cp_times");
	strbuf_release(&sb);
	free(v);
	return ret;
#else
	char *text = read_file("/proc/stat", 16 << 20, NULL);
	int ret;

	if (!text)
		return error_errno("cannot read '/proc/stat'");
	ret = procstat_parse(out, text, "/proc/stat");
	free(text);
	return ret;
#endif
}

static int cpu_open(void *priv, json_t *info)
{
	struct cpu_priv *p = priv;
	struct cpustat s;

	if (read_now(&s))
		return -1;
	json_set_int(info, "ncpu", s.ncpu);
	json_set_str(info, "source", "/proc/stat");
	cpustat_release(&s);
	if (topology_load(&p->topo))
		p->topo = NULL;
	if (p->topo) {
		json_set_int(info, "cores", p->topo->ncores);
		json_set_int(info, "packages", p->topo->npackages);
		json_set_int(info, "nodes", p->topo->nnodes);
	}
	return 0;
}

/* util_pct per core, package and NUMA node: the mean of their CPUs. */
static void add_rollups(struct cpu_priv *p, json_t *rec)
{
	static const enum topo_level levels[] = { TOPO_CORE, TOPO_PACKAGE, TOPO_NODE };
	static const char *const keys[] = { "cores_util_pct", "packages_util_pct", "nodes_util_pct" };
	const json_t *cpus = json_object_get(rec, "cpus"), *c;
	double *per = xmalloc((size_t)p->topo->ncpu * sizeof(*per)), *out;
	size_t i;

	for (int k = 0; k < p->topo->ncpu; k++)
		per[k] = NAN;
	json_array_foreach(cpus, i, c) {
		long id = (long)json_get_num(c, "cpu");

		if (id >= 0 && id < p->topo->ncpu)
			per[id] = json_get_num(c, "util_pct");
	}
	for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
		int n = topology_ngroups(p->topo, levels[l]);
		json_t *a = json_array();

		out = xmalloc((size_t)(n > 0 ? n : 1) * sizeof(*out));
		topology_rollup(p->topo, levels[l], TOPO_MEAN, per, out);
		for (int g = 0; g < n; g++)
			json_array_append_new(a, json_num(out[g]));
		json_set(rec, keys[l], a);
		free(out);
	}
	free(per);
}

static int cpu_sample(void *priv, json_t *rec, double dt, int prev_ok)
{
	struct cpu_priv *p = priv;
	struct cpustat now;
	json_t *d;
	const char *key;
	json_t *v;

	if (read_now(&now))
		return -1;
	if (prev_ok && p->have_prev) {
		d = cpustat_delta_json(&now, &p->prev, dt);
		json_object_foreach(d, key, v)
			json_object_set(rec, key, v);
		json_decref(d);
		if (p->topo)
			add_rollups(p, rec);
	}
	cpustat_release(&p->prev);
	p->prev = now;
	p->have_prev = 1;
	return 0;
}

static void cpu_close(void *priv)
{
	struct cpu_priv *p = priv;

	cpustat_release(&p->prev);
	topology_free(p->topo);
}

const struct collector_ops cpu_collector = {
	.name = "cpu",
	.summary = "per-CPU user/nice/system/irq/softirq/idle/iowait/steal",
	.priv_size = sizeof(struct cpu_priv),
	.open = cpu_open,
	.sample = cpu_sample,
	.close = cpu_close,
};
