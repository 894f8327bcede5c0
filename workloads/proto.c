#include "workloads/proto.h"

#include <string.h>

static const unsigned char hello_magic[4] = { 'P', 'F', 'L', '1' };
static const unsigned char reply_magic[4] = { 'P', 'F', 'R', '1' };

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* A stack name: printable ASCII, NUL-padded. */
static int get_name(char out[PROTO_CC_LEN], const unsigned char *in)
{
	int end = 0;

	memcpy(out, in, PROTO_CC_LEN);
	if (out[PROTO_CC_LEN - 1])
		return -1;
	for (int i = 0; i < PROTO_CC_LEN; i++) {
		if (!out[i])
			end = 1;
		else if (end || out[i] < 0x21 || out[i] > 0x7e)
			return -1;
	}
	return 0;
}

void proto_hello_encode(const struct proto_hello *h, unsigned char out[PROTO_HELLO_LEN])
{
	memset(out, 0, PROTO_HELLO_LEN);
	memcpy(out, hello_magic, 4);
	out[4] = 1;	/* version */
	out[5] = h->mode;
	out[6] = h->flags;
	put64(out + 8, h->bytes);
	put32(out + 16, h->req_bytes);
	put32(out + 20, h->sndbuf);
	put32(out + 24, h->rcvbuf);
	put32(out + 28, h->tx_delay_us);
	put64(out + 32, h->rate);
	memcpy(out + 40, h->cc, strnlen(h->cc, PROTO_CC_LEN - 1));
}

int proto_hello_decode(struct proto_hello *h, const unsigned char in[PROTO_HELLO_LEN])
{
	memset(h, 0, sizeof(*h));
	if (memcmp(in, hello_magic, 4) || in[4] != 1)
		return -1;
	h->mode = in[5];
	h->flags = in[6];
	if (h->mode < PROTO_SINK || h->mode > PROTO_RR || (h->flags & ~(unsigned)PROTO_F_ALL))
		return -1;
	h->bytes = get64(in + 8);
	h->req_bytes = get32(in + 16);
	h->sndbuf = get32(in + 20);
	h->rcvbuf = get32(in + 24);
	h->tx_delay_us = get32(in + 28);
	h->rate = get64(in + 32);
	return get_name(h->cc, in + 40);
}

void proto_reply_encode(const struct proto_reply *r, unsigned char out[PROTO_REPLY_LEN])
{
	memset(out, 0, PROTO_REPLY_LEN);
	memcpy(out, reply_magic, 4);
	out[4] = r->status;
	memcpy(out + 8, r->cc, strnlen(r->cc, PROTO_CC_LEN - 1));
}

int proto_reply_decode(struct proto_reply *r, const unsigned char in[PROTO_REPLY_LEN])
{
	memset(r, 0, sizeof(*r));
	if (memcmp(in, reply_magic, 4))
		return -1;
	r->status = in[4];
	return get_name(r->cc, in + 8);
}
