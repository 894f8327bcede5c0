#ifndef VERDICT_COMPARE_H
#define VERDICT_COMPARE_H

#include <stddef.h>

#include "common/stats.h"
#include "store/metric.h"
#include "verdict/fpdiff.h"

struct json_t;
struct strbuf;

/*
 * Comparing two sets of runs: every metric of both sides, the gated ones
 * judged (BAD, GOOD, INCONCLUSIVE) with the statistics of common/stats.h,
 * what moved with them, and what changed in the hosts' fingerprints.
 * compare, nightly and bisect use it; it prints nothing but errors.
 */

/* The complete runs of one side: a run directory, or a directory of them. */
struct run_set {
	char *path;		/* as given */
	char **dirs;		/* the runs, oldest first */
	struct json_t **sums;	/* their summary.json */
	struct json_t **fps;	/* their fingerprint.json, or NULL */
	size_t n;
	char *name;		/* for humans: label or commit, else the path */
};

/*
 * Load a side. Runs that failed, were skipped or are incomplete are left
 * out (and counted in a note); none at all is an error naming path.
 */
int run_set_load(struct run_set *out, const char *path);
/* A set from run directories already known (nightly, bisect). */
int run_set_from_dirs(struct run_set *out, const char *name, char *const *dirs, size_t n);
void run_set_release(struct run_set *s);
/* The values of a summary key over the runs, NaN where absent; caller frees. */
double *run_set_values(const struct run_set *s, const char *key);

struct metric_cmp {
	const struct metric_def *m;
	struct stats_summary a, b;	/* the sides */
	double ratio, lo, hi;		/* B/A and its 95% interval (NaN: no ratio) */
	double p;			/* two-sided Mann-Whitney p (NaN: not tested) */
	int gated;
	struct stats_verdict v;		/* when gated */
};

struct comparison {
	struct metric_cmp *v;
	size_t n;
	enum stats_outcome outcome;	/* BAD if any gate is, GOOD if all are */
	size_t *movers;			/* diagnostic metrics that moved, most first */
	size_t nmovers;
	struct fp_diff fp;		/* first run of A against first of B */
	int have_fp;
	char *summary;			/* one paragraph in plain words */
};

/*
 * Compare: every metric; gates judged at one-sided alpha (Holm across
 * the gates). Returns 0, or -1 when a side has no runs.
 */
int compare_sets(struct comparison *out, const struct run_set *a, const struct run_set *b,
		 const struct gate *gates, size_t ngates, double alpha);
void comparison_release(struct comparison *c);

/* The table, movers and fingerprint changes for a terminal. */
void comparison_format(struct strbuf *out, const struct comparison *c,
		       const struct run_set *a, const struct run_set *b);
struct json_t *comparison_json(const struct comparison *c, const struct run_set *a,
			       const struct run_set *b);

#endif
