#ifndef BISECT_REVS_H
#define BISECT_REVS_H

#include <stddef.h>
#include <stdint.h>

/*
 * A revision range as `git rev-list BAD ^GOOD...` sees it, loaded with
 * libgit2 (merges included, or the first-parent chain only), and git's
 * choice of the commit to test next.
 *
 * Index order is git's bisection list order: the reverse of the order in
 * which `git rev-list` pops commits (commit date, newest first, ties in
 * insertion order), so parents usually come before children (not when a
 * child is dated before its parent: git's list is not topological then
 * either) and the bad commit is the last index, n - 1. The engine (bisect/engine.h) works on these
 * indexes; revs_engine_dag() hands it the ancestry it needs.
 */
struct bisect_commit {
	char id[41];		/* full hex object id */
	char *subject;		/* first line of the message (owned) */
	int64_t time;		/* committer time, seconds since the epoch */
	size_t *parents;	/* indexes of the parents inside the range (owned) */
	size_t nparents;	/* parents inside the range (first-parent: 0 or 1) */
};

struct bisect_revs {
	size_t n;			/* commits in the range, bad included */
	struct bisect_commit *commits;	/* [n], in index order (owned) */
	char bad[41];			/* the bad commit's id (== commits[n - 1].id) */
	char **goods;			/* good ids as resolved (owned) */
	size_t ngoods;
	int first_parent;		/* 1: the first-parent chain only */
	int linear;			/* 1: commit i's ancestors are exactly 0..i */
	/*
	 * Ancestry bitsets, only when !linear and n <= BISECT_DAG_MAX:
	 * bit c of row x (anc[x * words + c / 64] >> (c % 64) & 1) is set
	 * iff c is x or an ancestor of x inside the range. NULL otherwise.
	 */
	uint64_t *anc;
	size_t words;			/* uint64_t per row: (n + 63) / 64 */
};

/* Largest non-linear range the engine is given ancestry for (bits: n^2). */
#define BISECT_DAG_MAX 16384

/*
 * Load the range BAD ^GOOD... of the repository at repo (a work tree or
 * a git dir). Revisions are anything libgit2's revparse accepts. Fails
 * with error() naming the revision; PERFLAB_ENOTFOUND for an unknown
 * one; an empty range (bad reachable from a good) is PERFLAB_EINVAL.
 */
int revs_load(struct bisect_revs *out, const char *repo, const char *bad,
	      char *const *goods, size_t ngoods, int first_parent);
void revs_release(struct bisect_revs *r);

/*
 * Fill r->linear, r->words and r->anc from the commits' parents (the
 * rest of r already filled): for ranges rebuilt from a journal.
 */
void revs_fill_ancestry(struct bisect_revs *r);

/* The index of a commit given by full id or unique hex prefix (>= 4), or -1. */
long revs_find(const struct bisect_revs *r, const char *id);
/* Is c an ancestor of x (or x itself) inside the range? */
int revs_reaches(const struct bisect_revs *r, size_t x, size_t c);

/*
 * git's weight of every commit: the number of commits of the range
 * reachable from it, itself included. out has n entries.
 */
void revs_weights(const struct bisect_revs *r, size_t *out);

/*
 * The commit `git rev-list --bisect` prints for this range (skip NULL),
 * or the one `git bisect` checks out when the commits in skip[] (indexes)
 * were skipped: git's find_bisection with its tie rules, then, with
 * skips, git's filter_skipped and skip_away. A non-NULL skip with
 * nskip 0 is git bisect with skipped commits all outside the range
 * (git then breaks ties by object id, not by list order). Returns the index, or -1
 * when only skipped commits are left (git: "only 'skip'ped commits left
 * to test").
 */
long revs_bisect(const struct bisect_revs *r, const size_t *skip, size_t nskip);

#endif
