/*
 * The TCP blackbox recorder: tracepoint events and inet_diag samples,
 * attributed to connections of this host, written as a trace file.
 */
#include "collectors/tcptrace.h"
#ifdef __linux__
#include "collectors/tcpdiag.h"
#include "collectors/tcpperf.h"
#include "common/json.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

enum { CONN_PENDING, CONN_KEEP, CONN_DROP };

/* An event waiting in the current batch. */
struct item {
	uint64_t t_ns;
	uint64_t seq;		/* arrival order: ties keep it */
	uint32_t conn;		/* index into conns */
	uint8_t kind;
	uint8_t thinned;	/* a probe already through thinning (write it as is) */
	uint64_t have;
	int64_t v[TCPREC_NFIELDS];
};

struct conn {
	struct tcprec_conn c;	/* what the conn line says */
	struct tcpdiag_addr la, ra;
	uint64_t skaddr;	/* the kernel's struct sock, 0 = not known */
	uint32_t written;	/* records written */
	uint32_t reads;		/* application reads since the last sample */
	uint8_t fate;		/* CONN_* */
	uint8_t in_diag;	/* seen in this namespace's dumps or broadcasts */
	uint8_t dead;		/* destroyed */
	uint8_t line;		/* its conn line is written and current */
	uint32_t mss;		/* from the last sample, 0 = not known */
	uint64_t kept_ns;	/* when the last probe written was taken, 0 = none */
	int64_t kept_cwnd, kept_ssthresh;
	struct item *held;	/* the last probe thinned out, kept for a while */
	uint32_t gen;		/* the recorder's gen at its last probe */
};

/* uint64 (non-zero) -> conn index, open addressing, entries overwritten, never deleted. */
struct u64map {
	uint64_t *key;
	uint32_t *val;
	size_t size, used;	/* size: a power of two */
};

struct tcptrace {
	struct tcptrace_opts o;
	uint16_t *ports;
	FILE *f;
	char *path;
	struct tcpperf *perf;	/* NULL: diag only */
	const char *source;
	int dump_fd, destroy_fd, wake_fd;
	struct tcpdiag_addr *local;
	int nlocal;
	struct conn *conn;
	size_t nconn, alloc_conn;
	struct u64map by_cookie, by_skaddr, by_tuple;
	struct item *batch;
	size_t nbatch, alloc_batch;
	uint64_t seq;
	int first_dump;		/* the dump at start: connections are preexisting */
	int pending;		/* connections await attribution */
	int write_err;		/* errno of a failed write, 0 = fine */
	uint64_t next_sample;	/* ns */
	uint64_t next_dump;	/* ns: diag only, when to look for new connections */
	/* the tcp_probe event budget: on for duty x the sampling interval */
	double duty;		/* 0..1 */
	int probe_on;
	uint64_t on_since;	/* ns: switched on (this interval) */
	uint64_t off_at;	/* ns: to switch off (duty < 1) */
	uint64_t fires0;	/* tcp_probe's firing count at on_since */
	uint32_t gen;		/* bumped when probes may be missing (off, or lost) */
	struct tcprec_stats st;
	pthread_mutex_t lock;	/* st, against tcptrace_stats */
	pthread_t thread;
	int stop;		/* set by tcptrace_stop */
};

void tcptrace_opts_init(struct tcptrace_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sample_ms = 100;
	o->max_records = 50000;
	o->max_conns = 200000;
	o->probe_gap_us = 1000;
	o->probe_budget = 20000;
	o->dump_ms = 1000;
	o->ring_kb = 1024;
	o->source = TCPTRACE_AUTO;
}

/* ---- maps ---- */

static size_t map_find(const struct u64map *m, uint64_t key)
{
	size_t mask = m->size - 1, i = (size_t)(key * 0x9E3779B97F4A7C15ULL >> 17) & mask;

	while (m->key[i] && m->key[i] != key)
		i = (i + 1) & mask;
	return i;
}

static void map_put(struct u64map *m, uint64_t key, uint32_t val)
{
	size_t i;

	if (!key)
		return;
	if (2 * (m->used + 1) > m->size) {
		struct u64map n = { xcalloc(m->size ? 2 * m->size : 256, 8), NULL,
				    m->size ? 2 * m->size : 256, 0 };

		n.val = xcalloc(n.size, sizeof(*n.val));
		for (size_t k = 0; k < m->size; k++)
			if (m->key[k])
				map_put(&n, m->key[k], m->val[k]);
		free(m->key);
		free(m->val);
		*m = n;
	}
	i = map_find(m, key);
	if (!m->key[i])
		m->used++;
	m->key[i] = key;
	m->val[i] = val;
}

/* The index stored for key, or -1. */
static long map_get(const struct u64map *m, uint64_t key)
{
	size_t i;

	if (!key || !m->size)
		return -1;
	i = map_find(m, key);
	return m->key[i] ? (long)m->val[i] : -1;
}

static void map_free(struct u64map *m)
{
	free(m->key);
	free(m->val);
}

static uint64_t tuple_key(const struct tcpdiag_addr *la, uint16_t lport,
			  const struct tcpdiag_addr *ra, uint16_t rport)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned char b[36];

	memcpy(b, la->b, 16);
	memcpy(b + 16, ra->b, 16);
	memcpy(b + 32, &lport, 2);
	memcpy(b + 34, &rport, 2);
	for (size_t i = 0; i < sizeof(b); i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h | 1;
}

/* ---- connections ---- */

static int port_ok(const struct tcptrace *t, uint16_t lport, uint16_t rport)
{
	if (!t->o.nports)
		return 1;
	for (size_t i = 0; i < t->o.nports; i++)
		if (t->ports[i] == lport || t->ports[i] == rport)
			return 1;
	return 0;
}

static int is_local(const struct tcptrace *t, const struct tcpdiag_addr *a)
{
	for (int i = 0; i < t->nlocal; i++)
		if (!memcmp(t->local[i].b, a->b, 16))
			return 1;
	return 0;
}

/* A new connection's index, or -1 past max_conns (counted). */
static long conn_new(struct tcptrace *t, int family, const struct tcpdiag_addr *la,
		     uint16_t lport, const struct tcpdiag_addr *ra, uint16_t rport,
		     uint64_t t_ns)
{
	struct conn *c;

	if (t->nconn >= t->o.max_conns) {
		t->st.conns_over++;
		return -1;
	}
	ALLOC_GROW(t->conn, t->nconn + 1, t->alloc_conn);
	c = &t->conn[t->nconn];
	memset(c, 0, sizeof(*c));
	c->c.id = (uint32_t)t->nconn + 1;
	c->c.family = family == AF_INET6 ? 6 : 4;
	c->la = *la;
	c->ra = *ra;
	c->c.lport = lport;
	c->c.rport = rport;
	c->c.t = (double)t_ns / 1e9;
	tcpdiag_addr_str(la, c->c.laddr);
	tcpdiag_addr_str(ra, c->c.raddr);
	strcpy(c->c.owner, "unknown");
	c->fate = CONN_PENDING;
	t->pending = 1;
	map_put(&t->by_tuple, tuple_key(la, lport, ra, rport), (uint32_t)t->nconn);
	return (long)t->nconn++;
}

static void learn(struct tcptrace *t, uint32_t i, uint64_t cookie, uint64_t skaddr)
{
	struct conn *c = &t->conn[i];

	if (cookie && !c->c.cookie) {
		c->c.cookie = cookie;
		c->line = 0;
		map_put(&t->by_cookie, cookie, i);
	}
	if (skaddr && c->skaddr != skaddr) {
		c->skaddr = skaddr;
		map_put(&t->by_skaddr, skaddr, i);
	}
}

/* The connection of an event, found or made; -1 if it has none here. */
static long conn_of_event(struct tcptrace *t, const struct tcpperf_ev *ev)
{
	long i = map_get(&t->by_cookie, ev->cookie);

	if (i < 0 && ev->skaddr) {
		i = map_get(&t->by_skaddr, ev->skaddr);
		if (i >= 0 && (t->conn[i].dead || t->conn[i].skaddr != ev->skaddr))
			i = -1;
	}
	if (i < 0 && ev->family) {
		i = map_get(&t->by_tuple, tuple_key(&ev->laddr, ev->lport, &ev->raddr, ev->rport));
		if (i >= 0 && (t->conn[i].dead || t->conn[i].c.lport != ev->lport ||
			       t->conn[i].c.rport != ev->rport ||
			       memcmp(t->conn[i].ra.b, ev->raddr.b, 16)))
			i = -1;
		if (i >= 0 && ev->cookie && t->conn[i].c.cookie && t->conn[i].c.cookie != ev->cookie)
			i = -1;	/* a new socket on an old tuple */
	}
	if (i < 0) {
		if (!ev->family || !port_ok(t, ev->lport, ev->rport))
			return -1;
		i = conn_new(t, ev->family, &ev->laddr, ev->lport, &ev->raddr, ev->rport, ev->t_ns);
		if (i < 0)
			return -1;
	}
	learn(t, (uint32_t)i, ev->cookie, ev->skaddr);
	return i;
}

static long conn_of_sock(struct tcptrace *t, const struct tcpdiag_sock *s, uint64_t t_ns)
{
	long i = map_get(&t->by_cookie, s->cookie);
	struct conn *c;

	if (i < 0) {	/* known by its tuple only (an event without a cookie)? */
		i = map_get(&t->by_tuple, tuple_key(&s->laddr, s->lport, &s->raddr, s->rport));
		if (i >= 0 && (t->conn[i].dead || t->conn[i].c.cookie ||
			       t->conn[i].c.lport != s->lport || t->conn[i].c.rport != s->rport ||
			       memcmp(t->conn[i].ra.b, s->raddr.b, 16)))
			i = -1;
		if (i >= 0)
			learn(t, (uint32_t)i, s->cookie, 0);
	}
	if (i < 0) {
		if (!port_ok(t, s->lport, s->rport))
			return -1;
		i = conn_new(t, s->family, &s->laddr, s->lport, &s->raddr, s->rport, t_ns);
		if (i < 0)
			return -1;
		t->conn[i].c.preexisting = t->first_dump;
		learn(t, (uint32_t)i, s->cookie, 0);
	}
	c = &t->conn[i];
	c->in_diag = 1;
	if (s->cc[0] && strcmp(c->c.cc, s->cc)) {
		snprintf(c->c.cc, sizeof(c->c.cc), "%s", s->cc);
		c->line = 0;
	}
	return i;
}

/* Whose connection is it? Decided once, when first seen. */
static void decide(struct tcptrace *t, struct conn *c)
{
	const char *owner;

	if (c->in_diag)
		owner = "diag";
	else if (!is_local(t, &c->la))
		owner = t->o.keep_foreign ? "foreign" : NULL;
	else if (!tcpdiag_addr_is_loopback(&c->la))
		owner = "addr";
	else
		owner = "unknown";
	c->fate = owner ? CONN_KEEP : CONN_DROP;
	if (owner) {
		snprintf(c->c.owner, sizeof(c->c.owner), "%s", owner);
		t->st.conns++;
	}
}

/* ---- the batch ---- */

static struct item *item_add(struct tcptrace *t, uint32_t conn, int kind, uint64_t t_ns)
{
	struct item *it;

	ALLOC_GROW(t->batch, t->nbatch + 1, t->alloc_batch);
	it = &t->batch[t->nbatch++];
	it->t_ns = t_ns;
	it->seq = t->seq++;
	it->conn = conn;
	it->kind = (uint8_t)kind;
	it->thinned = 0;
	it->have = 0;
	return it;
}

static int64_t val(const struct item *it, enum tcprec_field f)
{
	return (it->have >> f) & 1 ? it->v[f] : -1;
}

/*
 * A probe the checks will want to see with its predecessor: more in
 * flight than cwnd segments or the peer's window (tcpcheck's over_cwnd
 * and over_rwnd, without their slack).
 */
static int suspicious(const struct conn *c, const struct item *it)
{
	int64_t nxt = val(it, TF_SND_NXT), una = val(it, TF_SND_UNA);
	int64_t cwnd = val(it, TF_CWND), wnd = val(it, TF_SND_WND);
	uint32_t flight = (uint32_t)nxt - (uint32_t)una;

	if (nxt < 0 || una < 0)
		return 0;
	return (c->mss && cwnd >= 0 && flight > (uint64_t)cwnd * c->mss) ||
	       (wnd >= 0 && flight > (uint64_t)wnd);
}

enum { THIN_HOLD, THIN_KEEP, THIN_KEEP_PRED };

/*
 * Thinning: a probe is written when probe_gap has passed since the last
 * one written, when cwnd fell or ssthresh moved, or when it is
 * suspicious -- then with the probe before it (THIN_KEEP_PRED: the
 * caller writes c->held first and empties it). The others are held one
 * at a time and counted as thinned when the next replaces them.
 */
static int thin(struct tcptrace *t, struct conn *c, const struct item *it)
{
	uint64_t gap = (uint64_t)t->o.probe_gap_us * NSEC_PER_USEC;
	int held = c->held && c->held->kind == TCPREC_NKINDS;
	int bad = suspicious(c, it);

	/* without an MSS, over cwnd cannot be told: keep all until a sample says */
	if (gap && c->kept_ns && c->mss && it->t_ns < c->kept_ns + gap && !bad &&
	    val(it, TF_CWND) >= c->kept_cwnd && val(it, TF_SSTHRESH) == c->kept_ssthresh) {
		if (!c->held)
			c->held = xcalloc(1, sizeof(*c->held));
		else if (held)
			t->st.thinned++;	/* the one held before is gone for good */
		*c->held = *it;
		c->held->kind = TCPREC_NKINDS;	/* marks it full */
		return THIN_HOLD;
	}
	c->kept_ns = it->t_ns;
	c->kept_cwnd = val(it, TF_CWND);
	c->kept_ssthresh = val(it, TF_SSTHRESH);
	if (held && bad)
		return THIN_KEEP_PRED;
	if (held) {
		t->st.thinned++;
		c->held->kind = 0;
	}
	return THIN_KEEP;
}

/*
 * The first probe of a connection since tcp_probe was off or events were
 * lost: its predecessor may be missing, so the checks must not compare
 * it with the last one written, and a probe held from before the gap is
 * no predecessor of it. Always written.
 */
static void mark_gap(struct tcptrace *t, struct conn *c, struct item *it)
{
	it->v[TF_GAP] = 1;
	it->have |= UINT64_C(1) << TF_GAP;
	if (c->held && c->held->kind == TCPREC_NKINDS) {
		t->st.thinned++;
		c->held->kind = 0;
	}
	c->kept_ns = 0;
}

/* Thin batch item k, a probe of an attributed connection, as it arrives. */
static void thin_now(struct tcptrace *t, struct conn *c, size_t k)
{
	struct item *pred;

	switch (thin(t, c, &t->batch[k])) {
	case THIN_HOLD:
		t->nbatch--;	/* it was the last one added */
		return;
	case THIN_KEEP_PRED:
		pred = item_add(t, t->batch[k].conn, TCPREC_PROBE, c->held->t_ns);
		pred->have = c->held->have;
		memcpy(pred->v, c->held->v, sizeof(pred->v));
		pred->thinned = 1;
		c->held->kind = 0;
		break;
	}
	t->batch[k].thinned = 1;
}

static void on_event(const struct tcpperf_ev *ev, void *data)
{
	struct tcptrace *t = data;
	long i = conn_of_event(t, ev);
	struct item *it;

	if (i < 0) {
		t->st.unmatched++;
		return;
	}
	if (ev->kind == TCPPERF_READ) {
		t->conn[i].reads++;
		return;
	}
	if (ev->kind == TCPREC_PROBE && !t->o.probe_data && ev->v[TF_LEN] > 0 &&
	    (ev->have & (UINT64_C(1) << TF_LEN)))
		return;	/* a data segment the kernel's filter let through (it refused it) */
	if (t->conn[i].fate == CONN_DROP) {
		t->st.foreign++;	/* no need to carry it to the write */
		return;
	}
	it = item_add(t, (uint32_t)i, ev->kind, ev->t_ns);
	it->have = ev->have;
	memcpy(it->v, ev->v, sizeof(it->v));
	if (ev->kind == TCPREC_PROBE && t->conn[i].gen != t->gen) {
		mark_gap(t, &t->conn[i], it);
		t->conn[i].gen = t->gen;
	}
	if (ev->kind == TCPREC_PROBE && t->conn[i].fate == CONN_KEEP)
		thin_now(t, &t->conn[i], t->nbatch - 1);
}

struct dump_ctx {
	struct tcptrace *t;
	uint64_t t_ns;
	int kind;		/* TCPREC_SAMPLE or TCPREC_END */
};

static void on_sock(const struct tcpdiag_sock *s, void *data)
{
	struct dump_ctx *d = data;
	struct tcptrace *t = d->t;
	struct item *it;
	long i;

	if (s->state == 10 || (!s->rport && d->kind == TCPREC_END))
		return;	/* a listener going away */
	if (!(s->have & (UINT64_C(1) << TF_CWND)))
		return;	/* no TCP_INFO: a timewait socket (FIN_WAIT2 timing out) */
	if ((i = conn_of_sock(t, s, d->t_ns)) < 0 || t->conn[i].dead)
		return;
	if (s->have & (UINT64_C(1) << TF_MSS))
		t->conn[i].mss = (uint32_t)s->vals[TF_MSS];
	it = item_add(t, (uint32_t)i, d->kind, d->t_ns);
	it->have = s->have;
	memcpy(it->v, s->vals, sizeof(it->v));
	if (t->perf && t->o.app_reads) {
		it->v[TF_READS] = t->conn[i].reads;
		it->have |= UINT64_C(1) << TF_READS;
		t->conn[i].reads = 0;
	}
	if (d->kind == TCPREC_END) {
		struct conn *c = &t->conn[i];

		c->dead = 1;
		t->st.destroyed++;
		if (c->held && c->held->kind == TCPREC_NKINDS)
			t->st.thinned++;	/* no probe will come after it now */
		free(c->held);		/* what a million short connections would keep */
		c->held = NULL;
	}
}

/* The keys of the connections alive (or not yet attributed); their count. */
static size_t live_keys(struct tcptrace *t, struct tcpdiag_key **out)
{
	struct tcpdiag_key *k = xcalloc(t->nconn ? t->nconn : 1, sizeof(*k));
	size_t n = 0;

	for (size_t i = 0; i < t->nconn; i++) {
		const struct conn *c = &t->conn[i];

		if (c->dead || c->fate == CONN_DROP)
			continue;
		k[n++] = (struct tcpdiag_key){ c->c.family == 6 ? AF_INET6 : AF_INET, c->la, c->ra,
					       c->c.lport, c->c.rport, c->c.cookie };
	}
	*out = k;
	return n;
}

/*
 * TCP_INFO of every connection: a lookup each (cheap), or, to discover
 * connections (at the start, and now and then when there are no
 * events to find them by) or when there are very many, a dump (the
 * kernel walks its whole hash: milliseconds).
 */
static void sample(struct tcptrace *t, int discover)
{
	struct dump_ctx d = { t, mono_ns(), TCPREC_SAMPLE };
	struct tcpdiag_key *keys = NULL;
	size_t n = discover ? 0 : live_keys(t, &keys);
	int ret;

	if (n > 1024)
		discover = 1;
	ret = discover ? tcpdiag_dump(t->dump_fd, on_sock, &d)
		       : tcpdiag_get(t->dump_fd, keys, n, on_sock, &d);
	if (!ret)
		t->st.samples++;
	free(keys);
	t->next_sample = d.t_ns + (uint64_t)t->o.sample_ms * NSEC_PER_MSEC;
	if (discover)
		t->next_dump = d.t_ns + (uint64_t)t->o.dump_ms * NSEC_PER_MSEC;
}

static void read_destroyed(struct tcptrace *t)
{
	struct dump_ctx d = { t, mono_ns(), TCPREC_END };

	if (t->destroy_fd >= 0)
		tcpdiag_read_destroy(t->destroy_fd, on_sock, &d, &t->st.diag_lost);
}

/* ---- writing ---- */

static void put_line(struct tcptrace *t, const char *buf, size_t n)
{
	if (n && fwrite(buf, 1, n, t->f) != n && !t->write_err)
		t->write_err = errno ? errno : EIO;
}

static void write_conn_line(struct tcptrace *t, struct conn *c)
{
	char buf[TCPREC_LINE_MAX];

	put_line(t, buf, tcprec_format_conn(buf, &c->c));
	c->line = 1;
}

static void write_line(struct tcptrace *t, struct conn *c, const struct item *it, int kind)
{
	char buf[TCPREC_LINE_MAX];

	if (!c->line)
		write_conn_line(t, c);
	put_line(t, buf, tcprec_format(buf, kind, c->c.id, it->t_ns, it->have, it->v));
	c->written++;
	t->st.written++;
}

static void write_item(struct tcptrace *t, const struct item *it)
{
	struct conn *c = &t->conn[it->conn];
	char buf[TCPREC_LINE_MAX];

	if (c->fate == CONN_DROP) {
		t->st.foreign++;
		return;
	}
	if (it->kind == TCPREC_PROBE && !it->thinned) {	/* it came before attribution */
		int r = thin(t, c, it);

		if (r == THIN_HOLD)
			return;
		if (r == THIN_KEEP_PRED) {
			write_line(t, c, c->held, TCPREC_PROBE);
			c->held->kind = 0;
		}
	}
	if (c->written >= t->o.max_records && it->kind != TCPREC_END) {
		t->st.capped++;
		if (!c->c.capped) {
			if (!c->line)
				write_conn_line(t, c);
			c->c.capped = 1;
			t->st.conns_capped++;
			put_line(t, buf, (size_t)snprintf(buf, sizeof(buf),
				 "{\"type\":\"cap\",\"id\":%u,\"t\":%.9f}\n", c->c.id,
				 (double)it->t_ns / 1e9));
		}
		return;
	}
	write_line(t, c, it, it->kind);
}

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->t_ns != y->t_ns)
		return x->t_ns < y->t_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void flush_batch(struct tcptrace *t)
{
	if (t->nbatch)
		qsort(t->batch, t->nbatch, sizeof(*t->batch), cmp_item);
	for (size_t i = 0; i < t->nbatch; i++)
		write_item(t, &t->batch[i]);
	t->nbatch = 0;
	if (fflush(t->f) && !t->write_err)
		t->write_err = errno;
}

static void decide_pending(struct tcptrace *t)
{
	for (size_t i = 0; i < t->nconn; i++)
		if (t->conn[i].fate == CONN_PENDING)
			decide(t, &t->conn[i]);
	t->pending = 0;
}

/* One round: drain, attribute, sample when due, write. */
static void put_switch(struct tcptrace *t, const char *what, uint64_t now)
{
	char buf[128];

	put_line(t, buf, (size_t)snprintf(buf, sizeof(buf), "{\"type\":\"%s\",\"t\":%.9f,"
					  "\"duty\":%.3f}\n", what, (double)now / 1e9, t->duty));
}

/*
 * The event budget: tcp_probe costs on every segment of every socket
 * while it is on (~100 ns building and filtering its record, ~260 ns more
 * writing one that matches, measured here), so when it fires more than
 * probe_budget times a second it is on for only part of each sampling
 * interval (duty = budget / its rate while on, at least 5%). Called at
 * every step; a new interval begins with each sample.
 */
static void duty_cycle(struct tcptrace *t, uint64_t now, int new_interval)
{
	uint64_t fires;

	if (!t->perf || !t->o.probe_budget)
		return;
	if (t->probe_on && t->duty < 1 && now >= t->off_at) {
		if (!tcpperf_probe_enable(t->perf, 0)) {
			t->probe_on = 0;
			t->st.probe_offs++;
			put_switch(t, "probe_off", now);
		}
	}
	if (!new_interval)
		return;
	fires = tcpperf_probe_fires(t->perf);
	if (t->on_since) {
		uint64_t end = t->probe_on ? now : t->off_at;
		double on_s = end > t->on_since ? (double)(end - t->on_since) / 1e9 : 0;
		double rate = on_s > 0 ? (double)(fires - t->fires0) / on_s : 0;

		t->duty = rate > t->o.probe_budget ? t->o.probe_budget / rate : 1;
		if (t->duty < 0.05)
			t->duty = 0.05;
	}
	t->fires0 = fires;
	t->on_since = now;
	t->off_at = now + (uint64_t)(t->duty * t->o.sample_ms * NSEC_PER_MSEC);
	if (!t->probe_on && !tcpperf_probe_enable(t->perf, 1)) {
		t->probe_on = 1;
		t->gen++;
		put_switch(t, "probe_on", now);
	}
}

static void step(struct tcptrace *t, int force_sample)
{
	uint64_t lost0 = t->st.lost, now;
	int sampled = 1;

	pthread_mutex_lock(&t->lock);
	if (t->perf)
		tcpperf_drain(t->perf, on_event, t, &t->st);
	read_destroyed(t);
	now = mono_ns();
	/* the diag source finds new connections by dumps, now and then */
	if (t->first_dump || (!t->perf && now >= t->next_dump))
		sample(t, 1);
	else if (t->pending || force_sample || now >= t->next_sample)
		sample(t, 0);	/* new connections are looked up in this namespace */
	else
		sampled = 0;
	decide_pending(t);
	flush_batch(t);
	duty_cycle(t, now, sampled && !force_sample);
	if (t->st.lost > lost0) {
		char buf[128];

		t->gen++;	/* any connection's next probe may lack its predecessor */
		put_line(t, buf, (size_t)snprintf(buf, sizeof(buf),
			 "{\"type\":\"lost\",\"t\":%.9f,\"lost\":%llu}\n", mono_s(),
			 (unsigned long long)(t->st.lost - lost0)));
	}
	pthread_mutex_unlock(&t->lock);
}

static void *worker(void *arg)
{
	struct tcptrace *t = arg;
	struct pollfd fds[1026];

	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		int n = t->perf ? tcpperf_pollfds(t->perf, fds, 1024) : 0;
		uint64_t now = mono_ns(), wake = t->next_sample;
		int ms;

		if (t->probe_on && t->duty < 1 && t->off_at < wake)
			wake = t->off_at;
		ms = wake > now ? (int)((wake - now) / NSEC_PER_MSEC) + 1 : 0;

		fds[n++] = (struct pollfd){ .fd = t->wake_fd, .events = POLLIN };
		if (t->destroy_fd >= 0)
			fds[n++] = (struct pollfd){ .fd = t->destroy_fd, .events = POLLIN };
		poll(fds, (nfds_t)n, ms);
		if (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE))
			step(t, 0);
	}
	return NULL;
}

/* ---- start and stop ---- */

static void netns_ids(json_t *info)
{
	struct stat st;
	uint64_t cookie;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (!stat("/proc/self/ns/net", &st))
		json_set_int(info, "netns_inode", (long long)st.st_ino);
	else
		json_set(info, "netns_inode", json_null());
	if (fd >= 0 && !getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		json_set_int(info, "netns_cookie", (long long)cookie);
	else
		json_set(info, "netns_cookie", json_null());
	if (fd >= 0)
		close(fd);
}

static json_t *info_json(struct tcptrace *t)
{
	json_t *info = json_object(), *ports = json_array();

	json_set_str(info, "type", "info");
	json_set_str(info, "collector", "tcptrace");
	json_set_int(info, "format", 1);
	json_set_num(info, "t", mono_s());
	for (size_t i = 0; i < t->o.nports; i++)
		json_array_append_new(ports, json_integer(t->ports[i]));
	json_set(info, "ports", ports);
	json_set_num(info, "interval_s", t->o.sample_ms / 1000.0);
	json_set_num(info, "dump_interval_s", t->o.dump_ms / 1000.0);
	json_set_int(info, "max_records", t->o.max_records);
	json_set_int(info, "max_conns", t->o.max_conns);
	json_set_int(info, "probe_gap_us", t->o.probe_gap_us);
	json_set_int(info, "probe_budget", t->o.probe_budget);
	json_set_int(info, "ring_kb", t->o.ring_kb);
	netns_ids(info);
	return info;
}

static int open_sources(struct tcptrace *t, json_t *info)
{
	const char *why = NULL;

	t->dump_fd = tcpdiag_open();
	if (t->dump_fd < 0)
		return -1;
	t->destroy_fd = tcpdiag_open_destroy(&why);
	json_set(info, "destroy_broadcast", json_boolean(t->destroy_fd >= 0));
	if (t->destroy_fd < 0)
		json_set_str(info, "destroy_why", why);
	why = "diag forced";
	if (t->o.source == TCPTRACE_AUTO &&
	    tcpperf_open(&t->perf, t->ports, t->o.nports, t->o.ring_kb, t->o.app_reads,
			 t->o.probe_data, info, &why))
		t->perf = NULL;
	t->source = t->perf ? "tracepoints" : "diag";
	json_set_str(info, "source", t->source);
	if (!t->perf)
		json_set_str(info, "why", why);
	if ((t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		return error_errno("cannot make an eventfd");
	t->nlocal = tcpdiag_local_addrs(&t->local);
	return t->nlocal < 0 ? -1 : 0;
}

static int open_file(struct tcptrace *t)
{
	int fd = open(t->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return error_errno("cannot create '%s'", t->path);
	t->f = fdopen(fd, "w");
	if (!t->f) {
		close(fd);
		return error_errno("cannot open '%s'", t->path);
	}
	setvbuf(t->f, NULL, _IOFBF, 1 << 20);
	return 0;
}

static void free_trace(struct tcptrace *t)
{
	tcpperf_free(t->perf);
	if (t->dump_fd >= 0)
		close(t->dump_fd);
	if (t->destroy_fd >= 0)
		close(t->destroy_fd);
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	if (t->f)
		fclose(t->f);
	map_free(&t->by_cookie);
	map_free(&t->by_skaddr);
	map_free(&t->by_tuple);
	pthread_mutex_destroy(&t->lock);
	for (size_t i = 0; i < t->nconn; i++)
		free(t->conn[i].held);
	free(t->local);
	free(t->conn);
	free(t->batch);
	free(t->ports);
	free(t->path);
	free(t);
}

int tcptrace_start(struct tcptrace **out, const struct tcptrace_opts *o)
{
	struct tcptrace *t = xcalloc(1, sizeof(*t));
	json_t *info = NULL;
	char *line;
	int ret = -1;

	t->o = *o;
	t->dump_fd = t->destroy_fd = t->wake_fd = -1;
	pthread_mutex_init(&t->lock, NULL);
	t->path = xstrdup(o->path);
	t->ports = xcalloc(o->nports ? o->nports : 1, sizeof(*t->ports));
	if (o->nports)
		memcpy(t->ports, o->ports, o->nports * sizeof(*t->ports));
	if (!t->o.sample_ms)
		t->o.sample_ms = 100;
	if (!t->o.max_records)
		t->o.max_records = 50000;
	if (!t->o.ring_kb)
		t->o.ring_kb = 1024;
	if (!t->o.dump_ms)
		t->o.dump_ms = 1000;
	if (!t->o.max_conns)
		t->o.max_conns = 200000;
	if (open_file(t))
		goto done;
	info = info_json(t);
	if (open_sources(t, info))
		goto done;
	line = json_dump_compact(info);
	fprintf(t->f, "%s\n", line);
	free(line);
	t->first_dump = 1;
	step(t, 1);
	t->first_dump = 0;
	if (t->perf && tcpperf_enable(t->perf))
		goto done;
	t->duty = 1;
	t->probe_on = t->perf != NULL;
	t->on_since = mono_ns();
	if (pthread_create(&t->thread, NULL, worker, t)) {
		error("cannot start the tcptrace thread");
		goto done;
	}
	ret = 0;
done:
	json_decref(info);
	if (ret)
		free_trace(t);
	else
		*out = t;
	return ret;
}

const char *tcptrace_source(const struct tcptrace *t)
{
	return t->source;
}

void tcptrace_stats(struct tcptrace *t, struct tcprec_stats *out)
{
	pthread_mutex_lock(&t->lock);
	*out = t->st;
	pthread_mutex_unlock(&t->lock);
}

static void write_stats(struct tcptrace *t)
{
	json_t *s = json_object();
	char *line;

	json_set_str(s, "type", "stats");
	json_set_num(s, "t", mono_s());
	json_set_int(s, "events", (long long)t->st.events);
	json_set_int(s, "written", (long long)t->st.written);
	json_set_int(s, "lost", (long long)t->st.lost);
	json_set_int(s, "lost_records", (long long)t->st.lost_records);
	json_set_int(s, "capped", (long long)t->st.capped);
	json_set_int(s, "thinned", (long long)t->st.thinned);
	json_set_int(s, "foreign", (long long)t->st.foreign);
	json_set_int(s, "unmatched", (long long)t->st.unmatched);
	json_set_int(s, "samples", (long long)t->st.samples);
	json_set_int(s, "conns", (long long)t->st.conns);
	json_set_int(s, "conns_capped", (long long)t->st.conns_capped);
	json_set_int(s, "conns_over", (long long)t->st.conns_over);
	json_set_int(s, "destroyed", (long long)t->st.destroyed);
	json_set_int(s, "diag_lost", (long long)t->st.diag_lost);
	json_set_int(s, "throttled", (long long)t->st.throttled);
	json_set_int(s, "probe_offs", (long long)t->st.probe_offs);
	line = json_dump_compact(s);
	fprintf(t->f, "%s\n", line);
	free(line);
	json_decref(s);
}

int tcptrace_stop(struct tcptrace *t, struct tcprec_stats *stats_out)
{
	uint64_t one = 1;
	int ret = 0;

	if (!t)
		return 0;
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
	if (write(t->wake_fd, &one, sizeof(one)) < 0)
		warning_errno("cannot wake the tcptrace thread");
	pthread_join(t->thread, NULL);
	step(t, 1);
	for (size_t i = 0; i < t->nconn; i++)
		if (t->conn[i].held && t->conn[i].held->kind == TCPREC_NKINDS)
			t->st.thinned++;
	write_stats(t);
	if (fflush(t->f) || fsync(fileno(t->f)))
		t->write_err = t->write_err ? t->write_err : errno;
	if (t->write_err) {
		errno = t->write_err;
		ret = error_errno("cannot write '%s'", t->path);
	}
	if (stats_out)
		*stats_out = t->st;
	free_trace(t);
	return ret;
}

#else	/* !__linux__ */

#include "common/util.h"

#include <string.h>

/*
 * FreeBSD's equivalent is its kernel's TCP black box logging (tcp_log,
 * net.inet.tcp.bb.*, read out with tcplog_dumper; see tcprec.h): a
 * recorder translating it is not written yet.
 */
void tcptrace_opts_init(struct tcptrace_opts *o)
{
	memset(o, 0, sizeof(*o));
}

int tcptrace_start(struct tcptrace **out, const struct tcptrace_opts *o)
{
	*out = NULL;
	return error("tcptrace: no recorder on this system (Linux only; FreeBSD's "
		     "equivalent, BB logging, is not translated yet)");
}

const char *tcptrace_source(const struct tcptrace *t)
{
	return "none";
}

void tcptrace_stats(struct tcptrace *t, struct tcprec_stats *out)
{
	memset(out, 0, sizeof(*out));
}

int tcptrace_stop(struct tcptrace *t, struct tcprec_stats *stats_out)
{
	if (stats_out)
		memset(stats_out, 0, sizeof(*stats_out));
	return 0;
}

#endif /* __linux__ */
