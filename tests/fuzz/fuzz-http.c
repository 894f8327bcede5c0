/*
 * libFuzzer target: the chunk client's HTTP response parser and the
 * server's request parser. The first byte picks the piece size the
 * response is fed in, so splits land everywhere.
 */
#include "workloads/http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_response(const char *buf, size_t len, size_t piece)
{
	struct http_resp *r = malloc(sizeof(*r));
	size_t used = 0;

	http_resp_init(r);
	while (used < len) {
		size_t n = len - used < piece ? len - used : piece;
		ssize_t k = http_resp_feed(r, buf + used, n);

		if (k < 0) {
			if (r->state != HTTP_ERROR || !r->err)
				abort();
			break;
		}
		if ((size_t)k > n || (r->state != HTTP_DONE && (size_t)k != n))
			abort();
		used += (size_t)k;
		if (r->state == HTTP_DONE) {
			if (!r->keep_alive)
				break;
			http_resp_init(r);	/* the next response on the connection */
		}
	}
	if (r->body_bytes > len)
		abort();
	http_resp_eof(r);
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req q;
	const char *err;
	size_t piece;

	if (size < 1)
		return 0;
	piece = (size_t)data[0] % 64 + 1;
	check_response((const char *)data + 1, size - 1, piece);
	if (http_head_end((const char *)data + 1, size - 1))
		http_req_parse(&q, (const char *)data + 1, size - 1, &err);
	return 0;
}
