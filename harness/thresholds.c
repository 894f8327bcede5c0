#include "harness/thresholds.h"
#include "harness/compare.h"
#include "harness/config.h"
#include "common/util.h"

#include <stddef.h>

#define T(name, field, help) \
	{ name, 0, OPT_PERCENT, offsetof(struct thresholds, field), 0, 0, NULL, NULL, "PCT", help }

const struct opt thresholds_table[] = {
	T("goodput", goodput, "goodput may drop this much (-3%)"),
	T("tps", tps, "transactions per second may drop this much (-5%)"),
	T("cpu", cpu, "CPU utilisation may rise this much (+5%)"),
	T("cpu_per_gbit", cpu_per_gbit, "CPU per Gbit/s may rise this much (+5%)"),
	T("cycles_per_gbit", cycles_per_gbit, "cycles per Gbit may rise this much"),
	T("stalls", stalls, "the stall-cycle fraction may rise this much"),
	T("llc_miss", llc_miss, "the LLC miss ratio may rise this much"),
	T("retrans", retrans, "retransmits may rise this much"),
	T("errors", errors, "errors may rise this much"),
	T("latency_p50", latency_p50, "median latency may rise this much"),
	T("latency_p99", latency_p99, "p99 latency may rise this much (+10%)"),
	T("connect_p99", connect_p99, "p99 connect time may rise this much"),
	OPT_END_ROW
};

int thresholds_gates(const struct cfg_file *f, const struct cfg_section *s, struct gate *out,
		     size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nr; i++) {
		if (n == max)
			return error("%s:%d: too many thresholds", f->path, s->v[i].line);
		if (gate_parse(&out[n], s->v[i].key, s->v[i].value))
			return error("%s:%d: in [thresholds]", f->path, s->v[i].line);
		n++;
	}
	return (int)n;
}

int thresholds_check(const struct cfg_file *f, const struct cfg_section *s, void *target)
{
	struct gate g[32];

	return thresholds_gates(f, s, g, ARRAY_SIZE(g)) < 0 ? -1 : 0;
}
