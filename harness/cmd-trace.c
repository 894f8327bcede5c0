/*
 * perflab trace RUN [CONN]: a run's TCP traces (--collectors ...,tcptrace),
 * the connections and what the checks flagged, or one connection's
 * timeline.
 */
#include "harness/builtin.h"
#include "reports/tconn.h"
#include "common/opt.h"
#include "common/util.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct trace_cli {
	int flagged;
};

static const struct opt trace_table[] = {
	{ "flagged", 0, OPT_BOOL, offsetof(struct trace_cli, flagged), 0, 0, NULL, "no", NULL,
	  "list only the connections a check flagged" },
	OPT_END_ROW
};

const struct cmd_help help_trace = {
	"trace", "perflab trace [--flagged] RUN\nperflab trace RUN CONN",
	"A run's TCP blackbox (recorded with --collectors ...,tcptrace). With RUN\n"
	"alone: every host's connections, HOST:ID, their addresses, congestion\n"
	"control, records and the checks that flagged them (the run's [checks]).\n"
	"With CONN (HOST:ID, or ID when one host traced): that connection's\n"
	"timeline, one line per record: seconds since it was first seen, what the\n"
	"record was, cwnd and in flight (segments), the peer's window and ours\n"
	"(bytes), smoothed RTT (ms), segments retransmitted so far; '-' where not\n"
	"known yet. RUN may also be a trace file. perflab plot trace-conn draws it.",
	{ { NULL, trace_table } },
};

static void list_flagged(const struct tconn_run *r)
{
	for (size_t i = 0; i < r->nr; i++) {
		const struct tconn_host *h = &r->host[i];

		for (size_t k = 0; h->ok && k < h->f.nr_conn; k++) {
			char flags[256];

			tconn_flags(flags, sizeof(flags), r, h, &h->f.conn[k]);
			if (*flags)
				printf("%s:%u %s\n", h->name, h->f.conn[k].id, flags);
		}
	}
}

int cmd_trace(int argc, char **argv)
{
	struct trace_cli cli = { 0 };
	struct optset sets[] = { { trace_table, &cli }, { NULL, NULL } };
	const struct tconn_host *h;
	const struct tcprec_conn *c;
	struct tconn_run r;
	int i, ret = EXIT_FAIL, bad = 0;

	if (wants_help(argc, argv)) {
		help_usage(stdout, &help_trace);
		return EXIT_OK;
	}
	opt_defaults(trace_table, &cli);
	i = opt_parse(sets, argc, argv);
	if (i < 0 || argc - i < 1 || argc - i > 2) {
		if (i >= 0)
			error("usage: perflab trace [--flagged] RUN [CONN]");
		return EXIT_USAGE;
	}
	if (tconn_run_load(&r, argv[i])) {
		tconn_run_release(&r);
		return EXIT_FAIL;
	}
	for (size_t k = 0; k < r.nr; k++)
		bad |= !r.host[k].ok;
	if (argc - i == 2) {
		if (!tconn_find(&r, argv[i + 1], &h, &c)) {
			tconn_print(stdout, &r, h, c);
			ret = EXIT_OK;
		}
	} else {
		if (cli.flagged)
			list_flagged(&r);
		else
			tconn_list(stdout, &r);
		ret = bad ? EXIT_FAIL : EXIT_OK;	/* a trace that could not be read */
	}
	tconn_run_release(&r);
	return ret;
}
