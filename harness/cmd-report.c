/*
 * perflab report RUN | A B | BISECTDIR | --nightly RESULTS --job NAME:
 * one self-contained HTML page, or the same as text with --text.
 */
#include "harness/builtin.h"
#include "reports/report.h"
#include "common/fsutil.h"
#include "common/opt.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct report_cli {
	char *html;
	int text;
	char *nightly;
	char *job;
	char *metric;
	char *plots;
};

#define R(name, sh, type, field, def, argh, help) \
	{ name, sh, type, offsetof(struct report_cli, field), 0, 0, NULL, def, argh, help }

static const struct opt report_table[] = {
	R("html", 0, OPT_STRING, html, NULL, "FILE",
	  "write the page here (default: report.html in the run, bisection or results "
	  "directory; compare-report.html here for A B)"),
	R("text", 0, OPT_BOOL, text, "no", NULL, "print the report as text instead"),
	R("nightly", 0, OPT_STRING, nightly, NULL, "RESULTS", "the nights of --job in RESULTS"),
	R("job", 'j', OPT_STRING, job, NULL, "NAME", "nightly: the job (file or name)"),
	R("metric", 'm', OPT_STRING, metric, "cpu_per_gbit", "M",
	  "nightly: the metric plotted over the nights"),
	R("plots", 0, OPT_STRING, plots, NULL, "DIR",
	  "where the plots' files go (default: beside the page, PAGE-plots/)"),
	OPT_END_ROW
};

static void usage(FILE *f)
{
	fprintf(f, "usage: perflab report [--html FILE | --text] RUN\n"
		"       perflab report [--html FILE | --text] A B\n"
		"       perflab report [--html FILE | --text] BISECTDIR\n"
		"       perflab report [--html FILE | --text] --nightly RESULTS --job NAME\n\n"
		"One self-contained HTML page (plots inline as SVG, nothing fetched from a\n"
		"network): the summary in plain words, the comparison table, what changed in\n"
		"the hosts, the plots, and the commands to reproduce. A BISECTDIR holds\n"
		"result.json and trace.json (formats in bisect/result.h).\n"
		"The PNG and SVG of every plot, with data and gnuplot script, stay beside the\n"
		"page. Exit 0, or 1 when the inputs cannot be read.\n\n");
	opt_usage(f, report_table);
}

/* The page's default place for the inputs. */
static char *default_page(const struct report_cli *cli, char **args, int n)
{
	if (cli->nightly) {
		const char *b = strrchr(cli->job, '/') ? strrchr(cli->job, '/') + 1 : cli->job;

		return xasprintf("%s/nightly-%.*s.html", cli->nightly, (int)strcspn(b, "."), b);
	}
	if (n == 2)
		return xstrdup("compare-report.html");
	return xasprintf("%.*s/report.html", (int)(strlen(args[0]) - (strlen(args[0]) > 1 &&
			 args[0][strlen(args[0]) - 1] == '/')), args[0]);
}

static char *plots_dir(const struct report_cli *cli, const char *page)
{
	size_t n = strlen(page);

	if (cli->plots)
		return xstrdup(cli->plots);
	if (n > 5 && !strcmp(page + n - 5, ".html"))
		n -= 5;
	return xasprintf("%.*s-plots", (int)n, page);
}

static int build(struct strbuf *out, const struct report_cli *cli, char **args, int n,
		 const struct report_opts *o)
{
	char *result;
	int bisect;

	if (cli->nightly)
		return report_nightly(out, cli->nightly, cli->job, o);
	if (n == 2)
		return report_compare(out, args[0], args[1], o);
	result = xasprintf("%s/result.json", args[0]);
	bisect = path_exists(result);
	free(result);
	return bisect ? report_bisect(out, args[0], o) : report_run(out, args[0], o);
}

static int write_report(const struct report_cli *cli, char **args, int n)
{
	char *page = cli->html ? xstrdup(cli->html) : default_page(cli, args, n);
	char *plots = plots_dir(cli, page);
	struct report_opts o = { cli->text ? REPORT_TEXT : REPORT_HTML, page, plots, cli->metric };
	struct strbuf out = STRBUF_INIT;
	int ret = build(&out, cli, args, n, &o);

	if (!ret && cli->text)
		fputs(out.buf, stdout);
	else if (!ret && !(ret = write_file_atomic(page, out.buf, out.len, 0)))
		printf("report: %s\n", page);
	strbuf_release(&out);
	free(page);
	free(plots);
	return ret ? EXIT_FAIL : EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
	struct report_cli cli = { 0 };
	struct optset sets[] = { { report_table, &cli }, { NULL, NULL } };
	int n, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(report_table, &cli);
	n = opt_parse_mixed(sets, argc, argv);
	if (n < 0)
		;
	else if (cli.nightly && (!cli.job || n))
		error("report --nightly RESULTS takes --job NAME and no other argument");
	else if (!cli.nightly && (n < 1 || n > 2))
		error("report takes a run, two sets (A B) or a bisection directory");
	else if (cli.html && cli.text)
		error("--html and --text exclude each other");
	else
		ret = write_report(&cli, argv + 1, n);
	if (ret == EXIT_USAGE)
		usage(stderr);
	opt_release(report_table, &cli);
	return ret;
}
