/*
 * The metric catalog (see metric.h).
 */
#include "store/metric.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/util.h"

#include <math.h>
#include <string.h>

#define M(name, key, label, unit, scale, worse, diag, gate, help) \
	{ name, key, label, unit, scale, worse, diag, gate, help, 0 }
/*
 * A count of the TCP trace's checks: more is worse, judged as count + 1
 * (metric.h), not gated unless a job's [thresholds] names it (a run
 * without the trace has no value, and a default gate would make every
 * such comparison inconclusive). "tcp_rwnd_stuck = +100%": one episode
 * where there were none is bad.
 */
#define C(name, rule, label) \
	{ name, SUM_TCP(rule), label, "", 1, +1, 0, 0, \
	  label " may rise this much (the count + 1 is compared: +100% = one more than none)", 1 }

const struct metric_def metric_defs[] = {
	M("goodput", SUM_GOODPUT, "goodput", "Gbit/s", 1e-9, -1, 0, -0.03,
	  "goodput may drop this much (-3%)"),
	M("tps", SUM_TPS, "transactions", "/s", 1, -1, 0, 0,
	  "transactions per second may drop this much (-5%)"),
	M("cpu", SUM_CPU, "cpu", "%", 1, +1, 0, +0.05, "CPU utilisation may rise this much (+5%)"),
	M("cpu_per_gbit", SUM_CPU_PER_GBIT, "cpu per Gbit/s", "%", 1, +1, 0, +0.05,
	  "CPU per Gbit/s may rise this much (+5%)"),
	M("cycles_per_gbit", SUM_CYCLES_PER_GBIT, "cycles per Gbit", "Mcycles", 1e-6, +1, 1, 0,
	  "cycles per Gbit may rise this much"),
	M("freq", SUM_FREQ, "effective frequency", "MHz", 1, -1, 1, 0,
	  "the effective frequency may drop this much"),
	M("ipc", SUM_IPC, "IPC", "", 1, -1, 1, 0, "instructions per cycle may drop this much"),
	M("stalls", SUM_STALLS, "stall cycles", "%", 100, +1, 1, 0,
	  "the stall-cycle fraction may rise this much"),
	M("llc_miss", SUM_LLC_MISS, "LLC miss ratio", "%", 100, +1, 1, 0,
	  "the LLC miss ratio may rise this much"),
	M("softirq", SUM_SOFTIRQ, "softirq time", "%", 1, +1, 1, 0,
	  "softirq time may rise this much"),
	M("system", SUM_SYSTEM, "system time", "%", 1, +1, 1, 0, "system time may rise this much"),
	M("intr", SUM_INTR, "interrupts", "/s", 1, 0, 1, 0, NULL),
	M("ctxt", SUM_CTXT, "context switches", "/s", 1, 0, 1, 0, NULL),
	M("retrans", SUM_RETRANS, "retransmits", "", 1, +1, 1, 0, "retransmits may rise this much"),
	M("errors", SUM_ERRORS, "errors", "", 1, +1, 0, 0, "errors may rise this much"),
	M("latency_p50", SUM_LATENCY_P50, "latency p50", "us", 1, +1, 0, 0,
	  "median latency may rise this much"),
	M("latency_p99", SUM_LATENCY_P99, "latency p99", "us", 1, +1, 0, 0,
	  "p99 latency may rise this much (+10%)"),
	M("connect_p99", SUM_CONNECT_P99, "connect p99", "us", 1, +1, 0, 0,
	  "p99 connect time may rise this much"),
	C("tcp_stalled", "stalled", "stalled connections (episodes)"),
	C("tcp_over_cwnd", "over_cwnd", "sends over cwnd"),
	C("tcp_over_rwnd", "over_rwnd", "sends over the peer's window"),
	C("tcp_rwnd_stuck", "rwnd_stuck", "receive window stuck (episodes)"),
	C("tcp_rto_storm", "rto_storm", "RTO storms"),
	C("tcp_resets", "unexpected_reset", "unexpected resets"),
	C("tcp_retransmits", "retransmits", "retransmitted segments (trace)"),
	M(NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL)
};

const struct metric_def *metric_find(const char *name)
{
	for (const struct metric_def *m = metric_defs; m->name; m++)
		if (!strcmp(m->name, name) || !strcmp(m->key, name))
			return m;
	return NULL;
}

double metric_value(const json_t *summary, const struct metric_def *m)
{
	double v = summary && m ? json_get_num(summary, m->key) : NAN;

	return isfinite(v) ? v + m->offset : NAN;
}

size_t gates_default(struct gate *out, size_t max)
{
	size_t n = 0;

	for (const struct metric_def *m = metric_defs; m->name && n < max; m++)
		if (m->gate != 0)
			out[n++] = (struct gate){ m, m->gate };
	return n;
}

int gate_parse(struct gate *out, const char *name, const char *value)
{
	const struct metric_def *m = metric_find(name);
	double t;

	if (!m || !m->worse)
		return error("unknown metric '%s' for a threshold (try goodput, cpu, "
			     "cpu_per_gbit, tps, latency_p99)", name);
	if (parse_percent(value, &t) || t == 0 || t <= -1)
		return error("invalid threshold '%s' for '%s': expected a signed percentage "
			     "such as +5%%", value, name);
	if ((t > 0) != (m->worse > 0))
		return error("threshold '%s' for '%s' points the good way: for %s, %s is worse",
			     value, name, m->label, m->worse > 0 ? "higher" : "lower");
	*out = (struct gate){ m, t };
	return 0;
}
