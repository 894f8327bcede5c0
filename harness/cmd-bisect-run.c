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
#include "harness/build.h"
#include "harness/jobsetup.h"
#include "bisect/bisect.h"
#include "reports/fpdiff.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/progress.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

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

#define MAX_DUTS 16
#define MAX_REQ 32

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
	char **goods;
	size_t ngoods;
};

#define C(name, sh, type, field, lo, hi, def, argh, help) \
	{ name, sh, type, offsetof(struct brun_cli, field), lo, hi, NULL, def, argh, help }

static const struct opt brun_table[] = {
	C("job", 'j', OPT_STRING, job, 0, 0, NULL, "FILE", "the job: [source], [workload], lab (required)"),
	C("hosts", 'H', OPT_STRING, hosts, 0, 0, NULL, "FILE", "the lab (default: this machine)"),
	C("bad", 0, OPT_STRING, bad, 0, 0, NULL, "REV", "the bad commit (required)"),
	C("metric", 'm', OPT_STRING, metric, 0, 0, NULL, "NAME",
	  "the metric to bisect (default: cpu_per_gbit when gated, else the first gate)"),
	C("threshold", 'T', OPT_PERCENT, threshold, -0.99, 10, NULL, "PCT",
	  "the change that matters, signed towards bad (default: the job's gate)"),
	C("first-parent", 0, OPT_BOOL, first_parent, 0, 0, "no", NULL,
	  "follow only the first parent of merges"),
	C("duts", 'k', OPT_INT, duts, 0, MAX_DUTS, "0", "K",
	  "DUTs measured side by side, 0 = every DUT of the lab"),
	C("max-runs", 0, OPT_INT, max_runs, 0, 100000, "0", "N", "budget of runs, 0 = the engine's"),
	C("one", 0, OPT_STRING, one, 0, 0, NULL, "REV",
	  "judge REV alone against --good, for git bisect run: 0 good, 1 bad, 125 skip, 128 abort"),
	OPT_END_ROW
};

static void usage(FILE *f)
{
	fprintf(f, "usage: perflab bisect run --job F [--hosts H] --good G [--good G2] --bad B [OPTIONS]\n"
		"       perflab bisect resume [--hosts H]\n"
		"       perflab bisect run --job F [--hosts H] --good G --one REV\n\n"
		"Find the first bad commit by measurement: the endpoints are confirmed\n"
		"first, probes follow where they tell most, and the culprit is confirmed\n"
		"against its parent before it is named. Each run is journaled: after a\n"
		"crash, `perflab bisect resume` continues. Exit status: 0 a culprit (or a\n"
		"range next to unbuildable commits) named, 1 the regression did not\n"
		"reproduce, 2 inconclusive or out of budget, 128 the lab failed.\n"
		"With --one: 0 good, 1 bad, 125 cannot tell (skip), 128 abort.\n\n");
	opt_usage(f, brun_table);
	fprintf(f, "      --good REV                 a good commit (required; repeat for more)\n");
}

/* --good REV, any number of times. */
static int take_goods(int *argc, char **argv, struct brun_cli *cli)
{
	int k = 1;

	for (int i = 1; i < *argc; i++) {
		const char *v = NULL;

		if (!strcmp(argv[i], "--good") && i + 1 < *argc)
			v = argv[++i];
		else if (!strncmp(argv[i], "--good=", 7))
			v = argv[i] + 7;
		if (!v) {
			argv[k++] = argv[i];
			continue;
		}
		cli->goods = xrealloc(cli->goods, (cli->ngoods + 2) * sizeof(*cli->goods));
		cli->goods[cli->ngoods++] = xstrdup(v);
		cli->goods[cli->ngoods] = NULL;
	}
	*argc = k;
	argv[k] = NULL;
	return 0;
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
	if (cli->threshold != 0)
		out->threshold = cli->threshold;
	if (out->threshold * m->worse <= 0)
		return error("--threshold %+.1f%%: %s gets worse when it %s", 100 * out->threshold,
			     m->name, m->worse > 0 ? "rises (give +PCT)" : "falls (give -PCT)");
	return 0;
}

/* The value of the gate's metric in a run directory, NaN if absent. */
static double run_value(const char *dir, const struct gate *g)
{
	char *path;
	json_t *s;
	double v;

	if (!dir)
		return NAN;
	path = xasprintf("%s/summary.json", dir);
	s = json_load_file(path, 0, NULL);
	v = s ? json_get_num(s, g->m->key) : NAN;
	json_decref(s);
	free(path);
	return v > 0 && isfinite(v) ? v : NAN;
}

/* One DUT's share of the lab: the DUT, a client, the build hosts. */
struct worker {
	struct hostlist hl;
	int have_hl;
	char deployed[SHA256_HEX];
	struct child_proc {
		pid_t pid;
		int fd;
		struct strbuf buf;
	} p;
};

static int split_lab(struct worker *w, size_t *nw, int *shared, const struct job_setup *js,
		     long want)
{
	const struct host *duts[MAX_DUTS], *clients[MAX_DUTS];
	size_t nd = 0, nc = 0;

	*nw = 1;
	w[0].have_hl = 0;
	if (!js->have_hosts)
		return want > 1 ? error("--duts %ld needs a lab (--hosts)", want) : 0;
	for (size_t i = 0; i < js->hosts.nr; i++) {
		const struct host *h = &js->hosts.v[i];

		if (h->role == ROLE_DUT && nd < MAX_DUTS)
			duts[nd++] = h;
		else if (h->role == ROLE_CLIENT && nc < MAX_DUTS)
			clients[nc++] = h;
	}
	if (want > 0 && (size_t)want > nd)
		return error("--duts %ld: the lab '%s' has %zu DUTs", want, js->hosts.path, nd);
	/* namespaces of this machine (perflab lab): they share its CPUs */
	for (size_t i = 0; i < nd; i++)
		if (duts[i]->netns && *duts[i]->netns)
			*shared = 1;
	*nw = want > 0 ? (size_t)want : nd ? nd : 1;
	if (*nw == 1) {
		w[0].hl = js->hosts;	/* the lab as it is: borrowed */
		w[0].have_hl = 2;
		return 0;
	}
	for (size_t i = 0; i < *nw; i++) {
		size_t k = 0;

		w[i].hl.path = js->hosts.path;
		w[i].hl.v = xcalloc(js->hosts.nr, sizeof(struct host));
		w[i].hl.v[k++] = *duts[i];
		if (nc)
			w[i].hl.v[k++] = *clients[i % nc];
		for (size_t j = 0; j < js->hosts.nr; j++)
			if (js->hosts.v[j].role == ROLE_BUILD)
				w[i].hl.v[k++] = js->hosts.v[j];
		w[i].hl.nr = k;
		w[i].have_hl = 1;
	}
	return 0;
}

struct hunt {
	int shared;		/* the DUTs share one machine: measure one at a time */
	struct brun_cli *cli;
	struct job_setup *js;
	struct gate gate;
	struct bisect b;
	struct worker w[MAX_DUTS];
	size_t nw;
	char **argv;
	double started;
	unsigned rounds_here;
	int aborted;
	/* the endpoints' runs of this process, for the fingerprint diff */
	char **end_dirs[2];
	size_t n_end[2];
	int fp_shown;
};

/* A measured run lands: journal it and keep what the report needs. */
static int land(struct hunt *h, long commit, enum run_status st, const char *dir)
{
	double v = st == RUN_COMPLETE ? run_value(dir, &h->gate) : NAN;

	if (st == RUN_ABORTED) {
		h->aborted = 1;
		return error("the lab cannot measure %s: stopping (resume continues)",
			     bisect_commit_id(&h->b, commit));
	}
	if (st == RUN_SKIPPED)
		return bisect_record_unbuildable(&h->b, commit);
	if (st == RUN_COMPLETE && (commit == BISECT_GOOD_END ||
				   commit == (long)h->b.revs.n - 1)) {
		int side = commit != BISECT_GOOD_END;

		h->end_dirs[side] = xrealloc(h->end_dirs[side],
					     (h->n_end[side] + 1) * sizeof(char *));
		h->end_dirs[side][h->n_end[side]++] = xstrdup(dir);
	}
	return bisect_record(&h->b, commit, v, dir);
}

static void session_for(struct hunt *h, struct session *s, struct worker *w)
{
	job_setup_session(s, h->js, "bisect", h->b.id, h->argv);
	if (w->have_hl)
		s->hosts = &w->hl;
	memcpy(s->deployed, w->deployed, sizeof(s->deployed));
}

/* The runs of a round, interleaved: A B C A B C ... */
static size_t plan(const struct engine_request *req, size_t n, long *jobs, size_t max)
{
	size_t k = 0;

	for (unsigned r = 0; k < max; r++) {
		size_t before = k;

		for (size_t i = 0; i < n && k < max; i++)
			if (r < req[i].runs)
				jobs[k++] = req[i].commit;
		if (k == before)
			break;
	}
	return k;
}

/* Build every commit of the round once, before DUTs fetch images. */
static int prebuild(struct hunt *h, long *jobs, size_t *njobs)
{
	for (size_t i = 0; i < *njobs; i++) {
		struct build_result br;
		const char *id = bisect_commit_id(&h->b, jobs[i]);
		int seen = 0;

		for (size_t j = 0; j < i; j++)
			seen |= jobs[j] == jobs[i];
		if (seen)
			continue;
		if (build_at(&br, &h->js->job.source, id, 0) < 0) {
			h->aborted = 1;
			return error("cannot build %s", id);
		}
		if (br.failed) {
			long c = jobs[i];
			size_t k = 0;

			printf("    %.12s does not build (%s): skipped\n", id,
			       br.reason ? br.reason : "failed");
			if (bisect_record_unbuildable(&h->b, c))
				return -1;
			for (size_t j = 0; j < *njobs; j++)
				if (jobs[j] != c)
					jobs[k++] = jobs[j];
			*njobs = k;
			i--;
		}
		build_result_release(&br);
	}
	return 0;
}

/* One DUT's worker process: measure its runs, report each on fd. */
static void worker_main(struct hunt *h, struct worker *w, const long *jobs, size_t n, int fd)
{
	struct session s;

	session_for(h, &s, w);
	for (size_t i = 0; i < n; i++) {
		char *dir = NULL;
		enum run_status st = session_measure(&s, bisect_commit_id(&h->b, jobs[i]),
						     "probe", 0, &dir);
		dprintf(fd, "R %ld %d %s\n", jobs[i], (int)st, dir ? dir : "");
		free(dir);
		if (st == RUN_ABORTED)
			break;
	}
	dprintf(fd, "D %s\n", s.deployed[0] ? s.deployed : "-");
	close(fd);
	_exit(0);
}

static int parse_line(struct hunt *h, struct worker *w, char *line)
{
	long commit;
	int st, off = 0;

	if (line[0] == 'D' && line[1] == ' ') {
		snprintf(w->deployed, sizeof(w->deployed), "%s", strcmp(line + 2, "-") ? line + 2 : "");
		return 0;
	}
	if (sscanf(line, "R %ld %d %n", &commit, &st, &off) < 2 || !off)
		return error("a DUT worker said '%s'", line);
	return land(h, commit, (enum run_status)st, line[off] ? line + off : NULL);
}

/* The runs of a round on several DUTs at once, each DUT its own process. */
static int measure_parallel(struct hunt *h, const long *jobs, size_t njobs)
{
	size_t nw = h->nw < njobs ? h->nw : njobs;
	long *share[MAX_DUTS];
	size_t nshare[MAX_DUTS] = { 0 };
	struct pollfd pfd[MAX_DUTS];
	int ret = 0, open_fds = 0;
	pid_t parent = getpid();

	for (size_t i = 0; i < nw; i++)
		share[i] = xcalloc(njobs, sizeof(long));
	for (size_t j = 0; j < njobs; j++) {
		/* rotate, so that two sides of a comparison cross the DUTs */
		size_t d = (j + j / nw) % nw;

		share[d][nshare[d]++] = jobs[j];
	}
	fflush(stdout);
	fflush(stderr);
	for (size_t i = 0; i < nw; i++) {
		int p[2];

		if (pipe(p))
			die_errno("pipe");
		h->w[i].p.pid = fork();
		if (h->w[i].p.pid < 0)
			die_errno("fork");
		if (!h->w[i].p.pid) {
			/* a worker never outlives the controller (kill -9, then resume) */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				_exit(EXIT_FATAL);
			close(p[0]);
			for (size_t k = 0; k < i; k++)
				if (h->w[k].p.fd >= 0)
					close(h->w[k].p.fd);
			worker_main(h, &h->w[i], share[i], nshare[i], p[1]);
		}
		close(p[1]);
		h->w[i].p.fd = p[0];
		strbuf_init(&h->w[i].p.buf);
		open_fds++;
	}
	while (open_fds) {
		for (size_t i = 0; i < nw; i++) {
			pfd[i].fd = h->w[i].p.fd;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, nw, -1) < 0 && errno != EINTR)
			die_errno("poll");
		for (size_t i = 0; i < nw; i++) {
			char buf[4096], *nl;
			ssize_t r;

			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(pfd[i].fd, buf, sizeof(buf));
			if (r > 0) {
				strbuf_add(&h->w[i].p.buf, buf, (size_t)r);
			} else {
				close(h->w[i].p.fd);
				h->w[i].p.fd = -1;
				open_fds--;
			}
			while (h->w[i].p.buf.len &&
			       (nl = memchr(h->w[i].p.buf.buf, '\n', h->w[i].p.buf.len))) {
				size_t used = (size_t)(nl - h->w[i].p.buf.buf) + 1;

				*nl = '\0';
				if (parse_line(h, &h->w[i], h->w[i].p.buf.buf))
					ret = -1;
				memmove(h->w[i].p.buf.buf, nl + 1, h->w[i].p.buf.len - used);
				strbuf_setlen(&h->w[i].p.buf, h->w[i].p.buf.len - used);
			}
		}
	}
	for (size_t i = 0; i < nw; i++) {
		int status;

		while (waitpid(h->w[i].p.pid, &status, 0) < 0 && errno == EINTR)
			;
		strbuf_release(&h->w[i].p.buf);
		free(share[i]);
	}
	return ret || h->aborted ? -1 : 0;
}

/*
 * One run after another: one DUT, or DUTs that share a machine (the
 * namespaces of `perflab lab`), whose CPU figures would otherwise
 * include each other's runs. The runs still spread over the DUTs as
 * the parallel case spreads them, so the rounds are the same.
 */
static int measure_serial(struct hunt *h, const long *jobs, size_t njobs)
{
	struct session s[MAX_DUTS];

	for (size_t d = 0; d < h->nw; d++)
		session_for(h, &s[d], &h->w[d]);
	for (size_t j = 0; j < njobs; j++) {
		size_t d = h->nw > 1 ? (j + j / h->nw) % h->nw : 0;
		char *dir = NULL;
		enum run_status st;

		st = session_measure(&s[d], bisect_commit_id(&h->b, jobs[j]), "probe", 0, &dir);
		memcpy(h->w[d].deployed, s[d].deployed, sizeof(s[d].deployed));
		if (land(h, jobs[j], st, dir)) {
			free(dir);
			return -1;
		}
		free(dir);
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
	steps_left = (unsigned)ceil(log((double)left + 1) / log((double)h->nw + 1)) + 1;
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
		return 2;
	}
}

static void show_result(struct hunt *h, const struct engine_result *res)
{
	const struct bisect_revs *r = &h->b.revs;

	progress_clear();
	printf("\n%s: %s\n", bisect_status_name(res->status), res->reason);
	if (res->culprit >= 0)
		printf("culprit: %s %s\n", r->commits[res->culprit].id,
		       r->commits[res->culprit].subject);
	else if (res->lo >= 0)
		printf("range: %s .. %s\n", r->commits[res->lo].id, r->commits[res->hi].id);
	if (isfinite(res->ratio))
		printf("%s: %+.1f%% [%+.1f%%, %+.1f%%] against its parent, p %.2g\n",
		       h->gate.m->name, 100 * (res->ratio - 1), 100 * (res->ratio_lo - 1),
		       100 * (res->ratio_hi - 1), res->p);
	for (size_t i = 0; i < res->nskipped; i++)
		printf("skipped: %s %s\n", r->commits[res->skipped[i]].id,
		       r->commits[res->skipped[i]].subject);
	printf("confidence %.3f; %u runs, %u builds, %u rounds; state: %s\n", res->confidence,
	       res->runs, res->builds, res->rounds, h->b.dir);
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
	int ret;

	json_set_str(o, "job", h->cli->job);
	json_set_str(o, "hosts", h->cli->hosts);
	json_set_str(o, "metric", h->gate.m->name);
	json_set_num(o, "threshold", h->gate.threshold);
	json_set_int(o, "duts", (long long)h->nw);
	ret = json_write_file(path, o, 0);
	json_decref(o);
	free(path);
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
	if (!cli->duts && json_get_num(o, "duts") > 0)
		cli->duts = (long)json_get_num(o, "duts");
	ret = 0;
out:
	json_decref(o);
	free(path);
	free(cur);
	free(id);
	return ret;
}

/*
 * The report's inputs (reports/report.h, reports/plot.h): trace.json
 * (every measured commit in order, its verdict and values) and
 * result.json (the answer, the steps with their runs, the commands).
 * Runs are linked under BISECTDIR/runs/ so the directory holds all it
 * names; runs/good and runs/bad hold the final comparison's sides.
 */
struct step {
	unsigned round;
	long commit;
	char **runs;		/* link names, relative to BISECTDIR */
	size_t n;
};

struct steps {
	struct hunt *h;
	struct step *v;
	size_t n, alloc;
	double **values;	/* per commit index + 1 (0: the good end) */
	size_t *nvalues;
	char ***dirs;		/* run directories per commit index + 1 */
	size_t *ndirs;
};

static int link_run(const char *bdir, const char *sub, const char *run_dir, char **name_out)
{
	const char *base = strrchr(run_dir, '/') ? strrchr(run_dir, '/') + 1 : run_dir;
	char *dir = xasprintf("%s/runs%s%s", bdir, sub ? "/" : "", sub ? sub : "");
	char *link = xasprintf("%s/%s", dir, base);
	char *target = realpath(run_dir, NULL);
	int ret = 0;

	if (mkdir_p(dir) || !target)
		ret = error("cannot link run '%s' into '%s'", run_dir, dir);
	else if (symlink(target, link) && errno != EEXIST)
		ret = error_errno("symlink '%s'", link);
	if (name_out)
		*name_out = xasprintf("runs/%s%s%s", sub ? sub : "", sub ? "/" : "", base);
	free(target);
	free(link);
	free(dir);
	return ret;
}

static int on_event(const json_t *ev, unsigned long lineno, void *data)
{
	struct steps *st = data;
	const char *type = json_get_str(ev, "ev");
	const char *dir = json_get_str(ev, "run");
	unsigned round = (unsigned)json_get_num(ev, "round");
	double ci = json_get_num(ev, "commit");
	long c;
	struct step *s;
	size_t k;

	if (!type || strcmp(type, "measurement") || !(ci >= -1) || ci >= (double)st->h->b.revs.n)
		return 0;
	c = (long)ci;
	k = (size_t)(c + 1);
	st->values[k] = xrealloc(st->values[k], (st->nvalues[k] + 1) * sizeof(double));
	st->values[k][st->nvalues[k]++] = json_get_num(ev, "value");
	if (!dir)
		return 0;
	st->dirs[k] = xrealloc(st->dirs[k], (st->ndirs[k] + 1) * sizeof(char *));
	st->dirs[k][st->ndirs[k]++] = xstrdup(dir);
	/* one step per commit and round, its runs together */
	s = NULL;
	for (size_t i = st->n; i-- > 0 && st->v[i].round == round;)
		if (st->v[i].commit == c)
			s = &st->v[i];
	if (!s) {
		ALLOC_GROW(st->v, st->n + 1, st->alloc);
		memset(&st->v[st->n], 0, sizeof(st->v[0]));
		st->v[st->n].round = round;
		st->v[st->n].commit = c;
		s = &st->v[st->n++];
	}
	s->runs = xrealloc(s->runs, (s->n + 1) * sizeof(char *));
	if (link_run(st->h->b.dir, NULL, dir, &s->runs[s->n]))
		return 0;
	s->n++;
	(void)lineno;
	return 0;
}

static const char *verdict_of(const struct engine_result *res, long c)
{
	const struct engine_commit *ec = c == BISECT_GOOD_END ? &res->good_end : &res->commits[c];

	switch (ec->verdict) {
	case VERDICT_GOOD:
		return "good";
	case VERDICT_BAD:
		return "bad";
	case VERDICT_SKIP:
		return "skip";
	default:
		return "inconclusive";
	}
}

static json_t *strings(char **v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* runs/good and runs/bad: the culprit's parent and the culprit, else the endpoints. */
static void compare_sides(struct steps *st, const struct engine_result *res, json_t *out)
{
	long side[2] = { BISECT_GOOD_END, (long)st->h->b.revs.n - 1 };
	const char *names[2] = { "good", "bad" };

	if (res->culprit >= 0) {
		const struct bisect_commit *cc = &st->h->b.revs.commits[res->culprit];

		side[1] = res->culprit;
		side[0] = cc->nparents ? (long)cc->parents[0] : BISECT_GOOD_END;
	}
	for (int i = 0; i < 2; i++) {
		size_t k = (size_t)(side[i] + 1);
		char *key = xasprintf("compare_%s", names[i]);
		int ok = st->ndirs[k] > 0;

		for (size_t j = 0; j < st->ndirs[k]; j++)
			ok &= !link_run(st->h->b.dir, names[i], st->dirs[k][j], NULL);
		if (ok) {
			char *rel = xasprintf("runs/%s", names[i]);

			json_set_str(out, key, rel);
			free(rel);
		} else {
			json_set(out, key, json_null());
		}
		free(key);
	}
}

static int write_report(struct hunt *h, const struct engine_result *res)
{
	struct bisect *b = &h->b;
	size_t n = b->revs.n;
	struct steps st = { .h = h };
	json_t *trace = json_object(), *points = json_array();
	json_t *result = json_object(), *steps = json_array(), *cmds = json_array();
	char *path;
	int torn = 0, ret;

	st.values = xcalloc(n + 1, sizeof(*st.values));
	st.nvalues = xcalloc(n + 1, sizeof(*st.nvalues));
	st.dirs = xcalloc(n + 1, sizeof(*st.dirs));
	st.ndirs = xcalloc(n + 1, sizeof(*st.ndirs));
	ret = journal_read(b->journal.path, on_event, &st, &torn);

	/* trace: the good end at order 0, then the range in bisection order */
	json_set_str(trace, "metric", h->gate.m->name);
	json_set_str(trace, "unit", h->gate.m->unit);
	json_set_str(trace, "label", h->gate.m->label);
	for (long c = BISECT_GOOD_END; c < (long)n; c++) {
		size_t k = (size_t)(c + 1);
		json_t *p, *vals;

		if (!st.nvalues[k] && !(c >= 0 && res->commits[c].verdict == VERDICT_SKIP))
			continue;
		p = json_object();
		vals = json_array();
		json_set_int(p, "order", (long long)k);
		json_set_str(p, "commit", bisect_commit_id(b, c));
		if (c >= 0)
			json_set_str(p, "subject", b->revs.commits[c].subject);
		json_set_str(p, "verdict", verdict_of(res, c));
		for (size_t i = 0; i < st.nvalues[k]; i++)
			json_array_append_new(vals, isfinite(st.values[k][i]) ?
					      json_real(st.values[k][i] * h->gate.m->scale) :
					      json_null());
		json_set(p, "values", vals);
		json_array_append_new(points, p);
	}
	json_set(trace, "points", points);
	if (res->culprit >= 0)
		json_set_str(trace, "culprit", b->revs.commits[res->culprit].id);

	json_set_str(result, "status", bisect_status_name(res->status));
	if (res->culprit >= 0) {
		json_t *c = json_object();

		json_set_str(c, "commit", b->revs.commits[res->culprit].id);
		json_set_str(c, "subject", b->revs.commits[res->culprit].subject);
		json_set(result, "culprit", c);
	} else {
		json_set(result, "culprit", json_null());
	}
	if (res->lo >= 0 && res->culprit < 0) {
		json_t *r = json_array();
		const struct bisect_commit *lo = &b->revs.commits[res->lo];

		json_array_append_new(r, json_string(lo->nparents ?
			b->revs.commits[lo->parents[0]].id : bisect_commit_id(b, BISECT_GOOD_END)));
		json_array_append_new(r, json_string(b->revs.commits[res->hi].id));
		json_set(result, "range", r);
	} else {
		json_set(result, "range", json_null());
	}
	{
		json_t *sk = json_array();

		for (size_t i = 0; i < res->nskipped; i++)
			json_array_append_new(sk, json_string(b->revs.commits[res->skipped[i]].id));
		json_set(result, "skipped", sk);
	}
	if (isfinite(res->ratio)) {
		json_t *v = json_object();

		json_set_str(v, "metric", h->gate.m->name);
		json_set_num(v, "ratio", res->ratio);
		json_set_num(v, "lo", res->ratio_lo);
		json_set_num(v, "hi", res->ratio_hi);
		json_set_num(v, "p", res->p);
		json_set(result, "verdict", v);
	} else {
		json_set(result, "verdict", json_null());
	}
	json_set_str(result, "good", bisect_commit_id(b, BISECT_GOOD_END));
	json_set_str(result, "bad", b->revs.bad);
	json_set_str(result, "job", h->js->job.path);
	for (size_t i = 0; i < st.n; i++) {
		json_t *s = json_object();

		json_set_int(s, "round", st.v[i].round);
		json_set_str(s, "commit", bisect_commit_id(b, st.v[i].commit));
		json_set_str(s, "verdict", verdict_of(res, st.v[i].commit));
		json_set(s, "runs", strings(st.v[i].runs, st.v[i].n));
		json_array_append_new(steps, s);
	}
	json_set(result, "steps", steps);
	{
		struct strbuf sb = STRBUF_INIT;

		strbuf_addf(&sb, "perflab bisect run --job %s", h->js->job.path);
		if (h->cli->hosts)
			strbuf_addf(&sb, " --hosts %s", h->cli->hosts);
		for (size_t i = 0; i < b->revs.ngoods; i++)
			strbuf_addf(&sb, " --good %s", b->revs.goods[i]);
		strbuf_addf(&sb, " --bad %s --metric %s --threshold %+.1f%%", b->revs.bad,
			    h->gate.m->name, 100 * h->gate.threshold);
		json_array_append_new(cmds, json_string(sb.buf));
		strbuf_release(&sb);
		if (res->culprit >= 0) {
			const struct bisect_commit *cc = &b->revs.commits[res->culprit];
			char *cmd = xasprintf("perflab compare --job %s %s/runs/good %s/runs/bad",
					      h->js->job.path, b->dir, b->dir);

			json_array_append_new(cmds, json_string(cmd));
			free(cmd);
			(void)cc;
		}
	}
	json_set(result, "commands", cmds);
	compare_sides(&st, res, result);

	path = xasprintf("%s/trace.json", b->dir);
	ret |= json_write_file(path, trace, 0);
	free(path);
	path = xasprintf("%s/result.json", b->dir);
	ret |= json_write_file(path, result, 0);
	if (!ret)
		printf("report inputs: %s (perflab report %s)\n", path, b->dir);
	free(path);
	json_decref(trace);
	json_decref(result);
	for (size_t i = 0; i <= n; i++) {
		for (size_t j = 0; j < st.ndirs[i]; j++)
			free(st.dirs[i][j]);
		free(st.dirs[i]);
		free(st.values[i]);
	}
	for (size_t i = 0; i < st.n; i++) {
		for (size_t j = 0; j < st.v[i].n; j++)
			free(st.v[i].runs[j]);
		free(st.v[i].runs);
	}
	free(st.v);
	free(st.values);
	free(st.nvalues);
	free(st.dirs);
	free(st.ndirs);
	return ret ? -1 : 0;
}

static int hunt(struct hunt *h)
{
	struct engine_request req[MAX_REQ];
	struct engine_result res;
	int n, ret;

	h->started = (double)(mono_ns() / 1000000) / 1000;
	while ((n = bisect_next(&h->b, req, MAX_REQ)) > 0) {
		long jobs[4096];
		size_t njobs = plan(req, (size_t)n, jobs, sizeof(jobs) / sizeof(jobs[0]));

		show_round(h, req, (size_t)n);
		if (prebuild(h, jobs, &njobs))
			return EXIT_FATAL;
		if (njobs && (h->nw > 1 && !h->shared ? measure_parallel(h, jobs, njobs) :
			      measure_serial(h, jobs, njobs)))
			return EXIT_FATAL;
		h->rounds_here++;
		show_fingerprints(h);
	}
	if (n < 0 || bisect_finish(&h->b, &res))
		return EXIT_FATAL;
	show_result(h, &res);
	ret = write_report(h, &res) ? EXIT_FATAL : exit_of(res.status);
	engine_result_release(&res);
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
	int ret = 125;

	if (cli->ngoods != 1)
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
				enum run_status st = session_measure(&s, side ? cli->one : cli->goods[0],
								     side ? "B" : "A", 0, &dir);

				if (st == RUN_ABORTED) {
					free(dir);
					ret = EXIT_FATAL;
					goto out;
				}
				if (st == RUN_SKIPPED) {
					free(dir);
					printf("%s does not build: skip\n", side ? cli->one : cli->goods[0]);
					ret = side ? 125 : EXIT_FATAL;
					goto out;
				}
				if (side)
					vb[nb++] = run_value(dir, g);
				else
					va[na++] = run_value(dir, g);
				free(dir);
			}
		}
		if (stats_verdict(&v, va, na, vb, nb, g->threshold, looks.alpha[l]))
			goto out;
		printf("%s at %zu runs per side: %s (%s)\n", cli->one, na,
		       stats_outcome_name(v.outcome), v.reason);
		if (v.outcome != STATS_INCONCLUSIVE) {
			ret = v.outcome == STATS_GOOD ? 0 : 1;
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
	o.goods = h->cli->goods;
	o.ngoods = h->cli->ngoods;
	o.first_parent = h->cli->first_parent;
	o.metric = h->gate.m->name;
	o.job = h->js->job.path;
	engine_config_init(&o.engine, 0);
	o.engine.direction = h->gate.m->worse;
	o.engine.threshold = fabs(h->gate.threshold);
	o.engine.k = (unsigned)h->nw;
	if (h->cli->max_runs)
		o.engine.max_runs = (unsigned)h->cli->max_runs;
	if (mkdir_p(o.results) || bisect_create(&h->b, &o, 1))
		return -1;
	printf("bisecting %zu commits of %s for %s (%+.0f%% is bad) on %zu DUT%s%s; state: %s\n",
	       h->b.revs.n, o.repo, h->gate.m->name, 100 * h->gate.threshold, h->nw,
	       h->nw == 1 ? "" : "s", h->shared && h->nw > 1 ?
	       " (namespaces of one machine: one run at a time, or their CPU would mix)" : "",
	       h->b.dir);
	return 0;
}

static int run_or_resume(int argc, char **argv, int resume)
{
	struct brun_cli cli = { 0 };
	struct job_setup js;
	struct optset sets[] = { { brun_table, &cli }, { NULL, NULL } };
	struct hunt h = { 0 };
	int i, ret = EXIT_USAGE, loaded = 0;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(brun_table, &cli);
	take_goods(&argc, argv, &cli);
	i = opt_parse(sets, argc, argv);
	if (i < 0)
		goto out;
	if (i < argc) {
		error("unexpected argument '%s'", argv[i]);
		goto out;
	}
	if (resume && !cli.job && load_context(&cli, DEFAULT_RESULTS))
		goto out;
	if (!cli.job || (!resume && !cli.one && (!cli.bad || !cli.ngoods))) {
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
	if (cli.one) {
		ret = judge_one(&cli, &js, &h.gate, argv);
		goto out;
	}
	h.cli = &cli;
	h.js = &js;
	h.argv = argv;
	ret = EXIT_FATAL;
	if (split_lab(h.w, &h.nw, &h.shared, &js, cli.duts) || start(&h, resume))
		goto out;
	if (!resume && save_context(&h))
		goto out;
	ret = hunt(&h);
	bisect_release(&h.b);
out:
	for (size_t k = 0; k < h.nw; k++)
		if (h.w[k].have_hl == 1)
			free(h.w[k].hl.v);
	for (int s = 0; s < 2; s++) {
		for (size_t k = 0; k < h.n_end[s]; k++)
			free(h.end_dirs[s][k]);
		free(h.end_dirs[s]);
	}
	if (loaded)
		job_setup_release(&js);
	for (size_t k = 0; k < cli.ngoods; k++)
		free(cli.goods[k]);
	free(cli.goods);
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
