#ifndef STORE_RUNDIR_H
#define STORE_RUNDIR_H

#include "store/history.h"

struct json_t;
struct metric_def;

/*
 * The one reader of a run directory (RESULTS/<run-id>/): run.json,
 * summary.json (complete runs), fingerprint.json and tags.json, each
 * checked strictly (history-read.c's rules: types, known kinds, sizes).
 * Damaged files are reported with error() naming the file and the run
 * is not read. compare, calibrate, nightly, bisect, history and the
 * reports all read runs through it.
 */
struct run_dir {
	char *path;			/* the directory, as given */
	struct history_run meta;	/* run.json and tags.json; metrics of a complete run */
	struct json_t *run;		/* run.json */
	struct json_t *summary;		/* summary.json of a complete run, else NULL */
	struct json_t *fingerprint;	/* fingerprint.json, or NULL (missing or damaged) */
};

/*
 * Make RESULTS/.tmp-<id> for a new run, exclusively: id is <UTC
 * stamp>-<name>-<4 hex digits>, drawn again while .tmp-<id> or <id>
 * exists, so two runs in one second never share a directory. RESULTS
 * is made when missing. *id_out and *tmp_out are the caller's. -1 after
 * error() when results is not a directory or cannot be written.
 */
int run_dir_create(const char *results, const char *name, char **id_out, char **tmp_out);
/* For tests: the first draw of the id's digits (NULL: /dev/urandom, as the others). */
extern unsigned (*run_dir_random)(void);

/*
 * Read the run in path. 0, PERFLAB_ENOTFOUND when there is no run.json
 * (quietly: not a run directory), or -1 after error() naming the
 * damaged file. Release with run_dir_release() either way.
 */
int run_dir_read(struct run_dir *out, const char *path);
void run_dir_release(struct run_dir *r);
/* Was the run measured (status complete, with a summary)? */
int run_dir_complete(const struct run_dir *r);
/* A metric of a complete run; NaN when not measured or not complete. */
double run_dir_value(const struct run_dir *r, const struct metric_def *m);

/*
 * For series of runs (bisect, knobs, calibrate): the metric of the run
 * in path, NaN when the run is damaged (reported), not complete, or the
 * value is not a finite positive number (the statistics compare ratios).
 */
double run_dir_metric(const char *path, const struct metric_def *m);

#endif
