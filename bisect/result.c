/*
 * BISECTDIR/result.json (format in result.h), read strictly: every
 * error names the file, the member and the value.
 */
#include "bisect/result.h"
#include "bisect/bisect.h"
#include "store/metric.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/json.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <unistd.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESULT_MAX_ITEMS 100000

struct ctx {
	const char *name;	/* the file */
};

static int bad(const struct ctx *c, const char *where, const json_t *v, const char *want)
{
	char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : xstrdup("missing");
	char *shown = s && strlen(s) > 60 ? xasprintf("%.57s...", s) : xstrdup(s ? s : "?");

	error("'%s': %s is %s: expected %s", c->name, where, shown, want);
	free(s);
	free(shown);
	return PERFLAB_EINVAL;
}

static int is_id(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = s ? strlen(s) : 0;

	if (n < 4 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int get_id(char **out, const struct ctx *c, const char *where, const json_t *v,
		  int optional)
{
	if (optional && (!v || json_is_null(v)))
		return 0;
	if (!is_id(v))
		return bad(c, where, v, "a commit id (4 to 64 hex digits)");
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int get_str(char **out, const struct ctx *c, const char *where, const json_t *v)
{
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(c, where, v, "a string or null");
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* A path below BISECTDIR: relative, no "..", no control characters. */
static int get_rel(char **out, const struct ctx *c, const char *where, const json_t *v)
{
	const char *s = json_string_value(v);

	if (!v || json_is_null(v))
		return 0;
	if (!s || !*s || *s == '/' || !strcmp(s, "..") || !strncmp(s, "../", 3) ||
	    strstr(s, "/../") || (strlen(s) > 2 && !strcmp(s + strlen(s) - 3, "/..")))
		return bad(c, where, v, "a path relative to the bisection directory");
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20)
			return bad(c, where, v, "a path without control characters");
	*out = xstrdup(s);
	return 0;
}

static int check_keys(const struct ctx *c, const char *where, const json_t *o,
		      const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)o, k, v) {
		int ok = 0;

		for (int i = 0; keys[i]; i++)
			ok |= !strcmp(k, keys[i]);
		if (!ok)
			return error("'%s': %s has an unknown member '%s'", c->name, where, k),
			       PERFLAB_EINVAL;
	}
	return 0;
}

static int is_one_of(const json_t *v, const char *const *names)
{
	for (int i = 0; json_is_string(v) && names[i]; i++)
		if (!strcmp(json_string_value(v), names[i]))
			return 1;
	return 0;
}

/* An array of items (commit ids or relative paths) into *out. */
static int get_list(char ***out, size_t *n, const struct ctx *c, const char *where,
		    const json_t *v, int ids)
{
	const json_t *x;
	size_t i;
	int ret = 0;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > RESULT_MAX_ITEMS)
		return bad(c, where, v, "an array");
	*out = xcalloc(json_array_size(v) + 1, sizeof(**out));
	json_array_foreach(v, i, x) {
		char *w = xasprintf("%s[%zu]", where, i);

		ret = ids > 0 ? get_id(&(*out)[*n], c, w, x, 0)
		      : ids < 0 ? (json_is_string(x) ? get_str(&(*out)[*n], c, w, x)
				   : bad(c, w, x, "a string"))
		      : (json_is_string(x) ? get_rel(&(*out)[*n], c, w, x)
			 : bad(c, w, x, "a relative path"));
		free(w);
		if (ret)
			return ret;
		(*n)++;
	}
	return 0;
}

static int get_step(struct bisect_step *s, const struct ctx *c, size_t i, const json_t *o)
{
	static const char *const keys[] = { "round", "commit", "verdict", "runs", NULL };
	static const char *const verdicts[] = { "good", "bad", "skip", "inconclusive", NULL };
	const json_t *round = json_object_get(o, "round"), *verdict = json_object_get(o, "verdict");
	char w[64];
	int ret;

	snprintf(w, sizeof(w), "steps[%zu]", i);
	if (!json_is_object(o))
		return bad(c, w, o, "an object");
	if ((ret = check_keys(c, w, o, keys)))
		return ret;
	snprintf(w, sizeof(w), "steps[%zu].round", i);
	if (!json_is_integer(round) || json_integer_value(round) < 0)
		return bad(c, w, round, "an integer >= 0");
	s->round = (long)json_integer_value(round);
	snprintf(w, sizeof(w), "steps[%zu].commit", i);
	if ((ret = get_id(&s->commit, c, w, json_object_get(o, "commit"), 0)))
		return ret;
	snprintf(w, sizeof(w), "steps[%zu].verdict", i);
	if (!is_one_of(verdict, verdicts))
		return bad(c, w, verdict, "good, bad, skip or inconclusive");
	s->verdict = xstrdup(json_string_value(verdict));
	snprintf(w, sizeof(w), "steps[%zu].runs", i);
	return get_list(&s->runs, &s->nr_runs, c, w, json_object_get(o, "runs"), 0);
}

static int get_steps(struct bisect_result *r, const struct ctx *c, const json_t *v)
{
	const json_t *o;
	size_t i;
	int ret;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > RESULT_MAX_ITEMS)
		return bad(c, "steps", v, "an array of steps");
	r->steps = xcalloc(json_array_size(v) + 1, sizeof(*r->steps));
	json_array_foreach(v, i, o) {
		r->nr_steps++;	/* counted first: a half-read step is released too */
		if ((ret = get_step(&r->steps[r->nr_steps - 1], c, i, o)))
			return ret;
	}
	return 0;
}

static int get_culprit(struct bisect_result *r, const struct ctx *c, const json_t *v)
{
	static const char *const keys[] = { "commit", "subject", NULL };
	int ret;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return bad(c, "culprit", v, "an object with commit and subject, or null");
	if ((ret = check_keys(c, "culprit", v, keys)) ||
	    (ret = get_id(&r->culprit, c, "culprit.commit", json_object_get(v, "commit"), 0)) ||
	    (ret = get_str(&r->culprit_subject, c, "culprit.subject",
			   json_object_get(v, "subject"))))
		return ret;
	return 0;
}

static int get_range(struct bisect_result *r, const struct ctx *c, const json_t *v)
{
	int ret;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) != 2)
		return bad(c, "range", v, "[good id, bad id] or null");
	if ((ret = get_id(&r->range[0], c, "range[0]", json_array_get(v, 0), 0)))
		return ret;
	return get_id(&r->range[1], c, "range[1]", json_array_get(v, 1), 0);
}

static int get_num(double *out, const struct ctx *c, const char *where, const json_t *v)
{
	*out = NAN;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return bad(c, where, v, "a number or null");
	*out = json_number_value(v);
	return 0;
}

static int get_verdict(struct bisect_result *r, const struct ctx *c, const json_t *v)
{
	static const char *const keys[] = { "metric", "ratio", "lo", "hi", "p", NULL };
	const json_t *m = json_object_get(v, "metric");
	int ret;

	r->ratio = r->lo = r->hi = r->p = NAN;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return bad(c, "verdict", v, "an object or null");
	if ((ret = check_keys(c, "verdict", v, keys)))
		return ret;
	if (!json_is_string(m) || !*json_string_value(m))
		return bad(c, "verdict.metric", m, "a metric name");
	r->metric = xstrdup(json_string_value(m));
	if ((ret = get_num(&r->ratio, c, "verdict.ratio", json_object_get(v, "ratio"))) ||
	    (ret = get_num(&r->lo, c, "verdict.lo", json_object_get(v, "lo"))) ||
	    (ret = get_num(&r->hi, c, "verdict.hi", json_object_get(v, "hi"))))
		return ret;
	return get_num(&r->p, c, "verdict.p", json_object_get(v, "p"));
}

static int get_head(struct bisect_result *r, const struct ctx *c, const json_t *doc)
{
	static const char *const statuses[] = { "culprit", "range", "not reproduced",
						"inconclusive", NULL };
	const json_t *st = json_object_get(doc, "status");
	int ret;

	if (!is_one_of(st, statuses))
		return bad(c, "status", st, "culprit, range, not reproduced or inconclusive");
	r->status = xstrdup(json_string_value(st));
	if ((ret = get_id(&r->good, c, "good", json_object_get(doc, "good"), 0)) ||
	    (ret = get_id(&r->bad, c, "bad", json_object_get(doc, "bad"), 0)) ||
	    (ret = get_str(&r->job, c, "job", json_object_get(doc, "job"))))
		return ret;
	if (!strcmp(r->status, "culprit") && !json_is_object(json_object_get(doc, "culprit")))
		return bad(c, "culprit", json_object_get(doc, "culprit"),
			   "the culprit (status is culprit)");
	return 0;
}

int bisect_result_parse(struct bisect_result *r, const json_t *doc, const char *name)
{
	static const char *const keys[] = { "status", "culprit", "range", "skipped", "verdict",
		"good", "bad", "job", "steps", "commands", "compare_good", "compare_bad", "hunt", NULL };
	struct ctx c = { name };
	int ret;

	memset(r, 0, sizeof(*r));
	r->ratio = r->lo = r->hi = r->p = NAN;
	if (!json_is_object(doc))
		return bad(&c, "the document", doc, "an object");
	if ((ret = check_keys(&c, "the document", doc, keys)) ||
	    (ret = get_head(r, &c, doc)) ||
	    (ret = get_culprit(r, &c, json_object_get(doc, "culprit"))) ||
	    (ret = get_range(r, &c, json_object_get(doc, "range"))) ||
	    (ret = get_list(&r->skipped, &r->nr_skipped, &c, "skipped",
			    json_object_get(doc, "skipped"), 1)) ||
	    (ret = get_verdict(r, &c, json_object_get(doc, "verdict"))) ||
	    (ret = get_steps(r, &c, json_object_get(doc, "steps"))) ||
	    (ret = get_list(&r->commands, &r->nr_commands, &c, "commands",
			    json_object_get(doc, "commands"), -1)) ||
	    (ret = get_rel(&r->compare_good, &c, "compare_good",
			   json_object_get(doc, "compare_good"))))
		return ret;
	ret = get_rel(&r->compare_bad, &c, "compare_bad", json_object_get(doc, "compare_bad"));
	{
		const json_t *hunt = json_object_get(doc, "hunt");
		const char *h = json_string_value(hunt);

		if (!ret && hunt && (!h || (strcmp(h, "regression") && strcmp(h, "improvement"))))
			ret = bad(&c, "hunt", hunt, "regression or improvement");
		r->improvement = h && !strcmp(h, "improvement");
	}
	if (!r->culprit_subject)
		r->culprit_subject = xstrdup("");
	return ret;
}

int bisect_result_load(struct bisect_result *out, const char *path)
{
	json_t *doc = json_load_path(path);
	int ret;

	memset(out, 0, sizeof(*out));
	if (!doc)
		return PERFLAB_EINVAL;
	ret = bisect_result_parse(out, doc, path);
	json_decref(doc);
	return ret;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void bisect_result_release(struct bisect_result *r)
{
	for (size_t i = 0; i < r->nr_steps; i++) {
		free(r->steps[i].commit);
		free(r->steps[i].verdict);
		free_list(r->steps[i].runs, r->steps[i].nr_runs);
	}
	free(r->steps);
	free_list(r->skipped, r->nr_skipped);
	free_list(r->commands, r->nr_commands);
	free(r->status);
	free(r->culprit);
	free(r->culprit_subject);
	free(r->range[0]);
	free(r->range[1]);
	free(r->metric);
	free(r->good);
	free(r->bad);
	free(r->job);
	free(r->compare_good);
	free(r->compare_bad);
	memset(r, 0, sizeof(*r));
}

/* ---- writing ---- */

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
	const struct bisect_files *f;
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
	long round = 0, c;
	struct step *s;
	size_t k;

	if (!type || strcmp(type, "measurement") ||
	    json_get_long(ev, "commit", -1, (long)st->f->b->revs.n - 1, &c))
		return 0;
	json_get_long(ev, "round", 0, UINT_MAX, &round);
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
	if (link_run(st->f->b->dir, NULL, dir, &s->runs[s->n]))
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
	long side[2] = { BISECT_GOOD_END, (long)st->f->b->revs.n - 1 };
	const char *names[2] = { "good", "bad" };

	if (res->culprit >= 0) {
		const struct bisect_commit *cc = &st->f->b->revs.commits[res->culprit];

		side[1] = res->culprit;
		side[0] = cc->nparents ? (long)cc->parents[0] : BISECT_GOOD_END;
	}
	for (int i = 0; i < 2; i++) {
		size_t k = (size_t)(side[i] + 1);
		char *key = xasprintf("compare_%s", names[i]);
		int ok = st->ndirs[k] > 0;

		for (size_t j = 0; j < st->ndirs[k]; j++)
			ok &= !link_run(st->f->b->dir, names[i], st->dirs[k][j], NULL);
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

int bisect_write_files(const struct bisect_files *f, const struct engine_result *res)
{
	const struct bisect *b = f->b;
	size_t n = b->revs.n;
	struct steps st = { .f = f };
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
	json_set_str(trace, "metric", f->m->name);
	json_set_str(trace, "unit", f->m->unit);
	json_set_str(trace, "label", f->m->label);
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
					      json_real(st.values[k][i] * f->m->scale) :
					      json_null());
		json_set(p, "values", vals);
		json_array_append_new(points, p);
	}
	json_set(trace, "points", points);
	if (res->culprit >= 0)
		json_set_str(trace, "culprit", b->revs.commits[res->culprit].id);

	json_set_str(result, "status", bisect_status_name(res->status));
	json_set_str(result, "hunt", f->improvement ? "improvement" : "regression");
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

		json_set_str(v, "metric", f->m->name);
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
	json_set_str(result, "job", f->job);
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

		strbuf_addf(&sb, "perflab bisect run --job %s", f->job);
		if (f->hosts)
			strbuf_addf(&sb, " --hosts %s", f->hosts);
		for (size_t i = 0; i < b->revs.ngoods; i++)
			strbuf_addf(&sb, " --good %s", b->revs.goods[i]);
		strbuf_addf(&sb, " --bad %s --metric %s --threshold %+.1f%%", b->revs.bad,
			    f->m->name, 100 * f->threshold);
		json_array_append_new(cmds, json_string(sb.buf));
		strbuf_release(&sb);
		if (res->culprit >= 0) {
			const struct bisect_commit *cc = &b->revs.commits[res->culprit];
			char *cmd = xasprintf("perflab compare --job %s %s/runs/good %s/runs/bad",
					      f->job, b->dir, b->dir);

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
