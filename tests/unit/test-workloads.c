#include "tests/unit/test.h"
#include "workloads/http.h"
#include "workloads/proto.h"

#include <stdlib.h>

TEST(proto, hello_round_trip)
{
	struct proto_hello h = { .mode = PROTO_RR, .flags = PROTO_F_CLOSE, .bytes = 1ULL << 40,
				 .req_bytes = 7, .sndbuf = 131072, .rcvbuf = 65536,
				 .tx_delay_us = 5000, .rate = 123456789 }, g;
	unsigned char buf[PROTO_HELLO_LEN];

	strcpy(h.cc, "cubic");
	proto_hello_encode(&h, buf);
	REQUIRE(!proto_hello_decode(&g, buf));
	CHECK_INT(g.mode, PROTO_RR);
	CHECK_INT(g.bytes, 1ULL << 40);
	CHECK_INT(g.rcvbuf, 65536);
	CHECK_INT(g.rate, 123456789);
	CHECK_STR(g.cc, "cubic");
	buf[5] = 9;			/* unknown mode */
	CHECK(proto_hello_decode(&g, buf));
	proto_hello_encode(&h, buf);
	buf[40] = ' ';			/* not a printable name */
	CHECK(proto_hello_decode(&g, buf));
	memcpy(buf, "GET ", 4);
	CHECK(proto_hello_decode(&g, buf));
}

/* Feed a response in pieces of the given size. */
static struct http_resp *feed(const char *text, size_t piece, ssize_t *consumed)
{
	struct http_resp *r = malloc(sizeof(*r));
	size_t len = strlen(text), used = 0;

	http_resp_init(r);
	while (used < len && r->state != HTTP_DONE) {
		size_t n = len - used < piece ? len - used : piece;
		ssize_t k = http_resp_feed(r, text + used, n);

		if (k < 0) {
			*consumed = -1;
			return r;
		}
		used += (size_t)k;
	}
	*consumed = (ssize_t)used;
	return r;
}

TEST(http, content_length_any_split)
{
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nServer: x\r\n\r\n"
			   "0123456789HTTP/1.1 200 OK\r\n";

	for (size_t piece = 1; piece < 64; piece++) {
		ssize_t used;
		struct http_resp *r = feed(resp, piece, &used);

		CHECK_INT(r->state, HTTP_DONE);
		CHECK_INT(r->status, 200);
		CHECK_INT(r->body_bytes, 10);
		CHECK_INT(used, strlen(resp) - strlen("HTTP/1.1 200 OK\r\n"));
		CHECK(r->keep_alive);
		free(r);
	}
}

TEST(http, chunked_and_interim)
{
	const char *resp = "HTTP/1.1 100 Continue\r\n\r\n"
			   "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"
			   "Connection: close\r\n\r\n"
			   "4\r\nabcd\r\nA;ext=1\r\n0123456789\r\n0\r\nX-Trailer: y\r\n\r\n";
	ssize_t used;
	struct http_resp *r = feed(resp, 3, &used);

	CHECK_INT(r->state, HTTP_DONE);
	CHECK_INT(r->body_bytes, 14);
	CHECK(!r->keep_alive);
	free(r);
}

TEST(http, body_until_close)
{
	ssize_t used;
	struct http_resp *r = feed("HTTP/1.0 200 OK\r\n\r\nsome body", 4, &used);

	CHECK_INT(r->state, HTTP_BODY_EOF);
	CHECK_INT(r->body_bytes, 9);
	CHECK_INT(http_resp_eof(r), 0);
	CHECK_INT(r->state, HTTP_DONE);
	free(r);
}

TEST(http, malformed)
{
	static const char *bad[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
		"SSH-2.0-OpenSSH\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ssize_t used;
		struct http_resp *r = feed(bad[i], 7, &used);

		CHECK_INT(used, -1);
		CHECK_INT(r->state, HTTP_ERROR);
		CHECK(r->err != NULL);
		free(r);
	}
}

TEST(http, huge_head_and_truncation)
{
	struct http_resp *r = malloc(sizeof(*r));
	char line[1000];
	ssize_t used;
	int failed = 0;

	http_resp_init(r);
	http_resp_feed(r, "HTTP/1.1 200 OK\r\n", 17);
	memset(line, 'a', sizeof(line));
	memcpy(line, "X-Pad: ", 7);
	line[998] = '\r';
	line[999] = '\n';
	for (int i = 0; i < 100 && !failed; i++)
		failed = http_resp_feed(r, line, sizeof(line)) < 0;
	CHECK(failed);
	CHECK_STR(r->err, "response head too large");
	free(r);

	r = feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", 5, &used);
	CHECK_INT(http_resp_eof(r), -1);
	CHECK_STR(r->err, "response cut short");
	free(r);
}

TEST(http, request_parse)
{
	struct http_req q;
	const char *err;
	const char *req = "GET /bytes/1048576 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

	CHECK_INT(http_head_end(req, strlen(req)), strlen(req));
	CHECK_INT(http_head_end(req, strlen(req) - 1), 0);
	REQUIRE(!http_req_parse(&q, req, strlen(req), &err));
	CHECK_INT(q.bytes, 1048576);
	CHECK(!q.keep_alive);
	CHECK(!http_req_parse(&q, "GET /index.html HTTP/1.1\r\n\r\n", 28, &err));
	CHECK(q.bytes == UINT64_MAX);
	CHECK(http_req_parse(&q, "POST / HTTP/1.1\r\n\r\n", 19, &err));
	CHECK(http_req_parse(&q, "GET /\r\n\r\n", 9, &err));
}
