#ifndef HARNESS_BUILTIN_H
#define HARNESS_BUILTIN_H

#include <stddef.h>
#include <stdio.h>

/*
 * The subcommands. Each takes argv with argv[0] the command name,
 * handles -h/--help by printing its usage to stdout, and returns an
 * exit code (enum perflab_exit) or a negative error (exit 1).
 */
int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_lab(int argc, char **argv);
int cmd_clock(int argc, char **argv);
int cmd_fingerprint(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_bisect_run(int argc, char **argv);
int cmd_bisect_resume(int argc, char **argv);
int cmd_bisect_knobs_job(int argc, char **argv);
int cmd_bisect(int argc, char **argv);
/* cmd-bisect-manual.c: the git-bisect-like commands */
int cmd_bisect_start(int argc, char **argv);
int cmd_bisect_good(int argc, char **argv);
int cmd_bisect_bad(int argc, char **argv);
int cmd_bisect_skip(int argc, char **argv);
int cmd_bisect_status(int argc, char **argv);
int cmd_bisect_log(int argc, char **argv);
int cmd_bisect_replay(int argc, char **argv);
int cmd_bisect_reset(int argc, char **argv);
int cmd_nightly(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Print the versions of perflab and the libraries it is linked with. */
void print_versions(void);

/* Is argv[1] a request for help (-h, --help)? */
int wants_help(int argc, char **argv);

/*
 * Second-level verbs: `perflab CMD SUB ARGS` runs the row named SUB
 * with argv starting at SUB. Each handler answers --help itself.
 */
struct subcmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;	/* one line for the command's usage */
};

/*
 * Dispatch argv[1] through t. Without a subcommand (or with an option
 * first) dflt runs on the whole argv when given; else the usage is
 * printed (to stdout for --help, exit 0; to stderr, exit 129).
 */
int subcmd_run(const char *cmd, const struct subcmd *t, size_t n,
	       int (*dflt)(int argc, char **argv), int argc, char **argv);
const struct subcmd *subcmd_find(const struct subcmd *t, size_t n, const char *name);
void subcmd_usage(FILE *f, const char *cmd, const struct subcmd *t, size_t n);

#endif
