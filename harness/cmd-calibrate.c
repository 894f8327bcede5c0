/*
 * perflab calibrate --job F: A/A runs of one build, several boots by
 * several runs, to learn the lab's noise: how much runs and boots vary,
 * whether a run or a boot is the unit to replicate, and how many runs a
 * comparison needs to see the job's thresholds. The noise model is
 * stored for later commands.
 */
#include "harness/builtin.h"
#include "verdict/calibrate.h"
#include "store/rundir.h"
#include "lab/jobsetup.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct calibrate_cli {
	char *job;
	char *hosts;
	char *commit;
	long boots;
	long runs;
	int json;
};

#define C(name, sh, type, field, lo, hi, def, argh, help) \
	{ name, sh, type, offsetof(struct calibrate_cli, field), lo, hi, NULL, def, argh, help }

static const struct opt calibrate_table[] = {
	C("job", 'j', OPT_STRING, job, 0, 0, NULL, "FILE", "the job to calibrate (required)"),
	C("hosts", 'H', OPT_STRING, hosts, 0, 0, NULL, "FILE", "the lab (default: this machine)"),
	C("commit", 0, OPT_STRING, commit, 0, 0, NULL, "REV",
	  "the build to measure (default: the tip of the job's branch)"),
	C("boots", 'b', OPT_INT, boots, 1, 100, "3", "N", "boots (deploys) of the same build"),
	C("runs", 'n', OPT_INT, runs, 2, 1000, "5", "N", "runs in each boot"),
	C("json", 0, OPT_BOOL, json, 0, 0, "no", NULL, "print the noise model as JSON"),
	OPT_END_ROW
};

static void usage(FILE *f)
{
	fprintf(f, "usage: perflab calibrate --job F [--hosts H] [OPTIONS]\n\n"
		"A/A: one build, --boots deploys of it, --runs runs each. Prints, per\n"
		"gated metric, the run-to-run and boot-to-boot variation, whether boots\n"
		"differ (a permutation test), the unit to replicate (run or boot) and the\n"
		"runs per side a comparison needs to see the threshold; writes\n"
		"RESULTS/noise/JOB.json. Boots beyond one need a [source] to deploy.\n\n");
	opt_usage(f, calibrate_table);
}

/* Run the A/A design; dirs[b * runs + r], NULL where a run failed. */
static int measure(struct session *s, const struct calibrate_cli *cli, char **dirs)
{
	for (long b = 0; b < cli->boots; b++) {
		for (long r = 0; r < cli->runs; r++) {
			char side[32];
			enum run_status st;

			snprintf(side, sizeof(side), "boot %ld", b + 1);
			st = session_measure(s, cli->commit, side, r == 0 && cli->boots > 1,
					     &dirs[b * cli->runs + r]);
			if (st == RUN_ABORTED || st == RUN_SKIPPED)
				return error("calibration stopped: the build cannot be measured "
					     "(%s)", st == RUN_ABORTED ? "abort" : "skip");
			printf("boot %ld run %ld: %s\n", b + 1, r + 1, dirs[b * cli->runs + r] ?
			       dirs[b * cli->runs + r] : "(none)");
			fflush(stdout);
		}
	}
	return 0;
}

static double *metric_values(char **dirs, size_t n, const struct metric_def *m)
{
	double *v = xmalloc(n * sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = run_dir_metric(dirs[i], m);
	return v;
}

static json_t *model(const struct job_setup *js, const struct calibrate_cli *cli, char **dirs)
{
	json_t *m = json_object(), *metrics = json_object();
	size_t n = (size_t)(cli->boots * cli->runs);
	int boot = 0;
	char t[40];

	for (size_t g = 0; g < js->ngates; g++) {
		double *v = metric_values(dirs, n, js->gates[g].m);
		struct noise no;
		json_t *o;

		noise_estimate(&no, v, (size_t)cli->boots, (size_t)cli->runs,
			       js->gates[g].threshold, 0x5eed + g);
		o = noise_json(&no);
		json_set_num(o, "threshold", js->gates[g].threshold);
		json_set(metrics, js->gates[g].m->name, o);
		boot |= no.unit_boot;
		free(v);
	}
	json_set_str(m, "job", js->name);
	json_set_str(m, "commit", cli->commit);
	json_set_int(m, "boots", cli->boots);
	json_set_int(m, "runs_per_boot", cli->runs);
	json_set_str(m, "unit", boot ? "boot" : "run");
	json_set_str(m, "created_utc", fmt_time_utc(real_ns(), t, sizeof(t)));
	json_set(m, "metrics", metrics);
	return m;
}

static void print_model(const json_t *m)
{
	const char *name;
	json_t *o;

	printf("\n%-14s %8s %8s %6s %9s %6s %s\n", "metric", "cv run", "cv boot", "ICC",
	       "p(boots)", "unit", "runs per side for 90% power at the threshold");
	json_object_foreach(json_object_get(m, "metrics"), name, o) {
		double need = json_get_num(o, "runs_needed");

		printf("%-14s %7.2f%% %7.2f%% %6.2f %9.3f %6s ", name,
		       100 * json_get_num(o, "cv_run"), 100 * json_get_num(o, "cv_boot"),
		       json_get_num(o, "icc"), json_get_num(o, "p_boot"), json_get_str(o, "unit"));
		if (isnan(need))
			printf("more than 40 (threshold %+.0f%%)\n", 100 * json_get_num(o, "threshold"));
		else
			printf("%.0f (threshold %+.0f%%)\n", need, 100 * json_get_num(o, "threshold"));
	}
	printf("\nunit of replication: %s\n", json_get_str(m, "unit"));
}

static int save(const struct job_setup *js, const json_t *m)
{
	char *dir = xasprintf("%s/noise", js->run.results);
	char *path = xasprintf("%s/%s.json", dir, js->name);
	int ret = mkdir_p(dir) || json_write_file(path, m, 0) ? -1 : 0;

	if (!ret)
		printf("noise model: %s\n", path);
	free(dir);
	free(path);
	return ret;
}

static int calibrate(struct calibrate_cli *cli, struct job_setup *js, char **argv)
{
	size_t n = (size_t)(cli->boots * cli->runs);
	char **dirs = xcalloc(n, sizeof(*dirs));
	char series[64];
	struct session s;
	json_t *m = NULL;
	int ret = EXIT_FAIL;

	if (cli->boots > 1 && !js->job.has_source) {
		error("--boots %ld needs a build to deploy again: the job has no [source]",
		      cli->boots);
		ret = EXIT_USAGE;
		goto done;
	}
	snprintf(series, sizeof(series), "calibrate %ld", (long)time(NULL));
	job_setup_session(&s, js, "calibrate", series, argv);
	if (measure(&s, cli, dirs))
		goto done;
	m = model(js, cli, dirs);
	if (cli->json) {
		char *text = json_dump_pretty(m);

		puts(text);
		free(text);
	} else {
		print_model(m);
	}
	ret = save(js, m) ? EXIT_FAIL : EXIT_OK;
done:
	json_decref(m);
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
	return ret;
}

int cmd_calibrate(int argc, char **argv)
{
	struct lease_set leases = { 0 };
	struct calibrate_cli cli = { 0 };
	struct job_setup js;
	struct optset pre[] = { { calibrate_table, &cli }, { NULL, NULL } };
	int i, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(calibrate_table, &cli);
	i = opt_parse(pre, argc, argv);
	if (i >= 0 && i < argc)
		error("unexpected argument '%s'", argv[i]);
	else if (i >= 0 && !cli.job)
		error("calibrate needs '--job FILE'");
	else if (i >= 0 && !job_setup_load(&js, cli.job, cli.hosts) &&
		 !(ret = job_setup_lease(&js, &leases, "calibrate")))
		ret = calibrate(&cli, &js, argv);
	lease_release_all(&leases);
	if (i >= 0 && cli.job)
		job_setup_release(&js);
	opt_release(calibrate_table, &cli);
	return ret;
}
