#ifndef WORKLOADS_TCPSTAT_H
#define WORKLOADS_TCPSTAT_H

#include <stddef.h>
#include <stdint.h>

struct json_t;

/*
 * What TCP_INFO tells about one connection, in plain units. Fields the
 * kernel does not report are NaN (doubles) or marked absent in `have`.
 */
struct tcp_sample {
	unsigned have;		/* TCPS_HAVE_* bits for the counters below */
	uint64_t retrans;	/* segments retransmitted in total */
	uint64_t bytes_acked;	/* sent bytes acknowledged by the peer */
	uint64_t bytes_received;/* bytes received in sequence */
	uint64_t bytes_retrans;	/* bytes retransmitted */
	uint64_t busy_us;	/* time busy sending data */
	uint64_t rwnd_limited_us;  /* time limited by the peer's receive window */
	uint64_t sndbuf_limited_us;/* time limited by the send buffer */
	double rtt_us;		/* smoothed RTT */
	double rttvar_us;	/* its mean deviation */
	double min_rtt_us;	/* lowest RTT seen */
	double cwnd_bytes;	/* congestion window: segments x MSS */
	double delivery_rate_bps; /* most recent delivery rate, bits/s */
	double pmtu;		/* path MTU, bytes */
};

#define TCPS_HAVE_BYTES 1u	/* bytes_acked, bytes_received */
#define TCPS_HAVE_LIMITED 2u	/* busy/rwnd/sndbuf limited times, bytes_retrans */

/*
 * Sums over many connections for one interval: counters add up, the
 * gauges are summed for a mean over the samples.
 */
struct tcp_acc {
	uint64_t n;		/* connections sampled */
	uint64_t n_limited;	/* of those, with the limited-time counters */
	uint64_t retrans, bytes_acked, bytes_received, bytes_retrans;
	uint64_t busy_us, rwnd_limited_us, sndbuf_limited_us;
	double rtt_us, rttvar_us, cwnd_bytes, delivery_rate_bps; /* sums */
	uint64_t n_rtt, n_rate;	/* samples with an RTT, with a rate */
};

/* Read TCP_INFO of fd. Returns 0 or -1 (not a TCP socket, closed). */
int tcp_sample_read(int fd, struct tcp_sample *out);
/* The sample as a JSON object, nulls where absent. New reference. */
struct json_t *tcp_sample_json(const struct tcp_sample *s);

void tcp_acc_add(struct tcp_acc *acc, const struct tcp_sample *s);
/* acc += b or acc -= b (b counted within acc before). */
void tcp_acc_merge(struct tcp_acc *acc, const struct tcp_acc *b);
void tcp_acc_sub(struct tcp_acc *acc, const struct tcp_acc *b);
/* The interval's figures as JSON: counters, and means of the gauges. */
struct json_t *tcp_acc_json(const struct tcp_acc *acc);

/*
 * The TCP stack of a socket: the congestion control on Linux
 * (TCP_CONGESTION), the TCP function block on FreeBSD
 * (TCP_FUNCTION_BLK). set returns -1 with errno when the kernel refuses.
 */
int tcp_stack_set(int fd, const char *name);
int tcp_stack_get(int fd, char *buf, size_t len);
/* Emulate RTT: delay this socket's transmits (TCP_TX_DELAY, root). */
int tcp_tx_delay_set(int fd, uint32_t usec);

#endif
