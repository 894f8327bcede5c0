/*
 * Sanity checks over TCP traces: pure functions of a connection's
 * records. What each rule computes is in tcpcheck.h.
 */
#include "collectors/tcpcheck.h"
#include "common/json.h"
#include "common/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const tcpcheck_rule_names[TCPCHECK_NRULES] = {
	[TCPCHECK_STALLED] = "stalled",
	[TCPCHECK_OVER_CWND] = "over_cwnd",
	[TCPCHECK_OVER_RWND] = "over_rwnd",
	[TCPCHECK_RWND_STUCK] = "rwnd_stuck",
	[TCPCHECK_RTO_STORM] = "rto_storm",
	[TCPCHECK_RESET] = "unexpected_reset",
	[TCPCHECK_RETRANS] = "retransmits",
};

/* TCP states and congestion states, the kernel's numbering. */
enum { ST_ESTABLISHED = 1, ST_CLOSE_WAIT = 8 };
enum { CA_OPEN = 0, CA_LOSS = 4 };

void tcpcheck_thresholds_init(struct tcpcheck_thresholds *th)
{
	memset(th, 0, sizeof(*th));
	th->stall_rtts = 8;
	th->stall_min_s = 0.2;
	th->over_cwnd_slack = 1;
	th->over_rwnd_slack = 0;
	th->rwnd_limited = 0.55;
	th->rwnd_app = 0.25;
	th->rwnd_growth = 1.1;
	th->rwnd_samples = 5;
	th->rto_storm_count = 3;
	th->rto_storm_window_s = 10;
	th->reset_min = 1;
	th->reset_ignore[0] = '\0';
	th->retransmits_min = 1;
}

static const struct {
	const char *key;
	size_t off;
	double lo, hi;
} keys[] = {
#define K(k, f, lo, hi) { k, offsetof(struct tcpcheck_thresholds, f), lo, hi }
	K("stalled.rtts", stall_rtts, 0, 1e6),
	K("stalled.min_s", stall_min_s, 0, 86400),
	K("over_cwnd.slack", over_cwnd_slack, 0, 1e6),
	K("over_rwnd.slack", over_rwnd_slack, 0, 1e12),
	K("rwnd_stuck.limited", rwnd_limited, 0, 100),
	K("rwnd_stuck.app", rwnd_app, 0, 100),
	K("rwnd_stuck.growth", rwnd_growth, 1, 1e6),
	K("rwnd_stuck.samples", rwnd_samples, 1, 1e6),
	K("rto_storm.count", rto_storm_count, 1, 1e6),
	K("rto_storm.window_s", rto_storm_window_s, 0, 86400 * 365),
	K("unexpected_reset.min", reset_min, 1, 1e12),
	K("retransmits.min", retransmits_min, 1, 1e15),
#undef K
};

const char *const tcpcheck_threshold_keys[] = {
	"stalled.rtts", "stalled.min_s", "over_cwnd.slack", "over_rwnd.slack",
	"rwnd_stuck.limited", "rwnd_stuck.app", "rwnd_stuck.growth", "rwnd_stuck.samples",
	"rto_storm.count", "rto_storm.window_s", "unexpected_reset.min",
	"unexpected_reset.ignore", "retransmits.min", NULL
};

/*
 * enum sk_rst_reason as Linux 6.18 prints it: the names of a trace
 * without its own table (the numbers moved when reasons were added).
 */
static const char *const rst_reasons_618[] = {
	"NOT_SPECIFIED", "NO_SOCKET", "TCP_INVALID_ACK_SEQUENCE", "TCP_RFC7323_PAWS",
	"TCP_TOO_OLD_ACK", "TCP_ACK_UNSENT_DATA", "TCP_FLAGS", "TCP_OLD_ACK",
	"TCP_ABORT_ON_DATA", "TCP_TIMEWAIT_SOCKET", "INVALID_SYN", "TCP_ABORT_ON_CLOSE",
	"TCP_ABORT_ON_LINGER", "TCP_ABORT_ON_MEMORY", "TCP_STATE", "TCP_KEEPALIVE_TIMEOUT",
	"TCP_DISCONNECT_WITH_DATA",
};

static int is_reason_name(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return n > 0 && !(s[0] >= '0' && s[0] <= '9');
}

/* The number of reason token s (n bytes) in trace f, or -1. */
static int reason_number(const struct tcprec_file *f, const char *s, size_t n)
{
	int has_table = f && f->rst_reasons[0][0];
	char *end;
	unsigned long v;

	if (!is_reason_name(s, n)) {
		v = strtoul(s, &end, 10);
		return end == s + n && v < 64 ? (int)v : -1;
	}
	for (int i = 0; i < 64; i++) {
		const char *name = has_table ? f->rst_reasons[i]
			: (size_t)i < ARRAY_SIZE(rst_reasons_618) ? rst_reasons_618[i] : "";

		if (strlen(name) == n && !memcmp(name, s, n))
			return i;
	}
	return -1;
}

/* Check a reason list; with f, the bitmask of the reasons it names there. */
static int reasons_mask(const char *list, const struct tcprec_file *f, uint64_t *mask)
{
	const char *p = list;

	*mask = 0;
	while (*p) {
		size_t n;
		int r;

		while (*p == ' ' || *p == ',')
			p++;
		n = strcspn(p, " ,");
		if (!n)
			break;
		r = reason_number(f, p, n);
		if (r >= 0)
			*mask |= UINT64_C(1) << r;
		else if (!is_reason_name(p, n))
			return -1;	/* a name unknown here may be another kernel's */
		p += n;
	}
	return 0;
}

int tcpcheck_threshold_set(struct tcpcheck_thresholds *th, const char *key, const char *value)
{
	char *end;
	double v;

	if (!strcmp(key, "unexpected_reset.ignore")) {
		uint64_t mask;

		if (strlen(value) >= sizeof(th->reset_ignore) || reasons_mask(value, NULL, &mask))
			return error("bad reset reasons for '%s': '%s'", key, value),
			       PERFLAB_EINVAL;
		strcpy(th->reset_ignore, value);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (strcmp(keys[i].key, key))
			continue;
		errno = 0;
		v = strtod(value, &end);
		if (errno || end == value || *end || !isfinite(v) || v < keys[i].lo ||
		    v > keys[i].hi)
			return error("bad value for '%s': '%s' (%g to %g)", key, value,
				     keys[i].lo, keys[i].hi), PERFLAB_EINVAL;
		*(double *)((char *)th + keys[i].off) = v;
		return 0;
	}
	return PERFLAB_ENOTFOUND;
}

int tcpcheck_threshold_format(char *buf, size_t len, const struct tcpcheck_thresholds *th,
			      const char *key)
{
	if (!strcmp(key, "unexpected_reset.ignore")) {
		snprintf(buf, len, "%s", th->reset_ignore);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].key, key)) {
			snprintf(buf, len, "%g", *(const double *)((const char *)th + keys[i].off));
			return 0;
		}
	return PERFLAB_ENOTFOUND;
}

int tcpcheck_thresholds_parse(struct tcpcheck_thresholds *th, const char *list)
{
	char *copy = xstrdup(list), *save = NULL;
	int ret = 0;

	for (char *t = strtok_r(copy, ";", &save); t && !ret; t = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(t, '=');

		while (*t == ' ' || *t == '\t')
			t++;
		if (!*t)
			continue;
		if (!eq) {
			ret = error("'%s' in the checks is not KEY=VALUE", t);
			break;
		}
		*eq = '\0';
		for (char *e = eq - 1; e >= t && (*e == ' ' || *e == '\t'); e--)
			*e = '\0';
		eq++;
		while (*eq == ' ' || *eq == '\t')
			eq++;
		ret = tcpcheck_threshold_set(th, t, eq);
		if (ret == PERFLAB_ENOTFOUND)
			error("unknown check '%s'", t);
	}
	free(copy);
	return ret ? -1 : 0;
}

/* ---- helpers over records ---- */

static int64_t get(const struct tcprec *r, enum tcprec_field f)
{
	return tcprec_get(r, f, -1);
}

static int is_info(const struct tcprec *r)
{
	return r->kind == TCPREC_SAMPLE || r->kind == TCPREC_END;
}

/* Bytes in flight by TCP_INFO: sent (new data) less acknowledged; -1 unknown. */
static int64_t info_flight_bytes(const struct tcprec *r)
{
	int64_t sent = get(r, TF_BYTES_SENT), rtx = get(r, TF_BYTES_RETRANS);
	int64_t acked = get(r, TF_BYTES_ACKED), done;

	if (sent < 0 || rtx < 0 || acked < 0 || __builtin_add_overflow(rtx, acked, &done) ||
	    sent < done)
		return -1;	/* absent, or not what a kernel writes */
	return sent - done;
}

/* The first MSS a TCP_INFO record gives, 0 if none. */
static int64_t first_mss(const struct tcprec *rec, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_info(&rec[i]) && get(&rec[i], TF_MSS) > 0)
			return get(&rec[i], TF_MSS);
	return 0;
}

/* ---- retransmits ---- */

static void rule_retrans(struct tcpcheck_conn_result *out, const struct tcprec_conn *c,
			 const struct tcprec *rec, size_t n, uint32_t traced)
{
	int64_t first = -1, last = -1;
	uint64_t events = 0, segs;

	for (size_t i = 0; i < n; i++) {
		const struct tcprec *r = &rec[i];
		int64_t v = get(r, TF_TOTAL_RETRANS);

		if (is_info(r) && v >= 0) {
			if (first < 0)
				first = v;
			if (v > last)
				last = v;
		}
		if (r->kind == TCPREC_RETRANS && tcprec_get(r, TF_ERR, 0) == 0)
			events++;
	}
	out->avail[TCPCHECK_RETRANS] = last >= 0 || (traced & (1u << TCPREC_RETRANS));
	segs = last >= 0 ? (uint64_t)(last - (c->preexisting ? first : 0)) : 0;
	out->count[TCPCHECK_RETRANS] = segs > events ? segs : events;
}

/* ---- RTO storms ---- */

struct times {
	double *v;
	size_t nr, alloc;
};

static void times_add(struct times *t, double v)
{
	ALLOC_GROW(t->v, t->nr + 1, t->alloc);
	t->v[t->nr++] = v;
}

/* When each timeout happened: Loss entries, or total_rto steps at samples. */
static int rto_times(struct times *t, const struct tcprec_conn *c, const struct tcprec *rec,
		     size_t n, uint32_t traced)
{
	int64_t prev = -1;
	int avail = (traced & (1u << TCPREC_CA)) != 0;

	for (size_t i = 0; i < n; i++) {
		const struct tcprec *r = &rec[i];
		int64_t v = get(r, TF_TOTAL_RTO);

		if (avail) {
			if (r->kind == TCPREC_CA && get(r, TF_CA_STATE) == CA_LOSS)
				times_add(t, r->t);
			continue;
		}
		if (!is_info(r) || v < 0)
			continue;
		if (prev < 0)
			prev = c->preexisting ? v : 0;
		for (int64_t k = prev; k < v && k - prev < 100000; k++)
			times_add(t, r->t);
		if (v > prev)
			prev = v;
	}
	return avail || prev >= 0;
}

static void rule_rto_storm(struct tcpcheck_conn_result *out, const struct tcprec_conn *c,
			   const struct tcprec *rec, size_t n, uint32_t traced,
			   const struct tcpcheck_thresholds *th)
{
	struct times t = { NULL, 0, 0 };
	size_t need = th->rto_storm_count >= 1 ? (size_t)th->rto_storm_count : 1;
	size_t i = 0;

	out->avail[TCPCHECK_RTO_STORM] = rto_times(&t, c, rec, n, traced);
	while (i + need <= t.nr) {
		if (t.v[i + need - 1] - t.v[i] <= th->rto_storm_window_s) {
			out->count[TCPCHECK_RTO_STORM]++;
			i += need;
		} else {
			i++;
		}
	}
	free(t.v);
}

/* ---- resets ---- */

static void rule_reset(struct tcpcheck_conn_result *out, const struct tcprec_file *f,
		       const struct tcprec *rec, size_t n, uint32_t traced,
		       const struct tcpcheck_thresholds *th)
{
	uint64_t ignore;

	reasons_mask(th->reset_ignore, f, &ignore);
	for (size_t i = 0; i < n; i++) {
		int64_t why = get(&rec[i], TF_REASON);

		if (rec[i].kind == TCPREC_RST_RX ||
		    (rec[i].kind == TCPREC_RST_TX &&
		     (why < 0 || why > 63 || !((ignore >> why) & 1))))
			out->count[TCPCHECK_RESET]++;
	}
	out->avail[TCPCHECK_RESET] = (traced & (1u << TCPREC_RST_TX | 1u << TCPREC_RST_RX)) != 0;
}

/* ---- over cwnd, over the peer's window ---- */

struct flight_state {
	int64_t mss;
	int64_t ca;		/* the congestion state now, as far as we know */
	int rtx;		/* a retransmission since the last TCP_INFO (no ca events) */
	int dirty;		/* not Open at some point since the previous probe */
	const struct tcprec *prev;	/* the previous probe */
};

static void check_probe(struct tcpcheck_conn_result *out, struct flight_state *s,
			const struct tcprec *r, const struct tcpcheck_thresholds *th)
{
	int64_t nxt = get(r, TF_SND_NXT), una = get(r, TF_SND_UNA);
	int64_t cwnd = get(r, TF_CWND), wnd = get(r, TF_SND_WND);
	int64_t pnxt = s->prev && get(r, TF_GAP) != 1 ? get(s->prev, TF_SND_NXT) : -1;
	int open = s->ca == CA_OPEN && !s->rtx && !s->dirty;
	uint32_t flight;

	s->prev = r;
	s->dirty = !(s->ca == CA_OPEN && !s->rtx);
	if (nxt < 0 || una < 0 || pnxt < 0 || (int32_t)((uint32_t)nxt - (uint32_t)pnxt) <= 0)
		return;	/* nothing new sent since the previous snapshot */
	flight = (uint32_t)nxt - (uint32_t)una;
	if (s->mss > 0 && cwnd >= 0 && open &&
	    flight > (cwnd + th->over_cwnd_slack) * (double)s->mss)
		out->count[TCPCHECK_OVER_CWND]++;
	if (wnd >= 0 && flight > wnd + th->over_rwnd_slack)
		out->count[TCPCHECK_OVER_RWND]++;
}

static void rule_flight_probes(struct tcpcheck_conn_result *out, const struct tcprec *rec,
			       size_t n, uint32_t traced, const struct tcpcheck_thresholds *th)
{
	struct flight_state s = { first_mss(rec, n), CA_OPEN, 0, 0, NULL };
	int ca_traced = (traced & (1u << TCPREC_CA)) != 0;

	for (size_t i = 0; i < n; i++) {
		const struct tcprec *r = &rec[i];

		if (is_info(r)) {
			if (get(r, TF_MSS) > 0)
				s.mss = get(r, TF_MSS);
			if (!ca_traced && get(r, TF_CA_STATE) >= 0)
				s.ca = get(r, TF_CA_STATE);
			s.rtx = 0;
		} else if (r->kind == TCPREC_CA && get(r, TF_CA_STATE) >= 0) {
			s.ca = get(r, TF_CA_STATE);
			s.dirty |= s.ca != CA_OPEN;
		} else if (r->kind == TCPREC_RETRANS && !ca_traced) {
			s.rtx = s.dirty = 1;
		} else if (r->kind == TCPREC_PROBE) {
			check_probe(out, &s, r, th);
		}
	}
}

/* Diag-only: the same from consecutive samples, coarsely. */
static void rule_flight_samples(struct tcpcheck_conn_result *out, const struct tcprec_conn *c,
				const struct tcprec *rec, size_t n,
				const struct tcpcheck_thresholds *th)
{
	const struct tcprec *prev = NULL;
	int bbr = !strcmp(c->cc, "bbr");

	for (size_t i = 0; i < n; i++) {
		const struct tcprec *r = &rec[i];
		int64_t flight = info_flight_bytes(r), wnd = get(r, TF_SND_WND);
		int64_t inf = get(r, TF_IN_FLIGHT), cwnd = get(r, TF_CWND);
		int sent;

		if (r->kind != TCPREC_SAMPLE)
			continue;
		sent = prev && get(r, TF_BYTES_SENT) > get(prev, TF_BYTES_SENT);
		prev = r;
		if (!sent)
			continue;
		if (!bbr && inf >= 0 && cwnd >= 0 && get(r, TF_CA_STATE) == CA_OPEN &&
		    inf > cwnd + th->over_cwnd_slack)
			out->count[TCPCHECK_OVER_CWND]++;
		if (flight >= 0 && wnd >= 0 && flight > wnd + th->over_rwnd_slack)
			out->count[TCPCHECK_OVER_RWND]++;
	}
}

static void rule_flight(struct tcpcheck_conn_result *out, const struct tcprec_conn *c,
			const struct tcprec *rec, size_t n, uint32_t traced,
			const struct tcpcheck_thresholds *th)
{
	size_t probes = 0, samples = 0;

	for (size_t i = 0; i < n; i++) {
		probes += rec[i].kind == TCPREC_PROBE;
		samples += rec[i].kind == TCPREC_SAMPLE;
	}
	if (probes || (traced & (1u << TCPREC_PROBE)))
		rule_flight_probes(out, rec, n, traced, th);
	else
		rule_flight_samples(out, c, rec, n, th);
	out->avail[TCPCHECK_OVER_CWND] = out->avail[TCPCHECK_OVER_RWND] =
		probes || samples || (traced & (1u << TCPREC_PROBE));
}

/* ---- stalled ---- */

/* Should this sample's sender be sending: data, and room in both windows? */
static int should_send(const struct tcprec *r)
{
	int64_t st = get(r, TF_STATE), mss = get(r, TF_MSS), unsent = get(r, TF_NOTSENT);
	int64_t wnd = get(r, TF_SND_WND), cwnd = get(r, TF_CWND), inf = get(r, TF_IN_FLIGHT);
	int64_t flight = info_flight_bytes(r);

	if (flight < 0 && get(r, TF_UNACKED) >= 0 && mss > 0 &&
	    __builtin_mul_overflow(get(r, TF_UNACKED), mss, &flight))
		flight = -1;
	return (st == ST_ESTABLISHED || st == ST_CLOSE_WAIT) && mss > 0 && unsent >= mss &&
	       wnd >= 0 && flight >= 0 && wnd - flight >= mss && inf >= 0 && cwnd > inf;
}

static int progressed(const struct tcprec *a, const struct tcprec *b)
{
	return get(a, TF_BYTES_SENT) != get(b, TF_BYTES_SENT) ||
	       get(a, TF_BYTES_ACKED) != get(b, TF_BYTES_ACKED);
}

static void rule_stalled(struct tcpcheck_conn_result *out, const struct tcprec *rec, size_t n,
			 const struct tcpcheck_thresholds *th)
{
	const struct tcprec *start = NULL, *prev = NULL;
	int counted = 0;

	for (size_t i = 0; i < n; i++) {
		const struct tcprec *r = &rec[i];

		if (r->kind != TCPREC_SAMPLE)
			continue;
		if (get(r, TF_NOTSENT) >= 0 && get(r, TF_BYTES_ACKED) >= 0)
			out->avail[TCPCHECK_STALLED] = 1;
		if (!should_send(r)) {
			start = NULL;
		} else if (!start || !prev || progressed(prev, r)) {
			start = r;
			counted = 0;
		} else if (!counted) {
			double need = th->stall_rtts * (double)get(start, TF_SRTT) / 1e6;

			if (need < th->stall_min_s)
				need = th->stall_min_s;
			if (r->t - start->t >= need - 1e-6) {	/* times are printed to ns */
				out->count[TCPCHECK_STALLED]++;
				counted = 1;
			}
		}
		prev = r;
	}
}

/* ---- receive window stuck ---- */

struct stuck_state {
	const struct tcprec *prev;	/* the previous sample */
	int64_t probe_wnd;		/* rcv_wnd of the latest probe, -1 none */
	double run;			/* window-limited intervals in a row, flat */
	int64_t base;			/* the window when the run began */
	int counted;
};

/*
 * Was the interval (prev, r] limited by the window, the application
 * keeping up? The receiver's own autotuning (DRS) measures what the
 * application reads per RTT (rcv_space, the largest such) and wants the
 * window at twice that: a window under rcv_space / rwnd_limited is one
 * autotuning would have grown. The flow must still deliver at least
 * half that much per RTT now (both measured with the receiver's RTT
 * estimate, whose bias cancels), and the unread bytes stay small.
 */
static int limited(const struct stuck_state *s, const struct tcprec *r, int64_t w,
		   const struct tcpcheck_thresholds *th)
{
	int64_t rtt = get(r, TF_RCV_RTT), q = get(r, TF_RQUEUE), space = get(r, TF_RCV_SPACE);
	int64_t b = get(r, TF_BYTES_RECEIVED), pb = get(s->prev, TF_BYTES_RECEIVED);
	double dt = r->t - s->prev->t;

	if (w <= 0 || rtt <= 0 || q < 0 || space <= 0 || b < 0 || pb < 0 || b <= pb || dt <= 0)
		return 0;
	return (double)space >= th->rwnd_limited * (double)w &&
	       (double)(b - pb) / dt * (double)rtt / 1e6 >= 0.5 * (double)space &&
	       (double)q <= th->rwnd_app * (double)w;
}

static void stuck_sample(struct tcpcheck_conn_result *out, struct stuck_state *s,
			 const struct tcprec *r, const struct tcpcheck_thresholds *th)
{
	int64_t w = tcprec_has(r, TF_RCV_WND) ? get(r, TF_RCV_WND) : s->probe_wnd;

	if (get(r, TF_BYTES_RECEIVED) >= 0 && w >= 0 && tcprec_has(r, TF_RCV_RTT) &&
	    tcprec_has(r, TF_RCV_SPACE))
		out->avail[TCPCHECK_RWND_STUCK] = 1;
	if (!s->prev || !limited(s, r, w, th)) {
		s->run = 0;
	} else if (s->run == 0 || (double)w > th->rwnd_growth * (double)s->base) {
		s->run = 1;
		s->base = w;
		s->counted = 0;
	} else {
		s->run++;
	}
	if (s->run >= th->rwnd_samples && !s->counted) {
		out->count[TCPCHECK_RWND_STUCK]++;
		s->counted = 1;
	}
	s->prev = r;
}

static void rule_rwnd_stuck(struct tcpcheck_conn_result *out, const struct tcprec *rec,
			    size_t n, const struct tcpcheck_thresholds *th)
{
	struct stuck_state s = { NULL, -1, 0, 0, 0 };

	for (size_t i = 0; i < n; i++) {
		if (rec[i].kind == TCPREC_PROBE && get(&rec[i], TF_RCV_WND) >= 0)
			s.probe_wnd = get(&rec[i], TF_RCV_WND);
		else if (rec[i].kind == TCPREC_SAMPLE)
			stuck_sample(out, &s, &rec[i], th);
	}
}

/* ---- all rules ---- */

void tcpcheck_conn(struct tcpcheck_conn_result *out, const struct tcprec_file *f,
		   const struct tcprec_conn *c, const struct tcpcheck_thresholds *th)
{
	const struct tcprec *rec = f->rec ? f->rec + c->first : NULL;	/* none: nr is 0 */
	size_t n = c->nr;
	uint32_t traced = f->traced;

	memset(out, 0, sizeof(*out));
	rule_stalled(out, rec, n, th);
	rule_flight(out, c, rec, n, traced, th);
	rule_rwnd_stuck(out, rec, n, th);
	rule_rto_storm(out, c, rec, n, traced, th);
	rule_reset(out, f, rec, n, traced, th);
	rule_retrans(out, c, rec, n, traced);
}

static double flag_min(enum tcpcheck_rule k, const struct tcpcheck_thresholds *th)
{
	if (k == TCPCHECK_RETRANS)
		return th->retransmits_min;
	if (k == TCPCHECK_RESET)
		return th->reset_min;
	return 1;
}

int tcpcheck_flagged(const struct tcpcheck_conn_result *r, int rule,
		     const struct tcpcheck_thresholds *th)
{
	return r->count[rule] && (double)r->count[rule] >= flag_min(rule, th);
}

int tcpcheck_run(struct tcpcheck_report *out, const struct tcprec_file *f,
		 const struct tcpcheck_thresholds *th)
{
	size_t alloc[TCPCHECK_NRULES] = { 0 };

	memset(out, 0, sizeof(*out));
	out->incomplete = f->truncated || !f->have_stats || f->stats.lost || f->stats.capped ||
			  f->stats.conns_over || f->stats.diag_lost;
	for (size_t i = 0; i < f->nr_conn; i++) {
		const struct tcprec_conn *c = &f->conn[i];
		struct tcpcheck_conn_result r;

		tcpcheck_conn(&r, f, c, th);
		out->conns++;
		for (int k = 0; k < TCPCHECK_NRULES; k++) {
			struct tcpcheck_rule_result *rr = &out->rule[k];

			rr->avail |= r.avail[k];
			rr->count += r.count[k];
			if (!r.count[k] || (double)r.count[k] < flag_min(k, th))
				continue;
			ALLOC_GROW(rr->ids, rr->nr_ids + 1, alloc[k]);
			rr->ids[rr->nr_ids++] = c->id;
		}
	}
	return 0;
}

void tcpcheck_report_release(struct tcpcheck_report *r)
{
	for (int k = 0; k < TCPCHECK_NRULES; k++)
		free(r->rule[k].ids);
	memset(r, 0, sizeof(*r));
}

json_t *tcpcheck_report_json(const struct tcpcheck_report *r)
{
	json_t *o = json_object(), *rules = json_object();

	json_set_int(o, "conns", (long long)r->conns);
	json_set(o, "incomplete", json_boolean(r->incomplete));
	for (int k = 0; k < TCPCHECK_NRULES; k++) {
		json_t *rule = json_object(), *ids = json_array();

		for (size_t i = 0; i < r->rule[k].nr_ids; i++)
			json_array_append_new(ids, json_integer(r->rule[k].ids[i]));
		json_set(rule, "count", r->rule[k].avail ? json_integer((json_int_t)r->rule[k].count)
							: json_null());
		json_set(rule, "conns", ids);
		json_set(rules, tcpcheck_rule_names[k], rule);
	}
	json_set(o, "rules", rules);
	return o;
}
