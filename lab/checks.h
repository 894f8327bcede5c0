#ifndef LAB_CHECKS_H
#define LAB_CHECKS_H

#include "common/opt.h"

struct cfg_file;
struct cfg_section;
struct run_opts;

/*
 * A job's [checks]: the thresholds of the TCP trace's sanity checks
 * (collectors/tcpcheck.h), one key per line, "stalled.rtts = 8",
 * "unexpected_reset.ignore = TCP_ABORT_ON_CLOSE". The keys are
 * tcpcheck_threshold_keys[]; a bad value is an error naming file:line.
 * A run keeps them as run.json's run_params.checks ("key=value;...").
 */
#define CHECKS_MAX 32

struct checks {
	char *v[CHECKS_MAX];	/* by row of checks_table(), as written */
};

/* The option table of [checks], made from tcpcheck_threshold_keys once. */
const struct opt *checks_table(void);

/* The config check: every value valid for its check. */
int checks_check(const struct cfg_file *f, const struct cfg_section *s, void *target);

/*
 * Append the section's lines to r->checks ("key=value;..."), checked.
 * Returns 0 or -1 (reported with file:line).
 */
int checks_apply(const struct cfg_file *f, const struct cfg_section *s, struct run_opts *r);

#endif
