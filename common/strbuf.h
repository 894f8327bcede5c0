#ifndef COMMON_STRBUF_H
#define COMMON_STRBUF_H

#include <stddef.h>
#include <stdarg.h>

/*
 * A growable NUL-terminated string, in the manner of git's strbuf.
 * `buf` is never NULL after strbuf_init(): it points at a shared empty
 * string until the first append.
 */
struct strbuf {
	size_t len;	/* bytes used, not counting the NUL */
	size_t alloc;	/* bytes allocated; 0 means buf is the shared "" */
	char *buf;
};

extern char strbuf_empty[];
#define STRBUF_INIT { 0, 0, strbuf_empty }

void strbuf_init(struct strbuf *sb);
/* Free the storage and reset to the empty state. */
void strbuf_release(struct strbuf *sb);
/* Detach the buffer: the caller now owns it and frees it with free(3). */
char *strbuf_detach(struct strbuf *sb, size_t *len_out);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_reset(struct strbuf *sb);
void strbuf_setlen(struct strbuf *sb, size_t len);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Remove trailing whitespace. */
void strbuf_rtrim(struct strbuf *sb);

#endif
