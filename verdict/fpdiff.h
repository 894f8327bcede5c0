#ifndef VERDICT_FPDIFF_H
#define VERDICT_FPDIFF_H

#include <stddef.h>

struct json_t;
struct strbuf;

/*
 * What changed between two host fingerprints, most suspicious first:
 * the frequency driver and governor on top (a changed frequency driver
 * once passed for a CPU regression of a whole merge), the host's
 * devices last. The ranks live in one table in fpdiff.c.
 */
struct fp_change {
	int rank;		/* row of the rank table: lower is more suspicious */
	const char *what;	/* that row's name: "frequency driver" */
	char *path;		/* the member, keys joined by dots: "cpufreq.driver" */
	struct json_t *a, *b;	/* the values; NULL where a side has no such member */
	struct json_t *added;	/* lists of names (modules): what b has and a lacks */
	struct json_t *removed;	/* ... and what a has and b lacks; both NULL otherwise */
};

struct fp_diff {
	struct fp_change *v;	/* in rank order, then by path */
	size_t nr, alloc;
};
#define FP_DIFF_INIT { NULL, 0, 0 }

/*
 * Compare two fingerprints (checked with fingerprint_check). A member
 * missing on one side equals null on the other: an older perflab that
 * did not record something knew as little as a host that could not
 * read it.
 */
void fp_diff_compute(struct fp_diff *out, const struct json_t *a, const struct json_t *b);
void fp_diff_release(struct fp_diff *d);

/* The rank of a member ("cpufreq", "driver"); *what gets its name. */
int fp_diff_rank(const char *section, const char *rest, const char **what);

/*
 * The loud line for a changed frequency driver, or NULL when it did not
 * change. The caller frees it.
 */
char *fp_diff_alert(const struct fp_diff *d);

/* The changes for humans: the alert, then one aligned line per change. */
void fp_diff_format(struct strbuf *out, const struct fp_diff *d);
/* The same as JSON: { "alerts": [...], "changes": [...] }, same order. */
struct json_t *fp_diff_json(const struct fp_diff *d);

/* A value as the diff and `perflab fingerprint` print it ("-" for null). */
void fp_format_value(struct strbuf *out, const struct json_t *v);

#endif
