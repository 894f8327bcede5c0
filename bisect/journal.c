/*
 * The journal of a bisection: JSON lines, fsync'd line by line; read
 * back with a torn last line tolerated; replayed into a fresh engine.
 */
#include "bisect/journal.h"
#include "bisect/revs.h"
#include "common/json.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>

static const char *events[] = { "start", "round", "measurement", "unbuildable", "verdict",
				"result", "mark", NULL };

static int journal_fdopen(struct journal *out, const char *path, int flags)
{
	memset(out, 0, sizeof(*out));
	out->fd = open(path, flags | O_WRONLY | O_APPEND | O_CLOEXEC, 0644);
	if (out->fd < 0)
		return error_errno("cannot open the journal '%s'", path);
	out->path = xstrdup(path);
	return 0;
}

int journal_create(struct journal *out, const char *path)
{
	return journal_fdopen(out, path, O_CREAT | O_EXCL);
}

static int known_event(const json_t *o);

/* Does buf[0..len) hold one journal event (a line without its newline)? */
static int whole_event(const char *buf, size_t len)
{
	json_t *o = json_loadb(buf, len, 0, NULL);
	int ok = o && known_event(o);

	json_decref(o);
	return ok;
}

/*
 * Where the text after the last newline starts, and whether it is torn:
 * an event that parses was written whole and only misses its newline.
 */
static size_t last_line(const char *buf, size_t len, int *torn)
{
	size_t start = len;

	while (start && buf[start - 1] != '\n')
		start--;
	*torn = start < len && !whole_event(buf + start, len - start);
	return start;
}

int journal_open(struct journal *out, const char *path)
{
	size_t len, start;
	char *buf = read_file(path, 0, &len);
	int torn, ret;

	if (!buf)
		return error_errno("cannot read the journal '%s'", path);
	start = last_line(buf, len, &torn);
	free(buf);
	if (torn && truncate(path, (off_t)start) < 0)
		return error_errno("cannot cut the torn last line of '%s'", path);
	if (torn)
		warning("'%s': cut its torn last line (a crash while writing it)", path);
	ret = journal_fdopen(out, path, 0);
	if (!ret && !torn && start < len && write_all(out->fd, "\n", 1) < 0)
		ret = error_errno("cannot end the last line of '%s'", path);
	return ret;
}

int journal_close(struct journal *j)
{
	int ret = 0;

	if (j->fd >= 0 && j->path && close(j->fd) < 0)
		ret = error_errno("cannot close the journal '%s'", j->path);
	j->fd = -1;
	free(j->path);
	j->path = NULL;
	return ret;
}

int journal_append(struct journal *j, json_t *ev)
{
	char *line = json_dump_compact(ev);
	size_t len = strlen(line);
	int ret = 0;

	line = xrealloc(line, len + 2);
	line[len] = '\n';
	if (write_all(j->fd, line, len + 1) < 0 || fsync(j->fd) < 0)
		ret = error_errno("cannot write the journal '%s'", j->path);
	else
		j->lines++;
	free(line);
	json_decref(ev);
	return ret;
}

static json_t *event(const char *name)
{
	json_t *ev = json_object();

	json_set_str(ev, "ev", name);
	return ev;
}

static const char *id_of(const struct bisect_revs *r, long commit)
{
	if (commit == BISECT_GOOD_END)
		return r && r->ngoods ? r->goods[0] : NULL;
	return r && commit >= 0 && (size_t)commit < r->n ? r->commits[commit].id : NULL;
}

static json_t *config_json(const struct engine_config *c)
{
	json_t *o = json_object();

	json_set_int(o, "n", (long long)c->n);
	json_set_int(o, "direction", c->direction);
	json_set_num(o, "threshold", c->threshold);
	json_set_int(o, "k", c->k);
	json_set_int(o, "max_runs", c->max_runs);
	json_set_int(o, "max_builds", c->max_builds);
	json_set_int(o, "confirm_runs", c->confirm_runs);
	json_set_int(o, "max_side_runs", c->max_side_runs);
	json_set_num(o, "confidence", c->confidence);
	/* As a string: a 64-bit seed does not survive a JSON double. */
	{
		char seed[24];

		snprintf(seed, sizeof(seed), "%llu", (unsigned long long)c->seed);
		json_set_str(o, "seed", seed);
	}
	return o;
}

int journal_start(struct journal *j, const struct engine_config *c,
		  const struct bisect_revs *r, const char *metric)
{
	json_t *ev = event("start"), *commits = json_array(), *goods = json_array();

	json_set(ev, "config", config_json(c));
	json_set_str(ev, "metric", metric);
	json_set_str(ev, "bad", r->bad);
	for (size_t i = 0; i < r->ngoods; i++)
		json_array_append_new(goods, json_string(r->goods[i]));
	json_set(ev, "goods", goods);
	json_set_int(ev, "first_parent", r->first_parent);
	for (size_t i = 0; i < r->n; i++) {
		json_t *o = json_object(), *parents = json_array();

		json_set_str(o, "id", r->commits[i].id);
		json_set_str(o, "subject", r->commits[i].subject);
		for (size_t p = 0; p < r->commits[i].nparents; p++)
			json_array_append_new(parents, json_integer((json_int_t)r->commits[i].parents[p]));
		json_set(o, "parents", parents);
		json_array_append_new(commits, o);
	}
	json_set(ev, "commits", commits);
	return journal_append(j, ev);
}

int journal_round(struct journal *j, unsigned round, const struct bisect_revs *r,
		  const struct engine_request *req, size_t n)
{
	json_t *ev = event("round"), *a = json_array();

	json_set_int(ev, "round", round);
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();

		json_set_int(o, "commit", req[i].commit);
		json_set_str(o, "id", id_of(r, req[i].commit));
		json_set_int(o, "runs", req[i].runs);
		json_set_str(o, "why", req[i].why);
		json_set_int(o, "block", req[i].block);
		json_set_int(o, "lane", req[i].lane);
		json_array_append_new(a, o);
	}
	json_set(ev, "requests", a);
	return journal_append(j, ev);
}

static json_t *measurement(const struct bisect_revs *r, long commit, double value,
			   const char *run_dir, unsigned round)
{
	json_t *ev = event("measurement");

	json_set_int(ev, "commit", commit);
	json_set_str(ev, "id", id_of(r, commit));
	json_set_num(ev, "value", value);
	json_set_str(ev, "run", run_dir);
	json_set_int(ev, "round", round);
	return ev;
}

int journal_measurement(struct journal *j, const struct bisect_revs *r, long commit,
			double value, const char *run_dir, unsigned round)
{
	return journal_append(j, measurement(r, commit, value, run_dir, round));
}

int journal_measurement_block(struct journal *j, const struct bisect_revs *r, long commit,
			      unsigned block, double value, const char *run_dir, unsigned round)
{
	json_t *ev = measurement(r, commit, value, run_dir, round);

	json_set_int(ev, "block", block);
	return journal_append(j, ev);
}

int journal_unbuildable(struct journal *j, const struct bisect_revs *r, long commit,
			unsigned round)
{
	json_t *ev = event("unbuildable");

	json_set_int(ev, "commit", commit);
	json_set_str(ev, "id", id_of(r, commit));
	json_set_int(ev, "round", round);
	return journal_append(j, ev);
}

int journal_verdicts(struct journal *j, const struct bisect_revs *r,
		     const struct engine_result *res, enum bisect_verdict *last)
{
	for (size_t i = 0; i < res->n; i++) {
		json_t *ev;

		if (res->commits[i].verdict == last[i])
			continue;
		last[i] = res->commits[i].verdict;
		ev = event("verdict");
		json_set_int(ev, "commit", (long long)i);
		json_set_str(ev, "id", id_of(r, (long)i));
		json_set_str(ev, "verdict", bisect_verdict_name(last[i]));
		json_set_num(ev, "p_bad", res->commits[i].p_bad);
		if (journal_append(j, ev) < 0)
			return -1;
	}
	return 0;
}

int journal_result(struct journal *j, const struct bisect_revs *r,
		   const struct engine_result *res)
{
	json_t *ev = event("result"), *sk = json_array();

	json_set_str(ev, "status", bisect_status_name(res->status));
	json_set_int(ev, "culprit", res->culprit);
	json_set_str(ev, "culprit_id", res->culprit >= 0 ? id_of(r, res->culprit) : NULL);
	json_set_int(ev, "lo", res->lo);
	json_set_int(ev, "hi", res->hi);
	json_set_num(ev, "confidence", res->confidence);
	json_set_num(ev, "ratio", res->ratio);
	json_set_num(ev, "ratio_lo", res->ratio_lo);
	json_set_num(ev, "ratio_hi", res->ratio_hi);
	json_set_num(ev, "p", res->p);
	json_set_int(ev, "runs", res->runs);
	json_set_int(ev, "builds", res->builds);
	json_set_int(ev, "rounds", res->rounds);
	for (size_t i = 0; i < res->nskipped; i++)
		json_array_append_new(sk, json_string(id_of(r, (long)res->skipped[i]) ?
						      id_of(r, (long)res->skipped[i]) : ""));
	json_set(ev, "skipped", sk);
	json_set_str(ev, "reason", res->reason);
	return journal_append(j, ev);
}

/* --- reading --------------------------------------------------------- */

static int known_event(const json_t *o)
{
	const char *ev = json_is_object(o) ? json_get_str(o, "ev") : NULL;

	for (size_t i = 0; ev && events[i]; i++)
		if (!strcmp(ev, events[i]))
			return 1;
	return 0;
}

int journal_read(const char *path, journal_fn fn, void *data, int *torn)
{
	size_t len;
	char *buf = read_file(path, 0, &len), *p, *nl;
	unsigned long lineno = 0;
	int ret = 0;

	if (torn)
		*torn = 0;
	if (!buf)
		return error_errno("cannot read the journal '%s'", path);
	for (p = buf; !ret && p < buf + len; p = nl + 1) {
		json_t *o;
		json_error_t err;

		lineno++;
		if (!(nl = memchr(p, '\n', (size_t)(buf + len - p)))) {
			nl = buf + len;	/* the last line, without its newline */
			if (!whole_event(p, len - (size_t)(p - buf))) {
				if (torn)
					*torn = 1;	/* a crash mid-write: never reported written */
				break;
			}
		}
		o = json_loadb(p, (size_t)(nl - p), 0, &err);
		if (!o || !known_event(o))
			ret = error("%s:%lu: %s", path, lineno,
				    o ? "not a journal event (no known \"ev\")" : err.text);
		else if (fn)
			ret = fn(o, lineno, data);
		json_decref(o);
	}
	free(buf);
	return ret;
}

/* --- replay ---------------------------------------------------------- */

struct replay {
	const char *path;
	struct engine *e;
	struct bisect_revs *revs;
};

static int get_uint(const json_t *o, const char *key, unsigned long long max,
		    unsigned long long *out)
{
	const json_t *v = json_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (unsigned long long)json_integer_value(v) > max)
		return -1;
	*out = (unsigned long long)json_integer_value(v);
	return 0;
}

static int config_from(struct engine_config *c, const json_t *o)
{
	unsigned long long n, k, mr, mb, cr, ms;
	const char *seed = json_get_str(o, "seed");
	long dir;

	if (get_uint(o, "n", 1u << 30, &n) || get_uint(o, "k", 64, &k) ||
	    get_uint(o, "max_runs", 1u << 30, &mr) || get_uint(o, "max_builds", 1u << 30, &mb) ||
	    get_uint(o, "confirm_runs", 1u << 20, &cr) ||
	    get_uint(o, "max_side_runs", 1u << 20, &ms) || !seed ||
	    json_get_long(o, "direction", -1, 1, &dir) || !dir)
		return -1;
	engine_config_init(c, (size_t)n);
	c->direction = (int)dir;
	c->threshold = json_get_num(o, "threshold");
	c->k = (unsigned)k;
	c->max_runs = (unsigned)mr;
	c->max_builds = (unsigned)mb;
	c->confirm_runs = (unsigned)cr;
	c->max_side_runs = (unsigned)ms;
	c->confidence = json_get_num(o, "confidence");
	c->seed = strtoull(seed, NULL, 10);
	return 0;
}

static int commits_from(struct bisect_revs *r, const json_t *a, size_t n)
{
	if (!json_is_array(a) || json_array_size(a) != n)
		return -1;
	r->n = n;
	r->commits = xcalloc(n + 1, sizeof(*r->commits));
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_array_get(a, i), *ps = json_get(c, "parents");
		const char *id = json_get_str(c, "id"), *subj = json_get_str(c, "subject");
		struct bisect_commit *bc = &r->commits[i];

		if (!id || strlen(id) != 40 || !json_is_array(ps))
			return -1;
		memcpy(bc->id, id, 41);
		bc->subject = xstrdup(subj ? subj : "");
		bc->parents = xcalloc(json_array_size(ps) + 1, sizeof(size_t));
		for (size_t p = 0; p < json_array_size(ps); p++) {
			const json_t *v = json_array_get(ps, p);

			/* a parent is another commit of the range */
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    (size_t)json_integer_value(v) >= n || (size_t)json_integer_value(v) == i)
				return -1;
			bc->parents[bc->nparents++] = (size_t)json_integer_value(v);
		}
	}
	return 0;
}

static int replay_start(struct replay *rp, const json_t *o, unsigned long lineno)
{
	struct engine_config c;
	const json_t *goods = json_get(o, "goods");
	const char *bad = json_get_str(o, "bad");

	if (rp->e)
		return error("%s:%lu: a second start line", rp->path, lineno);
	if (config_from(&c, json_get(o, "config")) < 0 || !bad || strlen(bad) != 40 ||
	    !json_is_string_list(goods) || commits_from(rp->revs, json_get(o, "commits"), c.n) < 0)
		return error("%s:%lu: a damaged start line", rp->path, lineno);
	memcpy(rp->revs->bad, bad, 41);
	rp->revs->ngoods = json_array_size(goods);
	rp->revs->goods = xcalloc(rp->revs->ngoods + 1, sizeof(char *));
	for (size_t i = 0; i < rp->revs->ngoods; i++)
		rp->revs->goods[i] = xstrdup(json_string_value(json_array_get(goods, i)));
	rp->revs->first_parent = json_is_true(json_get(o, "first_parent")) ||
				 json_get_num(o, "first_parent") == 1;
	revs_fill_ancestry(rp->revs);
	c.anc = rp->revs->anc;
	c.words = rp->revs->words;
	if (!(rp->e = engine_new(&c)))
		return error("%s:%lu: the start line's configuration is refused", rp->path, lineno);
	return 0;
}

static int replay_round(struct replay *rp, const json_t *o, unsigned long lineno)
{
	struct engine_request req[256];
	const json_t *a = json_get(o, "requests");
	size_t want = json_is_array(a) ? json_array_size(a) : 0;
	/* a caller with room for fewer requests journaled the first ones */
	int n = want && want <= ARRAY_SIZE(req) ? engine_next(rp->e, req, want) : -1;
	double round = json_get_num(o, "round");

	if (!json_is_array(a) || (size_t)n != want ||
	    round != (double)engine_round(rp->e))
		return error("%s:%lu: round %g is not the one the engine plans (its round %u, "
			     "%d requests)", rp->path, lineno, round, engine_round(rp->e), n);
	for (int i = 0; i < n; i++) {
		const json_t *q = json_array_get(a, (size_t)i);
		double block = json_get_num(q, "block");

		if (json_get_num(q, "commit") != (double)req[i].commit ||
		    json_get_num(q, "runs") != (double)req[i].runs ||
		    (!isnan(block) && block != (double)req[i].block))
			return error("%s:%lu: request %d is not the one the engine plans "
				     "(commit %ld, %u runs, block %u)", rp->path, lineno, i + 1,
				     req[i].commit, req[i].runs, req[i].block);
	}
	return 0;
}

/* A measurement: in its block when the line names one (older journals do not). */
static int replay_measurement(struct replay *rp, const json_t *o, long commit,
			      unsigned long lineno)
{
	double block = json_get_num(o, "block"), value = json_get_num(o, "value");
	int r;

	if (isnan(block))
		r = engine_observe(rp->e, commit, value);
	else if (!(block >= 0 && block < 4294967296.0 && block == (unsigned)block))
		return error("%s:%lu: bad block", rp->path, lineno);
	else
		r = engine_observe_block(rp->e, commit, (unsigned)block, value);
	return r < 0 ? error("%s:%lu: a measurement the engine does not take", rp->path, lineno) : 0;
}

static int replay_line(const json_t *o, unsigned long lineno, void *data)
{
	struct replay *rp = data;
	const char *ev = json_get_str(o, "ev");
	long commit;

	if (!strcmp(ev, "start"))
		return replay_start(rp, o, lineno);
	if (!rp->e)
		return error("%s:%lu: '%s' before the start line", rp->path, lineno, ev);
	if (!strcmp(ev, "round"))
		return replay_round(rp, o, lineno);
	if (strcmp(ev, "measurement") && strcmp(ev, "unbuildable"))
		return 0;	/* verdicts and results are derived, not inputs */
	/* the good endpoint (-1) or a commit of the range */
	if (json_get_long(o, "commit", BISECT_GOOD_END, 1L << 30, &commit))
		return error("%s:%lu: no commit index", rp->path, lineno);
	if (!strcmp(ev, "unbuildable"))
		return engine_unbuildable(rp->e, commit) < 0 ?
		       error("%s:%lu: bad commit index", rp->path, lineno) : 0;
	return replay_measurement(rp, o, commit, lineno);
}

int journal_replay(const char *path, struct engine **out, struct bisect_revs *revs)
{
	struct replay rp = { path, NULL, revs };
	int torn, ret;

	memset(revs, 0, sizeof(*revs));
	ret = journal_read(path, replay_line, &rp, &torn);
	if (!ret && !rp.e)
		ret = error("%s: no start line", path);
	if (ret) {
		engine_free(rp.e);
		revs_release(revs);
		*out = NULL;
		return ret < 0 ? ret : -1;
	}
	*out = rp.e;
	return 0;
}
