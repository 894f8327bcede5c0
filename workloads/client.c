/*
 * The client role: opens connections, says what it wants in the hello,
 * moves the bytes, times the transactions and writes interval records.
 */
#include "workloads/loop.h"
#include "workloads/http.h"
#include "common/util.h"
#include "common/strbuf.h"
#include "common/timeutil.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <unistd.h>

enum client_state {
	CS_CONNECT = 1,	/* non-blocking connect in progress */
	CS_HELLO,	/* sending the hello (and a crr request payload) */
	CS_REPLY,	/* reading the server's 32-byte reply */
	CS_RX,		/* receiving: a stream, a response or a transfer */
	CS_TX,		/* sending a stream (bulk up) */
	CS_HTTP_SEND,	/* sending a GET */
	CS_HTTP_RECV,	/* reading its response */
	CS_HTTP_WAIT,	/* keep-alive: waiting for the next request's time */
	CS_DRAIN,	/* done: write side shut, reading to EOF */
	CS_TIMER,	/* not a connection: the crr burst clock */
	CS_BACKOFF,	/* not a connection: a slot waiting to reconnect */
};

#define MAX_PENDING_CONNECTS 512	/* per worker, so SYN queues keep up */
#define DRAIN_NS (2 * NSEC_PER_SEC)
#define BACKOFF_NS (10 * NSEC_PER_MSEC)

struct client {
	const struct load_client_opts *o;
	struct sockaddr_storage *addr;	/* one per port */
	socklen_t addrlen;
	int naddr;
	int mode;			/* enum proto_mode, 0 for HTTP */
	int goodput_acked;		/* goodput from bytes acked (bulk up) */
	unsigned char hello[MAX_STACKS][PROTO_HELLO_LEN];
	uint64_t conn_rate;		/* pacing per connection, bytes/s */
	uint64_t chunk_period_ns;	/* chunk: time between requests */
	char *get;			/* chunk: the request text */
	size_t get_len;
	volatile int draining;		/* stop starting work, wind down */
	volatile long started;		/* units started, for --count */
	volatile long finished;		/* units finished (ok or not) */
	int seen_once;			/* label[0] holds the server's default */
};

struct client_worker {
	long slots;		/* connections this worker keeps going */
	long active;		/* slots holding a connection or a backoff */
	long connecting;	/* connects in flight */
	long burst;		/* crr: connections per burst here */
	long burst_due;		/* crr: burst connections not yet started */
	unsigned stack_rr;	/* alternates stacks */
	unsigned port_rr;	/* spreads ports */
	struct conn clock;	/* the burst timer */
};

static struct client *cl_of(struct loop_worker *w)
{
	return w->e->role;
}

static struct client_worker *cw_of(struct loop_worker *w)
{
	return w->role;
}

static int want_count_reached(struct client *cl)
{
	return cl->o->count && __atomic_load_n(&cl->started, __ATOMIC_RELAXED) >= cl->o->count;
}

static int claim_unit(struct client *cl)
{
	if (!cl->o->count)
		return 1;
	return __atomic_add_fetch(&cl->started, 1, __ATOMIC_RELAXED) <= cl->o->count;
}

static void unit_finished(struct client *cl)
{
	__atomic_add_fetch(&cl->finished, 1, __ATOMIC_RELAXED);
}

/* Socket options the client sets on its own end before connecting. */
static int client_sockopts(struct loop_worker *w, int fd, int stack)
{
	struct loop *e = w->e;
	const struct load_client_opts *o = cl_of(w)->o;
	int one = 1;
	int receiver = o->direction != LOAD_UP;
	uint64_t buf = receiver ? o->rcvbuf : o->sndbuf;

	if (buf && setsockopt(fd, SOL_SOCKET, receiver ? SO_RCVBUF : SO_SNDBUF,
			      &(int){ (int)buf }, sizeof(int)))
		return -1;
	if (o->nodelay && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		return -1;
	if (e->stack[stack][0] && tcp_stack_set(fd, e->stack[stack]))
		return -1;
	/* the receiver delays its ACKs; an upload's receiver is the server */
	if (receiver && o->delay_ms > 0 && tcp_tx_delay_set(fd, (uint32_t)(o->delay_ms * 1000)))
		return -1;
	return 0;
}

static void slot_backoff(struct loop_worker *w)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->kind = OBJ_CONN;
	c->state = CS_BACKOFF;
	c->fd = -1;
	c->heap_idx = NO_HEAP;
	timer_set(w, c, mono_ns() + BACKOFF_NS);
}

/* A connection attempt failed before it was established. */
static void connect_failed(struct loop_worker *w, struct conn *c, int errnum)
{
	struct client_worker *cw = cw_of(w);
	int kind = err_kind_of(errnum);

	cw->connecting--;
	conn_close(w, c, kind, strerror(errnum));
	unit_finished(cl_of(w));
	if (cw->slots && kind != ERRK_RESET) {
		slot_backoff(w);	/* keeps the slot active */
		return;
	}
	cw->active--;
}

static void client_progress(struct loop_worker *w, struct conn *c);

static void connect_start(struct loop_worker *w)
{
	struct client *cl = cl_of(w);
	struct client_worker *cw = cw_of(w);
	struct loop *e = w->e;
	int stack = (int)(cw->stack_rr++ % (unsigned)e->nstacks);
	int port = (int)(cw->port_rr++ % (unsigned)cl->naddr);
	struct sockaddr *sa = (struct sockaddr *)&cl->addr[port];
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct conn *c;

	cw->active++;
	if (fd < 0) {
		static int warned;

		if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
			warning_errno("cannot create socket (counted as 'other' errors)");
		w->st[stack].err[ERRK_OTHER]++;
		slot_backoff(w);
		return;
	}
	c = conn_new(w, fd, stack);
	c->state = CS_CONNECT;
	cw->connecting++;
	if (client_sockopts(w, fd, stack)) {
		connect_failed(w, c, errno);
		return;
	}
	if (connect(fd, sa, cl->addrlen) && errno != EINPROGRESS) {
		connect_failed(w, c, errno);
		return;
	}
	if (poller_add(w->poll, fd, PE_IN | PE_OUT, c)) {
		connect_failed(w, c, errno);
		return;
	}
}

/* The connection finished its work cleanly or not; free the slot. */
static void conn_done(struct loop_worker *w, struct conn *c, int err_kind, const char *why)
{
	struct client_worker *cw = cw_of(w);

	if (c->state == CS_CONNECT)
		cw->connecting--;
	conn_close(w, c, err_kind, why);
	cw->active--;
}

static void conn_error(struct loop_worker *w, struct conn *c, int errnum)
{
	unit_finished(cl_of(w));
	conn_done(w, c, err_kind_of(errnum), strerror(errnum));
}

static void unit_start(struct loop_worker *w, struct conn *c)
{
	c->t_unit = mono_ns();
	c->off = 0;
}

static void transaction_done(struct loop_worker *w, struct conn *c)
{
	struct stats *st = &w->st[c->stack];

	st->transactions++;
	hist_add(&st->lat, mono_ns() - c->t_unit);
	unit_finished(cl_of(w));
}

static void established(struct loop_worker *w, struct conn *c)
{
	struct client *cl = cl_of(w);
	struct loop *e = w->e;
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		connect_failed(w, c, err ? err : errno);
		return;
	}
	cw_of(w)->connecting--;
	c->established = 1;
	hist_add(&w->st[c->stack].conn_lat, mono_ns() - c->t_open);
	c->state = cl->mode ? CS_HELLO : CS_HTTP_SEND;
	w->st[c->stack].opened++;
	if (e->stack[c->stack][0] && cl->mode) {
		char got[PROTO_CC_LEN];

		if (!tcp_stack_get(c->fd, got, sizeof(got)) &&
		    strcmp(got, e->stack[c->stack])) {
			unit_finished(cl);
			conn_done(w, c, ERRK_OTHER, "the socket reports another TCP stack");
			return;
		}
	}
	unit_start(w, c);
	c->t_plan = c->t_unit;
	if (!cl->mode)
		c->http = xmalloc(sizeof(struct http_resp));
}

/* Send the rest of a fixed buffer; 1 when all of it is out. */
static int send_fixed(struct loop_worker *w, struct conn *c, const void *buf, size_t len)
{
	while (c->off < len) {
		ssize_t n = send(c->fd, (const char *)buf + c->off, len - c->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			conn_error(w, c, errno);
			return -1;
		}
		c->off += (uint32_t)n;
		c->t_progress = mono_ns();
	}
	return 1;
}

static void do_hello(struct loop_worker *w, struct conn *c)
{
	struct client *cl = cl_of(w);
	uint64_t req = cl->mode == PROTO_RR ? cl->o->request_size : 0;
	int r = send_fixed(w, c, cl->hello[c->stack], PROTO_HELLO_LEN);

	if (r <= 0)
		return;
	while (c->tx < req) {
		ssize_t n = conn_send(w, c, req - c->tx, 0);

		if (n <= 0) {
			if (n < 0)
				conn_error(w, c, errno);
			return;
		}
		c->tx += (uint64_t)n;
		w->st[c->stack].bytes_tx += (uint64_t)n;
	}
	c->state = CS_REPLY;
	c->hdr_len = 0;
}

static void do_reply(struct loop_worker *w, struct conn *c)
{
	struct client *cl = cl_of(w);
	struct loop *e = w->e;
	struct proto_reply r;

	while (c->hdr_len < PROTO_REPLY_LEN) {
		ssize_t n = recv(c->fd, c->hdr + c->hdr_len, PROTO_REPLY_LEN - c->hdr_len,
				 MSG_DONTWAIT);

		if (n == 0) {
			unit_finished(cl);
			conn_done(w, c, ERRK_OTHER, "server closed before its reply");
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_error(w, c, errno);
			return;
		}
		c->hdr_len += (uint8_t)n;
		c->t_progress = mono_ns();
	}
	if (proto_reply_decode(&r, c->hdr) || r.status != PROTO_OK) {
		unit_finished(cl);
		conn_done(w, c, ERRK_OTHER, r.status == PROTO_EBADCC
			  ? "the server could not set the TCP stack" : "bad reply from server");
		return;
	}
	if (!e->stack[c->stack][0] && !__atomic_exchange_n(&cl->seen_once, 1, __ATOMIC_RELAXED))
		memcpy(e->label[c->stack], r.cc, sizeof(r.cc));
	if (e->stack[c->stack][0] && strcmp(r.cc, e->stack[c->stack])) {
		unit_finished(cl);
		conn_done(w, c, ERRK_OTHER, "the server reports another TCP stack");
		return;
	}
	if (cl->mode == PROTO_SINK) {
		c->state = CS_TX;
		c->rate = cl->conn_rate;
		c->want = cl->o->workload == LOAD_XFER ? cl->o->size : 0;
		c->upload = cl->o->workload == LOAD_XFER;
	} else {
		c->state = CS_RX;
		c->want = cl->mode == PROTO_SOURCE && cl->o->workload == LOAD_BULK
			  ? 0 : cl->o->size;
	}
}

/* Receiving: a bulk stream (want 0), a crr response or an xfer. */
static void do_rx(struct loop_worker *w, struct conn *c)
{
	struct client *cl = cl_of(w);
	struct stats *st = &w->st[c->stack];
	int streaming = cl->o->workload == LOAD_BULK;

	for (;;) {
		ssize_t n = conn_recv(w, c, streaming || !c->want ? w->e->bufsize : c->want,
				      !cl->o->recv_copy);

		if (n > 0) {
			c->rx += (uint64_t)n;
			st->bytes_rx += (uint64_t)n;
			if (!streaming && c->want) {
				c->want -= (uint64_t)n;
				if (!c->want)
					transaction_done(w, c);
			} else if (!streaming) {
				conn_done(w, c, ERRK_OTHER, "more bytes than asked for");
				return;
			}
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			conn_error(w, c, errno);
			return;
		}
		/* an upload ends when the server, having read it all, closes */
		if (c->upload) {
			transaction_done(w, c);
			conn_done(w, c, -1, NULL);
			return;
		}
		/* EOF: the server closes after a response; a stream must not end */
		if (streaming || c->want) {
			unit_finished(cl);
			conn_done(w, c, ERRK_OTHER, streaming ? "server ended the stream"
				  : "response cut short");
			return;
		}
		conn_done(w, c, -1, NULL);
		return;
	}
}

static void do_tx(struct loop_worker *w, struct conn *c)
{
	struct stats *st = &w->st[c->stack];
	int use_sf = cl_of(w)->o->sendfile;

	c->writable = 1;
	while (c->writable) {
		uint64_t allow = pace_allow(w, c, w->e->bufsize);
		ssize_t n;

		if (c->upload && allow > c->want)
			allow = c->want;
		if (!allow)
			return;
		n = conn_send(w, c, allow, use_sf);
		if (n < 0) {
			conn_error(w, c, errno);
			return;
		}
		c->tx += (uint64_t)n;
		st->bytes_tx += (uint64_t)n;
		pace_spend(c, (uint64_t)n);
		if (c->upload && !(c->want -= (uint64_t)n)) {
			/* all sent: the server reads to EOF and closes; its close is the end */
			shutdown(c->fd, SHUT_WR);
			c->state = CS_RX;
			return;
		}
	}
}

static void http_next(struct loop_worker *w, struct conn *c)
{
	struct client *cl = cl_of(w);
	uint64_t now = mono_ns(), period = cl->chunk_period_ns;
	/* requests keep to their schedule; one late does not shift the rest */
	uint64_t next = c->t_plan + period;

	if (cl->draining || !claim_unit(cl)) {
		conn_done(w, c, -1, NULL);
		return;
	}
	if (next + period < now)
		next = now;	/* more than a period behind: no burst to catch up */
	c->t_plan = next;
	c->state = CS_HTTP_SEND;
	if (period && next > now) {
		c->state = CS_HTTP_WAIT;
		c->off = 0;
		timer_set(w, c, next);
		return;
	}
	unit_start(w, c);
}

static void http_response_done(struct loop_worker *w, struct conn *c, struct http_resp *r)
{
	if (r->status < 200 || r->status > 299) {
		char why[32];

		snprintf(why, sizeof(why), "HTTP status %d", r->status);
		unit_finished(cl_of(w));
		conn_done(w, c, ERRK_OTHER, why);
		return;
	}
	transaction_done(w, c);
	if (!r->keep_alive) {
		conn_done(w, c, -1, NULL);
		return;
	}
	http_resp_init(r);
	http_next(w, c);
}

static void do_http_recv(struct loop_worker *w, struct conn *c)
{
	struct http_resp *r = c->http;
	struct stats *st = &w->st[c->stack];

	for (;;) {
		ssize_t n = conn_recv(w, c, w->e->bufsize, 0), used;
		uint64_t before = r->body_bytes;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			conn_error(w, c, errno);
			return;
		}
		if (n == 0) {
			if (http_resp_eof(r)) {
				unit_finished(cl_of(w));
				conn_done(w, c, ERRK_OTHER, r->err);
			} else {
				http_response_done(w, c, r);
			}
			return;
		}
		used = http_resp_feed(r, w->buf, (size_t)n);
		c->rx += r->body_bytes - before;
		st->bytes_rx += r->body_bytes - before;
		if (used < 0 || (used < n)) {
			unit_finished(cl_of(w));
			conn_done(w, c, ERRK_OTHER, used < 0 ? r->err
				  : "bytes after the response");
			return;
		}
		if (r->state == HTTP_DONE) {
			http_response_done(w, c, r);
			return;
		}
	}
}

static void do_drain(struct loop_worker *w, struct conn *c)
{
	for (;;) {
		ssize_t n = conn_recv(w, c, w->e->bufsize, 1);

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		conn_done(w, c, n < 0 ? err_kind_of(errno) : -1,
			  n < 0 ? strerror(errno) : NULL);
		return;
	}
}

static void client_progress(struct loop_worker *w, struct conn *c)
{
	struct client *cl = cl_of(w);
	int before;

	do {
		before = c->state;
		switch (c->state) {
		case CS_HELLO: do_hello(w, c); break;
		case CS_REPLY: do_reply(w, c); break;
		case CS_RX: do_rx(w, c); break;
		case CS_TX: do_tx(w, c); break;
		case CS_HTTP_SEND:
			if (send_fixed(w, c, cl->get, cl->get_len) == 1) {
				http_resp_init(c->http);
				c->state = CS_HTTP_RECV;
			}
			break;
		case CS_HTTP_RECV: do_http_recv(w, c); break;
		case CS_DRAIN: do_drain(w, c); break;
		default: return;
		}
		/* a closed connection went back to the free list */
	} while (c->kind == OBJ_CONN && c->state != before);
}

static void client_event(struct loop_worker *w, void *obj, unsigned events)
{
	struct conn *c = obj;

	if (c->state == CS_CONNECT) {
		if (!(events & (PE_OUT | PE_ERR)))
			return;
		established(w, c);
		if (c->kind != OBJ_CONN || c->state == CS_CONNECT)
			return;
	}
	if (c->state == CS_TX && (events & PE_IN)) {
		/* the server sends nothing after its reply: EOF or reset */
		char b[64];
		ssize_t n = recv(c->fd, b, sizeof(b), MSG_DONTWAIT);

		if (n == 0) {
			unit_finished(cl_of(w));
			conn_done(w, c, ERRK_OTHER, "server closed the stream");
			return;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			conn_error(w, c, errno);
			return;
		}
	}
	client_progress(w, c);
}

static void start_burst(struct loop_worker *w)
{
	struct client_worker *cw = cw_of(w);
	struct client *cl = cl_of(w);

	while (cw->burst_due > 0 && !cl->draining && claim_unit(cl)) {
		cw->burst_due--;
		connect_start(w);
	}
}

static int client_timer(struct loop_worker *w, struct conn *c)
{
	struct client_worker *cw = cw_of(w);

	switch (c->state) {
	case CS_TIMER:
		cw->burst_due += cw->burst;
		start_burst(w);
		if (!cl_of(w)->draining)
			timer_set(w, c, c->wake_ns +
				  (uint64_t)(cl_of(w)->o->burst_interval * 1e9));
		return 0;
	case CS_BACKOFF:
		free(c);
		cw->active--;
		return 0;
	case CS_HTTP_WAIT:
		c->state = CS_HTTP_SEND;
		c->off = 0;
		c->t_unit = mono_ns();
		break;
	case CS_DRAIN:
		conn_done(w, c, -1, NULL);	/* drained long enough */
		return 0;
	}
	client_progress(w, c);
	return 0;
}

static void client_timeout(struct loop_worker *w, struct conn *c)
{
	switch (c->state) {
	case CS_CONNECT:
		connect_failed(w, c, ETIMEDOUT);
		return;
	case CS_HELLO:
	case CS_REPLY:
	case CS_HTTP_SEND:
	case CS_HTTP_RECV:
		conn_error(w, c, ETIMEDOUT);
		return;
	case CS_RX:
		if (cl_of(w)->o->workload != LOAD_BULK) {
			conn_error(w, c, ETIMEDOUT);
			return;
		}
		break;
	}
	c->t_progress = mono_ns();	/* streams and waits have no deadline */
}

/* Wind down: no new work, shut the write side of streams and drain. */
static void drain_all(struct loop_worker *w)
{
	for (size_t i = 0; i < w->nconns; ) {
		struct conn *c = w->conns[i];

		if (c->state == CS_RX || c->state == CS_TX) {
			if (c->state == CS_RX && cl_of(w)->o->workload != LOAD_BULK) {
				i++;	/* a response in flight finishes first */
				continue;
			}
			shutdown(c->fd, SHUT_WR);
			c->state = CS_DRAIN;
			timer_set(w, c, mono_ns() + DRAIN_NS);
			do_drain(w, c);
		} else if (c->state == CS_HTTP_WAIT) {
			conn_done(w, c, -1, NULL);
		}
		if (i < w->nconns && w->conns[i] == c)
			i++;
	}
}

static void client_loop(struct loop_worker *w)
{
	struct client *cl = cl_of(w);
	struct client_worker *cw = cw_of(w);

	if (cl->draining) {
		if (cw->clock.heap_idx != NO_HEAP)
			timer_cancel(w, &cw->clock);
		drain_all(w);
		return;
	}
	if (cw->burst_due)
		start_burst(w);
	while (cw->active < cw->slots && cw->connecting < MAX_PENDING_CONNECTS &&
	       !want_count_reached(cl) && claim_unit(cl))
		connect_start(w);
}

static int resolve_addrs(struct client *cl, const char *host, long port, long nports)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	char sport[16];
	int r;

	snprintf(sport, sizeof(sport), "%ld", port);
	r = getaddrinfo(host, sport, &hints, &res);
	if (r)
		return error("cannot resolve '%s': %s", host, gai_strerror(r));
	cl->addr = xcalloc((size_t)nports, sizeof(*cl->addr));
	cl->naddr = (int)nports;
	cl->addrlen = res->ai_addrlen;
	for (long i = 0; i < nports; i++) {
		struct sockaddr_storage *a = &cl->addr[i];

		memcpy(a, res->ai_addr, res->ai_addrlen);
		if (a->ss_family == AF_INET)
			((struct sockaddr_in *)a)->sin_port = htons((uint16_t)(port + i));
		else
			((struct sockaddr_in6 *)a)->sin6_port = htons((uint16_t)(port + i));
	}
	freeaddrinfo(res);
	return 0;
}

/* Split http://host[:port]/path; host and path are allocated. */
static int parse_url(const char *url, char **host, long *port, char **path)
{
	const char *h = url + 7, *slash = strchr(h, '/'), *colon;
	size_t hlen = slash ? (size_t)(slash - h) : strlen(h);

	*port = 80;
	colon = memchr(h, ':', hlen);
	if (h[0] == '[')
		return error("IPv6 literals in URLs are not supported: '%s'", url);
	if (colon) {
		char *end;

		*port = strtol(colon + 1, &end, 10);
		if (end != h + hlen || *port < 1 || *port > 65535)
			return error("invalid port in URL '%s'", url);
		hlen = (size_t)(colon - h);
	}
	if (!hlen)
		return error("no host in URL '%s'", url);
	*host = xstrndup(h, hlen);
	*path = xstrdup(slash ? slash : "/");
	return 0;
}

/*
 * Probe each requested TCP stack on a throwaway socket: set it, read it
 * back. Without a request each end keeps its own default.
 */
static int probe_stacks(struct loop *e, const char *list)
{
	int fd, ret = 0;

	if (loop_stacks(e, list))
		return -1;
	if (!e->stack[0][0])
		return 0;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return error_errno("cannot create socket");
	for (int i = 0; i < e->nstacks && !ret; i++) {
		char got[PROTO_CC_LEN];

		if (tcp_stack_set(fd, e->stack[i]))
			ret = error_errno("TCP stack '%s' is not available", e->stack[i]);
		else if (tcp_stack_get(fd, got, sizeof(got)) || strcmp(got, e->stack[i]))
			ret = error("TCP stack '%s' was set but the socket reports '%s'",
				    e->stack[i], got);
	}
	close(fd);
	return ret;
}

static int setup_requests(struct loop *e, struct client *cl)
{
	const struct load_client_opts *o = cl->o;
	char *host = NULL, *path = NULL;
	long port = o->port;
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if (o->workload != LOAD_CHUNK)
		return resolve_addrs(cl, o->host, o->port, o->ports);
	if (o->url && *o->url) {
		if (parse_url(o->url, &host, &port, &path))
			return -1;
	} else {
		host = xstrdup(o->host);
		path = xasprintf("/bytes/%llu", (unsigned long long)o->size);
	}
	strbuf_addf(&sb, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: perflab\r\n\r\n",
		    path, host);
	cl->get_len = sb.len;
	cl->get = strbuf_detach(&sb, NULL);
	ret = resolve_addrs(cl, host, port, o->url && *o->url ? 1 : o->ports);
	free(host);
	free(path);
	return ret;
}

static void setup_hello(struct loop *e, struct client *cl)
{
	const struct load_client_opts *o = cl->o;
	struct proto_hello h = { 0 };
	int up = o->direction == LOAD_UP;

	h.mode = (uint8_t)cl->mode;
	h.flags = (o->nodelay ? PROTO_F_NODELAY : 0) |
		  (o->workload == LOAD_XFER ? PROTO_F_CLOSE : 0) |
		  (o->sendfile ? PROTO_F_SENDFILE : 0);
	h.bytes = o->workload == LOAD_BULK ? 0 : o->size;
	h.req_bytes = (uint32_t)(o->workload == LOAD_CRR ? o->request_size : 0);
	h.sndbuf = up ? 0 : (uint32_t)o->sndbuf;
	h.rcvbuf = up ? (uint32_t)o->rcvbuf : 0;
	h.tx_delay_us = up ? (uint32_t)(o->delay_ms * 1000) : 0;
	h.rate = up ? 0 : cl->conn_rate;
	for (int s = 0; s < e->nstacks; s++) {
		strcpy(h.cc, e->stack[s]);
		proto_hello_encode(&h, cl->hello[s]);
	}
}

static int client_setup(struct loop *e, struct client *cl)
{
	const struct load_client_opts *o = cl->o;
	static const int modes[] = { PROTO_SOURCE, PROTO_RR, PROTO_SOURCE, 0 };

	cl->mode = modes[o->workload];
	if (o->direction == LOAD_UP)
		cl->mode = PROTO_SINK;
	cl->goodput_acked = cl->mode == PROTO_SINK;
	cl->conn_rate = (uint64_t)(o->rate / 8 / (double)o->connections);
	if (o->rate && !cl->conn_rate)
		cl->conn_rate = 1;
	if (o->workload == LOAD_CHUNK && o->rate)
		cl->chunk_period_ns = (uint64_t)((double)o->size * 8 * (double)o->connections /
						 o->rate * 1e9);
	if (probe_stacks(e, o->cc))
		return -1;
	if (setup_requests(e, cl))
		return -1;
	setup_hello(e, cl);
	if (o->sendfile && loop_memfd(e, 4 << 20))
		return -1;
	return 0;
}

static void workers_setup(struct loop *e, struct client *cl)
{
	const struct load_client_opts *o = cl->o;

	for (int i = 0; i < e->nworkers; i++) {
		struct client_worker *cw = xcalloc(1, sizeof(*cw));
		long n = e->nworkers;

		cw->clock.kind = OBJ_CONN;
		cw->clock.state = CS_TIMER;
		cw->clock.fd = -1;
		cw->clock.heap_idx = NO_HEAP;
		cw->stack_rr = (unsigned)i;
		if (o->burst) {
			cw->burst = o->burst / n + (i < o->burst % n);
			timer_set(&e->w[i], &cw->clock, e->t0);
		} else {
			cw->slots = o->connections / n + (i < o->connections % n);
		}
		e->w[i].role = cw;
	}
}

/*
 * Raise the open-file limit to fit the connections (as root, lift the
 * hard limit too). Refuses when they cannot fit, rather than failing
 * connection by connection.
 */
static int raise_fd_limit(long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return error_errno("cannot read the open-file limit");
	if ((rlim_t)need > rl.rlim_max && is_root()) {
		struct rlimit want = { (rlim_t)need, (rlim_t)need };

		if (!setrlimit(RLIMIT_NOFILE, &want))
			return 0;
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if ((rlim_t)need > rl.rlim_cur)
		return error("%ld connections need %ld open files, but the limit is %llu "
			     "(raise it, or spread the connections over several clients)",
			     need - 64, need, (unsigned long long)rl.rlim_cur);
	return 0;
}

static json_t *interval_record(struct loop *e, struct client *cl,
			       const struct snap *now, const struct snap *prev,
			       uint64_t t_prev, uint64_t t_now, const char *type)
{
	double dt = (double)(t_now - t_prev) / 1e9;
	json_t *rec = snap_interval_json(e, now, prev, dt, cl->goodput_acked);

	json_set_str(rec, "type", type);
	json_set_str(rec, "role", "client");
	json_set_str(rec, "workload", load_workload_names[cl->o->workload]);
	json_set_num(rec, "t_s", (double)(t_now - e->t0) / 1e9);
	json_set_num(rec, "t_mono_s", (double)t_now / 1e9);
	return rec;
}

static json_t *stack_names(struct loop *e, struct client *cl)
{
	json_t *a = json_array();

	for (int s = 0; s < e->nstacks; s++) {
		const char *name = e->label[s];

		json_array_append_new(a, name[0] ? json_string(name) : json_null());
	}
	return a;
}

/*
 * The measured window's histograms in full, so the runs of several
 * clients (or several runs) can be pooled exactly later.
 */
static void summary_hists(json_t *rec, struct loop *e, const struct snap *now,
			  const struct snap *meas)
{
	struct hist *lat = xmalloc(2 * sizeof(*lat)), *d = lat + 1;
	struct hist *con = xmalloc(2 * sizeof(*con)), *dc = con + 1;

	hist_init(lat);
	hist_init(con);
	for (int s = 0; s < e->nstacks; s++) {
		hist_diff(d, &now->s[s].lat, &meas->s[s].lat);
		hist_merge(lat, d);
		hist_diff(dc, &now->s[s].conn_lat, &meas->s[s].conn_lat);
		hist_merge(con, dc);
	}
	json_set(rec, "latency_hist_ns", hist_to_json(lat));
	json_set(rec, "connect_hist_ns", hist_to_json(con));
	free(lat);
	free(con);
}

/*
 * --delay-ms relies on TCP_TX_DELAY, which only delays packets where the
 * egress qdisc honours departure times (fq). The handshake shows whether
 * it did: connect() takes at least the added delay when it works.
 */
static json_t *delay_check(struct loop *e, struct client *cl, const struct snap *now)
{
	uint64_t fastest = UINT64_MAX;

	if (cl->o->delay_ms <= 0)
		return json_null();
	for (int s = 0; s < e->nstacks; s++)
		if (now->s[s].conn_lat.n && now->s[s].conn_lat.min < fastest)
			fastest = now->s[s].conn_lat.min;
	if (fastest == UINT64_MAX)
		return json_null();
	if ((double)fastest >= cl->o->delay_ms * 1e6 / 2)
		return json_true();
	warning("--delay-ms %g had no effect: connect() took %.3f ms; TCP_TX_DELAY needs "
		"an egress qdisc that honours departure times (fq), which this host lacks",
		cl->o->delay_ms, (double)fastest / 1e6);
	return json_false();
}

/*
 * The reporter: snapshot at every interval boundary and at the end of
 * the warmup, write interval records, then the summary of the measured
 * part. Returns 1 when interrupted by a signal.
 */
static int report_loop(struct loop *e, struct client *cl)
{
	const struct load_client_opts *o = cl->o;
	uint64_t step = (uint64_t)(o->interval * 1e9);
	uint64_t t_warm = e->t0 + (uint64_t)(o->warmup * 1e9);
	uint64_t t_end = t_warm + (uint64_t)(o->duration * 1e9);
	uint64_t t_prev = e->t0, t_meas = t_warm, next = e->t0 + step;
	struct snap *prev = xcalloc(3, sizeof(*prev)), *now = prev + 1, *meas = prev + 2;
	sigset_t sigs;
	int interrupted = 0;
	json_t *rec;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	snap_init(prev);
	snap_init(meas);
	for (;;) {
		uint64_t t = next;
		int last;

		if (t_warm > t_prev && t_warm < t)
			t = t_warm;
		if (t > t_end)
			t = t_end;
		while (mono_ns() < t && !interrupted) {
			uint64_t left = t - mono_ns();
			struct timespec ts = { (time_t)(left / NSEC_PER_SEC),
					       (long)(left % NSEC_PER_SEC) };

			if (left > 50 * NSEC_PER_MSEC && o->count &&
			    __atomic_load_n(&cl->finished, __ATOMIC_RELAXED) >= o->count)
				break;
			if (left > 50 * NSEC_PER_MSEC)
				ts = (struct timespec){ 0, 50 * NSEC_PER_MSEC };
			if (sigtimedwait(&sigs, NULL, &ts) > 0)
				interrupted = 1;
		}
		t = mono_ns() < t ? mono_ns() : t;
		last = interrupted || t >= t_end ||
		       (o->count && __atomic_load_n(&cl->finished, __ATOMIC_RELAXED) >= o->count);
		loop_snapshot(e, now);
		rec = interval_record(e, cl, now, prev, t_prev, t, "interval");
		json_set_str(rec, "phase", t <= t_warm && t_warm > e->t0 ? "warmup" : "measure");
		loop_emit(e, rec);
		json_decref(rec);
		if (t == t_warm && t_warm > e->t0) {
			*meas = *now;
			t_meas = t;
		}
		*prev = *now;
		t_prev = t;
		if (t >= next)
			next += step;
		if (last)
			break;
	}
	rec = interval_record(e, cl, now, meas, t_meas, t_prev, "summary");
	summary_hists(rec, e, now, meas);
	json_set_num(rec, "duration_s", (double)(t_prev - t_meas) / 1e9);
	json_set_num(rec, "warmup_s", (double)(t_meas - e->t0) / 1e9);
	json_set_str(rec, "goodput_from", cl->goodput_acked ? "bytes_acked" : "bytes_read");
	json_set(rec, "stack_names", stack_names(e, cl));
	json_set(rec, "interrupted", json_boolean(interrupted));
	json_set(rec, "delay_effective", delay_check(e, cl, now));
	json_set_int(rec, "connections", o->connections);
	json_set_int(rec, "threads", e->nworkers);
	json_set_num(rec, "size_bytes", o->workload == LOAD_BULK ? NAN : (double)o->size);
	loop_emit(e, rec);
	json_decref(rec);
	free(prev);
	return interrupted;
}

/* Let connections finish and drain for up to DRAIN_NS + a little. */
static void wind_down(struct loop *e, struct client *cl)
{
	uint64_t deadline = mono_ns() + DRAIN_NS + 500 * NSEC_PER_MSEC;

	cl->draining = 1;
	for (int i = 0; i < e->nworkers; i++)
		if (write(e->w[i].wake_wr, "d", 1) < 0 && errno != EAGAIN)
			warning_errno("cannot wake worker");
	while (mono_ns() < deadline) {
		size_t open = 0;

		for (int i = 0; i < e->nworkers; i++)
			open += __atomic_load_n(&e->w[i].nconns, __ATOMIC_RELAXED);
		if (!open)
			break;
		sleep_ns(10 * NSEC_PER_MSEC);
	}
}

int load_client_run(const struct load_client_opts *o)
{
	struct loop e;
	struct client cl = { .o = o };
	sigset_t sigs, old;
	int ret = -1;

	if (raise_fd_limit(o->connections + 64))
		return -1;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	if (loop_init(&e, (int)o->threads, (size_t)o->bufsize, o->out,
			o->records == LOAD_REC_ALL ||
			(o->records == LOAD_REC_AUTO && o->workload != LOAD_CRR)))
		goto done;
	e.is_client = 1;
	e.role = &cl;
	e.timeout_ns = (uint64_t)(o->timeout * 1e9);
	e.on_event = client_event;
	e.on_timer = client_timer;
	e.on_loop = client_loop;
	e.on_timeout = client_timeout;
	if (client_setup(&e, &cl))
		goto done;
	e.t0 = mono_ns();
	if (o->start_at > 0) {
		uint64_t at = (uint64_t)(o->start_at * 1e9);

		if (at < e.t0)
			warning("start time passed %.3f s ago; starting now",
				(double)(e.t0 - at) / 1e9);
		else
			sleep_until_ns(at);
		e.t0 = at > e.t0 ? at : e.t0;
	}
	workers_setup(&e, &cl);
	if (loop_start(&e))
		goto done;
	ret = report_loop(&e, &cl) ? 1 : 0;
	wind_down(&e, &cl);
	loop_join(&e);
done:
	loop_join(&e);
	for (int i = 0; e.w && i < e.nworkers; i++) {
		struct client_worker *cw = e.w[i].role;

		if (cw && cw->clock.heap_idx != NO_HEAP)
			timer_cancel(&e.w[i], &cw->clock);
		/* free backoff timers still queued */
		for (size_t k = 0; k < e.w[i].timers.nr; ) {
			struct conn *c = e.w[i].timers.v[k];

			if (c->state == CS_BACKOFF) {
				timer_cancel(&e.w[i], c);
				free(c);
			} else {
				k++;
			}
		}
		free(cw);
		e.w[i].role = NULL;
	}
	loop_release(&e);
	free(cl.addr);
	free(cl.get);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}
