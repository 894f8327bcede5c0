/*
 * perflab: the driver. One command table; each row names the handler,
 * the shared setup it needs and the line `perflab help` prints.
 */
#include "harness/builtin.h"
#include "common/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd commands[] = {
	{ "help", cmd_help, "show help for perflab or one command" },
	{ "version", cmd_version, "print versions of perflab and its libraries" },
	{ "config", cmd_config, "check configuration files or print them in effect" },
	{ "run", cmd_run, "one measured run (or N) with collectors, results to a directory" },
	{ "compare", cmd_compare, "compare two sets of runs: every metric, BAD/GOOD/INCONCLUSIVE" },
	{ "calibrate", cmd_calibrate, "A/A runs: the lab's run and boot noise, the unit to replicate" },
	{ "load", cmd_load, "run a workload role alone: load server|client" },
	{ "collect", cmd_collect, "run collectors alone, writing JSON lines" },
	{ "build", cmd_build, "build the image of a commit, or find it in the image cache" },
	{ "images", cmd_images, "list the image cache, or prune it" },
	{ "stat", cmd_stat, "count hardware and software events: pmcstat -w / perf stat style" },
	{ "top", cmd_top, "sample an event and rank functions by share, like pmcstat -T" },
	{ "events", cmd_events, "list a PMU's events; encode an event for perf_event_open" },
	{ "fingerprint", cmd_fingerprint, "this host's fingerprint; diff: what changed between two runs" },
	{ "lab", cmd_lab, "a lab of network namespaces on this machine: lab up|down|status" },
	{ "nightly", cmd_nightly, "build the branch tip, measure it against the last good night, record" },
	{ "plot", cmd_plot, "plots through gnuplot: timeseries, box, trace, stalls (PNG, SVG)" },
	{ "report", cmd_report, "one self-contained HTML page (or text) for a run, a compare, a bisection, nightly" },
	{ "history", cmd_history, "the runs of a results directory, indexed: list, filter, rebuild" },
	{ "bisect", cmd_bisect, "find the commit that made a metric worse; next, simulate, knobs, ..." },
	{ "clock", cmd_clock, "print this host's monotonic and real-time clocks" },
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
	fprintf(f, "\n'perflab help <command>' shows the options of one command.\n"
		"exit codes: 0 ok, 1 failure, 128 fatal, 129 usage\n");
}

int cmd_help(int argc, char **argv)
{
	const struct cmd *c;
	char *sub[8];
	int n = 0;

	if (argc < 2 || wants_help(argc, argv)) {
		usage_all(stdout);
		return EXIT_OK;
	}
	c = find_cmd(argv[1]);
	if (!c) {
		error("unknown command '%s'", argv[1]);
		usage_all(stderr);
		return EXIT_USAGE;
	}
	if (c->fn == cmd_help) {
		usage_all(stdout);
		return EXIT_OK;
	}
	/* help bisect run: the options of `perflab bisect run` */
	for (int i = 1; i < argc && n < 6; i++)
		sub[n++] = argv[i];
	sub[n++] = "--help";
	sub[n] = NULL;
	return c->fn(n, sub);
}

int cmd_version(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		printf("usage: perflab version\n");
		return EXIT_OK;
	}
	print_versions();
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	int ret;

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
	ret = c->fn(argc - 1, argv + 1);
	if (fflush(stdout) || ferror(stdout)) {
		if (errno == EPIPE)	/* `perflab events | head`: the reader is done */
			return 141;
		die_errno("cannot write to standard output");
	}
	return ret < 0 ? EXIT_FAIL : ret;
}
