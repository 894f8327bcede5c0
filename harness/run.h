#ifndef HARNESS_RUN_H
#define HARNESS_RUN_H

#include "common/opt.h"
#include "workloads/load.h"

struct json_t;
struct hostlist;

/*
 * One measured run: the workload's server and client, collectors on the
 * host, all started at one aligned moment; the results directory is
 * written under a temporary name and renamed into place when complete.
 */
struct run_opts {
	long repeat;		/* runs in a row, each its own directory */
	char *results;		/* directory holding run directories */
	char *collectors;	/* "cpu,freq,net", "all" or "none" */
	char *label;		/* free text kept in run.json (a kernel name...) */
	long server_threads;	/* 0 = online CPUs */
};

extern const struct opt run_table[];

/*
 * Measure once. argv is the command line kept in run.json. On success
 * *dir_out is the run's directory (the caller frees it).
 */
int run_measure(const struct run_opts *r, const struct load_client_opts *w,
		char *const *argv, char **dir_out);

/*
 * The same across a lab: the DUT of hl serves, its clients drive the
 * traffic, collectors run on each; results are fetched into the run's
 * directory (hosts/<name>/).
 */
int run_measure_on(const struct run_opts *r, const struct load_client_opts *w,
		   const struct hostlist *hl, char *const *argv, char **dir_out);

/*
 * Build summary.json's content from a complete run directory's raw
 * files: the workload's figures over the measured window and the
 * collectors' over the same window. New reference, or NULL.
 */
struct json_t *run_summarize(const char *dir);

#endif
