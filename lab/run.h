#ifndef LAB_RUN_H
#define LAB_RUN_H

#include "common/opt.h"
#include "common/util.h"
#include "workloads/load.h"

struct json_t;
struct hostlist;
struct deploy_opts;
struct build_result;

/*
 * One measured run: the workload's server and client, collectors on the
 * host, all started at one aligned moment; the results directory is
 * written under a temporary name and renamed into place when complete.
 */
struct run_opts {
	long repeat;		/* runs in a row, each its own directory */
	char *results;		/* directory holding run directories */
	char *collectors;	/* "cpu,freq,net,pmc", "all" or "none"; may add "tcptrace" */
	char *checks;		/* the TCP checks' thresholds, "key=value;..." ([checks]) */
	char *label;		/* free text kept in run.json (a kernel name...) */
	long server_threads;	/* 0 = online CPUs */
	double max_error_ratio;	/* errors / attempts past which the run failed */
	int failed_runs;	/* enum failed_runs: what a bisection makes of them */
	double lease_wait;	/* seconds to wait for hosts another job holds, <0 = forever */
	char **notify;		/* a job's hook: run with the verdict JSON on stdin, or NULL */
};

/*
 * A run whose service under test failed (summary_workload_failed): in a
 * bisection its commit is a skip, or bad where the job says a crash is a
 * regression.
 */
enum failed_runs { FAILED_SKIP, FAILED_BAD };

extern const struct opt run_table[];

/* What a run is asked to do. */
struct run_request {
	const struct run_opts *run;
	const struct load_client_opts *workload;
	const struct hostlist *hosts;	/* NULL: this machine alone */
	const struct deploy_opts *deploy; /* how to put an image on the DUT */
	const struct build_result *build; /* the build that made the image, or NULL */
	const char *image;		/* a built image to deploy first, or NULL */
	const char *commit;		/* what the image was built from, or NULL */
	char *const *argv;		/* the command line, kept in run.json */
	const char *kind;		/* "run" (NULL), "nightly", "bisect", "calibrate" */
	const char *series;		/* groups runs of one night, one bisection ... */
	const char *side;		/* within a series: "A", "B", a commit ... */
};

/* How a run ended: also its exit code, in git bisect run's convention. */
enum run_status {
	RUN_COMPLETE = EXIT_OK,		/* measured */
	RUN_FAILED = EXIT_FAIL,		/* something went wrong while measuring */
	RUN_SKIPPED = EXIT_SKIP,	/* this image cannot be measured (install, boot) */
	RUN_ABORTED = EXIT_FATAL	/* the lab is broken: a human is needed */
};

/*
 * Measure once: deploy the image when there is one, then the DUT
 * serves, the clients drive, collectors run on every host; results go
 * to RESULTS/<run-id>/ (remote hosts' files under hosts/<name>/). On
 * return *dir_out is the run's directory (the caller frees it).
 */
enum run_status run_measure(const struct run_request *rq, char **dir_out);

#endif
