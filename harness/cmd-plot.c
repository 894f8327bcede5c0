/*
 * perflab plot timeseries|box|trace|stalls ... --out DIR: pictures of
 * runs through gnuplot, PNG and SVG, with their data and script beside
 * them.
 */
#include "harness/builtin.h"
#include "verdict/compare.h"
#include "reports/plot.h"
#include "reports/tconn.h"
#include "bisect/result.h"
#include "common/opt.h"
#include "common/util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const formats[] = { "both", "png", "svg", NULL };

struct plot_cli {
	char *out;
	int format;
	char *metric;
	char *name;
	char *title;
};

#define P(name, sh, type, field, ch, def, argh, help) \
	{ name, sh, type, offsetof(struct plot_cli, field), 0, 0, ch, def, argh, help }

static const struct opt plot_table[] = {
	P("out", 'o', OPT_STRING, out, NULL, NULL, "DIR", "where the plots go (required)"),
	P("format", 'f', OPT_CHOICE, format, formats, "both", "F", "png, svg or both"),
	P("metric", 'm', OPT_STRING, metric, NULL, "cpu_per_gbit", "M",
	  "box: the metric (goodput, cpu, cpu_per_gbit, freq, ipc, stalls, latency_p99, ...)"),
	P("name", 0, OPT_STRING, name, NULL, NULL, "NAME",
	  "base name of the files (default: the kind, or box-METRIC)"),
	P("title", 0, OPT_STRING, title, NULL, NULL, "TEXT", "trace: the plot's title"),
	OPT_END_ROW
};

const struct cmd_help help_plot = {
	"plot", "perflab plot KIND ARGS... --out DIR [--format png|svg|both]",
	"  timeseries RUN...  goodput, CPU % and effective MHz per interval of runs\n"
	"                     overlaid, the warmup shaded\n"
	"  box SET...         a metric (--metric) across sets, every run a dot; a set\n"
	"                     is a run directory or a directory of runs\n"
	"  trace FILE         a bisection trace (BISECTDIR/trace.json): the metric\n"
	"                     against commit order, verdicts marked, the culprit named\n"
	"  stalls SET...      stalled cycles and IPC per set\n"
	"  trace-conn RUN CONN  one TCP connection of a run's trace (perflab trace):\n"
	"                     cwnd and in flight, the windows, RTT, retransmissions\n\n"
	"Each plot writes DIR/NAME.png and/or .svg, its data DIR/NAME-*.dat and the\n"
	"script DIR/NAME.gp (`gnuplot NAME.gp` in DIR draws it again).",
	{ { NULL, plot_table } },
};

static void usage(FILE *f)
{
	help_usage(f, &help_plot);
}

static int load_sets(struct run_set **out, char **paths, int n)
{
	struct run_set *s = xcalloc((size_t)n, sizeof(*s));
	int ret = 0;

	for (int i = 0; i < n && !ret; i++)
		ret = run_set_load(&s[i], paths[i]);
	*out = s;
	return ret;
}

static void free_sets(struct run_set *s, int n)
{
	for (int i = 0; i < n; i++)
		run_set_release(&s[i]);
	free(s);
}

static int plot_sets(const char *kind, const struct plot_cli *cli, const struct plot_out *o,
		     char **args, int n)
{
	const struct metric_def *m = metric_find(cli->metric);
	struct run_set *sets;
	int ret;

	if (!strcmp(kind, "box") && !m)
		return error("unknown metric '%s' (see perflab compare --help)", cli->metric);
	ret = load_sets(&sets, args, n);
	if (!ret)
		ret = !strcmp(kind, "box") ? plot_box(o, m, sets, (size_t)n)
		      : plot_stalls(o, sets, (size_t)n);
	free_sets(sets, n);
	return ret;
}

static int plot_trace_file(const struct plot_out *o, const struct plot_cli *cli,
			   const char *path)
{
	struct trace t;
	char *title = NULL;
	int ret = trace_load(&t, path);

	if (!ret) {
		title = cli->title ? xstrdup(cli->title)
			: xasprintf("%s along the bisection, %zu commits", t.label, t.n);
		ret = plot_trace(o, &t, title);
	}
	free(title);
	trace_release(&t);
	return ret;
}

/* trace-conn RUN CONN */
static int plot_conn(const struct plot_out *o, char **args, int n)
{
	const struct tconn_host *h;
	const struct tcprec_conn *c;
	struct tconn_run r;
	int ret;

	if (n != 2)
		return error("plot trace-conn takes a run and a connection (HOST:ID), not %d "
			     "argument%s", n, n == 1 ? "" : "s");
	ret = tconn_run_load(&r, args[0]);
	if (!ret)
		ret = tconn_find(&r, args[1], &h, &c);
	if (!ret)
		ret = plot_tconn(o, &r, h, c);
	tconn_run_release(&r);
	return ret;
}

/* trace-conn-HOST-ID: the connection's name, safe as a file name */
static char *conn_name(char **args, int n)
{
	char *s = xasprintf("trace-conn-%s", n == 2 ? args[1] : "");

	for (char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			*p = '-';
	return s;
}

static int dispatch(const char *kind, const struct plot_cli *cli, char **args, int n)
{
	static const int fmt_bits[] = { PLOT_PNG | PLOT_SVG, PLOT_PNG, PLOT_SVG };
	char *name = cli->name ? xstrdup(cli->name)
		     : !strcmp(kind, "box") ? xasprintf("box-%s", cli->metric)
		     : !strcmp(kind, "trace-conn") ? conn_name(args, n) : xstrdup(kind);
	struct plot_out o = { cli->out, name, fmt_bits[cli->format] };
	int ret;

	if (!strcmp(kind, "timeseries"))
		ret = plot_timeseries(&o, args, (size_t)n);
	else if (!strcmp(kind, "trace-conn"))
		ret = plot_conn(&o, args, n);
	else if (!strcmp(kind, "trace"))
		ret = n == 1 ? plot_trace_file(&o, cli, args[0])
		      : error("plot trace takes one file, not %d", n);
	else
		ret = plot_sets(kind, cli, &o, args, n);
	if (!ret)
		printf("%s/%s%s%s\n", o.dir, name, o.formats & PLOT_PNG ? ".png" : ".svg",
		       o.formats == (PLOT_PNG | PLOT_SVG) ? " (and .svg)" : "");
	free(name);
	return ret ? EXIT_FAIL : EXIT_OK;
}

static int check_args(const char *kind, int n)
{
	static const char *const kinds[] = { "timeseries", "box", "trace", "stalls", "trace-conn",
					     NULL };
	int ok = 0;

	for (int k = 0; kinds[k]; k++)
		ok |= !strcmp(kind, kinds[k]);
	if (!ok)
		return error("unknown plot kind '%s': timeseries, box, trace, stalls or "
			     "trace-conn", kind);
	if (n < 1)
		return error("plot %s needs %s", kind, !strcmp(kind, "trace") ? "a trace file"
			     : !strcmp(kind, "trace-conn") ? "a run and a connection"
			     : "at least one run or set");
	return 0;
}

int cmd_plot(int argc, char **argv)
{
	struct plot_cli cli = { 0 };
	struct optset sets[] = { { plot_table, &cli }, { NULL, NULL } };
	int n, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(plot_table, &cli);
	n = opt_parse_mixed(sets, argc, argv);
	if (n >= 0 && n < 1) {
		error("plot needs a kind: timeseries, box, trace or stalls");
		usage(stderr);
	} else if (n >= 1 && !cli.out) {
		error("plot needs --out DIR");
	} else if (n >= 1 && !check_args(argv[1], n - 1)) {
		ret = dispatch(argv[1], &cli, argv + 2, n - 1);
	}
	opt_release(plot_table, &cli);
	return ret;
}
