/*
 * BISECTDIR/trace.json (format in result.h), read strictly: every error
 * names the file, the member and the value.
 */
#include "bisect/result.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRACE_MAX_POINTS 100000
#define TRACE_MAX_VALUES 100000

const char *const trace_verdict_names[TRACE_NR_VERDICTS] = {
	"good", "bad", "skip", "inconclusive"
};

void trace_release(struct trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].commit);
		free(t->v[i].subject);
		free(t->v[i].values);
	}
	free(t->v);
	free(t->metric);
	free(t->unit);
	free(t->label);
	free(t->culprit);
	memset(t, 0, sizeof(*t));
}

/* A value for a message: short, on one line. */
static char *show(const json_t *v)
{
	char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : xstrdup("nothing");
	char *out;

	if (!s)
		return xstrdup("?");
	out = strlen(s) > 60 ? xasprintf("%.57s...", s) : xstrdup(s);
	free(s);
	return out;
}

static int bad_value(const char *name, const char *where, const json_t *v, const char *want)
{
	char *s = show(v);

	error("'%s': %s is %s: expected %s", name, where, s, want);
	free(s);
	return PERFLAB_EINVAL;
}

static int is_commit_id(const char *s)
{
	size_t n = strlen(s);

	if (n < 4 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Only the keys of allowed (NULL-terminated) may appear. */
static int only_keys(const json_t *o, const char *const *allowed, const char *name,
		     const char *where)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)o, key, v) {
		int ok = 0;

		for (int k = 0; allowed[k]; k++)
			ok |= !strcmp(key, allowed[k]);
		if (!ok)
			return error("'%s': %s has an unknown member '%s'", name, where, key),
			       PERFLAB_EINVAL;
	}
	return 0;
}

/* An optional string member (NULL or absent gives def). */
static int opt_str(char **out, const json_t *o, const char *key, const char *def,
		   const char *name, const char *where)
{
	const json_t *v = json_object_get(o, key);

	if (v && !json_is_null(v) && !json_is_string(v)) {
		char *w = xasprintf("%s%s", where, key);
		int ret = bad_value(name, w, v, "a string");

		free(w);
		return ret;
	}
	*out = xstrdup(json_is_string(v) ? json_string_value(v) : def);
	return 0;
}

static int parse_verdict(enum trace_verdict *out, const json_t *v, const char *name,
			 const char *where)
{
	for (int k = 0; k < TRACE_NR_VERDICTS && json_is_string(v); k++)
		if (!strcmp(json_string_value(v), trace_verdict_names[k])) {
			*out = (enum trace_verdict)k;
			return 0;
		}
	return bad_value(name, where, v, "good, bad, skip or inconclusive");
}

static int parse_values(struct trace_point *p, const json_t *v, const char *name,
			const char *where)
{
	const json_t *x;
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > TRACE_MAX_VALUES)
		return bad_value(name, where, v, "an array of numbers");
	p->values = xcalloc(json_array_size(v) + 1, sizeof(*p->values));
	json_array_foreach(v, i, x) {
		if (!json_is_number(x) && !json_is_null(x)) {
			char *w = xasprintf("%s[%zu]", where, i);
			int ret = bad_value(name, w, x, "a number or null");

			free(w);
			return ret;
		}
		p->values[p->nr_values++] = json_is_number(x) ? json_number_value(x) : NAN;
	}
	return 0;
}

static int parse_point(struct trace_point *p, const json_t *o, const char *name, size_t i)
{
	static const char *const keys[] = { "order", "commit", "subject", "verdict", "values",
					    NULL };
	char where[64];
	const json_t *order = json_object_get(o, "order"), *commit = json_object_get(o, "commit");
	int ret;

	snprintf(where, sizeof(where), "points[%zu]", i);
	if (!json_is_object(o))
		return bad_value(name, where, o, "an object");
	if ((ret = only_keys(o, keys, name, where)))
		return ret;
	snprintf(where, sizeof(where), "points[%zu].order", i);
	if (!json_is_integer(order) || json_integer_value(order) < 0)
		return bad_value(name, where, order, "an integer >= 0");
	p->order = (long)json_integer_value(order);
	snprintf(where, sizeof(where), "points[%zu].commit", i);
	if (!json_is_string(commit) || !is_commit_id(json_string_value(commit)))
		return bad_value(name, where, commit, "a commit id (4 to 64 hex digits)");
	p->commit = xstrdup(json_string_value(commit));
	snprintf(where, sizeof(where), "points[%zu].", i);
	if ((ret = opt_str(&p->subject, o, "subject", "", name, where)))
		return ret;
	snprintf(where, sizeof(where), "points[%zu].verdict", i);
	if ((ret = parse_verdict(&p->verdict, json_object_get(o, "verdict"), name, where)))
		return ret;
	snprintf(where, sizeof(where), "points[%zu].values", i);
	return parse_values(p, json_object_get(o, "values"), name, where);
}

static int by_order(const void *a, const void *b)
{
	const struct trace_point *x = a, *y = b;

	return (x->order > y->order) - (x->order < y->order);
}

static int parse_points(struct trace *t, const json_t *pts, const char *name)
{
	const json_t *o;
	size_t i;
	int ret;

	if (!json_is_array(pts) || !json_array_size(pts) ||
	    json_array_size(pts) > TRACE_MAX_POINTS)
		return bad_value(name, "points", pts, "a non-empty array of commits");
	t->v = xcalloc(json_array_size(pts), sizeof(*t->v));
	json_array_foreach(pts, i, o) {
		t->n++;		/* counted first: a half-read point is released too */
		if ((ret = parse_point(&t->v[t->n - 1], o, name, i)))
			return ret;
	}
	qsort(t->v, t->n, sizeof(*t->v), by_order);
	for (i = 1; i < t->n; i++)
		if (t->v[i].order == t->v[i - 1].order)
			return error("'%s': two points have order %ld", name, t->v[i].order),
			       PERFLAB_EINVAL;
	return 0;
}

/* The culprit must be (a prefix of) one of the points' commits. */
static int parse_culprit(struct trace *t, const json_t *v, const char *name)
{
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !is_commit_id(json_string_value(v)))
		return bad_value(name, "culprit", v, "a commit id or null");
	for (size_t i = 0; i < t->n; i++)
		if (!strncmp(t->v[i].commit, json_string_value(v), strlen(json_string_value(v)))) {
			t->culprit = xstrdup(t->v[i].commit);
			return 0;
		}
	return bad_value(name, "culprit", v, "one of the points' commits");
}

int trace_parse(struct trace *t, const json_t *doc, const char *name)
{
	static const char *const keys[] = { "metric", "unit", "label", "points", "culprit",
					    NULL };
	const json_t *metric = json_object_get(doc, "metric");
	int ret;

	memset(t, 0, sizeof(*t));
	if (!json_is_object(doc))
		return bad_value(name, "the document", doc, "an object");
	if ((ret = only_keys(doc, keys, name, "the document")))
		return ret;
	if (!json_is_string(metric) || !*json_string_value(metric))
		return bad_value(name, "metric", metric, "a metric name");
	t->metric = xstrdup(json_string_value(metric));
	if ((ret = opt_str(&t->unit, doc, "unit", "", name, "")) ||
	    (ret = opt_str(&t->label, doc, "label", t->metric, name, "")) ||
	    (ret = parse_points(t, json_object_get(doc, "points"), name)))
		return ret;
	return parse_culprit(t, json_object_get(doc, "culprit"), name);
}

int trace_load(struct trace *out, const char *path)
{
	json_t *doc = json_load_path(path);
	int ret;

	memset(out, 0, sizeof(*out));
	if (!doc)
		return PERFLAB_EINVAL;
	ret = trace_parse(out, doc, path);
	json_decref(doc);
	return ret;
}
