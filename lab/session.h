#ifndef LAB_SESSION_H
#define LAB_SESSION_H

#include "common/sha256.h"
#include "lab/run.h"

struct job;

/*
 * A measuring session: one lab, one job, many runs of one or several
 * revisions -- what calibrate, nightly and bisection do. It builds (or
 * finds in the cache), deploys only when the DUT holds another image
 * (or when a new boot is asked for), and runs; every run lands in the
 * results directory tagged with the session's kind and series.
 */
struct session {
	const struct run_opts *run;
	const struct load_client_opts *workload;
	const struct hostlist *hosts;	/* NULL: this machine as it is */
	const struct deploy_opts *deploy;
	const struct job *job;		/* with a [source] to build from, or NULL */
	const char *kind;		/* "calibrate", "nightly", "bisect" */
	const char *series;		/* groups the session's runs */
	char *const *argv;		/* the command line, kept in run.json */
	char deployed[SHA256_HEX];	/* the image on the DUT now, "" = unknown */
	unsigned runs, builds, deploys;	/* what it cost so far */
};

/*
 * Measure rev (NULL: the hosts as they are) once. With reboot set the
 * image is deployed again even if it is already there (a new boot, for
 * calibration). *dir_out gets the run directory (the caller frees it;
 * NULL when nothing ran). Returns the run's status: a build that failed
 * is RUN_SKIPPED, an unknown revision RUN_ABORTED.
 */
enum run_status session_measure(struct session *s, const char *rev, const char *side,
				int reboot, char **dir_out);

#endif
