#ifndef COLLECTORS_TCPTRACE_H
#define COLLECTORS_TCPTRACE_H

#include "collectors/tcprec.h"

#include <stddef.h>
#include <stdint.h>

/*
 * The TCP blackbox recorder: per connection, the stack's state over time
 * on the host it runs on, written to one trace file (format and reader:
 * collectors/tcprec.h; checks over it: collectors/tcpcheck.h).
 *
 * tcp_probe is taken, by default, for the segments without data only
 * (in-kernel filter data_len == 0): the ACKs, which carry a sender's
 * state and are what the over_cwnd/over_rwnd checks read. A bulk
 * receiver's data segments outnumber them and carry only its rcv_wnd,
 * which TCP_INFO samples give (tcpi_rcv_wnd, Linux 6.2+). probe_data
 * takes them all (needed for rwnd_stuck on kernels before 6.2).
 *
 * Sources, best first:
 *
 *  - "tracepoints": the kernel's own events through perf_event_open
 *    (tcp:tcp_probe on every segment a socket receives -- snd_nxt,
 *    snd_una, cwnd, ssthresh, snd_wnd, rcv_wnd, srtt --, tcp_retransmit_skb,
 *    tcp_send_reset, tcp_receive_reset, and where the kernel has them
 *    tcp_rcvbuf_grow and tcp_cong_state_set; tcp_rcv_space_adjust only
 *    with app_reads: it fires on every application read, carries no
 *    state, and on a bulk receiver outnumbers tcp_probe), one ring per
 *    CPU; PLUS TCP_INFO sampled through
 *    inet_diag every sample_ms (what no tracepoint carries: MSS, packets
 *    in flight, unsent bytes, the receive queue, cumulative retransmits
 *    and RTOs) and the final TCP_INFO of each socket as the kernel
 *    destroys it (the sock_diag broadcast). Samples are lookups of the
 *    connections the events named (a hash lookup each); the one full
 *    dump, at the start, finds those already open.
 *  - "diag": the same TCP_INFO samples and final records alone, where
 *    tracepoints cannot be had (no tracefs, no tcp_probe, not root).
 *    New connections are found by a dump every dump_ms (a dump walks
 *    the kernel's whole established hash: milliseconds on a big
 *    machine, however few sockets) and by their final records; one that
 *    opens and closes between two dumps has its final record only.
 *
 * The info line of the file says which source was used and why.
 *
 * Cost is bounded: the kernel filters events on the ports (numeric port
 * fields, up to 32 ports), each CPU's ring has a fixed size, each
 * connection at most max_records records. Whatever is dropped is
 * counted -- ring overruns (PERF_RECORD_LOST), capped records, events of
 * other namespaces -- in "lost"/"cap" lines as it happens and in the
 * stats line at the end, never silently.
 *
 * Network namespaces: tracepoints are system-wide, so on a lab whose
 * hosts are namespaces of one machine every host's recorder sees every
 * host's sockets (both ends of a connection). No tcp tracepoint carries
 * the netns (tcp_probe has no net_cookie), so a connection is attributed
 * to this host by its socket cookie appearing in this namespace's
 * inet_diag dumps or destroy broadcasts (netlink is per namespace;
 * owner "diag"), else by its local address being one of this namespace's
 * non-loopback addresses (owner "addr"), else -- a loopback connection
 * that came and went between two dumps -- it is kept as owner
 * "unknown". Connections whose local address is not this namespace's are
 * dropped and counted as foreign. The info line carries this host's
 * netns inode and cookie (SO_NETNS_COOKIE) so traces of several hosts
 * can be told apart; the socket cookie is unique machine-wide, so the two
 * ends of a connection traced on two hosts of one machine never collide.
 *
 * Use (the lead wires this into `perflab collect`/`run`):
 *
 *	struct tcptrace_opts o;
 *	struct tcptrace *t;
 *	struct tcprec_stats st;
 *
 *	tcptrace_opts_init(&o);
 *	o.path = "RUN/HOST/tcptrace.ndjson";	// must not exist
 *	o.ports = (uint16_t[]){ 5201 }; o.nports = 1;
 *	if (tcptrace_start(&t, &o))		// armed when it returns 0
 *		... the error was reported ...
 *	... the workload runs ...
 *	tcptrace_stop(t, &st);			// drains, writes stats, frees t
 *
 * The recorder runs in a thread of its own between start and stop; the
 * caller's thread is free. It is not a collector_ops collector: those
 * sample at the run's interval into NAME.ndjson and take no options,
 * while this one records continuously, to its own file, for the run's
 * ports. `perflab collect` would start it beside the others (o.path in
 * its --out-dir, o.ports from the workload's ports) and stop it when
 * they stop; tcptrace_stats() gives what a per-interval record of it
 * would hold. Needs root (CAP_SYS_ADMIN/CAP_PERFMON for
 * system-wide tracepoints, CAP_NET_ADMIN for the broadcast); without it,
 * "diag" with dumps only.
 */

enum tcptrace_source {
	TCPTRACE_AUTO,		/* tracepoints where possible, else diag */
	TCPTRACE_DIAG,		/* diag only (forced) */
};

struct tcptrace_opts {
	const char *path;	/* the trace file, created (an existing one is an error) */
	const uint16_t *ports;	/* keep connections with a local or remote port here */
	size_t nports;		/* 0: every TCP connection of the host */
	unsigned sample_ms;	/* TCP_INFO sampling interval, ms (default 100) */
	unsigned dump_ms;	/* diag only: look for new connections every, ms (default 1000) */
	unsigned max_records;	/* records per connection before the cap (default 50000) */
	unsigned max_conns;	/* connections followed; later ones counted only (200000) */
	unsigned probe_gap_us;	/* thin tcp_probe records to one per this, us (default 1000; 0 = all) */
	unsigned probe_budget;	/* tcp_probe firings a second before it is duty-cycled (20000; 0 = never) */
	unsigned ring_kb;	/* each CPU's ring buffer, KiB (default 1024) */
	enum tcptrace_source source;
	int keep_foreign;	/* keep other namespaces' connections too (owner "foreign") */
	int app_reads;		/* trace tcp_rcv_space_adjust: "reads" per sample (costly) */
	int probe_data;		/* tcp_probe for data segments too, not only ACKs (costly) */
};

/* The defaults above; path and ports unset. */
void tcptrace_opts_init(struct tcptrace_opts *o);

struct tcptrace;

/*
 * Create the trace file, write its info line, open the sources, take the
 * first TCP_INFO dump (connections already open are marked preexisting)
 * and start recording in a thread. Returns 0 with *out set, or -1 with
 * an error reported and nothing left behind but the file, if created.
 */
int tcptrace_start(struct tcptrace **out, const struct tcptrace_opts *o);

/* "tracepoints" or "diag": the source in use. */
const char *tcptrace_source(const struct tcptrace *t);

/*
 * The loss accounting so far (safe while running; a snapshot). Useful
 * for a per-interval collector record.
 */
void tcptrace_stats(struct tcptrace *t, struct tcprec_stats *out);

/*
 * Stop: drain the rings, read the last broadcasts, take a last TCP_INFO
 * dump (a sample of every connection still open), write the stats line,
 * fsync and close the file, free t. stats_out (may be NULL) gets the
 * accounting. Returns 0, or -1 if writing the file failed. NULL-safe.
 */
int tcptrace_stop(struct tcptrace *t, struct tcprec_stats *stats_out);

#endif
