/*
 * make bench: what one sample of each collector costs, in CPU time,
 * on this host; and how the cpu collector's cost grows with the number
 * of CPUs, from a synthetic /proc/stat of 2 and of 256 CPUs parsed and
 * turned into an interval record the way a sample does.
 */
#include "collectors/collector.h"
#include "collectors/cpustat.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A /proc/stat of n CPUs, as a 6.x kernel prints it; salt moves the ticks. */
static char *procstat_text(int n, unsigned salt)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "cpu  %u 0 %u 900000 10 0 20 0 0 0\n", 1000 * n + salt, 500 * n + salt);
	for (int i = 0; i < n; i++)
		strbuf_addf(&sb, "cpu%d %u 0 %u 900000 10 0 20 0 0 0\n", i, 1000 + salt + (unsigned)i,
			    500 + salt);
	strbuf_addstr(&sb, "intr 123456 0 0 0\nctxt 987654\nbtime 1700000000\n");
	return strbuf_detach(&sb, NULL);
}

static double procstat_cost(int ncpu, int rounds)
{
	char *a = procstat_text(ncpu, 0), *b = procstat_text(ncpu, 7);
	struct cpustat prev, now;
	double t0;

	procstat_parse(&prev, a, "a");
	t0 = cpu_now();
	for (int i = 0; i < rounds; i++) {
		json_t *d;

		procstat_parse(&now, b, "b");
		d = cpustat_delta_json(&now, &prev, 1.0);
		free(json_dump_compact(d));	/* a sample is written as a line */
		json_decref(d);
		cpustat_release(&now);
	}
	t0 = cpu_now() - t0;
	cpustat_release(&prev);
	free(a);
	free(b);
	return t0 / rounds;
}

static double collector_cost(const char *name, int rounds)
{
	struct collector *c = collector_open(name, NULL);
	double t0;

	if (!c)
		return -1;
	json_decref(collector_sample(c));
	t0 = cpu_now();
	for (int i = 0; i < rounds; i++) {
		json_t *rec = collector_sample(c);

		free(json_dump_compact(rec));
		json_decref(rec);
	}
	t0 = cpu_now() - t0;
	collector_free(c);
	return t0 / rounds;
}

int main(void)
{
	double two, many;

	verbosity = 0;
	printf("one sample of each collector on this host (CPU time, mean of 200):\n");
	for (int i = 0; collector_list[i]; i++)
		printf("  %-6s %8.1f us\n", collector_list[i]->name,
		       collector_cost(collector_list[i]->name, 200) * 1e6);
	two = procstat_cost(2, 2000);
	many = procstat_cost(256, 200);
	printf("cpu collector, recorded /proc/stat parsed and turned into a record:\n");
	printf("  %3d CPUs %8.1f us per sample\n", 2, two * 1e6);
	printf("  %3d CPUs %8.1f us per sample (%.1fx for %dx the CPUs: %.2f us per CPU)\n", 256,
	       many * 1e6, many / two, 128, (many - two) / 254 * 1e6);
	return 0;
}
