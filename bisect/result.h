#ifndef BISECT_RESULT_H
#define BISECT_RESULT_H

#include <stddef.h>

struct json_t;

/*
 * The files a finished automatic bisection leaves in BISECTDIR for
 * reports and plots: result.json (the answer and its steps) and
 * trace.json (every measured commit in order, its verdict and values).
 * This module writes both (bisect_write_files) and reads them back
 * strictly (bisect_result_load, trace_load).
 */

/*
 * The result of a bisection, BISECTDIR/result.json, written by
 * `perflab bisect run` beside BISECTDIR/trace.json (below):
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
 *     "hunt": "regression",      or "improvement": the commit that made it
 *                                better (optional; regression when absent)
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
	int improvement;	/* "hunt": "improvement" (the culprit made it better) */
};

/*
 * Parse result.json; name (the file) is used in messages, which name
 * the member and the bad value. 0 or PERFLAB_EINVAL; release either way.
 */
int bisect_result_parse(struct bisect_result *out, const struct json_t *doc, const char *name);
int bisect_result_load(struct bisect_result *out, const char *path);
void bisect_result_release(struct bisect_result *r);

/*
 * A bisection trace, the input of `perflab plot trace FILE`, written by
 * `perflab bisect run` as BISECTDIR/trace.json:
 *
 *   {
 *     "metric": "cpu_per_gbit",        the gated metric's name (required)
 *     "unit": "%",                     unit of the values (optional)
 *     "label": "CPU per Gbit/s",       axis label (optional; default metric)
 *     "points": [                      commits in order, oldest first (required)
 *       { "order": 0,                  position in commit order, an integer >= 0
 *         "commit": "<full id>",       hex, 4 to 64 characters (required)
 *         "subject": "...",            the commit's subject (optional)
 *         "verdict": "good",           good, bad, skip or inconclusive (required)
 *         "values": [41.2, 40.9] }     the metric per run, in the unit; null for
 *     ],                               a run that did not measure it (optional)
 *     "culprit": "<id>"                the first bad commit, or null (optional)
 *   }
 *
 * Unknown keys are errors (a typo would otherwise pass silently).
 */
enum trace_verdict {
	TRACE_GOOD,
	TRACE_BAD,
	TRACE_SKIP,
	TRACE_INCONCLUSIVE,
	TRACE_NR_VERDICTS
};

struct trace_point {
	long order;		/* position in commit order */
	char *commit;		/* full id */
	char *subject;		/* "" when unknown */
	enum trace_verdict verdict;
	double *values;		/* per run, in the trace's unit; NaN: not measured */
	size_t nr_values;
};

struct trace {
	char *metric;		/* "cpu_per_gbit" */
	char *unit;		/* "" when none */
	char *label;		/* axis label */
	struct trace_point *v;	/* sorted by order */
	size_t n;
	char *culprit;		/* a commit of v, or NULL */
};

extern const char *const trace_verdict_names[TRACE_NR_VERDICTS];

/*
 * Parse a trace document; name (the file) is used in messages, which
 * name the member and the bad value. Returns 0 or PERFLAB_EINVAL; *out
 * is released either way by trace_release().
 */
int trace_parse(struct trace *out, const struct json_t *doc, const char *name);
/* Load and parse a trace file. */
int trace_load(struct trace *out, const char *path);
void trace_release(struct trace *t);

struct bisect;
struct engine_result;
struct metric_def;

/* What bisect_write_files needs besides the bisection itself. */
struct bisect_files {
	const struct bisect *b;		/* its directory, revisions and journal */
	const struct metric_def *m;	/* the metric bisected */
	double threshold;		/* its gate, signed towards bad (towards better: improvement) */
	int improvement;		/* the hunt is for the commit that made it better */
	const char *job;		/* the job file, as given */
	const char *hosts;		/* the hosts file, or NULL */
};

/*
 * Write BISECTDIR/trace.json and result.json from the journal and the
 * engine's result. The runs the journal names are linked under
 * BISECTDIR/runs/ (runs/good and runs/bad: the final comparison's
 * sides), so the directory holds all it names. 0 or -1 (reported).
 */
int bisect_write_files(const struct bisect_files *f, const struct engine_result *res);

#endif
