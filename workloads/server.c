/*
 * The server role: accepts, reads each connection's hello (or an HTTP
 * request), applies the socket options it asks for and plays its part.
 */
#include "workloads/loop.h"
#include "workloads/http.h"
#include "common/util.h"
#include "common/strbuf.h"
#include "common/timeutil.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <unistd.h>

enum server_state {
	SS_HELLO = 1,	/* reading the hello (or the start of a GET) */
	SS_REQ,		/* crr: reading the request payload */
	SS_REPLY,	/* sending the 32-byte reply */
	SS_SINK,	/* reading until the client closes */
	SS_SEND,	/* sending a stream, a response or a transfer */
	SS_HTTP_REQ,	/* reading an HTTP request head */
	SS_HTTP_HEAD,	/* sending the response head */
	SS_HTTP_BODY,	/* sending the body with sendfile */
};

#define HELLO_TIMEOUT_NS (60 * NSEC_PER_SEC)
#define REQ_MAX 8192
#define SOURCE_SIZE (4 << 20)

struct listener {
	uint8_t kind;	/* OBJ_LISTEN */
	int fd;
};

struct server {
	const struct load_server_opts *o;
	pthread_mutex_t mu;	/* adding a stack name */
	int port;		/* the first port, as bound */
};

struct server_worker {
	struct listener *ls;
	int nls;
	struct conn clock;	/* --accept-rate: when accepting resumes */
	double tokens;		/* accepts allowed now */
	uint64_t t_tokens;	/* ns of the last refill */
	int paused;		/* out of tokens: listeners wait for the clock */
};

#define SS_CLOCK 100	/* state of the accept-rate clock (not a connection) */

static struct server *sv_of(struct loop_worker *w)
{
	return w->e->role;
}

/* The stats slot of a stack name, adding it on first sight. */
static int stack_index(struct loop_worker *w, const char *name)
{
	struct loop *e = w->e;
	struct server *sv = sv_of(w);
	int i;

	pthread_mutex_lock(&sv->mu);
	for (i = 0; i < e->nstacks; i++)
		if (!strcmp(e->stack[i], name))
			break;
	if (i == e->nstacks && i < MAX_STACKS) {
		strcpy(e->stack[i], name);
		strcpy(e->label[i], name);
		__atomic_store_n(&e->nstacks, i + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&sv->mu);
	return i < MAX_STACKS ? i : MAX_STACKS - 1;
}

static void serve_close(struct loop_worker *w, struct conn *c, int errnum)
{
	conn_close(w, c, errnum ? err_kind_of(errnum) : -1,
		   errnum ? strerror(errnum) : NULL);
}

static void bad_peer(struct loop_worker *w, struct conn *c, const char *why)
{
	conn_close(w, c, ERRK_OTHER, why);
}

static void set_stack_slot(struct loop_worker *w, struct conn *c)
{
	char name[PROTO_CC_LEN];

	if (tcp_stack_get(c->fd, name, sizeof(name)))
		strcpy(name, "unknown");
	c->stack = (uint8_t)stack_index(w, name);
}

/* Apply what the hello asks for; fills the reply. */
static void apply_hello(struct loop_worker *w, struct conn *c, const struct proto_hello *h,
			struct proto_reply *r)
{
	int one = 1;

	memset(r, 0, sizeof(*r));
	c->mode = h->mode;
	c->flags = h->flags;
	c->rate = h->rate;
	if (h->sndbuf)
		setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &(int){ (int)h->sndbuf }, sizeof(int));
	if (h->rcvbuf)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &(int){ (int)h->rcvbuf }, sizeof(int));
	if (h->flags & PROTO_F_NODELAY)
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (h->tx_delay_us)
		tcp_tx_delay_set(c->fd, h->tx_delay_us);
	if (h->cc[0] && tcp_stack_set(c->fd, h->cc))
		r->status = PROTO_EBADCC;
	if (tcp_stack_get(c->fd, r->cc, sizeof(r->cc)))
		r->cc[0] = '\0';
	c->stack = (uint8_t)stack_index(w, r->cc[0] ? r->cc : "unknown");
	w->st[c->stack].opened++;
	c->want = h->mode == PROTO_SINK ? 0 : h->bytes;
	proto_reply_encode(r, c->hdr);
	c->hdr_len = PROTO_REPLY_LEN;
	c->off = 0;
}

static void start_http(struct loop_worker *w, struct conn *c)
{
	set_stack_slot(w, c);
	w->st[c->stack].opened++;
	c->req = xmalloc(REQ_MAX);
	memcpy(c->req, c->hdr, c->hdr_len);
	c->req_len = c->hdr_len;
	c->state = SS_HTTP_REQ;
}

static void do_hello(struct loop_worker *w, struct conn *c)
{
	struct proto_hello h;
	struct proto_reply r;

	while (c->hdr_len < PROTO_HELLO_LEN) {
		ssize_t n = recv(c->fd, c->hdr + c->hdr_len, PROTO_HELLO_LEN - c->hdr_len,
				 MSG_DONTWAIT);

		if (n == 0) {
			bad_peer(w, c, c->hdr_len ? "closed within the hello" : NULL);
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				serve_close(w, c, errno);
			return;
		}
		c->hdr_len += (uint8_t)n;
		c->t_progress = mono_ns();
		if (c->hdr_len >= 4 && (!memcmp(c->hdr, "GET ", 4) ||
					!memcmp(c->hdr, "HEAD", 4))) {
			start_http(w, c);
			return;
		}
	}
	if (proto_hello_decode(&h, c->hdr)) {
		bad_peer(w, c, "not a perflab hello");
		return;
	}
	apply_hello(w, c, &h, &r);
	c->req_len = h.mode == PROTO_RR ? h.req_bytes : 0;
	c->state = c->req_len ? SS_REQ : SS_REPLY;
}

static void do_req(struct loop_worker *w, struct conn *c)
{
	while (c->req_len) {
		ssize_t n = conn_recv(w, c, c->req_len, 0);

		if (n == 0) {
			bad_peer(w, c, "closed within the request");
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				serve_close(w, c, errno);
			return;
		}
		c->req_len -= (uint32_t)n;
		c->rx += (uint64_t)n;
		w->st[c->stack].bytes_rx += (uint64_t)n;
	}
	c->state = SS_REPLY;
}

static int send_hdr(struct loop_worker *w, struct conn *c, const void *buf, size_t len)
{
	while (c->off < len) {
		ssize_t n = send(c->fd, (const char *)buf + c->off, len - c->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT |
				 (c->want || c->mode == PROTO_SOURCE ? MSG_MORE : 0));

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				serve_close(w, c, errno);
			return 0;
		}
		c->off += (uint32_t)n;
		c->t_progress = mono_ns();
	}
	return 1;
}

static void do_reply(struct loop_worker *w, struct conn *c)
{
	if (!send_hdr(w, c, c->hdr, PROTO_REPLY_LEN))
		return;
	if (c->hdr[4] != PROTO_OK) {	/* the reply's status byte */
		serve_close(w, c, 0);
		return;
	}
	c->state = c->mode == PROTO_SINK ? SS_SINK : SS_SEND;
	c->writable = 1;
}

/* Read and discard until EOF (SINK), or notice the client's EOF. */
static void do_sink(struct loop_worker *w, struct conn *c)
{
	for (;;) {
		ssize_t n = conn_recv(w, c, w->e->bufsize, 0);

		if (n > 0) {
			c->rx += (uint64_t)n;
			w->st[c->stack].bytes_rx += (uint64_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		serve_close(w, c, n < 0 ? errno : 0);
		return;
	}
}

static void sent_unit(struct loop_worker *w, struct conn *c)
{
	struct stats *st = &w->st[c->stack];

	st->transactions++;
	hist_add(&st->lat, mono_ns() - c->t_open);
}

static void do_send(struct loop_worker *w, struct conn *c)
{
	struct stats *st = &w->st[c->stack];
	int use_sf = (c->flags & PROTO_F_SENDFILE) != 0;

	while (c->writable) {
		uint64_t max = c->want ? c->want : w->e->bufsize;
		uint64_t allow = pace_allow(w, c, max);
		ssize_t n;

		if (!allow)
			return;
		n = conn_send(w, c, allow, use_sf);
		if (n < 0) {
			serve_close(w, c, errno);
			return;
		}
		c->tx += (uint64_t)n;
		st->bytes_tx += (uint64_t)n;
		pace_spend(c, (uint64_t)n);
		if (!c->want || (c->want -= (uint64_t)n))
			continue;
		sent_unit(w, c);
		if (c->mode == PROTO_RR || (c->flags & PROTO_F_CLOSE)) {
			serve_close(w, c, 0);	/* we close first: TIME_WAIT stays here */
			return;
		}
		c->state = SS_SINK;	/* wait for the client to close */
		return;
	}
}

static void http_respond(struct loop_worker *w, struct conn *c, const struct http_req *q,
			 size_t head_len)
{
	struct strbuf sb = STRBUF_INIT;
	int found = q->bytes != UINT64_MAX;

	if (found)
		strbuf_addf(&sb, "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\n"
			    "Content-Type: application/octet-stream\r\n",
			    (unsigned long long)q->bytes);
	else
		strbuf_addstr(&sb, "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n"
			      "Content-Type: text/plain\r\n");
	if (!q->keep_alive)
		strbuf_addstr(&sb, "Connection: close\r\n");
	strbuf_addstr(&sb, "\r\n");
	if (!found && !q->head)
		strbuf_addstr(&sb, "not found\n");
	c->want = found && !q->head ? q->bytes : 0;
	c->flags = q->keep_alive ? 0 : PROTO_F_CLOSE;
	c->req_len -= (uint32_t)head_len;
	memmove(c->req, c->req + head_len, c->req_len);	/* a pipelined next */
	free(c->http);
	c->off = 0;
	c->http = strbuf_detach(&sb, NULL);
	c->state = SS_HTTP_HEAD;
	c->t_unit = mono_ns();
}

static void do_http_req(struct loop_worker *w, struct conn *c)
{
	struct http_req q;
	const char *err;
	size_t end;

	while (!(end = http_head_end(c->req, c->req_len))) {
		ssize_t n;

		if (c->req_len >= REQ_MAX) {
			bad_peer(w, c, "HTTP request head too large");
			return;
		}
		n = recv(c->fd, c->req + c->req_len, REQ_MAX - c->req_len, MSG_DONTWAIT);
		if (n == 0) {
			bad_peer(w, c, c->req_len ? "closed within an HTTP request" : NULL);
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				serve_close(w, c, errno);
			return;
		}
		c->req_len += (uint32_t)n;
		c->t_progress = mono_ns();
	}
	if (http_req_parse(&q, c->req, end, &err)) {
		bad_peer(w, c, err);
		return;
	}
	http_respond(w, c, &q, end);
}

static void do_http_head(struct loop_worker *w, struct conn *c)
{
	const char *head = c->http;

	if (!send_hdr(w, c, head, strlen(head)))
		return;
	c->state = SS_HTTP_BODY;
	c->writable = 1;
}

static void do_http_body(struct loop_worker *w, struct conn *c)
{
	struct stats *st = &w->st[c->stack];

	while (c->want && c->writable) {
		ssize_t n = conn_send(w, c, c->want, 1);

		if (n < 0) {
			serve_close(w, c, errno);
			return;
		}
		c->tx += (uint64_t)n;
		st->bytes_tx += (uint64_t)n;
		c->want -= (uint64_t)n;
	}
	if (c->want)
		return;
	st->transactions++;
	hist_add(&st->lat, mono_ns() - c->t_unit);
	if (c->flags & PROTO_F_CLOSE) {
		serve_close(w, c, 0);
		return;
	}
	c->state = SS_HTTP_REQ;
}

static void serve_progress(struct loop_worker *w, struct conn *c)
{
	int before;

	do {
		before = c->state;
		switch (c->state) {
		case SS_HELLO: do_hello(w, c); break;
		case SS_REQ: do_req(w, c); break;
		case SS_REPLY: do_reply(w, c); break;
		case SS_SINK: do_sink(w, c); break;
		case SS_SEND: do_send(w, c); break;
		case SS_HTTP_REQ: do_http_req(w, c); break;
		case SS_HTTP_HEAD: do_http_head(w, c); break;
		case SS_HTTP_BODY: do_http_body(w, c); break;
		}
	} while (c->kind == OBJ_CONN && c->state != before);
}

/*
 * --accept-rate models an application that cannot accept faster: a
 * token bucket per worker; without tokens the listeners wait for the
 * worker's clock while the kernel's queues fill, as they would.
 */
static int accept_allowed(struct loop_worker *w)
{
	struct server_worker *sw = w->role;
	double rate = (double)sv_of(w)->o->accept_rate / w->e->nworkers;
	uint64_t now;

	if (!sv_of(w)->o->accept_rate)
		return 1;
	now = mono_ns();
	sw->tokens += rate * (double)(now - sw->t_tokens) / 1e9;
	sw->t_tokens = now;
	if (sw->tokens > rate / 10 + 1)
		sw->tokens = rate / 10 + 1;	/* bursts of at most 100 ms worth */
	if (sw->tokens >= 1) {
		sw->tokens -= 1;
		return 1;
	}
	sw->paused = 1;
	timer_set(w, &sw->clock, now + (uint64_t)((1 - sw->tokens) / rate * 1e9) + 1);
	return 0;
}

static void accept_all(struct loop_worker *w, struct listener *l)
{
	while (accept_allowed(w)) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			((struct server_worker *)w->role)->tokens += 1;	/* unused */
			static int warned;

			if ((errno == EMFILE || errno == ENFILE) &&
			    !__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
				warning_errno("cannot accept (out of files; the kernel queues fill)");
			return;
		}
		c = conn_new(w, fd, 0);
		c->established = 1;
		c->state = SS_HELLO;
		if (poller_add(w->poll, fd, PE_IN | PE_OUT, c)) {
			serve_close(w, c, errno);
			continue;
		}
		serve_progress(w, c);
	}
}

static void server_event(struct loop_worker *w, void *obj, unsigned events)
{
	struct conn *c = obj;

	if (c->kind == OBJ_LISTEN) {
		if (!((struct server_worker *)w->role)->paused)
			accept_all(w, obj);
		return;
	}
	if (events & PE_OUT)
		c->writable = 1;
	if ((c->state == SS_SEND || c->state == SS_HTTP_BODY) && (events & PE_IN)) {
		/* the client closing (or resetting) while we send */
		char b[512];
		ssize_t n = recv(c->fd, b, sizeof(b), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			serve_close(w, c, n < 0 ? errno : 0);
			return;
		}
	}
	serve_progress(w, c);
}

static int server_timer(struct loop_worker *w, struct conn *c)
{
	if (c->state == SS_CLOCK) {
		struct server_worker *sw = w->role;

		sw->paused = 0;
		for (int i = 0; i < sw->nls && !sw->paused; i++)
			accept_all(w, &sw->ls[i]);
		return 0;
	}
	c->writable = 1;	/* paced: its credit has come */
	serve_progress(w, c);
	return 0;
}

static void server_timeout(struct loop_worker *w, struct conn *c)
{
	if (c->state == SS_HELLO && mono_ns() - c->t_open > HELLO_TIMEOUT_NS) {
		conn_close(w, c, ERRK_TIMEOUT, "no hello");
		return;
	}
	c->t_progress = mono_ns();
}

static int listen_one(const struct load_server_opts *o, const struct addrinfo *ai,
		      int port)
{
	struct sockaddr_storage ss;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	int backlog = o->backlog ? (int)o->backlog : SOMAXCONN;

	if (fd < 0)
		return error_errno("cannot create socket");
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, ai->ai_addrlen) || listen(fd, backlog)) {
		error_errno("cannot listen on '%s' port %d", o->host, port);
		close(fd);
		return -1;
	}
	return fd;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
		     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int listen_all(struct loop *e, struct server *sv)
{
	const struct load_server_opts *o = sv->o;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *ai;
	int r = getaddrinfo(o->host, NULL, &hints, &ai);

	if (r)
		return error("cannot resolve '%s': %s", o->host, gai_strerror(r));
	sv->port = (int)o->port;
	for (int i = 0; i < e->nworkers; i++) {
		struct server_worker *sw = xcalloc(1, sizeof(*sw));

		e->w[i].role = sw;
		sw->clock.kind = OBJ_CONN;
		sw->clock.state = SS_CLOCK;
		sw->clock.fd = -1;
		sw->clock.heap_idx = NO_HEAP;
		sw->t_tokens = mono_ns();
		sw->ls = xcalloc((size_t)o->ports, sizeof(*sw->ls));
		for (long p = 0; p < o->ports; p++) {
			struct listener *l = &sw->ls[sw->nls];

			l->kind = OBJ_LISTEN;
			l->fd = listen_one(o, ai, sv->port + (int)p);
			if (l->fd < 0)
				goto fail;
			sw->nls++;
			if (!sv->port)
				sv->port = bound_port(l->fd);
			if (poller_add(e->w[i].poll, l->fd, PE_IN, l)) {
				error_errno("cannot watch listening socket");
				goto fail;
			}
		}
	}
	freeaddrinfo(ai);
	return 0;
fail:
	freeaddrinfo(ai);
	return -1;
}

static json_t *server_record(struct loop *e, const struct snap *now,
			     const struct snap *prev, uint64_t t_prev, uint64_t t_now,
			     const char *type)
{
	json_t *rec = snap_interval_json(e, now, prev, (double)(t_now - t_prev) / 1e9, 0);

	json_set_str(rec, "type", type);
	json_set_str(rec, "role", "server");
	json_set_num(rec, "t_s", (double)(t_now - e->t0) / 1e9);
	json_set_num(rec, "t_mono_s", (double)t_now / 1e9);
	/* a server does not know which side receives: no goodput of its own */
	json_object_del(rec, "goodput_bps");
	return rec;
}

static void report_loop(struct loop *e, const struct load_server_opts *o)
{
	uint64_t step = (uint64_t)(o->interval * 1e9), t_prev = e->t0, next = e->t0 + step;
	uint64_t t_end = o->duration > 0 ? e->t0 + (uint64_t)(o->duration * 1e9) : UINT64_MAX;
	struct snap *prev = xcalloc(3, sizeof(*prev)), *now = prev + 1, *first = prev + 2;
	int stop = 0;
	json_t *rec;

	snap_init(prev);
	snap_init(first);
	while (!stop) {
		uint64_t t = next < t_end ? next : t_end;

		stop = wait_until(t, o->stop_on_eof ? 0 : -1) != WAIT_TIME;
		t = mono_ns() < t ? mono_ns() : t;
		stop |= t >= t_end;
		loop_snapshot(e, now);
		rec = server_record(e, now, prev, t_prev, t, "interval");
		loop_emit(e, rec);
		json_decref(rec);
		*prev = *now;
		t_prev = t;
		next += step;
	}
	rec = server_record(e, now, first, e->t0, t_prev, "summary");
	json_set_num(rec, "duration_s", (double)(t_prev - e->t0) / 1e9);
	json_set_int(rec, "port", ((struct server *)e->role)->port);
	loop_emit(e, rec);
	json_decref(rec);
	free(prev);
}

static void say_ready(struct server *sv)
{
	char line[32];
	int fd = (int)sv->o->ready_fd;
	int n = snprintf(line, sizeof(line), "%d\n", sv->port);

	if (fd < 0)
		return;
	if (write_all(fd, line, (size_t)n))
		warning_errno("cannot report the port on fd %d", fd);
	close(fd);
}

int load_server_run(const struct load_server_opts *o)
{
	struct loop e;
	struct server sv = { .o = o };
	long threads = o->threads ? o->threads : sysconf(_SC_NPROCESSORS_ONLN);
	struct rlimit rl;
	sigset_t sigs, old;
	int ret = -1;

	if (o->port == 0 && o->ports > 1)
		return error("'--ports' needs a fixed '--port'");
	if (o->port + o->ports - 1 > 65535)
		return error("ports %ld..%ld do not exist", o->port, o->port + o->ports - 1);
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	pthread_mutex_init(&sv.mu, NULL);
	if (loop_init(&e, threads > 0 ? (int)threads : 1, 128 << 10, o->out,
			o->records != LOAD_REC_NONE))
		goto done;
	if (o->records == LOAD_REC_AUTO)	/* long-lived flows only */
		e.record_min_ns = (uint64_t)(o->interval * 1e9);
	e.nstacks = 0;
	e.role = &sv;
	e.timeout_ns = HELLO_TIMEOUT_NS;
	e.on_event = server_event;
	e.on_timer = server_timer;
	e.on_timeout = server_timeout;
	if (loop_memfd(&e, SOURCE_SIZE) || listen_all(&e, &sv))
		goto done;
	e.t0 = mono_ns();
	if (loop_start(&e))
		goto done;
	say_ready(&sv);
	report_loop(&e, o);
	ret = 0;
done:
	loop_join(&e);
	for (int i = 0; e.w && i < e.nworkers; i++) {
		struct server_worker *sw = e.w[i].role;

		if (sw && sw->clock.heap_idx != NO_HEAP)
			timer_cancel(&e.w[i], &sw->clock);
		for (int k = 0; sw && k < sw->nls; k++)
			close(sw->ls[k].fd);
		if (sw)
			free(sw->ls);
		free(sw);
	}
	if (o->records == LOAD_REC_AUTO)
		e.records = 0;	/* connections cut at shutdown say little */
	loop_release(&e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}
