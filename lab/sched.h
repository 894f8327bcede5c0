#ifndef LAB_SCHED_H
#define LAB_SCHED_H

#include <stddef.h>
#include <sys/types.h>

#include "common/sha256.h"
#include "lab/hosts.h"
#include "lab/run.h"

struct job_setup;

/*
 * Measuring on k DUTs: the lab is split into k shares (a DUT, a client,
 * the build hosts), and a batch of runs is spread over them so that
 * the two sides of a comparison cross the DUTs. Shares measure side by
 * side, each in its own process, unless their CPU figures would mix
 * (DUTs that are namespaces of one machine without CPUs of their own):
 * then one run at a time. Each share remembers the image on its DUT, so
 * it deploys only when that changes. bisect run uses it for its rounds;
 * nightly and calibrate may measure several DUTs the same way.
 */
#define SCHED_MAX_DUTS 16

struct sched_share {
	struct hostlist hl;		/* the DUT, a client, the build hosts */
	int own_hl;			/* hl.v is ours to free (else borrowed) */
	int have_hl;			/* hl holds a lab (else: this machine) */
	char deployed[SHA256_HEX];	/* the image on the DUT now, "" = unknown */
	pid_t pid;			/* a worker's process while measuring */
	int fd;
};

struct sched {
	struct job_setup *js;
	const char *kind;		/* "bisect", "nightly", "calibrate" */
	const char *series;
	char *const *argv;		/* kept in run.json */
	struct sched_share s[SCHED_MAX_DUTS];
	size_t n;			/* shares (DUTs measured at once) */
	int serial;			/* measure one run at a time */
	const char *how;		/* for humans, with n > 1: side by side or why not */
	int aborted;			/* a run said the lab is broken */
};

/* One run to make: rev built and deployed, measured; tag and group are the caller's. */
struct sched_job {
	const char *rev;
	const char *side;		/* run.json's side: "probe", "A", ... */
	long tag;
	unsigned group;			/* the caller's (a bisection's block) */
	int share;			/* the share that measures it, -1: spread by rotation */
	int reboot;			/* deploy anew before it, even if the DUT runs rev */
};

/*
 * Called as each run lands (in the controller's process, in the order
 * they land): st and the run's directory (NULL when nothing ran). A
 * non-zero return stops the batch after the runs in flight.
 */
typedef int (*sched_land_fn)(void *data, const struct sched_job *job, enum run_status st,
			     const char *dir);

/*
 * Split js's lab into want shares (0: one per DUT of the lab; without a
 * lab: one, this machine). Errors name the lab when it has too few DUTs.
 */
int sched_init(struct sched *out, struct job_setup *js, long want, const char *kind,
	       const char *series, char *const *argv);
void sched_release(struct sched *s);

/*
 * Measure jobs[0..n) on the shares, calling land for each run. A share
 * measures its jobs in the order given (jobs[i].share, or rotated across
 * the shares when -1, so that two sides of a comparison cross them).
 * Returns
 * 0, or -1 when a land call failed or a run was RUN_ABORTED (s->aborted).
 */
int sched_measure(struct sched *s, const struct sched_job *jobs, size_t n,
		  sched_land_fn land, void *data);

#endif
