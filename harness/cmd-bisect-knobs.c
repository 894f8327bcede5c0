/*
 * perflab bisect knobs --job F --items FILE: which configuration items
 * make the regression? FILE lists items, one per line, each a key of
 * the job's [workload] or [run] with its value ("bufsize = 4K",
 * "nodelay = yes", "cc = bbr"). The baseline is the job as it is; a
 * subset is the job with those items applied. Delta debugging
 * (bisect/knobs.h) measures subsets against the baseline until it
 * holds the smallest set that still reproduces the regression.
 */
#include "harness/builtin.h"
#include "lab/jobsetup.h"
#include "lab/knobitems.h"
#include "bisect/knobs.h"
#include "store/rundir.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct knobs_cli {
	char *job;
	char *hosts;
	char *items;
	char *metric;
	long runs;
	long max_runs;
};

#define C(name, sh, type, field, lo, hi, def, argh, help) \
	{ name, sh, type, offsetof(struct knobs_cli, field), lo, hi, NULL, def, argh, help }

static const struct opt knobs_table[] = {
	C("job", 'j', OPT_STRING, job, 0, 0, NULL, "FILE", "the job: its configuration is the baseline"),
	C("hosts", 'H', OPT_STRING, hosts, 0, 0, NULL, "FILE", "the lab (default: this machine)"),
	C("items", 0, OPT_STRING, items, 0, 0, NULL, "FILE",
	  "the items, one 'key = value' of [workload] or [run] per line"),
	C("metric", 'm', OPT_STRING, metric, 0, 0, "cpu_per_gbit", "NAME", "the metric judged"),
	C("runs", 'n', OPT_INT, runs, 3, 100, "5", "N", "runs per look"),
	C("max-runs", 0, OPT_INT, max_runs, 3, 1000, "15", "N",
	  "runs of one subset before it is called unresolved"),
	OPT_END_ROW
};

struct knobs_ctx {
	struct knobs_cli *cli;
	struct items *it;
	struct gate gate;
	char **argv;
	double *base;		/* the baseline's values */
	size_t nbase;
	unsigned runs;
};

/* n more runs of the job with the subset applied; values appended. */
static int measure(struct knobs_ctx *k, const size_t *subset, size_t ns, unsigned n,
		   double **v, size_t *nv)
{
	struct job_setup js;
	struct session s;
	int ret = 0;

	if (job_setup_load(&js, k->cli->job, k->cli->hosts)) {
		job_setup_release(&js);
		return -1;
	}
	for (size_t i = 0; i < ns; i++) {
		const struct item *x = &k->it->v[subset[i]];
		struct strbuf err = STRBUF_INIT;

		if (opt_set(x->o, x->in_run ? (void *)&js.run : (void *)&js.workload, x->value,
			    &err))
			ret = error("%s:%d: %s", k->it->path, x->line, err.buf);
		strbuf_release(&err);
	}
	job_setup_session(&s, &js, "bisect", "bisect knobs", k->argv);
	for (unsigned r = 0; !ret && r < n; r++) {
		char *dir = NULL;
		enum run_status st = session_measure(&s, NULL, ns ? "subset" : "baseline", 0, &dir);

		if (st == RUN_ABORTED || st == RUN_SKIPPED)
			ret = error("the lab cannot measure this configuration");
		*v = xrealloc(*v, (*nv + 1) * sizeof(double));
		(*v)[(*nv)++] = st == RUN_COMPLETE ? run_dir_metric(dir, k->gate.m) : NAN;
		free(dir);
		k->runs++;
	}
	job_setup_release(&js);
	return ret;
}

static int oracle(const size_t *subset, size_t n, void *data)
{
	struct knobs_ctx *k = data;
	double *v = NULL;
	size_t nv = 0;
	int ret = KNOBS_UNRESOLVED;
	struct strbuf names = STRBUF_INIT;

	for (size_t i = 0; i < n; i++)
		strbuf_addf(&names, "%s%s=%s", i ? ", " : "", k->it->v[subset[i]].key,
			    k->it->v[subset[i]].value);
	struct stats_verdict vd = { .ratio = NAN, .lo = NAN, .hi = NAN };

	while (nv < (size_t)k->cli->max_runs) {

		if (measure(k, subset, n, (unsigned)k->cli->runs, &v, &nv)) {
			ret = PERFLAB_EGENERIC;
			break;
		}
		if (stats_verdict(&vd, k->base, k->nbase, v, nv, k->gate.threshold, 0.01))
			break;
		if (vd.outcome != STATS_INCONCLUSIVE) {
			ret = vd.outcome == STATS_BAD ? KNOBS_BAD : KNOBS_GOOD;
			printf("  {%s}: %s, %s %+.1f%% [%+.1f%%, %+.1f%%]\n", names.buf,
			       stats_outcome_name(vd.outcome), k->gate.m->name,
			       100 * (vd.ratio - 1), 100 * (vd.lo - 1), 100 * (vd.hi - 1));
			break;
		}
	}
	if (ret == KNOBS_UNRESOLVED)
		printf("  {%s}: unresolved after %zu runs, %s %+.1f%% [%+.1f%%, %+.1f%%]\n",
		       names.buf, nv, k->gate.m->name, 100 * (vd.ratio - 1), 100 * (vd.lo - 1),
		       100 * (vd.hi - 1));
	fflush(stdout);
	strbuf_release(&names);
	free(v);
	return ret;
}

int cmd_bisect_knobs_job(int argc, char **argv)
{
	struct knobs_cli cli = { 0 };
	struct optset sets[] = { { knobs_table, &cli }, { NULL, NULL } };
	struct items it = { 0 };
	struct knobs_ctx k = { 0 };
	struct knobs_result res = { 0 };
	struct lease_set leases = { 0 };
	int i, ret = EXIT_USAGE;

	opt_defaults(knobs_table, &cli);
	i = opt_parse(sets, argc, argv);
	if (i < 0)
		goto out;
	if (i < argc || !cli.job || !cli.items) {
		error("usage: perflab bisect knobs --job F --items FILE [--hosts H]");
		goto out;
	}
	if (knob_items_load(&it, cli.items))
		goto out;
	k.gate.m = metric_find(cli.metric);
	if (!k.gate.m || !k.gate.m->worse) {
		error("--metric '%s': not a metric with a bad direction", cli.metric);
		goto out;
	}
	k.gate.threshold = k.gate.m->worse * 0.05;
	{
		struct job_setup js;

		if (job_setup_load(&js, cli.job, cli.hosts)) {
			job_setup_release(&js);
			goto out;
		}
		for (size_t g = 0; g < js.ngates; g++)
			if (js.gates[g].m == k.gate.m)
				k.gate.threshold = js.gates[g].threshold;
		/* the lab, for the whole search: released when the command ends */
		if ((ret = job_setup_lease(&js, &leases, "bisect knobs"))) {
			job_setup_release(&js);
			goto out;
		}
		job_setup_release(&js);
	}
	k.cli = &cli;
	k.it = &it;
	k.argv = argv;
	ret = EXIT_FATAL;
	/* as many baseline runs as a subset may get: small samples cannot be significant */
	printf("baseline: the job as it is, %ld runs\n", cli.max_runs);
	if (measure(&k, NULL, 0, (unsigned)cli.max_runs, &k.base, &k.nbase))
		goto out;
	printf("delta debugging over %zu items (%s, %+.0f%% is bad):\n", it.n, k.gate.m->name,
	       100 * k.gate.threshold);
	i = knobs_ddmin(&res, it.n, oracle, &k);
	if (i == PERFLAB_EINVAL) {
		printf("all items together do not reproduce the regression\n");
		ret = EXIT_FAIL;
	} else if (!i) {
		printf("\nthe smallest set that reproduces it (%u subsets tested, %u runs):\n",
		       res.tests, k.runs);
		for (size_t j = 0; j < res.n; j++)
			printf("  %s = %s   (%s:%d)\n", it.v[res.items[j]].key,
			       it.v[res.items[j]].value, cli.items, it.v[res.items[j]].line);
		ret = EXIT_OK;
	}
	knobs_result_release(&res);
out:
	lease_release_all(&leases);
	free(k.base);
	knob_items_release(&it);
	opt_release(knobs_table, &cli);
	return ret;
}
