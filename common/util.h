#ifndef COMMON_UTIL_H
#define COMMON_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/*
 * Exit codes of every perflab command, fixed and documented in
 * `perflab help`: as git's die()/usage() and libgit2's CLI, and, for
 * the commands that judge (compare, nightly, bisect run), as git bisect
 * run reads them.
 */
enum perflab_exit {
	EXIT_OK = 0,		/* success; judged good; a culprit named */
	EXIT_FAIL = 1,		/* the command ran and failed; judged bad */
	EXIT_INCONCLUSIVE = 2,	/* the statistics could not decide */
	EXIT_SKIP = 125,	/* cannot be judged: does not build or boot (git's skip) */
	EXIT_FATAL = 128,	/* could not run at all (die); the lab is broken */
	EXIT_USAGE = 129	/* bad command line or configuration */
};

/*
 * Named error codes for failures a caller is expected to handle.
 * Functions return 0 (or a count) on success and a negative code on
 * failure; -1 is a generic failure already reported with error().
 */
enum perflab_error {
	PERFLAB_EGENERIC = -1,	/* reported already */
	PERFLAB_ENOTFOUND = -2,	/* the thing asked for does not exist */
	PERFLAB_EINVAL = -3,	/* bad input, reported with file:line */
	PERFLAB_ENOPMU = -4,	/* the kernel exposes no hardware PMU */
	PERFLAB_ETIMEOUT = -5,	/* a deadline passed */
	PERFLAB_EEXISTS = -6	/* refusing to overwrite */
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED __attribute__((unused))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))

/*
 * Messages: lowercase, no trailing period, subject in single quotes.
 * error() prints "error: ..." and returns -1 so callers can write
 * `return error("cannot open '%s'", path);`.
 */
int error(const char *fmt, ...) PRINTF(1, 2);
int error_errno(const char *fmt, ...) PRINTF(1, 2);
void warning(const char *fmt, ...) PRINTF(1, 2);
void warning_errno(const char *fmt, ...) PRINTF(1, 2);
void note(const char *fmt, ...) PRINTF(1, 2);
/* die() is for the driver only: prints "fatal: ..." and exits 128. */
NORETURN void die(const char *fmt, ...) PRINTF(1, 2);
NORETURN void die_errno(const char *fmt, ...) PRINTF(1, 2);

/*
 * When set, messages go to this hook instead of standard error (tests
 * capture them to check what a user would read).
 */
extern void (*report_hook)(const char *prefix, const char *msg);

/* The program name used as a prefix in messages ("perflab"). */
extern const char *progname;
/* Verbosity: 0 quiet, 1 normal (default), 2 verbose. */
extern int verbosity;

/* Allocation that dies on exhaustion; the caller owns the result. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grow *p (of *alloc elements of size sz) to hold at least nr elements. */
#define ALLOC_GROW(p, nr, alloc) \
	do { \
		if ((size_t)(nr) > (size_t)(alloc)) { \
			(alloc) = (nr) > (alloc) * 2 ? (nr) : (alloc) * 2; \
			if ((alloc) < 8) (alloc) = 8; \
			(p) = xrealloc((p), (alloc) * sizeof(*(p))); \
		} \
	} while (0)

/* xasprintf: formatted string the caller frees. */
char *xasprintf(const char *fmt, ...) PRINTF(1, 2);

/* Write all of buf to fd, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);
/*
 * Read a whole file (at most max bytes; 0 = no limit) into a
 * NUL-terminated buffer the caller frees. Returns NULL with errno set.
 */
char *read_file(const char *path, size_t max, size_t *len_out);

/* Set close-on-exec and non-blocking flags on fd. */
int set_nonblock(int fd);
int set_cloexec(int fd);

/* Does the process run with root privileges (euid 0)? */
int is_root(void);

#endif
