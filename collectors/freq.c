/*
 * The freq collector: what clock the CPUs actually ran at, and which
 * driver decided it. A changed frequency driver once made a whole
 * merge look like a CPU regression; this is where that shows.
 *
 * Sources, best first: APERF/MPERF/TSC from /dev/cpu/N/msr or from
 * perf's msr PMU (effective MHz as turbostat defines it), else cpufreq's
 * scaling_cur_freq (a snapshot, not an average). With none of them the
 * figures are null and the info record says why.
 */
#include "collectors/collector.h"
#include "collectors/freq.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __FreeBSD__
#include <sys/types.h>
#include <sys/sysctl.h>
#endif
#ifdef __linux__
#include <linux/perf_event.h>
#include <sys/syscall.h>
#endif

#define MSR_TSC 0x10
#define MSR_MPERF 0xe7
#define MSR_APERF 0xe8
#define SYS_CPU "/sys/devices/system/cpu"

enum { C_APERF, C_MPERF, C_TSC, C_N };

struct freq_priv {
	int source;		/* enum freq_source */
	int ncpu;
	int (*fd)[C_N];		/* msr: fd[cpu][0]; perf: one per counter */
	uint64_t (*prev)[C_N];
	int *ok;		/* the previous read of this CPU worked */
};

const char *const freq_source_names[] = { NULL, "msr", "perf-msr", "cpufreq", "sysctl" };

int freq_levels_parse(const char *text, double **mhz_out)
{
	double *v = NULL;
	size_t n = 0, alloc = 0;
	const char *p = text;

	while (*p) {
		char *end;
		long mhz, mw;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		mhz = strtol(p, &end, 10);
		if (end == p || *end != '/' || mhz <= 0)
			goto bad;
		p = end + 1;
		mw = strtol(p, &end, 10);
		if (end == p || (mw < 0 && mw != -1) || (*end && !isspace((unsigned char)*end)))
			goto bad;
		p = end;
		ALLOC_GROW(v, n + 1, alloc);
		v[n++] = (double)mhz;
	}
	*mhz_out = v;
	return (int)n;
bad:
	free(v);
	return error("malformed freq_levels near '%.20s' (expected MHz/mW pairs)", p);
}

/* First line of a sysfs file, or NULL; the caller frees it. */
static char *sysfs_line(const char *path)
{
	char *s = read_file(path, 65536, NULL);

	if (s)
		s[strcspn(s, "\n")] = '\0';
	return s;
}

/* A CPU's attribute: cpu_attr(0, "cpufreq/scaling_driver"). */
static char *cpu_attr(int cpu, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), SYS_CPU "/cpu%d/%s", cpu, name);
	return sysfs_line(path);
}

static double cpu_khz_as_mhz(int cpu, const char *name)
{
	char *s = cpu_attr(cpu, name), *end;
	double v;

	if (!s)
		return NAN;
	v = strtod(s, &end);
	free(s);
	return end == s || v <= 0 ? NAN : v / 1000;
}

static int count_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	return n > 0 ? (int)n : 1;
}

static int msr_open(struct freq_priv *p, struct strbuf *why)
{
	for (int c = 0; c < p->ncpu; c++) {
		char path[64];
		uint64_t v;

		snprintf(path, sizeof(path), "/dev/cpu/%d/msr", c);
		p->fd[c][0] = open(path, O_RDONLY | O_CLOEXEC);
		if (p->fd[c][0] < 0 || pread(p->fd[c][0], &v, 8, MSR_APERF) != 8) {
			strbuf_addf(why, "no readable '%s' (modprobe msr, root)", path);
			return -1;
		}
	}
	return 0;
}

#ifdef __linux__
/* perf's msr PMU: its type and the config of a named event, or -1. */
static int msr_pmu_event(const char *name, long *type, long *config)
{
	char *t = sysfs_line("/sys/bus/event_source/devices/msr/type"), *e;
	char path[128];
	int ret = -1;

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/msr/events/%s", name);
	e = read_file(path, 4096, NULL);
	if (t && e && !strncmp(e, "event=", 6)) {
		*type = strtol(t, NULL, 10);
		*config = strtol(e + 6, NULL, 0);
		ret = 0;
	}
	free(t);
	free(e);
	return ret;
}

static int perf_open_counter(long type, long config, int cpu)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = (uint32_t)type;
	attr.config = (uint64_t)config;
	return (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static int perf_open(struct freq_priv *p, struct strbuf *why)
{
	static const char *names[C_N] = { "aperf", "mperf", "tsc" };
	long type, config[C_N];

	for (int k = 0; k < C_N; k++) {
		if (msr_pmu_event(names[k], &type, &config[k])) {
			strbuf_addf(why, "; perf's msr PMU has no '%s' event", names[k]);
			return -1;
		}
	}
	for (int c = 0; c < p->ncpu; c++) {
		for (int k = 0; k < C_N; k++) {
			p->fd[c][k] = perf_open_counter(type, config[k], c);
			if (p->fd[c][k] < 0 && errno != ENODEV && errno != ENOENT) {
				strbuf_addf(why, "; perf msr counters: %s", strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}
#else
static int perf_open(struct freq_priv *p, struct strbuf *why)
{
	strbuf_addstr(why, "; no perf msr PMU on this OS");
	return -1;
}
#endif

static void close_fds(struct freq_priv *p)
{
	for (int c = 0; c < p->ncpu; c++)
		for (int k = 0; k < C_N; k++)
			if (p->fd[c][k] >= 0) {
				close(p->fd[c][k]);
				p->fd[c][k] = -1;
			}
}

static void driver_info(json_t *info)
{
	char *s;
	double lo = cpu_khz_as_mhz(0, "cpufreq/cpuinfo_min_freq");
	double hi = cpu_khz_as_mhz(0, "cpufreq/cpuinfo_max_freq");
	json_t *levels = json_array();

	s = cpu_attr(0, "cpufreq/scaling_driver");
	json_set_str(info, "driver", s);
	free(s);
	s = cpu_attr(0, "cpufreq/scaling_governor");
	json_set_str(info, "governor", s);
	free(s);
	s = sysfs_line(SYS_CPU "/intel_pstate/status");
	json_set_str(info, "intel_pstate", s);
	free(s);
	s = sysfs_line(SYS_CPU "/cpuidle/current_driver");
	json_set_str(info, "cpuidle_driver", s);
	free(s);
	json_set_num(info, "min_mhz", lo);
	json_set_num(info, "max_mhz", hi);
	s = cpu_attr(0, "cpufreq/scaling_available_frequencies");
	for (char *p = s, *end; p && *p; p = end) {
		double khz = strtod(p, &end);

		if (end == p)
			break;
		json_array_append_new(levels, json_real(khz / 1000));
	}
	free(s);
	json_set(info, "levels_mhz", levels);
}

#ifdef __FreeBSD__
/* dev.cpu.N.freq (MHz) and friends; -1 when the sysctl is not there. */
static long sysctl_long(const char *name)
{
	int v;
	size_t len = sizeof(v);

	return sysctlbyname(name, &v, &len, NULL, 0) ? -1 : v;
}

static char *sysctl_str(const char *name)
{
	size_t len = 0;
	char *s;

	if (sysctlbyname(name, NULL, &len, NULL, 0) || !len)
		return NULL;
	s = xmalloc(len + 1);
	if (sysctlbyname(name, s, &len, NULL, 0)) {
		free(s);
		return NULL;
	}
	s[len] = '\0';
	return s;
}

/* FreeBSD: dev.cpu.N.freq is cpufreq(4)'s current setting, in MHz. */
static double cpu_sysctl_mhz(int cpu)
{
	char name[64];
	long v;

	snprintf(name, sizeof(name), "dev.cpu.%d.freq", cpu);
	v = sysctl_long(name);
	return v > 0 ? (double)v : NAN;
}

static void freebsd_info(json_t *info)
{
	char *drv = sysctl_str("dev.cpufreq.0.freq_driver");
	char *lv = sysctl_str("dev.cpu.0.freq_levels");
	json_t *levels = json_array();
	double *mhz;
	int n = lv ? freq_levels_parse(lv, &mhz) : -1;

	json_set_str(info, "driver", drv);
	for (int i = 0; i < n; i++)
		json_array_append_new(levels, json_real(mhz[i]));
	if (n >= 0)
		free(mhz);
	json_set(info, "levels_mhz", levels);
	free(drv);
	free(lv);
}
#endif

static int freq_open(void *priv, json_t *info)
{
	struct freq_priv *p = priv;
	struct strbuf why = STRBUF_INIT;

	p->ncpu = count_cpus();
	p->fd = xmalloc((size_t)p->ncpu * sizeof(*p->fd));
	p->prev = xcalloc((size_t)p->ncpu, sizeof(*p->prev));
	p->ok = xcalloc((size_t)p->ncpu, sizeof(*p->ok));
	memset(p->fd, -1, (size_t)p->ncpu * sizeof(*p->fd));
	if (!msr_open(p, &why)) {
		p->source = FREQ_MSR;
	} else {
		close_fds(p);
		if (!perf_open(p, &why)) {
			p->source = FREQ_PERF;
		} else {
			close_fds(p);
			if (!isnan(cpu_khz_as_mhz(0, "cpufreq/scaling_cur_freq")))
				p->source = FREQ_CPUFREQ;
#ifdef __FreeBSD__
			else if (!isnan(cpu_sysctl_mhz(0)))
				p->source = FREQ_SYSCTL;
#endif
			else
				strbuf_addstr(&why, "; no cpufreq in sysfs");
		}
	}
	json_set_str(info, "source", freq_source_names[p->source]);
	json_set_str(info, "unavailable", p->source ? NULL : why.buf);
	json_set_int(info, "ncpu", p->ncpu);
	driver_info(info);
#ifdef __FreeBSD__
	freebsd_info(info);
#endif
	if (!p->source)
		note("no CPU frequency source on this host (%s): freq is null", why.buf);
	strbuf_release(&why);
	return 0;
}

static int read_counters(struct freq_priv *p, int c, uint64_t v[C_N])
{
	if (p->source == FREQ_MSR) {
		static const off_t reg[C_N] = { MSR_APERF, MSR_MPERF, MSR_TSC };

		for (int k = 0; k < C_N; k++)
			if (pread(p->fd[c][0], &v[k], 8, reg[k]) != 8)
				return -1;
		return 0;
	}
	for (int k = 0; k < C_N; k++)
		if (p->fd[c][k] < 0 || read(p->fd[c][k], &v[k], 8) != 8)
			return -1;
	return 0;
}

/* turbostat's figures for one CPU over the interval. */
static json_t *counters_json(const uint64_t now[C_N], const uint64_t prev[C_N], double dt,
			     double *busy_mhz)
{
	json_t *o = json_object();
	double da = (double)(now[C_APERF] - prev[C_APERF]);
	double dm = (double)(now[C_MPERF] - prev[C_MPERF]);
	double dtsc = (double)(now[C_TSC] - prev[C_TSC]);
	double tsc_mhz = dt > 0 ? dtsc / dt / 1e6 : NAN;

	*busy_mhz = dm > 0 ? tsc_mhz * da / dm : NAN;
	json_set_num(o, "mhz", *busy_mhz);
	json_set_num(o, "avg_mhz", dt > 0 ? da / dt / 1e6 : NAN);
	json_set_num(o, "busy_pct", dtsc > 0 ? 100 * dm / dtsc : NAN);
	json_set_num(o, "tsc_mhz", tsc_mhz);
	return o;
}

static int freq_sample(void *priv, json_t *rec, double dt, int prev_ok)
{
	struct freq_priv *p = priv;
	json_t *cpus = json_array();
	double sum = 0;
	int n = 0;

	for (int c = 0; c < p->ncpu; c++) {
		uint64_t v[C_N];
		double mhz = NAN;
		json_t *one = NULL;

		if (p->source == FREQ_MSR || p->source == FREQ_PERF) {
			int ok = !read_counters(p, c, v);

			if (ok && p->ok[c] && prev_ok)
				one = counters_json(v, p->prev[c], dt, &mhz);
			if (ok)
				memcpy(p->prev[c], v, sizeof(v));
			p->ok[c] = ok;
		} else if (p->source == FREQ_CPUFREQ) {
			mhz = cpu_khz_as_mhz(c, "cpufreq/scaling_cur_freq");
			one = json_object();
			json_set_num(one, "mhz", mhz);
		}
#ifdef __FreeBSD__
		else if (p->source == FREQ_SYSCTL) {
			mhz = cpu_sysctl_mhz(c);
			one = json_object();
			json_set_num(one, "mhz", mhz);
		}
#endif
		if (!one) {
			one = json_object();
			json_set(one, "mhz", json_null());
		}
		json_set_int(one, "cpu", c);
		json_array_append_new(cpus, one);
		if (!isnan(mhz)) {
			sum += mhz;
			n++;
		}
	}
	json_set(rec, "cpus", cpus);
	json_set_num(rec, "mhz", n ? sum / n : NAN);
	json_set_str(rec, "source", freq_source_names[p->source]);
	return 0;
}

static void freq_close(void *priv)
{
	struct freq_priv *p = priv;

	if (p->fd)
		close_fds(p);
	free(p->fd);
	free(p->prev);
	free(p->ok);
}

const struct collector_ops freq_collector = {
	.name = "freq",
	.summary = "effective MHz per CPU (APERF/MPERF or cpufreq), driver and governor",
	.priv_size = sizeof(struct freq_priv),
	.open = freq_open,
	.sample = freq_sample,
	.close = freq_close,
};
