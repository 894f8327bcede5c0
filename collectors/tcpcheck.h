#ifndef COLLECTORS_TCPCHECK_H
#define COLLECTORS_TCPCHECK_H

#include "collectors/tcprec.h"

#include <stddef.h>
#include <stdint.h>

struct json_t;

/*
 * Sanity checks over a TCP trace (collectors/tcprec.h): named rules, each
 * with thresholds, evaluated per connection as pure functions of its
 * records. A rule counts occurrences on each connection and flags the
 * connections where it occurred (retransmits and unexpected_reset: at
 * least a minimum number).
 *
 *  stalled        the sender had a full segment unsent (notsent >= mss),
 *                 room in the peer's window (snd_wnd - in flight >= mss)
 *                 and in cwnd (in_flight < cwnd), in ESTABLISHED or
 *                 CLOSE_WAIT, and neither sent nor had acknowledged a byte
 *                 (bytes_sent, bytes_acked unchanged) across consecutive
 *                 TCP_INFO samples spanning at least max(stall_rtts x srtt,
 *                 stall_min_s). An occurrence is one such episode.
 *  over_cwnd      a tcp_probe snapshot shows new data sent since the
 *                 previous one (snd_nxt advanced) with more in flight
 *                 (snd_nxt - snd_una) than (cwnd + over_cwnd_slack) x mss,
 *                 outside loss recovery (ca_state Open). Diag-only traces:
 *                 a sample with in_flight > cwnd + slack in Open state
 *                 after bytes were sent (not for bbr, whose PROBE_RTT
 *                 lowers cwnd under the flight). Occurrence: a snapshot.
 *  over_rwnd      the same against the peer's window: snd_nxt - snd_una >
 *                 snd_wnd + over_rwnd_slack bytes right after sending.
 *  rwnd_stuck     receiver side, over consecutive TCP_INFO samples: the
 *                 window is one receive autotuning would grow -- what the
 *                 application reads per RTT (tcpi_rcv_space, the DRS
 *                 measure) is at least rwnd_limited x rcv_wnd (autotuning
 *                 keeps the window at twice it: 0.5, and 0.55 leaves room
 *                 for its rounding) --, data still flows at
 *                 half that per RTT or more, the application keeps up
 *                 (unread bytes <= rwnd_app x rcv_wnd), and the window did
 *                 not grow (stayed <= rwnd_growth x its value at the start)
 *                 for rwnd_samples intervals in a row: the seed-001 shape
 *                 (SO_RCVBUF locked, or a window clamp that never follows).
 *                 An occurrence is one such run.
 *  rto_storm      rto_storm_count retransmission timeouts within
 *                 rto_storm_window_s (entries into the Loss state from
 *                 tcp_cong_state_set, else increments of tcpi_total_rto
 *                 at sample times). Occurrence: a storm (disjoint).
 *  unexpected_reset  resets sent or received on the connection (reasons in
 *                 reset_ignore excepted); flagged from reset_min.
 *  retransmits    segments retransmitted (tcpi_total_retrans at the
 *                 socket's end or last sample, less what it had when the
 *                 trace began for a connection already open; without
 *                 TCP_INFO, tcp_retransmit_skb events: a lower bound, an
 *                 skb may carry several segments); flagged from
 *                 retransmits_min. The count is the total over all
 *                 connections, flagged or not.
 *
 * Use (a run's summary; one trace per host):
 *
 *	struct tcpcheck_thresholds th;
 *	struct tcpcheck_report rep;
 *	struct tcprec_file f;
 *
 *	tcpcheck_thresholds_init(&th);
 *	// each line of the job's [checks]: tcpcheck_threshold_set(&th, key, value)
 *	if (tcprec_read(&f, "RUN/HOST/tcptrace.ndjson"))
 *		... reported with the file and line ...
 *	tcpcheck_run(&rep, &f, &th);
 *	json_set(host_summary, "tcp_checks", tcpcheck_report_json(&rep));
 *	tcpcheck_report_release(&rep);
 *	tcprec_file_release(&f);
 *
 * A rule's count is a metric where more is worse; "incomplete" says the
 * counts are lower bounds (the kernel dropped events, a connection hit
 * its cap, or the trace was cut before its stats line).
 */
enum tcpcheck_rule {
	TCPCHECK_STALLED,
	TCPCHECK_OVER_CWND,
	TCPCHECK_OVER_RWND,
	TCPCHECK_RWND_STUCK,
	TCPCHECK_RTO_STORM,
	TCPCHECK_RESET,
	TCPCHECK_RETRANS,
	TCPCHECK_NRULES
};

/* "stalled", "over_cwnd", "over_rwnd", "rwnd_stuck", "rto_storm",
 * "unexpected_reset", "retransmits" */
extern const char *const tcpcheck_rule_names[TCPCHECK_NRULES];

struct tcpcheck_thresholds {
	double stall_rtts;		/* no progress for this many srtt (8) */
	double stall_min_s;		/* ... and at least this long, seconds (0.2) */
	double over_cwnd_slack;		/* segments beyond cwnd tolerated (1: a loss probe) */
	double over_rwnd_slack;		/* bytes beyond the peer's window tolerated (0) */
	double rwnd_limited;		/* rcv_space >= this x rcv_wnd: autotuning would grow it (0.55) */
	double rwnd_app;		/* app keeps up: unread <= this x rcv_wnd (0.25) */
	double rwnd_growth;		/* "did not grow": stayed <= this x the start (1.1) */
	double rwnd_samples;		/* intervals in a row (5) */
	double rto_storm_count;		/* timeouts ... (3) */
	double rto_storm_window_s;	/* ... within this many seconds (10) */
	double reset_min;		/* resets to flag a connection (1) */
	char reset_ignore[256];		/* resets sent for these reasons are expected: names
					 * or numbers, comma-separated ("" none) */
	double retransmits_min;		/* segments to flag a connection (1) */
};

void tcpcheck_thresholds_init(struct tcpcheck_thresholds *th);

/*
 * Set one threshold by its key in a job's [checks] section:
 * stalled.rtts, stalled.min_s, over_cwnd.slack, over_rwnd.slack,
 * rwnd_stuck.limited, rwnd_stuck.app, rwnd_stuck.growth,
 * rwnd_stuck.samples, rto_storm.count, rto_storm.window_s,
 * unexpected_reset.min, unexpected_reset.ignore (reasons: names as the
 * kernel prints them, or numbers, comma-separated: "TCP_ABORT_ON_CLOSE,
 * NO_SOCKET"; a name is resolved against each trace's own table, the
 * numbering changes between kernels), retransmits.min. Returns 0, PERFLAB_ENOTFOUND for an
 * unknown key, PERFLAB_EINVAL for a bad value (reported as 'key').
 */
int tcpcheck_threshold_set(struct tcpcheck_thresholds *th, const char *key, const char *value);
/* The value of key in th as text ("8", "0.55", a reason list). */
int tcpcheck_threshold_format(char *buf, size_t len, const struct tcpcheck_thresholds *th,
			      const char *key);
/*
 * A run's checks as one string, "key=value;key=value" (the [checks] lines
 * of a job, as run.json keeps them); blanks around keys and values are
 * ignored, "" sets nothing. Returns 0, or -1 naming the bad entry.
 */
int tcpcheck_thresholds_parse(struct tcpcheck_thresholds *th, const char *list);
/* The keys above, NULL-terminated, for help texts. */
extern const char *const tcpcheck_threshold_keys[];

/* One connection: occurrences per rule. */
struct tcpcheck_conn_result {
	uint64_t count[TCPCHECK_NRULES];
	int avail[TCPCHECK_NRULES];	/* the records could show it (else count is 0, meaningless) */
};

/*
 * The rules over connection c of trace f (its records, sorted by t; what
 * kinds the recorder could produce, f->traced; the kernel's reset
 * reasons). Pure: no I/O, no state.
 */
void tcpcheck_conn(struct tcpcheck_conn_result *out, const struct tcprec_file *f,
		   const struct tcprec_conn *c, const struct tcpcheck_thresholds *th);

/* Does rule flag the connection of r (its count past the rule's minimum)? */
int tcpcheck_flagged(const struct tcpcheck_conn_result *r, int rule,
		     const struct tcpcheck_thresholds *th);

struct tcpcheck_rule_result {
	int avail;		/* could be measured on some connection; else count is null */
	uint64_t count;		/* occurrences over all connections (retransmits: segments) */
	uint32_t *ids;		/* the flagged connections' ids, ascending */
	size_t nr_ids;
};

struct tcpcheck_report {
	struct tcpcheck_rule_result rule[TCPCHECK_NRULES];
	size_t conns;		/* connections checked */
	int incomplete;		/* events were lost, capped, or the file was cut: lower bounds */
};

/*
 * Run every rule over every connection of a trace. out is initialized
 * here; release it with tcpcheck_report_release. Returns 0.
 */
int tcpcheck_run(struct tcpcheck_report *out, const struct tcprec_file *f,
		 const struct tcpcheck_thresholds *th);
void tcpcheck_report_release(struct tcpcheck_report *r);

/*
 * The report as JSON, for summary.json: {"conns": N, "incomplete": bool,
 * "rules": {"stalled": {"count": N or null, "conns": [ids]}, ...}}.
 * A new reference.
 */
struct json_t *tcpcheck_report_json(const struct tcpcheck_report *r);

#endif
