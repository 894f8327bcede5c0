/*
 * The TCP trace file: the writer's formatting (no allocation, the
 * recorder's hot path) and the reader (jansson, a line at a time, a cut
 * last line tolerated).
 */
#include "collectors/tcprec.h"
#include "common/util.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const tcprec_kind_names[TCPREC_NKINDS] = {
	[TCPREC_PROBE] = "probe",
	[TCPREC_RCVBUF] = "rcvbuf",
	[TCPREC_RETRANS] = "retrans",
	[TCPREC_RST_TX] = "rst_tx",
	[TCPREC_RST_RX] = "rst_rx",
	[TCPREC_CA] = "ca",
	[TCPREC_SAMPLE] = "sample",
	[TCPREC_END] = "end",
};

const char *const tcprec_field_names[TCPREC_NFIELDS] = {
	[TF_SND_NXT] = "snd_nxt",
	[TF_SND_UNA] = "snd_una",
	[TF_CWND] = "cwnd",
	[TF_SSTHRESH] = "ssthresh",
	[TF_SND_WND] = "snd_wnd",
	[TF_RCV_WND] = "rcv_wnd",
	[TF_SRTT] = "srtt_us",
	[TF_LEN] = "len",
	[TF_STATE] = "state",
	[TF_CA_STATE] = "ca_state",
	[TF_ERR] = "err",
	[TF_REASON] = "reason",
	[TF_RCV_RTT] = "rcv_rtt_us",
	[TF_COPIED] = "copied",
	[TF_INQ] = "inq",
	[TF_RCV_SPACE] = "rcv_space",
	[TF_RCVBUF] = "rcvbuf",
	[TF_RCV_SSTHRESH] = "rcv_ssthresh",
	[TF_WINDOW_CLAMP] = "window_clamp",
	[TF_SCALING_RATIO] = "scaling_ratio",
	[TF_TIME] = "time_us",
	[TF_MSS] = "mss",
	[TF_RTTVAR] = "rttvar_us",
	[TF_RTO] = "rto_us",
	[TF_UNACKED] = "unacked",
	[TF_SACKED] = "sacked",
	[TF_LOST] = "lost",
	[TF_RETRANS_OUT] = "retrans_out",
	[TF_IN_FLIGHT] = "in_flight",
	[TF_TOTAL_RETRANS] = "total_retrans",
	[TF_TOTAL_RTO] = "total_rto",
	[TF_BYTES_SENT] = "bytes_sent",
	[TF_BYTES_RETRANS] = "bytes_retrans",
	[TF_BYTES_ACKED] = "bytes_acked",
	[TF_BYTES_RECEIVED] = "bytes_received",
	[TF_NOTSENT] = "notsent",
	[TF_RQUEUE] = "rqueue",
	[TF_WQUEUE] = "wqueue",
	[TF_SNDBUF] = "sndbuf",
	[TF_DELIVERY_RATE] = "delivery_rate",
	[TF_BUSY] = "busy_us",
	[TF_RWND_LIMITED] = "rwnd_limited_us",
	[TF_SNDBUF_LIMITED] = "sndbuf_limited_us",
	[TF_READS] = "reads",
	[TF_BACKOFF] = "backoff",
	[TF_GAP] = "gap",
};

_Static_assert(TCPREC_NFIELDS <= 64, "a record's fields must fit its bitmask");

int tcprec_kind_find(const char *name)
{
	for (int i = 0; i < TCPREC_NKINDS; i++)
		if (!strcmp(tcprec_kind_names[i], name))
			return i;
	return -1;
}

int tcprec_field_find(const char *name)
{
	for (int i = 0; i < TCPREC_NFIELDS; i++)
		if (!strcmp(tcprec_field_names[i], name))
			return i;
	return -1;
}

int64_t tcprec_get(const struct tcprec *r, enum tcprec_field f, int64_t def)
{
	uint64_t below = r->have & ((UINT64_C(1) << f) - 1);

	if (!tcprec_has(r, f))
		return def;
	return r->v[__builtin_popcountll(below)];
}

/* ---- writing ---- */

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u64(p, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(p, (uint64_t)v);
}

/* Seconds with nine decimals from nanoseconds. */
static char *put_time(char *p, uint64_t ns)
{
	uint64_t frac = ns % 1000000000ULL;

	p = put_u64(p, ns / 1000000000ULL);
	*p++ = '.';
	for (uint64_t d = 100000000ULL; d; d /= 10)
		*p++ = (char)('0' + (frac / d) % 10);
	return p;
}

size_t tcprec_format(char *buf, enum tcprec_kind kind, uint32_t conn, uint64_t t_ns,
		     uint64_t have, const int64_t *vals)
{
	char *p = buf;

	p = put_str(p, "{\"type\":\"");
	p = put_str(p, tcprec_kind_names[kind]);
	p = put_str(p, "\",\"id\":");
	p = put_u64(p, conn);
	p = put_str(p, ",\"t\":");
	p = put_time(p, t_ns);
	for (int f = 0; f < TCPREC_NFIELDS; f++) {
		if (!((have >> f) & 1))
			continue;
		*p++ = ',';
		*p++ = '"';
		p = put_str(p, tcprec_field_names[f]);
		*p++ = '"';
		*p++ = ':';
		p = put_i64(p, vals[f]);
	}
	p = put_str(p, "}\n");
	return (size_t)(p - buf);
}

/* Copy s keeping what is safe inside a JSON string without escapes. */
static void json_safe(char *out, size_t size, const char *s)
{
	size_t i = 0;

	for (; s[i] && i + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
	}
	out[i] = '\0';
}

size_t tcprec_format_conn(char *buf, const struct tcprec_conn *c)
{
	char la[46], ra[46], owner[8], cc[16];
	uint64_t t_ns = c->t > 0 ? (uint64_t)(c->t * 1e9 + 0.5) : 0;
	char tbuf[32];
	int n;

	json_safe(la, sizeof(la), c->laddr);
	json_safe(ra, sizeof(ra), c->raddr);
	json_safe(owner, sizeof(owner), c->owner);
	json_safe(cc, sizeof(cc), c->cc);
	*put_time(tbuf, t_ns) = '\0';
	n = snprintf(buf, TCPREC_LINE_MAX,
		     "{\"type\":\"conn\",\"id\":%u,\"t\":%s,\"cookie\":%llu,\"family\":%d,"
		     "\"laddr\":\"%s\",\"lport\":%u,\"raddr\":\"%s\",\"rport\":%u,"
		     "\"owner\":\"%s\",\"cc\":\"%s\",\"preexisting\":%s}\n",
		     c->id, tbuf, (unsigned long long)c->cookie, c->family, la,
		     c->lport, ra, c->rport, owner, cc, c->preexisting ? "true" : "false");
	return n < 0 ? 0 : (size_t)n;
}

/* ---- reading ---- */

struct parse_state {
	struct tcprec_file *f;
	size_t *off;		/* per record: its values' offset in the pool */
	size_t alloc_off;
	const char *origin;
	unsigned long lineno;
	size_t *slot;		/* open addressing: conn index + 1 by id, 0 = empty */
	size_t nslot;		/* a power of two, more than twice nr_conn */
};

static int bad(struct parse_state *s, const char *what)
{
	return error("%s:%lu: %s", s->origin, s->lineno, what);
}

static size_t *slot_of(struct parse_state *s, uint32_t id)
{
	size_t mask = s->nslot - 1, i = (id * 2654435761u) & mask;

	while (s->slot[i] && s->f->conn[s->slot[i] - 1].id != id)
		i = (i + 1) & mask;
	return &s->slot[i];
}

static struct tcprec_conn *conn_by_id(struct parse_state *s, uint32_t id)
{
	size_t k;

	if (!s->nslot)
		return NULL;
	k = *slot_of(s, id);
	return k ? &s->f->conn[k - 1] : NULL;
}

/* A new connection with this id (not present yet). */
static struct tcprec_conn *conn_add(struct parse_state *s, uint32_t id)
{
	struct tcprec_file *f = s->f;
	struct tcprec_conn *c;

	if (2 * (f->nr_conn + 1) >= s->nslot) {
		size_t n = s->nslot ? 2 * s->nslot : 64;

		free(s->slot);
		s->slot = xcalloc(n, sizeof(*s->slot));
		s->nslot = n;
		for (size_t i = 0; i < f->nr_conn; i++)
			*slot_of(s, f->conn[i].id) = i + 1;
	}
	ALLOC_GROW(f->conn, f->nr_conn + 1, f->alloc_conn);
	c = &f->conn[f->nr_conn++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	strcpy(c->owner, "unknown");
	*slot_of(s, id) = f->nr_conn;
	return c;
}

/* An integer member in [lo, hi]; 1 found, 0 absent, -1 wrong. */
static int get_int(const json_t *o, const char *key, long long lo, long long hi, long long *out)
{
	const json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -1;
	*out = json_integer_value(v);
	return 1;
}

static void get_strbuf(const json_t *o, const char *key, char *out, size_t size)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s)
		json_safe(out, size, s);
}

static int parse_conn(struct parse_state *s, const json_t *o)
{
	struct tcprec_conn *c;
	long long id, v;
	double t;

	if (get_int(o, "id", 0, UINT32_MAX, &id) != 1)
		return bad(s, "conn: missing or bad 'id'");
	c = conn_by_id(s, (uint32_t)id);
	if (!c)
		c = conn_add(s, (uint32_t)id);
	if (get_int(o, "cookie", 0, INT64_MAX, &v) == 1)
		c->cookie = (uint64_t)v;
	if (get_int(o, "family", 0, 255, &v) == 1)
		c->family = (int)v;
	if (get_int(o, "lport", 0, 65535, &v) == 1)
		c->lport = (uint16_t)v;
	if (get_int(o, "rport", 0, 65535, &v) == 1)
		c->rport = (uint16_t)v;
	t = json_number_value(json_object_get(o, "t"));
	if (isfinite(t) && c->t == 0)
		c->t = t;
	get_strbuf(o, "laddr", c->laddr, sizeof(c->laddr));
	get_strbuf(o, "raddr", c->raddr, sizeof(c->raddr));
	get_strbuf(o, "owner", c->owner, sizeof(c->owner));
	get_strbuf(o, "cc", c->cc, sizeof(c->cc));
	if (json_is_boolean(json_object_get(o, "preexisting")))
		c->preexisting = json_is_true(json_object_get(o, "preexisting"));
	return 0;
}

static int parse_event(struct parse_state *s, const json_t *o, int kind)
{
	struct tcprec_file *f = s->f;
	const json_t *tv = json_object_get(o, "t");
	struct tcprec *r;
	long long id, v;

	if (get_int(o, "id", 0, UINT32_MAX, &id) != 1)
		return bad(s, "missing or bad 'id'");
	if (!json_is_number(tv) || !isfinite(json_number_value(tv)))
		return bad(s, "missing or bad 't'");
	if (!conn_by_id(s, (uint32_t)id)) {
		f->skipped++;	/* its conn line was never written */
		return 0;
	}
	ALLOC_GROW(f->rec, f->nr_rec + 1, f->alloc_rec);
	ALLOC_GROW(s->off, f->nr_rec + 1, s->alloc_off);
	r = &f->rec[f->nr_rec];
	memset(r, 0, sizeof(*r));
	r->t = json_number_value(tv);
	r->conn = (uint32_t)id;
	r->kind = (uint8_t)kind;
	s->off[f->nr_rec++] = f->nr_pool;
	for (int k = 0; k < TCPREC_NFIELDS; k++) {
		int got = get_int(o, tcprec_field_names[k], INT64_MIN, INT64_MAX, &v);

		if (got < 0)
			return bad(s, "a field is not an integer");
		if (!got)
			continue;
		r->have |= UINT64_C(1) << k;
		ALLOC_GROW(f->pool, f->nr_pool + 1, f->alloc_pool);
		f->pool[f->nr_pool++] = v;
	}
	return 0;
}

static const struct {
	const char *key;
	size_t off;
} stats_keys[] = {
#define S(k) { #k, offsetof(struct tcprec_stats, k) }
	S(events), S(written), S(lost), S(lost_records), S(capped), S(thinned), S(foreign),
	S(unmatched), S(samples), S(conns), S(conns_capped), S(conns_over), S(destroyed),
	S(diag_lost), S(throttled), S(probe_offs),
#undef S
};

static void parse_stats(struct parse_state *s, const json_t *o)
{
	long long v;

	for (size_t i = 0; i < ARRAY_SIZE(stats_keys); i++)
		if (get_int(o, stats_keys[i].key, 0, INT64_MAX, &v) == 1)
			*(uint64_t *)((char *)&s->f->stats + stats_keys[i].off) = (uint64_t)v;
	s->f->have_stats = 1;
}

/* The tracepoint behind each kind of event record. */
static const struct {
	const char *tp;
	int kind;
} tp_kinds[] = {
	{ "tcp_probe", TCPREC_PROBE }, { "tcp_rcvbuf_grow", TCPREC_RCVBUF },
	{ "tcp_retransmit_skb", TCPREC_RETRANS }, { "tcp_send_reset", TCPREC_RST_TX },
	{ "tcp_receive_reset", TCPREC_RST_RX }, { "tcp_cong_state_set", TCPREC_CA },
};

static void parse_info(struct parse_state *s, const json_t *o)
{
	double iv = json_number_value(json_object_get(o, "interval_s"));
	const json_t *tps = json_object_get(o, "tracepoints");
	const json_t *v;
	size_t i;

	get_strbuf(o, "source", s->f->source, sizeof(s->f->source));
	if (isfinite(iv) && iv > 0)
		s->f->interval_s = iv;
	json_array_foreach(json_object_get(o, "rst_reasons"), i, v)
		if (i < ARRAY_SIZE(s->f->rst_reasons) && json_is_string(v))
			json_safe(s->f->rst_reasons[i], sizeof(s->f->rst_reasons[i]),
				  json_string_value(v));
	s->f->traced = 1u << TCPREC_SAMPLE | 1u << TCPREC_END;
	if (strcmp(s->f->source, "tracepoints"))
		return;	/* diag: no events, whatever tracefs offered */
	json_array_foreach(tps, i, v)
		for (size_t k = 0; k < ARRAY_SIZE(tp_kinds); k++)
			if (json_is_string(v) && !strcmp(json_string_value(v), tp_kinds[k].tp))
				s->f->traced |= 1u << tp_kinds[k].kind;
}

static int parse_object(struct parse_state *s, const json_t *o)
{
	const char *type = json_string_value(json_object_get(o, "type"));
	long long v;
	int kind;

	if (!type)
		return bad(s, "no 'type'");
	if ((kind = tcprec_kind_find(type)) >= 0)
		return parse_event(s, o, kind);
	if (!strcmp(type, "conn"))
		return parse_conn(s, o);
	if (!strcmp(type, "info")) {
		parse_info(s, o);
	} else if (!strcmp(type, "stats")) {
		parse_stats(s, o);
	} else if (!strcmp(type, "cap")) {
		struct tcprec_conn *c = get_int(o, "id", 0, UINT32_MAX, &v) == 1
					? conn_by_id(s, (uint32_t)v) : NULL;

		if (c)
			c->capped = 1;
	} else if (!strcmp(type, "probe_on") || !strcmp(type, "probe_off")) {
		s->f->probe_switches++;
	} else if (!strcmp(type, "lost")) {
		if (!s->f->have_stats && get_int(o, "lost", 0, INT64_MAX, &v) == 1) {
			s->f->stats.lost += (uint64_t)v;
			s->f->stats.lost_records++;
		}
	} else {
		s->f->skipped++;
	}
	return 0;
}

/* One line; last says it had no newline (a cut is tolerated there). */
static int parse_line(struct parse_state *s, const char *line, size_t n, int last)
{
	json_error_t err;
	json_t *o;
	int ret;

	s->lineno++;
	s->f->lines++;
	if (n == 0)
		return 0;
	o = json_loadb(line, n, JSON_REJECT_DUPLICATES, &err);
	if (!o || !json_is_object(o)) {
		json_decref(o);
		if (last) {
			s->f->truncated = 1;
			return 1;
		}
		return error("%s:%lu: not a JSON object: %s", s->origin, s->lineno,
			     o ? "wrong type" : err.text);
	}
	ret = parse_object(s, o);
	json_decref(o);
	return ret;
}

static int cmp_conn(const void *a, const void *b)
{
	const struct tcprec_conn *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

struct sort_item {
	struct tcprec r;
	size_t off, seq;
};

static int cmp_item(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;

	if (x->r.conn != y->r.conn)
		return x->r.conn < y->r.conn ? -1 : 1;
	if (x->r.t != y->r.t)
		return x->r.t < y->r.t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort records by (conn, t, file order), point them at the pool, index the conns. */
static void finish(struct tcprec_file *f, const size_t *off)
{
	struct sort_item *it = xcalloc(f->nr_rec ? f->nr_rec : 1, sizeof(*it));
	size_t j = 0;

	for (size_t i = 0; i < f->nr_rec; i++)
		it[i] = (struct sort_item){ f->rec[i], off[i], i };
	if (f->nr_rec)
		qsort(it, f->nr_rec, sizeof(*it), cmp_item);
	for (size_t i = 0; i < f->nr_rec; i++) {
		f->rec[i] = it[i].r;
		f->rec[i].v = f->pool ? f->pool + it[i].off : NULL;
	}
	free(it);
	if (f->nr_conn)
		qsort(f->conn, f->nr_conn, sizeof(*f->conn), cmp_conn);
	for (size_t c = 0; c < f->nr_conn; c++) {
		f->conn[c].first = j;
		while (j < f->nr_rec && f->rec[j].conn == f->conn[c].id)
			j++;
		f->conn[c].nr = j - f->conn[c].first;
	}
}

int tcprec_parse(struct tcprec_file *out, const char *buf, size_t len, const char *origin)
{
	struct parse_state s = { out, NULL, 0, origin, 0, NULL, 0 };
	size_t pos = 0;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->traced = (1u << TCPREC_NKINDS) - 1;	/* until an info line says otherwise */
	while (pos < len && !ret) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;

		ret = parse_line(&s, buf + pos, n, !nl);
		pos += n + 1;
	}
	free(s.slot);
	if (ret < 0) {
		free(s.off);
		tcprec_file_release(out);
		return -1;
	}
	finish(out, s.off);
	free(s.off);
	return 0;
}

int tcprec_read(struct tcprec_file *out, const char *path)
{
	size_t len;
	char *buf = read_file(path, 0, &len);
	int ret;

	if (!buf) {
		memset(out, 0, sizeof(*out));
		return error_errno("cannot read '%s'", path);
	}
	ret = tcprec_parse(out, buf, len, path);
	free(buf);
	return ret;
}

void tcprec_file_release(struct tcprec_file *f)
{
	free(f->conn);
	free(f->rec);
	free(f->pool);
	memset(f, 0, sizeof(*f));
}

const struct tcprec_conn *tcprec_file_conn(const struct tcprec_file *f, uint32_t id)
{
	size_t lo = 0, hi = f->nr_conn;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->conn[mid].id == id)
			return &f->conn[mid];
		if (f->conn[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
