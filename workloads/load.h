#ifndef WORKLOADS_LOAD_H
#define WORKLOADS_LOAD_H

#include <stdint.h>

#include "common/opt.h"

/*
 * The traffic generator: `perflab load server` and `perflab load client`
 * are one event loop (epoll, kqueue on FreeBSD) in two roles.
 * The client says per connection what it wants (see proto.h); the server
 * needs no workload options of its own. Both write JSON lines: one
 * "interval" record per interval, "conn" records for connections, and a
 * final "summary".
 */
enum load_workload { LOAD_BULK, LOAD_CRR, LOAD_XFER, LOAD_CHUNK };
enum load_direction { LOAD_DOWN, LOAD_UP };	/* down: the server sends */
enum load_records { LOAD_REC_AUTO, LOAD_REC_ALL, LOAD_REC_NONE };

extern const char *const load_workload_names[];

struct load_client_opts {
	int workload;		/* enum load_workload */
	char *host;		/* server address or name */
	long port;		/* first server port */
	long ports;		/* spread connections over this many ports */
	long threads;		/* 0 = min(connections, online CPUs) */
	long connections;	/* concurrent connections (crr, xfer: slots) */
	int direction;		/* enum load_direction (bulk, xfer) */
	uint64_t bufsize;	/* bytes per send/recv call */
	uint64_t sndbuf;	/* SO_SNDBUF of the sender, 0 = autotuning */
	uint64_t rcvbuf;	/* SO_RCVBUF of the receiver, 0 = autotuning */
	int nodelay;		/* TCP_NODELAY on both ends */
	int sendfile;		/* the sender uses sendfile(2), no user copies */
	int recv_copy;		/* the client copies what it receives (else discards) */
	double rate;		/* total send rate, bits/s, 0 = unlimited */
	double delay_ms;	/* added RTT, ms (TCP_TX_DELAY on the receiving side) */
	uint64_t size;		/* bytes per transfer/response/chunk, 0 = default */
	uint64_t request_size;	/* crr: request payload bytes after the hello */
	long burst;		/* crr: connections opened at once, 0 = steady */
	double burst_interval;	/* crr: seconds between bursts */
	char *cc;		/* "cubic" or "cubic,bbr": split connections */
	char *url;		/* chunk: http://host[:port]/path */
	double duration;	/* measured seconds after warmup */
	double warmup;		/* seconds before measuring */
	double interval;	/* seconds per interval record */
	double timeout;		/* seconds without progress before giving up */
	long count;		/* xfer/crr: stop after this many, 0 = duration */
	int records;		/* enum load_records: per-connection records */
	char *out;		/* JSON-lines output, "-" = standard output */
	double start_at;	/* CLOCK_MONOTONIC second to start at, 0 = now */
};

struct load_server_opts {
	char *host;		/* bind address */
	long port;		/* first port; 0 = any (then ports must be 1) */
	long ports;		/* listen on this many consecutive ports */
	long threads;		/* 0 = online CPUs */
	long backlog;		/* listen queue length, 0 = the system's maximum */
	long accept_rate;	/* accepts per second at most, 0 = unlimited */
	double interval;	/* seconds per interval record */
	double duration;	/* stop after this long, 0 = until SIGTERM/SIGINT */
	int records;		/* enum load_records */
	char *out;		/* JSON-lines output, "-" = standard output */
	long ready_fd;		/* write "port\n" here once listening, -1 = none */
	int stop_on_eof;	/* stop when standard input ends (a remote controller) */
};

extern const struct opt load_client_table[];
extern const struct opt load_server_table[];

/* Fill defaults that depend on other options and check combinations. */
int load_client_resolve(struct load_client_opts *o);
/* Run the client to the end of warmup + duration. 0, or -1 on failure. */
int load_client_run(const struct load_client_opts *o);
/* Run the server until signalled or its duration ends. */
int load_server_run(const struct load_server_opts *o);

#endif
