#include "lab/jobsetup.h"
#include "lab/config.h"
#include "lab/thresholds.h"
#include "lab/checks.h"
#include "common/util.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

int job_apply(const char *path, struct run_opts *r, struct load_client_opts *w,
	      struct deploy_opts *d)
{
	struct cfg_file f;
	const struct cfg_section *s;
	int ret = 0;

	if (cfg_file_load(&f, path))
		return -1;
	if (f.kind != CFG_JOB)
		ret = error("'%s' is not a job file", path);
	if (!ret && (s = cfg_find(&f, "workload")))
		ret = cfg_section_apply(&f, s, load_client_table, w);
	if (!ret && (s = cfg_find(&f, "run")))
		ret = cfg_section_apply(&f, s, run_table, r);
	if (!ret && (s = cfg_find(&f, "deploy")))
		ret = cfg_section_apply(&f, s, deploy_table, d);
	if (!ret && (s = cfg_find(&f, "checks")))
		ret = checks_apply(&f, s, r);
	cfg_file_release(&f);
	return ret;
}

static int load_gates(struct job_setup *js, const char *path)
{
	struct cfg_file f;
	const struct cfg_section *s;
	int n = 0;

	if (cfg_file_load(&f, path))
		return -1;
	if ((s = cfg_find(&f, "thresholds")))
		n = thresholds_gates(&f, s, js->gates, JOB_MAX_GATES);
	cfg_file_release(&f);
	if (n < 0)
		return -1;
	js->ngates = n ? (size_t)n : gates_default(js->gates, JOB_MAX_GATES);
	return 0;
}

static char *job_name(const char *path)
{
	char *copy = xstrdup(path), *base = xstrdup(basename(copy)), *dot = strrchr(base, '.');

	if (dot && dot != base)
		*dot = '\0';
	free(copy);
	return base;
}

int job_setup_load(struct job_setup *js, const char *job_path, const char *hosts_path)
{
	memset(js, 0, sizeof(*js));
	opt_defaults(run_table, &js->run);
	opt_defaults(load_client_table, &js->workload);
	opt_defaults(deploy_table, &js->deploy);
	js->workload.warmup = 2;
	js->name = job_name(job_path);
	if (job_apply(job_path, &js->run, &js->workload, &js->deploy) ||
	    job_load(&js->job, job_path) || load_gates(js, job_path))
		return -1;
	if (hosts_path) {
		if (hostlist_load(&js->hosts, hosts_path))
			return -1;
		js->have_hosts = 1;
	}
	return 0;
}

void job_setup_release(struct job_setup *js)
{
	opt_release(run_table, &js->run);
	opt_release(load_client_table, &js->workload);
	opt_release(deploy_table, &js->deploy);
	job_release(&js->job);
	if (js->have_hosts)
		hostlist_release(&js->hosts);
	free(js->name);
	memset(js, 0, sizeof(*js));
}

void job_setup_session(struct session *s, struct job_setup *js, const char *kind,
		       const char *series, char *const *argv)
{
	memset(s, 0, sizeof(*s));
	s->run = &js->run;
	s->workload = &js->workload;
	s->hosts = js->have_hosts ? &js->hosts : NULL;
	s->deploy = &js->deploy;
	s->job = &js->job;
	s->kind = kind;
	s->series = series;
	s->argv = argv;
}

int job_setup_lease(struct job_setup *js, struct lease_set *out, const char *what)
{
	struct lease_wait w = { js->run.lease_wait, NULL };
	char *desc = xasprintf("%s %s", what, js->job.path);
	int ret;

	memset(out, 0, sizeof(*out));
	w.what = desc;
	ret = js->have_hosts ? lease_take_all(out, &js->hosts, &w) : 0;
	free(desc);
	return ret ? EXIT_FATAL : 0;
}
