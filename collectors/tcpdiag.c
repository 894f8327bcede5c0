/*
 * inet_diag: dumps of this namespace's TCP sockets and the destroy
 * broadcast, decoded into trace record fields.
 */
#ifdef __linux__	/* FreeBSD: BB logging would be the source (tcprec.h); none yet */
#include "collectors/tcpdiag.h"
#include "common/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * struct tcp_info grows at its end; these follow tcpi_snd_wnd (the end
 * of the 6.1 uapi header this builds against) in newer kernels.
 */
#define TI_RCV_WND 232		/* Linux 6.2 */
#define TI_TOTAL_RTO 240	/* u16, Linux 6.7 */

_Static_assert(sizeof(struct tcp_info) >= 232, "tcp_info ends before tcpi_snd_wnd");

/* The kernel's TCP states (include/net/tcp_states.h). */
enum { ST_ESTABLISHED = 1, ST_SYN_SENT, ST_SYN_RECV, ST_FIN_WAIT1, ST_FIN_WAIT2,
       ST_TIME_WAIT, ST_CLOSE, ST_CLOSE_WAIT, ST_LAST_ACK, ST_LISTEN, ST_CLOSING };

/* Socket states worth sampling: not LISTEN, TIME_WAIT or NEW_SYN_RECV. */
#define STATES ((1u << ST_ESTABLISHED) | (1u << ST_SYN_SENT) | (1u << ST_SYN_RECV) | \
		(1u << ST_FIN_WAIT1) | (1u << ST_FIN_WAIT2) | (1u << ST_CLOSE_WAIT) | \
		(1u << ST_LAST_ACK) | (1u << ST_CLOSING))

static void put(struct tcpdiag_sock *s, enum tcprec_field f, int64_t v)
{
	s->have |= UINT64_C(1) << f;
	s->vals[f] = v;
}

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void info_fields(struct tcpdiag_sock *s, const void *data, size_t len)
{
	struct tcp_info ti;
	uint16_t rto16;

	memset(&ti, 0, sizeof(ti));
	memcpy(&ti, data, len < sizeof(ti) ? len : sizeof(ti));
	if (len < offsetof(struct tcp_info, tcpi_total_retrans) + 4)
		return;	/* older than Linux 2.6.x: not worth decoding */
	put(s, TF_STATE, ti.tcpi_state);
	put(s, TF_CA_STATE, ti.tcpi_ca_state);
	put(s, TF_BACKOFF, ti.tcpi_backoff);
	put(s, TF_CWND, ti.tcpi_snd_cwnd);
	put(s, TF_SSTHRESH, ti.tcpi_snd_ssthresh);
	put(s, TF_SRTT, ti.tcpi_rtt);
	put(s, TF_RTTVAR, ti.tcpi_rttvar);
	put(s, TF_RTO, ti.tcpi_rto);
	put(s, TF_MSS, ti.tcpi_snd_mss);
	put(s, TF_UNACKED, ti.tcpi_unacked);
	put(s, TF_SACKED, ti.tcpi_sacked);
	put(s, TF_LOST, ti.tcpi_lost);
	put(s, TF_RETRANS_OUT, ti.tcpi_retrans);
	put(s, TF_IN_FLIGHT, (int64_t)ti.tcpi_unacked - ti.tcpi_sacked - ti.tcpi_lost +
			     ti.tcpi_retrans);
	put(s, TF_RCV_SSTHRESH, ti.tcpi_rcv_ssthresh);
	put(s, TF_RCV_RTT, ti.tcpi_rcv_rtt);
	put(s, TF_RCV_SPACE, ti.tcpi_rcv_space);
	put(s, TF_TOTAL_RETRANS, ti.tcpi_total_retrans);
	if (len >= offsetof(struct tcp_info, tcpi_bytes_received) + 8) {
		put(s, TF_BYTES_ACKED, (int64_t)ti.tcpi_bytes_acked);
		put(s, TF_BYTES_RECEIVED, (int64_t)ti.tcpi_bytes_received);
	}
	if (len >= offsetof(struct tcp_info, tcpi_notsent_bytes) + 4)
		put(s, TF_NOTSENT, ti.tcpi_notsent_bytes);
	if (len >= offsetof(struct tcp_info, tcpi_delivery_rate) + 8)
		put(s, TF_DELIVERY_RATE, (int64_t)ti.tcpi_delivery_rate);
	if (len >= offsetof(struct tcp_info, tcpi_sndbuf_limited) + 8) {
		put(s, TF_BUSY, (int64_t)ti.tcpi_busy_time);
		put(s, TF_RWND_LIMITED, (int64_t)ti.tcpi_rwnd_limited);
		put(s, TF_SNDBUF_LIMITED, (int64_t)ti.tcpi_sndbuf_limited);
	}
	if (len >= offsetof(struct tcp_info, tcpi_bytes_retrans) + 8) {
		put(s, TF_BYTES_SENT, (int64_t)ti.tcpi_bytes_sent);
		put(s, TF_BYTES_RETRANS, (int64_t)ti.tcpi_bytes_retrans);
	}
	if (len >= offsetof(struct tcp_info, tcpi_snd_wnd) + 4)
		put(s, TF_SND_WND, ti.tcpi_snd_wnd);
	if (len >= TI_RCV_WND + 4)
		put(s, TF_RCV_WND, rd32((const unsigned char *)data + TI_RCV_WND));
	if (len >= TI_TOTAL_RTO + 2) {
		memcpy(&rto16, (const unsigned char *)data + TI_TOTAL_RTO, 2);
		put(s, TF_TOTAL_RTO, rto16);
	}
}

static void skmem_fields(struct tcpdiag_sock *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (len >= (SK_MEMINFO_RCVBUF + 1) * 4)
		put(s, TF_RCVBUF, rd32(p + SK_MEMINFO_RCVBUF * 4));
	if (len >= (SK_MEMINFO_SNDBUF + 1) * 4)
		put(s, TF_SNDBUF, rd32(p + SK_MEMINFO_SNDBUF * 4));
}

static void cc_name(struct tcpdiag_sock *s, const char *data, size_t len)
{
	size_t n = strnlen(data, len);

	if (n >= sizeof(s->cc))
		n = sizeof(s->cc) - 1;
	memcpy(s->cc, data, n);
	s->cc[n] = '\0';
}

void tcpdiag_addr_set(struct tcpdiag_addr *a, const void *bytes, size_t len)
{
	memset(a, 0, sizeof(*a));
	if (len == 4) {
		a->b[10] = a->b[11] = 0xff;
		memcpy(a->b + 12, bytes, 4);
	} else if (len == 16) {
		memcpy(a->b, bytes, 16);
	}
}

static int is_v4mapped(const struct tcpdiag_addr *a)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a->b, pfx, 12);
}

const char *tcpdiag_addr_str(const struct tcpdiag_addr *a, char *buf)
{
	if (is_v4mapped(a))
		inet_ntop(AF_INET, a->b + 12, buf, 46);
	else
		inet_ntop(AF_INET6, a->b, buf, 46);
	return buf;
}

int tcpdiag_addr_is_loopback(const struct tcpdiag_addr *a)
{
	static const uint8_t lo6[16] = { [15] = 1 };

	return is_v4mapped(a) ? a->b[12] == 127 : !memcmp(a->b, lo6, 16);
}

/* One SOCK_DIAG_BY_FAMILY message: inet_diag_msg, then attributes. */
static int parse_msg(struct tcpdiag_sock *s, const unsigned char *p, size_t len)
{
	struct inet_diag_msg m;
	size_t off = NLMSG_ALIGN(sizeof(m));

	if (len < sizeof(m))
		return -1;
	memcpy(&m, p, sizeof(m));
	memset(s, 0, sizeof(*s));
	s->family = m.idiag_family;
	s->state = m.idiag_state;
	s->cookie = (uint64_t)m.id.idiag_cookie[1] << 32 | m.id.idiag_cookie[0];
	s->lport = ntohs(m.id.idiag_sport);
	s->rport = ntohs(m.id.idiag_dport);
	tcpdiag_addr_set(&s->laddr, m.id.idiag_src, m.idiag_family == AF_INET ? 4 : 16);
	tcpdiag_addr_set(&s->raddr, m.id.idiag_dst, m.idiag_family == AF_INET ? 4 : 16);
	s->rqueue = m.idiag_rqueue;
	s->wqueue = m.idiag_wqueue;
	while (off + sizeof(struct nlattr) <= len) {
		struct nlattr a;
		size_t alen;

		memcpy(&a, p + off, sizeof(a));
		if (a.nla_len < sizeof(a) || a.nla_len > len - off)
			return -1;
		alen = a.nla_len - sizeof(a);
		switch (a.nla_type & NLA_TYPE_MASK) {
		case INET_DIAG_INFO: info_fields(s, p + off + sizeof(a), alen); break;
		case INET_DIAG_SKMEMINFO: skmem_fields(s, p + off + sizeof(a), alen); break;
		case INET_DIAG_CONG: cc_name(s, (const char *)p + off + sizeof(a), alen); break;
		}
		off += NLA_ALIGN(a.nla_len);
	}
	if (s->state == ST_ESTABLISHED || s->state == ST_CLOSE_WAIT) {
		put(s, TF_RQUEUE, s->rqueue);
		put(s, TF_WQUEUE, s->wqueue);
	}
	return 0;
}

/*
 * Walk netlink messages. With answers (exact lookups), an NLMSG_ERROR is
 * one request's answer ("no such socket"), counted there, and the walk
 * goes on; without, it ends the walk as -1.
 */
static int walk(const void *buf, size_t len, tcpdiag_fn fn, void *data, size_t *answers)
{
	const unsigned char *p = buf;
	size_t off = 0;

	while (off + sizeof(struct nlmsghdr) <= len) {
		struct nlmsghdr h;
		struct tcpdiag_sock s;

		memcpy(&h, p + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			return -1;
		if (h.nlmsg_type == NLMSG_DONE)
			return 1;
		if (h.nlmsg_type == NLMSG_ERROR && !answers) {
			struct nlmsgerr e;

			if (h.nlmsg_len >= sizeof(h) + sizeof(e)) {
				memcpy(&e, p + off + sizeof(h), sizeof(e));
				errno = e.error < 0 ? -e.error : EPROTO;
			} else {
				errno = EPROTO;
			}
			return -1;
		}
		if (answers && (h.nlmsg_type == NLMSG_ERROR || h.nlmsg_type == SOCK_DIAG_BY_FAMILY))
			(*answers)++;
		if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY &&
		    !parse_msg(&s, p + off + sizeof(h), h.nlmsg_len - sizeof(h)) &&
		    (s.family == AF_INET || s.family == AF_INET6))
			fn(&s, data);
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	return 0;
}

int tcpdiag_parse(const void *buf, size_t len, tcpdiag_fn fn, void *data)
{
	return walk(buf, len, fn, data, NULL);
}

int tcpdiag_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (fd < 0)
		return error_errno("cannot open a sock_diag netlink socket");
	return fd;
}

struct diag_req {
	struct nlmsghdr h;
	struct inet_diag_req_v2 r;
};

static void req_init(struct diag_req *req, int family, int dump)
{
	memset(req, 0, sizeof(*req));
	req->h.nlmsg_len = sizeof(*req);
	req->h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req->h.nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
	req->r.sdiag_family = (uint8_t)family;
	req->r.sdiag_protocol = IPPROTO_TCP;
	req->r.idiag_states = STATES;
	req->r.idiag_ext = (1 << (INET_DIAG_INFO - 1)) | (1 << (INET_DIAG_CONG - 1)) |
			   (1 << (INET_DIAG_SKMEMINFO - 1));
}

static int request(int fd, int family)
{
	struct diag_req req;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	req_init(&req, family, 1);
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return error_errno("cannot send an inet_diag request");
	return 0;
}

/* The request for one socket, in its own view (src = local). */
static void req_one(struct diag_req *req, const struct tcpdiag_key *k, uint32_t seq)
{
	int v4 = k->family == AF_INET;

	req_init(req, k->family, 0);
	req->h.nlmsg_seq = seq;
	req->r.id.idiag_sport = htons(k->lport);
	req->r.id.idiag_dport = htons(k->rport);
	memcpy(req->r.id.idiag_src, v4 ? k->laddr.b + 12 : k->laddr.b, v4 ? 4 : 16);
	memcpy(req->r.id.idiag_dst, v4 ? k->raddr.b + 12 : k->raddr.b, v4 ? 4 : 16);
	req->r.id.idiag_cookie[0] = k->cookie ? (uint32_t)k->cookie : INET_DIAG_NOCOOKIE;
	req->r.id.idiag_cookie[1] = k->cookie ? (uint32_t)(k->cookie >> 32) : INET_DIAG_NOCOOKIE;
}

/* Up to 64 lookups in flight: sent at once, then every answer read. */
static int get_batch(int fd, const struct tcpdiag_key *keys, size_t n, tcpdiag_fn fn,
		     void *data, unsigned char *buf, size_t size)
{
	struct diag_req req[64];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	size_t answers = 0;

	if (!n || n > ARRAY_SIZE(req))
		return 0;
	for (size_t i = 0; i < n; i++)
		req_one(&req[i], &keys[i], (uint32_t)i + 1);
	if (sendto(fd, req, n * sizeof(req[0]), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return error_errno("cannot send inet_diag requests");
	while (answers < n) {
		ssize_t got = recv(fd, buf, size, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return error_errno("cannot read inet_diag answers");
		if (walk(buf, (size_t)got, fn, data, &answers) < 0)
			return error("a malformed inet_diag answer");
	}
	return 0;
}

int tcpdiag_get(int fd, const struct tcpdiag_key *keys, size_t n, tcpdiag_fn fn, void *data)
{
	size_t size = 64 << 10;
	unsigned char *buf = xmalloc(size);
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i += 64)
		ret = get_batch(fd, keys + i, n - i < 64 ? n - i : 64, fn, data, buf, size);
	free(buf);
	return ret;
}

static int dump_family(int fd, int family, unsigned char *buf, size_t size,
		       tcpdiag_fn fn, void *data)
{
	int ret = 0;

	if (request(fd, family))
		return -1;
	while (!ret) {
		ssize_t n = recv(fd, buf, size, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_errno("cannot read an inet_diag dump");
		ret = tcpdiag_parse(buf, (size_t)n, fn, data);
	}
	if (ret < 0)
		return error_errno("inet_diag dump failed");
	return 0;
}

int tcpdiag_dump(int fd, tcpdiag_fn fn, void *data)
{
	size_t size = 64 << 10;
	unsigned char *buf = xmalloc(size);
	int ret = dump_family(fd, AF_INET, buf, size, fn, data);

	if (!ret)
		ret = dump_family(fd, AF_INET6, buf, size, fn, data);
	free(buf);
	return ret;
}

int tcpdiag_open_destroy(const char **why)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG);
	int size = 4 << 20;

	if (fd < 0) {
		*why = "no sock_diag netlink socket";
		return -1;
	}
	sa.nl_groups = (1u << (SKNLGRP_INET_TCP_DESTROY - 1)) |
		       (1u << (SKNLGRP_INET6_TCP_DESTROY - 1));
	/* bursts of closes (crr) must not overrun it; FORCE needs root */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		*why = errno == EPERM ? "the destroy broadcast needs CAP_NET_ADMIN"
				      : "the kernel has no sock_diag destroy broadcast";
		close(fd);
		return -1;
	}
	return fd;
}

int tcpdiag_read_destroy(int fd, tcpdiag_fn fn, void *data, uint64_t *lost)
{
	unsigned char buf[16 << 10];
	int n = 0;

	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0 && errno == ENOBUFS) {
			(*lost)++;	/* at least one; the kernel does not say how many */
			continue;
		}
		if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return n;
		if (len <= 0)
			return error_errno("cannot read the sock_diag broadcast");
		tcpdiag_parse(buf, (size_t)len, fn, data);
		n++;
	}
}

int tcpdiag_local_addrs(struct tcpdiag_addr **out)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0, alloc = 0;

	*out = NULL;
	if (getifaddrs(&ifa))
		return error_errno("cannot list this host's addresses");
	for (i = ifa; i; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;

		if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
			continue;
		ALLOC_GROW(*out, n + 1, alloc);
		if (sa->sa_family == AF_INET)
			tcpdiag_addr_set(&(*out)[n++], &((const struct sockaddr_in *)sa)->sin_addr, 4);
		else
			tcpdiag_addr_set(&(*out)[n++], &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
	freeifaddrs(ifa);
	return (int)n;
}

#endif /* __linux__ */
