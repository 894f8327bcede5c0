#ifndef STORE_HISTORY_H
#define STORE_HISTORY_H

#include <stddef.h>

struct json_t;

/*
 * The run history: one SQLite database per results directory,
 * RESULTS/.history.sqlite, indexing the run directories beside it. The
 * run directories are the truth; the index can always be rebuilt from
 * them (history_rebuild), except the nightly table, which records
 * decisions rather than measurements.
 *
 * This module owns every SQLite handle of perflab. The database is in
 * WAL mode with a busy timeout, and every write is one IMMEDIATE
 * transaction, so several perflab processes (two runs into one results
 * directory, a rebuild) can write at once; readers never wait. SQL is
 * constant text: every value from a run (labels, metric names, host
 * names) is a bound parameter, never part of a statement.
 *
 * Tables (see the migration list in history.c for the exact schema):
 *   runs     one row per run directory: run_id (the key), dir (relative
 *            to RESULTS), status, job, label, commit, image, workload,
 *            DUT, fingerprint hash, start and end (UTC), version, kind
 *            and series
 *   metrics  (run_id, name, value): every number of a complete run's
 *            summary.json under a dotted name; value is never NULL: a
 *            metric that could not be measured is absent, never 0
 *   nightly  one row per nightly decision: job, date, commit, verdict,
 *            summary (JSON text), the range to bisect
 *   schema   the schema version; opening migrates an older database
 */
#define HISTORY_DB ".history.sqlite"
/* A run's kind and series, written beside run.json by history_tag_run(). */
#define HISTORY_TAGS "tags.json"
/* run.json and summary.json larger than this are damaged, not read. */
#define HISTORY_MAX_FILE (16u << 20)

/* Opaque: the connection, its prepared statements, the results path. */
struct history;

struct history_metric {
	char *name;		/* dotted: "latency_us.p99", "hosts.dut1.cpu_util_pct" */
	double value;		/* finite; in the unit its name says */
};

/*
 * One run as the index holds it. Strings are owned (NULL when run.json
 * has none); times are NaN when unknown.
 */
struct history_run {
	char *run_id;		/* run.json's run_id: the key */
	char *dir;		/* the run directory, relative to RESULTS */
	char *status;		/* complete, failed, skipped, aborted */
	char *failure;		/* why it did not complete */
	char *job;		/* the job file as given to perflab */
	char *job_name;		/* its base name without extension ("net" for jobs/net.job) */
	char *label;		/* --label */
	char *commit;		/* full commit id of the measured build */
	char *image_key;	/* the image cache key of the build */
	char *image;		/* the deployed image's path */
	char *workload;		/* bulk, crr, xfer, chunk */
	char *dut;		/* the DUT's host name */
	char *fingerprint;	/* sha256 hex of the DUT's canonical fingerprint */
	char *started_utc;	/* RFC 3339, as in run.json */
	char *finished_utc;
	double started_s;	/* the same in seconds since the epoch */
	double finished_s;
	char *perflab_version;
	char *kind;		/* run, nightly, bisect, calibrate */
	char *series;		/* a free tag grouping runs (a night, a bisection) */
	struct history_metric *metrics;	/* sorted by name; complete runs only */
	size_t nr_metrics, alloc_metrics;
};

/* The kinds a run can have; anything else is refused. */
extern const char *const history_kinds[];
int history_is_kind(const char *kind);
/* A job's name: its file's base name without extension ("net" for jobs/net.job). */
char *history_job_name(const char *path);

/*
 * Reading a run directory (no SQLite involved): RESULTS/name/run.json,
 * summary.json (complete runs), fingerprint.json and tags.json. Damaged
 * files (truncated, not JSON, wrong types, too large) are reported with
 * error() naming the file, and the run is not read: -1. A run that is
 * not complete is read without metrics. Release with
 * history_run_release() even on failure.
 */
int history_run_read(struct history_run *out, const char *results, const char *name);
/*
 * The same from parsed documents: run (run.json) and summary (NULL when
 * there is none); the names are used in messages.
 */
int history_run_parse(struct history_run *out, const struct json_t *run,
		      const char *run_name, const struct json_t *summary,
		      const char *summary_name);
void history_run_release(struct history_run *r);
/* tags.json's kind and series (history_tag_run) over what run.json says; path for messages. */
int history_run_apply_tags(struct history_run *r, const struct json_t *tags, const char *path);

/*
 * Open RESULTS/.history.sqlite, creating it or migrating it to this
 * perflab's schema. RESULTS must exist. A database written by a newer
 * perflab (a higher schema version) is refused. *out is NULL on failure.
 */
int history_open(struct history **out, const char *results);
/* Close; NULL is fine. */
void history_close(struct history *h);
/* The schema version of the open database. */
int history_schema_version(const struct history *h);
/* The results directory the database indexes. */
const char *history_results(const struct history *h);

/*
 * Add (or refresh) the run in run_dir, a directory of RESULTS: a run
 * added twice is indexed once, with what its files say now. Fails with
 * -1 (reported) on damaged files or a database error.
 */
int history_add_run(struct history *h, const char *run_dir);
/*
 * For the end of `perflab run`: add run_dir to its results directory's
 * index. Failures are warnings (the run itself is fine, and
 * `perflab history --rebuild` can index it later).
 */
void history_index_run(const char *results, const char *run_dir);

struct history_rebuild_stats {
	size_t indexed;		/* runs indexed (complete or not) */
	size_t incomplete;	/* of which not complete: no metrics */
	size_t damaged;		/* directories skipped for damaged files */
	size_t removed;		/* rows dropped: their directories are gone */
};

/*
 * Index every run directory of RESULTS again: every directory holding
 * a run.json, except .tmp-* and .incomplete-* (and anything hidden).
 * Rows whose directories are gone or damaged are removed; runs added
 * by other processes meanwhile are kept. Returns 0, PERFLAB_EINVAL when
 * some directories were damaged (named by error(), the rest indexed),
 * or -1. stats may be NULL.
 */
int history_rebuild(struct history *h, struct history_rebuild_stats *stats);

/*
 * Tag a run after the fact (nightly, bisect, calibrate group their
 * runs): kind (NULL keeps it) and series (NULL clears it). The tags are
 * also written to the run directory's tags.json, so a rebuild keeps
 * them. PERFLAB_ENOTFOUND for a run not in the index.
 */
int history_tag_run(struct history *h, const char *run_id, const char *kind,
		     const char *series);

/* Which runs a query selects; NULL fields select anything. */
struct history_filter {
	const char *job;	/* the job file, or its name: "net" matches jobs/net.job */
	const char *label;
	const char *commit;	/* a prefix of the full id */
	const char *series;
	const char *kind;
	const char *status;	/* "complete": measured runs only */
	long last;		/* the latest N only; 0 = all */
};

/*
 * The runs a filter selects, oldest first (by start time, then run
 * id), without their metrics. *out is an array the caller frees with
 * history_runs_free().
 */
int history_runs(struct history *h, const struct history_filter *f,
		 struct history_run **out, size_t *nr);
void history_runs_free(struct history_run *v, size_t nr);
/* Fill r->metrics from the index (r->run_id set). */
int history_run_metrics(struct history *h, struct history_run *r);
/*
 * values[i] = the metric of run_ids[i], NaN where the run does not have
 * it (unmeasured, or not a run in the index).
 */
int history_metric_values(struct history *h, const char *metric, char *const *run_ids,
			  size_t n, double *values);
/* Does any run have this metric? 1, 0, or -1 on error. */
int history_has_metric(struct history *h, const char *metric);
/*
 * Every metric name in the index with the number of runs having it,
 * sorted by name; the caller frees names[i], names and counts.
 */
int history_metric_names(struct history *h, char ***names, size_t **counts, size_t *nr);

/*
 * The nightly command's record of one night: what was measured and
 * what was decided. Strings are owned when returned by a query.
 */
struct history_night {
	char *job;		/* the job file, as given */
	char *job_name;		/* set by the query; computed when recording */
	char *date;		/* "YYYY-MM-DD", the night (UTC) */
	char *commit;		/* the full commit id measured */
	char *verdict;		/* GOOD, BAD, INCONCLUSIVE, SKIPPED, FAILED */
	char *series;		/* the runs of the night (runs.series), or NULL */
	char *summary;		/* JSON text (verdicts, change points), or NULL */
	char *range_good;	/* the last good commit: where a bisection starts */
	char *range_bad;	/* the first bad commit (this one when BAD) */
	char *recorded_utc;	/* when recorded (set by history_record_night) */
};

/* The verdicts a night can have; anything else is refused. */
extern const char *const history_verdicts[];

/*
 * Record a night; recording the same (job, date, commit) again
 * replaces it. job, date, commit and verdict are required, date must be
 * YYYY-MM-DD and summary valid JSON.
 */
int history_record_night(struct history *h, const struct history_night *n);
/*
 * The latest GOOD night of a job (by date, then by when it was
 * recorded) into *out; PERFLAB_ENOTFOUND when there is none.
 */
int history_last_good_night(struct history *h, const char *job, struct history_night *out);
/* A job's nights, oldest first; the latest N only when last > 0. */
int history_nights(struct history *h, const char *job, long last,
		   struct history_night **out, size_t *nr);
/* The names of the jobs with nights, sorted; *names NULL-terminated (argv_free). */
int history_night_jobs(struct history *h, char ***names, size_t *nr);
void history_night_release(struct history_night *n);
void history_nights_free(struct history_night *v, size_t nr);

/* PRAGMA integrity_check and foreign_key_check: 0 when both are clean. */
int history_check(struct history *h);

/*
 * For tests: open with a migration list of one's own, n entries, entry
 * i taking the schema from version i to i + 1. An older prefix of the
 * real list makes a database as an older perflab would have; a longer
 * list shows how a future migration applies.
 */
int history_open_with(struct history **out, const char *results,
		      const char *const *migrations, int n);
/* The real migration list and its length. */
extern const char *const history_migrations[];
extern const int history_nr_migrations;

#endif
