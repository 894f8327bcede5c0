#ifndef COLLECTORS_TCPTP_H
#define COLLECTORS_TCPTP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Tracepoints as tracefs describes them: an event's id (events/SYS/NAME/id)
 * and the layout of its raw record (events/SYS/NAME/format). Offsets are
 * always read from the format file, never assumed: they move between
 * kernel versions (tcp_probe gained sock_cookie, tcp_send_reset a reason).
 */
struct tp_field {
	char name[32];		/* "snd_cwnd" */
	uint16_t offset;	/* bytes from the start of the raw record */
	uint16_t size;		/* bytes */
	uint8_t is_signed;
	uint8_t is_array;	/* declared NAME[N] */
};

struct tp_format {
	char name[64];		/* "tcp_probe" */
	uint32_t id;		/* the tracepoint's id (config of PERF_TYPE_TRACEPOINT) */
	struct tp_field *f;
	size_t nr, alloc;
	char *print_fmt;	/* the "print fmt:" line, owned; NULL if none */
};

/*
 * Parse a format file's text. Fields of any type are kept; a line that is
 * not a field is ignored; a field line that does not parse is an error
 * naming origin and line. Returns 0 or -1; out is initialized here.
 */
int tp_format_parse(struct tp_format *out, const char *text, const char *origin);
void tp_format_release(struct tp_format *f);
const struct tp_field *tp_format_field(const struct tp_format *fmt, const char *name);

/*
 * The names the print format gives field's values with __print_symbolic
 * (tcp_send_reset's reason: { 0, "NOT_SPECIFIED" }, { 1, "NO_SOCKET" }...,
 * numbered differently from one kernel to the next): names[v] for v <
 * max, NULL where none. The strings are the caller's (free each). Returns
 * how many were found.
 */
int tp_format_symbols(const struct tp_format *fmt, const char *field, char **names, size_t max);

/*
 * An unsigned (zero-extended) or signed (sign-extended) integer field of a
 * raw record of len bytes; 0, or -1 when f is NULL, not 1/2/4/8 bytes
 * wide or past the end.
 */
int tp_get_u64(const struct tp_field *f, const unsigned char *raw, size_t len, uint64_t *out);
int tp_get_i64(const struct tp_field *f, const unsigned char *raw, size_t len, int64_t *out);
/* The bytes of a field (arrays); NULL when past the end. */
const unsigned char *tp_get_bytes(const struct tp_field *f, const unsigned char *raw, size_t len);

/*
 * The tracefs mount: /sys/kernel/tracing or /sys/kernel/debug/tracing,
 * mounting tracefs at the first when neither is there (root only; inside
 * `ip netns exec` the mount stays in its private mount namespace). Returns
 * a static path, or NULL with *why set to a static reason.
 */
const char *tp_tracefs(const char **why);

/*
 * Load SYS/NAME's id and format from tracefs into out. Returns 0, or
 * PERFLAB_ENOTFOUND when the event does not exist here, or -1.
 */
int tp_format_load(struct tp_format *out, const char *tracefs, const char *sys,
		   const char *name);

#endif
