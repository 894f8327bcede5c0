/*
 * perflab bisect: find the commit that made a metric worse. This file
 * parses arguments and prints; the engine, ranges, journal and knob
 * bisection live in bisect/ (see bisect/bisect.h).
 */
#include "harness/builtin.h"
#include "bisect/bisect.h"
#include "bisect/simulate.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- next ------------------------------------------------------------ */

struct next_cli {
	char *repo;
	char *bad;
	int first_parent;
	struct opt_list goods, skips;
};

#define N(name, sh, type, field, lo, hi, def, argh, help) \
	{ name, sh, type, offsetof(struct next_cli, field), lo, hi, NULL, def, argh, help }

static const struct opt next_table[] = {
	N("repo", 0, OPT_STRING, repo, 0, 0, ".", "DIR", "the repository"),
	N("good", 0, OPT_LIST, goods, 0, 0, NULL, "REV", "a good commit (repeatable, at least one)"),
	N("bad", 0, OPT_STRING, bad, 0, 0, NULL, "REV", "the bad commit (required)"),
	N("skip", 0, OPT_LIST, skips, 0, 0, NULL, "REV", "a skipped commit (repeatable)"),
	N("first-parent", 0, OPT_BOOL, first_parent, 0, 0, "no", NULL,
	  "follow only the first parent of merges"),
	OPT_END_ROW
};

static const struct cmd_help next_help = {
	"bisect next", "perflab bisect next --repo DIR --good G [--good G2] --bad B\n"
	"                    [--first-parent] [--skip C]...",
	"Print the commit git bisect would test next in BAD ^GOOD...: the one\n"
	"`git rev-list --bisect` prints, or with --skip the one `git bisect`\n"
	"checks out. Prints nothing and exits 1 when only skipped commits are left.",
	{ { NULL, next_table } },
};

static void next_usage(FILE *f)
{
	help_usage(f, &next_help);
}

static int resolve_skips(const struct bisect_revs *r, char **skips, size_t nskips,
			 size_t **out, size_t *n)
{
	*out = xcalloc(nskips + 1, sizeof(size_t));
	*n = 0;
	for (size_t i = 0; i < nskips; i++) {
		long x = revs_find(r, skips[i]);

		if (x >= 0)
			(*out)[(*n)++] = (size_t)x;
	}
	return 0;
}

static int bisect_next_cmd(int argc, char **argv)
{
	struct next_cli o = { 0 };
	struct optset sets[] = { { next_table, &o }, { NULL, NULL } };
	size_t *skip = NULL, nskip = 0;
	struct bisect_revs r;
	int i, ret = EXIT_USAGE;
	long x;

	if (wants_help(argc, argv)) {
		next_usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(next_table, &o);
	i = opt_parse(sets, argc, argv);
	if (i < 0 || i != argc || !o.bad || !o.goods.nr) {
		if (i >= 0)
			error("next needs --bad and at least one --good");
		next_usage(stderr);
	} else if (revs_load(&r, o.repo, o.bad, o.goods.v, o.goods.nr, o.first_parent) < 0) {
		ret = EXIT_FAIL;
	} else {
		resolve_skips(&r, o.skips.v, o.skips.nr, &skip, &nskip);
		x = revs_bisect(&r, o.skips.nr ? skip : NULL, nskip);
		if (x >= 0)
			printf("%s\n", r.commits[x].id);
		else
			error("only skipped commits are left to test");
		ret = x >= 0 ? EXIT_OK : EXIT_FAIL;
		revs_release(&r);
	}
	free(skip);
	opt_release(next_table, &o);
	return ret;
}

/* --- simulate -------------------------------------------------------- */

struct sim_cli {
	long n;
	double d;
	char *noise;
	long trials;
	long seed;
	long k;
	int improvement;
	int json;
};

#define S(name, sh, type, field, lo, hi, def, argh, help) \
	{ name, sh, type, offsetof(struct sim_cli, field), lo, hi, NULL, def, argh, help }

static const struct opt sim_table[] = {
	S("n", 0, OPT_INT, n, 0, 1000000, "0", "N", "commits in the history (default: 32, 128, 1024)"),
	S("d", 0, OPT_DOUBLE, d, -1, 100, "-1", "D", "step in noise sigmas (default: 0, 0.5, 1, 2, 3)"),
	S("noise", 0, OPT_STRING, noise, 0, 0, NULL, "MODEL",
	  "gaussian, outliers, bimodal, boot, failures, drift, loadstep, bursts, dutfail "
	  "(default: all)"),
	S("trials", 0, OPT_INT, trials, 1, 1000000, "1000", "T", "trials per cell"),
	S("seed", 0, OPT_INT, seed, 0, 0, "1", "S", "seed of the first cell"),
	S("k", 0, OPT_INT, k, 1, 16, "1", "K", "probes per round (DUTs)"),
	S("improvement", 0, OPT_BOOL, improvement, 0, 0, "no", NULL,
	  "hunt an improvement: the step goes down, the engine's direction is -1"),
	S("json", 'J', OPT_BOOL, json, 0, 0, "no", NULL, "one JSON object per cell"),
	OPT_END_ROW
};

static const struct cmd_help sim_help = {
	"bisect simulate", "perflab bisect simulate [--n N] [--d D] [--noise MODEL] [--trials T]\n"
	"                        [--seed S] [--k K] [--improvement] [--json]",
	"Synthetic bisections through the real engine: a step of D noise sigmas at\n"
	"a random commit of N, the threshold one sigma, the runs measured as a lab\n"
	"measures them (lanes side by side, a lab clock for drift, load steps and\n"
	"bursts). Per cell: exact-culprit rate, wrong answers (a culprit or range\n"
	"without the planted commit; at d = 0 any), inconclusive rate, runs and\n"
	"builds (mean, p95), boots (requests measured), rounds, the share of\n"
	"answers that said the ground moved, stated and measured confidence.\n"
	"Without --n, --d or --noise: every cell.",
	{ { NULL, sim_table } },
};

static void sim_usage(FILE *f)
{
	help_usage(f, &sim_help);
}

static void sim_json(const struct sim_cell *c, const struct sim_stats *s)
{
	json_t *o = json_object();
	char *line;

	json_set_int(o, "n", (long long)c->n);
	json_set_num(o, "d", c->d);
	json_set_str(o, "noise", sim_noise_name(c->noise));
	json_set_int(o, "k", c->k);
	json_set_int(o, "improvement", c->improvement);
	json_set_int(o, "trials", c->trials);
	json_set_int(o, "seed", (long long)c->seed);
	json_set_num(o, "exact", s->exact);
	json_set_num(o, "in_range", s->in_range);
	json_set_num(o, "wrong", s->wrong);
	json_set_num(o, "inconclusive", s->inconclusive);
	json_set_num(o, "named", s->named);
	json_set_num(o, "false_culprits", c->d == 0 ? s->named : NAN);
	json_set_num(o, "runs_mean", s->runs_mean);
	json_set_num(o, "runs_p95", s->runs_p95);
	json_set_num(o, "builds_mean", s->builds_mean);
	json_set_num(o, "builds_p95", s->builds_p95);
	json_set_num(o, "boots_mean", s->boots_mean);
	json_set_num(o, "rounds_mean", s->rounds_mean);
	json_set_num(o, "ground_moved", s->moved);
	json_set_num(o, "stated_confidence", s->stated);
	json_set_num(o, "measured_confidence", s->measured);
	line = json_dump_compact(o);
	printf("%s\n", line);
	free(line);
	json_decref(o);
}

static void sim_print(const struct sim_cell *c, const struct sim_stats *s, int json)
{
	if (json)
		sim_json(c, s);
	else
		printf("%5zu %4.1f %-8s %2u %6.3f %6.3f %6.3f %7.1f %5.0f %6.1f %4.0f %6.1f %6.1f "
		       "%5.2f %7.3f %7.3f\n", c->n, c->d, sim_noise_name(c->noise), c->k, s->exact,
		       s->wrong, s->inconclusive, s->runs_mean, s->runs_p95, s->builds_mean,
		       s->builds_p95, s->boots_mean, s->rounds_mean, s->moved, s->stated,
		       s->measured);
	fflush(stdout);
}

static int sim_cells(const struct sim_cli *o, int noise)
{
	static const size_t ns[] = { 32, 128, 1024 };
	static const double ds[] = { 0, 0.5, 1, 2, 3 };
	uint64_t seed = (uint64_t)o->seed;

	if (!o->json)
		printf("%5s %4s %-8s %2s %6s %6s %6s %7s %5s %6s %4s %6s %6s %5s %7s %7s\n", "N",
		       "d", "noise", "k", "exact", "wrong", "incon", "runs", "p95", "builds", "p95",
		       "boots", "rounds", "moved", "stated", "measur");
	for (size_t a = 0; a < ARRAY_SIZE(ns); a++) {
		for (int m = 0; m < SIM_NOISE_COUNT; m++) {
			if (noise >= 0 && m != noise)
				continue;
			for (size_t b = 0; b < ARRAY_SIZE(ds); b++) {
				struct sim_cell c = { o->n ? (size_t)o->n : ns[a], o->d >= 0 ? o->d : ds[b],
						      (enum sim_noise)m, (unsigned)o->k,
						      (unsigned)o->trials, seed++, o->improvement };
				struct sim_stats s;

				if (o->d >= 0 && b)
					continue;
				if (sim_run(&s, &c) < 0)
					return -1;
				sim_print(&c, &s, o->json);
			}
		}
		if (o->n)
			break;
	}
	return 0;
}

static int bisect_simulate_cmd(int argc, char **argv)
{
	struct sim_cli o = { 0 };
	struct optset sets[] = { { sim_table, &o }, { NULL, NULL } };
	int i, noise = -1, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		sim_usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(sim_table, &o);
	i = opt_parse(sets, argc, argv);
	if (i >= 0 && o.noise && (noise = sim_noise_parse(o.noise)) < 0)
		i = error("unknown noise model '%s'", o.noise);
	if (i >= 0 && o.n && o.n < 2)
		i = error("--n %ld: a history needs at least 2 commits", o.n);
	if (i < 0 || i != argc)
		sim_usage(stderr);
	else
		ret = sim_cells(&o, noise) < 0 ? EXIT_FAIL : EXIT_OK;
	opt_release(sim_table, &o);
	return ret;
}

/* --- the subcommand table -------------------------------------------- */

static const struct subcmd subcmds[] = {
	{ "next", bisect_next_cmd, &next_help, "print the commit git bisect would test next" },
	{ "simulate", bisect_simulate_cmd, &sim_help,
	  "synthetic bisections: accuracy and cost of the engine" },
	{ "run", cmd_bisect_run, &help_bisect_run,
	  "find the first bad commit by measurement on the job's lab" },
	{ "resume", cmd_bisect_resume, &help_bisect_resume,
	  "continue the current bisection after a crash or kill" },
	{ "knobs", cmd_bisect_knobs_job, &help_bisect_knobs,
	  "which configuration items make the regression (ddmin)" },
	{ "start", cmd_bisect_start, &help_bisect_start,
	  "start a manual bisection: prints the first commit to test" },
	{ "good", cmd_bisect_good, &help_bisect_mark, "mark a commit good (default: the one proposed)" },
	{ "bad", cmd_bisect_bad, &help_bisect_mark, "mark a commit bad (default: the one proposed)" },
	{ "skip", cmd_bisect_skip, &help_bisect_mark,
	  "mark a commit untestable (default: the one proposed)" },
	{ "status", cmd_bisect_status, &help_bisect_status,
	  "range left, steps done and left, time per round" },
	{ "log", cmd_bisect_log, &help_bisect_log,
	  "the current bisection's journal, one line per event" },
	{ "replay", cmd_bisect_replay, &help_bisect_replay,
	  "start a new bisection from a journal file" },
	{ "reset", cmd_bisect_reset, &help_bisect_reset, "leave the current bisection" },
};

const struct cmd_help help_bisect = {
	"bisect", "perflab bisect <subcommand> [<args>]",
	"Find the commit that made a metric worse. bisect run hunts it by\n"
	"measurement with no human in the loop (k DUTs, k probes per round, the\n"
	"culprit confirmed against its parent), journaling every run so that\n"
	"bisect resume continues after a crash; start, good, bad and skip are\n"
	"git bisect's manual bisection over the same journal; knobs bisects\n"
	"configuration items instead of commits; next and simulate check the\n"
	"midpoint against git and the engine against synthetic histories.",
	{ { NULL, NULL } }, subcmds, ARRAY_SIZE(subcmds),
};

int cmd_bisect(int argc, char **argv)
{
	/* git's old/new, and the terms of the current bisection, are good and bad */
	if (argc > 1 && argv[1][0] != '-' && !subcmd_find(subcmds, ARRAY_SIZE(subcmds), argv[1]))
		return cmd_bisect_term(argc - 1, argv + 1);
	return subcmd_run("bisect", subcmds, ARRAY_SIZE(subcmds), NULL, argc, argv);
}
