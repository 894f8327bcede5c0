/*
 * BISECTDIR/result.json (format in report.h), read strictly: every
 * error names the file, the member and the value.
 */
#include "reports/report.h"
#include "common/json.h"
#include "common/util.h"

#include <ctype.h>
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
		"good", "bad", "job", "steps", "commands", "compare_good", "compare_bad", NULL };
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
