#ifndef COLLECTORS_TCPREC_H
#define COLLECTORS_TCPREC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The TCP trace: what the tcptrace recorder writes (collectors/tcptrace.h)
 * and what the sanity checks read (collectors/tcpcheck.h). One JSON-lines
 * file per host and run; every line is one object whose "type" says what
 * it is:
 *
 *   info   first line: the source used ("tracepoints" or "diag"), the
 *          tracepoints opened and those missing (and why), the names of
 *          tcp_send_reset's reasons by number (rst_reasons: they differ
 *          between kernels), the ports
 *          filtered on, this host's network namespace (netns_inode,
 *          netns_cookie), the sampling interval and the caps
 *   conn   a connection, when first seen: {"id", "cookie", "family",
 *          "laddr", "lport", "raddr", "rport", "t", "owner", "cc",
 *          "preexisting"}. A later conn line with the same id updates
 *          it (the owner, found later; the cc, from a later sample).
 *   probe rcvbuf retrans rst_tx rst_rx ca sample end
 *          one event of one connection: {"type", "id", "t", fields...}
 *          (the kinds and fields below; a field the source does not
 *          give is absent, never 0)
 *   cap    a connection reached the record cap: later records of it are
 *          dropped and counted ({"id", "t"})
 *   probe_on, probe_off
 *          tcp_probe was switched on or off ({"t", "duty"}): the event
 *          budget keeps it on for only part of each sampling interval
 *          when segments are many (no probe records in between)
 *   lost   the kernel dropped events (a ring overrun, PERF_RECORD_LOST):
 *          {"t", "cpu", "lost"}
 *   stats  last line, written at stop: the whole loss accounting
 *
 * Times ("t") are CLOCK_MONOTONIC seconds with nanoseconds, the clock of
 * every other perflab collector. Values are integers in the kernel's
 * units (bytes, segments, microseconds) named by the key's suffix. A
 * reader ignores keys and record types it does not know.
 *
 * FreeBSD has the equivalent inside the kernel: TCP black box logging
 * (tcp_log, sys/netinet/tcp_log_buf.c), switched on per connection or for
 * a ratio of them (sysctl net.inet.tcp.bb.log_auto_mode/_ratio,
 * TCP_LOG socket option) and read out with tcplog_dumper; its records
 * (struct tcp_log_buffer: snd_una, snd_nxt, snd_cwnd, snd_wnd, rcv_wnd,
 * srtt, flex fields per event) map onto the probe/sample records here.
 * A FreeBSD recorder would translate them into this format.
 */

enum tcprec_kind {
	TCPREC_PROBE,	/* tcp:tcp_probe: a segment arrived on an established socket */
	TCPREC_RCVBUF,	/* tcp:tcp_rcvbuf_grow: receive buffer autotuning grew it */
	TCPREC_RETRANS,	/* tcp:tcp_retransmit_skb: one skb (1..n segments) resent */
	TCPREC_RST_TX,	/* tcp:tcp_send_reset */
	TCPREC_RST_RX,	/* tcp:tcp_receive_reset */
	TCPREC_CA,	/* tcp:tcp_cong_state_set: Open/Disorder/CWR/Recovery/Loss */
	TCPREC_SAMPLE,	/* TCP_INFO of a live socket, read through inet_diag */
	TCPREC_END,	/* TCP_INFO as the socket was destroyed (sock_diag broadcast) */
	TCPREC_NKINDS
};

/* The values a record may carry; tcprec_field_names[] has their keys. */
enum tcprec_field {
	/* tcp_probe (and the sender side of a sample) */
	TF_SND_NXT,		/* next sequence number to send (u32, wraps) */
	TF_SND_UNA,		/* oldest unacknowledged sequence number (u32) */
	TF_CWND,		/* congestion window, segments */
	TF_SSTHRESH,		/* slow-start threshold, segments */
	TF_SND_WND,		/* the peer's advertised window, bytes (scaled) */
	TF_RCV_WND,		/* our advertised window, bytes */
	TF_SRTT,		/* smoothed RTT, microseconds */
	TF_LEN,			/* payload of the segment that arrived, bytes */
	/* state */
	TF_STATE,		/* TCP state, the kernel's numbering (1 = ESTABLISHED) */
	TF_CA_STATE,		/* 0 Open, 1 Disorder, 2 CWR, 3 Recovery, 4 Loss */
	TF_ERR,			/* retransmit: the error of the attempt (0 sent) */
	TF_REASON,		/* rst_tx: enum sk_rst_reason */
	/* tcp_rcvbuf_grow and the receiver side of a sample */
	TF_RCV_RTT,		/* receiver's RTT estimate, microseconds */
	TF_COPIED,		/* bytes the application read in the last RTT */
	TF_INQ,			/* bytes queued unread */
	TF_RCV_SPACE,		/* DRS: bytes read per RTT, the autotuning estimate */
	TF_RCVBUF,		/* receive buffer, bytes (sk_rcvbuf) */
	TF_RCV_SSTHRESH,	/* receive window slow-start threshold, bytes */
	TF_WINDOW_CLAMP,	/* the most the receive window may grow to, bytes */
	TF_SCALING_RATIO,	/* payload/truesize ratio, in 1/256 */
	TF_TIME,		/* rcvbuf: length of the measurement, microseconds */
	/* TCP_INFO (sample, end) */
	TF_MSS,			/* sender MSS, bytes */
	TF_RTTVAR,		/* RTT variance, microseconds */
	TF_RTO,			/* retransmission timeout, microseconds */
	TF_UNACKED,		/* segments sent and not acknowledged (packets_out) */
	TF_SACKED,		/* segments SACKed */
	TF_LOST,		/* segments marked lost */
	TF_RETRANS_OUT,		/* retransmitted segments not yet acknowledged */
	TF_IN_FLIGHT,		/* unacked - sacked - lost + retrans_out (the kernel's) */
	TF_TOTAL_RETRANS,	/* segments retransmitted over the life of the socket */
	TF_TOTAL_RTO,		/* retransmission timeouts over the life (Linux 6.7+) */
	TF_BYTES_SENT,		/* bytes sent, retransmissions included */
	TF_BYTES_RETRANS,	/* bytes retransmitted */
	TF_BYTES_ACKED,		/* bytes acknowledged */
	TF_BYTES_RECEIVED,	/* bytes received in order */
	TF_NOTSENT,		/* bytes written by the application, not yet sent */
	TF_RQUEUE,		/* bytes received, not yet read (receive queue) */
	TF_WQUEUE,		/* bytes written, not yet acknowledged */
	TF_SNDBUF,		/* send buffer, bytes (sk_sndbuf) */
	TF_DELIVERY_RATE,	/* delivery rate estimate, bytes per second */
	TF_BUSY,		/* time busy sending data, microseconds (cumulative) */
	TF_RWND_LIMITED,	/* time limited by the peer's window, microseconds */
	TF_SNDBUF_LIMITED,	/* time limited by the send buffer, microseconds */
	TF_READS,		/* application reads since the previous sample (app_reads) */
	TF_BACKOFF,		/* RTO backoff exponent now */
	TF_GAP,			/* probe: 1 if the probe before it may be missing (tcp_probe was
				 * off, or events were lost): not to be compared with the last */
	TCPREC_NFIELDS
};

extern const char *const tcprec_kind_names[TCPREC_NKINDS];
extern const char *const tcprec_field_names[TCPREC_NFIELDS];

/* A kind by its JSON name; -1 if unknown. */
int tcprec_kind_find(const char *name);
int tcprec_field_find(const char *name);

/*
 * One event of one connection. Values are kept sparsely: only those
 * present, in field order, behind a bitmask. Use tcprec_get/_has.
 */
struct tcprec {
	double t;		/* CLOCK_MONOTONIC, seconds */
	uint32_t conn;		/* connection id, as in its conn line */
	uint8_t kind;		/* enum tcprec_kind */
	uint64_t have;		/* bit f set: field f present */
	const int64_t *v;	/* the present values (points into the owner's pool) */
};

static inline int tcprec_has(const struct tcprec *r, enum tcprec_field f)
{
	return (r->have >> f) & 1;
}

/* The value of field f, or def when absent. */
int64_t tcprec_get(const struct tcprec *r, enum tcprec_field f, int64_t def);

/* A connection as the trace knows it. */
struct tcprec_conn {
	uint32_t id;		/* small integer, unique in the file */
	uint64_t cookie;	/* the kernel's socket cookie (0 = not known) */
	int family;		/* 4 or 6 */
	char laddr[46], raddr[46];	/* local/remote address, numeric */
	uint16_t lport, rport;	/* local/remote port */
	double t;		/* first seen, CLOCK_MONOTONIC seconds */
	char owner[8];		/* how it was attributed to this host: "diag", "addr", "unknown" */
	char cc[16];		/* congestion control ("cubic"), "" if unknown */
	int preexisting;	/* established before the trace started */
	int capped;		/* reached the record cap: later records dropped */
	size_t first, nr;	/* its records: file->rec[first .. first+nr) */
};

/* The loss accounting (the stats line; also returned by tcptrace_stop). */
struct tcprec_stats {
	uint64_t events;	/* events decoded from the kernel */
	uint64_t written;	/* records written to the file */
	uint64_t lost;		/* events the kernel dropped (rings full) */
	uint64_t lost_records;	/* PERF_RECORD_LOST records seen */
	uint64_t capped;	/* records dropped by the per-connection cap */
	uint64_t thinned;	/* probes not written: within probe_gap of the last one */
	uint64_t foreign;	/* events of other network namespaces, dropped */
	uint64_t unmatched;	/* events no connection could be found for */
	uint64_t samples;	/* inet_diag samples taken (dumps) */
	uint64_t conns;		/* connections recorded (this namespace's) */
	uint64_t conns_capped;	/* connections that reached the cap */
	uint64_t conns_over;	/* events of connections not followed: max_conns reached */
	uint64_t destroyed;	/* final TCP_INFO records (sock_diag broadcast) */
	uint64_t diag_lost;	/* broadcast messages lost (ENOBUFS) */
	uint64_t throttled;	/* PERF_RECORD_THROTTLE seen */
	uint64_t probe_offs;	/* times the event budget switched tcp_probe off */
};

/* A trace in memory, sorted: connections by id, records by (conn, t). */
struct tcprec_file {
	struct tcprec_conn *conn;
	size_t nr_conn, alloc_conn;
	struct tcprec *rec;
	size_t nr_rec, alloc_rec;
	int64_t *pool;		/* the records' values */
	size_t nr_pool, alloc_pool;
	char source[16];	/* from the info line: "tracepoints", "diag" */
	double interval_s;	/* the sampling interval of sample records */
	uint32_t traced;	/* bit k: records of kind k could be made (the info
				 * line's tracepoints; every kind without one) */
	char rst_reasons[64][40];	/* rst_tx reason names by number, "" unknown
					 * (the recording kernel's, from its info line) */
	int have_stats;		/* the stats line was read (the recorder stopped) */
	struct tcprec_stats stats;
	int truncated;		/* the file ended inside a line: read up to it */
	unsigned long lines;	/* lines read */
	unsigned long skipped;	/* lines of unknown type, skipped */
	unsigned long probe_switches;	/* probe_on/probe_off lines (the event budget at work) */
};

/*
 * Read a trace from memory or a file into out (initialized here). A last
 * line without its newline that does not parse is a cut: reading stops
 * there, sets truncated, and succeeds. Any other bad line is an error
 * naming origin and line. Records of a connection whose conn line never
 * came are dropped (counted in skipped). Returns 0 or -1.
 */
int tcprec_parse(struct tcprec_file *out, const char *buf, size_t len, const char *origin);
int tcprec_read(struct tcprec_file *out, const char *path);
void tcprec_file_release(struct tcprec_file *f);

/* The connection with this id, or NULL. */
const struct tcprec_conn *tcprec_file_conn(const struct tcprec_file *f, uint32_t id);

/*
 * Writing: a record is formatted into a caller's buffer without
 * allocation (the recorder's hot path). tcprec_format returns the line's
 * length including the newline; buf must hold TCPREC_LINE_MAX bytes.
 * vals[f] is used where have has bit f.
 */
#define TCPREC_LINE_MAX 4096
size_t tcprec_format(char *buf, enum tcprec_kind kind, uint32_t conn, uint64_t t_ns,
		     uint64_t have, const int64_t *vals);
/* The conn line of c (t is c->t); same contract. */
size_t tcprec_format_conn(char *buf, const struct tcprec_conn *c);

#endif
