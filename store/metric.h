#ifndef STORE_METRIC_H
#define STORE_METRIC_H

#include <stddef.h>

struct json_t;

/*
 * The metric catalog: every metric perflab judges, plots or reports,
 * once. A metric is a number of a run's summary.json (its key, a
 * dotted path), with the unit it is shown in, which way is worse and
 * the gate it gets by default. compare, the [thresholds] of a job,
 * history, reports and the bisection all read this table; nothing else
 * spells a summary key of a catalogued metric.
 */

/* summary.json keys of the metrics the catalog and the summary writer share */
#define SUM_GOODPUT		"goodput_bps"		/* bits per second */
#define SUM_GOODPUT_GBPS	"goodput_gbps"		/* the same in Gbit/s, for people */
#define SUM_TPS			"tps"			/* transactions per second */
#define SUM_CPU			"cpu_util_pct"		/* % of the host's CPUs, 0..100 */
#define SUM_CPU_PER_GBIT	"cpu_pct_per_gbps"	/* cpu_util_pct per Gbit/s */
#define SUM_CYCLES_PER_GBIT	"cycles_per_gbit"
#define SUM_FREQ		"freq_mhz"
#define SUM_IPC			"ipc"
#define SUM_STALLS		"stall_frac"		/* 0..1 */
#define SUM_LLC_MISS		"llc_miss_ratio"	/* 0..1 */
#define SUM_SOFTIRQ		"cpu_states_pct.softirq"
#define SUM_SYSTEM		"cpu_states_pct.system"
#define SUM_INTR		"intr_per_s"
#define SUM_CTXT		"ctxt_per_s"
#define SUM_RETRANS		"retrans_segs"
#define SUM_ERRORS		"errors_total"
#define SUM_LATENCY_P50		"latency_us.p50"
#define SUM_LATENCY_P99		"latency_us.p99"
#define SUM_CONNECT_P99		"connect_us.p99"
/* the TCP trace's checks (collectors/tcpcheck.h), counts summed over the hosts */
#define SUM_TCP(rule)		"tcp_checks.rules." rule ".count"

struct metric_def {
	const char *name;	/* what users write: "cpu", "goodput" */
	const char *key;	/* dotted path in summary.json */
	const char *label;	/* in tables */
	const char *unit;	/* of the displayed value */
	double scale;		/* displayed = value * scale */
	int worse;		/* +1: higher is worse, -1: lower is worse, 0: neither */
	int diagnostic;		/* explains a gated move (frequency, IPC, stalls ...) */
	double gate;		/* default gate, signed towards bad; 0: not gated by default */
	const char *help;	/* what a [thresholds] line for it means */
	/*
	 * Added to the value before it is judged: 1 for a count of
	 * occurrences (the TCP checks), so that counts compare as ratios
	 * like every other metric: 0 against 0 is a ratio of 1, not 0/0,
	 * and 0 against 1 is +100%. 0 for the rest.
	 */
	double offset;
};

/* The catalog, terminated by a row with name NULL. */
extern const struct metric_def metric_defs[];
/* By user name ("cpu") or summary key ("cpu_util_pct"); NULL if unknown. */
const struct metric_def *metric_find(const char *name);
/*
 * The metric's value in a summary.json document, as judged (plus its
 * offset: a count + 1): NaN when absent, null or not a finite number
 * (never 0 for "not measured").
 */
double metric_value(const struct json_t *summary, const struct metric_def *m);

/* A gated metric and its threshold (signed towards bad: +0.05, -0.03). */
struct gate {
	const struct metric_def *m;
	double threshold;
};

/* The default gates (the catalog's gate column): goodput -3%, cpu +5%, ... */
size_t gates_default(struct gate *out, size_t max);
/* Parse "cpu=+5%" (the flag) or key and value (a [thresholds] line). */
int gate_parse(struct gate *out, const char *name, const char *value);

#endif
