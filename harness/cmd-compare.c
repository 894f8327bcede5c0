/*
 * perflab compare A B: two sets of runs, every metric, the gated ones
 * judged with honest statistics; exit 0 good, 1 bad, 2 inconclusive.
 */
#include "harness/builtin.h"
#include "reports/junit.h"
#include "verdict/compare.h"
#include "lab/config.h"
#include "lab/thresholds.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GATES 32

struct compare_cli {
	char *job;
	int json;
	double alpha;
	char *junit;
	struct opt_list thresholds;	/* NAME=PCT */
};

static const struct opt compare_table[] = {
	{ "job", 'j', OPT_STRING, offsetof(struct compare_cli, job), 0, 0, NULL, NULL, "FILE",
	  "take the gated metrics from the job's [thresholds]" },
	{ "json", 'J', OPT_BOOL, offsetof(struct compare_cli, json), 0, 0, NULL, "no", NULL,
	  "print the comparison as JSON" },
	{ "threshold", 0, OPT_LIST, offsetof(struct compare_cli, thresholds), 0, 0, NULL, NULL,
	  "NAME=PCT", "gate a metric: goodput, tps, cpu, cpu_per_gbit, latency_p99, ... (repeatable)" },
	{ "alpha", 0, OPT_DOUBLE, offsetof(struct compare_cli, alpha), 0.0001, 0.5, NULL, "0.025",
	  "A", "one-sided false-alarm level of a BAD call (Holm across the gates)" },
	{ "junit", 0, OPT_STRING, offsetof(struct compare_cli, junit), 0, 0, NULL, NULL, "FILE",
	  "also write JUnit XML: a test case per gated metric, BAD a failure, INCONCLUSIVE "
	  "skipped, the interval and verdict in the message" },
	OPT_END_ROW
};

const struct cmd_help help_compare = {
	"compare", "perflab compare [OPTIONS] [--threshold NAME=PCT]... A B",
	"A and B are a run directory or a directory of runs (as run --repeat\n"
	"writes them). Every metric of both sides is tabled: medians, the ratio\n"
	"B/A and its interval, p. The gated metrics (default goodput=-3%,\n"
	"cpu=+5%, cpu_per_gbit=+5%; or the job's [thresholds]; or --threshold) are\n"
	"judged BAD, GOOD or INCONCLUSIVE; the exit status is 0 good, 1 bad,\n"
	"2 inconclusive, 128 when the runs cannot be read, 129 for usage.",
	{ { NULL, compare_table } },
};

static void usage(FILE *f)
{
	help_usage(f, &help_compare);
}

/* --threshold NAME=PCT, any number of times. */
static int flag_gates(const struct opt_list *l, struct gate *g, size_t *n)
{
	for (size_t i = 0; i < l->nr; i++) {
		const char *v = l->v[i], *eq = strchr(v, '=');
		char *name;
		int bad;

		if (!eq || *n == MAX_GATES)
			return error("'--threshold %s': expected NAME=PCT, e.g. cpu=+5%%", v);
		name = xstrndup(v, (size_t)(eq - v));
		bad = gate_parse(&g[*n], name, eq + 1);
		free(name);
		if (bad)
			return -1;
		(*n)++;
	}
	return 0;
}

static int job_gates(const char *path, struct gate *g, size_t *n)
{
	struct cfg_file f;
	const struct cfg_section *s;
	int k = 0;

	if (cfg_file_load(&f, path))
		return -1;
	s = cfg_find(&f, "thresholds");
	if (s && (k = thresholds_gates(&f, s, g + *n, MAX_GATES - *n)) >= 0)
		*n += (size_t)k;
	cfg_file_release(&f);
	return k < 0 ? -1 : 0;
}

static int exit_of(enum stats_outcome o)
{
	return o == STATS_GOOD ? EXIT_OK : o == STATS_BAD ? EXIT_FAIL : EXIT_INCONCLUSIVE;
}

static int show(const struct compare_cli *cli, const char *pa, const char *pb,
		const struct gate *g, size_t ng)
{
	struct run_set a, b;
	struct comparison c;
	int ret = EXIT_FATAL;

	if (run_set_load(&a, pa)) {
		run_set_release(&a);
		return EXIT_FATAL;
	}
	if (!run_set_load(&b, pb) && !compare_sets(&c, &a, &b, g, ng, cli->alpha)) {
		if (cli->json) {
			json_t *j = comparison_json(&c, &a, &b);
			char *s = json_dump_pretty(j);

			puts(s);
			free(s);
			json_decref(j);
		} else {
			struct strbuf sb = STRBUF_INIT;

			comparison_format(&sb, &c, &a, &b);
			fputs(sb.buf, stdout);
			strbuf_release(&sb);
		}
		ret = exit_of(c.outcome);
		if (cli->junit) {
			json_t *j = comparison_json(&c, &a, &b);

			if (junit_write(cli->junit, "compare", j, stats_outcome_name(c.outcome),
					c.summary))
				ret = EXIT_FATAL;
			json_decref(j);
		}
		comparison_release(&c);
	}
	run_set_release(&b);
	run_set_release(&a);
	return ret;
}

int cmd_compare(int argc, char **argv)
{
	struct compare_cli cli = { 0 };
	struct optset sets[] = { { compare_table, &cli }, { NULL, NULL } };
	struct gate g[MAX_GATES];
	size_t ng = 0;
	int i, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(compare_table, &cli);
	i = opt_parse(sets, argc, argv);
	if (i >= 0 && flag_gates(&cli.thresholds, g, &ng))
		i = -1;
	if (i >= 0 && argc - i != 2) {
		error("compare takes two sides, A and B");
		usage(stderr);
	} else if (i >= 0 && (!cli.job || !job_gates(cli.job, g, &ng))) {
		if (!ng)
			ng = gates_default(g, MAX_GATES);
		ret = show(&cli, argv[i], argv[i + 1], g, ng);
	}
	opt_release(compare_table, &cli);
	return ret;
}
