/*
 * perflab: the driver. One command table; each row names the handler,
 * the shared setup it needs and the line `perflab help` prints.
 */
#include "harness/builtin.h"
#include "common/spawn.h"
#include "common/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct cmd_help help_help = {
	"help", "perflab help [COMMAND [SUBCOMMAND]]",
	"Without a command: the commands and the exit codes. With one: its usage,\n"
	"options and subcommands, as `perflab COMMAND [SUBCOMMAND] --help` prints\n"
	"them. Every command has a manual page, perflab-COMMAND(1), generated from\n"
	"the same option tables.",
};

const struct cmd_help help_version = {
	"version", "perflab version",
	"Print the version of perflab, the agent it puts on lab hosts, and the\n"
	"libraries it is linked with, each as the library reports it at run time\n"
	"(libpfm4: from the shared object that is loaded; inih: at build time).",
};

static const struct cmd commands[] = {
	{ "help", cmd_help, &help_help, "show help for perflab or one command" },
	{ "version", cmd_version, &help_version, "print versions of perflab and its libraries" },
	{ "config", cmd_config, &help_config, "check configuration files or print them in effect" },
	{ "run", cmd_run, &help_run, "one measured run (or N) with collectors, results to a directory" },
	{ "compare", cmd_compare, &help_compare, "compare two sets of runs: every metric, BAD/GOOD/INCONCLUSIVE" },
	{ "calibrate", cmd_calibrate, &help_calibrate, "A/A runs: the lab's run and boot noise, the unit to replicate" },
	{ "load", cmd_load, &help_load, "run a workload role alone: load server|client" },
	{ "collect", cmd_collect, &help_collect, "run collectors alone, writing JSON lines" },
	{ "build", cmd_build, &help_build, "build the image of a commit, or find it in the image cache" },
	{ "images", cmd_images, &help_images, "list the image cache, or prune it" },
	{ "stat", cmd_stat, &help_stat, "count hardware and software events: pmcstat -w / perf stat style" },
	{ "top", cmd_top, &help_top, "sample an event and rank functions by share, like pmcstat -T" },
	{ "events", cmd_events, &help_events, "list a PMU's events; encode an event for perf_event_open" },
	{ "fingerprint", cmd_fingerprint, &help_fingerprint, "this host's fingerprint; diff: what changed between two runs" },
	{ "lab", cmd_lab, &help_lab, "a lab of network namespaces on this machine: lab up|down|status" },
	{ "nightly", cmd_nightly, &help_nightly, "build the branch tip, measure it against the last good night, record" },
	{ "trace", cmd_trace, &help_trace, "a run's TCP blackbox: connections and their flags, one connection's timeline" },
	{ "plot", cmd_plot, &help_plot, "plots through gnuplot: timeseries, box, trace, stalls, trace-conn (PNG, SVG)" },
	{ "report", cmd_report, &help_report, "one self-contained HTML page (or text) for a run, a compare, a bisection, nightly" },
	{ "history", cmd_history, &help_history, "the runs of a results directory, indexed: list, filter, rebuild" },
	{ "bisect", cmd_bisect, &help_bisect, "find the commit that made a metric worse; next, simulate, knobs, ..." },
	{ "clock", cmd_clock, &help_clock, "print this host's monotonic and real-time clocks" },
};

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage_all(FILE *f)
{
	fprintf(f, "usage: perflab [-q|-v] <command> [<args>]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "   %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'perflab help <command>' shows the options of one command, and\n"
		"perflab(1) and perflab-<command>(1) are their manual pages.\n\nexit codes:\n");
	for (size_t i = 0; i < exit_code_ndocs; i++)
		fprintf(f, "   %-4d %s\n", exit_code_docs[i].code, exit_code_docs[i].meaning);
}

/* help bisect run: the help of `perflab bisect run` */
static int help_of(int argc, char **argv)
{
	const struct cmd *c = find_cmd(argv[0]);
	const struct cmd_help *h;
	const struct subcmd *s;

	if (!c) {
		error("unknown command '%s'", argv[0]);
		usage_all(stderr);
		return EXIT_USAGE;
	}
	h = c->help;
	if (argc > 1) {
		s = subcmd_find(h->sub, h->nsub, argv[1]);
		if (!s || !s->help) {
			error("'perflab %s' has no subcommand '%s'", c->name, argv[1]);
			return EXIT_USAGE;
		}
		h = s->help;
	}
	help_usage(stdout, h);
	return EXIT_OK;
}

/* The hidden generators: --man PAGE, --man-list, --completion. */
static int help_generate(int argc, char **argv)
{
	if (!strcmp(argv[1], "--man-list")) {
		help_man_list(stdout, commands, ARRAY_SIZE(commands));
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--completion")) {
		help_completion(stdout, commands, ARRAY_SIZE(commands));
		return EXIT_OK;
	}
	if (argc != 3)
		return error("usage: perflab help --man PAGE"), EXIT_USAGE;
	if (help_man(stdout, commands, ARRAY_SIZE(commands), argv[2]))
		return error("no manual page '%s' (perflab help --man-list)", argv[2]), EXIT_USAGE;
	return EXIT_OK;
}

int cmd_help(int argc, char **argv)
{
	if (argc < 2 || wants_help(argc, argv)) {
		usage_all(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--man") || !strcmp(argv[1], "--man-list") ||
	    !strcmp(argv[1], "--completion"))
		return help_generate(argc, argv);
	if (argc > 3) {
		error("usage: perflab help [COMMAND [SUBCOMMAND]]");
		return EXIT_USAGE;
	}
	return help_of(argc - 1, argv + 1);
}

int cmd_version(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		help_usage(stdout, &help_version);
		return EXIT_OK;
	}
	print_versions();
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	int ret;

	sanitize_std_fds();
	signal(SIGPIPE, SIG_IGN);
	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "-q"))
			verbosity = 0;
		else if (!strcmp(argv[1], "-v"))
			verbosity = 2;
		else if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
			return cmd_help(1, argv);
		else if (!strcmp(argv[1], "--version"))
			return cmd_version(1, argv);
		else {
			error("unknown option '%s'", argv[1]);
			usage_all(stderr);
			return EXIT_USAGE;
		}
		argc--;
		argv++;
	}
	if (argc < 2) {
		usage_all(stderr);
		return EXIT_USAGE;
	}
	c = find_cmd(argv[1]);
	if (!c) {
		error("unknown command '%s'", argv[1]);
		usage_all(stderr);
		return EXIT_USAGE;
	}
	if (wants_help(argc - 1, argv + 1) && c->help) {
		help_usage(stdout, c->help);
		return EXIT_OK;
	}
	help_set_current(c->help);
	ret = c->fn(argc - 1, argv + 1);
	if (fflush(stdout) || ferror(stdout)) {
		if (errno == EPIPE)	/* `perflab events | head`: the reader is done */
			return 141;
		die_errno("cannot write to standard output");
	}
	return ret < 0 ? EXIT_FAIL : ret;
}
