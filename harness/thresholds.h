#ifndef HARNESS_THRESHOLDS_H
#define HARNESS_THRESHOLDS_H

#include "common/opt.h"

struct cfg_file;
struct cfg_section;
struct gate;

/*
 * A job's [thresholds]: the gated metrics and how far each may move the
 * bad way, "cpu = +5%", "goodput = -3%". Only the keys given are gated;
 * without the section, compare's defaults apply.
 */
struct thresholds {
	double goodput, tps, cpu, cpu_per_gbit, cycles_per_gbit, stalls, llc_miss;
	double retrans, errors, latency_p50, latency_p99, connect_p99;
};

extern const struct opt thresholds_table[];

/* The config check: each threshold points the bad way. */
int thresholds_check(const struct cfg_file *f, const struct cfg_section *s, void *target);
/* The gates a [thresholds] section names (at most max); -1 on error. */
int thresholds_gates(const struct cfg_file *f, const struct cfg_section *s, struct gate *out,
		     size_t max);

#endif
