#include "workloads/tcpstat.h"
#include "common/json.h"
#include "common/util.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#if defined(__linux__)
#include <linux/tcp.h>
#else
#include <netinet/tcp.h>
#endif

#ifndef TCP_TX_DELAY
#define TCP_TX_DELAY 37
#endif

#define HAS(len, field) ((len) >= offsetof(struct tcp_info, field) + \
			 sizeof(((struct tcp_info *)0)->field))

static void sample_clear(struct tcp_sample *s)
{
	memset(s, 0, sizeof(*s));
	s->rtt_us = s->rttvar_us = s->min_rtt_us = NAN;
	s->cwnd_bytes = s->delivery_rate_bps = s->pmtu = NAN;
}

#if defined(__linux__)
int tcp_sample_read(int fd, struct tcp_sample *s)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	sample_clear(s);
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	s->retrans = ti.tcpi_total_retrans;
	s->rtt_us = ti.tcpi_rtt;
	s->rttvar_us = ti.tcpi_rttvar;
	s->cwnd_bytes = (double)ti.tcpi_snd_cwnd * ti.tcpi_snd_mss;
	s->pmtu = ti.tcpi_pmtu;
	if (HAS(len, tcpi_bytes_received)) {
		s->have |= TCPS_HAVE_BYTES;
		s->bytes_acked = ti.tcpi_bytes_acked;
		s->bytes_received = ti.tcpi_bytes_received;
	}
	if (HAS(len, tcpi_min_rtt))
		s->min_rtt_us = ti.tcpi_min_rtt;
	if (HAS(len, tcpi_delivery_rate))
		s->delivery_rate_bps = (double)ti.tcpi_delivery_rate * 8;
	if (HAS(len, tcpi_bytes_retrans)) {
		s->have |= TCPS_HAVE_LIMITED;
		s->busy_us = ti.tcpi_busy_time;
		s->rwnd_limited_us = ti.tcpi_rwnd_limited;
		s->sndbuf_limited_us = ti.tcpi_sndbuf_limited;
		s->bytes_retrans = ti.tcpi_bytes_retrans;
	}
	return 0;
}

int tcp_stack_set(int fd, const char *name)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, (socklen_t)strlen(name));
}

int tcp_stack_get(int fd, char *buf, size_t len)
{
	socklen_t n = (socklen_t)len;

	memset(buf, 0, len);
	if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, buf, &n))
		return -1;
	buf[len - 1] = '\0';
	return 0;
}

int tcp_tx_delay_set(int fd, uint32_t usec)
{
	int v = (int)usec;

	return setsockopt(fd, IPPROTO_TCP, TCP_TX_DELAY, &v, sizeof(v));
}

#else /* FreeBSD */
int tcp_sample_read(int fd, struct tcp_sample *s)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	sample_clear(s);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	s->retrans = ti.tcpi_snd_rexmitpack;
	s->rtt_us = ti.tcpi_rtt;
	s->rttvar_us = ti.tcpi_rttvar;
	s->cwnd_bytes = ti.tcpi_snd_cwnd;	/* already bytes on FreeBSD */
	return 0;
}

int tcp_stack_set(int fd, const char *name)
{
	struct tcp_function_set fs;

	memset(&fs, 0, sizeof(fs));
	strncpy(fs.function_set_name, name, sizeof(fs.function_set_name) - 1);
	return setsockopt(fd, IPPROTO_TCP, TCP_FUNCTION_BLK, &fs, sizeof(fs));
}

int tcp_stack_get(int fd, char *buf, size_t len)
{
	struct tcp_function_set fs;
	socklen_t n = sizeof(fs);

	memset(buf, 0, len);
	if (getsockopt(fd, IPPROTO_TCP, TCP_FUNCTION_BLK, &fs, &n))
		return -1;
	strncpy(buf, fs.function_set_name, len - 1);
	return 0;
}

int tcp_tx_delay_set(int fd, uint32_t usec)
{
	errno = EOPNOTSUPP;
	return -1;
}
#endif

json_t *tcp_sample_json(const struct tcp_sample *s)
{
	json_t *o = json_object();
	int lim = !!(s->have & TCPS_HAVE_LIMITED), by = !!(s->have & TCPS_HAVE_BYTES);

	json_set_int(o, "retrans", (long long)s->retrans);
	json_set_num(o, "rtt_us", s->rtt_us);
	json_set_num(o, "rttvar_us", s->rttvar_us);
	json_set_num(o, "min_rtt_us", s->min_rtt_us);
	json_set_num(o, "cwnd_bytes", s->cwnd_bytes);
	json_set_num(o, "delivery_rate_bps", s->delivery_rate_bps);
	json_set_num(o, "pmtu_bytes", s->pmtu);
	json_set_num(o, "bytes_acked", by ? (double)s->bytes_acked : NAN);
	json_set_num(o, "bytes_received", by ? (double)s->bytes_received : NAN);
	json_set_num(o, "bytes_retrans", lim ? (double)s->bytes_retrans : NAN);
	json_set_num(o, "busy_us", lim ? (double)s->busy_us : NAN);
	json_set_num(o, "rwnd_limited_us", lim ? (double)s->rwnd_limited_us : NAN);
	json_set_num(o, "sndbuf_limited_us", lim ? (double)s->sndbuf_limited_us : NAN);
	return o;
}

void tcp_acc_add(struct tcp_acc *a, const struct tcp_sample *s)
{
	a->n++;
	a->retrans += s->retrans;
	a->bytes_acked += s->bytes_acked;
	a->bytes_received += s->bytes_received;
	if (s->have & TCPS_HAVE_LIMITED) {
		a->n_limited++;
		a->bytes_retrans += s->bytes_retrans;
		a->busy_us += s->busy_us;
		a->rwnd_limited_us += s->rwnd_limited_us;
		a->sndbuf_limited_us += s->sndbuf_limited_us;
	}
	if (!isnan(s->rtt_us) && s->rtt_us > 0) {
		a->n_rtt++;
		a->rtt_us += s->rtt_us;
		a->rttvar_us += s->rttvar_us;
		a->cwnd_bytes += s->cwnd_bytes;
	}
	if (!isnan(s->delivery_rate_bps)) {
		a->n_rate++;
		a->delivery_rate_bps += s->delivery_rate_bps;
	}
}

void tcp_acc_merge(struct tcp_acc *a, const struct tcp_acc *b)
{
	a->n += b->n;
	a->n_limited += b->n_limited;
	a->retrans += b->retrans;
	a->bytes_acked += b->bytes_acked;
	a->bytes_received += b->bytes_received;
	a->bytes_retrans += b->bytes_retrans;
	a->busy_us += b->busy_us;
	a->rwnd_limited_us += b->rwnd_limited_us;
	a->sndbuf_limited_us += b->sndbuf_limited_us;
	a->rtt_us += b->rtt_us;
	a->rttvar_us += b->rttvar_us;
	a->cwnd_bytes += b->cwnd_bytes;
	a->delivery_rate_bps += b->delivery_rate_bps;
	a->n_rtt += b->n_rtt;
	a->n_rate += b->n_rate;
}

void tcp_acc_sub(struct tcp_acc *a, const struct tcp_acc *b)
{
	a->n -= b->n;
	a->n_limited -= b->n_limited;
	a->retrans -= b->retrans;
	a->bytes_acked -= b->bytes_acked;
	a->bytes_received -= b->bytes_received;
	a->bytes_retrans -= b->bytes_retrans;
	a->busy_us -= b->busy_us;
	a->rwnd_limited_us -= b->rwnd_limited_us;
	a->sndbuf_limited_us -= b->sndbuf_limited_us;
	a->rtt_us -= b->rtt_us;
	a->rttvar_us -= b->rttvar_us;
	a->cwnd_bytes -= b->cwnd_bytes;
	a->delivery_rate_bps -= b->delivery_rate_bps;
	a->n_rtt -= b->n_rtt;
	a->n_rate -= b->n_rate;
}

static double mean(double sum, uint64_t n)
{
	return n ? sum / (double)n : NAN;
}

json_t *tcp_acc_json(const struct tcp_acc *a)
{
	json_t *o = json_object();
	int lim = a->n_limited > 0;

	json_set_int(o, "samples", (long long)a->n);
	json_set_int(o, "retrans", (long long)a->retrans);
	json_set_num(o, "bytes_retrans", lim ? (double)a->bytes_retrans : NAN);
	json_set_num(o, "rtt_us", mean(a->rtt_us, a->n_rtt));
	json_set_num(o, "rttvar_us", mean(a->rttvar_us, a->n_rtt));
	json_set_num(o, "cwnd_bytes", mean(a->cwnd_bytes, a->n_rtt));
	json_set_num(o, "delivery_rate_bps", mean(a->delivery_rate_bps, a->n_rate));
	json_set_num(o, "busy_us", lim ? (double)a->busy_us : NAN);
	json_set_num(o, "rwnd_limited_us", lim ? (double)a->rwnd_limited_us : NAN);
	json_set_num(o, "sndbuf_limited_us", lim ? (double)a->sndbuf_limited_us : NAN);
	return o;
}
