/*
 * perflab run: one measured run (or N) of a workload on this host with
 * the collectors beside it; results to results/<run-id>/.
 */
#include "harness/builtin.h"
#include "lab/config.h"
#include "lab/hosts.h"
#include "lab/deploy.h"
#include "lab/build.h"
#include "lab/job.h"
#include "lab/jobsetup.h"
#include "lab/run.h"
#include "lab/lease.h"
#include "store/metric.h"
#include "collectors/collector.h"
#include "collectors/tcpcheck.h"
#include "store/rundir.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct run_cli {
	char *job;
	char *hosts;
	char *image;
	char *commit;
};

static const struct opt cli_table[] = {
	{ "job", 'j', OPT_STRING, offsetof(struct run_cli, job), 0, 0, NULL, NULL, "FILE",
	  "job file: its [workload] and [run] sections, before the flags" },
	{ "hosts", 'H', OPT_STRING, offsetof(struct run_cli, hosts), 0, 0, NULL, NULL, "FILE",
	  "run across a lab: the DUT serves, the clients drive (default: this machine)" },
	{ "image", 0, OPT_STRING, offsetof(struct run_cli, image), 0, 0, NULL, NULL, "FILE",
	  "deploy this image on the DUT first (the job's [deploy], else the host's commands)" },
	{ "commit", 0, OPT_STRING, offsetof(struct run_cli, commit), 0, 0, NULL, NULL, "REV",
	  "build this revision of the job's [source] (or the image's source: kept in run.json)" },
	OPT_END_ROW
};

const struct cmd_help help_run = {
	"run", "perflab run [--job FILE] [--hosts FILE] [--commit REV] [OPTIONS]",
	"Measure a workload on this host: a server and a client of `perflab load`,\n"
	"collectors beside them, all aligned on one start. With --hosts, across a\n"
	"lab over ssh: the DUT serves, the clients drive. With --commit, build that\n"
	"revision of the job's [source] (or take it from the image cache), deploy\n"
	"it on the DUT and measure it. Each run writes RESULTS/<run-id>/\n"
	"atomically: run.json, client.ndjson, server.ndjson, one NAME.ndjson per\n"
	"collector, the logs and summary.json.\n\n"
	"The warmup defaults to 2s here. Settings come from the job file first,\n"
	"then from the flags. A commit that does not build or boot exits 125, a\n"
	"lab that broke 128: never a number.",
	{ { NULL, cli_table }, { NULL, run_table },
	  { "workload options (as in a job file's [workload] section)", load_client_table } },
};

static void usage(FILE *f)
{
	help_usage(f, &help_run);
}

/* The image of a revision of the job's [source], built or from the cache. */
static int build_for_run(const char *job, const char *rev, struct job *j, struct build_result *b)
{
	if (job_load(j, job)) {
		job_release(j);
		return -1;
	}
	if (!j->has_source) {
		job_release(j);
		return error("'%s' has no [source] to build '%s' from", job, rev);
	}
	if (build_at(b, &j->source, rev, 0) < 0) {
		job_release(j);
		return -1;
	}
	if (b->failed)
		warning("the build of '%s' failed (%s): a skip; its log is '%s'", rev,
			b->reason ? b->reason : "?", b->log ? b->log : "?");
	else
		printf("image %s (%s) for %.12s\n", b->key, b->hit ? "cache hit" : "built", b->commit);
	return 0;
}

/* --job FILE before anything else, so flags can override it. */
static const char *find_job(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if ((!strcmp(argv[i], "--job") || !strcmp(argv[i], "-j")) && i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--job=", 6))
			return argv[i] + 6;
	}
	return NULL;
}

static int check_collectors(const char *list)
{
	const char **names;
	int n = collector_list_parse(list, &names);

	if (n < 0)
		return -1;
	free(names);
	return 0;
}

/* --checks (or the job's [checks]): every entry valid */
static int check_checks(const char *list)
{
	struct tcpcheck_thresholds th;

	tcpcheck_thresholds_init(&th);
	return tcpcheck_thresholds_parse(&th, list ? list : "");
}

/* v with some decimals, or "-" when it was not measured. */
static const char *fmt_num(double v, int decimals, char *buf, int len)
{
	if (isnan(v))
		return "-";
	snprintf(buf, (size_t)len, "%.*f", decimals, v);
	return buf;
}

static long long errors_total(const json_t *sum)
{
	const json_t *e = json_object_get(sum, "errors");
	const char *k;
	json_t *v;
	long long n = 0;

	json_object_foreach((json_t *)e, k, v)
		n += json_integer_value(v);
	return n;
}

static void print_one(const char *dir, const json_t *sum)
{
	char a[64], b[64], c[64];
	const char *src = json_get_str(sum, "freq_source");
	double tps = json_get_num(sum, "tps");

	printf("run %s\n", dir);
	printf("  %-16s %s over %s s (after %s s warmup)\n", "workload",
	       json_get_str(sum, "workload"),
	       fmt_num(json_get_num(sum, "duration_s"), 1, a, sizeof(a)),
	       fmt_num(json_get_num(sum, "warmup_s"), 1, b, sizeof(b)));
	printf("  %-16s %s\n", "goodput", fmt_rate(json_get_num(sum, SUM_GOODPUT), a, sizeof(a)));
	if (tps > 0)
		printf("  %-16s %.0f/s, latency p50 %s us, p99 %s us\n", "transactions", tps,
		       fmt_num(json_get_num(sum, "latency_us.p50"), 0, a, sizeof(a)),
		       fmt_num(json_get_num(sum, "latency_us.p99"), 0, b, sizeof(b)));
	printf("  %-16s %s%% (%s CPUs busy)", "cpu",
	       fmt_num(json_get_num(sum, SUM_CPU), 1, a, sizeof(a)),
	       fmt_num(json_get_num(sum, "cpu_busy_cpus"), 2, b, sizeof(b)));
	if (json_get_str(sum, "cpu_scope") && !strcmp(json_get_str(sum, "cpu_scope"), "cgroup"))
		printf(", the DUT's own (its cgroup); the machine %s%%",
		       fmt_num(json_get_num(sum, "machine_" SUM_CPU), 1, a, sizeof(a)));
	printf("\n");
	printf("  %-16s %s%%\n", "cpu per Gbit/s",
	       fmt_num(json_get_num(sum, SUM_CPU_PER_GBIT), 2, a, sizeof(a)));
	printf("  %-16s %s%s", "frequency",
	       fmt_num(json_get_num(sum, SUM_FREQ), 0, a, sizeof(a)),
	       isnan(json_get_num(sum, SUM_FREQ)) ? "" : " MHz");
	if (src)
		printf(" (%s%s%s)", src, json_get_str(sum, "freq_driver") ? ", driver " : "",
		       json_get_str(sum, "freq_driver") ? json_get_str(sum, "freq_driver") : "");
	else
		printf(" (unmeasurable here: %s)", json_get_str(sum, "freq_unavailable") ?
		       json_get_str(sum, "freq_unavailable") : "no frequency collector");
	printf("\n");
	if (!isnan(json_get_num(sum, "ipc")))
		printf("  %-16s %s IPC, %s%% stall cycles, %s cycles per Gbit\n", "counters",
		       fmt_num(json_get_num(sum, "ipc"), 2, a, sizeof(a)),
		       fmt_num(100 * json_get_num(sum, "stall_frac"), 1, b, sizeof(b)),
		       fmt_num(json_get_num(sum, "cycles_per_gbit"), 0, c, sizeof(c)));
	else if (json_get_str(sum, "pmc_unavailable"))
		printf("  %-16s - (%s)\n", "counters", json_get_str(sum, "pmc_unavailable"));
	printf("  %-16s %s\n", "retransmits",
	       fmt_num(json_get_num(sum, SUM_RETRANS), 0, c, sizeof(c)));
	printf("  %-16s %lld\n", "errors", errors_total(sum));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return isnan(x) ? (isnan(y) ? 0 : 1) : isnan(y) ? -1 : (x > y) - (x < y);
}

static double median(double *v, int n)
{
	int k = 0;

	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	while (k < n && !isnan(v[k]))
		k++;
	if (!k)
		return NAN;
	return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

static void print_table(char **dirs, json_t **sums, int n)
{
	static const char *keys[] = { SUM_GOODPUT_GBPS, SUM_CPU, SUM_CPU_PER_GBIT, SUM_FREQ,
				      SUM_RETRANS, SUM_TPS };
	double *col = xcalloc((size_t)n, sizeof(*col));
	char a[32];

	printf("\n%-36s %9s %7s %10s %6s %8s %9s\n", "run", "Gbit/s", "cpu%", "cpu%/Gbps",
	       "MHz", "retrans", "trans/s");
	for (int i = 0; i < n; i++) {
		const char *base = strrchr(dirs[i], '/');

		printf("%-36s", base ? base + 1 : dirs[i]);
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
			printf(" %*s", k == 0 ? 9 : k == 1 ? 7 : k == 2 ? 10 : k == 3 ? 6 : k == 4 ? 8 : 9,
			       fmt_num(sums[i] ? json_get_num(sums[i], keys[k]) : NAN,
				       k >= 3 ? 0 : 2, a, sizeof(a)));
		printf("\n");
	}
	printf("%-36s", "median");
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		for (int i = 0; i < n; i++)
			col[i] = sums[i] ? json_get_num(sums[i], keys[k]) : NAN;
		printf(" %*s", k == 0 ? 9 : k == 1 ? 7 : k == 2 ? 10 : k == 3 ? 6 : k == 4 ? 8 : 9,
		       fmt_num(median(col, n), k >= 3 ? 0 : 2, a, sizeof(a)));
	}
	printf("\n");
	free(col);
}

static int measure_all(const struct run_request *rq)
{
	const struct run_opts *r = rq->run;
	char **dirs = xcalloc((size_t)r->repeat, sizeof(*dirs));
	json_t **sums = xcalloc((size_t)r->repeat, sizeof(*sums));
	int worst = RUN_COMPLETE;

	for (long i = 0; i < r->repeat; i++) {
		enum run_status st = run_measure(rq, &dirs[i]);
		struct run_dir rd;
		int unread = dirs[i] ? run_dir_read(&rd, dirs[i]) : -1;

		if ((int)st > worst)
			worst = (int)st;
		if (!unread && run_dir_complete(&rd))
			sums[i] = json_incref(rd.summary);
		if (sums[i])
			print_one(dirs[i], sums[i]);
		else if (!unread)	/* what happened, in run.json's words */
			printf("run %s: %s%s%s (see run.json and the logs there)\n", dirs[i],
			       rd.meta.status, rd.meta.failure ? ": " : "",
			       rd.meta.failure ? rd.meta.failure : "");
		else if (dirs[i])
			printf("run %s: failed (see the messages above)\n", dirs[i]);
		else
			printf("run: not started (see the messages above)\n");
		if (dirs[i])
			run_dir_release(&rd);
		fflush(stdout);
		if (!dirs[i])
			break;	/* nowhere to put the others either */
	}
	if (r->repeat > 1 && dirs[r->repeat - 1])	/* every run has a directory */
		print_table(dirs, sums, (int)r->repeat);
	if (dirs[0])
		printf("results: %s/\n", r->results);
	for (long i = 0; i < r->repeat; i++) {
		free(dirs[i]);
		json_decref(sums[i]);
	}
	free(dirs);
	free(sums);
	return worst;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts r = { 0 };
	struct load_client_opts w = { 0 };
	struct run_cli cli = { 0 };
	struct deploy_opts d = { 0 };
	struct run_request rq = { .run = &r, .workload = &w, .deploy = &d, .argv = argv };
	struct optset sets[] = { { cli_table, &cli }, { run_table, &r },
				 { load_client_table, &w }, { NULL, NULL } };
	const char *job = find_job(argc, argv);
	struct lease_set leases = { 0 };
	struct hostlist hl;
	struct job j;
	struct build_result b;
	int i, ret = EXIT_USAGE, have_hosts = 0, built = 0;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(run_table, &r);
	opt_defaults(load_client_table, &w);
	opt_defaults(deploy_table, &d);
	w.warmup = 2;
	if (job && job_apply(job, &r, &w, &d))
		goto done;
	i = opt_parse(sets, argc, argv);
	if (i >= 0 && i < argc)
		error("unexpected argument '%s'", argv[i]);
	if (i < 0 || i < argc || load_client_resolve(&w) || check_collectors(r.collectors) ||
	    check_checks(r.checks))
		goto done;
	if (strcmp(w.out, "-"))
		warning("'--out' is ignored: the run directory holds client.ndjson");
	if (cli.hosts) {
		struct lease_wait lw = { r.lease_wait, "run" };

		if (hostlist_load(&hl, cli.hosts))
			goto done;
		have_hosts = 1;
		rq.hosts = &hl;
		if (lease_take_all(&leases, &hl, &lw)) {
			ret = EXIT_FATAL;
			goto done;
		}
	}
	if (cli.image && !cli.hosts) {
		error("'--image' needs '--hosts': an image is deployed on a lab's DUT");
		goto done;
	}
	rq.image = cli.image;
	rq.commit = cli.commit;
	if (cli.commit && !cli.image && job) {
		if (build_for_run(job, cli.commit, &j, &b)) {
			ret = EXIT_FATAL;	/* as git for a bad revision */
			goto done;
		}
		built = 1;
		rq.build = &b;
		rq.image = b.image;
		rq.commit = b.commit;
		if (!cli.hosts && !b.failed) {
			error("a built image is deployed on a lab's DUT: give '--hosts'");
			goto done;
		}
	}
	ret = measure_all(&rq);
done:
	if (built) {
		build_result_release(&b);
		job_release(&j);
	}
	lease_release_all(&leases);
	if (have_hosts)
		hostlist_release(&hl);
	opt_release(deploy_table, &d);
	opt_release(cli_table, &cli);
	opt_release(run_table, &r);
	opt_release(load_client_table, &w);
	return ret;
}
