#ifndef LAB_JOBSETUP_H
#define LAB_JOBSETUP_H

#include "verdict/compare.h"
#include "lab/deploy.h"
#include "lab/hosts.h"
#include "lab/job.h"
#include "lab/lease.h"
#include "lab/run.h"
#include "lab/session.h"

/*
 * Everything a job file sets for the commands that measure many times
 * (calibrate, nightly, bisect): its [workload], [run], [deploy],
 * [thresholds] and [source], the lab's hosts, with the defaults perflab
 * run uses. Flags parsed afterwards into run/workload override it.
 */
#define JOB_MAX_GATES 32

struct job_setup {
	char *name;			/* the job file's name without extension */
	struct run_opts run;
	struct load_client_opts workload;
	struct deploy_opts deploy;
	struct job job;
	struct gate gates[JOB_MAX_GATES];
	size_t ngates;			/* the job's, else the defaults */
	struct hostlist hosts;
	int have_hosts;
};

/* Load job_path (and hosts_path, may be NULL). Release even on failure. */
int job_setup_load(struct job_setup *out, const char *job_path, const char *hosts_path);
void job_setup_release(struct job_setup *s);
/*
 * Take the lab's hosts for this command (lab/lease.h), waiting as the
 * job's [run] lease-wait says; what describes the holder ("nightly").
 * 0, or an exit code after a message (128: the lab is busy).
 */
int job_setup_lease(struct job_setup *js, struct lease_set *out, const char *what);
/* A session over the job's lab. */
void job_setup_session(struct session *out, struct job_setup *js, const char *kind,
		       const char *series, char *const *argv);
/* Apply a job file's [workload], [run] and [deploy] onto defaults. */
int job_apply(const char *path, struct run_opts *r, struct load_client_opts *w,
	      struct deploy_opts *d);

#endif
