/*
 * Revision ranges through libgit2, and git's choice of the next commit
 * (git's bisect.c: find_bisection, best_bisection, filter_skipped,
 * skip_away), reimplemented over index arrays.
 */
#include "bisect/revs.h"
#include "common/util.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>

static void revs_git_init(void)
{
	static int done;

	if (!done) {
		git_libgit2_init();
		done = 1;
	}
}

static int git_err(const char *what, const char *subject)
{
	const git_error *e = git_error_last();

	return error("%s '%s': %s", what, subject, e && e->message ? e->message : "unknown error");
}

/* A set of object ids: sorted, searched by bsearch. */
struct oidset {
	git_oid *v;
	size_t n, alloc;
};

static int oid_cmp(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

static void oidset_sort(struct oidset *s)
{
	qsort(s->v, s->n, sizeof(*s->v), oid_cmp);
}

static long oidset_find(const struct oidset *s, const git_oid *id)
{
	const git_oid *p = bsearch(id, s->v, s->n, sizeof(*s->v), oid_cmp);

	return p ? (long)(p - s->v) : -1;
}

static int resolve(git_oid *out, git_repository *repo, const char *rev)
{
	git_object *obj = NULL, *peeled = NULL;
	int ret = 0;

	if (git_revparse_single(&obj, repo, rev) < 0) {
		git_err("unknown revision", rev);
		return PERFLAB_ENOTFOUND;
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0)
		ret = git_err("not a commit", rev);
	else
		git_oid_cpy(out, git_object_id(peeled));
	git_object_free(peeled);
	git_object_free(obj);
	return ret;
}

/* Every commit reachable from bad and from no good (git rev-list BAD ^GOOD...). */
static int walk_range(struct oidset *out, git_repository *repo, const git_oid *bad,
		      const git_oid *goods, size_t ngoods)
{
	git_revwalk *w = NULL;
	git_oid id;
	int ret = 0;

	if (git_revwalk_new(&w, repo) < 0 || git_revwalk_push(w, bad) < 0)
		ret = git_err("cannot walk from", "bad");
	for (size_t i = 0; !ret && i < ngoods; i++)
		if (git_revwalk_hide(w, &goods[i]) < 0)
			ret = git_err("cannot hide", "good");
	while (!ret && git_revwalk_next(&id, w) == 0) {
		ALLOC_GROW(out->v, out->n + 1, out->alloc);
		git_oid_cpy(&out->v[out->n++], &id);
	}
	git_revwalk_free(w);
	oidset_sort(out);
	return ret;
}

/* The commits of the range as loaded, in set order, before ordering. */
struct raw {
	git_oid *parents;
	size_t nparents;
	int64_t time;
	char *subject;
};

static int load_raw(struct raw *raw, git_repository *repo, const struct oidset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		git_commit *c;
		const char *sum;
		char hex[41];

		if (git_commit_lookup(&c, repo, &s->v[i]) < 0)
			return git_err("cannot read commit", git_oid_tostr(hex, sizeof(hex), &s->v[i]));
		raw[i].time = git_commit_time(c);
		sum = git_commit_summary(c);
		raw[i].subject = xstrdup(sum ? sum : "");
		raw[i].nparents = git_commit_parentcount(c);
		raw[i].parents = xcalloc(raw[i].nparents + 1, sizeof(git_oid));
		for (size_t p = 0; p < raw[i].nparents; p++)
			git_oid_cpy(&raw[i].parents[p], git_commit_parent_id(c, (unsigned)p));
		git_commit_free(c);
	}
	return 0;
}

/*
 * The order git's limit_list pops commits: newest commit date first,
 * equal dates in the order they were queued. A binary heap keyed by
 * (date descending, queue sequence ascending).
 */
struct qent {
	int64_t time;
	size_t seq, set;
};

static int qless(const struct qent *a, const struct qent *b)
{
	return a->time != b->time ? a->time > b->time : a->seq < b->seq;
}

static void qpush(struct qent *h, size_t *n, struct qent e)
{
	size_t i = (*n)++;

	h[i] = e;
	while (i && qless(&h[i], &h[(i - 1) / 2])) {
		struct qent t = h[i];

		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct qent qpop(struct qent *h, size_t *n)
{
	struct qent top = h[0];
	size_t i = 0;

	h[0] = h[--*n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct qent t;

		if (l < *n && qless(&h[l], &h[m]))
			m = l;
		if (r < *n && qless(&h[r], &h[m]))
			m = r;
		if (m == i)
			break;
		t = h[i], h[i] = h[m], h[m] = t;
		i = m;
	}
	return top;
}

/*
 * Pop order from bad over the set (first parents only with fp), as set
 * indexes into popped[]; returns how many were reached.
 */
static size_t pop_order(size_t *popped, const struct oidset *s, const struct raw *raw,
			long bad, int fp)
{
	struct qent *h = xcalloc(s->n + 1, sizeof(*h));
	char *seen = xcalloc(s->n, 1);
	size_t nh = 0, seq = 0, np = 0;

	seen[bad] = 1;
	qpush(h, &nh, (struct qent){ raw[bad].time, seq++, (size_t)bad });
	while (nh) {
		struct qent e = qpop(h, &nh);
		const struct raw *c = &raw[e.set];

		popped[np++] = e.set;
		for (size_t p = 0; p < c->nparents && (!fp || p == 0); p++) {
			long q = oidset_find(s, &c->parents[p]);

			if (q < 0 || seen[q])
				continue;
			seen[q] = 1;
			qpush(h, &nh, (struct qent){ raw[q].time, seq++, (size_t)q });
		}
	}
	free(seen);
	free(h);
	return np;
}

static void fill_commits(struct bisect_revs *r, const struct oidset *s, struct raw *raw,
			 const size_t *popped, size_t np)
{
	long *index_of = xmalloc(s->n * sizeof(*index_of));

	for (size_t i = 0; i < s->n; i++)
		index_of[i] = -1;
	r->n = np;
	r->commits = xcalloc(np, sizeof(*r->commits));
	for (size_t i = 0; i < np; i++)
		index_of[popped[np - 1 - i]] = (long)i;
	for (size_t i = 0; i < np; i++) {
		size_t si = popped[np - 1 - i];
		struct bisect_commit *c = &r->commits[i];

		git_oid_tostr(c->id, sizeof(c->id), &s->v[si]);
		c->subject = raw[si].subject;
		raw[si].subject = NULL;
		c->time = raw[si].time;
		c->parents = xcalloc(raw[si].nparents + 1, sizeof(size_t));
		for (size_t p = 0; p < raw[si].nparents && (!r->first_parent || p == 0); p++) {
			long q = oidset_find(s, &raw[si].parents[p]);

			if (q >= 0 && index_of[q] >= 0)
				c->parents[c->nparents++] = (size_t)index_of[q];
		}
	}
	free(index_of);
}

void revs_fill_ancestry(struct bisect_revs *r)
{
	r->linear = 1;
	for (size_t i = 0; i < r->n; i++) {
		const struct bisect_commit *c = &r->commits[i];

		if (i ? c->nparents != 1 || c->parents[0] != i - 1 : c->nparents != 0)
			r->linear = 0;
	}
	r->words = (r->n + 63) / 64;
	if (r->linear || r->n > BISECT_DAG_MAX)
		return;
	r->anc = xcalloc(r->n * r->words, sizeof(uint64_t));
	/*
	 * Parents usually come before children, but not always (a child
	 * dated before its parent is popped after it): repeat until no
	 * row changes. One pass when the order is topological, plus the
	 * pass that sees no change.
	 */
	for (int changed = 1; changed;) {
		changed = 0;
		for (size_t x = 0; x < r->n; x++) {
			uint64_t *row = r->anc + x * r->words;

			row[x / 64] |= (uint64_t)1 << (x % 64);
			for (size_t p = 0; p < r->commits[x].nparents; p++) {
				const uint64_t *prow = r->anc + r->commits[x].parents[p] * r->words;

				for (size_t w = 0; w < r->words; w++) {
					if ((row[w] | prow[w]) != row[w])
						changed = 1;
					row[w] |= prow[w];
				}
			}
		}
	}
}

static int build(struct bisect_revs *r, git_repository *repo, const git_oid *bad,
		 const git_oid *goods, size_t ngoods)
{
	struct oidset s = { 0 };
	struct raw *raw = NULL;
	size_t *popped = NULL, np;
	long b;
	int ret = walk_range(&s, repo, bad, goods, ngoods);

	if (!ret && (b = oidset_find(&s, bad)) < 0)
{
		error("empty range: the bad commit '%s' is reachable from a good one", r->bad);
		ret = PERFLAB_EINVAL;
	}
	if (!ret) {
		raw = xcalloc(s.n + 1, sizeof(*raw));
		ret = load_raw(raw, repo, &s);
	}
	if (!ret) {
		popped = xmalloc((s.n + 1) * sizeof(*popped));
		np = pop_order(popped, &s, raw, b, r->first_parent);
		fill_commits(r, &s, raw, popped, np);
		revs_fill_ancestry(r);
	}
	for (size_t i = 0; raw && i < s.n; i++) {
		free(raw[i].parents);
		free(raw[i].subject);
	}
	free(raw);
	free(popped);
	free(s.v);
	return ret;
}

int revs_load(struct bisect_revs *out, const char *repo_path, const char *bad,
	      char *const *goods, size_t ngoods, int first_parent)
{
	git_repository *repo = NULL;
	git_oid bad_id, *good_ids = xcalloc(ngoods + 1, sizeof(git_oid));
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->first_parent = first_parent;
	revs_git_init();
	if (git_repository_open_ext(&repo, repo_path, 0, NULL) < 0)
		ret = git_err("cannot open the repository", repo_path);
	if (!ret)
		ret = resolve(&bad_id, repo, bad);
	for (size_t i = 0; !ret && i < ngoods; i++)
		ret = resolve(&good_ids[i], repo, goods[i]);
	if (!ret) {
		git_oid_tostr(out->bad, sizeof(out->bad), &bad_id);
		out->goods = xcalloc(ngoods + 1, sizeof(char *));
		for (size_t i = 0; i < ngoods; i++) {
			out->goods[i] = xmalloc(41);
			git_oid_tostr(out->goods[i], 41, &good_ids[i]);
		}
		out->ngoods = ngoods;
		ret = build(out, repo, &bad_id, good_ids, ngoods);
	}
	free(good_ids);
	git_repository_free(repo);
	if (ret)
		revs_release(out);
	return ret;
}

void revs_release(struct bisect_revs *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->commits[i].subject);
		free(r->commits[i].parents);
	}
	free(r->commits);
	for (size_t i = 0; i < r->ngoods; i++)
		free(r->goods[i]);
	free(r->goods);
	free(r->anc);
	memset(r, 0, sizeof(*r));
}

long revs_find(const struct bisect_revs *r, const char *id)
{
	size_t len = strlen(id);
	long found = -1;

	if (len < 4 || len > 40)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		if (strncasecmp(r->commits[i].id, id, len))
			continue;
		if (found >= 0)
			return -1;	/* ambiguous */
		found = (long)i;
	}
	return found;
}

int revs_reaches(const struct bisect_revs *r, size_t x, size_t c)
{
	if (r->linear)
		return c <= x;
	if (r->anc)
		return (int)(r->anc[x * r->words + c / 64] >> (c % 64) & 1);
	/* Beyond BISECT_DAG_MAX: a walk (slow, rarely used). */
	{
		char *seen = xcalloc(r->n, 1);
		size_t *stack = xmalloc(r->n * sizeof(*stack)), ns = 0;
		int hit = 0;

		stack[ns++] = x;
		seen[x] = 1;
		while (ns && !hit) {
			size_t y = stack[--ns];

			hit = y == c;
			for (size_t p = 0; p < r->commits[y].nparents; p++)
				if (!seen[r->commits[y].parents[p]]) {
					seen[r->commits[y].parents[p]] = 1;
					stack[ns++] = r->commits[y].parents[p];
				}
		}
		free(seen);
		free(stack);
		return hit;
	}
}

/* Commits reachable from x (itself included): git's count_distance. */
static size_t count_distance(const struct bisect_revs *r, size_t x, unsigned *stamp,
			     unsigned mark, size_t *stack)
{
	size_t ns = 0, nr = 0;

	stack[ns++] = x;
	stamp[x] = mark;
	while (ns) {
		size_t y = stack[--ns];

		nr++;
		for (size_t p = 0; p < r->commits[y].nparents; p++) {
			size_t q = r->commits[y].parents[p];

			if (stamp[q] != mark) {
				stamp[q] = mark;
				stack[ns++] = q;
			}
		}
	}
	return nr;
}

/*
 * git's do_find_bisection weights: roots 1, merges by count_distance,
 * then single-parent commits as their parent plus one, in passes over
 * the list until all are known. The list order is not always
 * topological (a child dated before its parent is popped after it), so
 * one pass is not enough. order (may be NULL) gets the single-parent
 * commits in the order git weighs them (its halfway checks' order).
 */
static void weights(const struct bisect_revs *r, size_t *out, size_t *order)
{
	unsigned *stamp = xcalloc(r->n + 1, sizeof(*stamp)), mark = 0;
	size_t *stack = xmalloc((r->n + 1) * sizeof(*stack)), counted = 0, k = 0;
	unsigned char *known = xcalloc(r->n + 1, 1);

	for (size_t i = 0; i < r->n; i++) {
		const struct bisect_commit *c = &r->commits[i];

		if (c->nparents == 0)
			out[i] = 1;
		else if (c->nparents >= 2)
			out[i] = count_distance(r, i, stamp, ++mark, stack);
		else
			continue;
		known[i] = 1;
		counted++;
	}
	while (counted < r->n) {
		size_t before = counted;

		for (size_t i = 0; i < r->n; i++) {
			size_t q = r->commits[i].nparents == 1 ? r->commits[i].parents[0] : 0;

			if (known[i] || !known[q])
				continue;
			out[i] = out[q] + 1;
			known[i] = 1;
			counted++;
			if (order)
				order[k++] = i;
		}
		if (counted == before)
			break;	/* a cycle: cannot happen in a commit graph */
	}
	free(known);
	free(stamp);
	free(stack);
}

void revs_weights(const struct bisect_revs *r, size_t *out)
{
	weights(r, out, NULL);
}

static int halfway(size_t w, size_t nr)
{
	long diff = 2 * (long)w - (long)nr;

	return diff >= -1 && diff <= 1;
}

static size_t dist(size_t w, size_t nr)
{
	return nr - w < w ? nr - w : w;
}

/* find_bisection without skips: early halfway returns, then best_bisection. */
static long find_bisection(const struct bisect_revs *r, const size_t *w, const size_t *order)
{
	long best = 0, best_d = -1;

	for (size_t i = 0; i < r->n; i++)
		if (r->commits[i].nparents >= 2 && halfway(w[i], r->n))
			return (long)i;
	for (size_t i = 0; i < r->n && order[i] != SIZE_MAX; i++)
		if (halfway(w[order[i]], r->n))
			return (long)order[i];
	for (size_t i = 0; i < r->n; i++) {
		if ((long)dist(w[i], r->n) > best_d) {
			best = (long)i;
			best_d = (long)dist(w[i], r->n);
		}
	}
	return best;
}

struct sorted {
	size_t d, i;
	const char *id;
};

static int sorted_cmp(const void *a, const void *b)
{
	const struct sorted *x = a, *y = b;

	if (x->d != y->d)
		return x->d > y->d ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* git's sqrti, float iterations and all, for skip_away's exact index. */
static int sqrti(int val)
{
	float d, x = (float)val;

	if (!val)
		return 0;
	do {
		float y = (x + (float)val / x) / 2;

		d = y > x ? y - x : x - y;
		x = y;
	} while (d >= 0.5);
	return (int)x;
}

static long skip_away(const struct sorted *list, size_t count, long bad)
{
	unsigned prn = (unsigned)count * 1103515245u + 12345u;
	int index;

	prn = (prn / 65536) % 32768;
	index = ((int)count * (int)prn / 32768) * sqrti((int)prn) / sqrti(32768);
	for (size_t i = 0; i < count; i++) {
		if ((int)i != index)
			continue;
		if ((long)list[i].i != bad)
			return (long)list[i].i;
		return (long)list[i ? i - 1 : 0].i;
	}
	return (long)list[0].i;
}

static int is_skipped(const size_t *skip, size_t nskip, size_t i)
{
	for (size_t s = 0; s < nskip; s++)
		if (skip[s] == i)
			return 1;
	return 0;
}

/* With skips: all commits sorted by distance, filter_skipped, skip_away. */
static long find_with_skips(const struct bisect_revs *r, const size_t *w,
			    const size_t *skip, size_t nskip)
{
	struct sorted *a = xcalloc(r->n, sizeof(*a));
	size_t nf = 0;
	int skipped_first = 0;
	long ret = -1;

	for (size_t i = 0; i < r->n; i++)
		a[i] = (struct sorted){ dist(w[i], r->n), i, r->commits[i].id };
	qsort(a, r->n, sizeof(*a), sorted_cmp);
	for (size_t i = 0; i < r->n; i++) {
		if (is_skipped(skip, nskip, a[i].i)) {
			skipped_first = skipped_first || nf == 0;
			continue;
		}
		if (!skipped_first) {
			ret = (long)a[i].i;
			break;
		}
		a[nf++] = a[i];
	}
	if (ret < 0 && nf)
		ret = skip_away(a, nf, (long)r->n - 1);
	free(a);
	return ret;
}

long revs_bisect(const struct bisect_revs *r, const size_t *skip, size_t nskip)
{
	size_t *w, *order;
	long ret;

	if (!r->n)
		return -1;
	w = xmalloc(r->n * sizeof(*w));
	order = xmalloc((r->n + 1) * sizeof(*order));
	for (size_t i = 0; i <= r->n; i++)
		order[i] = SIZE_MAX;
	weights(r, w, order);
	ret = skip ? find_with_skips(r, w, skip, nskip) : find_bisection(r, w, order);
	free(order);
	free(w);
	return ret;
}

