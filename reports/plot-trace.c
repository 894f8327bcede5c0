/*
 * The bisection trace (read by bisect/trace.c) drawn as the metric
 * against commit order.
 */
#include "reports/plot.h"
#include "bisect/result.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/stats.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Colour and point type per verdict: told apart by shape in grey too. */
static const char *const verdict_colour[TRACE_NR_VERDICTS] = {
	"#2e8b3a", "#c8322d", "#888888", "#e08a00"
};
static const int verdict_pt[TRACE_NR_VERDICTS] = { 7, 5, 2, 9 };

/* ---- the plot ---- */

static double point_median(const struct trace_point *p)
{
	struct stats_summary s;

	stats_summarize(&s, p->values, p->nr_values);
	return s.n ? s.median : NAN;
}

/* NAME-runs.dat (order, value, verdict) and NAME-median.dat. */
static int trace_write(const struct plot_out *o, const struct trace *t, int *seen)
{
	struct strbuf runs = STRBUF_INIT, med = STRBUF_INIT;
	char *p1 = xasprintf("%s/%s-runs.dat", o->dir, o->name);
	char *p2 = xasprintf("%s/%s-median.dat", o->dir, o->name);
	int ret;

	strbuf_addf(&runs, "# commit order, %s (%s) of one run, verdict (0 good, 1 bad, "
		    "2 skip, 3 inconclusive)\n", t->label, t->unit);
	strbuf_addf(&med, "# commit order, median %s (%s)\n", t->label, t->unit);
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_point *p = &t->v[i];
		double m = point_median(p);

		for (size_t k = 0; k < p->nr_values; k++)
			if (!isnan(p->values[k])) {
				strbuf_addf(&runs, "%ld %.6g %d\n", p->order, p->values[k],
					    (int)p->verdict);
				seen[p->verdict] = 1;
			}
		if (!isnan(m))
			strbuf_addf(&med, "%ld %.6g\n", p->order, m);
	}
	ret = write_file_atomic(p1, runs.buf, runs.len, 0);
	if (!ret)
		ret = write_file_atomic(p2, med.buf, med.len, 0);
	free(p1);
	free(p2);
	strbuf_release(&runs);
	strbuf_release(&med);
	return ret;
}

/* Commits without a measurement: a mark on the axis saying why. */
static void trace_marks(struct strbuf *b, const struct trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_point *p = &t->v[i];

		if (!isnan(point_median(p)))
			continue;
		strbuf_addf(b, "set label '%s' at %ld, graph 0.04 rotate by 90 left "
			    "tc rgb '%s' front\n", trace_verdict_names[p->verdict], p->order,
			    verdict_colour[p->verdict]);
		strbuf_addf(b, "set arrow from %ld, graph 0 to %ld, graph 1 nohead dt 3 "
			    "lc rgb '#bbbbbb'\n", p->order, p->order);
	}
}

static void trace_culprit(struct strbuf *b, const struct trace *t)
{
	char *txt;

	for (size_t i = 0; i < t->n && t->culprit; i++) {
		const struct trace_point *p = &t->v[i];

		if (strcmp(p->commit, t->culprit))
			continue;
		txt = xasprintf("culprit %.10s %.50s%s", p->commit, p->subject,
				strlen(p->subject) > 50 ? "..." : "");
		strbuf_addf(b, "set arrow from %ld, graph 0 to %ld, graph 1 nohead lw 2 dt 2 "
			    "lc rgb '#c8322d' back\nset label ", p->order, p->order);
		plot_quote(b, txt);
		strbuf_addf(b, " at %ld, graph 0.95 %s offset %s,0 tc rgb '#c8322d' front "
			    "font 'sans,11'\n", p->order, (double)i > t->n / 2.0 ? "right" : "left",
			    (double)i > t->n / 2.0 ? "-1" : "1");
		free(txt);
	}
}

/* Short ids under the axis when there are few enough to read. */
static void trace_tics(struct strbuf *b, const struct trace *t)
{
	if (t->n > 40) {
		strbuf_addstr(b, "set xlabel 'commit order (oldest first)'\n");
		return;
	}
	strbuf_addstr(b, "set xtics (");
	for (size_t i = 0; i < t->n; i++)
		strbuf_addf(b, "%s'%.7s' %ld", i ? ", " : "", t->v[i].commit, t->v[i].order);
	strbuf_addstr(b, ") rotate by -45 left font 'monospace,9' nomirror\n"
		      "set xlabel 'commits, oldest first' offset 0,-1\n");
}

int plot_trace(const struct plot_out *o, const struct trace *t, const char *title)
{
	struct strbuf b = STRBUF_INIT;
	int seen[TRACE_NR_VERDICTS] = { 0 }, ret;
	long lo = t->n ? t->v[0].order : 0, hi = t->n ? t->v[t->n - 1].order : 1;

	if ((ret = mkdir_p(o->dir)) || (ret = trace_write(o, t, seen)))
		return ret;
	strbuf_addstr(&b, "set title ");
	plot_quote(&b, title);
	strbuf_addf(&b, " font 'sans,13'\nset xrange [%g:%g]\nset yrange [*:*]\n"
		    "set key outside bottom center horizontal\nset bmargin 9\n"
		    "set offsets 0, 0, graph 0.15, graph 0.05\n",
		    lo - 0.5, hi + 0.5);
	{
		char *yl = *t->unit ? xasprintf("%s (%s)", t->label, t->unit) : xstrdup(t->label);

		strbuf_addstr(&b, "set ylabel ");
		plot_quote(&b, yl);
		strbuf_addch(&b, '\n');
		free(yl);
	}
	trace_tics(&b, t);
	trace_marks(&b, t);
	trace_culprit(&b, t);
	strbuf_addf(&b, "plot '%s-median.dat' using 1:2 with lines lw 1.5 lc rgb '#999999' "
		    "title 'median'", o->name);
	for (int k = 0; k < TRACE_NR_VERDICTS; k++) {
		if (!seen[k])
			continue;
		strbuf_addf(&b, ", \\\n\t'%s-runs.dat' using 1:($3 == %d ? $2 : NaN) with "
			    "points pt %d ps 1.1 lc rgb '%s' title '%s'", o->name, k,
			    verdict_pt[k], verdict_colour[k], trace_verdict_names[k]);
	}
	strbuf_addch(&b, '\n');
	ret = plot_render(o, b.buf, 1000, 600);
	strbuf_release(&b);
	return ret;
}
