#ifndef WORKLOADS_LOOP_H
#define WORKLOADS_LOOP_H

/*
 * The load loop's insides, shared by client.c and server.c: worker
 * threads each with a poller, their connections, a timer heap and
 * cumulative counters; a reporter (the main thread) that asks every
 * worker for a snapshot at each interval boundary and writes the
 * difference as one JSON line.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/hist.h"
#include "common/json.h"
#include "workloads/load.h"
#include "workloads/poller.h"
#include "workloads/proto.h"
#include "workloads/tcpstat.h"

#define MAX_STACKS 4	/* the client compares 2; a server may see more */
#define NO_HEAP UINT32_MAX

enum err_kind { ERRK_REFUSED, ERRK_RESET, ERRK_TIMEOUT, ERRK_OTHER, ERRK_N };
extern const char *const err_kind_names[ERRK_N];

enum obj_kind { OBJ_CONN = 1, OBJ_LISTEN, OBJ_WAKE };

/* Cumulative counters of one stack in one worker; only it writes them. */
struct stats {
	uint64_t bytes_rx;	/* payload bytes read */
	uint64_t bytes_tx;	/* payload bytes written */
	uint64_t opened;	/* connections established */
	uint64_t closed;	/* connections finished, cleanly or not */
	uint64_t transactions;	/* requests answered, transfers completed */
	uint64_t err[ERRK_N];	/* failures by kind */
	struct tcp_acc tcp_closed; /* final TCP_INFO of closed connections */
	struct hist lat;	/* transaction latency, nanoseconds */
	struct hist conn_lat;	/* connect() to established, nanoseconds */
};

/* What a worker publishes at a tick (or all workers, summed). */
struct snap {
	struct stats s[MAX_STACKS];
	struct tcp_acc tcp_open[MAX_STACKS]; /* TCP_INFO of open connections */
	uint64_t open[MAX_STACKS];	/* connections open now */
};

struct conn {
	uint8_t kind;		/* OBJ_CONN */
	uint8_t state;		/* role-specific state */
	uint8_t stack;		/* index into loop's stacks */
	uint8_t writable;	/* the last write did not hit EAGAIN */
	uint8_t mode;		/* enum proto_mode, or 0 for HTTP */
	uint8_t flags;		/* PROTO_F_* in effect */
	uint8_t hdr_len;	/* bytes of hdr in use */
	uint8_t established;	/* the handshake completed */
	uint8_t queued;		/* in the worker's ready list */
	uint8_t upload;		/* xfer up: sent all, the server's close ends the transfer */
	int fd;
	uint32_t slot;		/* index in the worker's conns[] */
	uint32_t heap_idx;	/* index in the timer heap, or NO_HEAP */
	uint64_t id;		/* unique within the process */
	uint64_t t_open;	/* ns: connect started / accepted */
	uint64_t t_unit;	/* ns: current request or transfer started */
	uint64_t t_progress;	/* ns: last byte moved (for timeouts) */
	uint64_t t_plan;	/* ns: when the current request was due (pacing) */
	uint64_t wake_ns;	/* ns: timer deadline when in the heap */
	uint64_t want;		/* bytes left in the current unit, 0 = stream */
	uint64_t rx, tx;	/* payload bytes over the connection's life */
	uint64_t rate;		/* pacing, bytes/s, 0 = none */
	uint64_t t_tokens;	/* ns of the last token refill */
	int64_t tokens;		/* pacing credit, bytes */
	uint64_t file_off;	/* sendfile offset in the loop's memfd */
	void *http;		/* chunk client: struct http_resp */
	char *req;		/* HTTP server: request head being read */
	uint32_t req_len;	/* bytes in req */
	uint32_t off;		/* bytes of a header or request sent so far */
	unsigned char hdr[PROTO_HELLO_LEN]; /* hello/reply in flight */
};

struct heap {
	struct conn **v;
	size_t nr, alloc;
};

struct loop;

struct loop_worker {
	uint8_t wake_kind;	/* OBJ_WAKE: its pipe in the poller */
	struct loop *e;
	int idx;
	pthread_t thread;
	struct poller *poll;
	int wake_rd, wake_wr;
	struct conn **conns;	/* open connections */
	size_t nconns, alloc;
	struct conn *free_list;	/* recycled conn structs (via http ptr) */
	struct heap timers;
	struct conn **ready;	/* conns that yielded with work left */
	size_t nready, ready_alloc;
	int budget;		/* socket calls left before the current conn yields */
	char *buf;		/* send/receive buffer, bufsize bytes */
	struct stats st[MAX_STACKS];
	unsigned seen_tick;
	struct snap snap;	/* published under e->mu */
	uint64_t next_id;
	uint64_t next_sweep;	/* ns: next timeout sweep */
	void *role;		/* client.c / server.c per-worker state */
};

struct loop {
	int is_client;
	int nworkers;
	struct loop_worker *w;
	volatile unsigned tick;	/* bumped by the reporter */
	int published;		/* workers done with this tick */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	volatile int stop;	/* workers leave their loops */
	int nstacks;
	char stack[MAX_STACKS][PROTO_CC_LEN];	/* asked for, "" = default */
	char label[MAX_STACKS][PROTO_CC_LEN];	/* as the sockets report it */
	int records;		/* write "conn" records */
	uint64_t record_min_ns;	/* ... for connections that lived this long */
	struct ndjson out;
	pthread_mutex_t out_mu;
	size_t bufsize;
	int memfd;		/* sendfile source, -1 = none */
	uint64_t memfd_size;
	uint64_t timeout_ns;	/* no progress for this long: timeout */
	uint64_t t0;		/* ns: start of the run */
	void *role;		/* client.c / server.c shared state */
	int (*on_timer)(struct loop_worker *w, struct conn *c);
	void (*on_event)(struct loop_worker *w, void *obj, unsigned events);
	void (*on_loop)(struct loop_worker *w);	/* after each batch of events */
	void (*on_timeout)(struct loop_worker *w, struct conn *c);
};

int loop_init(struct loop *e, int nworkers, size_t bufsize, const char *out,
		int records);
/* Start the worker threads (all signals blocked in them). */
int loop_start(struct loop *e);
/* Stop the workers and join them. */
void loop_join(struct loop *e);
void loop_release(struct loop *e);
/* An empty snapshot (the state at the start). */
void snap_init(struct snap *s);
/* Ask every worker for a snapshot and sum them into out. */
void loop_snapshot(struct loop *e, struct snap *out);
/* Write one record (thread-safe). Steals nothing. */
void loop_emit(struct loop *e, const json_t *rec);
/* A sendfile source of at least size bytes (memfd, pattern-filled). */
int loop_memfd(struct loop *e, uint64_t size);

/*
 * The JSON of an interval between two snapshots. goodput_acked takes
 * goodput from bytes the peer acknowledged (a sending client) instead of
 * bytes read.
 */
json_t *snap_interval_json(const struct loop *e, const struct snap *now,
			   const struct snap *prev, double dt, int goodput_acked);

/* Connections, owned by a worker. */
struct conn *conn_new(struct loop_worker *w, int fd, int stack);
/* Final TCP_INFO into the stats, a record if wanted, close, recycle. */
void conn_close(struct loop_worker *w, struct conn *c, int err_kind, const char *why);
void conn_record(struct loop_worker *w, struct conn *c, const struct tcp_sample *ts,
		 const char *error_kind, const char *why);
/* Classify an errno from a socket operation. */
int err_kind_of(int errnum);

/* The timer heap, keyed by conn->wake_ns. */
void timer_set(struct loop_worker *w, struct conn *c, uint64_t when);
void timer_cancel(struct loop_worker *w, struct conn *c);

/*
 * Pacing: how many bytes c may send now (at most max), refilling its
 * tokens at c->rate. Returns 0 and arms the timer when it must wait.
 */
uint64_t pace_allow(struct loop_worker *w, struct conn *c, uint64_t max);
void pace_spend(struct conn *c, uint64_t bytes);

/*
 * Send up to max bytes from the worker's buffer or the memfd. Returns
 * bytes sent, 0 on EAGAIN (c->writable cleared), -1 with errno on error.
 * A connection that used up its budget of socket calls for this turn
 * also gets 0 (or EAGAIN from conn_recv) and is queued to continue on
 * the next loop, so one fast flow cannot starve the others or the
 * interval snapshots.
 */
ssize_t conn_send(struct loop_worker *w, struct conn *c, uint64_t max, int use_sendfile);
/*
 * Read into the worker's buffer; with discard, let the kernel drop the
 * bytes without copying them out (MSG_TRUNC: a load generator's sink
 * needs only the count). Returns bytes read, 0 on EOF, -1 with errno
 * (EAGAIN too).
 */
ssize_t conn_recv(struct loop_worker *w, struct conn *c, size_t max, int discard);

/* Parse "cubic,bbr" into the loop's stack list, probing each. */
int loop_stacks(struct loop *e, const char *list);

#endif
