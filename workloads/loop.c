#include "workloads/loop.h"
#include "common/util.h"
#include "common/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/sendfile.h>
#else
#include <sys/types.h>
#include <sys/uio.h>
#endif

const char *const err_kind_names[ERRK_N] = { "refused", "reset", "timeout", "other" };

#define SWEEP_NS (250 * NSEC_PER_MSEC)
#define TURN_BUDGET 16	/* socket calls per connection per turn */
#define MAX_WAIT_MS 100

int err_kind_of(int errnum)
{
	switch (errnum) {
	case ECONNREFUSED:
		return ERRK_REFUSED;
	case ECONNRESET:
	case EPIPE:
	case ECONNABORTED:
		return ERRK_RESET;
	case ETIMEDOUT:
		return ERRK_TIMEOUT;
	default:
		return ERRK_OTHER;
	}
}

/* The timer heap: a binary min-heap on wake_ns. */
static int heap_less(const struct heap *h, size_t a, size_t b)
{
	return h->v[a]->wake_ns < h->v[b]->wake_ns;
}

static void heap_swap(struct heap *h, size_t a, size_t b)
{
	struct conn *t = h->v[a];

	h->v[a] = h->v[b];
	h->v[b] = t;
	h->v[a]->heap_idx = (uint32_t)a;
	h->v[b]->heap_idx = (uint32_t)b;
}

static void heap_up(struct heap *h, size_t i)
{
	while (i && heap_less(h, i, (i - 1) / 2)) {
		heap_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct heap *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < h->nr && heap_less(h, l, m))
			m = l;
		if (r < h->nr && heap_less(h, r, m))
			m = r;
		if (m == i)
			return;
		heap_swap(h, i, m);
		i = m;
	}
}

void timer_cancel(struct loop_worker *w, struct conn *c)
{
	struct heap *h = &w->timers;
	size_t i = c->heap_idx;

	if (i == NO_HEAP)
		return;
	c->heap_idx = NO_HEAP;
	if (i == --h->nr)
		return;
	h->v[i] = h->v[h->nr];
	h->v[i]->heap_idx = (uint32_t)i;
	heap_up(h, i);
	heap_down(h, i);
}

void timer_set(struct loop_worker *w, struct conn *c, uint64_t when)
{
	struct heap *h = &w->timers;

	timer_cancel(w, c);
	c->wake_ns = when;
	ALLOC_GROW(h->v, h->nr + 1, h->alloc);
	h->v[h->nr] = c;
	c->heap_idx = (uint32_t)h->nr;
	heap_up(h, h->nr++);
}

static void run_timers(struct loop_worker *w, uint64_t now)
{
	struct heap *h = &w->timers;

	while (h->nr && h->v[0]->wake_ns <= now) {
		struct conn *c = h->v[0];

		timer_cancel(w, c);
		w->budget = TURN_BUDGET;
		w->e->on_timer(w, c);
	}
}

static void queue_conn(struct loop_worker *w, struct conn *c)
{
	if (c->queued)
		return;
	c->queued = 1;
	ALLOC_GROW(w->ready, w->nready + 1, w->ready_alloc);
	w->ready[w->nready++] = c;
}

static void unqueue_conn(struct loop_worker *w, struct conn *c)
{
	for (size_t i = 0; c->queued && i < w->nready; i++) {
		if (w->ready[i] == c) {
			w->ready[i] = NULL;
			c->queued = 0;
		}
	}
}

/* Let queued connections continue; ones queued meanwhile wait a turn. */
static void run_ready(struct loop_worker *w)
{
	size_t n = w->nready, k = 0;

	for (size_t i = 0; i < n; i++) {
		struct conn *c = w->ready[i];

		if (!c)
			continue;
		w->ready[i] = NULL;
		c->queued = 0;
		w->budget = TURN_BUDGET;
		w->e->on_event(w, c, PE_IN | PE_OUT);
	}
	for (size_t i = n; i < w->nready; i++)
		if (w->ready[i])
			w->ready[k++] = w->ready[i];
	w->nready = k;
}

struct conn *conn_new(struct loop_worker *w, int fd, int stack)
{
	struct conn *c = w->free_list;

	if (c)
		w->free_list = c->http;
	else
		c = xmalloc(sizeof(*c));
	memset(c, 0, sizeof(*c));
	c->kind = OBJ_CONN;
	c->fd = fd;
	c->stack = (uint8_t)stack;
	c->heap_idx = NO_HEAP;
	c->id = (uint64_t)w->idx << 48 | w->next_id++;
	c->t_open = c->t_progress = mono_ns();
	ALLOC_GROW(w->conns, w->nconns + 1, w->alloc);
	c->slot = (uint32_t)w->nconns;
	w->conns[w->nconns++] = c;
	return c;
}

void conn_record(struct loop_worker *w, struct conn *c, const struct tcp_sample *ts,
		 const char *error_kind, const char *why)
{
	struct loop *e = w->e;
	json_t *rec = json_object();

	json_set_str(rec, "type", "conn");
	json_set_int(rec, "id", (long long)c->id);
	json_set_str(rec, "stack", e->label[c->stack][0] ? e->label[c->stack] : NULL);
	json_set_num(rec, "t_open_s", (double)(c->t_open - e->t0) / 1e9);
	json_set_num(rec, "duration_s", (double)(mono_ns() - c->t_open) / 1e9);
	json_set_int(rec, "bytes_rx", (long long)c->rx);
	json_set_int(rec, "bytes_tx", (long long)c->tx);
	json_set_str(rec, "error", error_kind);
	if (why)
		json_set_str(rec, "error_detail", why);
	json_set(rec, "tcp", ts ? tcp_sample_json(ts) : json_null());
	loop_emit(e, rec);
	json_decref(rec);
}

void conn_close(struct loop_worker *w, struct conn *c, int err_kind, const char *why)
{
	struct stats *st = &w->st[c->stack];
	struct tcp_sample ts;
	int have_ts = c->established && !tcp_sample_read(c->fd, &ts);

	if (err_kind >= 0)
		st->err[err_kind]++;
	if (c->established) {
		st->closed++;
		if (have_ts)
			tcp_acc_add(&st->tcp_closed, &ts);
	}
	if (w->e->records && mono_ns() - c->t_open >= w->e->record_min_ns)
		conn_record(w, c, have_ts ? &ts : NULL,
			    err_kind >= 0 ? err_kind_names[err_kind] : NULL, why);
	timer_cancel(w, c);
	unqueue_conn(w, c);
	close(c->fd);
	w->conns[c->slot] = w->conns[--w->nconns];
	w->conns[c->slot]->slot = c->slot;
	free(c->http);
	free(c->req);
	c->kind = 0;
	c->http = w->free_list;
	w->free_list = c;
}

uint64_t pace_allow(struct loop_worker *w, struct conn *c, uint64_t max)
{
	uint64_t now, quantum, cap;

	if (!c->rate)
		return max;
	now = mono_ns();
	quantum = c->rate / 200;	/* 5 ms worth */
	if (quantum < 1024)
		quantum = 1024;
	if (quantum > 65536)
		quantum = 65536;
	if (quantum > max)
		quantum = max;
	cap = c->rate / 100 > 2 * quantum ? c->rate / 100 : 2 * quantum;
	if (!c->t_tokens) {
		c->t_tokens = now;
		c->tokens = (int64_t)quantum;
	}
	c->tokens += (int64_t)((double)c->rate * (double)(now - c->t_tokens) / 1e9);
	c->t_tokens = now;
	if (c->tokens > (int64_t)cap)
		c->tokens = (int64_t)cap;
	if (c->tokens < (int64_t)quantum) {
		double wait = (double)((int64_t)quantum - c->tokens) / (double)c->rate;

		timer_set(w, c, now + (uint64_t)(wait * 1e9) + 1);
		return 0;
	}
	return (uint64_t)c->tokens < max ? (uint64_t)c->tokens : max;
}

void pace_spend(struct conn *c, uint64_t bytes)
{
	if (c->rate)
		c->tokens -= (int64_t)bytes;
}

/*
 * Send len bytes of fd from off on socket s with the kernel's sendfile:
 * Linux's returns the bytes; FreeBSD's puts them in sbytes and fails
 * with EAGAIN after a partial send of a non-blocking socket.
 */
static ssize_t send_file(int s, int fd, off_t off, size_t len)
{
#ifdef __linux__
	return sendfile(s, fd, &off, len);
#else
	off_t sent = 0;

	if (sendfile(fd, s, off, len, NULL, &sent, SF_NODISKIO) < 0 &&
	    !(errno == EAGAIN && sent > 0))
		return -1;
	return (ssize_t)sent;
#endif
}

ssize_t conn_send(struct loop_worker *w, struct conn *c, uint64_t max, int use_sendfile)
{
	struct loop *e = w->e;
	ssize_t n;

	if (w->budget-- <= 0) {
		c->writable = 0;
		queue_conn(w, c);
		return 0;
	}
	if (use_sendfile && e->memfd >= 0) {
		off_t off = (off_t)(c->file_off % e->memfd_size);
		uint64_t left = e->memfd_size - (uint64_t)off;

		if (max > left)
			max = left;
		n = send_file(c->fd, e->memfd, off, max);
		if (n > 0)
			c->file_off += (uint64_t)n;
	} else {
		if (max > e->bufsize)
			max = e->bufsize;
		n = send(c->fd, w->buf, max, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->writable = 0;
		return 0;
	}
	if (n > 0)
		c->t_progress = mono_ns();
	return n;
}

ssize_t conn_recv(struct loop_worker *w, struct conn *c, size_t max, int discard)
{
	ssize_t n;

	if (w->budget-- <= 0) {
		queue_conn(w, c);
		errno = EAGAIN;
		return -1;
	}
	if (max > w->e->bufsize)
		max = w->e->bufsize;
	n = recv(c->fd, w->buf, max, MSG_DONTWAIT | (discard ? MSG_TRUNC : 0));
	if (n > 0)
		c->t_progress = mono_ns();
	return n;
}

static void sample_open(struct loop_worker *w, struct snap *s)
{
	memcpy(s->s, w->st, sizeof(s->s));
	memset(s->tcp_open, 0, sizeof(s->tcp_open));
	memset(s->open, 0, sizeof(s->open));
	for (size_t i = 0; i < w->nconns; i++) {
		struct conn *c = w->conns[i];
		struct tcp_sample ts;

		if (!c->established)
			continue;
		s->open[c->stack]++;
		if (!tcp_sample_read(c->fd, &ts))
			tcp_acc_add(&s->tcp_open[c->stack], &ts);
	}
}

static void publish(struct loop_worker *w)
{
	struct loop *e = w->e;
	unsigned t = e->tick;
	struct snap *tmp = xmalloc(sizeof(*tmp));

	sample_open(w, tmp);
	pthread_mutex_lock(&e->mu);
	w->snap = *tmp;
	w->seen_tick = t;
	if (t == e->tick) {
		e->published++;
		pthread_cond_broadcast(&e->cv);
	}
	pthread_mutex_unlock(&e->mu);
	free(tmp);
}

static void sweep(struct loop_worker *w, uint64_t now)
{
	struct loop *e = w->e;

	w->next_sweep = now + SWEEP_NS;
	if (!e->timeout_ns || !e->on_timeout)
		return;
	for (size_t i = 0; i < w->nconns; ) {
		struct conn *c = w->conns[i];

		if (c->t_progress < now && now - c->t_progress > e->timeout_ns) {
			e->on_timeout(w, c);
			if (i < w->nconns && w->conns[i] != c)
				continue;	/* closed: another took slot i */
		}
		i++;
	}
}

static int wait_ms(struct loop_worker *w, uint64_t now)
{
	uint64_t next = w->next_sweep;

	if (w->nready)
		return 0;
	if (w->timers.nr && w->timers.v[0]->wake_ns < next)
		next = w->timers.v[0]->wake_ns;
	if (next <= now)
		return 0;
	next = (next - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC;
	return next > MAX_WAIT_MS ? MAX_WAIT_MS : (int)next;
}

static void *worker_main(void *arg)
{
	struct loop_worker *w = arg;
	struct loop *e = w->e;
	struct poll_event ev[128];

	w->next_sweep = mono_ns() + SWEEP_NS;
	w->budget = TURN_BUDGET;
	if (e->on_loop)
		e->on_loop(w);	/* the client's first connects */
	while (!e->stop) {
		int n = poller_wait(w->poll, ev, (int)ARRAY_SIZE(ev), wait_ms(w, mono_ns()));
		uint64_t now;

		for (int i = 0; i < n; i++) {
			if (*(uint8_t *)ev[i].ptr == OBJ_WAKE) {
				char drain[64];

				while (read(w->wake_rd, drain, sizeof(drain)) > 0)
					;
				continue;
			}
			w->budget = TURN_BUDGET;
			e->on_event(w, ev[i].ptr, ev[i].events);
		}
		run_ready(w);
		now = mono_ns();
		run_timers(w, now);
		if (now >= w->next_sweep)
			sweep(w, now);
		if (e->on_loop)
			w->budget = TURN_BUDGET, e->on_loop(w);
		if (e->tick != w->seen_tick)
			publish(w);
	}
	return NULL;
}

static int worker_init(struct loop *e, struct loop_worker *w, int idx)
{
	int p[2];

	w->wake_kind = OBJ_WAKE;
	w->e = e;
	w->idx = idx;
	w->poll = poller_new();
	if (!w->poll)
		return -1;
	if (pipe(p))
		return error_errno("cannot create pipe");
	w->wake_rd = p[0];
	w->wake_wr = p[1];
	set_nonblock(p[0]);
	set_nonblock(p[1]);
	set_cloexec(p[0]);
	set_cloexec(p[1]);
	if (poller_add(w->poll, w->wake_rd, PE_IN, &w->wake_kind))
		return error_errno("cannot watch wake pipe");
	w->buf = xmalloc(e->bufsize);
	memset(w->buf, 'p', e->bufsize);
	for (int i = 0; i < MAX_STACKS; i++) {
		hist_init(&w->st[i].lat);
		hist_init(&w->st[i].conn_lat);
	}
	return 0;
}

int loop_init(struct loop *e, int nworkers, size_t bufsize, const char *out,
		int records)
{
	memset(e, 0, sizeof(*e));
	e->nworkers = nworkers;
	e->bufsize = bufsize;
	e->records = records;
	e->memfd = -1;
	e->nstacks = 1;
	e->t0 = mono_ns();
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	pthread_mutex_init(&e->out_mu, NULL);
	if (!out || !strcmp(out, "-")) {
		e->out.f = fdopen(dup(1), "w");
		e->out.path = xstrdup("standard output");
	} else if (ndjson_open(&e->out, out)) {
		return -1;
	}
	e->w = xcalloc((size_t)nworkers, sizeof(*e->w));
	for (int i = 0; i < nworkers; i++)
		if (worker_init(e, &e->w[i], i))
			return -1;
	return 0;
}

int loop_start(struct loop *e)
{
	sigset_t all, old;
	int ret = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < e->nworkers && !ret; i++) {
		errno = pthread_create(&e->w[i].thread, NULL, worker_main, &e->w[i]);
		if (errno)
			ret = error_errno("cannot start worker thread");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

static void wake_all(struct loop *e)
{
	for (int i = 0; i < e->nworkers; i++)
		if (write(e->w[i].wake_wr, "t", 1) < 0 && errno != EAGAIN)
			warning_errno("cannot wake worker %d", i);
}

void loop_join(struct loop *e)
{
	e->stop = 1;
	wake_all(e);
	for (int i = 0; i < e->nworkers; i++)
		if (e->w[i].thread) {
			pthread_join(e->w[i].thread, NULL);
			e->w[i].thread = 0;
		}
}

static void stats_add(struct stats *a, const struct stats *b)
{
	a->bytes_rx += b->bytes_rx;
	a->bytes_tx += b->bytes_tx;
	a->opened += b->opened;
	a->closed += b->closed;
	a->transactions += b->transactions;
	for (int k = 0; k < ERRK_N; k++)
		a->err[k] += b->err[k];
	tcp_acc_merge(&a->tcp_closed, &b->tcp_closed);
	hist_merge(&a->lat, &b->lat);
	hist_merge(&a->conn_lat, &b->conn_lat);
}

void snap_init(struct snap *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < MAX_STACKS; i++) {
		hist_init(&s->s[i].lat);
		hist_init(&s->s[i].conn_lat);
	}
}

void loop_snapshot(struct loop *e, struct snap *out)
{
	struct timespec ts;

	pthread_mutex_lock(&e->mu);
	e->tick++;
	e->published = 0;
	pthread_mutex_unlock(&e->mu);
	wake_all(e);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	pthread_mutex_lock(&e->mu);
	while (e->published < e->nworkers)
		if (pthread_cond_timedwait(&e->cv, &e->mu, &ts) == ETIMEDOUT) {
			warning("a worker did not answer within 5 s; using its last snapshot");
			break;
		}
	snap_init(out);
	for (int i = 0; i < e->nworkers; i++) {
		for (int s = 0; s < MAX_STACKS; s++) {
			stats_add(&out->s[s], &e->w[i].snap.s[s]);
			tcp_acc_merge(&out->tcp_open[s], &e->w[i].snap.tcp_open[s]);
			out->open[s] += e->w[i].snap.open[s];
		}
	}
	pthread_mutex_unlock(&e->mu);
}

void loop_emit(struct loop *e, const json_t *rec)
{
	pthread_mutex_lock(&e->out_mu);
	if (e->out.f)
		ndjson_write(&e->out, rec);
	pthread_mutex_unlock(&e->out_mu);
}

void loop_release(struct loop *e)
{
	for (int i = 0; e->w && i < e->nworkers; i++) {
		struct loop_worker *w = &e->w[i];

		while (w->nconns)
			conn_close(w, w->conns[w->nconns - 1], -1, NULL);
		while (w->free_list) {
			struct conn *c = w->free_list;

			w->free_list = c->http;
			free(c);
		}
		poller_free(w->poll);
		if (w->wake_rd > 0) {
			close(w->wake_rd);
			close(w->wake_wr);
		}
		free(w->conns);
		free(w->timers.v);
		free(w->ready);
		free(w->buf);
	}
	free(e->w);
	e->w = NULL;
	if (e->memfd >= 0)
		close(e->memfd);
	ndjson_close(&e->out);
}

int loop_memfd(struct loop *e, uint64_t size)
{
	char *page;

	if (e->memfd >= 0)
		return 0;
#ifdef __linux__
	e->memfd = memfd_create("perflab-source", MFD_CLOEXEC);
#else
	e->memfd = shm_open(SHM_ANON, O_RDWR | O_CLOEXEC, 0600);
#endif
	if (e->memfd < 0)
		return error_errno("cannot create the sendfile source");
	if (ftruncate(e->memfd, (off_t)size))
		return error_errno("cannot size the sendfile source");
	page = xmalloc(65536);
	memset(page, 'p', 65536);
	for (uint64_t off = 0; off < size; off += 65536) {
		size_t n = size - off < 65536 ? (size_t)(size - off) : 65536;

		if (pwrite(e->memfd, page, n, (off_t)off) != (ssize_t)n) {
			free(page);
			return error_errno("cannot fill the sendfile source");
		}
	}
	free(page);
	e->memfd_size = size;
	return 0;
}

int loop_stacks(struct loop *e, const char *list)
{
	char *copy = xstrdup(list ? list : ""), *save = NULL;
	int n = 0, ret = 0;

	e->nstacks = 1;
	memset(e->stack, 0, sizeof(e->stack));
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_STACKS) {
			ret = error("at most %d TCP stacks can be compared, got '%s'",
				    MAX_STACKS, list);
			break;
		}
		if (strlen(tok) >= PROTO_CC_LEN || !*tok) {
			ret = error("invalid TCP stack name '%s'", tok);
			break;
		}
		strcpy(e->label[n], tok);
		strcpy(e->stack[n++], tok);
	}
	if (n)
		e->nstacks = n;
	if (n == 2 && !strcmp(e->stack[0], e->stack[1]))
		ret = error("the two TCP stacks to compare are both '%s'", e->stack[0]);
	free(copy);
	return ret;
}

/* Interval TCP figures: counters by difference, gauges over samples. */
static void tcp_interval(struct tcp_acc *out, const struct snap *now,
			 const struct snap *prev, int s)
{
	struct tcp_acc g = now->tcp_open[s], cp = prev->s[s].tcp_closed;

	*out = now->s[s].tcp_closed;
	tcp_acc_merge(out, &now->tcp_open[s]);
	tcp_acc_sub(out, &cp);
	tcp_acc_sub(out, &prev->tcp_open[s]);
	/* gauges: open now plus closed during the interval */
	tcp_acc_merge(&g, &now->s[s].tcp_closed);
	tcp_acc_sub(&g, &cp);
	out->n = g.n;
	out->n_limited = g.n_limited;
	out->n_rtt = g.n_rtt;
	out->n_rate = g.n_rate;
	out->rtt_us = g.rtt_us;
	out->rttvar_us = g.rttvar_us;
	out->cwnd_bytes = g.cwnd_bytes;
	out->delivery_rate_bps = g.delivery_rate_bps;
}

/* One stack's (or the total's) interval figures into rec. */
static void interval_fields(json_t *rec, const struct stats *sn, const struct stats *sp,
			    const struct tcp_acc *tcp, uint64_t open, double dt,
			    int goodput_acked)
{
	json_t *errs = json_object();
	struct hist *lat = xmalloc(sizeof(*lat));
	uint64_t rx = sn->bytes_rx - sp->bytes_rx;
	double good = goodput_acked ? (double)tcp->bytes_acked : (double)rx;

	json_set_int(rec, "bytes_rx", (long long)rx);
	json_set_int(rec, "bytes_tx", (long long)(sn->bytes_tx - sp->bytes_tx));
	json_set_num(rec, "goodput_bps", dt > 0 ? good * 8 / dt : NAN);
	json_set_int(rec, "conn_opened", (long long)(sn->opened - sp->opened));
	json_set_int(rec, "conn_closed", (long long)(sn->closed - sp->closed));
	json_set_int(rec, "conn_open", (long long)open);
	json_set_int(rec, "transactions", (long long)(sn->transactions - sp->transactions));
	json_set_num(rec, "tps", dt > 0 ? (double)(sn->transactions - sp->transactions) / dt : NAN);
	for (int k = 0; k < ERRK_N; k++)
		json_set_int(errs, err_kind_names[k], (long long)(sn->err[k] - sp->err[k]));
	json_set(rec, "errors", errs);
	hist_diff(lat, &sn->lat, &sp->lat);
	json_set(rec, "latency_us", hist_percentiles_json(lat, 1e3));
	hist_diff(lat, &sn->conn_lat, &sp->conn_lat);
	json_set(rec, "connect_us", hist_percentiles_json(lat, 1e3));
	json_set(rec, "tcp", tcp_acc_json(tcp));
	free(lat);
}

json_t *snap_interval_json(const struct loop *e, const struct snap *now,
			   const struct snap *prev, double dt, int goodput_acked)
{
	json_t *rec = json_object();
	struct stats *tn = xcalloc(2, sizeof(*tn)), *tp = tn + 1;
	struct tcp_acc ttot = { 0 }, t[MAX_STACKS];
	uint64_t open = 0;

	hist_init(&tn->lat);
	hist_init(&tp->lat);
	hist_init(&tn->conn_lat);
	hist_init(&tp->conn_lat);
	for (int s = 0; s < e->nstacks; s++) {
		tcp_interval(&t[s], now, prev, s);
		tcp_acc_merge(&ttot, &t[s]);
		stats_add(tn, &now->s[s]);
		stats_add(tp, &prev->s[s]);
		open += now->open[s];
	}
	json_set_num(rec, "dt_s", dt);
	interval_fields(rec, tn, tp, &ttot, open, dt, goodput_acked);
	if (e->nstacks > 1) {
		json_t *stacks = json_object();

		for (int s = 0; s < e->nstacks; s++) {
			json_t *one = json_object();

			interval_fields(one, &now->s[s], &prev->s[s], &t[s], now->open[s],
					dt, goodput_acked);
			json_set(stacks, e->label[s][0] ? e->label[s] : "unknown", one);
		}
		json_set(rec, "stacks", stacks);
	}
	free(tn);
	return rec;
}
