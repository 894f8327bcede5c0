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

/* iperf3's -J: the output is JSON lines whatever it says. */
struct load_cli {
	int json;
};

static const struct opt iperf_table[] = {
	{ "json", 'J', OPT_BOOL, offsetof(struct load_cli, json), 0, 0, NULL, "no", NULL,
	  "JSON lines (the only output there is; accepted for iperf3's -J)" },
	OPT_END_ROW
};

static const struct cmd_help server_help = {
	"load server", "perflab load server [OPTIONS]",
	"Serve every workload (bulk, crr, xfer, chunk over HTTP/1.1) on --ports\n"
	"consecutive ports, writing one JSON line per interval and a summary.",
	{ { NULL, load_server_table }, { NULL, iperf_table } },
};

static const struct cmd_help client_help = {
	"load client", "perflab load client [OPTIONS]",
	"Drive a workload against a server and write one JSON line per interval,\n"
	"per connection (TCP_INFO) and a final summary. The output is JSON lines\n"
	"whatever -J says (iperf3's spelling is accepted); -P, -t and -i are\n"
	"iperf3's parallel streams, time and interval.",
	{ { NULL, load_client_table }, { NULL, client_extra }, { NULL, iperf_table } },
};

static int load_server(int argc, char **argv)
{
	struct load_server_opts o = { 0 };
	struct load_cli cli = { 0 };
	struct optset sets[] = { { load_server_table, &o }, { iperf_table, &cli },
				 { NULL, NULL } };
	int i, ret;

	if (wants_help(argc, argv)) {
		help_usage(stdout, &server_help);
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
	struct load_cli cli = { 0 };
	struct optset sets[] = { { load_client_table, &o }, { client_extra, &o },
				 { iperf_table, &cli }, { NULL, NULL } };
	int i, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		help_usage(stdout, &client_help);
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
	{ "server", load_server, &server_help,
	  "serve every workload: bulk, crr, xfer, chunk (HTTP)" },
	{ "client", load_client, &client_help,
	  "drive a workload against a server, report goodput and TCP_INFO" },
};

const struct cmd_help help_load = {
	"load", "perflab load <subcommand> [OPTIONS]",
	"Push real TCP traffic: the server answers whatever each client\n"
	"connection asks for; the client drives a workload and writes one\n"
	"JSON line per interval, per connection and a final summary. These are\n"
	"the roles perflab run starts on each side of a lab, runnable alone on\n"
	"any host (perflab-agent load on a lab host).",
	{ { NULL, NULL } }, subcmds, ARRAY_SIZE(subcmds),
};

int cmd_load(int argc, char **argv)
{
	return subcmd_run("load", subcmds, ARRAY_SIZE(subcmds), NULL, argc, argv);
}
