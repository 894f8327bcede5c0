/*
 * The tcp:* tracepoints through perf_event_open: definitions resolved
 * from tracefs formats, per-CPU rings, and the decoder of raw records.
 */
#ifdef __linux__	/* FreeBSD: BB logging would be the source (tcprec.h); none yet */
#include "collectors/tcpperf.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct fmap {
	int tf;			/* enum tcprec_field */
	const char *tp;		/* the tracepoint's field name */
};

static const struct fmap probe_map[] = {
	{ TF_SND_NXT, "snd_nxt" }, { TF_SND_UNA, "snd_una" }, { TF_CWND, "snd_cwnd" },
	{ TF_SSTHRESH, "ssthresh" }, { TF_SND_WND, "snd_wnd" }, { TF_RCV_WND, "rcv_wnd" },
	{ TF_SRTT, "srtt" }, { TF_LEN, "data_len" }, { -1, NULL }
};
static const struct fmap rcvbuf_map[] = {
	{ TF_RCV_RTT, "rtt_us" }, { TF_COPIED, "copied" }, { TF_INQ, "inq" },
	{ TF_RCV_SPACE, "space" }, { TF_RCVBUF, "rcvbuf" }, { TF_RCV_SSTHRESH, "rcv_ssthresh" },
	{ TF_WINDOW_CLAMP, "window_clamp" }, { TF_RCV_WND, "rcv_wnd" },
	{ TF_SCALING_RATIO, "scaling_ratio" }, { TF_TIME, "time" }, { -1, NULL }
};
static const struct fmap retrans_map[] = { { TF_STATE, "state" }, { TF_ERR, "err" }, { -1, NULL } };
static const struct fmap rst_tx_map[] = { { TF_STATE, "state" }, { TF_REASON, "reason" }, { -1, NULL } };
static const struct fmap ca_map[] = { { TF_CA_STATE, "cong_state" }, { -1, NULL } };
static const struct fmap no_map[] = { { -1, NULL } };

static const struct {
	const char *name;
	int kind;
	const struct fmap *map;
} known[] = {
	{ "tcp_probe", TCPREC_PROBE, probe_map },
	{ "tcp_retransmit_skb", TCPREC_RETRANS, retrans_map },
	{ "tcp_send_reset", TCPREC_RST_TX, rst_tx_map },
	{ "tcp_receive_reset", TCPREC_RST_RX, no_map },
	{ "tcp_rcv_space_adjust", TCPPERF_READ, no_map },
	{ "tcp_rcvbuf_grow", TCPREC_RCVBUF, rcvbuf_map },
	{ "tcp_cong_state_set", TCPREC_CA, ca_map },
};

const struct tcpperf_want tcpperf_events[] = {
	{ "tcp_probe", 0 },
	{ "tcp_retransmit_skb", 1 },
	{ "tcp_send_reset", 1 },
	{ "tcp_receive_reset", 1 },
	{ "tcp_rcv_space_adjust", 2 },	/* opt-in: one event per application read */
	{ "tcp_rcvbuf_grow", 1 },	/* Linux 6.17+ */
	{ "tcp_cong_state_set", 1 },	/* Linux 5.19+: RTOs (Loss) and recovery episodes */
};
const size_t tcpperf_nevents = ARRAY_SIZE(tcpperf_events);

struct tcpperf_def {
	struct tp_format fmt;	/* owned copy */
	int kind;
	const struct tp_field *cookie, *skaddr, *family, *sport, *dport;
	const struct tp_field *saddr, *daddr, *saddr_v6, *daddr_v6;
	const struct tp_field *val[TCPREC_NFIELDS];
	uint8_t fields[TCPREC_NFIELDS];	/* the fields val has, in order */
	size_t nfields;
};

struct tcpperf_def *tcpperf_def_new(const char *name, const struct tp_format *fmt)
{
	struct tcpperf_def *d;
	size_t k = 0;

	while (k < ARRAY_SIZE(known) && strcmp(known[k].name, name))
		k++;
	if (k == ARRAY_SIZE(known)) {
		error("unknown tracepoint 'tcp:%s'", name);
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	d->fmt = *fmt;
	d->fmt.f = xcalloc(fmt->nr ? fmt->nr : 1, sizeof(*fmt->f));
	if (fmt->nr)
		memcpy(d->fmt.f, fmt->f, fmt->nr * sizeof(*fmt->f));
	d->fmt.alloc = fmt->nr;
	d->fmt.print_fmt = fmt->print_fmt ? xstrdup(fmt->print_fmt) : NULL;
	d->kind = known[k].kind;
	d->cookie = tp_format_field(&d->fmt, "sock_cookie");
	d->skaddr = tp_format_field(&d->fmt, "skaddr");
	d->family = tp_format_field(&d->fmt, "family");
	d->sport = tp_format_field(&d->fmt, "sport");
	d->dport = tp_format_field(&d->fmt, "dport");
	d->saddr = tp_format_field(&d->fmt, "saddr");
	d->daddr = tp_format_field(&d->fmt, "daddr");
	d->saddr_v6 = tp_format_field(&d->fmt, "saddr_v6");
	d->daddr_v6 = tp_format_field(&d->fmt, "daddr_v6");
	for (const struct fmap *m = known[k].map; m->tp; m++)
		d->val[m->tf] = tp_format_field(&d->fmt, m->tp);
	for (int f = 0; f < TCPREC_NFIELDS; f++)
		if (d->val[f])
			d->fields[d->nfields++] = (uint8_t)f;
	if (!d->cookie && !d->skaddr && !(d->saddr && d->daddr)) {
		error("tracepoint 'tcp:%s' names no socket (no sock_cookie, skaddr or addresses)",
		      name);
		tcpperf_def_free(d);
		return NULL;
	}
	return d;
}

void tcpperf_def_free(struct tcpperf_def *d)
{
	if (!d)
		return;
	tp_format_release(&d->fmt);
	free(d);
}

/* A struct sockaddr_in/_in6 stored in a 28-byte array field. */
static void from_sockaddr(const unsigned char *p, int *family, struct tcpdiag_addr *a,
			  uint16_t *port)
{
	uint16_t fam, nport;

	memcpy(&fam, p, 2);
	memcpy(&nport, p + 2, 2);
	if (fam == AF_INET)
		tcpdiag_addr_set(a, p + 4, 4);
	else if (fam == AF_INET6)
		tcpdiag_addr_set(a, p + 8, 16);
	else
		return;
	*family = fam;
	*port = ntohs(nport);
}

static void addr_field(const struct tp_field *v4, const struct tp_field *v6, int family,
		       const unsigned char *raw, size_t len, struct tcpdiag_addr *out)
{
	const unsigned char *b;

	if (family == AF_INET6 && v6 && v6->size == 16 && (b = tp_get_bytes(v6, raw, len)))
		tcpdiag_addr_set(out, b, 16);
	else if (family == AF_INET && v4 && v4->size == 4 && (b = tp_get_bytes(v4, raw, len)))
		tcpdiag_addr_set(out, b, 4);
}

static void decode_tuple(const struct tcpperf_def *d, const unsigned char *raw, size_t len,
			 struct tcpperf_ev *ev)
{
	uint64_t u;
	const unsigned char *b;

	if (!tp_get_u64(d->family, raw, len, &u))
		ev->family = (int)u;
	if (d->saddr && d->saddr->size >= 28 && d->daddr && d->daddr->size >= 28) {
		if ((b = tp_get_bytes(d->saddr, raw, len)))
			from_sockaddr(b, &ev->family, &ev->laddr, &ev->lport);
		if ((b = tp_get_bytes(d->daddr, raw, len)))
			from_sockaddr(b, &ev->family, &ev->raddr, &ev->rport);
	} else {
		addr_field(d->saddr, d->saddr_v6, ev->family, raw, len, &ev->laddr);
		addr_field(d->daddr, d->daddr_v6, ev->family, raw, len, &ev->raddr);
	}
	if (!tp_get_u64(d->sport, raw, len, &u))
		ev->lport = (uint16_t)u;
	if (!tp_get_u64(d->dport, raw, len, &u))
		ev->rport = (uint16_t)u;
}

int tcpperf_def_decode(const struct tcpperf_def *d, const unsigned char *raw, size_t len,
		       uint64_t t_ns, struct tcpperf_ev *out)
{
	/* v[] is left as it is: have says what it holds (the hot path) */
	memset(out, 0, offsetof(struct tcpperf_ev, v));
	if (len < 8)
		return -1;
	out->t_ns = t_ns;
	out->kind = d->kind;
	tp_get_u64(d->cookie, raw, len, &out->cookie);
	tp_get_u64(d->skaddr, raw, len, &out->skaddr);
	decode_tuple(d, raw, len, out);
	for (size_t i = 0; i < d->nfields; i++) {
		int f = d->fields[i];
		int64_t v;

		if (!tp_get_i64(d->val[f], raw, len, &v)) {
			out->v[f] = v;
			out->have |= UINT64_C(1) << f;
		}
	}
	return 0;
}

/* ---- rings ---- */

struct ring {
	int cpu;
	int fd;			/* the leader: the ring's owner */
	unsigned char *base;	/* the mmap: control page, then data */
	size_t size;		/* bytes of data, a power of two */
};

struct tcpperf {
	struct tcpperf_def *def[ARRAY_SIZE(known)];
	uint32_t id[ARRAY_SIZE(known)];
	size_t ndef;
	struct ring *ring;
	int nring;
	int *fds;		/* every event fd, leaders included */
	size_t nfds, alloc_fds;
	int filter_failed;	/* events whose in-kernel filter the kernel refused */
	int *fire_fd;		/* per ring: tcp_probe counted, unfiltered (-1 none) */
	unsigned char *tmp;	/* a record that wraps the ring is copied here */
	size_t tmp_size;
	size_t page;
};

static int sys_perf_event_open(struct perf_event_attr *a, int cpu, int group)
{
	return (int)syscall(SYS_perf_event_open, a, -1, cpu, group, PERF_FLAG_FD_CLOEXEC);
}

static int open_one(struct tcpperf *p, uint32_t id, int cpu, size_t ring_bytes)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof(a);
	a.config = id;
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_TIME | PERF_SAMPLE_RAW;
	a.disabled = 1;
	a.watermark = 1;
	a.wakeup_watermark = (uint32_t)(ring_bytes / 4);
	a.use_clockid = 1;
	a.clockid = CLOCK_MONOTONIC;
	return sys_perf_event_open(&a, cpu, -1);
}

/*
 * tcp_probe counted on cpu, unfiltered: every time it fires, on any
 * socket -- what it costs is per firing, matched or not. No ring.
 */
static int open_counter(uint32_t id, int cpu)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof(a);
	a.config = id;
	a.disabled = 1;
	return sys_perf_event_open(&a, cpu, -1);
}

/*
 * The in-kernel filter of event d: "(sport == 5201 || dport == 5201 ...)"
 * for up to 32 ports where d has numeric port fields, and for tcp_probe
 * unless probe_data, "data_len == 0": the ACKs a sender receives, not the
 * data a receiver does (a bulk receiver's segments outnumber the ACKs
 * and carry no sender state). NULL when there is nothing to filter on.
 */
static char *event_filter(const struct tcpperf_def *d, const uint16_t *ports, size_t n,
			  int probe_data)
{
	struct strbuf sb = STRBUF_INIT;
	int by_port = n && n <= 32 && d->sport && d->dport && !d->sport->is_array;
	int acks = d->kind == TCPREC_PROBE && !probe_data && d->val[TF_LEN];

	for (size_t i = 0; by_port && i < n; i++)
		strbuf_addf(&sb, "%ssport == %u || dport == %u", i ? " || " : "(", ports[i],
			    ports[i]);
	if (by_port)
		strbuf_addch(&sb, ')');
	if (acks)
		strbuf_addf(&sb, "%sdata_len == 0", by_port ? " && " : "");
	if (!sb.len)
		return NULL;
	return strbuf_detach(&sb, NULL);
}

static void add_fd(struct tcpperf *p, int fd)
{
	ALLOC_GROW(p->fds, p->nfds + 1, p->alloc_fds);
	p->fds[p->nfds++] = fd;
}

/* Event k on every ring; the first event opened on a CPU makes its ring. */
static int open_event(struct tcpperf *p, size_t k, const char *filter, size_t ring_bytes,
		      const char **why)
{
	int with_filter = filter != NULL;

	for (int r = 0; r < p->nring; r++) {
		struct ring *rg = &p->ring[r];
		int fd = open_one(p, p->id[k], rg->cpu, ring_bytes);

		if (fd < 0) {
			*why = errno == EACCES || errno == EPERM ? "perf_event_open: permission denied"
								 : "perf_event_open failed";
			return -1;
		}
		add_fd(p, fd);
		if (with_filter && ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter)) {
			with_filter = 0;	/* the user-space filter still applies */
			p->filter_failed++;
		}
		if (rg->fd < 0)
			rg->fd = fd;
		else if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, rg->fd)) {
			*why = "PERF_EVENT_IOC_SET_OUTPUT failed";
			return -1;
		}
	}
	return 0;
}

static int map_rings(struct tcpperf *p, size_t ring_bytes, const char **why)
{
	for (int r = 0; r < p->nring; r++) {
		struct ring *rg = &p->ring[r];
		void *m = mmap(NULL, p->page + ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
			       rg->fd, 0);

		if (m == MAP_FAILED) {
			*why = "cannot map a perf ring buffer (perf_event_mlock_kb?)";
			return -1;
		}
		rg->base = m;
		rg->size = ring_bytes;
	}
	return 0;
}

/* An fd per event per CPU: on a big machine more than the usual 1024. */
static void raise_nofile(size_t need)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < need + 256 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = need + 256 < rl.rlim_max ? need + 256 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The CPUs that can take an event: every configured one that opens. */
static void make_rings(struct tcpperf *p)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	p->ring = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*p->ring));
	for (int c = 0; c < n; c++) {
		char path[64];

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", c);
		if (c > 0 && access(path, F_OK) == 0) {
			char *s = read_file(path, 16, NULL);
			int online = !s || s[0] != '0';

			free(s);
			if (!online)
				continue;
		}
		p->ring[p->nring++] = (struct ring){ c, -1, NULL, 0 };
	}
}

/* info.rst_reasons: tcp_send_reset's reason names by number, this kernel's. */
static void rst_reasons(json_t *info, const struct tp_format *fmt)
{
	char *names[64];
	json_t *a = json_array();
	int last = -1;

	tp_format_symbols(fmt, "reason", names, ARRAY_SIZE(names));
	for (int i = 0; i < 64; i++)
		if (names[i])
			last = i;
	for (int i = 0; i <= last; i++)
		json_array_append_new(a, names[i] ? json_string(names[i]) : json_null());
	for (int i = 0; i < 64; i++)
		free(names[i]);
	json_set(info, "rst_reasons", a);
}

static void load_defs(struct tcpperf *p, const char *tracefs, int app_reads, json_t *info,
		      json_t *opened, json_t *missing)
{
	for (size_t i = 0; i < tcpperf_nevents; i++) {
		struct tp_format fmt;
		int r;
		struct tcpperf_def *d;

		if (tcpperf_events[i].optional == 2 && !app_reads) {
			json_set_str(missing, tcpperf_events[i].name,
				     "off: one event per application read (app_reads turns it on)");
			continue;
		}
		r = tp_format_load(&fmt, tracefs, "tcp", tcpperf_events[i].name);
		d = r ? NULL : tcpperf_def_new(tcpperf_events[i].name, &fmt);

		if (d) {
			p->id[p->ndef] = fmt.id;
			p->def[p->ndef++] = d;
			json_array_append_new(opened, json_string(tcpperf_events[i].name));
			if (d->kind == TCPREC_RST_TX)
				rst_reasons(info, &fmt);
		} else {
			json_set_str(missing, tcpperf_events[i].name,
				     r == PERFLAB_ENOTFOUND ? "not in this kernel" : "unreadable format");
		}
		tp_format_release(&fmt);
	}
}

static void open_counters(struct tcpperf *p)
{
	p->fire_fd = xcalloc((size_t)p->nring, sizeof(*p->fire_fd));
	for (int r = 0; r < p->nring; r++)
		p->fire_fd[r] = open_counter(p->id[0], p->ring[r].cpu);
}

static int open_all(struct tcpperf *p, const uint16_t *ports, size_t nports, int probe_data,
		    size_t ring_bytes, json_t *filters, const char **why)
{
	int ret = 0;

	/* tcp_probe makes the rings; the others write into them (mapped first) */
	make_rings(p);
	raise_nofile(p->ndef * (size_t)p->nring);
	for (size_t k = 0; k < p->ndef && !ret; k++) {
		char *filter = event_filter(p->def[k], ports, nports, probe_data);

		ret = open_event(p, k, filter, ring_bytes, why);
		if (!ret && !k)
			ret = map_rings(p, ring_bytes, why);
		if (!ret && !k)
			open_counters(p);
		json_set_str(filters, p->def[k]->fmt.name, filter);
		free(filter);
	}
	return ret;
}

int tcpperf_open(struct tcpperf **out, const uint16_t *ports, size_t nports,
		 unsigned ring_kb, int app_reads, int probe_data, json_t *info, const char **why)
{
	struct tcpperf *p = xcalloc(1, sizeof(*p));
	const char *tracefs = tp_tracefs(why);
	json_t *opened = json_array(), *missing = json_object(), *filters = json_object();
	size_t pages, ring_bytes;
	int ret = -1;

	p->page = (size_t)sysconf(_SC_PAGESIZE);
	pages = ((size_t)ring_kb * 1024 + p->page - 1) / p->page;
	for (ring_bytes = p->page; ring_bytes < pages * p->page; ring_bytes <<= 1)
		;
	if (tracefs)
		load_defs(p, tracefs, app_reads, info, opened, missing);
	if (tracefs && (!p->ndef || strcmp(p->def[0]->fmt.name, "tcp_probe")))
		*why = "the kernel has no tcp:tcp_probe tracepoint";
	else if (tracefs)
		ret = open_all(p, ports, nports, probe_data, ring_bytes, filters, why);
	json_set(info, "tracepoints", opened);
	json_set(info, "missing", missing);
	json_set(info, "kernel_filters", filters);	/* null: filtered in user space */
	json_set(info, "kernel_filter_refused", json_integer(p->filter_failed));
	json_set(info, "probe_data", json_boolean(probe_data));
	json_set(info, "probe_counted", json_boolean(!ret && p->fire_fd && p->nring &&
						      p->fire_fd[0] >= 0));	/* the budget works */
	if (ret) {
		tcpperf_free(p);
		return -1;
	}
	p->tmp_size = 1 << 16;
	p->tmp = xmalloc(p->tmp_size);
	*out = p;
	return 0;
}

int tcpperf_enable(struct tcpperf *p)
{
	for (size_t i = 0; i < p->nfds; i++)
		if (ioctl(p->fds[i], PERF_EVENT_IOC_ENABLE, 0))
			return error_errno("cannot enable a tracepoint");
	for (int r = 0; p->fire_fd && r < p->nring; r++)
		if (p->fire_fd[r] >= 0)
			ioctl(p->fire_fd[r], PERF_EVENT_IOC_ENABLE, 0);
	return 0;
}

int tcpperf_probe_enable(struct tcpperf *p, int on)
{
	unsigned long req = on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE;

	/* tcp_probe's fds are the first, one per ring (open_all opens it first) */
	for (int r = 0; r < p->nring && (size_t)r < p->nfds; r++) {
		if (ioctl(p->fds[r], req, 0))
			return error_errno("cannot switch tcp_probe %s", on ? "on" : "off");
		if (p->fire_fd && p->fire_fd[r] >= 0)
			ioctl(p->fire_fd[r], req, 0);
	}
	return 0;
}

uint64_t tcpperf_probe_fires(const struct tcpperf *p)
{
	uint64_t sum = 0, v;

	for (int r = 0; p->fire_fd && r < p->nring; r++)
		if (p->fire_fd[r] >= 0 && read(p->fire_fd[r], &v, sizeof(v)) == sizeof(v))
			sum += v;
	return sum;
}

int tcpperf_pollfds(const struct tcpperf *p, struct pollfd *fds, int max)
{
	int n = 0;

	for (int r = 0; r < p->nring && n < max; r++)
		fds[n++] = (struct pollfd){ .fd = p->ring[r].fd, .events = POLLIN };
	return n;
}

static const struct tcpperf_def *def_of(const struct tcpperf *p, uint16_t id)
{
	for (size_t k = 0; k < p->ndef; k++)
		if (p->id[k] == id)
			return p->def[k];
	return NULL;
}

static void on_sample(struct tcpperf *p, const unsigned char *rec, size_t len,
		      tcpperf_fn fn, void *data, struct tcprec_stats *st)
{
	const struct tcpperf_def *d;
	struct tcpperf_ev ev;
	uint64_t t;
	uint32_t raw_len;
	uint16_t type;

	if (len < 8 + 8 + 4 + 2)
		return;
	memcpy(&t, rec + 8, 8);
	memcpy(&raw_len, rec + 16, 4);
	if (raw_len > len - 20 || raw_len < 2)
		return;
	memcpy(&type, rec + 20, 2);
	d = def_of(p, type);
	if (d && !tcpperf_def_decode(d, rec + 20, raw_len, t, &ev)) {
		st->events++;
		fn(&ev, data);
	}
}

static void on_record(struct tcpperf *p, const unsigned char *rec, size_t len,
		      tcpperf_fn fn, void *data, struct tcprec_stats *st)
{
	struct perf_event_header h;
	uint64_t lost;

	memcpy(&h, rec, sizeof(h));
	if (h.type == PERF_RECORD_SAMPLE) {
		on_sample(p, rec, len, fn, data, st);
	} else if (h.type == PERF_RECORD_LOST && len >= 24) {
		memcpy(&lost, rec + 16, 8);
		st->lost += lost;
		st->lost_records++;
	} else if (h.type == PERF_RECORD_THROTTLE) {
		st->throttled++;
	}
}

static void drain_ring(struct tcpperf *p, struct ring *rg, tcpperf_fn fn, void *data,
		       struct tcprec_stats *st)
{
	struct perf_event_mmap_page *m = (struct perf_event_mmap_page *)rg->base;
	unsigned char *d = rg->base + p->page;
	uint64_t head = __atomic_load_n(&m->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = m->data_tail;

	while (tail + sizeof(struct perf_event_header) <= head) {
		size_t off = (size_t)(tail & (rg->size - 1));
		struct perf_event_header h;
		const unsigned char *rec = d + off;

		if (off + sizeof(h) <= rg->size) {
			memcpy(&h, d + off, sizeof(h));
		} else {
			memcpy(&h, d + off, rg->size - off);
			memcpy((char *)&h + (rg->size - off), d, sizeof(h) - (rg->size - off));
		}
		if (h.size < sizeof(h) || tail + h.size > head)
			break;
		if (off + h.size > rg->size) {	/* wraps: copy it out */
			memcpy(p->tmp, d + off, rg->size - off);
			memcpy(p->tmp + (rg->size - off), d, h.size - (rg->size - off));
			rec = p->tmp;
		}
		on_record(p, rec, h.size, fn, data, st);
		tail += h.size;
	}
	__atomic_store_n(&m->data_tail, tail, __ATOMIC_RELEASE);
}

void tcpperf_drain(struct tcpperf *p, tcpperf_fn fn, void *data, struct tcprec_stats *st)
{
	for (int r = 0; r < p->nring; r++)
		if (p->ring[r].base)
			drain_ring(p, &p->ring[r], fn, data, st);
}

void tcpperf_free(struct tcpperf *p)
{
	if (!p)
		return;
	for (int r = 0; r < p->nring; r++)
		if (p->ring[r].base)
			munmap(p->ring[r].base, p->page + p->ring[r].size);
	for (size_t i = 0; i < p->nfds; i++)
		close(p->fds[i]);
	for (int r = 0; p->fire_fd && r < p->nring; r++)
		if (p->fire_fd[r] >= 0)
			close(p->fire_fd[r]);
	free(p->fire_fd);
	for (size_t k = 0; k < p->ndef; k++)
		tcpperf_def_free(p->def[k]);
	free(p->fds);
	free(p->ring);
	free(p->tmp);
	free(p);
}

#endif /* __linux__ */
