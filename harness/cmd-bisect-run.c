/*
 * perflab bisect run: the automatic hunt. The engine (bisect/engine.h)
 * says which commits to measure and how often; this file measures them
 * on the job's lab through a session (build, deploy when the DUT holds
 * another image, run), one DUT after another or, with several DUTs,
 * the probes of a round side by side, each DUT in its own process.
 * Every run is journaled as it lands, so `perflab bisect resume` after
 * kill -9 continues where it stopped and reaches the same culprit.
 *
 * perflab bisect run --one REV serves inside `git bisect run`: it
 * judges one commit against the good one and exits as git expects.
 */
#include "harness/builtin.h"
#include "lab/build.h"
#include "lab/jobsetup.h"
#include "lab/sched.h"
#include "bisect/bisect.h"
#include "bisect/result.h"
#include "store/rundir.h"
#include "verdict/fpdiff.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/progress.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>


struct brun_cli {
	char *job;
	char *hosts;
	char *bad;
	char *metric;
	double threshold;
	int first_parent;
	long duts;
	long max_runs;
	char *one;
	struct opt_list goods;
	int improvement;	/* hunt the commit that made the metric better */
	char *new_rev;		/* --new: --bad in git's old/new terms */
	struct opt_list olds;	/* --old: --good in git's old/new terms */
};

#define C(name, sh, type, field, lo, hi, def, argh, help) \
	{ name, sh, type, offsetof(struct brun_cli, field), lo, hi, NULL, def, argh, help }

static const struct opt brun_table[] = {
	C("job", 'j', OPT_STRING, job, 0, 0, NULL, "FILE", "the job: [source], [workload], lab (required)"),
	C("hosts", 'H', OPT_STRING, hosts, 0, 0, NULL, "FILE", "the lab (default: this machine)"),
	C("good", 0, OPT_LIST, goods, 0, 0, NULL, "REV", "a good commit (required; repeat for more)"),
	C("bad", 0, OPT_STRING, bad, 0, 0, NULL, "REV", "the bad commit (required)"),
	C("metric", 'm', OPT_STRING, metric, 0, 0, NULL, "NAME",
	  "the metric to bisect (default: cpu_per_gbit when gated, else the first gate)"),
	C("threshold", 0, OPT_PERCENT, threshold, -0.99, 10, NULL, "PCT",
	  "the change that matters, signed towards bad (default: the job's gate)"),
	C("first-parent", 0, OPT_BOOL, first_parent, 0, 0, "no", NULL,
	  "follow only the first parent of merges"),
	C("duts", 'k', OPT_INT, duts, 0, SCHED_MAX_DUTS, "0", "K",
	  "DUTs measured side by side, 0 = every DUT of the lab"),
	C("max-runs", 0, OPT_INT, max_runs, 0, 100000, "0", "N", "budget of runs, 0 = the engine's"),
	C("one", 0, OPT_STRING, one, 0, 0, NULL, "REV",
	  "judge REV alone against --good, for git bisect run: 0 good, 1 bad, 125 skip, 128 abort"),
	C("improvement", 0, OPT_BOOL, improvement, 0, 0, "no", NULL,
	  "hunt the commit that made the metric better (to backport a fix, or explain a win): "
	  "the threshold is signed towards better (cpu_per_gbit -20%)"),
	C("old", 0, OPT_LIST, olds, 0, 0, NULL, "REV", "git's term for --good: the old behaviour"),
	C("new", 0, OPT_STRING, new_rev, 0, 0, NULL, "REV", "git's term for --bad: the new behaviour"),
	OPT_END_ROW
};

const struct cmd_help help_bisect_run = {
	"bisect run", "perflab bisect run --job F [--hosts H] --good G [--good G2] --bad B [OPTIONS]\n"
	"perflab bisect run --job F [--hosts H] --good G --one REV",
	"Find the first bad commit by measurement: the endpoints are confirmed\n"
	"first, probes follow where they tell most, and the culprit is confirmed\n"
	"against its parent before it is named. Each run is journaled: after a\n"
	"crash, `perflab bisect resume` continues. Exit status: 0 a culprit (or a\n"
	"range next to unbuildable commits) named, 1 the regression did not\n"
	"reproduce, 2 inconclusive or out of budget, 128 the lab failed.\n"
	"With --one: 0 good, 1 bad, 125 cannot tell (skip), 128 abort, as\n"
	"git bisect run expects of its command. A finished bisection runs the\n"
	"job's [run] notify command with result.json on its standard input.\n"
	"--improvement hunts the other way, the commit that made the metric\n"
	"better: --old (or --good) is the old, slower commit, --new (or --bad)\n"
	"the new, faster one, and --threshold is signed towards better; with\n"
	"--one, 0 is the old behaviour and 1 the new one (git bisect start\n"
	"--term-old=slow --term-new=fast; git bisect run perflab bisect run\n"
	"--improvement --one HEAD ...).",
	{ { NULL, brun_table } },
};

const struct cmd_help help_bisect_resume = {
	"bisect resume", "perflab bisect resume [--hosts H]",
	"Continue the current bisection after a crash, a kill -9 or a reboot of\n"
	"the controller, from its journal, without repeating a finished run.\n"
	"The job and the range come from the bisection itself.",
	{ { NULL, brun_table } },
};

static void usage(FILE *f, int resume)
{
	help_usage(f, resume ? &help_bisect_resume : &help_bisect_run);
}

/* The gate a bisection follows: --metric, or the job's. */
static int pick_gate(struct gate *out, const struct job_setup *js, const struct brun_cli *cli)
{
	const struct metric_def *m = NULL;

	if (cli->metric && !(m = metric_find(cli->metric)))
		return error("--metric '%s': not a metric compare knows", cli->metric);
	if (!m) {
		for (size_t g = 0; g < js->ngates && !m; g++)
			if (!strcmp(js->gates[g].m->name, "cpu_per_gbit"))
				m = js->gates[g].m;
		if (!m && js->ngates)
			m = js->gates[0].m;
		if (!m)
			return error("the job has no gated metric: give --metric");
	}
	if (!m->worse)
		return error("metric '%s' has no bad direction to bisect", m->name);
	out->m = m;
	out->threshold = m->worse * 0.05;
	for (size_t g = 0; g < js->ngates; g++)
		if (js->gates[g].m == m)
			out->threshold = js->gates[g].threshold;
	/* an improvement hunt: the job's gate, turned towards better */
	if (cli->improvement)
		out->threshold = -out->threshold;
	if (cli->threshold != 0)
		out->threshold = cli->threshold;
	if (!cli->improvement && out->threshold * m->worse <= 0)
		return error("--threshold %+.1f%%: %s gets worse when it %s; to hunt the commit "
			     "that made it better, add --improvement", 100 * out->threshold, m->name,
			     m->worse > 0 ? "rises (give +PCT)" : "falls (give -PCT)");
	if (cli->improvement && out->threshold * m->worse >= 0)
		return error("--threshold %+.1f%% with --improvement: %s gets better when it %s",
			     100 * out->threshold, m->name,
			     m->worse > 0 ? "falls (give -PCT)" : "rises (give +PCT)");
	return 0;
}

/* git's old/new terms for good/bad: --old is --good, --new is --bad. */
static int take_terms(struct brun_cli *cli)
{
	if (cli->new_rev && cli->bad)
		return error("give --bad or --new, not both");
	if (cli->new_rev) {
		cli->bad = cli->new_rev;
		cli->new_rev = NULL;
	}
	for (size_t i = 0; i < cli->olds.nr; i++) {
		cli->goods.v = xrealloc(cli->goods.v, (cli->goods.nr + 2) * sizeof(char *));
		cli->goods.v[cli->goods.nr++] = cli->olds.v[i];
		cli->goods.v[cli->goods.nr] = NULL;
		cli->olds.v[i] = NULL;
	}
	cli->olds.nr = 0;
	return 0;
}

struct hunt {
	struct brun_cli *cli;
	struct job_setup *js;
	struct gate gate;
	struct bisect b;
	struct sched sc;	/* the DUTs */
	char **argv;
	double started;
	unsigned rounds_here;
	int aborted;
	long *unbuildable;	/* commits that did not build or boot */
	size_t nunbuildable;
	/* the endpoints' runs of this process, for the fingerprint diff */
	char **end_dirs[2];
	size_t n_end[2];
	int fp_shown;
	int resumed;		/* look for runs that landed as the last perflab died */
};

/* Commits found unbuildable or unbootable: their other runs are not measured. */
static int is_unbuildable(const struct hunt *h, long commit)
{
	for (size_t i = 0; i < h->nunbuildable; i++)
		if (h->unbuildable[i] == commit)
			return 1;
	return 0;
}

static void mark_unbuildable(struct hunt *h, long commit)
{
	if (is_unbuildable(h, commit))
		return;
	h->unbuildable = xrealloc(h->unbuildable, (h->nunbuildable + 1) * sizeof(long));
	h->unbuildable[h->nunbuildable++] = commit;
}

/* Did the run fail because the service under test did (run.json says so)? */
static int service_failed(enum run_status st, const char *dir)
{
	struct run_dir rd;
	int failed;

	if (st != RUN_FAILED || !dir)
		return 0;
	failed = !run_dir_read(&rd, dir) &&
		 json_is_true(json_object_get(rd.run, "workload_failed"));
	run_dir_release(&rd);
	return failed;
}

/*
 * With failed-runs = bad, a run whose service failed stands for a bad
 * one: it is journaled at the bad end's level (its median so far), or,
 * before that is known, twice the threshold worse than the good end's.
 * NaN (a failed run, which the engine skips) when neither is known.
 */
static double bad_stand_in(const struct hunt *h)
{
	struct engine_result res;
	double bad = NAN, good = NAN;

	if (!engine_result(h->b.engine, &res)) {
		bad = res.n ? res.commits[res.n - 1].median : NAN;
		good = res.good_end.median;
		engine_result_release(&res);
	}
	if (isfinite(bad) && isfinite(good) && (bad - good) * h->gate.m->worse > 0)
		return bad;
	return good * (1 + 2 * fabs(h->gate.threshold) * h->gate.m->worse);
}

/* A measured run lands: journal it and keep what the report needs. */
static int land(void *data, const struct sched_job *job, enum run_status st, const char *dir)
{
	struct hunt *h = data;
	long commit = job->tag;
	double v = st == RUN_COMPLETE ? run_dir_metric(dir, h->gate.m) : NAN;

	if (h->js->run.failed_runs == FAILED_BAD && service_failed(st, dir)) {
		v = bad_stand_in(h);
		printf("    %.12s: its service failed: counted as bad (failed-runs = bad)\n",
		       bisect_commit_id(&h->b, commit));
	}

	if (st == RUN_ABORTED) {
		h->aborted = 1;
		return error("the lab cannot measure %s: stopping (resume continues)",
			     bisect_commit_id(&h->b, commit));
	}
	if (is_unbuildable(h, commit))
		return 0;	/* the rest of a commit found unbootable this round: no value */
	if (st == RUN_SKIPPED) {
		mark_unbuildable(h, commit);
		return bisect_record_unbuildable(&h->b, commit);
	}
	if (st == RUN_COMPLETE && (commit == BISECT_GOOD_END ||
				   commit == (long)h->b.revs.n - 1)) {
		int side = commit != BISECT_GOOD_END;

		h->end_dirs[side] = xrealloc(h->end_dirs[side],
					     (h->n_end[side] + 1) * sizeof(char *));
		h->end_dirs[side][h->n_end[side]++] = xstrdup(dir);
	}
	return bisect_record_block(&h->b, commit, job->group, v, dir);
}

/*
 * The round's runs in the engine's order: lane by lane, each request's
 * runs back to back after a deploy of its own (the engine counts every
 * request as a boot), on the lane's DUT.
 */
static size_t plan(struct hunt *h, const struct engine_request *req, size_t n,
		   struct sched_job **out)
{
	size_t k = 0, total = 0;

	for (size_t i = 0; i < n; i++)
		total += req[i].runs;
	*out = xcalloc(total ? total : 1, sizeof(**out));
	for (size_t i = 0; i < n; i++)
		for (unsigned r = 0; r < req[i].runs; r++)
			(*out)[k++] = (struct sched_job){
				.rev = bisect_commit_id(&h->b, req[i].commit), .side = req[i].why,
				.tag = req[i].commit, .group = req[i].block,
				.share = (int)req[i].lane, .reboot = r == 0,
			};
	return k;
}

/*
 * After kill -9 a run may have finished (renamed into place) before its
 * perflab journaled it. Such a run of this bisection, of a commit and
 * side the round asks for, lands now instead of being measured again.
 * An aborted run is measured again: it measured nothing.
 */
static int adopt_landed(struct hunt *h, struct sched_job *jobs, size_t *njobs)
{
	const char *results = h->js->run.results;
	char *jpath = xasprintf("%s/journal.ndjson", h->b.dir);
	char *journal = read_file(jpath, 1u << 30, NULL);
	DIR *d = opendir(results);
	struct dirent *de;
	int ret = 0;

	while (d && (de = readdir(d)) && !ret) {
		char *path, *quoted;
		json_t *m;
		const char *kind, *series, *status, *side, *commit;
		enum run_status st;

		if (de->d_name[0] == '.')
			continue;
		quoted = xasprintf("/%s\"", de->d_name);
		if (journal && strstr(journal, quoted)) {
			free(quoted);
			continue;	/* journaled: the engine has it */
		}
		free(quoted);
		path = xasprintf("%s/%s/run.json", results, de->d_name);
		m = json_load_file(path, 0, NULL);
		free(path);
		kind = json_get_str(m, "kind");
		series = json_get_str(m, "series");
		status = json_get_str(m, "status");
		side = json_get_str(m, "side");
		commit = json_get_str(m, "commit");
		if (!m || !kind || !series || !status || !side || !commit ||
		    strcmp(kind, "bisect") || strcmp(series, h->b.id) ||
		    (strcmp(status, "complete") && strcmp(status, "failed"))) {
			json_decref(m);
			continue;
		}
		st = strcmp(status, "complete") ? RUN_FAILED : RUN_COMPLETE;
		for (size_t j = 0; j < *njobs; j++) {
			if (!jobs[j].rev || strcmp(jobs[j].rev, commit) || strcmp(jobs[j].side, side))
				continue;
			path = xasprintf("%s/%s", results, de->d_name);
			printf("    %.12s: run %s landed before the last perflab died: taken\n",
			       commit, de->d_name);
			ret = land(h, &jobs[j], st, path);
			free(path);
			/* the request keeps its own boot: its next run deploys anew */
			if (j + 1 < *njobs && jobs[j].reboot && jobs[j + 1].tag == jobs[j].tag &&
			    jobs[j + 1].group == jobs[j].group)
				jobs[j + 1].reboot = 1;
			memmove(&jobs[j], &jobs[j + 1], (*njobs - j - 1) * sizeof(*jobs));
			(*njobs)--;
			break;
		}
		json_decref(m);
	}
	if (d)
		closedir(d);
	free(journal);
	free(jpath);
	return ret;
}

/* Build every commit of the round once, before DUTs fetch images. */
static int prebuild(struct hunt *h, struct sched_job *jobs, size_t *njobs)
{
	for (size_t i = 0; i < *njobs; i++) {
		struct build_result br;
		long c = jobs[i].tag;
		int seen = 0;

		for (size_t j = 0; j < i; j++)
			seen |= jobs[j].tag == c;
		if (seen || is_unbuildable(h, c))
			continue;
		if (build_at(&br, &h->js->job.source, jobs[i].rev, 0) < 0) {
			h->aborted = 1;
			return error("cannot build %s", jobs[i].rev);
		}
		if (br.failed) {
			size_t k = 0;

			printf("    %.12s does not build (%s): skipped\n", jobs[i].rev,
			       br.reason ? br.reason : "failed");
			mark_unbuildable(h, c);
			if (bisect_record_unbuildable(&h->b, c))
				return -1;
			for (size_t j = 0; j < *njobs; j++)
				if (jobs[j].tag != c)
					jobs[k++] = jobs[j];
			*njobs = k;
			i--;
		}
		build_result_release(&br);
	}
	return 0;
}

static void show_fingerprints(struct hunt *h)
{
	struct run_set a, b;
	struct fp_diff d;
	struct strbuf sb = STRBUF_INIT;

	if (h->fp_shown || !h->n_end[0] || !h->n_end[1])
		return;
	h->fp_shown = 1;
	if (run_set_from_dirs(&a, "good", h->end_dirs[0], h->n_end[0]) ||
	    run_set_from_dirs(&b, "bad", h->end_dirs[1], h->n_end[1]) ||
	    !a.n || !b.n || !a.fps[0] || !b.fps[0]) {
		run_set_release(&a);
		run_set_release(&b);
		return;
	}
	fp_diff_compute(&d, a.fps[0], b.fps[0]);
	fp_diff_format(&sb, &d);
	printf("fingerprints of the endpoints (good -> bad):\n%s", sb.len ? sb.buf :
	       "    no difference: the environment does not explain it\n");
	fp_diff_release(&d);
	strbuf_release(&sb);
	run_set_release(&a);
	run_set_release(&b);
}

static void show_round(struct hunt *h, const struct engine_request *req, size_t n)
{
	struct engine_result res;
	size_t left = 0;
	double el = (double)(mono_ns() / 1000000) / 1000 - h->started;
	char per[32], eta[32];
	unsigned steps_left;

	printf("round %u:", engine_round(h->b.engine));
	for (size_t i = 0; i < n; i++) {
		long c = req[i].commit;

		printf("%s %.12s (%s, %u runs)", i ? " |" : "", bisect_commit_id(&h->b, c),
		       req[i].why, req[i].runs);
	}
	printf("\n");
	fflush(stdout);
	if (engine_result(h->b.engine, &res))
		return;
	/* commits still in doubt: neither surely good nor surely bad */
	for (size_t i = 0; i < res.n; i++)
		left += res.commits[i].verdict != VERDICT_SKIP &&
			(isnan(res.commits[i].p_bad) ||
			 (res.commits[i].p_bad > 0.005 && res.commits[i].p_bad < 0.995));
	steps_left = (unsigned)ceil(log((double)left + 1) / log((double)h->sc.n + 1)) + 1;
	progress("bisect: round %u, about %u more; %zu commits left; %s per round; about %s left",
		 engine_round(h->b.engine), steps_left, left,
		 progress_duration(h->rounds_here ? el / h->rounds_here : NAN, per, sizeof(per)),
		 progress_duration(h->rounds_here ? el / h->rounds_here * steps_left : NAN,
				   eta, sizeof(eta)));
	engine_result_release(&res);
}

static int exit_of(enum bisect_status s)
{
	switch (s) {
	case BISECT_CULPRIT:
	case BISECT_RANGE:
		return EXIT_OK;
	case BISECT_NOT_REPRODUCED:
		return EXIT_FAIL;
	default:
		return EXIT_INCONCLUSIVE;
	}
}

static void show_result(struct hunt *h, const struct engine_result *res)
{
	const struct bisect_revs *r = &h->b.revs;

	progress_clear();
	printf("\n%s: %s\n", bisect_status_name(res->status), res->reason);
	if (res->culprit >= 0)
		printf("%s: %s %s\n", h->cli->improvement ? "improvement" : "culprit",
		       r->commits[res->culprit].id, r->commits[res->culprit].subject);
	else if (res->lo >= 0)
		printf("range: %s .. %s\n", r->commits[res->lo].id, r->commits[res->hi].id);
	if (isfinite(res->ratio))
		printf("%s: %+.1f%% [%+.1f%%, %+.1f%%] against its parent, p %.2g\n",
		       h->gate.m->name, 100 * (res->ratio - 1), 100 * (res->ratio_lo - 1),
		       100 * (res->ratio_hi - 1), res->p);
	for (size_t i = 0; i < res->nskipped; i++)
		printf("skipped: %s %s\n", r->commits[res->skipped[i]].id,
		       r->commits[res->skipped[i]].subject);
	if (res->ground_moved)
		printf("the ground moved: the controls shifted %+.1f%% during the bisection "
		       "(p %.2f); every probe was judged against the control of its own block\n",
		       100 * res->ground_shift, res->p_ground);
	printf("confidence %.3f; %u runs in %u blocks (%u boots), %u builds, %u rounds; state: %s\n",
	       res->confidence, res->runs, res->blocks, res->boots, res->builds, res->rounds,
	       h->b.dir);
}

/*
 * BISECTDIR/context.json: the job, lab and gate the hunt measures with,
 * so that `perflab bisect resume` needs no arguments.
 */
#define CONTEXT "context.json"
#define DEFAULT_RESULTS "results"

static int save_context(struct hunt *h)
{
	json_t *o = json_object();
	char *path = xasprintf("%s/" CONTEXT, h->b.dir);
	char *job = path_absolute(h->cli->job);
	char *hosts = h->cli->hosts ? path_absolute(h->cli->hosts) : NULL;
	int ret;

	/* absolute: a resume may run from another directory */
	json_set_str(o, "job", job);
	json_set_str(o, "hosts", hosts);
	json_set_str(o, "metric", h->gate.m->name);
	json_set_num(o, "threshold", h->gate.threshold);
	json_set(o, "improvement", json_boolean(h->cli->improvement));
	json_set_int(o, "duts", (long long)h->sc.n);
	ret = json_write_file(path, o, 0);
	json_decref(o);
	free(path);
	free(job);
	free(hosts);
	return ret;
}

/* The context of the current bisection of results, into cli. */
static int load_context(struct brun_cli *cli, const char *results)
{
	char *cur = xasprintf("%s/bisect/CURRENT", results), *path = NULL;
	char *id = read_file(cur, 4096, NULL);
	json_t *o = NULL;
	int ret = -1;

	if (!id) {
		error("no bisection to resume in '%s' (give --job to look elsewhere)", results);
		goto out;
	}
	id[strcspn(id, "\n")] = '\0';
	path = xasprintf("%s/bisect/%s/" CONTEXT, results, id);
	if (!(o = json_load_file(path, 0, NULL))) {
		error("'%s': cannot read the bisection's context", path);
		goto out;
	}
	if (!json_get_str(o, "job")) {
		error("'%s': no job", path);
		goto out;
	}
	cli->job = xstrdup(json_get_str(o, "job"));
	if (!cli->hosts && json_get_str(o, "hosts"))
		cli->hosts = xstrdup(json_get_str(o, "hosts"));
	if (!cli->metric && json_get_str(o, "metric"))
		cli->metric = xstrdup(json_get_str(o, "metric"));
	if (cli->threshold == 0 && isfinite(json_get_num(o, "threshold")))
		cli->threshold = json_get_num(o, "threshold");
	if (!cli->duts)
		json_get_long(o, "duts", 1, 1024, &cli->duts);
	if (json_is_true(json_object_get(o, "improvement")))
		cli->improvement = 1;
	ret = 0;
out:
	json_decref(o);
	free(path);
	free(cur);
	free(id);
	return ret;
}

/* The round's runs on the DUTs, each journaled as it lands. */
static int measure(struct hunt *h, const struct sched_job *jobs, size_t njobs)
{
	int ret = sched_measure(&h->sc, jobs, njobs, land, h);

	return ret || h->aborted ? -1 : 0;
}

/* The job's hook, told the bisection's answer: its result.json. */
static void notify_bisection(struct hunt *h, int exit_code)
{
	char *path = xasprintf("%s/result.json", h->b.dir);
	json_t *o = json_object(), *res = json_load_file(path, 0, NULL);

	json_set_str(o, "event", "bisection");
	json_set_str(o, "bisection", h->b.id);
	json_set_str(o, "dir", h->b.dir);
	json_set_str(o, "job", h->js->job.path);
	json_set_int(o, "exit_code", exit_code);
	json_set(o, "result", res ? res : json_null());
	notify_run(h->js->run.notify, o);
	json_decref(o);
	free(path);
}

static int hunt(struct hunt *h)
{
	size_t max = ENGINE_MAX_REQUESTS(engine_get_config(h->b.engine));
	struct engine_request *req = xcalloc(max, sizeof(*req));
	struct engine_result res;
	int n, ret;

	h->started = (double)(mono_ns() / 1000000) / 1000;
	while ((n = bisect_next(&h->b, req, max)) > 0) {
		struct sched_job *jobs;
		size_t njobs = plan(h, req, (size_t)n, &jobs);

		show_round(h, req, (size_t)n);
		if (h->resumed && adopt_landed(h, jobs, &njobs)) {
			free(jobs);
			free(req);
			return EXIT_FATAL;
		}
		h->resumed = 0;
		if (prebuild(h, jobs, &njobs) || measure(h, jobs, njobs)) {
			free(jobs);
			free(req);
			return EXIT_FATAL;
		}
		free(jobs);
		h->rounds_here++;
		show_fingerprints(h);
	}
	free(req);
	if (n < 0 || bisect_finish(&h->b, &res))
		return EXIT_FATAL;
	show_result(h, &res);
	{
		struct bisect_files f = {
			.b = &h->b, .m = h->gate.m, .threshold = h->gate.threshold,
			.job = h->js->job.path, .hosts = h->cli->hosts,
			.improvement = h->cli->improvement,
		};

		ret = bisect_write_files(&f, &res) ? EXIT_FATAL : exit_of(res.status);
	}
	engine_result_release(&res);
	if (h->js->run.notify)
		notify_bisection(h, ret);
	return ret;
}

/* --one REV: one commit judged against the good one, git's way. */
static int judge_one(struct brun_cli *cli, struct job_setup *js, const struct gate *g,
		     char **argv)
{
	struct session s;
	struct stats_looks looks;
	double *va = NULL, *vb = NULL;
	size_t na = 0, nb = 0;
	int ret = EXIT_SKIP;

	if (cli->goods.nr != 1)
		return error("--one needs exactly one --good"), EXIT_FATAL;
	{
		/*
		 * Inside git bisect run, HEAD is the commit checked out in the
		 * user's repository: resolve it there, not in perflab's mirror.
		 */
		struct strbuf id = STRBUF_INIT;
		char *spec = xasprintf("%s^{commit}", cli->one);
		char *av[] = { "git", "-C", js->job.source.repo, "rev-parse", "--verify", "-q",
			       spec, NULL };

		if (!run_capture_err(av, 30, &id, "/dev/null") && id.len >= 40) {
			strbuf_rtrim(&id);
			free(cli->one);
			cli->one = strbuf_detach(&id, NULL);
		}
		strbuf_release(&id);
		free(spec);
	}
	stats_looks_default(&looks);
	job_setup_session(&s, js, "bisect", "bisect --one", argv);
	va = xcalloc(looks.runs[looks.n - 1], sizeof(double));
	vb = xcalloc(looks.runs[looks.n - 1], sizeof(double));
	for (size_t l = 0; l < looks.n; l++) {
		struct stats_verdict v;

		while (na < looks.runs[l] || nb < looks.runs[l]) {
			for (int side = 0; side < 2; side++) {
				char *dir = NULL;
				enum run_status st = session_measure(&s, side ? cli->one : cli->goods.v[0],
								     side ? "B" : "A", 0, &dir);

				if (st == RUN_ABORTED) {
					free(dir);
					ret = EXIT_FATAL;
					goto out;
				}
				if (st == RUN_SKIPPED) {
					free(dir);
					printf("%s does not build: skip\n", side ? cli->one : cli->goods.v[0]);
					ret = side ? EXIT_SKIP : EXIT_FATAL;
					goto out;
				}
				if (service_failed(st, dir)) {
					int bad = js->run.failed_runs == FAILED_BAD;

					free(dir);
					printf("%s: the service under test failed: %s\n",
					       side ? cli->one : cli->goods.v[0],
					       !side ? "the good commit cannot be measured" :
					       bad ? "bad (failed-runs = bad)" : "skip");
					ret = !side ? EXIT_FATAL : bad ? EXIT_FAIL : EXIT_SKIP;
					goto out;
				}
				if (side)
					vb[nb++] = run_dir_metric(dir, g->m);
				else
					va[na++] = run_dir_metric(dir, g->m);
				free(dir);
			}
		}
		if (stats_verdict(&v, va, na, vb, nb, g->threshold, looks.alpha[l]))
			goto out;
		printf("%s at %zu runs per side: %s (%s)\n", cli->one, na,
		       stats_outcome_name(v.outcome), v.reason);
		if (v.outcome != STATS_INCONCLUSIVE) {
			ret = v.outcome == STATS_GOOD ? EXIT_OK : EXIT_FAIL;
			break;
		}
	}
out:
	free(va);
	free(vb);
	return ret;
}

static int start(struct hunt *h, int resume)
{
	struct bisect_opts o = { 0 };
	int r;

	if (resume) {
		r = bisect_resume(&h->b, h->js->run.results);
		if (r == PERFLAB_ENOTFOUND)
			error("no bisection to resume in '%s'", h->js->run.results);
		if (!r && !h->b.engine) {
			error("the current bisection is a manual one: use good, bad or skip");
			return -1;
		}
		if (!r)
			printf("resuming %s\n", h->b.dir);
		return r ? -1 : 0;
	}
	if (!h->js->job.has_source)
		return error("'%s' has no [source]: a bisection builds commits", h->js->job.path);
	o.results = h->js->run.results;
	o.repo = h->js->job.source.repo;
	o.bad = h->cli->bad;
	o.goods = h->cli->goods.v;
	o.ngoods = h->cli->goods.nr;
	o.first_parent = h->cli->first_parent;
	o.metric = h->gate.m->name;
	o.job = h->js->job.path;
	engine_config_init(&o.engine, 0);
	/* the way the metric moves from the good (old) end to the bad (new) one */
	o.engine.direction = h->gate.threshold > 0 ? +1 : -1;
	o.engine.threshold = fabs(h->gate.threshold);
	o.engine.k = (unsigned)h->sc.n;
	if (h->cli->max_runs)
		o.engine.max_runs = (unsigned)h->cli->max_runs;
	if (mkdir_p(o.results) || bisect_create(&h->b, &o, 1))
		return -1;
	printf("bisecting %zu commits of %s for %s (%+.0f%% is %s) on %zu DUT%s%s%s%s; state: %s\n",
	       h->b.revs.n, o.repo, h->gate.m->name, 100 * h->gate.threshold,
	       h->cli->improvement ? "the improvement" : "bad", h->sc.n,
	       h->sc.n == 1 ? "" : "s", h->sc.n > 1 ? " (" : "",
	       h->sc.n > 1 ? h->sc.how : "", h->sc.n > 1 ? ")" : "",
	       h->b.dir);
	return 0;
}

static int run_or_resume(int argc, char **argv, int resume)
{
	struct brun_cli cli = { 0 };
	struct job_setup js;
	struct optset sets[] = { { brun_table, &cli }, { NULL, NULL } };
	struct hunt h = { 0 };
	struct lease_set leases = { 0 };
	int i, ret = EXIT_USAGE, loaded = 0;

	if (wants_help(argc, argv)) {
		usage(stdout, resume);
		return EXIT_OK;
	}
	opt_defaults(brun_table, &cli);
	i = opt_parse(sets, argc, argv);
	if (i < 0 || take_terms(&cli))
		goto out;
	if (i < argc) {
		error("unexpected argument '%s'", argv[i]);
		goto out;
	}
	if (resume && !cli.job && load_context(&cli, DEFAULT_RESULTS))
		goto out;
	if (!cli.job || (!resume && !cli.one && (!cli.bad || !cli.goods.nr))) {
		error("bisect run needs --job, --good and --bad (or --one)");
		goto out;
	}
	if (job_setup_load(&js, cli.job, cli.hosts)) {
		job_setup_release(&js);
		goto out;
	}
	loaded = 1;
	if (pick_gate(&h.gate, &js, &cli))
		goto out;
	if ((ret = job_setup_lease(&js, &leases, cli.one ? "bisect run --one" : "bisect run")))
		goto out;
	ret = EXIT_USAGE;
	if (cli.one) {
		ret = judge_one(&cli, &js, &h.gate, argv);
		goto out;
	}
	h.cli = &cli;
	h.js = &js;
	h.argv = argv;
	ret = EXIT_FATAL;
	if (sched_init(&h.sc, &js, cli.duts, "bisect", NULL, argv) || start(&h, resume))
		goto out;
	h.sc.series = h.b.id;
	h.resumed = resume;
	if (!resume && save_context(&h))
		goto out;
	ret = hunt(&h);
	bisect_release(&h.b);
out:
	sched_release(&h.sc);
	free(h.unbuildable);
	for (int s = 0; s < 2; s++) {
		for (size_t k = 0; k < h.n_end[s]; k++)
			free(h.end_dirs[s][k]);
		free(h.end_dirs[s]);
	}
	lease_release_all(&leases);
	if (loaded)
		job_setup_release(&js);
	opt_release(brun_table, &cli);
	return ret;
}

int cmd_bisect_run(int argc, char **argv)
{
	return run_or_resume(argc, argv, 0);
}

int cmd_bisect_resume(int argc, char **argv)
{
	return run_or_resume(argc, argv, 1);
}
