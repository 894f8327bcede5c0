/*
 * A bisection's state directory: RESULTS/bisect/<id>/ holds state.json
 * (what was asked: repository, range, metric, job) and journal.ndjson
 * (everything that happened, fsync'd line by line); RESULTS/bisect/CURRENT
 * names the bisection in progress. The journal is the truth: resuming
 * replays it into a fresh engine, which then plans what is left.
 */
#include "bisect/bisect.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATE "state.json"
#define JOURNAL "journal.ndjson"
#define CURRENT "CURRENT"

static char *current_path(const char *results)
{
	return xasprintf("%s/bisect/" CURRENT, results);
}

static char **strv_dup(char *const *v, size_t n)
{
	char **out = xcalloc(n + 1, sizeof(*out));

	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static json_t *strv_json(char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* state.json: rewritten whole (atomically) whenever it changes. */
static int write_state(const struct bisect *b, int manual)
{
	json_t *s = json_object();
	char *path = xasprintf("%s/" STATE, b->dir);
	int ret;

	json_set_str(s, "id", b->id);
	json_set_str(s, "repo", b->repo);
	json_set_str(s, "results", b->results);
	json_set_str(s, "metric", b->metric);
	json_set_str(s, "job", b->job);
	json_set(s, "manual", json_boolean(manual));
	json_set_int(s, "first_parent", b->revs.first_parent);
	json_set_str(s, "bad", b->bad ? b->bad : b->revs.bad);
	json_set(s, "goods", b->goods ? strv_json(b->goods) : strv_json(b->revs.goods));
	json_set(s, "skips", strv_json(b->skips));
	json_set_int(s, "steps", b->steps);
	ret = json_write_file(path, s, 0);
	json_decref(s);
	free(path);
	return ret;
}

static int write_current(const char *results, const char *id)
{
	char *path = current_path(results);
	char *text = xasprintf("%s\n", id);
	int ret = write_file_atomic(path, text, strlen(text), 0);

	free(text);
	free(path);
	return ret;
}

/* "20301231T235959Z-1a2b3c4d5e6f", unique within results. */
static char *new_id(const char *results, const char *bad)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
	for (int k = 0;; k++) {
		char *id = k ? xasprintf("%s-%.12s-%d", stamp, bad, k) :
			xasprintf("%s-%.12s", stamp, bad);
		char *dir = xasprintf("%s/bisect/%s", results, id);
		int taken = path_exists(dir);

		free(dir);
		if (!taken)
			return id;
		free(id);
	}
}

int bisect_create(struct bisect *out, const struct bisect_opts *o, int with_engine)
{
	struct engine_config c = o->engine;
	char *jpath = NULL;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	out->journal.fd = -1;
	if (revs_load(&out->revs, o->repo, o->bad, o->goods, o->ngoods, o->first_parent))
		return -1;
	if (!out->revs.n)
		return error("nothing to bisect: %s is not after the good commits", o->bad);
	out->id = new_id(o->results, out->revs.bad);
	out->dir = xasprintf("%s/bisect/%s", o->results, out->id);
	out->repo = path_absolute(o->repo);	/* read again from any directory */
	out->results = path_absolute(o->results);
	out->metric = o->metric ? xstrdup(o->metric) : NULL;
	out->job = o->job ? path_absolute(o->job) : NULL;
	out->last = xcalloc(out->revs.n, sizeof(*out->last));
	if (!with_engine) {
		out->bad = xstrdup(out->revs.bad);
		out->goods = strv_dup(out->revs.goods, out->revs.ngoods);
		out->skips = xcalloc(1, sizeof(char *));
	}
	if (with_engine) {
		c.n = out->revs.n;
		c.anc = out->revs.anc;
		c.words = out->revs.words;
		if (!(out->engine = engine_new(&c)))
			return -1;
	} else {
		engine_config_init(&c, out->revs.n);
	}
	if (mkdir_p(out->dir) || write_state(out, !with_engine))
		return -1;
	jpath = xasprintf("%s/" JOURNAL, out->dir);
	if (journal_create(&out->journal, jpath) ||
	    journal_start(&out->journal, &c, &out->revs, o->metric))
		goto out;
	ret = write_current(o->results, out->id);
out:
	free(jpath);
	return ret;
}

static char *read_current(const char *results)
{
	char *path = current_path(results);
	char *id = read_file(path, 4096, NULL);

	free(path);
	if (id)
		id[strcspn(id, "\r\n")] = '\0';
	if (id && (!*id || strchr(id, '/') || id[0] == '.')) {
		error("'%s/bisect/" CURRENT "': '%s' is not a bisection", results, id);
		free(id);
		return NULL;
	}
	return id;
}

static char **json_strv(const json_t *a)
{
	size_t n = json_array_size(a);
	char **v = xcalloc(n + 1, sizeof(*v));

	for (size_t i = 0, k = 0; i < n; i++)
		if (json_is_string(json_array_get(a, i)))
			v[k++] = xstrdup(json_string_value(json_array_get(a, i)));
	return v;
}

static int bisect_open(struct bisect *out, const char *results, int writable)
{
	char *id, *spath, *jpath;
	json_t *s;
	int ret = -1, manual;

	memset(out, 0, sizeof(*out));
	out->journal.fd = -1;
	id = read_current(results);
	if (!id)
		return errno == ENOENT ? PERFLAB_ENOTFOUND : -1;
	out->id = id;
	out->dir = xasprintf("%s/bisect/%s", results, id);
	spath = xasprintf("%s/" STATE, out->dir);
	jpath = xasprintf("%s/" JOURNAL, out->dir);
	s = json_load_file(spath, 0, NULL);
	if (!s || !json_get_str(s, "repo") || !json_get_str(s, "bad")) {
		error("'%s': cannot read the bisection's state", spath);
		goto out;
	}
	out->repo = xstrdup(json_get_str(s, "repo"));
	out->results = path_absolute(results);
	out->metric = json_get_str(s, "metric") ? xstrdup(json_get_str(s, "metric")) : NULL;
	out->job = json_get_str(s, "job") ? xstrdup(json_get_str(s, "job")) : NULL;
	manual = json_is_true(json_object_get(s, "manual"));
	if (manual) {
		/* a human's bisection: the range as narrowed so far */
		out->bad = xstrdup(json_get_str(s, "bad"));
		out->goods = json_strv(json_object_get(s, "goods"));
		out->skips = json_strv(json_object_get(s, "skips"));
		{
			size_t ng = 0;
			long steps = 0, fp = 0;

			json_get_long(s, "steps", 0, UINT_MAX, &steps);
			json_get_long(s, "first_parent", 0, 1, &fp);
			out->steps = (unsigned)steps;
			while (out->goods[ng])
				ng++;
			if (revs_load(&out->revs, out->repo, out->bad, out->goods, ng, (int)fp))
				goto out;
		}
	} else {
		struct engine_result res;

		if (journal_replay(jpath, &out->engine, &out->revs))
			goto out;
		out->round = engine_round(out->engine);
		out->last = xcalloc(out->revs.n, sizeof(*out->last));
		if (!engine_result(out->engine, &res)) {
			for (size_t i = 0; i < res.n && i < out->revs.n; i++)
				out->last[i] = res.commits[i].verdict;
			engine_result_release(&res);
		}
	}
	if (!out->last)
		out->last = xcalloc(out->revs.n ? out->revs.n : 1, sizeof(*out->last));
	ret = writable ? journal_open(&out->journal, jpath) : 0;
out:
	json_decref(s);
	free(spath);
	free(jpath);
	return ret;
}

int bisect_resume(struct bisect *out, const char *results)
{
	return bisect_open(out, results, 1);
}

int bisect_read(struct bisect *out, const char *results)
{
	return bisect_open(out, results, 0);
}

void bisect_release(struct bisect *b)
{
	engine_free(b->engine);
	revs_release(&b->revs);
	journal_close(&b->journal);
	free(b->dir);
	free(b->id);
	free(b->repo);
	free(b->results);
	free(b->metric);
	free(b->job);
	free(b->last);
	free(b->bad);
	strv_free(b->goods);
	strv_free(b->skips);
	memset(b, 0, sizeof(*b));
	b->journal.fd = -1;
}

int bisect_reset(const char *results)
{
	char *path = current_path(results);
	int ret = 0;

	if (unlink(path) && errno != ENOENT)
		ret = error_errno("cannot remove '%s'", path);
	free(path);
	return ret;
}

const char *bisect_commit_id(const struct bisect *b, long commit)
{
	if (commit == BISECT_GOOD_END)
		return b->revs.ngoods ? b->revs.goods[0] : NULL;
	if (commit < 0 || (size_t)commit >= b->revs.n)
		return NULL;
	return b->revs.commits[commit].id;
}

int bisect_next(struct bisect *b, struct engine_request *out, size_t max)
{
	int n;

	if (!b->engine)
		return error("a manual bisection has no engine to ask");
	n = engine_next(b->engine, out, max);
	if (n > 0 && engine_round(b->engine) > b->round) {
		b->round = engine_round(b->engine);
		if (journal_round(&b->journal, b->round, &b->revs, out, (size_t)n))
			return -1;
	}
	return n;
}

/* After a change: a verdict line for every commit whose verdict moved. */
static int journal_changes(struct bisect *b)
{
	struct engine_result res;
	int ret;

	if (engine_result(b->engine, &res))
		return -1;
	ret = journal_verdicts(&b->journal, &b->revs, &res, b->last);
	engine_result_release(&res);
	return ret;
}

int bisect_record(struct bisect *b, long commit, double value, const char *run_dir)
{
	if (journal_measurement(&b->journal, &b->revs, commit, value, run_dir, b->round) ||
	    engine_observe(b->engine, commit, value))
		return -1;
	return journal_changes(b);
}

int bisect_record_block(struct bisect *b, long commit, unsigned block, double value,
			const char *run_dir)
{
	if (journal_measurement_block(&b->journal, &b->revs, commit, block, value, run_dir,
				      b->round) ||
	    engine_observe_block(b->engine, commit, block, value))
		return -1;
	return journal_changes(b);
}

int bisect_record_unbuildable(struct bisect *b, long commit)
{
	if (journal_unbuildable(&b->journal, &b->revs, commit, b->round) ||
	    engine_unbuildable(b->engine, commit))
		return -1;
	return journal_changes(b);
}

int bisect_finish(struct bisect *b, struct engine_result *out)
{
	if (engine_result(b->engine, out))
		return -1;
	return journal_result(&b->journal, &b->revs, out);
}

int bisect_write_state(const struct bisect *b)
{
	return write_state(b, !b->engine);
}

int bisect_import(struct bisect *out, const char *results, const char *journal,
		  const char *repo, const char *metric, const char *job)
{
	struct engine_result res;
	char *text, *jpath = NULL;
	size_t len, keep;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	out->journal.fd = -1;
	if (journal_replay(journal, &out->engine, &out->revs))
		return -1;
	if (!(text = read_file(journal, 0, &len)))
		return error_errno("cannot read the journal '%s'", journal);
	for (keep = len; keep && text[keep - 1] != '\n'; keep--)
		;	/* a torn last line was never reported written */
	out->id = new_id(results, out->revs.bad);
	out->dir = xasprintf("%s/bisect/%s", results, out->id);
	out->repo = path_absolute(repo);
	out->results = path_absolute(results);
	out->metric = metric ? xstrdup(metric) : NULL;
	out->job = job ? path_absolute(job) : NULL;
	out->round = engine_round(out->engine);
	out->last = xcalloc(out->revs.n ? out->revs.n : 1, sizeof(*out->last));
	if (!engine_result(out->engine, &res)) {
		for (size_t i = 0; i < res.n && i < out->revs.n; i++)
			out->last[i] = res.commits[i].verdict;
		engine_result_release(&res);
	}
	if (mkdir_p(out->dir) || write_state(out, 0))
		goto out;
	jpath = xasprintf("%s/" JOURNAL, out->dir);
	if (write_file_atomic(jpath, text, keep, 0) || journal_open(&out->journal, jpath))
		goto out;
	ret = write_current(results, out->id);
out:
	free(jpath);
	free(text);
	return ret;
}

char *bisect_current(const char *results)
{
	return read_current(results);
}
