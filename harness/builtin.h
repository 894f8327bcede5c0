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
/* old, new, or the current bisection's --term-old/--term-new: good or bad */
int cmd_bisect_term(int argc, char **argv);
int cmd_bisect_status(int argc, char **argv);
int cmd_bisect_log(int argc, char **argv);
int cmd_bisect_replay(int argc, char **argv);
int cmd_bisect_reset(int argc, char **argv);
int cmd_nightly(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_trace(int argc, char **argv);

struct json_t;
/*
 * Run a job's notify command (NULL: none) with payload as JSON on its
 * standard input; a failure or a hang is a warning. Returns its exit
 * code, or -1 when it could not run.
 */
int notify_run(char *const *cmd, const struct json_t *payload);

/* Print the versions of perflab and the libraries it is linked with. */
void print_versions(void);

/* Is argv[1] a request for help (-h, --help)? */
int wants_help(int argc, char **argv);

struct opt;
struct subcmd;

/*
 * What a command or subcommand says about itself. `--help`, its manual
 * page (perflab-CMD(1)) and the bash completion are all printed from
 * this one description and the option tables it names, so they cannot
 * drift apart.
 */
struct cmd_opts {
	const char *title;		/* "client options", or NULL */
	const struct opt *table;
};
struct cmd_help {
	const char *name;		/* "bisect run": the words after "perflab" */
	const char *synopsis;		/* usage lines, each "perflab ...", '\n' between */
	const char *text;		/* paragraphs, a blank line between; lines that start
					 * with a space are printed as they are */
	struct cmd_opts opts[4];	/* its option tables, in order (table NULL ends) */
	const struct subcmd *sub;	/* its second-level verbs, or NULL */
	size_t nsub;
	void (*extra)(FILE *f);		/* a list known at run time (collectors), or NULL */
};

/* Print h as --help prints it: usage lines, text, options, subcommands. */
void help_usage(FILE *f, const struct cmd_help *h);
/*
 * The command being parsed: `--help` anywhere among its options prints
 * h and exits 0 (see opt_help_fn). The driver and subcmd_run set it.
 */
void help_set_current(const struct cmd_help *h);

/*
 * Second-level verbs: `perflab CMD SUB ARGS` runs the row named SUB
 * with argv starting at SUB. `perflab CMD SUB --help` prints the row's
 * help (subcmd_run answers it, whatever the handler does).
 */
struct subcmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const struct cmd_help *help;	/* NULL: none of its own (an agent verb) */
	const char *summary;	/* one line for the command's usage */
};

/* The top-level commands, for `perflab help` and the generators. */
struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const struct cmd_help *help;
	const char *summary;	/* one line: `perflab help`, the NAME of its page */
};

/*
 * The manual pages and the completion, generated from the command
 * table (harness/manpage.c). page is "perflab" or "perflab-CMD".
 * help_man returns 0, or -1 when no page has that name.
 */
int help_man(FILE *f, const struct cmd *cmds, size_t n, const char *page);
void help_man_list(FILE *f, const struct cmd *cmds, size_t n);
void help_completion(FILE *f, const struct cmd *cmds, size_t n);

/* The exit codes every command shares (enum perflab_exit), for help and man. */
struct exit_code_doc {
	int code;
	const char *meaning;
};
extern const struct exit_code_doc exit_code_docs[];
extern const size_t exit_code_ndocs;

/* The help of each top-level command (harness/cmd-*.c). */
extern const struct cmd_help help_help, help_version, help_config, help_load, help_run,
	help_compare, help_calibrate, help_collect, help_lab, help_clock, help_fingerprint,
	help_stat, help_events, help_top, help_build, help_images, help_history, help_bisect,
	help_nightly, help_plot, help_report, help_trace;
/* bisect's subcommands that live in their own files */
extern const struct cmd_help help_bisect_run, help_bisect_resume, help_bisect_knobs,
	help_bisect_start, help_bisect_mark, help_bisect_status, help_bisect_log,
	help_bisect_replay, help_bisect_reset;

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
