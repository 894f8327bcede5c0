#ifndef COLLECTORS_TCPPERF_H
#define COLLECTORS_TCPPERF_H

#include "collectors/tcpdiag.h"
#include "collectors/tcprec.h"
#include "collectors/tcptp.h"

#include <stddef.h>
#include <stdint.h>

struct json_t;
struct pollfd;

/*
 * The tcp:* tracepoints through perf_event_open (PERF_TYPE_TRACEPOINT),
 * one ring buffer per CPU that every event of that CPU writes into
 * (PERF_EVENT_IOC_SET_OUTPUT), timestamps on CLOCK_MONOTONIC, an
 * in-kernel filter on the ports where the event has numeric port fields.
 * Each raw record is decoded with the offsets of its format file.
 */

/* tcp_rcv_space_adjust: not a record of its own, an application read. */
#define TCPPERF_READ TCPREC_NKINDS

/* One decoded event. */
struct tcpperf_ev {
	uint64_t t_ns;		/* CLOCK_MONOTONIC */
	int kind;		/* enum tcprec_kind, or TCPPERF_READ */
	uint64_t cookie;	/* socket cookie, 0 when the event has none */
	uint64_t skaddr;	/* the kernel's struct sock address, 0 when none */
	int family;		/* AF_INET, AF_INET6, 0 when unknown */
	struct tcpdiag_addr laddr, raddr;
	uint16_t lport, rport;	/* host order; local is the socket's own side */
	uint64_t have;		/* fields of v present */
	int64_t v[TCPREC_NFIELDS];
};

/* An event definition: which tracepoint, its fields resolved from its format. */
struct tcpperf_def;

/*
 * The definition of tracepoint tcp:NAME from its parsed format; NULL when
 * NAME is not one this recorder knows or its format lacks the fields it
 * needs (an error says which).
 */
struct tcpperf_def *tcpperf_def_new(const char *name, const struct tp_format *fmt);
void tcpperf_def_free(struct tcpperf_def *d);
/* Decode a raw record (as PERF_SAMPLE_RAW carries it). 0, or -1 if too short. */
int tcpperf_def_decode(const struct tcpperf_def *d, const unsigned char *raw, size_t len,
		       uint64_t t_ns, struct tcpperf_ev *out);

/* The tracepoints read, in order; optional ones may be missing. */
struct tcpperf_want {
	const char *name;	/* "tcp_probe" */
	int optional;		/* 1: a kernel without it still traces; 2: only when asked */
};
extern const struct tcpperf_want tcpperf_events[];
extern const size_t tcpperf_nevents;

struct tcpperf;

/*
 * Open every tracepoint this kernel has, on every online CPU, with rings
 * of ring_kb KiB per CPU; ports (nports of them, 0 = all) become the
 * in-kernel filter. tcp_rcv_space_adjust (an application read: no state,
 * and on a bulk receiver more events than tcp_probe) only with app_reads.
 * tcp_probe for segments without data (the ACKs: a sender's state) only,
 * unless probe_data. info gets "kernel_filters" ({event: filter}). info gets "tracepoints" (opened) and "missing"
 * ({name: why}). Events start disabled. Returns 0, or -1 when not even
 * tcp_probe can be opened (*why says why).
 */
int tcpperf_open(struct tcpperf **out, const uint16_t *ports, size_t nports,
		 unsigned ring_kb, int app_reads, int probe_data, struct json_t *info,
		 const char **why);
int tcpperf_enable(struct tcpperf *p);
/*
 * Switch tcp_probe alone off or on again. Off, the tracepoint costs next
 * to nothing (no perf event on the CPU's list: it returns before
 * building its record); on, it costs on every segment of every socket,
 * filtered or not. 0 or -1.
 */
int tcpperf_probe_enable(struct tcpperf *p, int on);
/* How many times tcp_probe fired, on any socket, while on (cumulative). */
uint64_t tcpperf_probe_fires(const struct tcpperf *p);
/* The ring fds to poll (POLLIN at the watermark); returns how many were set. */
int tcpperf_pollfds(const struct tcpperf *p, struct pollfd *fds, int max);

/*
 * Drain every ring: fn for each event, in ring order (per CPU); lost
 * events and PERF_RECORD_LOST/THROTTLE records are added to st.
 */
typedef void (*tcpperf_fn)(const struct tcpperf_ev *ev, void *data);
void tcpperf_drain(struct tcpperf *p, tcpperf_fn fn, void *data, struct tcprec_stats *st);
void tcpperf_free(struct tcpperf *p);

#endif
