#ifndef REPORTS_TCONN_H
#define REPORTS_TCONN_H

#include "collectors/tcpcheck.h"
#include "collectors/tcprec.h"

#include <stddef.h>
#include <stdio.h>

/*
 * A run's TCP traces for people: the connections each host recorded with
 * the checks that flagged them, and one connection's timeline (what
 * `perflab trace` prints and `perflab plot trace-conn` draws).
 *
 * A run directory holds a trace per host: RUN/tcptrace.ndjson for a run
 * on this machine alone, RUN/hosts/NAME/tcptrace.ndjson in a lab. A
 * connection is named HOST:ID (ids are per trace), or ID alone when the
 * run has one trace.
 */
struct tconn_host {
	char *name;			/* the host ("local" for a run alone) */
	char *path;			/* its trace file */
	struct tcprec_file f;		/* read when ok */
	int ok;				/* the trace could be read */
};

struct tconn_run {
	char *dir;
	struct tconn_host *host;
	size_t nr;
	struct tcpcheck_thresholds th;	/* the run's (run.json run_params.checks) */
};

/*
 * Find and read the traces of a run. A trace that cannot be read is
 * reported (file:line) and kept with ok = 0; -1 when the run has no
 * trace at all (it was not recorded: --collectors ...,tcptrace).
 */
int tconn_run_load(struct tconn_run *out, const char *dir);
void tconn_run_release(struct tconn_run *r);

/*
 * "HOST:ID" or "ID" to a host and connection of r; -1 (reported) when
 * there is no such connection, or ID alone is ambiguous.
 */
int tconn_find(const struct tconn_run *r, const char *name, const struct tconn_host **host,
	       const struct tcprec_conn **conn);

/* The rules that flagged c, comma-separated, "" none: into buf. */
void tconn_flags(char *buf, size_t len, const struct tconn_run *r, const struct tconn_host *h,
		 const struct tcprec_conn *c);

/* Every connection of every host: id, addresses, cc, records, flags. */
void tconn_list(FILE *out, const struct tconn_run *r);

/*
 * One connection's state at each of its records, in time order. A value
 * the record does not carry is the last one known (NaN before any);
 * "what" names what the record was.
 */
struct tconn_row {
	double t;		/* seconds since the connection was first seen */
	const char *what;	/* "probe", "sample", "retrans", "rst_tx" ... */
	double cwnd;		/* segments */
	double in_flight;	/* segments (a probe's snd_nxt - snd_una over the MSS) */
	double snd_wnd;		/* the peer's window, bytes */
	double rcv_wnd;		/* our window, bytes */
	double srtt_ms;		/* smoothed RTT, milliseconds */
	double retrans;		/* segments retransmitted so far */
};

/* The rows of c; the caller frees *out. Returns their number. */
size_t tconn_timeline(struct tconn_row **out, const struct tcprec_file *f,
		      const struct tcprec_conn *c);

/* The timeline as a table (perflab trace RUN CONN). */
void tconn_print(FILE *out, const struct tconn_run *r, const struct tconn_host *h,
		 const struct tcprec_conn *c);

#endif
