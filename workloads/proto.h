#ifndef WORKLOADS_PROTO_H
#define WORKLOADS_PROTO_H

#include <stdint.h>
#include <stddef.h>

/*
 * The wire protocol between `perflab load client` and `perflab load
 * server`. Every connection starts with a fixed 64-byte hello from the
 * client saying what it wants; the server applies the socket options it
 * names, answers with a fixed 32-byte reply carrying the congestion
 * control it read back with getsockopt, and then plays its part. A
 * connection that starts with "GET " is HTTP instead (the chunk
 * workload, which also runs against any HTTP server).
 *
 * All integers are big-endian.
 */
#define PROTO_HELLO_LEN 64
#define PROTO_REPLY_LEN 32
#define PROTO_CC_LEN 16

enum proto_mode {
	PROTO_SINK = 1,		/* client sends until it closes; server discards */
	PROTO_SOURCE = 2,	/* server sends `bytes` (0: until the client closes) */
	PROTO_RR = 3,		/* client sends req_bytes, server answers `bytes` and closes */
};

#define PROTO_F_NODELAY 0x01	/* server sets TCP_NODELAY */
#define PROTO_F_CLOSE 0x02	/* server closes after sending `bytes` */
#define PROTO_F_SENDFILE 0x04	/* server sends with sendfile(2) */
#define PROTO_F_ALL 0x07

struct proto_hello {
	uint8_t mode;		/* enum proto_mode */
	uint8_t flags;		/* PROTO_F_* */
	uint64_t bytes;		/* bytes the server sends (SOURCE, RR) */
	uint32_t req_bytes;	/* request payload after the hello (RR) */
	uint32_t sndbuf;	/* server SO_SNDBUF in bytes, 0 = default */
	uint32_t rcvbuf;	/* server SO_RCVBUF in bytes, 0 = default */
	uint32_t tx_delay_us;	/* server TCP_TX_DELAY in microseconds */
	uint64_t rate;		/* server send pacing in bytes/s, 0 = none */
	char cc[PROTO_CC_LEN];	/* congestion control / TCP stack, "" = default */
};

enum proto_status {
	PROTO_OK = 0,
	PROTO_EBADCC = 1,	/* the requested stack could not be set */
	PROTO_EBADHELLO = 2,
};

struct proto_reply {
	uint8_t status;		/* enum proto_status */
	char cc[PROTO_CC_LEN];	/* the stack as getsockopt reported it */
};

void proto_hello_encode(const struct proto_hello *h, unsigned char out[PROTO_HELLO_LEN]);
/* Returns 0, or -1 for a buffer that is not a valid hello. */
int proto_hello_decode(struct proto_hello *out, const unsigned char in[PROTO_HELLO_LEN]);
void proto_reply_encode(const struct proto_reply *r, unsigned char out[PROTO_REPLY_LEN]);
int proto_reply_decode(struct proto_reply *out, const unsigned char in[PROTO_REPLY_LEN]);

#endif
