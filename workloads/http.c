#include "workloads/http.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

void http_resp_init(struct http_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->state = HTTP_STATUS;
	r->content_length = -1;
}

static ssize_t fail(struct http_resp *r, const char *why)
{
	r->state = HTTP_ERROR;
	r->err = why;
	return -1;
}

static int parse_status(struct http_resp *r, const char *s)
{
	if (strncmp(s, "HTTP/1.", 7) || !isdigit((unsigned char)s[7]) || s[8] != ' ')
		return -1;
	r->minor = s[7] - '0';
	if (!isdigit((unsigned char)s[9]) || !isdigit((unsigned char)s[10]) ||
	    !isdigit((unsigned char)s[11]) || (s[12] && s[12] != ' '))
		return -1;
	r->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (r->status < 100)
		return -1;
	r->keep_alive = r->minor >= 1;
	return 0;
}

/* Parse a decimal or hex number; -1 on anything else or overflow. */
static int parse_uint(const char *s, int base, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;

	for (; *s; s++, digits++) {
		int d;

		if (isdigit((unsigned char)*s))
			d = *s - '0';
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = tolower((unsigned char)*s) - 'a' + 10;
		else
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (!digits || digits > 18)
		return -1;
	*out = v;
	return (int)digits;
}

static int has_token(const char *value, const char *token)
{
	size_t n = strlen(token);

	for (const char *p = value; *p; ) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!strncasecmp(p, token, n) &&
		    (!p[n] || p[n] == ',' || p[n] == ' ' || p[n] == '\t'))
			return 1;
		while (*p && *p != ',')
			p++;
	}
	return 0;
}

static int parse_header(struct http_resp *r, char *line)
{
	char *colon = strchr(line, ':'), *v;
	uint64_t len;
	int n;

	if (!colon || colon == line)
		return -1;
	*colon = '\0';
	for (char *p = line; *p; p++)
		if (!isgraph((unsigned char)*p))
			return -1;
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (char *e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t'); )
		*--e = '\0';
	if (!strcasecmp(line, "Content-Length")) {
		n = parse_uint(v, 10, &len);
		if (n < 0 || v[n] || len > INT64_MAX)
			return -1;
		if (r->content_length >= 0 && (uint64_t)r->content_length != len)
			return -1;
		r->content_length = (int64_t)len;
	} else if (!strcasecmp(line, "Transfer-Encoding")) {
		r->chunked = has_token(v, "chunked");
	} else if (!strcasecmp(line, "Connection")) {
		if (has_token(v, "close"))
			r->keep_alive = 0;
		else if (has_token(v, "keep-alive"))
			r->keep_alive = 1;
	}
	return 0;
}

/* The head is complete: decide how the body is delimited. */
static void start_body(struct http_resp *r)
{
	if (r->status < 200) {	/* interim: another status line follows */
		int minor = r->minor;

		http_resp_init(r);
		r->minor = minor;
		return;
	}
	if (r->status == 204 || r->status == 304) {
		r->state = HTTP_DONE;
	} else if (r->chunked) {
		r->state = HTTP_CHUNK_SIZE;
	} else if (r->content_length >= 0) {
		r->remaining = (uint64_t)r->content_length;
		r->state = r->remaining ? HTTP_BODY : HTTP_DONE;
	} else {
		r->keep_alive = 0;
		r->state = HTTP_BODY_EOF;
	}
}

static int chunk_size_line(struct http_resp *r, const char *line)
{
	uint64_t len;
	int n = parse_uint(line, 16, &len);

	if (n < 0 || (line[n] && line[n] != ';' && line[n] != ' ' && line[n] != '\t'))
		return -1;
	r->remaining = len;
	r->state = len ? HTTP_CHUNK_DATA : HTTP_TRAILERS;
	return 0;
}

/* A complete line (without its line ending) in the current state. */
static int on_line(struct http_resp *r, char *line)
{
	switch (r->state) {
	case HTTP_STATUS:
		if (parse_status(r, line))
			return fail(r, "malformed status line"), -1;
		r->state = HTTP_HEADERS;
		return 0;
	case HTTP_HEADERS:
		if (!*line) {
			start_body(r);
			return 0;
		}
		if (parse_header(r, line))
			return fail(r, "malformed header line"), -1;
		return 0;
	case HTTP_CHUNK_SIZE:
		if (chunk_size_line(r, line))
			return fail(r, "malformed chunk size"), -1;
		return 0;
	case HTTP_CHUNK_END:
		if (*line)
			return fail(r, "missing CRLF after chunk data"), -1;
		r->state = HTTP_CHUNK_SIZE;
		return 0;
	case HTTP_TRAILERS:
		if (!*line)
			r->state = HTTP_DONE;
		return 0;
	default:
		return fail(r, "parser in a bad state"), -1;
	}
}

static int in_head(const struct http_resp *r)
{
	return r->state == HTTP_STATUS || r->state == HTTP_HEADERS;
}

/* Take bytes up to and including '\n'; returns bytes used or -1. */
static ssize_t feed_line(struct http_resp *r, const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);
	size_t take = nl ? (size_t)(nl - buf) + 1 : len;

	if (r->line_len + take > sizeof(r->line) - 1)
		return fail(r, "line too long");
	if (in_head(r) && (r->head_bytes += take) > HTTP_HEAD_MAX)
		return fail(r, "response head too large");
	memcpy(r->line + r->line_len, buf, take);
	r->line_len += take;
	if (!nl)
		return (ssize_t)take;
	r->line_len--;		/* the '\n' */
	if (r->line_len && r->line[r->line_len - 1] == '\r')
		r->line_len--;
	r->line[r->line_len] = '\0';
	if (memchr(r->line, '\0', r->line_len))
		return fail(r, "NUL byte in a line");
	r->line_len = 0;
	return on_line(r, r->line) ? -1 : (ssize_t)take;
}

ssize_t http_resp_feed(struct http_resp *r, const char *buf, size_t len)
{
	size_t used = 0;

	while (used < len && r->state != HTTP_DONE) {
		size_t take = len - used;
		ssize_t n;

		switch (r->state) {
		case HTTP_ERROR:
			return -1;
		case HTTP_BODY_EOF:
			r->body_bytes += take;
			return (ssize_t)len;
		case HTTP_BODY:
		case HTTP_CHUNK_DATA:
			if (take > r->remaining)
				take = (size_t)r->remaining;
			r->remaining -= take;
			r->body_bytes += take;
			used += take;
			if (!r->remaining)
				r->state = r->state == HTTP_BODY ? HTTP_DONE : HTTP_CHUNK_END;
			break;
		default:
			n = feed_line(r, buf + used, take);
			if (n < 0)
				return -1;
			used += (size_t)n;
			break;
		}
	}
	return (ssize_t)used;
}

int http_resp_eof(struct http_resp *r)
{
	if (r->state == HTTP_BODY_EOF) {
		r->state = HTTP_DONE;
		return 0;
	}
	if (r->state == HTTP_DONE)
		return 0;
	fail(r, r->state == HTTP_STATUS && !r->line_len && !r->head_bytes
	     ? "connection closed before a response" : "response cut short");
	return -1;
}

size_t http_head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static const char *req_line(struct http_req *q, const char *p, const char *end)
{
	const char *path, *sp;
	uint64_t n;
	int d;

	q->head = !strncmp(p, "HEAD ", 5);
	if (strncmp(p, "GET ", 4) && !q->head)
		return "only GET and HEAD are served";
	path = p + (q->head ? 5 : 4);
	sp = memchr(path, ' ', (size_t)(end - path));
	if (!sp || end - sp < 9 || strncmp(sp, " HTTP/1.", 8) ||
	    !isdigit((unsigned char)sp[8]))
		return "malformed request line";
	q->minor = sp[8] - '0';
	q->keep_alive = q->minor >= 1;
	q->bytes = UINT64_MAX;
	if (!strncmp(path, "/bytes/", 7)) {
		char num[24];
		size_t len = (size_t)(sp - path - 7);

		if (len == 0 || len >= sizeof(num))
			return NULL;
		memcpy(num, path + 7, len);
		num[len] = '\0';
		d = parse_uint(num, 10, &n);
		if (d > 0 && !num[d])
			q->bytes = n;
	}
	return NULL;
}

int http_req_parse(struct http_req *q, const char *buf, size_t len, const char **err)
{
	const char *end = buf + len, *p = buf, *eol;
	char line[HTTP_LINE_MAX];

	memset(q, 0, sizeof(*q));
	eol = memchr(p, '\n', len);
	if (!eol) {
		*err = "incomplete request";
		return -1;
	}
	if ((*err = req_line(q, p, eol)))
		return -1;
	for (p = eol + 1; p < end && (eol = memchr(p, '\n', (size_t)(end - p))); p = eol + 1) {
		size_t n = (size_t)(eol - p);

		if (n && p[n - 1] == '\r')
			n--;
		if (!n)
			break;
		if (n >= sizeof(line)) {
			*err = "header line too long";
			return -1;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		if (!strncasecmp(line, "Connection:", 11)) {
			if (has_token(line + 11, "close"))
				q->keep_alive = 0;
			else if (has_token(line + 11, "keep-alive"))
				q->keep_alive = 1;
		}
	}
	return 0;
}
