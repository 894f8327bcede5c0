#ifndef REPORTS_REPORT_H
#define REPORTS_REPORT_H

#include <stddef.h>

struct json_t;
struct strbuf;

/*
 * Reports: one self-contained HTML page (plots inline as SVG, styles
 * inline, no scripts, nothing fetched from a network) or the same
 * content as text for a terminal, for a run, a comparison of two sets
 * of runs, a bisection, or a job's nights. Every piece of data is
 * escaped into the page (commit subjects may hold <, & and quotes).
 */

/*
 * The result of a bisection, BISECTDIR/result.json, written by
 * `perflab bisect run` beside BISECTDIR/trace.json (see reports/plot.h):
 *
 *   {
 *     "status": "culprit",       culprit, range, not reproduced or
 *                                inconclusive (required)
 *     "culprit": { "commit": "<full id>", "subject": "..." },   or null
 *     "range": ["<good id>", "<bad id>"],   the culprit lies in this
 *                                range (skipped commits), or null
 *     "skipped": ["<id>", ...],  commits that could not be measured
 *     "verdict": { "metric": "cpu_per_gbit", "ratio": 1.23, "lo": 1.18,
 *                  "hi": 1.29, "p": 0.0004 },   bad against good, or null
 *     "good": "<id>", "bad": "<id>",   where the bisection started (required)
 *     "job": "jobs/net.job",     the job file (optional)
 *     "steps": [ { "round": 1, "commit": "<id>", "verdict": "bad",
 *                  "runs": ["runs/<run-id>", ...] } ],
 *                                in order; runs are relative to BISECTDIR
 *     "commands": ["perflab bisect start ...", ...],   to reproduce
 *     "compare_good": "runs/good", "compare_bad": "runs/bad"
 *                                run sets (relative to BISECTDIR) of the
 *                                final comparison, or null
 *   }
 *
 * Commit ids are 4 to 64 hex digits; verdicts are good, bad, skip or
 * inconclusive; relative paths may not be absolute nor contain "..".
 * Unknown members are errors.
 */
struct bisect_step {
	long round;		/* 1, 2, ... */
	char *commit;
	char *verdict;		/* good, bad, skip, inconclusive */
	char **runs;		/* relative to BISECTDIR */
	size_t nr_runs;
};

struct bisect_result {
	char *status;		/* culprit, range, not reproduced, inconclusive */
	char *culprit;		/* full id, or NULL */
	char *culprit_subject;	/* "" when unknown */
	char *range[2];		/* good and bad end, or NULL */
	char **skipped;
	size_t nr_skipped;
	char *metric;		/* of the verdict, or NULL when there is none */
	double ratio, lo, hi, p;	/* NaN when unknown */
	char *good, *bad;
	char *job;		/* or NULL */
	struct bisect_step *steps;
	size_t nr_steps;
	char **commands;
	size_t nr_commands;
	char *compare_good, *compare_bad;	/* or NULL */
};

/*
 * Parse result.json; name (the file) is used in messages, which name
 * the member and the bad value. 0 or PERFLAB_EINVAL; release either way.
 */
int bisect_result_parse(struct bisect_result *out, const struct json_t *doc, const char *name);
int bisect_result_load(struct bisect_result *out, const char *path);
void bisect_result_release(struct bisect_result *r);

enum report_format {
	REPORT_HTML,
	REPORT_TEXT
};

struct report_opts {
	enum report_format format;
	const char *html_path;	/* where the page goes: links are made relative to it */
	const char *plots_dir;	/* where the plots' files go */
	const char *metric;	/* nightly: the metric plotted over nights */
};

/*
 * Build a report into out. A plot gnuplot cannot draw becomes a note
 * in the report, not a failure; unreadable inputs are errors (-1).
 */
int report_run(struct strbuf *out, const char *run_dir, const struct report_opts *o);
int report_compare(struct strbuf *out, const char *a, const char *b,
		   const struct report_opts *o);
int report_bisect(struct strbuf *out, const char *bisect_dir, const struct report_opts *o);
int report_nightly(struct strbuf *out, const char *results, const char *job,
		   const struct report_opts *o);

/* s escaped for HTML text and attribute values. */
void html_escape(struct strbuf *out, const char *s);

#endif
