#ifndef WORKLOADS_HTTP_H
#define WORKLOADS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A streaming HTTP/1.x response parser for the chunk client: it is fed
 * bytes as they arrive, in pieces of any size, counts body bytes without
 * keeping them, and knows where one response ends so a kept-alive
 * connection can carry the next. Handles Content-Length, chunked
 * transfer coding, bodies delimited by close, and 1xx interim responses.
 */
#define HTTP_LINE_MAX 4096	/* longest status or header line */
#define HTTP_HEAD_MAX 65536	/* most bytes of status line plus headers */

enum http_state {
	HTTP_STATUS, HTTP_HEADERS, HTTP_BODY, HTTP_BODY_EOF,
	HTTP_CHUNK_SIZE, HTTP_CHUNK_DATA, HTTP_CHUNK_END, HTTP_TRAILERS,
	HTTP_DONE, HTTP_ERROR
};

struct http_resp {
	enum http_state state;
	int status;		/* 200 */
	int minor;		/* HTTP/1.<minor> */
	int keep_alive;		/* the connection may carry another request */
	int chunked;		/* Transfer-Encoding: chunked */
	int64_t content_length;	/* -1 when absent */
	uint64_t body_bytes;	/* body bytes seen so far (decoded) */
	uint64_t remaining;	/* left in the body or the current chunk */
	size_t head_bytes;	/* status line and header bytes seen */
	const char *err;	/* why the state is HTTP_ERROR */
	size_t line_len;
	char line[HTTP_LINE_MAX];
};

void http_resp_init(struct http_resp *r);
/*
 * Feed len bytes. Returns how many were consumed: all of them, or fewer
 * once the response is complete (state HTTP_DONE; the rest belongs to
 * the next response). Returns -1 on a malformed response (r->err says
 * why; state HTTP_ERROR).
 */
ssize_t http_resp_feed(struct http_resp *r, const char *buf, size_t len);
/*
 * The peer closed. Returns 0 when that completes the response (a body
 * delimited by close) or it was already done, -1 when it was cut short.
 */
int http_resp_eof(struct http_resp *r);

/*
 * A request head as the perflab server understands it: "GET /bytes/N"
 * asks for N bytes. Parses a complete head (up to and including the
 * empty line). Returns 0 and fills the fields, or -1 with *err set.
 */
struct http_req {
	int minor;		/* HTTP/1.<minor> */
	int keep_alive;
	int head;		/* HEAD rather than GET */
	uint64_t bytes;		/* from the /bytes/N path, or UINT64_MAX if another path */
};
int http_req_parse(struct http_req *out, const char *buf, size_t len, const char **err);
/* Where the head ends (index after "\r\n\r\n" or "\n\n"), or 0 if incomplete. */
size_t http_head_end(const char *buf, size_t len);

#endif
