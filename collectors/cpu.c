/*
 * The cpu collector: per-CPU time by state between samples, from
 * /proc/stat on Linux and kern.cp_times on FreeBSD. On a host of a
 * namespace lab (collector_set_cgroup) the figures are the host's: the
 * CPU time of its cgroup over the CPUs it may use, scope "cgroup", with
 * the whole machine's record beside them under "machine".
 */
#include "collectors/collector.h"
#include "collectors/cpustat.h"
#include "collectors/topology.h"
#include "common/cgroup.h"
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
	/* scope "cgroup": the host's group, the CPUs it may use */
	const char *cgroup;	/* NULL: the machine */
	struct cgroup_fs fs;
	struct cgroup_cpu cg_prev;
	int ncpus;		/* CPUs of the group */
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

/* The host's cgroup: its CPUs, and the baseline of its CPU time. */
static int open_cgroup(struct cpu_priv *p, json_t *info)
{
	char *list = NULL;

	if (cgroup_fs_probe(&p->fs))
		return error("the cpu collector cannot read cgroup '%s'", p->cgroup);
	p->ncpus = cgroup_cpus(&p->fs, p->cgroup, &list);
	if (p->ncpus <= 0 || cgroup_cpu_read(&p->fs, p->cgroup, &p->cg_prev)) {
		free(list);
		cgroup_fs_release(&p->fs);
		return error("the cpu collector cannot read cgroup '%s'", p->cgroup);
	}
	json_set_str(info, "scope", "cgroup");
	json_set_str(info, "cgroup", p->cgroup);
	json_set_str(info, "cgroup_version", cgroup_version_name(p->fs.version));
	json_set_str(info, "cgroup_cpus", list);
	json_set_int(info, "cgroup_ncpu", p->ncpus);
	free(list);
	return 0;
}

static int cpu_open(void *priv, json_t *info)
{
	struct cpu_priv *p = priv;
	struct cpustat s;

	p->cgroup = collector_cgroup();
	if (p->cgroup && open_cgroup(p, info))
		return -1;
	if (!p->cgroup)
		json_set_str(info, "scope", "machine");
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
		long id;

		if (!json_get_long(c, "cpu", 0, p->topo->ncpu - 1, &id))
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

/*
 * The group's interval: util_pct of its CPUs, busy_cpus, user and
 * system (the states a cgroup accounts); interrupts and the other
 * states belong to the machine, whose record d goes under "machine".
 */
static void cgroup_record(struct cpu_priv *p, json_t *rec, json_t *d,
			  const struct cgroup_cpu *now, double dt)
{
	double span = dt * 1e9 * p->ncpus;
	json_t *all = json_object();

	json_set_str(rec, "scope", "cgroup");
	json_set_num(rec, "util_pct", span > 0 && now->usage_ns >= p->cg_prev.usage_ns ?
		     100.0 * (double)(now->usage_ns - p->cg_prev.usage_ns) / span : NAN);
	json_set_num(rec, "busy_cpus", dt > 0 && now->usage_ns >= p->cg_prev.usage_ns ?
		     (double)(now->usage_ns - p->cg_prev.usage_ns) / (dt * 1e9) : NAN);
	json_set_int(rec, "ncpu", p->ncpus);
	json_set_num(all, "user", span > 0 && now->user_ns >= p->cg_prev.user_ns ?
		     100.0 * (double)(now->user_ns - p->cg_prev.user_ns) / span : NAN);
	json_set_num(all, "system", span > 0 && now->system_ns >= p->cg_prev.system_ns ?
		     100.0 * (double)(now->system_ns - p->cg_prev.system_ns) / span : NAN);
	json_set(rec, "all", all);
	json_set(rec, "machine", json_incref(d));
}

static int cpu_sample(void *priv, json_t *rec, double dt, int prev_ok)
{
	struct cpu_priv *p = priv;
	struct cgroup_cpu cg = { 0 };
	struct cpustat now;
	json_t *d;
	const char *key;
	json_t *v;

	if (read_now(&now))
		return -1;
	if (p->cgroup && cgroup_cpu_read(&p->fs, p->cgroup, &cg)) {
		cpustat_release(&now);
		return -1;
	}
	if (prev_ok && p->have_prev) {
		d = cpustat_delta_json(&now, &p->prev, dt);
		if (p->cgroup) {
			if (p->topo)
				add_rollups(p, d);
			cgroup_record(p, rec, d, &cg, dt);
		} else {
			json_object_foreach(d, key, v)
				json_object_set(rec, key, v);
			if (p->topo)
				add_rollups(p, rec);
		}
		json_decref(d);
	}
	p->cg_prev = cg;
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
	if (p->cgroup)
		cgroup_fs_release(&p->fs);
}

const struct collector_ops cpu_collector = {
	.name = "cpu",
	.summary = "per-CPU user/nice/system/irq/softirq/idle/iowait/steal",
	.priv_size = sizeof(struct cpu_priv),
	.open = cpu_open,
	.sample = cpu_sample,
	.close = cpu_close,
};
