/*
 * perflab bisect start|good|bad|skip|status|log|replay|reset: the
 * git-bisect-like commands. A human gives the verdicts of a manual
 * bisection (bisect/manual.c); status, log, replay and reset also serve
 * the automatic ones (perflab bisect run). The state is the directory
 * RESULTS/bisect/<id>/ that RESULTS/bisect/CURRENT names (bisect/bisect.h).
 */
#include "harness/builtin.h"
#include "lab/jobsetup.h"
#include "bisect/bisect.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/util.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_RESULTS "results"

struct man_cli {
	char *results;
	char *repo;
	char *bad;
	char *job;
	char *metric;
	int first_parent;
	int json;
	struct opt_list goods;
	char *term_old, *term_new;	/* git's --term-old/--term-new: names for good and bad */
};

#define M(name, sh, type, field, lo, hi, def, argh, help) \
	{ name, sh, type, offsetof(struct man_cli, field), lo, hi, NULL, def, argh, help }

static const struct opt start_table[] = {
	M("repo", 0, OPT_STRING, repo, 0, 0, NULL, "DIR", "the repository (or --job)"),
	M("job", 'j', OPT_STRING, job, 0, 0, NULL, "FILE",
	  "take the repository from the job's [source] and the results from its [run]"),
	M("good", 0, OPT_LIST, goods, 0, 0, NULL, "REV", "a good commit (repeat for more)"),
	M("bad", 0, OPT_STRING, bad, 0, 0, NULL, "REV", "the bad commit (required)"),
	M("first-parent", 0, OPT_BOOL, first_parent, 0, 0, "no", NULL,
	  "follow only the first parent of merges"),
	M("metric", 'm', OPT_STRING, metric, 0, 0, NULL, "NAME", "what is judged (journaled)"),
	M("results", 0, OPT_STRING, results, 0, 0, NULL, "DIR",
	  "the results directory (default: the job's, else results)"),
	M("term-old", 0, OPT_STRING, term_old, 0, 0, NULL, "TERM",
	  "a name for good, the old behaviour (git's --term-old: slow, before)"),
	M("term-new", 0, OPT_STRING, term_new, 0, 0, NULL, "TERM",
	  "a name for bad, the new behaviour (git's --term-new: fast, after)"),
	OPT_END_ROW
};

static const struct opt state_table[] = {
	M("results", 0, OPT_STRING, results, 0, 0, DEFAULT_RESULTS, "DIR", "the results directory"),
	OPT_END_ROW
};

static const struct opt log_table[] = {
	M("results", 0, OPT_STRING, results, 0, 0, DEFAULT_RESULTS, "DIR", "the results directory"),
	M("json", 'J', OPT_BOOL, json, 0, 0, "no", NULL, "the journal's lines as they are"),
	OPT_END_ROW
};

static const struct opt status_table[] = {
	M("results", 0, OPT_STRING, results, 0, 0, DEFAULT_RESULTS, "DIR", "the results directory"),
	M("json", 'J', OPT_BOOL, json, 0, 0, "no", NULL,
	  "the same figures as one JSON object (counts as integers, times in seconds)"),
	OPT_END_ROW
};

static const struct opt replay_table[] = {
	M("results", 0, OPT_STRING, results, 0, 0, DEFAULT_RESULTS, "DIR", "the results directory"),
	M("repo", 0, OPT_STRING, repo, 0, 0, NULL, "DIR",
	  "the repository (default: the journal's, or the state.json beside it)"),
	OPT_END_ROW
};

const struct cmd_help help_bisect_start = {
	"bisect start", "perflab bisect start --repo DIR --good G [--good G2] --bad B\n"
	"                     [--first-parent] [--metric M] [--results DIR]\n"
	"perflab bisect start --job F --good G --bad B [...]",
	"Start a manual bisection: test the commit it prints, then say\n"
	"perflab bisect good, bad or skip, as with git bisect.",
	{ { NULL, start_table } },
};

const struct cmd_help help_bisect_mark = {
	"bisect good|bad|skip", "perflab bisect (good|bad|skip) [COMMIT] [--results DIR]",
	"Mark COMMIT (default: the commit last proposed) good, bad or skip in the\n"
	"current manual bisection; print the next one to test, the first bad\n"
	"commit, or the suspects next to skipped commits (exit 2).",
	{ { NULL, state_table } },
};

const struct cmd_help help_bisect_status = {
	"bisect status", "perflab bisect status [--results DIR] [--json]",
	"The current bisection: range left, steps (or rounds and runs) done and\n"
	"left, the leading suspect, time per step and the time left.",
	{ { NULL, status_table } },
};

const struct cmd_help help_bisect_log = {
	"bisect log", "perflab bisect log [--results DIR] [--json]",
	"The current bisection's journal, one line per event; --json prints the\n"
	"lines as they are, for perflab bisect replay.",
	{ { NULL, log_table } },
};

const struct cmd_help help_bisect_replay = {
	"bisect replay", "perflab bisect replay FILE [--results DIR] [--repo DIR]",
	"Start a new bisection from a journal (perflab bisect log --json, or\n"
	"a journal.ndjson): a manual one re-applies its verdicts, an automatic\n"
	"one is replayed into the engine; continue it with perflab bisect resume.",
	{ { NULL, replay_table } },
};

const struct cmd_help help_bisect_reset = {
	"bisect reset", "perflab bisect reset [--results DIR]",
	"Leave the current bisection (its directory stays, for log and replay).",
	{ { NULL, state_table } },
};

/*
 * Options, then at most maxpos positional arguments, options allowed
 * after them too. Returns the number of positionals, -1 on error.
 */
static int parse(const struct opt *table, struct man_cli *o, int argc, char **argv,
		 char **pos, int maxpos)
{
	struct optset sets[] = { { table, o }, { NULL, NULL } };
	int npos = 0, i = 1;

	while (i < argc) {
		int k = opt_parse(sets, argc - i + 1, argv + i - 1);

		if (k < 0)
			return -1;
		i += k - 1;
		if (i >= argc)
			break;
		if (npos >= maxpos)
			return error("unexpected argument '%s'", argv[i]);
		pos[npos++] = argv[i++];
	}
	return npos;
}

/* --- terms: git's old/new names for good/bad -------------------------- */

#define TERMS "terms.json"

/* A bisection's terms ("bad" and "good" without a terms file). */
static void read_terms_in(const char *dir, char out_new[64], char out_old[64])
{
	char *path = xasprintf("%s/" TERMS, dir);
	json_t *t = path_exists(path) ? json_load_path(path) : NULL;
	const char *n = json_get_str(t, "new"), *o = json_get_str(t, "old");

	snprintf(out_new, 64, "%s", n ? n : "bad");
	snprintf(out_old, 64, "%s", o ? o : "good");
	json_decref(t);
	free(path);
}

static void read_terms(const struct bisect *b, char out_new[64], char out_old[64])
{
	read_terms_in(b->dir, out_new, out_old);
}

static int valid_term(const char *t)
{
	static const char *const taken[] = { "start", "run", "resume", "knobs", "next", "simulate",
		"skip", "status", "log", "replay", "reset", "help", NULL };

	if (!*t || strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(t))
		return 0;
	for (int i = 0; taken[i]; i++)
		if (!strcmp(t, taken[i]))
			return 0;
	return 1;
}

static int save_terms(const struct bisect *b, const char *old, const char *new)
{
	char *path = xasprintf("%s/" TERMS, b->dir);
	json_t *t = json_object();
	int ret;

	json_set_str(t, "old", old);
	json_set_str(t, "new", new);
	ret = json_write_file(path, t, 0);
	json_decref(t);
	free(path);
	return ret;
}

/* --- printing a manual step, as git bisect does ------------------------ */

static void print_suspects(const struct bisect *b)
{
	size_t *s = xcalloc(b->revs.n + 1, sizeof(*s));
	size_t k = bisect_manual_suspects(b, s);

	printf("There are only 'skip'ped commits left to test.\n"
	       "The first bad commit could be any of:\n");
	for (size_t i = 0; i < k; i++)
		printf("%s\n", b->revs.commits[s[i]].id);
	printf("We cannot bisect more!\n");
	free(s);
}

/* The next commit, the first bad one, or the suspects. Exit status as git's. */
static int print_next(struct bisect *b)
{
	int done, steps;
	long x = bisect_manual_next(b, &done);
	size_t left;

	if (done == 1) {
		char tn[64], to[64];

		read_terms(b, tn, to);
		printf("%s is the first %s commit\n", b->revs.commits[b->revs.n - 1].id, tn);
		printf("    %s\n", b->revs.commits[b->revs.n - 1].subject);
		return EXIT_OK;
	}
	if (done == 2) {
		print_suspects(b);
		return EXIT_INCONCLUSIVE;
	}
	steps = bisect_manual_estimate(b, &left);
	printf("Bisecting: %zu revision%s left to test after this (roughly %d step%s)\n", left,
	       left == 1 ? "" : "s", steps, steps == 1 ? "" : "s");
	printf("[%s] %s\n", b->revs.commits[x].id, b->revs.commits[x].subject);
	return EXIT_OK;
}

/* The current bisection: to continue it (writable), or only to look. */
static int open_current(struct bisect *b, const char *results, int writable)
{
	int r = writable ? bisect_resume(b, results) : bisect_read(b, results);

	if (r == PERFLAB_ENOTFOUND)
		error("no bisection in progress in '%s' (no %s/bisect/CURRENT): "
		      "start one with perflab bisect start", results, results);
	return r ? -1 : 0;
}

/* --- start ----------------------------------------------------------- */

int cmd_bisect_start(int argc, char **argv)
{
	struct man_cli o = { 0 };
	struct bisect_opts bo = { 0 };
	struct bisect b;
	struct job_setup js;
	char *pos[1];
	int ret = EXIT_USAGE, have_js = 0;

	if (wants_help(argc, argv)) {
		help_usage(stdout, &help_bisect_start);
		return EXIT_OK;
	}
	memset(&b, 0, sizeof(b));
	opt_defaults(start_table, &o);
	if (parse(start_table, &o, argc, argv, pos, 0) < 0)
		goto out;
	if ((o.term_old || o.term_new) &&
	    (!o.term_old || !o.term_new || !valid_term(o.term_old) || !valid_term(o.term_new) ||
	     !strcmp(o.term_old, o.term_new))) {
		error("--term-old and --term-new go together: two different words of a-z, 0-9, - "
		      "and _ that are not subcommands");
		goto out;
	}
	if (!o.bad || !o.goods.nr || (!o.repo && !o.job)) {
		error("bisect start needs --bad, at least one --good and --repo (or --job)");
		goto out;
	}
	if (o.job) {
		have_js = 1;
		ret = EXIT_FAIL;
		if (job_setup_load(&js, o.job, NULL))
			goto out;
		if (!o.repo && !js.job.has_source) {
			error("'%s' has no [source]: give --repo", o.job);
			goto out;
		}
	}
	ret = EXIT_FAIL;
	bo.results = o.results ? o.results : have_js ? js.run.results : DEFAULT_RESULTS;
	bo.repo = o.repo ? o.repo : js.job.source.repo;
	bo.bad = o.bad;
	bo.goods = o.goods.v;
	bo.ngoods = o.goods.nr;
	bo.first_parent = o.first_parent;
	bo.metric = o.metric;
	bo.job = o.job;
	engine_config_init(&bo.engine, 0);
	if (mkdir_p(bo.results) || bisect_create(&b, &bo, 0)) {
		bisect_release(&b);
		goto out;
	}
	if (o.term_old && save_terms(&b, o.term_old, o.term_new)) {
		bisect_release(&b);
		goto out;
	}
	ret = print_next(&b);
	bisect_release(&b);
out:
	if (have_js)
		job_setup_release(&js);
	opt_release(start_table, &o);
	return ret;
}

/* --- good, bad, skip --------------------------------------------------- */

static int mark(int argc, char **argv, enum bisect_verdict v)
{
	struct man_cli o = { 0 };
	struct bisect b;
	char *pos[1] = { NULL };
	int n, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		help_usage(stdout, &help_bisect_mark);
		return EXIT_OK;
	}
	opt_defaults(state_table, &o);
	if ((n = parse(state_table, &o, argc, argv, pos, 1)) < 0)
		goto out;
	ret = EXIT_FAIL;
	if (open_current(&b, o.results, 1)) {
		bisect_release(&b);
		goto out;
	}
	if (!bisect_manual(&b, v, pos[0]))
		ret = print_next(&b);
	bisect_release(&b);
out:
	opt_release(state_table, &o);
	return ret;
}

int cmd_bisect_good(int argc, char **argv)
{
	return mark(argc, argv, VERDICT_GOOD);
}

int cmd_bisect_bad(int argc, char **argv)
{
	return mark(argc, argv, VERDICT_BAD);
}

int cmd_bisect_skip(int argc, char **argv)
{
	return mark(argc, argv, VERDICT_SKIP);
}

int cmd_bisect_term(int argc, char **argv)
{
	char tn[64], to[64], results[4096] = DEFAULT_RESULTS, *id;
	int v = -1;

	/* the results directory, if given, to find the current bisection */
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--results"))
			snprintf(results, sizeof(results), "%s", argv[i + 1]);
	if (!strcmp(argv[0], "old") || !strcmp(argv[0], "new")) {
		v = !strcmp(argv[0], "old") ? VERDICT_GOOD : VERDICT_BAD;
	} else if ((id = bisect_current(results))) {
		char *dir = xasprintf("%s/bisect/%s", results, id);

		read_terms_in(dir, tn, to);
		v = !strcmp(argv[0], tn) ? VERDICT_BAD : !strcmp(argv[0], to) ? VERDICT_GOOD : -1;
		free(dir);
		free(id);
	}
	if (v < 0) {
		error("unknown bisect subcommand '%s'", argv[0]);
		return EXIT_USAGE;
	}
	return mark(argc, argv, (enum bisect_verdict)v);
}

/* --- the journal, read only ------------------------------------------ */

struct jstat {
	unsigned rounds, runs, marks;
	double t0, t1;		/* first and last timestamps, NaN if none */
	unsigned ntimes;
	int manual;
};

static int jstat_line(const json_t *ev, unsigned long lineno, void *data)
{
	struct jstat *s = data;
	const char *type = json_get_str(ev, "ev");
	double t = json_get_num(ev, "time");

	(void)lineno;
	if (!strcmp(type, "round"))
		s->rounds++;
	else if (!strcmp(type, "measurement"))
		s->runs++;
	else if (!strcmp(type, "mark"))
		s->marks++;
	if (isfinite(t)) {
		if (!s->ntimes++)
			s->t0 = t;
		s->t1 = t;
	}
	return 0;
}

/* CURRENT's state directory and whether state.json says manual. */
static char *current_dir(const char *results, int *manual)
{
	char *id = bisect_current(results), *dir, *spath;
	json_t *s;

	if (!id) {
		if (errno == ENOENT)
			error("no bisection in progress in '%s' (no %s/bisect/CURRENT)", results,
			      results);
		return NULL;
	}
	dir = xasprintf("%s/bisect/%s", results, id);
	spath = xasprintf("%s/state.json", dir);
	if (!(s = json_load_file(spath, 0, NULL)) || !json_get_str(s, "repo")) {
		error("'%s': cannot read the bisection's state", spath);
		free(dir);
		dir = NULL;
	} else {
		*manual = json_is_true(json_object_get(s, "manual"));
	}
	json_decref(s);
	free(spath);
	free(id);
	return dir;
}

static void print_duration(const char *what, double secs)
{
	if (!isfinite(secs))
		printf("%s: unknown (the journal has no timestamps)\n", what);
	else if (secs < 120)
		printf("%s: %.0f s\n", what, secs);
	else if (secs < 7200)
		printf("%s: %.1f min\n", what, secs / 60);
	else
		printf("%s: %.1f h\n", what, secs / 3600);
}

static json_t *commit_json(const struct bisect_commit *c)
{
	json_t *o = json_object();

	json_set_str(o, "commit", c->id);
	json_set_str(o, "subject", c->subject);
	return o;
}

/* Commits that can still be the first bad one: under every bad, above no good. */
static size_t auto_candidates(const struct bisect_revs *r, const struct engine_result *res,
			      unsigned char *cand)
{
	size_t k = 0;

	for (size_t c = 0; c < r->n; c++) {
		cand[c] = 1;
		for (size_t x = 0; x < res->n && cand[c]; x++) {
			if (res->commits[x].verdict == VERDICT_BAD && !revs_reaches(r, x, c))
				cand[c] = 0;
			if (res->commits[x].verdict == VERDICT_GOOD && revs_reaches(r, x, c))
				cand[c] = 0;
		}
		k += cand[c];
	}
	return k;
}

/* The figures of an automatic bisection, into st. */
static int status_auto(const char *dir, json_t *st)
{
	char *jpath = xasprintf("%s/journal.ndjson", dir);
	struct jstat js = { 0, 0, 0, NAN, NAN, 0, 0 };
	struct bisect_revs r;
	struct engine *e = NULL;
	struct engine_result res;
	unsigned char *cand;
	size_t left;
	long leader = -1;
	unsigned k;
	double rounds_left, per_round = NAN;
	int torn;

	if (journal_read(jpath, jstat_line, &js, &torn) || journal_replay(jpath, &e, &r)) {
		free(jpath);
		return -1;
	}
	if (engine_result(e, &res)) {
		engine_free(e);
		revs_release(&r);
		free(jpath);
		return -1;
	}
	cand = xcalloc(r.n + 1, 1);
	left = auto_candidates(&r, &res, cand);
	k = engine_get_config(e)->k ? engine_get_config(e)->k : 1;
	json_set_str(st, "kind", "automatic");
	json_set_int(st, "duts", k);
	json_set(st, "journal_torn", json_boolean(torn));
	json_set_str(st, "status", bisect_status_name(res.status));
	json_set_str(st, "reason", res.reason);
	json_set_int(st, "range_left", (long long)left);
	json_set_int(st, "commits", (long long)r.n);
	json_set_int(st, "rounds", js.rounds);
	json_set_int(st, "runs", res.runs);
	json_set_int(st, "builds", res.builds);
	if (res.culprit >= 0) {
		leader = res.culprit;
	} else {
		for (size_t c = 0; c < r.n && leader < 0; c++)
			if (cand[c] && res.commits[c].p_bad >= 0.5)
				leader = (long)c;
	}
	if (leader >= 0) {
		json_t *l = commit_json(&r.commits[leader]);

		json_set_num(l, "p_bad", res.commits[leader].p_bad);
		json_set(st, "leader", l);
	} else {
		json_set(st, "leader", json_null());
	}
	if (res.status != BISECT_RUNNING)
		rounds_left = 0;
	else
		rounds_left = (left > 1 ? ceil(log((double)left) / log(k + 1.0)) : 0) + 1;
	json_set_int(st, "rounds_left", (long long)rounds_left);
	if (js.ntimes >= 2 && js.rounds)
		per_round = (js.t1 - js.t0) / js.rounds;
	json_set_num(st, "seconds_per_round", per_round);
	json_set_num(st, "seconds_left", per_round * rounds_left);
	free(cand);
	engine_result_release(&res);
	engine_free(e);
	revs_release(&r);
	free(jpath);
	return 0;
}

static void print_auto(const json_t *st)
{
	const json_t *l = json_object_get(st, "leader");
	long long k = json_integer_value(json_object_get(st, "duts"));
	const char *reason = json_get_str(st, "reason");

	printf("kind: automatic (%lld DUT%s)%s\n", k, k == 1 ? "" : "s",
	       json_is_true(json_object_get(st, "journal_torn")) ?
	       " (the journal's last line is torn)" : "");
	printf("status: %s%s%s\n", json_get_str(st, "status"), *reason ? ": " : "", reason);
	printf("range left: %.0f of %.0f commits\n", json_get_num(st, "range_left"),
	       json_get_num(st, "commits"));
	printf("rounds so far: %.0f, runs: %.0f, builds: %.0f\n", json_get_num(st, "rounds"),
	       json_get_num(st, "runs"), json_get_num(st, "builds"));
	if (json_is_object(l))
		printf("p_bad leader: %.12s %s (p_bad %.3f)\n", json_get_str(l, "commit"),
		       json_get_str(l, "subject"), json_get_num(l, "p_bad"));
	else
		printf("p_bad leader: none yet\n");
	printf("estimated rounds left: %.0f (log%lld+1 of the range, and the confirmation)\n",
	       json_get_num(st, "rounds_left"), k);
	print_duration("time per round so far", json_get_num(st, "seconds_per_round"));
	print_duration("estimated time left", json_get_num(st, "seconds_left"));
}

/* The figures of a manual bisection, into st. */
static int status_manual(const char *results, json_t *st)
{
	struct bisect b;
	size_t nskip = 0, left;
	int done, steps, torn;
	long x;
	char *jpath;
	struct jstat js = { 0, 0, 0, NAN, NAN, 0, 1 };

	if (open_current(&b, results, 0)) {
		bisect_release(&b);
		return -1;
	}
	jpath = xasprintf("%s/journal.ndjson", b.dir);
	journal_read(jpath, jstat_line, &js, &torn);
	free(jpath);
	for (size_t i = 0; b.skips && b.skips[i]; i++)
		if (revs_find(&b.revs, b.skips[i]) >= 0)
			nskip++;
	x = bisect_manual_next(&b, &done);
	steps = bisect_manual_estimate(&b, &left);
	json_set_str(st, "kind", "manual");
	json_set_str(st, "repo", b.repo);
	json_set(st, "first_parent", json_boolean(b.revs.first_parent));
	json_set_int(st, "range_left", (long long)b.revs.n);
	json_set_int(st, "skipped", (long long)nskip);
	json_set_str(st, "bad", b.bad);
	json_set_int(st, "goods", (long long)b.revs.ngoods);
	json_set_int(st, "steps", b.steps);
	json_set_int(st, "steps_left", done ? 0 : steps + 1);
	json_set_str(st, "status", done == 1 ? "found" : done == 2 ? "only-skips" : "testing");
	if (done == 1)
		json_set(st, "first_bad", commit_json(&b.revs.commits[b.revs.n - 1]));
	else if (!done)
		json_set(st, "to_test", commit_json(&b.revs.commits[x]));
	json_set_num(st, "seconds_per_step",
		     js.ntimes >= 2 && b.steps ? (js.t1 - js.t0) / b.steps : NAN);
	bisect_release(&b);
	return 0;
}

static void print_manual(const json_t *st)
{
	const json_t *c;
	const char *status = json_get_str(st, "status");

	printf("kind: manual, repository %s%s\n", json_get_str(st, "repo"),
	       json_is_true(json_object_get(st, "first_parent")) ? " (first parent)" : "");
	printf("range left: %.0f commits (%.0f skipped), bad %.12s, %.0f good\n",
	       json_get_num(st, "range_left"), json_get_num(st, "skipped"),
	       json_get_str(st, "bad"), json_get_num(st, "goods"));
	printf("steps done: %.0f\n", json_get_num(st, "steps"));
	printf("estimated steps left: %.0f (log2 of the range)\n", json_get_num(st, "steps_left"));
	if (!strcmp(status, "found") && (c = json_object_get(st, "first_bad")))
		printf("first bad commit: %s %s\n", json_get_str(c, "commit"),
		       json_get_str(c, "subject"));
	else if (!strcmp(status, "only-skips"))
		printf("only skipped commits are left to test: no single answer\n");
	else if ((c = json_object_get(st, "to_test")))
		printf("to test: %s %s\n", json_get_str(c, "commit"), json_get_str(c, "subject"));
	if (isfinite(json_get_num(st, "seconds_per_step")))
		print_duration("time per step so far", json_get_num(st, "seconds_per_step"));
}

int cmd_bisect_status(int argc, char **argv)
{
	struct man_cli o = { 0 };
	char *pos[1], *dir = NULL, *id;
	json_t *st = NULL;
	int manual = 0, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		help_usage(stdout, &help_bisect_status);
		return EXIT_OK;
	}
	opt_defaults(status_table, &o);
	if (parse(status_table, &o, argc, argv, pos, 0) < 0)
		goto out;
	ret = EXIT_FAIL;
	if (!(dir = current_dir(o.results, &manual)))
		goto out;
	id = strrchr(dir, '/') + 1;
	st = json_object();
	json_set_str(st, "bisection", id);
	if (manual ? status_manual(o.results, st) : status_auto(dir, st))
		goto out;
	ret = EXIT_OK;
	if (o.json) {
		char *text = json_dump_pretty(st);

		puts(text);
		free(text);
		goto out;
	}
	printf("bisection: %s\n", id);
	if (manual)
		print_manual(st);
	else
		print_auto(st);
out:
	json_decref(st);
	free(dir);
	opt_release(status_table, &o);
	return ret;
}

/* --- log ------------------------------------------------------------- */

static const char *short_id(const json_t *ev, const char *key)
{
	const char *id = json_get_str(ev, key);

	return id ? id : "-";
}

static void print_value(double v)
{
	if (isfinite(v))
		printf("%.6g", v);
	else
		printf("null");
}

static int log_line(const json_t *ev, unsigned long lineno, void *data)
{
	const int *as_json = data;
	const char *type = json_get_str(ev, "ev");
	const json_t *a;

	(void)lineno;
	if (*as_json) {
		char *s = json_dump_compact(ev);

		printf("%s\n", s);
		free(s);
		return 0;
	}
	if (!strcmp(type, "start")) {
		a = json_get(ev, "goods");
		printf("start: bad %s, %zu commits%s", short_id(ev, "bad"),
		       json_array_size(json_get(ev, "commits")),
		       json_get_num(ev, "first_parent") == 1 ? ", first parent" : "");
		for (size_t i = 0; i < json_array_size(a); i++)
			printf(", good %s", json_string_value(json_array_get(a, i)) ?
			       json_string_value(json_array_get(a, i)) : "-");
		if (json_get_str(ev, "metric"))
			printf(", metric %s", json_get_str(ev, "metric"));
		printf("\n");
	} else if (!strcmp(type, "round")) {
		a = json_get(ev, "requests");
		printf("round %.0f:", json_get_num(ev, "round"));
		for (size_t i = 0; i < json_array_size(a); i++) {
			const json_t *q = json_array_get(a, i);

			printf("%s %s %.12s x%.0f", i ? " |" : "",
			       json_get_str(q, "why") ? json_get_str(q, "why") : "?",
			       short_id(q, "id"), json_get_num(q, "runs"));
		}
		printf("\n");
	} else if (!strcmp(type, "measurement")) {
		printf("  measured %.12s = ", short_id(ev, "id"));
		print_value(json_get_num(ev, "value"));
		printf(" (run %s)\n", json_get_str(ev, "run") ? json_get_str(ev, "run") : "-");
	} else if (!strcmp(type, "unbuildable")) {
		printf("  unbuildable %.12s (skipped)\n", short_id(ev, "id"));
	} else if (!strcmp(type, "verdict")) {
		printf("  verdict %.12s %s (p_bad ", short_id(ev, "id"),
		       json_get_str(ev, "verdict") ? json_get_str(ev, "verdict") : "?");
		print_value(json_get_num(ev, "p_bad"));
		printf(")\n");
	} else if (!strcmp(type, "mark")) {
		printf("%s %s\n", json_get_str(ev, "verdict") ? json_get_str(ev, "verdict") : "?",
		       short_id(ev, "id"));
	} else if (!strcmp(type, "result")) {
		const char *c = json_get_str(ev, "culprit_id");

		printf("result: %s", json_get_str(ev, "status") ? json_get_str(ev, "status") : "?");
		if (c)
			printf(", first bad commit %s", c);
		a = json_get(ev, "suspects");
		for (size_t i = 0; i < json_array_size(a); i++)
			printf("%s%.12s", i ? " " : ", one of ",
			       json_string_value(json_array_get(a, i)) ?
			       json_string_value(json_array_get(a, i)) : "-");
		if (json_get_str(ev, "reason"))
			printf(" (%s)", json_get_str(ev, "reason"));
		printf("\n");
	}
	return 0;
}

int cmd_bisect_log(int argc, char **argv)
{
	struct man_cli o = { 0 };
	char *pos[1], *dir = NULL, *jpath = NULL;
	int manual = 0, torn = 0, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		help_usage(stdout, &help_bisect_log);
		return EXIT_OK;
	}
	opt_defaults(log_table, &o);
	if (parse(log_table, &o, argc, argv, pos, 0) < 0)
		goto out;
	ret = EXIT_FAIL;
	if (!(dir = current_dir(o.results, &manual)))
		goto out;
	jpath = xasprintf("%s/journal.ndjson", dir);
	if (!journal_read(jpath, log_line, &o.json, &torn))
		ret = EXIT_OK;
	if (torn)
		warning("'%s': the last line is torn (a crash while writing it)", jpath);
out:
	free(jpath);
	free(dir);
	opt_release(log_table, &o);
	return ret;
}

/* --- replay ---------------------------------------------------------- */

struct rplan {
	const char *path;
	json_t *start;		/* the start line (a reference) */
	json_t *marks;		/* array of mark lines */
	char *repo;		/* from the first mark that names one */
	unsigned rounds;
};

static int rplan_line(const json_t *ev, unsigned long lineno, void *data)
{
	struct rplan *p = data;
	const char *type = json_get_str(ev, "ev");

	if (!strcmp(type, "start")) {
		if (p->start)
			return error("%s:%lu: a second start line", p->path, lineno);
		p->start = json_incref((json_t *)ev);
	} else if (!strcmp(type, "round")) {
		p->rounds++;
	} else if (!strcmp(type, "mark")) {
		const char *v = json_get_str(ev, "verdict"), *id = json_get_str(ev, "id");

		if (!v || !id || (strcmp(v, "good") && strcmp(v, "bad") && strcmp(v, "skip")))
			return error("%s:%lu: a damaged mark line (verdict '%s', id '%s')", p->path,
				     lineno, v ? v : "(none)", id ? id : "(none)");
		if (!p->repo && json_get_str(ev, "repo"))
			p->repo = xstrdup(json_get_str(ev, "repo"));
		json_array_append(p->marks, (json_t *)ev);
	}
	return 0;
}

/* The state.json beside a journal file, if any. */
static json_t *state_beside(const char *file)
{
	const char *slash = strrchr(file, '/');
	char *path = slash ? xasprintf("%.*s/state.json", (int)(slash - file), file) :
		     xstrdup("state.json");
	json_t *s = path_exists(path) ? json_load_file(path, 0, NULL) : NULL;

	free(path);
	return s;
}

static enum bisect_verdict verdict_of(const char *name)
{
	return !strcmp(name, "good") ? VERDICT_GOOD : !strcmp(name, "bad") ? VERDICT_BAD :
	       VERDICT_SKIP;
}

static int replay_manual(struct rplan *p, const char *results, const char *repo,
			 const json_t *state)
{
	struct bisect_opts bo = { 0 };
	struct bisect b;
	const json_t *goods = json_get(p->start, "goods");
	char **gv = xcalloc(json_array_size(goods) + 1, sizeof(*gv));
	int ret = EXIT_FAIL;

	for (size_t i = 0; i < json_array_size(goods); i++)
		gv[i] = (char *)json_string_value(json_array_get(goods, i));
	bo.results = results;
	bo.repo = repo;
	bo.bad = json_get_str(p->start, "bad");
	bo.goods = gv;
	bo.ngoods = json_array_size(goods);
	bo.first_parent = json_get_num(p->start, "first_parent") == 1;
	bo.metric = json_get_str(p->start, "metric");
	bo.job = state ? json_get_str(state, "job") : NULL;
	engine_config_init(&bo.engine, 0);
	if (!bo.bad || !json_is_string_list(goods) || !bo.ngoods) {
		error("'%s': the start line has no bad or good commits", p->path);
	} else if (memset(&b, 0, sizeof(b)), !mkdir_p(results) && !bisect_create(&b, &bo, 0)) {
		size_t i;

		for (i = 0; i < json_array_size(p->marks); i++) {
			const json_t *m = json_array_get(p->marks, i);

			if (bisect_manual(&b, verdict_of(json_get_str(m, "verdict")),
					  json_get_str(m, "id")))
				break;
		}
		if (i == json_array_size(p->marks)) {
			printf("replayed %zu verdict%s into %s\n", i, i == 1 ? "" : "s", b.dir);
			ret = print_next(&b);
		}
		bisect_release(&b);
	} else {
		bisect_release(&b);
	}
	free(gv);
	return ret;
}

int cmd_bisect_replay(int argc, char **argv)
{
	struct man_cli o = { 0 };
	struct rplan p = { 0 };
	struct bisect b;
	char *pos[1] = { NULL };
	const char *repo;
	json_t *state = NULL;
	int n, torn, manual, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		help_usage(stdout, &help_bisect_replay);
		return EXIT_OK;
	}
	memset(&b, 0, sizeof(b));
	opt_defaults(replay_table, &o);
	if ((n = parse(replay_table, &o, argc, argv, pos, 1)) < 0)
		goto out;
	if (n != 1) {
		error("bisect replay needs the journal FILE");
		goto out;
	}
	ret = EXIT_FAIL;
	p.path = pos[0];
	p.marks = json_array();
	if (journal_read(p.path, rplan_line, &p, &torn))
		goto out;
	if (!p.start) {
		error("'%s': no start line: not a bisection journal", p.path);
		goto out;
	}
	state = state_beside(p.path);
	repo = o.repo ? o.repo : p.repo ? p.repo : state ? json_get_str(state, "repo") : NULL;
	manual = json_array_size(p.marks) || (!p.rounds && state &&
					       json_is_true(json_object_get(state, "manual")));
	if (!repo) {
		error("'%s': the journal names no repository: give --repo", p.path);
		goto out;
	}
	if (manual) {
		ret = replay_manual(&p, o.results, repo, state);
		goto out;
	}
	if (mkdir_p(o.results) ||
	    bisect_import(&b, o.results, p.path, repo, json_get_str(p.start, "metric"),
			  state ? json_get_str(state, "job") : NULL)) {
		bisect_release(&b);
		goto out;
	}
	{
		const char *slash = strrchr(p.path, '/');
		char *ctx = slash ? xasprintf("%.*s/context.json", (int)(slash - p.path), p.path) :
			    xstrdup("context.json");
		char *to = xasprintf("%s/context.json", b.dir);
		size_t len;
		char *text = path_exists(ctx) ? read_file(ctx, 0, &len) : NULL;

		if (text && write_file_atomic(to, text, len, 0))
			warning("cannot copy '%s' to '%s'", ctx, to);
		printf("replayed %u round%s into %s\n", engine_round(b.engine),
		       engine_round(b.engine) == 1 ? "" : "s", b.dir);
		printf("continue with: perflab bisect resume%s\n",
		       text && !strcmp(o.results, DEFAULT_RESULTS) ? "" : " --job FILE");
		free(text);
		free(to);
		free(ctx);
	}
	bisect_release(&b);
	ret = EXIT_OK;
out:
	json_decref(state);
	json_decref(p.start);
	json_decref(p.marks);
	free(p.repo);
	opt_release(replay_table, &o);
	return ret;
}

/* --- reset ----------------------------------------------------------- */

int cmd_bisect_reset(int argc, char **argv)
{
	struct man_cli o = { 0 };
	char *pos[1], *id;
	int ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		help_usage(stdout, &help_bisect_reset);
		return EXIT_OK;
	}
	opt_defaults(state_table, &o);
	if (parse(state_table, &o, argc, argv, pos, 0) < 0)
		goto out;
	ret = EXIT_FAIL;
	id = bisect_current(o.results);
	if (!id && errno == ENOENT) {
		printf("We are not bisecting.\n");
		ret = EXIT_OK;
	} else if (!bisect_reset(o.results)) {
		printf("left bisection %s (kept in %s/bisect/%s)\n", id ? id : "(unreadable)",
		       o.results, id ? id : "");
		ret = EXIT_OK;
	}
	free(id);
out:
	opt_release(state_table, &o);
	return ret;
}
