/*
 * The cpu collector: per-CPU time by state between samples, from
 * /proc/stat on Linux and kern.cp_times on FreeBSD.
 */
#include "collectors/collector.h"
#include "collectors/cpustat.h"
#include "common/json.h"
#include "common/util.h"
#include "common/strbuf.h"

#include <stdlib.h>
#include <string.h>
#ifdef __FreeBSD__
#include <sys/types.h>
#include <sys/sysctl.h>
#endif

struct cpu_priv {
	struct cpustat prev;
	int have_prev;
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
	struct cpustat s;

	if (read_now(&s))
		return -1;
	json_set_int(info, "ncpu", s.ncpu);
	json_set_str(info, "source", "/proc/stat");
	cpustat_release(&s);
	return 0;
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
}

const struct collector_ops cpu_collector = {
	.name = "cpu",
	.summary = "per-CPU user/nice/system/irq/softirq/idle/iowait/steal",
	.priv_size = sizeof(struct cpu_priv),
	.open = cpu_open,
	.sample = cpu_sample,
	.close = cpu_close,
};
