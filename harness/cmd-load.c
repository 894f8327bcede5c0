/*
 * perflab load server|client: the workload roles, runnable alone on any
 * host, and what `perflab run` starts on each side.
 */
#include "harness/builtin.h"
#include "common/opt.h"
#include "common/util.h"
#include "workloads/load.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Options of the client role that are not workload settings. */
static const struct opt client_extra[] = {
	{ "start-at", 0, OPT_DOUBLE, offsetof(struct load_client_opts, start_at), 0, 0,
	  NULL, "0", "T", "start at this CLOCK_MONOTONIC second (aligned runs)" },
	OPT_END_ROW
};

static void usage(FILE *f)
{
	fprintf(f, "usage: perflab load server [OPTIONS]\n"
		"       perflab load client [OPTIONS]\n\n"
		"Push real TCP traffic: the server answers whatever each client\n"
		"connection asks for; the client drives a workload and writes one\n"
		"JSON line per interval, per connection and a final summary.\n\n"
		"server options:\n");
	opt_usage(f, load_server_table);
	fprintf(f, "\nclient options:\n");
	opt_usage(f, load_client_table);
	opt_usage(f, client_extra);
}

static int load_server(int argc, char **argv)
{
	struct load_server_opts o = { 0 };
	struct optset sets[] = { { load_server_table, &o }, { NULL, NULL } };
	int i, ret;

	if (wants_help(argc, argv)) {
		printf("usage: perflab load server [OPTIONS]\n\n");
		opt_usage(stdout, load_server_table);
		return EXIT_OK;
	}
	opt_defaults(load_server_table, &o);
	i = opt_parse(sets, argc, argv);
	if (i < 0 || i < argc) {
		if (i >= 0)
			error("unexpected argument '%s'", argv[i]);
		opt_release(load_server_table, &o);
		return EXIT_USAGE;
	}
	ret = load_server_run(&o) ? EXIT_FAIL : EXIT_OK;
	opt_release(load_server_table, &o);
	return ret;
}

static int load_client(int argc, char **argv)
{
	struct load_client_opts o = { 0 };
	struct optset sets[] = { { load_client_table, &o }, { client_extra, &o },
				 { NULL, NULL } };
	int i, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		printf("usage: perflab load client [OPTIONS]\n\n");
		opt_usage(stdout, load_client_table);
		opt_usage(stdout, client_extra);
		return EXIT_OK;
	}
	opt_defaults(load_client_table, &o);
	i = opt_parse(sets, argc, argv);
	if (i >= 0 && i < argc)
		error("unexpected argument '%s'", argv[i]);
	else if (i >= 0 && !load_client_resolve(&o))
		ret = load_client_run(&o) ? EXIT_FAIL : EXIT_OK;
	opt_release(load_client_table, &o);
	return ret;
}

static const struct subcmd subcmds[] = {
	{ "server", load_server, "serve every workload: bulk, crr, xfer, chunk (HTTP)" },
	{ "client", load_client, "drive a workload against a server, report goodput and TCP_INFO" },
};

int cmd_load(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	return subcmd_run("load", subcmds, ARRAY_SIZE(subcmds), NULL, argc, argv);
}
