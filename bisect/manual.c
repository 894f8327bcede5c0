/*
 * A manual bisection, as git bisect: a human says good, bad or skip, the
 * range narrows to BAD ^GOOD... and the next commit is the one git would
 * check out (bisect/revs.c reimplements git's choice, skips included).
 * Every verdict is a "mark" line of the journal before state.json is
 * rewritten, so the journal alone can replay the session.
 */
#include "bisect/bisect.h"
#include "common/json.h"
#include "common/util.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Any revision of the repository (not only of the range) to its full id. */
static int resolve_rev(const struct bisect *b, const char *rev, char *out)
{
	git_repository *repo = NULL;
	git_object *obj = NULL, *peeled = NULL;
	int ret = 0;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, b->repo, 0, NULL) < 0)
		ret = error("cannot open the repository '%s' of bisection %s", b->repo, b->id);
	else if (git_revparse_single(&obj, repo, rev) < 0)
		ret = error("unknown revision '%s' in '%s'", rev, b->repo);
	else if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0)
		ret = error("'%s' is not a commit in '%s'", rev, b->repo);
	else
		git_oid_tostr(out, 41, git_object_id(peeled));
	git_object_free(peeled);
	git_object_free(obj);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return ret ? -1 : 0;
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static int strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

static char **strv_push(char **v, const char *s)
{
	size_t n = strv_len(v);

	v = xrealloc(v, (n + 2) * sizeof(*v));
	v[n] = xstrdup(s);
	v[n + 1] = NULL;
	return v;
}

/* The skipped commits inside the range, as indexes (out has room for n). */
static size_t skips_in_range(const struct bisect *b, size_t *out)
{
	size_t k = 0;

	for (size_t i = 0; b->skips && b->skips[i]; i++) {
		long x = revs_find(&b->revs, b->skips[i]);

		if (x >= 0 && strlen(b->skips[i]) == 40)
			out[k++] = (size_t)x;
	}
	return k;
}

static int is_in(const size_t *v, size_t n, size_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

/*
 * git's order of the range when skips exist (best_bisection_sorted):
 * distance min(weight, n - weight) descending, ties by object id.
 */
struct ranked {
	size_t d, i;
	const char *id;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->d != y->d)
		return x->d > y->d ? -1 : 1;
	return strcmp(x->id, y->id);
}

static struct ranked *rank(const struct bisect *b)
{
	size_t n = b->revs.n, *w = xcalloc(n + 1, sizeof(*w));
	struct ranked *a = xcalloc(n + 1, sizeof(*a));

	revs_weights(&b->revs, w);
	for (size_t i = 0; i < n; i++)
		a[i] = (struct ranked){ n - w[i] < w[i] ? n - w[i] : w[i], i, b->revs.commits[i].id };
	qsort(a, n, sizeof(*a), ranked_cmp);
	free(w);
	return a;
}

long bisect_manual_next(struct bisect *b, int *done)
{
	size_t n = b->revs.n, *skip = xcalloc(n + 1, sizeof(*skip));
	size_t ns = skips_in_range(b, skip);
	long x;

	*done = 0;
	x = n ? revs_bisect(&b->revs, strv_len(b->skips) ? skip : NULL, ns) : -1;
	if (x < 0) {
		*done = 2;	/* every commit of the range skipped */
	} else if ((size_t)x == n - 1) {
		/* git: the bad commit proposed; was the first ranked skipped? */
		struct ranked *a = rank(b);

		*done = ns && is_in(skip, ns, a[0].i) ? 2 : 1;
		free(a);
		x = -1;
	}
	free(skip);
	return x;
}

size_t bisect_manual_suspects(const struct bisect *b, size_t *out)
{
	size_t n = b->revs.n, *skip = xcalloc(n + 1, sizeof(*skip));
	size_t ns = skips_in_range(b, skip), k = 0;
	struct ranked *a = rank(b);

	for (size_t i = 0; i < n; i++)
		if (is_in(skip, ns, a[i].i))
			out[k++] = a[i].i;
	if (n && !is_in(skip, ns, n - 1))
		out[k++] = n - 1;
	free(a);
	free(skip);
	return k;
}

int bisect_estimate_steps(size_t all)
{
	int n = 0;
	size_t e;

	if (all < 3)
		return 0;
	while ((all >> (n + 1)) != 0)
		n++;
	e = (size_t)1 << n;
	return e < 3 * (all - e) ? n : n - 1;
}

int bisect_manual_estimate(const struct bisect *b, size_t *left)
{
	size_t n = b->revs.n, *w, dummy = 0;
	long best;

	*left = 0;
	if (!n)
		return 0;
	/* git counts from the best commit before skips are filtered out */
	best = revs_bisect(&b->revs, strv_len(b->skips) ? &dummy : NULL, 0);
	w = xcalloc(n + 1, sizeof(*w));
	revs_weights(&b->revs, w);
	if (best >= 0 && w[best] + 1 <= n)
		*left = n - w[best] - 1;
	free(w);
	return bisect_estimate_steps(n);
}

static int journal_mark(struct bisect *b, enum bisect_verdict v, const char *id,
			const char *rev)
{
	json_t *ev = json_object();

	json_set_str(ev, "ev", "mark");
	json_set_str(ev, "verdict", bisect_verdict_name(v));
	json_set_str(ev, "id", id);
	json_set_str(ev, "rev", rev);
	json_set_int(ev, "step", b->steps + 1);
	json_set_int(ev, "time", (long long)time(NULL));
	json_set_str(ev, "repo", b->repo);
	return journal_append(&b->journal, ev);
}

/* Once the answer is known: a result line, as the automatic loop writes. */
static int journal_manual_result(struct bisect *b, int done)
{
	json_t *ev = json_object(), *sus = json_array();
	size_t *s = xcalloc(b->revs.n + 1, sizeof(*s)), k;

	json_set_str(ev, "ev", "result");
	json_set_str(ev, "status", done == 1 ? "culprit" : "range");
	json_set_str(ev, "culprit_id", done == 1 ? b->bad : NULL);
	k = done == 1 ? 0 : bisect_manual_suspects(b, s);
	for (size_t i = 0; i < k; i++)
		json_array_append_new(sus, json_string(b->revs.commits[s[i]].id));
	json_set(ev, "suspects", sus);
	json_set_int(ev, "steps", b->steps);
	json_set(ev, "manual", json_true());
	json_set_int(ev, "time", (long long)time(NULL));
	free(s);
	return journal_append(&b->journal, ev);
}

int bisect_manual(struct bisect *b, enum bisect_verdict v, const char *rev)
{
	struct bisect_revs nr;
	char id[41];
	char **goods = NULL;
	int done, changes_range = v == VERDICT_GOOD || v == VERDICT_BAD;

	if (b->engine || !b->bad)
		return error("bisection %s is automatic: good, bad and skip are for manual ones",
			     b->id);
	if (v != VERDICT_GOOD && v != VERDICT_BAD && v != VERDICT_SKIP)
		return error("a manual verdict is good, bad or skip, not '%s'",
			     bisect_verdict_name(v));
	if (!rev) {
		long x = bisect_manual_next(b, &done);

		if (x < 0)
			return error("bisection %s has no commit left to test: name one", b->id);
		memcpy(id, b->revs.commits[x].id, sizeof(id));
	} else if (resolve_rev(b, rev, id)) {
		return -1;
	}
	memset(&nr, 0, sizeof(nr));
	if (changes_range) {
		size_t ng = strv_len(b->goods);

		goods = xcalloc(ng + 2, sizeof(*goods));
		memcpy(goods, b->goods, ng * sizeof(*goods));
		if (v == VERDICT_GOOD && !strv_has(b->goods, id))
			goods[ng++] = id;
		if (revs_load(&nr, b->repo, v == VERDICT_BAD ? id : b->bad, goods, ng,
			      b->revs.first_parent)) {
			free(goods);
			return error("%s %.12s: the range left would be empty or unreadable; "
				     "nothing marked", bisect_verdict_name(v), id);
		}
		free(goods);
		if (!nr.n) {
			revs_release(&nr);
			return error("%s %.12s: no commit would be left to bisect; nothing marked",
				     bisect_verdict_name(v), id);
		}
	}
	if (journal_mark(b, v, id, rev ? rev : "")) {
		revs_release(&nr);
		return -1;
	}
	b->steps++;
	if (v == VERDICT_GOOD && !strv_has(b->goods, id))
		b->goods = strv_push(b->goods, id);
	if (v == VERDICT_BAD) {
		free(b->bad);
		b->bad = xstrdup(id);
	}
	if (v == VERDICT_SKIP && !strv_has(b->skips, id))
		b->skips = strv_push(b->skips, id);
	if (changes_range) {
		revs_release(&b->revs);
		b->revs = nr;
		free(b->last);
		b->last = xcalloc(b->revs.n + 1, sizeof(*b->last));
	}
	if (bisect_write_state(b))
		return -1;
	bisect_manual_next(b, &done);
	return done ? journal_manual_result(b, done) : 0;
}
