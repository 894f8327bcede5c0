#include "collectors/cpustat.h"
#include "common/json.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const cpu_state_names[CPU_NSTATES] = {
	"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
	"guest", "guest_nice"
};

#define MAX_CPUS 65536

static int parse_u64(const char **p, uint64_t *out)
{
	char *end;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (!isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	*out = strtoull(*p, &end, 10);
	if (errno)
		return -1;
	*p = end;
	return 0;
}

/* Read up to CPU_NSTATES numbers; extra columns of newer kernels are ignored. */
static int parse_times(const char *p, struct cpu_times *t)
{
	int n = 0;
	uint64_t v;

	memset(t, 0, sizeof(*t));
	while (parse_u64(&p, &v) == 0) {
		if (n < CPU_NSTATES) {
			t->t[n] = v;
			t->have |= 1u << n;
		}
		n++;
	}
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return n >= 4 && (!*p || *p == '\n') ? 0 : -1;
}

static void grow_cpus(struct cpustat *s, int id)
{
	if (id < s->ncpu)
		return;
	s->cpu = xrealloc(s->cpu, (size_t)(id + 1) * sizeof(*s->cpu));
	memset(s->cpu + s->ncpu, 0, (size_t)(id + 1 - s->ncpu) * sizeof(*s->cpu));
	s->ncpu = id + 1;
}

static int cpu_line(struct cpustat *s, const char *line, const char *origin, int lineno)
{
	const char *p = line + 3;
	struct cpu_times t;
	char *end;
	long id = -1;

	if (isdigit((unsigned char)*p)) {
		id = strtol(p, &end, 10);
		if (id >= MAX_CPUS)
			return error("%s:%d: CPU id %ld out of range", origin, lineno, id);
		p = end;
	} else if (*p != ' ') {
		return 0;	/* some other "cpu..." key */
	}
	if (parse_times(p, &t))
		return error("%s:%d: malformed cpu line '%.60s'", origin, lineno, line);
	if (id < 0) {
		s->all = t;
		return 0;
	}
	grow_cpus(s, (int)id);
	s->cpu[id] = t;
	return 0;
}

int procstat_parse(struct cpustat *s, const char *text, const char *origin)
{
	const char *line = text;
	int lineno = 0, seen_all = 0;

	memset(s, 0, sizeof(*s));
	s->intr = s->ctxt = UINT64_MAX;
	while (line && *line) {
		const char *nl = strchr(line, '\n'), *p;

		lineno++;
		if (!strncmp(line, "cpu", 3)) {
			if (cpu_line(s, line, origin, lineno)) {
				cpustat_release(s);
				return -1;
			}
			seen_all |= line[3] == ' ';
		} else if (!strncmp(line, "intr ", 5)) {
			p = line + 5;
			if (parse_u64(&p, &s->intr))
				s->intr = UINT64_MAX;
		} else if (!strncmp(line, "ctxt ", 5)) {
			p = line + 5;
			if (parse_u64(&p, &s->ctxt))
				s->ctxt = UINT64_MAX;
		}
		line = nl ? nl + 1 : NULL;
	}
	if (!seen_all || !s->ncpu) {
		cpustat_release(s);
		return error("%s: no 'cpu' lines: not a /proc/stat", origin);
	}
	return 0;
}

int cptimes_parse(struct cpustat *s, const char *text, const char *origin)
{
	/* FreeBSD's order: user nice sys intr idle (CP_USER..CP_IDLE) */
	static const int map[5] = { CPU_USER, CPU_NICE, CPU_SYSTEM, CPU_IRQ, CPU_IDLE };
	const char *p = text, *colon = strchr(text, ':');
	uint64_t v[5];
	int n = 0;

	memset(s, 0, sizeof(*s));
	s->intr = s->ctxt = UINT64_MAX;
	if (colon && colon < text + strcspn(text, "0123456789"))
		p = colon + 1;
	for (;;) {
		int k;

		for (k = 0; k < 5 && !parse_u64(&p, &v[k]); k++)
			;
		if (k == 0)
			break;
		if (k < 5 || n >= MAX_CPUS) {
			cpustat_release(s);
			return error("%s: kern.cp_times has %d values, not a multiple of 5",
				     origin, n * 5 + k);
		}
		grow_cpus(s, n);
		for (int j = 0; j < 5; j++) {
			s->cpu[n].t[map[j]] = v[j];
			s->cpu[n].have |= 1u << map[j];
			s->all.t[map[j]] += v[j];
		}
		s->all.have = s->cpu[n].have;
		n++;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (!n || *p) {
		cpustat_release(s);
		return error("%s: malformed kern.cp_times near '%.20s'", origin, p);
	}
	return 0;
}

void cpustat_release(struct cpustat *s)
{
	free(s->cpu);
	s->cpu = NULL;
	s->ncpu = 0;
}

/* Total ticks of an interval: guest time is already inside user. */
static double total_ticks(const uint64_t *d, unsigned have)
{
	double sum = 0;

	for (int k = 0; k < CPU_NSTATES; k++)
		if ((have & (1u << k)) && k != CPU_GUEST && k != CPU_GUEST_NICE)
			sum += (double)d[k];
	return sum;
}

/* One CPU's (or all CPUs') interval as percentages; busy ticks out. */
static json_t *times_json(const struct cpu_times *now, const struct cpu_times *prev,
			  double *busy_frac)
{
	json_t *o = json_object();
	unsigned have = now->have & prev->have;
	uint64_t d[CPU_NSTATES] = { 0 };
	double total;

	for (int k = 0; k < CPU_NSTATES; k++)
		if (have & (1u << k))
			d[k] = now->t[k] >= prev->t[k] ? now->t[k] - prev->t[k] : 0;
	total = total_ticks(d, have);
	for (int k = 0; k < CPU_NSTATES; k++)
		json_set_num(o, cpu_state_names[k],
			     (have & (1u << k)) && total > 0 ? 100.0 * (double)d[k] / total : NAN);
	*busy_frac = total > 0 ? 1.0 - (double)(d[CPU_IDLE] + d[CPU_IOWAIT]) / total : NAN;
	json_set_num(o, "util_pct", 100 * *busy_frac);
	return o;
}

json_t *cpustat_delta_json(const struct cpustat *now, const struct cpustat *prev, double dt)
{
	json_t *rec = json_object(), *cpus = json_array();
	int online = 0;
	double busy, all_busy;

	json_set(rec, "all", times_json(&now->all, &prev->all, &all_busy));
	for (int i = 0; i < now->ncpu && i < prev->ncpu; i++) {
		json_t *one;

		if (!now->cpu[i].have || !prev->cpu[i].have)
			continue;
		one = times_json(&now->cpu[i], &prev->cpu[i], &busy);
		json_set_int(one, "cpu", i);
		json_array_append_new(cpus, one);
		online++;
	}
	json_set(rec, "cpus", cpus);
	json_set_num(rec, "util_pct", 100 * all_busy);
	json_set_num(rec, "busy_cpus", all_busy * online);
	json_set_int(rec, "ncpu", online);
	json_set_num(rec, "intr_per_s", now->intr != UINT64_MAX && prev->intr != UINT64_MAX &&
		     dt > 0 ? (double)(now->intr - prev->intr) / dt : NAN);
	json_set_num(rec, "ctxt_per_s", now->ctxt != UINT64_MAX && prev->ctxt != UINT64_MAX &&
		     dt > 0 ? (double)(now->ctxt - prev->ctxt) / dt : NAN);
	return rec;
}
