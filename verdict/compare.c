#include "verdict/compare.h"
#include "store/rundir.h"
#include "collectors/fingerprint.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LEVEL 0.95		/* of the intervals shown for every metric */
#define MOVED_P 0.05		/* a diagnostic metric moved: p at most this */
#define MOVED_BY 0.01		/* ... and by at least 1% */

/*
 * A run counts if the one reader (store/rundir.h) reads it and it is
 * complete; a damaged one is named by the reader and left out. Returns
 * 1 added, 0 not complete, -1 damaged.
 */
static int add_run(struct run_set *s, const char *dir, size_t *alloc)
{
	struct run_dir rd;
	int ret = run_dir_read(&rd, dir);

	if (ret || !run_dir_complete(&rd)) {
		run_dir_release(&rd);
		return ret && ret != PERFLAB_ENOTFOUND ? -1 : 0;
	}
	ALLOC_GROW(s->dirs, s->n + 1, *alloc);
	s->sums = xrealloc(s->sums, *alloc * sizeof(*s->sums));
	s->fps = xrealloc(s->fps, *alloc * sizeof(*s->fps));
	s->dirs[s->n] = xstrdup(dir);
	s->sums[s->n] = json_incref(rd.summary);
	s->fps[s->n] = json_incref(rd.fingerprint);
	if (!s->n && !s->name)
		s->name = rd.meta.label ? xstrdup(rd.meta.label) :
			rd.meta.commit ? xstrndup(rd.meta.commit, 12) : NULL;
	s->n++;
	run_dir_release(&rd);
	return 1;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int run_set_load(struct run_set *s, const char *path)
{
	struct dirent **ents = NULL;
	size_t alloc = 0;
	char *here = xasprintf("%s/summary.json", path);
	int n, skipped = 0, damaged = 0, r;

	memset(s, 0, sizeof(*s));
	s->path = xstrdup(path);
	if (!access(here, F_OK)) {
		r = add_run(s, path, &alloc);
		skipped = r == 0;
		damaged = r < 0;
	} else if ((n = scandir(path, &ents, NULL, by_name)) >= 0) {
		for (int i = 0; i < n; i++) {
			char *dir = xasprintf("%s/%s", path, ents[i]->d_name);

			if (ents[i]->d_name[0] != '.' && is_dir(dir)) {
				r = add_run(s, dir, &alloc);
				skipped += r == 0;
				damaged += r < 0;
			}
			free(dir);
			free(ents[i]);
		}
		free(ents);
	} else {
		free(here);
		return error_errno("cannot read '%s'", path);
	}
	free(here);
	if (skipped)
		note("'%s': %d run%s not complete, left out", path, skipped, skipped > 1 ? "s" : "");
	if (damaged)
		note("'%s': %d damaged run%s left out (named above)", path, damaged,
		     damaged > 1 ? "s" : "");
	if (!s->n)
		return error("'%s' holds no complete run", path);
	if (!s->name)
		s->name = xstrdup(s->path);
	return 0;
}

int run_set_from_dirs(struct run_set *s, const char *name, char *const *dirs, size_t n)
{
	size_t alloc = 0;

	memset(s, 0, sizeof(*s));
	s->path = xstrdup(name);
	for (size_t i = 0; i < n; i++)
		add_run(s, dirs[i], &alloc);
	if (!s->n)
		return error("'%s': none of its runs is complete", name);
	free(s->name);
	s->name = xstrdup(name);
	return 0;
}

void run_set_release(struct run_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->dirs[i]);
		json_decref(s->sums[i]);
		json_decref(s->fps[i]);
	}
	free(s->dirs);
	free(s->sums);
	free(s->fps);
	free(s->path);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

double *run_set_values(const struct run_set *s, const char *key)
{
	double *v = xmalloc((s->n ? s->n : 1) * sizeof(*v));

	for (size_t i = 0; i < s->n; i++)
		v[i] = json_get_num(s->sums[i], key);
	return v;
}

static int all_positive(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]) && !(v[i] > 0 && isfinite(v[i])))
			return 0;
	return 1;
}

/* A count compares as count + 1 (store/metric.h): 0 against 0 is a ratio of 1. */
static void add_offset(double *v, size_t n, double offset)
{
	for (size_t i = 0; i < n; i++)
		v[i] += offset;
}

/* B/A with its interval: on logs when all positive, else from the shift. */
static void effect(struct metric_cmp *c, const double *a, size_t na, const double *b, size_t nb)
{
	struct stats_shift sh;
	struct stats_mw mw;

	c->ratio = c->lo = c->hi = c->p = NAN;
	if (!c->a.n || !c->b.n)
		return;
	stats_mann_whitney(&mw, a, na, b, nb, STATS_TWO_SIDED);
	c->p = mw.p;
	if (all_positive(a, na) && all_positive(b, nb)) {
		if (!stats_hl_ratio(&sh, a, na, b, nb, LEVEL)) {
			c->ratio = sh.estimate;
			c->lo = sh.lo;
			c->hi = sh.hi;
		}
	} else if (c->a.median > 0 && !stats_hl_shift(&sh, a, na, b, nb, LEVEL)) {
		c->ratio = 1 + sh.estimate / c->a.median;
		c->lo = 1 + sh.lo / c->a.median;
		c->hi = 1 + sh.hi / c->a.median;
	}
}

static const struct gate *gate_of(const struct metric_def *m, const struct gate *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (g[i].m == m)
			return &g[i];
	return NULL;
}

static void judge(struct metric_cmp *c, const double *a, size_t na, const double *b,
		  size_t nb, const struct gate *g, double alpha)
{
	memset(&c->v, 0, sizeof(c->v));
	c->gated = 1;
	c->v.threshold = g->threshold;
	c->v.alpha = alpha;
	if (!c->a.n || !c->b.n || !all_positive(a, na) || !all_positive(b, nb) ||
	    stats_verdict(&c->v, a, na, b, nb, g->threshold, alpha)) {
		c->v.outcome = STATS_INCONCLUSIVE;
		c->v.ratio = c->v.lo = c->v.hi = c->v.p = c->v.p_adj = NAN;
		snprintf(c->v.reason, sizeof(c->v.reason), "%s cannot be judged: %s", c->m->label,
			 !c->a.n || !c->b.n ? "not measured on both sides"
			 : "it has zero or negative values");
	}
}

/* Holm across the gates: copy out, adjust, copy back. */
static void holm(struct comparison *c)
{
	struct stats_verdict *v = xcalloc(c->n + 1, sizeof(*v));
	size_t k = 0;

	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].gated)
			v[k++] = c->v[i].v;
	stats_verdict_holm(v, k);
	k = 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].gated)
			c->v[i].v = v[k++];
	free(v);
}

static void overall(struct comparison *c)
{
	int any = 0, all_good = 1;

	c->outcome = STATS_INCONCLUSIVE;
	for (size_t i = 0; i < c->n; i++) {
		if (!c->v[i].gated)
			continue;
		any = 1;
		if (c->v[i].v.outcome == STATS_BAD)
			c->outcome = STATS_BAD;
		all_good &= c->v[i].v.outcome == STATS_GOOD;
	}
	if (c->outcome != STATS_BAD && any && all_good)
		c->outcome = STATS_GOOD;
}

static double moved_by(const struct metric_cmp *c)
{
	return isnan(c->ratio) ? 0 : fabs(log(c->ratio));
}

/* Diagnostic metrics that moved, the clearest first (p, then size). */
static void find_movers(struct comparison *c)
{
	c->movers = xcalloc(c->n + 1, sizeof(*c->movers));
	for (size_t i = 0; i < c->n; i++) {
		const struct metric_cmp *m = &c->v[i];

		if (m->m->diagnostic && m->p <= MOVED_P && moved_by(m) >= log(1 + MOVED_BY))
			c->movers[c->nmovers++] = i;
	}
	for (size_t i = 1; i < c->nmovers; i++)
		for (size_t j = i; j > 0; j--) {
			const struct metric_cmp *x = &c->v[c->movers[j - 1]], *y = &c->v[c->movers[j]];
			size_t t;

			if (x->p < y->p || (x->p == y->p && moved_by(x) >= moved_by(y)))
				break;
			t = c->movers[j];
			c->movers[j] = c->movers[j - 1];
			c->movers[j - 1] = t;
		}
}

static void pct(struct strbuf *sb, double ratio)
{
	strbuf_addf(sb, "%+.1f%%", (ratio - 1) * 100);
}

static void interval_text(struct strbuf *sb, double lo, double hi)
{
	strbuf_addstr(sb, "[");
	if (lo <= 0 || isnan(lo))
		strbuf_addstr(sb, "-inf");
	else
		pct(sb, lo);
	strbuf_addstr(sb, ", ");
	if (isinf(hi) || isnan(hi))
		strbuf_addstr(sb, "+inf");
	else
		pct(sb, hi);
	strbuf_addstr(sb, "]");
}

static const struct metric_cmp *find_cmp(const struct comparison *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].m->name, name))
			return &c->v[i];
	return NULL;
}

static void summary_gates(const struct comparison *c, struct strbuf *sb, enum stats_outcome want)
{
	int first = 1;

	for (size_t i = 0; i < c->n; i++) {
		const struct metric_cmp *m = &c->v[i];

		if (!m->gated || m->v.outcome != want || isnan(m->v.ratio))
			continue;
		strbuf_addstr(sb, first ? "" : ", ");
		strbuf_addf(sb, "%s ", m->m->label);
		pct(sb, m->v.ratio);
		strbuf_addch(sb, ' ');
		interval_text(sb, m->v.lo, m->v.hi);
		first = 0;
	}
}

/*
 * Gates short of a decision: those that more runs could decide (with
 * their intervals), then those that cannot be judged at all (and why).
 */
static void summary_inconclusive(const struct comparison *c, struct strbuf *sb)
{
	size_t judged = 0, unjudged = 0;

	for (size_t i = 0; i < c->n; i++) {
		const struct metric_cmp *m = &c->v[i];

		if (m->gated && m->v.outcome == STATS_INCONCLUSIVE) {
			judged += !isnan(m->v.ratio);
			unjudged += isnan(m->v.ratio);
		}
	}
	if (!judged && !unjudged) {
		strbuf_addstr(sb, "inconclusive: no gated metric");
		return;
	}
	strbuf_addstr(sb, judged ? "inconclusive (more runs would decide): " : "inconclusive: ");
	summary_gates(c, sb, STATS_INCONCLUSIVE);
	for (size_t i = 0, first = !judged; i < c->n; i++) {
		const struct metric_cmp *m = &c->v[i];

		if (!m->gated || m->v.outcome != STATS_INCONCLUSIVE || !isnan(m->v.ratio))
			continue;
		strbuf_addf(sb, "%s%s cannot be judged (%s)", first ? "" : "; ", m->m->label,
			    !m->a.n || !m->b.n ? "not measured on both sides"
			    : "zero or negative values");
		first = 0;
	}
}

/* "CPU +21% [+19%, +23%] at equal goodput; effective frequency -18%; ..." */
static void write_summary(struct comparison *c)
{
	struct strbuf sb = STRBUF_INIT;
	const struct metric_cmp *g = find_cmp(c, "goodput");
	char *alert = c->have_fp ? fp_diff_alert(&c->fp) : NULL;

	if (c->outcome == STATS_BAD) {
		summary_gates(c, &sb, STATS_BAD);
		if (g && g->gated && g->v.outcome != STATS_BAD && !isnan(g->ratio) &&
		    fabs(g->ratio - 1) < 0.01)
			strbuf_addstr(&sb, " at equal goodput");
	} else if (c->outcome == STATS_GOOD) {
		strbuf_addstr(&sb, "no regression past the thresholds: ");
		summary_gates(c, &sb, STATS_GOOD);
	} else {
		summary_inconclusive(c, &sb);
	}
	for (size_t k = 0; k < c->nmovers && k < 3; k++) {
		const struct metric_cmp *m = &c->v[c->movers[k]];

		strbuf_addf(&sb, "; %s ", m->m->label);
		pct(&sb, m->ratio);
	}
	if (alert)
		strbuf_addstr(&sb, "; the frequency driver changed");
	else if (c->have_fp && c->fp.nr)
		strbuf_addf(&sb, "; the hosts' fingerprints differ in %zu place%s", c->fp.nr,
			    c->fp.nr > 1 ? "s" : "");
	free(alert);
	c->summary = strbuf_detach(&sb, NULL);
}

int compare_sets(struct comparison *c, const struct run_set *a, const struct run_set *b,
		 const struct gate *gates, size_t ngates, double alpha)
{
	memset(c, 0, sizeof(*c));
	if (!a->n || !b->n)
		return error("nothing to compare: a side has no runs");
	for (const struct metric_def *m = metric_defs; m->name; m++)
		c->n++;
	c->v = xcalloc(c->n, sizeof(*c->v));
	for (size_t i = 0; i < c->n; i++) {
		struct metric_cmp *m = &c->v[i];
		double *va = run_set_values(a, metric_defs[i].key);
		double *vb = run_set_values(b, metric_defs[i].key);
		const struct gate *g = gate_of(&metric_defs[i], gates, ngates);

		m->m = &metric_defs[i];
		stats_summarize(&m->a, va, a->n);
		stats_summarize(&m->b, vb, b->n);
		add_offset(va, a->n, m->m->offset);	/* judged as metric_value() gives it */
		add_offset(vb, b->n, m->m->offset);
		effect(m, va, a->n, vb, b->n);
		/*
		 * A count of the TCP trace that neither side recorded: the
		 * runs were not traced, so the gate does not apply (a job may
		 * gate the checks and trace only some of its runs).
		 */
		if (g && !(m->m->offset && !m->a.n && !m->b.n))
			judge(m, va, a->n, vb, b->n, g, alpha);
		free(va);
		free(vb);
	}
	holm(c);
	overall(c);
	find_movers(c);
	if (a->fps[0] && b->fps[0]) {
		fp_diff_compute(&c->fp, a->fps[0], b->fps[0]);
		c->have_fp = 1;
	}
	write_summary(c);
	return 0;
}

void comparison_release(struct comparison *c)
{
	free(c->v);
	free(c->movers);
	if (c->have_fp)
		fp_diff_release(&c->fp);
	free(c->summary);
	memset(c, 0, sizeof(*c));
}

static void value_text(struct strbuf *sb, const struct metric_def *m, double v)
{
	if (isnan(v))
		strbuf_addstr(sb, "-");
	else
		strbuf_addf(sb, "%.*f%s%s", fabs(v * m->scale) >= 100 ? 0 : 2, v * m->scale,
			    *m->unit ? " " : "", m->unit);
}

static void row(struct strbuf *out, const struct metric_cmp *m)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, r = STRBUF_INIT, ci = STRBUF_INIT;
	char p[16];

	value_text(&a, m->m, m->a.median);
	value_text(&b, m->m, m->b.median);
	if (isnan(m->ratio))
		strbuf_addstr(&r, "-");
	else
		pct(&r, m->ratio);
	if (!isnan(m->ratio))
		interval_text(&ci, m->lo, m->hi);
	snprintf(p, sizeof(p), isnan(m->p) ? "-" : m->p < 0.001 ? "<0.001" : "%.3f", m->p);
	strbuf_addf(out, "  %-20s %14s %14s %3zu/%-3zu %8s %-20s %7s  %s\n", m->m->label, a.buf,
		    b.buf, m->a.n, m->b.n, r.buf, ci.buf, p,
		    m->gated ? stats_outcome_name(m->v.outcome) : "");
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&r);
	strbuf_release(&ci);
}

void comparison_format(struct strbuf *out, const struct comparison *c,
		       const struct run_set *a, const struct run_set *b)
{
	const struct run_set *side[2] = { a, b };

	for (int i = 0; i < 2; i++) {
		const struct run_set *s = side[i];

		strbuf_addf(out, "%c: %s (%zu run%s", 'A' + i, s->name, s->n, s->n > 1 ? "s" : "");
		strbuf_addf(out, "%s%s)\n", strcmp(s->name, s->path) ? ", " : "",
			    strcmp(s->name, s->path) ? s->path : "");
	}
	strbuf_addch(out, '\n');
	strbuf_addf(out, "%s: %s\n\n", stats_outcome_name(c->outcome), c->summary);
	strbuf_addf(out, "  %-20s %14s %14s %7s %8s %-20s %7s  %s\n", "metric", "A median",
		    "B median", "n", "B/A", "95% interval", "p", "verdict");
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].a.n || c->v[i].b.n)
			row(out, &c->v[i]);
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].gated)
			strbuf_addf(out, "\n  %s: %s", c->v[i].m->name, c->v[i].v.reason);
	strbuf_addch(out, '\n');
	if (c->nmovers) {
		strbuf_addstr(out, "\nwhat moved with it:\n");
		for (size_t k = 0; k < c->nmovers; k++)
			row(out, &c->v[c->movers[k]]);
	}
	if (c->have_fp && c->fp.nr) {
		strbuf_addstr(out, "\nthe hosts' fingerprints differ (A's first run against B's):\n");
		fp_diff_format(out, &c->fp);
	}
}

static json_t *side_json(const struct stats_summary *s)
{
	json_t *o = json_object();

	json_set_int(o, "n", (long long)s->n);
	json_set_num(o, "median", s->median);
	json_set_num(o, "p25", s->p25);
	json_set_num(o, "p75", s->p75);
	json_set_num(o, "mad", s->mad);
	return o;
}

static json_t *metric_json(const struct metric_cmp *m)
{
	json_t *o = json_object();

	json_set_str(o, "name", m->m->name);
	json_set_str(o, "key", m->m->key);
	json_set(o, "a", side_json(&m->a));
	json_set(o, "b", side_json(&m->b));
	json_set_num(o, "ratio", m->ratio);
	json_set_num(o, "ratio_lo", m->lo);
	json_set_num(o, "ratio_hi", isinf(m->hi) ? NAN : m->hi);
	json_set_num(o, "p", m->p);
	if (m->gated) {
		json_t *v = json_object();

		json_set_str(v, "outcome", stats_outcome_name(m->v.outcome));
		json_set_num(v, "threshold", m->v.threshold);
		json_set_num(v, "ratio", m->v.ratio);
		json_set_num(v, "lo", m->v.lo);
		json_set_num(v, "hi", isinf(m->v.hi) ? NAN : m->v.hi);
		json_set_num(v, "confidence", m->v.confidence);
		json_set_num(v, "p", m->v.p);
		json_set_num(v, "p_adjusted", m->v.p_adj);
		json_set_num(v, "alpha", m->v.alpha);
		json_set_str(v, "reason", m->v.reason);
		json_set(o, "verdict", v);
	}
	return o;
}

static json_t *set_json(const struct run_set *s)
{
	json_t *o = json_object(), *runs = json_array();

	json_set_str(o, "name", s->name);
	json_set_str(o, "path", s->path);
	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(runs, json_string(s->dirs[i]));
	json_set(o, "runs", runs);
	return o;
}

json_t *comparison_json(const struct comparison *c, const struct run_set *a,
			const struct run_set *b)
{
	json_t *o = json_object(), *metrics = json_array(), *movers = json_array();

	json_set_str(o, "outcome", stats_outcome_name(c->outcome));
	json_set_str(o, "summary", c->summary);
	json_set(o, "a", set_json(a));
	json_set(o, "b", set_json(b));
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].a.n || c->v[i].b.n)
			json_array_append_new(metrics, metric_json(&c->v[i]));
	for (size_t k = 0; k < c->nmovers; k++)
		json_array_append_new(movers, json_string(c->v[c->movers[k]].m->name));
	json_set(o, "metrics", metrics);
	json_set(o, "moved", movers);
	json_set(o, "fingerprint", c->have_fp ? fp_diff_json(&c->fp) : json_null());
	return o;
}
