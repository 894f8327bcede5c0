/*
 * perflab nightly --job F: the merge-cycle check. Resolve the tip of the
 * job's branch, build it, and measure it against the last good night's
 * commit, the two interleaved (ABBA) on the same lab, look after look
 * (5, 10, 20, 40 runs per side) until the gated metrics are decided.
 * Then look for change points over the nights, record the night in the
 * history, and on BAD name the range to bisect.
 *
 * Exit status, for cron or a CI job: 0 GOOD (or the first, baseline
 * night), 1 BAD, 2 INCONCLUSIVE at the budget, 125 the tip does not
 * build (a skip), 128 nothing could be measured.
 */
#include "harness/builtin.h"
#include "reports/junit.h"
#include "lab/build.h"
#include "store/history.h"
#include "verdict/changepoint.h"
#include "lab/jobsetup.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/progress.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <dirent.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct nightly_cli {
	char *job;
	char *hosts;
	char *commit;
	char *date;
	char *looks;
	long baseline_runs;
	int bisect;
	char *bisect_hosts;
	int json;
	char *junit;
};

#define C(name, sh, type, field, lo, hi, def, argh, help) \
	{ name, sh, type, offsetof(struct nightly_cli, field), lo, hi, NULL, def, argh, help }

static const struct opt nightly_table[] = {
	C("job", 'j', OPT_STRING, job, 0, 0, NULL, "FILE", "the job (required; it needs a [source])"),
	C("hosts", 'H', OPT_STRING, hosts, 0, 0, NULL, "FILE", "the lab (default: this machine)"),
	C("commit", 0, OPT_STRING, commit, 0, 0, NULL, "REV",
	  "measure REV instead of the branch tip (a rerun of an old night)"),
	C("date", 0, OPT_STRING, date, 0, 0, NULL, "YYYY-MM-DD", "the night (default: today, UTC)"),
	C("looks", 0, OPT_STRING, looks, 0, 0, "5,10,20,40", "N,N,...",
	  "runs per side at each look; the last is the budget"),
	C("baseline-runs", 0, OPT_INT, baseline_runs, 2, 1000, "5", "N",
	  "runs of the first night, which has nothing to compare with"),
	C("bisect", 0, OPT_BOOL, bisect, 0, 0, "yes", NULL,
	  "on BAD, bisect the range at once (perflab bisect run); --no-bisect: only say how"),
	C("bisect-hosts", 0, OPT_STRING, bisect_hosts, 0, 0, NULL, "FILE",
	  "the lab the bisection runs on (default: --hosts), e.g. one with more DUTs"),
	C("json", 'J', OPT_BOOL, json, 0, 0, "no", NULL, "print the night's record as JSON"),
	C("junit", 0, OPT_STRING, junit, 0, 0, NULL, "FILE",
	  "also write JUnit XML: a test case per gated metric (BAD a failure, INCONCLUSIVE "
	  "skipped), or one for a night that could not be compared"),
	OPT_END_ROW
};

const struct cmd_help help_nightly = {
	"nightly", "perflab nightly --job F [--hosts H] [OPTIONS]",
	"Build the tip of the job's branch and measure it against the last good\n"
	"night, interleaved, until the gated metrics are decided; record the night\n"
	"in RESULTS/.history.sqlite and look for change points over the nights.\n"
	"Exit status: 0 good (or the first night), 1 bad, 2 inconclusive,\n"
	"125 the tip does not build, 128 nothing could be measured, 129 usage.\n\n"
	"A cron line:\n\n"
	"    0 2 * * *  cd /srv/lab && perflab nightly --job net.job --hosts lab.hosts",
	{ { NULL, nightly_table } },
};

static void usage(FILE *f)
{
	help_usage(f, &help_nightly);
}

/* The runs of one night: the two sides' run directories. */
struct night_runs {
	char **a, **b;		/* baseline (last good), candidate (tip) */
	size_t na, nb, alloc_a, alloc_b;
	size_t failed;
};

static void push_dir(char ***v, size_t *n, size_t *alloc, char *dir)
{
	ALLOC_GROW(*v, *n + 1, *alloc);
	(*v)[(*n)++] = dir;
}

static void night_runs_release(struct night_runs *r)
{
	for (size_t i = 0; i < r->na; i++)
		free(r->a[i]);
	for (size_t i = 0; i < r->nb; i++)
		free(r->b[i]);
	free(r->a);
	free(r->b);
}

static int parse_looks(struct stats_looks *out, const char *text)
{
	unsigned runs[STATS_MAX_LOOKS];
	size_t n = 0;
	const char *p = text;

	while (*p) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (end == p || v < 2 || v > 1000 || n == STATS_MAX_LOOKS ||
		    (*end && *end != ','))
			return error("--looks '%s': expected up to %d increasing run counts "
				     "(2 to 1000) separated by commas", text, STATS_MAX_LOOKS);
		runs[n++] = (unsigned)v;
		p = *end ? end + 1 : end;
	}
	if (!n)
		return error("--looks '%s': no run counts", text);
	return stats_looks_init(out, STATS_ALPHA_DEFAULT, runs, n);
}

static int valid_date(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%d", &tm);

	return end && !*end && strlen(s) == 10;
}

/*
 * One run of rev on side. Returns the run's status; a complete or
 * failed run's directory is kept in the side's list.
 */
static enum run_status measure_one(struct session *s, struct night_runs *r, const char *rev,
				   int side_b)
{
	char *dir = NULL;
	enum run_status st = session_measure(s, rev, side_b ? "B" : "A", 0, &dir);

	if (st == RUN_COMPLETE) {
		if (side_b)
			push_dir(&r->b, &r->nb, &r->alloc_b, dir);
		else
			push_dir(&r->a, &r->na, &r->alloc_a, dir);
		return st;
	}
	r->failed++;
	free(dir);
	return st;
}

/*
 * Runs in ABBA order until each side has n complete runs: pair p runs
 * A then B when even, B then A when odd, so that a drift in the lab
 * weighs on both sides alike and each switch costs one deploy. Too many
 * failed runs (as many as were asked for) stop it.
 */
static enum run_status measure_to(struct session *s, struct night_runs *r, const char *good,
				  const char *tip, size_t n)
{
	size_t budget_failures = n;

	while (r->na < n || r->nb < n) {
		int b_first = (r->na + r->nb) / 2 % 2;

		for (int k = 0; k < 2; k++) {
			int side_b = b_first ? k == 0 : k == 1;
			enum run_status st;

			if ((side_b && r->nb >= n) || (!side_b && r->na >= n))
				continue;
			st = measure_one(s, r, side_b ? tip : good, side_b);
			if (st == RUN_SKIPPED || st == RUN_ABORTED)
				return st;
			if (r->failed >= budget_failures) {
				error("%zu runs failed: the lab cannot measure this night", r->failed);
				return RUN_FAILED;
			}
		}
		progress("nightly: %zu of %zu runs per side (%zu failed)",
			 r->na < r->nb ? r->na : r->nb, n, r->failed);
	}
	return RUN_COMPLETE;
}

/* The median of each gated metric over some runs (null when none has it). */
static json_t *medians_json(const struct job_setup *js, char *const *dirs, size_t n)
{
	json_t *o = json_object();
	struct run_set set = { 0 };
	int have = n && !run_set_from_dirs(&set, "night", dirs, n);

	if (n && !have)
		run_set_release(&set);

	for (size_t g = 0; g < js->ngates; g++) {
		double m = NAN;

		if (have && set.n) {
			double *v = run_set_values(&set, js->gates[g].m->key);

			m = stats_median(v, set.n);
			free(v);
		}
		json_set_num(o, js->gates[g].m->name, m);
	}
	if (have)
		run_set_release(&set);
	return o;
}

struct night {
	struct lease_set *leases;	/* the lab, held for the night */
	struct nightly_cli *cli;
	struct job_setup *js;
	struct history *h;
	struct session s;
	char series[96];
	char date[16];
	char tip[65];
	char *subject;
	struct history_night last;	/* the last good night, if any */
	int have_last;
	struct night_runs r;
	struct stats_looks looks;
	json_t *summary;
	const char *verdict;
	int exit;
};

static void short_id(char out[13], const char *id)
{
	snprintf(out, 13, "%.12s", id ? id : "?");
}

/*
 * Does RESULTS/name hold a complete run of this night (kind nightly,
 * its series, side and commit)? Only run.json is read, quietly: a
 * damaged or foreign directory is simply not one.
 */
static int night_run_side(const char *results, const char *name, const char *series,
			  const char *tip, const char *good)
{
	char *path = xasprintf("%s/%s/run.json", results, name);
	json_t *m = json_load_file(path, 0, NULL);
	const char *kind = json_get_str(m, "kind"), *ser = json_get_str(m, "series");
	const char *status = json_get_str(m, "status"), *side = json_get_str(m, "side");
	const char *commit = json_get_str(m, "commit");
	int ret = -1;

	if (m && kind && ser && status && side && commit && !strcmp(kind, "nightly") &&
	    !strcmp(ser, series) && !strcmp(status, "complete")) {
		if (!strcmp(side, "B") && !strcmp(commit, tip))
			ret = 1;
		else if (!strcmp(side, "A") && good && strcmp(good, tip) && !strcmp(commit, good))
			ret = 0;
	}
	json_decref(m);
	free(path);
	return ret;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A night measured before (its perflab killed, or run again for the
 * same date): the complete runs it left of its job, series, tip and
 * baseline count, oldest first, and are not measured again. A run
 * finished but not indexed (killed between the two) is indexed now.
 */
static void resume_runs(struct night *n)
{
	const char *results = n->js->run.results;
	const char *good = n->have_last ? n->last.commit : NULL;
	DIR *d = opendir(results);
	struct dirent *de;
	char **names = NULL;
	size_t nr = 0, alloc = 0;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;	/* .tmp-, .incomplete-: never a run */
		ALLOC_GROW(names, nr + 1, alloc);
		names[nr++] = xstrdup(de->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, nr, sizeof(*names), cmp_name);	/* run ids begin with their time */
	for (size_t i = 0; i < nr; i++) {
		int side = night_run_side(results, names[i], n->series, n->tip, good);
		struct history_run r = { 0 };
		char *dir;

		if (side < 0)
			goto next;
		/* the series names the date and tip; the job is the command's */
		if (history_run_read(&r, results, names[i]) || !r.job ||
		    strcmp(r.job_name ? r.job_name : "", n->js->name ? n->js->name : "")) {
			history_run_release(&r);
			goto next;
		}
		history_run_release(&r);
		dir = xasprintf("%s/%s", results, names[i]);
		history_add_run(n->h, dir);
		if (side)
			push_dir(&n->r.b, &n->r.nb, &n->r.alloc_b, dir);
		else
			push_dir(&n->r.a, &n->r.na, &n->r.alloc_a, dir);
next:
		free(names[i]);
	}
	free(names);
	if (n->r.na || n->r.nb)
		printf("resuming the night: %zu runs of the tip and %zu of the last good commit "
		       "were measured already\n", n->r.nb, n->r.na);
}

/* Resolve and build the tip. 0, or the night is over (n->exit set). */
static int resolve_tip(struct night *n)
{
	struct build_result b;
	int ret = build_at(&b, &n->js->job.source, n->cli->commit, 0);
	char id[13];

	if (ret < 0) {
		error("cannot resolve %s of '%s'", n->cli->commit ? n->cli->commit : "the branch tip",
		      n->js->job.source.repo);
		n->exit = EXIT_FATAL;
		return -1;
	}
	snprintf(n->tip, sizeof(n->tip), "%s", b.commit);
	n->subject = xstrdup(b.subject ? b.subject : "");
	short_id(id, n->tip);
	printf("tip: %s %s\n", id, n->subject);
	if (b.failed) {
		printf("the tip does not build (%s); build log: %s\n", b.reason ? b.reason : "failed",
		       b.log ? b.log : "(none)");
		n->verdict = "SKIPPED";
		n->exit = EXIT_SKIP;
		json_set_str(n->summary, "reason", "the tip does not build");
		json_set_str(n->summary, "build_log", b.log);
	}
	build_result_release(&b);
	return n->verdict ? -1 : 0;
}

/* The first night, or nothing changed: measure the tip alone. */
static void baseline(struct night *n, const char *why)
{
	enum run_status st = RUN_COMPLETE;

	printf("%s: measuring the tip alone, %ld runs\n", why, n->cli->baseline_runs);
	while (n->r.nb < (size_t)n->cli->baseline_runs && st != RUN_SKIPPED && st != RUN_ABORTED &&
	       n->r.failed < (size_t)n->cli->baseline_runs) {
		st = measure_one(&n->s, &n->r, n->tip, 1);
		progress("nightly: %zu of %ld runs", n->r.nb, n->cli->baseline_runs);
	}
	if (n->r.nb < 2) {
		error("only %zu runs of the tip completed", n->r.nb);
		n->verdict = "FAILED";
		n->exit = EXIT_FATAL;
		return;
	}
	n->verdict = "GOOD";
	n->exit = EXIT_OK;
	json_set(n->summary, "baseline", json_true());
	json_set_str(n->summary, "reason", why);
}

static const char *outcome_verdict(enum stats_outcome o)
{
	return o == STATS_BAD ? "BAD" : o == STATS_GOOD ? "GOOD" : "INCONCLUSIVE";
}

/* ABBA against the last good night's commit, look after look. */
/*
 * Gated metrics that moved the better way by at least their threshold
 * (the whole interval beyond it): an improvement to explain or keep, and
 * the command that finds the commit that made it.
 */
static json_t *improvements(const struct night *n, const struct comparison *c)
{
	json_t *out = json_array();

	for (size_t i = 0; i < c->n; i++) {
		const struct metric_cmp *m = &c->v[i];
		double t = m->v.threshold, lo = m->lo, hi = m->hi;
		json_t *o;

		if (!m->gated || isnan(lo) || isnan(hi) || !m->m->worse)
			continue;
		/* better is the other way from the gate: below 1 - |t| or above 1 + |t| */
		if (!(m->m->worse > 0 ? hi < 1 - fabs(t) : lo > 1 + fabs(t)))
			continue;
		o = json_object();
		json_set_str(o, "metric", m->m->name);
		json_set_num(o, "ratio", m->ratio);
		json_set_num(o, "lo", lo);
		json_set_num(o, "hi", hi);
		printf("improvement: %s %+.1f%% [%+.1f%%, %+.1f%%] since %.12s; perflab bisect run "
		       "--improvement --old %s --new %s --metric %s finds the commit\n",
		       m->m->name, 100 * (m->ratio - 1), 100 * (lo - 1), 100 * (hi - 1),
		       n->last.commit, n->last.commit, n->tip, m->m->name);
		json_array_append_new(out, o);
	}
	return out;
}

static void against_last_good(struct night *n)
{
	const struct stats_looks looks = n->looks;
	struct comparison c = { 0 };
	struct run_set a = { 0 }, b = { 0 };
	int have = 0;
	char gid[13];

	short_id(gid, n->last.commit);
	printf("against the last good night: %s %s\n", gid, n->last.date);
	for (size_t i = 0; i < looks.n; i++) {
		enum run_status st = measure_to(&n->s, &n->r, n->last.commit, n->tip, looks.runs[i]);

		if (st != RUN_COMPLETE) {
			n->verdict = st == RUN_SKIPPED ? "SKIPPED" : "FAILED";
			n->exit = st == RUN_SKIPPED ? EXIT_SKIP : EXIT_FATAL;
			if (st == RUN_SKIPPED)
				error("the last good commit %s does not build any more", gid);
			goto out;
		}
		if (have) {
			comparison_release(&c);
			run_set_release(&a);
			run_set_release(&b);
			have = 0;
		}
		/* at look i, its runs: a resumed night may hold more than were due */
		if (run_set_from_dirs(&a, n->last.commit, n->r.a, n->r.na < looks.runs[i] ?
				      n->r.na : looks.runs[i]) ||
		    run_set_from_dirs(&b, n->tip, n->r.b, n->r.nb < looks.runs[i] ?
				      n->r.nb : looks.runs[i]) ||
		    compare_sets(&c, &a, &b, n->js->gates, n->js->ngates, looks.alpha[i])) {
			n->verdict = "FAILED";
			n->exit = EXIT_FATAL;
			goto out;
		}
		have = 1;
		printf("look %zu: %u runs per side, alpha %.4f: %s\n", i + 1, looks.runs[i],
		       looks.alpha[i], outcome_verdict(c.outcome));
		fflush(stdout);
		if (c.outcome != STATS_INCONCLUSIVE)
			break;
	}
	if (!have)
		goto out;
	{
		struct strbuf sb = STRBUF_INIT;

		comparison_format(&sb, &c, &a, &b);
		fputs("\n", stdout);
		fputs(sb.buf, stdout);
		strbuf_release(&sb);
	}
	json_set(n->summary, "comparison", comparison_json(&c, &a, &b));
	json_set(n->summary, "baseline_medians", medians_json(n->js, n->r.a, n->r.na));
	json_set(n->summary, "improvements", improvements(n, &c));
	n->verdict = outcome_verdict(c.outcome);
	n->exit = c.outcome == STATS_GOOD ? EXIT_OK : c.outcome == STATS_BAD ? EXIT_FAIL
		: EXIT_INCONCLUSIVE;
out:
	if (have) {
		comparison_release(&c);
		run_set_release(&a);
		run_set_release(&b);
	}
}

static void tag_runs(struct night *n)
{
	json_t *runs = json_array();

	for (size_t i = 0; i < n->r.na; i++)
		json_array_append_new(runs, json_string(n->r.a[i]));
	json_set(n->summary, "baseline_runs", runs);
	runs = json_array();
	for (size_t i = 0; i < n->r.nb; i++)
		json_array_append_new(runs, json_string(n->r.b[i]));
	json_set(n->summary, "tip_runs", runs);
	json_set_int(n->summary, "failed_runs", (long long)n->r.failed);
	json_set_int(n->summary, "builds", n->s.builds);
	json_set_int(n->summary, "deploys", n->s.deploys);
}

static int record(struct night *n)
{
	struct history_night rec = { 0 };
	char *text;
	int ret;

	rec.job = n->js->job.path;
	rec.date = n->date;
	rec.commit = n->tip;
	rec.verdict = (char *)n->verdict;
	rec.series = n->series;
	if (!strcmp(n->verdict, "BAD")) {
		rec.range_good = n->last.commit;
		rec.range_bad = n->tip;
	} else if (!strcmp(n->verdict, "GOOD")) {
		rec.range_good = n->tip;
	}
	text = json_dumps(n->summary, JSON_COMPACT | JSON_SORT_KEYS);
	rec.summary = text;
	ret = history_record_night(n->h, &rec);
	free(text);
	return ret;
}

static void report_changes(const json_t *cps)
{
	size_t i;
	json_t *o;

	if (!json_array_size(cps)) {
		printf("change points over the nights: none\n");
		return;
	}
	json_array_foreach(cps, i, o) {
		char id[13];

		short_id(id, json_get_str(o, "commit"));
		printf("change point (for the %s): %s between %.12s and %s (%s), median %.4g -> "
		       "%.4g, p %.4f\n", json_get_str(o, "direction") ? json_get_str(o, "direction") :
		       "?", json_get_str(o, "metric"), json_get_str(o, "after"), id,
		       json_get_str(o, "date"), json_get_num(o, "before_median"),
		       json_get_num(o, "after_median"), json_get_num(o, "p"));
	}
}

/* The exact bisect command for the range; run it when asked to. */
static int bisect_range(struct night *n)
{
	const char *av[16];
	int k = 0, st;

	av[k++] = "perflab";
	av[k++] = "bisect";
	av[k++] = "run";
	av[k++] = "--job";
	av[k++] = n->js->job.path;
	if (n->cli->bisect_hosts || n->cli->hosts) {
		av[k++] = "--hosts";
		av[k++] = n->cli->bisect_hosts ? n->cli->bisect_hosts : n->cli->hosts;
	}
	av[k++] = "--good";
	av[k++] = n->last.commit;
	av[k++] = "--bad";
	av[k++] = n->tip;
	av[k] = NULL;
	printf("bisect the range with:\n   ");
	for (int i = 0; i < k; i++)
		printf(" %s", av[i]);
	printf("\n");
	fflush(stdout);
	if (!n->cli->bisect)
		return 0;
	{
		struct child c;
		struct spawn_opts so = SPAWN_OPTS_INIT;

		av[0] = self_exe();
		so.stdin_path = NULL;
		/* the night is measured: the bisection takes the lab (or a bigger one) itself */
		lease_release_all(n->leases);
		if (spawn_argv(&c, (char *const *)av, &so) || child_wait(&c, -1))
			return error("cannot start the bisection");
		st = child_exit_code(&c);
	}
	printf("the bisection ended with exit status %d\n", st);
	return st;
}

static int night_junit(struct night *n)
{
	char *suite = xasprintf("nightly.%s", n->date);
	const char *reason = json_get_str(n->summary, "reason");
	int ret = junit_write(n->cli->junit, suite, json_object_get(n->summary, "comparison"),
			      n->verdict, reason ? reason : n->verdict);

	free(suite);
	return ret;
}

/* A night that is not GOOD: the job's hook hears the verdict and the record. */
static void night_notify(struct night *n)
{
	json_t *o;

	if (!n->js->run.notify)
		return;
	o = json_object();
	json_set_str(o, "event", "night");
	json_set_str(o, "job", n->js->job.path);
	json_set_str(o, "date", n->date);
	json_set_str(o, "commit", n->tip);
	json_set_str(o, "verdict", n->verdict);
	json_set_int(o, "exit_code", n->exit);
	if (!strcmp(n->verdict, "BAD")) {
		json_set_str(o, "range_good", n->last.commit);
		json_set_str(o, "range_bad", n->tip);
	}
	json_set(o, "night", json_incref(n->summary));
	notify_run(n->js->run.notify, o);
	json_decref(o);
}

static int nightly(struct nightly_cli *cli, struct job_setup *js, char **argv,
		   struct lease_set *leases)
{
	struct night n = { .cli = cli, .js = js, .exit = EXIT_FATAL, .leases = leases };
	char id[13], t[40];
	int r;

	if (!js->job.has_source) {
		error("'%s' has no [source]: nightly builds the tip of a branch", js->job.path);
		return EXIT_USAGE;
	}
	if (cli->date && !valid_date(cli->date)) {
		error("--date '%s': expected YYYY-MM-DD", cli->date);
		return EXIT_USAGE;
	}
	if (parse_looks(&n.looks, cli->looks))
		return EXIT_USAGE;
	if (cli->date)
		snprintf(n.date, sizeof(n.date), "%s", cli->date);
	else
		snprintf(n.date, sizeof(n.date), "%.10s", fmt_time_utc(real_ns(), t, sizeof(t)));
	if (mkdir_p(js->run.results) || history_open(&n.h, js->run.results))
		return EXIT_FATAL;
	n.summary = json_object();
	if (resolve_tip(&n))
		goto decided;
	short_id(id, n.tip);
	snprintf(n.series, sizeof(n.series), "nightly %s %s", n.date, id);
	job_setup_session(&n.s, js, "nightly", n.series, argv);
	r = history_last_good_night(n.h, js->job.path, &n.last);
	n.have_last = !r;
	if (r && r != PERFLAB_ENOTFOUND)
		goto done;
	resume_runs(&n);
	if (!n.have_last)
		baseline(&n, "the first night of this job");
	else if (!strcmp(n.last.commit, n.tip))
		baseline(&n, "the tip is the last good night's commit");
	else
		against_last_good(&n);
decided:
	if (!n.verdict)
		goto done;
	if (n.tip[0]) {
		json_t *med = medians_json(js, n.r.b, n.r.nb);
		json_t *cps = night_change_points(n.h, js->job.path, js->gates, js->ngates, med, n.date, n.tip);

		json_set(n.summary, "medians", med);
		report_changes(cps);
		json_set(n.summary, "change_points", cps);
		tag_runs(&n);
		if (record(&n))
			n.exit = EXIT_FATAL;
	}
	printf("night %s: %s%s%s\n", n.date, n.verdict, n.tip[0] ? " at " : "",
	       n.tip[0] ? n.tip : "");
	progress_clear();
	if (cli->junit && night_junit(&n))
		n.exit = EXIT_FATAL;
	if (strcmp(n.verdict, "GOOD"))
		night_notify(&n);
	if (!strcmp(n.verdict, "BAD"))
		bisect_range(&n);
	if (cli->json) {
		char *s = json_dump_pretty(n.summary);

		puts(s);
		free(s);
	}
done:
	json_decref(n.summary);
	night_runs_release(&n.r);
	if (n.have_last)
		history_night_release(&n.last);
	free(n.subject);
	history_close(n.h);
	return n.exit;
}

int cmd_nightly(int argc, char **argv)
{
	struct lease_set leases = { 0 };
	struct nightly_cli cli = { 0 };
	struct job_setup js;
	struct optset pre[] = { { nightly_table, &cli }, { NULL, NULL } };
	int i, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(nightly_table, &cli);
	i = opt_parse(pre, argc, argv);
	if (i >= 0 && i < argc)
		error("unexpected argument '%s'", argv[i]);
	else if (i >= 0 && !cli.job)
		error("nightly needs '--job FILE'");
	else if (i >= 0 && !job_setup_load(&js, cli.job, cli.hosts) &&
		 !(ret = job_setup_lease(&js, &leases, "nightly")))
		ret = nightly(&cli, &js, argv, &leases);
	lease_release_all(&leases);
	if (i >= 0 && cli.job)
		job_setup_release(&js);
	opt_release(nightly_table, &cli);
	return ret;
}
