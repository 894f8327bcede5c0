/*
 * Reports as one document model with two renderings: a self-contained
 * HTML page and text for a terminal, so both say the same.
 */
#include "reports/report.h"
#include "store/metric.h"
#include "bisect/bisect.h"
#include "bisect/result.h"
#include "reports/plot.h"
#include "reports/tconn.h"
#include "verdict/compare.h"
#include "store/history.h"
#include "store/rundir.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void html_escape(struct strbuf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': strbuf_addstr(out, "&amp;"); break;
		case '<': strbuf_addstr(out, "&lt;"); break;
		case '>': strbuf_addstr(out, "&gt;"); break;
		case '"': strbuf_addstr(out, "&quot;"); break;
		case '\'': strbuf_addstr(out, "&#39;"); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				strbuf_addch(out, *s);
		}
	}
}

/* A relative path as an href: percent-encoded, then escaped. */
static void add_href(struct strbuf *out, const char *path)
{
	static const char keep[] = "-._~/";

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(keep, *p))
			strbuf_addch(out, (char)*p);
		else
			strbuf_addf(out, "%%%02X", *p);
	}
}

/* ---- the document ---- */

struct doc {
	struct strbuf *out;
	const struct report_opts *o;
	char *link_base;	/* from the page's directory to the data, "" or "x/" */
	int plots;		/* plots drawn, for file names */
};

/* A table: cells row by row; a cell may hold lines, each with a link. */
struct table {
	size_t ncols, n, alloc;
	char **cells;		/* n cells, row-major */
	char **links;		/* per cell: lines of hrefs, or NULL */
};

static void table_init(struct table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

static void table_add_link(struct table *t, const char *text, const char *links)
{
	ALLOC_GROW(t->cells, t->n + 1, t->alloc);
	t->links = xrealloc(t->links, t->alloc * sizeof(*t->links));
	t->cells[t->n] = xstrdup(text ? text : "-");
	t->links[t->n++] = links ? xstrdup(links) : NULL;
}

static void table_add(struct table *t, const char *text)
{
	table_add_link(t, text, NULL);
}

static void table_addf(struct table *t, const char *fmt, ...) PRINTF(2, 3);
static void table_addf(struct table *t, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	table_add(t, sb.buf);
	strbuf_release(&sb);
}

static void table_release(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->cells[i]);
		free(t->links[i]);
	}
	free(t->cells);
	free(t->links);
}

static int html(const struct doc *d)
{
	return d->o->format == REPORT_HTML;
}

static const char style[] =
	"body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
	"color:#222;line-height:1.4}\n"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}\n"
	"table{border-collapse:collapse;margin:1em 0;font-size:0.92em}\n"
	"th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:left;vertical-align:top}\n"
	"th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	".summary{font-size:1.1em;background:#f6f8fa;padding:0.8em 1em;border-left:4px solid "
	"#1f5fa8}\n.BAD,.bad{color:#b02020;font-weight:bold}.GOOD,.good{color:#217a2e}\n"
	".INCONCLUSIVE,.inconclusive{color:#b06a00}.note{color:#8a4b00}\n"
	"pre{background:#f6f8fa;padding:0.8em;overflow-x:auto}\n"
	"figure{margin:1em 0}svg{max-width:100%;height:auto}\n";

static void doc_begin(struct doc *d, const char *title)
{
	if (!html(d)) {
		strbuf_addf(d->out, "%s\n", title);
		for (size_t i = strlen(title); i > 0; i--)
			strbuf_addch(d->out, '=');
		strbuf_addch(d->out, '\n');
		return;
	}
	strbuf_addstr(d->out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<meta name=\"generator\" content=\"perflab\">\n<title>");
	html_escape(d->out, title);
	strbuf_addf(d->out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", style);
	html_escape(d->out, title);
	strbuf_addstr(d->out, "</h1>\n");
}

static void doc_end(struct doc *d)
{
	if (html(d))
		strbuf_addstr(d->out, "<p class=\"note\">Written by perflab report; every plot's "
			      "data and gnuplot script are in the plots directory.</p>\n"
			      "</body>\n</html>\n");
}

static void doc_heading(struct doc *d, const char *text)
{
	if (html(d)) {
		strbuf_addstr(d->out, "<h2>");
		html_escape(d->out, text);
		strbuf_addstr(d->out, "</h2>\n");
	} else {
		strbuf_addf(d->out, "\n%s\n", text);
		for (size_t i = strlen(text); i > 0; i--)
			strbuf_addch(d->out, '-');
		strbuf_addch(d->out, '\n');
	}
}

/* A paragraph; cls names its kind ("summary", "note") or is NULL. */
static void doc_para(struct doc *d, const char *cls, const char *text)
{
	if (html(d)) {
		strbuf_addstr(d->out, "<p");
		if (cls)
			strbuf_addf(d->out, " class=\"%s\"", cls);
		strbuf_addch(d->out, '>');
		html_escape(d->out, text);
		strbuf_addstr(d->out, "</p>\n");
	} else {
		strbuf_addf(d->out, "%s%s\n", cls && !strcmp(cls, "note") ? "note: " : "", text);
	}
}

static void doc_pre(struct doc *d, const char *text)
{
	if (html(d)) {
		strbuf_addstr(d->out, "<pre>");
		html_escape(d->out, text);
		strbuf_addstr(d->out, "</pre>\n");
	} else {
		for (const char *p = text; *p; ) {
			size_t n = strcspn(p, "\n");

			strbuf_addf(d->out, "  %.*s\n", (int)n, p);
			p += n + (p[n] == '\n');
		}
	}
}

/* A cell in HTML: its lines, each a link when it has one. */
static void html_cell(struct doc *d, const char *text, const char *links, int head)
{
	const char *p = text, *l = links;
	int num = !head && *text && strspn(text, "0123456789.+-% xe[],") == strlen(text);
	int verdict = !head && (!strcmp(text, "BAD") || !strcmp(text, "GOOD") ||
				!strcmp(text, "INCONCLUSIVE") || !strcmp(text, "bad") ||
				!strcmp(text, "good") || !strcmp(text, "inconclusive"));

	strbuf_addstr(d->out, head ? "<th" : "<td");
	if (num) {
		strbuf_addstr(d->out, " class=\"num\"");
	} else if (verdict) {
		strbuf_addstr(d->out, " class=\"");
		html_escape(d->out, text);
		strbuf_addch(d->out, '"');
	}
	strbuf_addch(d->out, '>');
	while (*p) {
		size_t n = strcspn(p, "\n"), m = l ? strcspn(l, "\n") : 0;
		char *line = xstrndup(p, n), *href = l ? xstrndup(l, m) : NULL;

		if (href && *href == '#') {	/* a place on this page */
			strbuf_addstr(d->out, "<a href=\"#");
			add_href(d->out, href + 1);
			strbuf_addstr(d->out, "\">");
		} else if (href && *href) {
			strbuf_addstr(d->out, "<a href=\"");
			add_href(d->out, d->link_base);
			add_href(d->out, href);
			strbuf_addstr(d->out, "\">");
		}
		html_escape(d->out, line);
		strbuf_addstr(d->out, href && *href ? "</a>" : "");
		p += n + (p[n] == '\n');
		l = l ? l + m + (l[m] == '\n') : NULL;
		strbuf_addstr(d->out, *p ? "<br>" : "");
		free(line);
		free(href);
	}
	strbuf_addf(d->out, "</%s>", head ? "th" : "td");
}

static void table_html(struct doc *d, const struct table *t)
{
	strbuf_addstr(d->out, "<table>\n");
	for (size_t i = 0; i < t->n; i += t->ncols) {
		strbuf_addstr(d->out, "<tr>");
		for (size_t k = 0; k < t->ncols && i + k < t->n; k++)
			html_cell(d, t->cells[i + k], t->links[i + k], i == 0);
		strbuf_addstr(d->out, "</tr>\n");
	}
	strbuf_addstr(d->out, "</table>\n");
}

/* Text: aligned columns; lines of a cell joined by ", ". */
static void table_text(struct doc *d, const struct table *t)
{
	size_t *w = xcalloc(t->ncols, sizeof(*w));
	char **flat = xcalloc(t->n + 1, sizeof(*flat));

	for (size_t i = 0; i < t->n; i++) {
		struct strbuf sb = STRBUF_INIT;

		for (const char *p = t->cells[i]; *p; p++)
			strbuf_addstr(&sb, *p == '\n' ? ", " : (char[]){ *p, 0 });
		flat[i] = strbuf_detach(&sb, NULL);
		if (strlen(flat[i]) > w[i % t->ncols])
			w[i % t->ncols] = strlen(flat[i]);
	}
	for (size_t i = 0; i < t->n; i++) {
		int last = i % t->ncols == t->ncols - 1 || i == t->n - 1;

		strbuf_addf(d->out, "%s%-*s%s", i % t->ncols ? "" : "  ",
			    last ? 0 : (int)w[i % t->ncols], flat[i], last ? "\n" : "  ");
		free(flat[i]);
	}
	free(flat);
	free(w);
}

static void doc_table(struct doc *d, const struct table *t)
{
	if (t->n <= t->ncols)
		return;
	if (html(d))
		table_html(d, t);
	else
		table_text(d, t);
}

/* The SVG of a plot, inline: from <svg on, without namespace URLs. */
static int inline_svg(struct doc *d, const char *path)
{
	FILE *f = fopen(path, "r");
	struct strbuf sb = STRBUF_INIT;
	char buf[8192], *svg, *p;
	size_t n;

	if (!f)
		return error_errno("cannot read '%s'", path);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	svg = strstr(sb.buf, "<svg");
	if (!svg) {
		strbuf_release(&sb);
		return error("'%s' holds no <svg> element", path);
	}
	while ((p = strstr(svg, " xmlns")) && p < strchr(svg, '>')) {
		char *q = strchr(p, '"');

		q = q ? strchr(q + 1, '"') : NULL;
		if (!q)
			break;
		memmove(p, q + 1, strlen(q + 1) + 1);
	}
	strbuf_addstr(d->out, svg);
	strbuf_release(&sb);
	return 0;
}

/* Show a drawn plot: inline SVG in HTML, the PNG's path in text. */
static void doc_plot(struct doc *d, const struct plot_out *po, int drawn, const char *caption)
{
	char *png = xasprintf("%s/%s.png", po->dir, po->name);
	char *svg = xasprintf("%s/%s.svg", po->dir, po->name);

	if (!drawn) {
		doc_para(d, "note", "plot not drawn (see the error above)");
	} else if (html(d)) {
		strbuf_addstr(d->out, "<figure>\n");
		if (inline_svg(d, svg))
			doc_para(d, "note", "plot missing");
		strbuf_addstr(d->out, "\n<figcaption>");
		html_escape(d->out, caption);
		strbuf_addstr(d->out, "</figcaption>\n</figure>\n");
	} else {
		strbuf_addf(d->out, "plot: %s (%s)\n", png, caption);
	}
	free(png);
	free(svg);
}

/* A plot_out for the next plot of the report. */
static struct plot_out next_plot(struct doc *d, char *name_buf, int len, const char *what)
{
	struct plot_out po = { d->o->plots_dir, name_buf, PLOT_PNG | PLOT_SVG };

	snprintf(name_buf, (size_t)len, "%02d-%.*s", ++d->plots, len - 16, what);
	return po;
}

/* ---- pieces shared by the reports ---- */

static void fmt_value(char *buf, size_t len, double v, const char *unit)
{
	if (isnan(v))
		snprintf(buf, len, "not measured");
	else
		snprintf(buf, len, fabs(v) >= 1e4 ? "%.0f%s%s" : "%.4g%s%s", v,
			 *unit && strcmp(unit, "%") ? " " : "", unit);
}

/* Every metric of a set: the median of its runs. */
static void metrics_table(struct doc *d, const struct run_set *s)
{
	struct table t;

	table_init(&t, 3);
	table_add(&t, "metric");
	table_add(&t, s->n > 1 ? "median of the runs" : "value");
	table_add(&t, "runs");
	for (const struct metric_def *m = metric_defs; m->name; m++) {
		double *v = run_set_values(s, m->key);
		struct stats_summary sum;
		char buf[64];

		stats_summarize(&sum, v, s->n);
		fmt_value(buf, sizeof(buf), sum.n ? sum.median * m->scale : NAN, m->unit);
		table_add(&t, m->label);
		table_add(&t, buf);
		table_addf(&t, "%zu of %zu", sum.n, s->n);
		free(v);
	}
	doc_table(d, &t);
	table_release(&t);
}

/* A ratio (%.3f) or a p value (%.2g, when p is set), "-" when unknown. */
static const char *num_or_dash(char *buf, size_t len, double v, int p)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, p ? "%.2g" : "%.3f", v);
	return buf;
}

/* The compare table, from comparison_json. */
static void compare_table(struct doc *d, const json_t *cj)
{
	const json_t *metrics = json_object_get(cj, "metrics"), *m;
	struct table t;
	size_t i;

	table_init(&t, 7);
	for (const char *const *h = (const char *const[]){ "metric", "A median", "B median",
	     "B/A", "95% interval", "p", "verdict", NULL }; *h; h++)
		table_add(&t, *h);
	json_array_foreach(metrics, i, m) {
		const struct metric_def *def = metric_find(json_get_str(m, "name"));
		double sc = def ? def->scale : 1;
		char a[64], b[64], r[32], lo[32], hi[32], p[32];

		table_add(&t, def ? def->label : json_get_str(m, "name"));
		fmt_value(a, sizeof(a), json_get_num(m, "a.median") * sc, def ? def->unit : "");
		fmt_value(b, sizeof(b), json_get_num(m, "b.median") * sc, def ? def->unit : "");
		table_add(&t, a);
		table_add(&t, b);
		table_add(&t, num_or_dash(r, sizeof(r), json_get_num(m, "ratio"), 0));
		num_or_dash(lo, sizeof(lo), json_get_num(m, "ratio_lo"), 0);
		num_or_dash(hi, sizeof(hi), json_get_num(m, "ratio_hi"), 0);
		table_addf(&t, "[%s, %s]", lo, hi);
		table_add(&t, num_or_dash(p, sizeof(p), json_get_num(m, "p"), 1));
		table_add(&t, json_get_str(m, "verdict.outcome") ? json_get_str(m, "verdict.outcome")
			  : "");
	}
	doc_table(d, &t);
	table_release(&t);
}

static void fp_table(struct doc *d, const struct fp_diff *fp)
{
	char *alert = fp_diff_alert(fp);
	struct table t;

	if (alert)
		doc_para(d, "summary", alert);
	free(alert);
	if (!fp->nr) {
		doc_para(d, NULL, "The hosts' fingerprints are the same.");
		return;
	}
	table_init(&t, 4);
	table_add(&t, "what");
	table_add(&t, "where");
	table_add(&t, "A");
	table_add(&t, "B");
	for (size_t i = 0; i < fp->nr; i++) {
		struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

		fp_format_value(&a, fp->v[i].a);
		fp_format_value(&b, fp->v[i].b);
		table_add(&t, fp->v[i].what);
		table_add(&t, fp->v[i].path);
		table_add(&t, a.buf);
		table_add(&t, b.buf);
		strbuf_release(&a);
		strbuf_release(&b);
	}
	doc_table(d, &t);
	table_release(&t);
}

/* Time series of the sets' first runs, overlaid. */
static void timeseries_of(struct doc *d, char *const *runs, size_t n, const char *caption)
{
	char name[64];
	struct plot_out po = next_plot(d, name, sizeof(name), "timeseries");

	doc_plot(d, &po, !plot_timeseries(&po, runs, n), caption);
}

static int any_pmu(const struct run_set *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < s[i].n; k++)
			if (!isnan(json_get_num(s[i].sums[k], "stall_frac")) ||
			    !isnan(json_get_num(s[i].sums[k], "ipc")))
				return 1;
	return 0;
}

static void stalls_of(struct doc *d, const struct run_set *s, size_t n)
{
	char name[64];
	struct plot_out po;

	doc_heading(d, "Where the cycles go");
	if (!any_pmu(s, n)) {
		doc_para(d, "note", "No PMU data: the hosts could not count hardware events "
			 "(no stall or IPC figures).");
		return;
	}
	po = next_plot(d, name, sizeof(name), "stalls");
	doc_plot(d, &po, !plot_stalls(&po, s, n), "stalled cycles and IPC, medians of the runs");
}

/* The comparison of two sets: summary, table, what moved, fingerprints, plots. */
static int compare_section(struct doc *d, struct run_set *a, struct run_set *b)
{
	struct gate g[8];
	size_t ng = gates_default(g, ARRAY_SIZE(g));
	struct comparison c;
	struct run_set both[2];
	char *firsts[2] = { a->dirs[0], b->dirs[0] };
	json_t *cj;

	if (compare_sets(&c, a, b, g, ng, 0.025))
		return -1;
	cj = comparison_json(&c, a, b);
	{
		char *s = xasprintf("%s: %s", stats_outcome_name(c.outcome), c.summary);

		doc_para(d, "summary", s);
		free(s);
	}
	doc_heading(d, "Every metric, A against B");
	{
		char *s = xasprintf("A: %s (%zu run%s), B: %s (%zu run%s).", a->name, a->n,
				    a->n == 1 ? "" : "s", b->name, b->n, b->n == 1 ? "" : "s");

		doc_para(d, NULL, s);
		free(s);
	}
	compare_table(d, cj);
	if (c.nmovers) {
		struct strbuf m = STRBUF_INIT;

		strbuf_addstr(&m, "What moved with it:");
		for (size_t k = 0; k < c.nmovers; k++)
			strbuf_addf(&m, "%s %s", k ? "," : "", c.v[c.movers[k]].m->label);
		doc_para(d, NULL, m.buf);
		strbuf_release(&m);
	}
	doc_heading(d, "What changed in the hosts (fingerprint diff)");
	if (c.have_fp)
		fp_table(d, &c.fp);
	else
		doc_para(d, "note", "No fingerprints recorded to compare.");
	doc_heading(d, "Over time");
	timeseries_of(d, firsts, 2, "goodput, CPU and frequency per interval, the first run "
		      "of each side");
	doc_heading(d, "Every run");
	for (size_t i = 0; i < ng; i++) {
		char name[64], what[32];
		struct plot_out po;

		both[0] = *a;
		both[1] = *b;
		snprintf(what, sizeof(what), "box-%s", g[i].m->name);
		po = next_plot(d, name, sizeof(name), what);
		doc_plot(d, &po, !plot_box(&po, g[i].m, both, 2), g[i].m->label);
	}
	both[0] = *a;
	both[1] = *b;
	stalls_of(d, both, 2);
	json_decref(cj);
	comparison_release(&c);
	return 0;
}

/* A command line for display, words quoted where a shell would need it. */
static void add_command(struct strbuf *sb, const json_t *argv)
{
	const json_t *w;
	size_t i;

	json_array_foreach(argv, i, w) {
		const char *s = json_string_value(w);

		if (!s)
			continue;
		strbuf_addstr(sb, i ? " " : "");
		if (*s && !strpbrk(s, " \t\n'\"\\$`&|;<>()*?[]#~!{}"))
			strbuf_addstr(sb, s);
		else {
			strbuf_addch(sb, '\'');
			for (; *s; s++)
				strbuf_addstr(sb, *s == '\'' ? "'\\''" : (char[]){ *s, 0 });
			strbuf_addch(sb, '\'');
		}
	}
}

/* The way from directory from to directory to, both absolute: "../x/". */
static char *relative_dir(const char *from, const char *to)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i = 0, common = 0;

	/* the longest common prefix that ends at a component boundary */
	for (; from[i] && from[i] == to[i]; i++)
		if (from[i] == '/')
			common = i + 1;
	if ((!from[i] || from[i] == '/') && (!to[i] || to[i] == '/'))
		common = i + (from[i] || to[i] ? 1 : 0);
	for (const char *p = from + (common > strlen(from) ? strlen(from) : common); *p; ) {
		strbuf_addstr(&sb, "../");
		p += strcspn(p, "/");
		p += *p == '/';
	}
	if (common < strlen(to))
		strbuf_addf(&sb, "%s/", to + common);
	return strbuf_detach(&sb, NULL);
}

static void doc_init(struct doc *d, struct strbuf *out, const struct report_opts *o,
		     const char *data_dir)
{
	memset(d, 0, sizeof(*d));
	d->out = out;
	d->o = o;
	d->link_base = xstrdup("");
	if (o->html_path && data_dir) {
		char a[PATH_MAX], b[PATH_MAX];
		char *dir = xstrdup(o->html_path), *slash = strrchr(dir, '/');

		if (slash)
			*slash = '\0';
		if (realpath(slash ? dir : ".", a) && realpath(data_dir, b) && strcmp(a, b)) {
			free(d->link_base);
			d->link_base = relative_dir(a, b);
		}
		free(dir);
	}
}

static void doc_release(struct doc *d)
{
	free(d->link_base);
}

/*
 * The TCP trace's checks (summary.json's tcp_checks): each rule's count,
 * then the flagged connections, each linked to its timeline drawn below
 * (at most TCP_PLOTS of them; perflab plot trace-conn draws the rest).
 */
#define TCP_PLOTS 12

static void tcp_rules_table(struct doc *d, const json_t *tc)
{
	struct table t;
	const char *k;
	json_t *r;

	table_init(&t, 3);
	table_add(&t, "check");
	table_add(&t, "count");
	table_add(&t, "flagged connections");
	json_object_foreach(json_object_get(tc, "rules"), k, r) {
		const json_t *c = json_object_get(r, "count");

		table_add(&t, k);
		if (json_is_integer(c))
			table_addf(&t, "%lld", (long long)json_integer_value(c));
		else
			table_add(&t, "not shown by the trace");
		table_addf(&t, "%zu", json_array_size(json_object_get(r, "conns")));
	}
	doc_table(d, &t);
	table_release(&t);
}

/* "dut-3": a connection's anchor and plot name, from HOST:ID */
static char *conn_tag(const char *host, long long id)
{
	char *s = xasprintf("conn-%s-%lld", host, id);

	for (char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			*p = '-';
	return s;
}

/* Each flagged connection once, with the rules that flagged it. */
static json_t *flagged_conns(const json_t *tc)
{
	json_t *byconn = json_object(), *c;
	const char *k;
	json_t *r;
	size_t i;

	json_object_foreach(json_object_get(tc, "rules"), k, r) {
		json_array_foreach(json_object_get(r, "conns"), i, c) {
			char *name = xasprintf("%s:%lld", json_get_str(c, "host") ?
					       json_get_str(c, "host") : "?",
					       (long long)json_integer_value(json_object_get(c, "id")));
			json_t *rules = json_object_get(byconn, name);

			if (!rules) {
				rules = json_array();
				json_object_set_new(byconn, name, rules);
			}
			json_array_append_new(rules, json_string(k));
			free(name);
		}
	}
	return byconn;
}

static void tcp_flagged(struct doc *d, const char *run_dir, const json_t *tc)
{
	json_t *byconn = flagged_conns(tc), *rules, *v;
	struct tconn_run tr;
	struct table t;
	const char *name;
	int loaded = !tconn_run_load(&tr, run_dir), n = 0;
	size_t i;

	table_init(&t, 2);
	table_add(&t, "connection");
	table_add(&t, "flagged by");
	json_object_foreach(byconn, name, rules) {
		const char *colon = strrchr(name, ':');
		char *host = xstrndup(name, (size_t)(colon - name));
		char *href = conn_tag(host, atoll(colon + 1)), *tag;
		struct strbuf sb = STRBUF_INIT;

		free(host);
		json_array_foreach(rules, i, v)
			strbuf_addf(&sb, "%s%s", i ? ", " : "", json_string_value(v));
		if (n++ < TCP_PLOTS && html(d)) {
			tag = xasprintf("#%s", href);
			table_add_link(&t, name, tag);
			free(tag);
		} else {
			table_add(&t, name);
		}
		table_add(&t, sb.buf);
		strbuf_release(&sb);
		free(href);
	}
	doc_table(d, &t);
	table_release(&t);
	if (json_object_size(byconn) > TCP_PLOTS)
		doc_para(d, "note", "only the first connections are drawn: perflab plot trace-conn "
			 "RUN HOST:ID draws any other");
	n = 0;
	json_object_foreach(byconn, name, rules) {
		const struct tconn_host *h;
		const struct tcprec_conn *c;
		struct plot_out po;
		char pname[96], *tag, *host;
		const char *colon = strrchr(name, ':');

		if (n++ >= TCP_PLOTS || !loaded || tconn_find(&tr, name, &h, &c))
			continue;
		host = xstrndup(name, (size_t)(colon - name));
		tag = conn_tag(host, atoll(colon + 1));
		po = next_plot(d, pname, sizeof(pname), tag);
		if (html(d))
			strbuf_addf(d->out, "<a id=\"%s\"></a>\n", tag);
		doc_plot(d, &po, !plot_tconn(&po, &tr, h, c), name);
		free(tag);
		free(host);
	}
	if (loaded)
		tconn_run_release(&tr);
	json_decref(byconn);
}

static void tcp_section(struct doc *d, const char *run_dir, const json_t *sum)
{
	const json_t *tc = json_object_get(sum, "tcp_checks");
	json_t *flagged;

	if (!tc)
		return;
	doc_heading(d, "TCP checks (the trace)");
	if (json_is_true(json_object_get(tc, "incomplete")))
		doc_para(d, "note", "the trace is incomplete (events lost, capped or cut short): "
			 "the counts are lower bounds");
	tcp_rules_table(d, tc);
	flagged = flagged_conns(tc);
	if (json_object_size(flagged))
		tcp_flagged(d, run_dir, tc);
	else
		doc_para(d, "summary", "no connection was flagged");
	json_decref(flagged);
}

/* ---- a run ---- */

static void run_summary(struct doc *d, const struct run_set *s, const json_t *meta)
{
	const json_t *sum = s->sums[0];
	struct strbuf sb = STRBUF_INIT;
	const char *why;

	strbuf_addf(&sb, "%s workload, %.3g s measured after %.3g s of warmup on %s (kernel %s): ",
		    json_get_str(sum, "workload") ? json_get_str(sum, "workload") : "a",
		    json_get_num(sum, "duration_s"), json_get_num(sum, "warmup_s"),
		    json_get_str(meta, "host.hostname") ? json_get_str(meta, "host.hostname")
		    : "this host", json_get_str(meta, "host.kernel") ? json_get_str(meta,
		    "host.kernel") : "unknown");
	strbuf_addf(&sb, "goodput %.4g Gbit/s, CPU %.3g%% busy, %.4g%% CPU per Gbit/s.",
		    json_get_num(sum, SUM_GOODPUT) / 1e9, json_get_num(sum, SUM_CPU),
		    json_get_num(sum, SUM_CPU_PER_GBIT));
	if ((why = json_get_str(sum, "freq_unavailable")))
		strbuf_addf(&sb, " The frequency was not measured: %s.", why);
	if ((why = json_get_str(sum, "pmc_unavailable")))
		strbuf_addf(&sb, " Hardware counters were not measured: %s.", why);
	doc_para(d, "summary", sb.buf);
	strbuf_release(&sb);
}

/*
 * The run in run_dir, read once by the strict reader (store/rundir.h),
 * which names a damaged run.json or summary.json; a run that was not
 * measured is said to be so.
 */
static int read_one_run(struct run_dir *rd, const char *run_dir)
{
	int r = run_dir_read(rd, run_dir);

	if (r == PERFLAB_ENOTFOUND)
		return error("'%s' is neither a run directory (no run.json) nor a bisection "
			     "(no result.json)", run_dir);
	if (r)
		return -1;
	if (!run_dir_complete(rd))
		return error("'%s' is a%s %s run%s%s%s: nothing was measured to report", run_dir,
			     rd->meta.status && *rd->meta.status == 'a' ? "n" : "",
			     rd->meta.status ? rd->meta.status : "unfinished",
			     rd->meta.failure ? " (" : "", rd->meta.failure ? rd->meta.failure : "",
			     rd->meta.failure ? ")" : "");
	return 0;
}

int report_run(struct strbuf *out, const char *run_dir, const struct report_opts *o)
{
	struct run_set s;
	struct run_dir rd;
	struct doc d;
	const json_t *meta;
	char *title;
	struct strbuf cmd = STRBUF_INIT;

	memset(&s, 0, sizeof(s));
	if (read_one_run(&rd, run_dir) || run_set_load(&s, run_dir)) {
		run_set_release(&s);
		run_dir_release(&rd);
		return -1;
	}
	meta = rd.run;
	doc_init(&d, out, o, run_dir);
	title = plot_run_title(s.dirs[0]);
	{
		char *t = xasprintf("perflab report: run %s", title);

		doc_begin(&d, t);
		free(t);
	}
	run_summary(&d, &s, meta);
	doc_heading(&d, "Every metric");
	metrics_table(&d, &s);
	doc_heading(&d, "Over time");
	timeseries_of(&d, s.dirs, 1, "goodput, CPU and frequency per interval");
	stalls_of(&d, &s, 1);
	tcp_section(&d, run_dir, s.sums[0]);
	doc_heading(&d, "To reproduce");
	add_command(&cmd, json_object_get(meta, "command"));
	doc_pre(&d, cmd.buf);
	doc_end(&d);
	strbuf_release(&cmd);
	doc_release(&d);
	free(title);
	run_dir_release(&rd);
	run_set_release(&s);
	return 0;
}

/* ---- a comparison ---- */

int report_compare(struct strbuf *out, const char *pa, const char *pb,
		   const struct report_opts *o)
{
	struct run_set a, b;
	struct doc d;
	int ret = -1;

	memset(&b, 0, sizeof(b));
	if (!run_set_load(&a, pa) && !run_set_load(&b, pb)) {
		char *t = xasprintf("perflab report: %s against %s", a.name, b.name);
		char *cmd = xasprintf("perflab compare %s %s", pa, pb);

		doc_init(&d, out, o, NULL);
		doc_begin(&d, t);
		ret = compare_section(&d, &a, &b);
		doc_heading(&d, "To reproduce");
		doc_pre(&d, cmd);
		doc_end(&d);
		doc_release(&d);
		free(t);
		free(cmd);
	}
	run_set_release(&a);
	run_set_release(&b);
	return ret;
}

/* ---- a bisection ---- */

static const char *subject_of(const struct trace *t, const char *commit)
{
	for (size_t i = 0; t && i < t->n; i++)
		if (!strcmp(t->v[i].commit, commit))
			return t->v[i].subject;
	return "";
}

static void bisect_summary(struct doc *d, const struct bisect_result *r)
{
	struct strbuf sb = STRBUF_INIT;

	if (r->culprit)
		strbuf_addf(&sb, "Culprit: %.12s %s. ", r->culprit, r->culprit_subject);
	else if (r->range[0])
		strbuf_addf(&sb, "The culprit lies between %.12s (good) and %.12s (bad); "
			    "skipped commits between them could not be measured. ",
			    r->range[0], r->range[1]);
	else
		strbuf_addf(&sb, "No culprit: %s. ", r->status);
	if (r->metric)
		strbuf_addf(&sb, "%s bad/good = %.3f [%.3f, %.3f] (95%% interval), p = %.2g. ",
			    r->metric, r->ratio, r->lo, r->hi, r->p);
	strbuf_addf(&sb, "Bisected from good %.12s to bad %.12s in %zu step%s%s%s.", r->good,
		    r->bad, r->nr_steps, r->nr_steps == 1 ? "" : "s", r->job ? ", job " : "",
		    r->job ? r->job : "");
	doc_para(d, "summary", sb.buf);
	strbuf_release(&sb);
}

static void bisect_log(struct doc *d, const struct bisect_result *r, const struct trace *t)
{
	struct table tb;

	table_init(&tb, 5);
	for (const char *const *h = (const char *const[]){ "round", "commit", "subject",
	     "verdict", "runs", NULL }; *h; h++)
		table_add(&tb, *h);
	for (size_t i = 0; i < r->nr_steps; i++) {
		const struct bisect_step *s = &r->steps[i];
		struct strbuf runs = STRBUF_INIT;

		for (size_t k = 0; k < s->nr_runs; k++)
			strbuf_addf(&runs, "%s%s", k ? "\n" : "", s->runs[k]);
		table_addf(&tb, "%ld", s->round);
		table_addf(&tb, "%.12s", s->commit);
		table_add(&tb, subject_of(t, s->commit));
		table_add(&tb, s->verdict);
		table_add_link(&tb, s->nr_runs ? runs.buf : "none", runs.buf);
		strbuf_release(&runs);
	}
	doc_table(d, &tb);
	table_release(&tb);
}

static int bisect_compare(struct doc *d, const char *dir, const struct bisect_result *r)
{
	struct run_set a, b;
	char *pa, *pb;
	int ret = -1;

	if (!r->compare_good || !r->compare_bad)
		return 0;
	pa = xasprintf("%s/%s", dir, r->compare_good);
	pb = xasprintf("%s/%s", dir, r->compare_bad);
	memset(&b, 0, sizeof(b));
	doc_heading(d, "Good against bad, measured");
	if (!run_set_load(&a, pa) && !run_set_load(&b, pb))
		ret = compare_section(d, &a, &b);
	if (ret)
		doc_para(d, "note", "the final comparison's runs could not be read");
	run_set_release(&a);
	run_set_release(&b);
	free(pa);
	free(pb);
	return 0;
}

int report_bisect(struct strbuf *out, const char *dir, const struct report_opts *o)
{
	char *rp = xasprintf("%s/result.json", dir), *tp = xasprintf("%s/trace.json", dir);
	struct bisect_result r;
	struct trace t;
	struct doc d;
	int ret = bisect_result_load(&r, rp);

	memset(&t, 0, sizeof(t));
	if (!ret)
		ret = trace_load(&t, tp);
	if (!ret) {
		char name[64], *title = xasprintf("perflab report: bisection %.12s..%.12s", r.good,
						  r.bad);
		struct plot_out po;
		struct strbuf cmds = STRBUF_INIT;

		doc_init(&d, out, o, dir);
		doc_begin(&d, title);
		bisect_summary(&d, &r);
		doc_heading(&d, "The trace");
		po = next_plot(&d, name, sizeof(name), "trace");
		free(title);
		title = xasprintf("%s along the bisection, %zu commits", t.label, t.n);
		doc_plot(&d, &po, !plot_trace(&po, &t, title), title);
		doc_heading(&d, "The log, step by step");
		bisect_log(&d, &r, &t);
		bisect_compare(&d, dir, &r);
		doc_heading(&d, "To reproduce");
		for (size_t i = 0; i < r.nr_commands; i++)
			strbuf_addf(&cmds, "%s\n", r.commands[i]);
		doc_pre(&d, cmds.len ? cmds.buf : "(no commands recorded)");
		doc_end(&d);
		doc_release(&d);
		strbuf_release(&cmds);
		free(title);
	}
	trace_release(&t);
	bisect_result_release(&r);
	free(rp);
	free(tp);
	return ret ? -1 : 0;
}

/* ---- nightly ---- */

static enum trace_verdict night_verdict(const char *v)
{
	return !strcmp(v, "GOOD") ? TRACE_GOOD : !strcmp(v, "BAD") ? TRACE_BAD
	       : !strcmp(v, "INCONCLUSIVE") ? TRACE_INCONCLUSIVE : TRACE_SKIP;
}

/* The metric of a night's runs of its tip (its series), in the metric's unit. */
static void night_values(struct history *h, const struct history_night *n,
			 const struct metric_def *m, struct trace_point *p)
{
	struct history_filter f = { 0 };
	struct history_run *runs = NULL;
	size_t nr = 0;

	f.series = n->series;
	f.commit = n->commit;	/* the night's tip, not the baseline it was measured against */
	f.status = "complete";
	if (!n->series || history_runs(h, &f, &runs, &nr) || !nr) {
		history_runs_free(runs, nr);
		return;
	}
	p->values = xcalloc(nr, sizeof(*p->values));
	for (size_t i = 0; i < nr; i++) {
		char *id = runs[i].run_id;

		if (history_metric_values(h, m->key, &id, 1, &p->values[i]))
			p->values[i] = NAN;
		p->values[i] *= m->scale;
	}
	p->nr_values = nr;
	history_runs_free(runs, nr);
}

static void nights_trace(struct trace *t, struct history *h, struct history_night *v,
			 size_t n, const struct metric_def *m)
{
	memset(t, 0, sizeof(*t));
	t->metric = xstrdup(m->name);
	t->unit = xstrdup(m->unit);
	t->label = xstrdup(m->label);
	t->v = xcalloc(n + 1, sizeof(*t->v));
	for (size_t i = 0; i < n; i++) {
		struct trace_point *p = &t->v[t->n++];

		p->order = (long)i;
		p->commit = xstrdup(v[i].commit);
		p->subject = xstrdup(v[i].date);
		p->verdict = night_verdict(v[i].verdict);
		night_values(h, &v[i], m, p);
	}
}

static void nights_table(struct doc *d, const struct history_night *v, size_t n)
{
	struct table t;

	table_init(&t, 4);
	for (const char *const *h = (const char *const[]){ "night", "commit", "verdict",
	     "range to bisect", NULL }; *h; h++)
		table_add(&t, *h);
	for (size_t i = 0; i < n; i++) {
		table_add(&t, v[i].date);
		table_addf(&t, "%.12s", v[i].commit);
		table_add(&t, v[i].verdict);
		if (v[i].range_good && v[i].range_bad)
			table_addf(&t, "%.12s..%.12s", v[i].range_good, v[i].range_bad);
		else
			table_add(&t, "-");
	}
	doc_table(d, &t);
	table_release(&t);
}

static void nightly_body(struct doc *d, struct history *h, const char *job,
			 struct history_night *v, size_t n, const struct metric_def *m)
{
	struct strbuf sb = STRBUF_INIT;
	struct trace t;
	char name[64], *title;
	struct plot_out po;
	size_t bad = 0;

	for (size_t i = 0; i < n; i++)
		bad += !strcmp(v[i].verdict, "BAD");
	strbuf_addf(&sb, "%zu night%s of job %s, %s to %s; the last was %s at %.12s; "
		    "%zu BAD.", n, n == 1 ? "" : "s", job, v[0].date, v[n - 1].date,
		    v[n - 1].verdict, v[n - 1].commit, bad);
	doc_para(d, "summary", sb.buf);
	doc_heading(d, "The nights");
	nights_table(d, v, n);
	doc_heading(d, "The gated metric over the nights");
	nights_trace(&t, h, v, n, m);
	title = xasprintf("%s over %zu nights of %s", m->label, n, job);
	po = next_plot(d, name, sizeof(name), "nights");
	doc_plot(d, &po, !plot_trace(&po, &t, title), title);
	trace_release(&t);
	free(title);
	strbuf_release(&sb);
}

int report_nightly(struct strbuf *out, const char *results, const char *job,
		   const struct report_opts *o)
{
	const struct metric_def *m = metric_find(o->metric ? o->metric : "cpu_per_gbit");
	struct history_night *v = NULL;
	struct history *h = NULL;
	struct doc d;
	size_t n = 0;
	int ret;

	if (!m)
		return error("unknown metric '%s'", o->metric);
	if ((ret = history_open(&h, results)) || (ret = history_nights(h, job, 0, &v, &n))) {
		history_close(h);
		return -1;
	}
	if (!n) {
		history_close(h);
		return error("'%s' holds no nights of job '%s'", results, job);
	}
	doc_init(&d, out, o, results);
	{
		char *t = xasprintf("perflab report: nightly %s", job);

		doc_begin(&d, t);
		free(t);
	}
	nightly_body(&d, h, job, v, n, m);
	doc_heading(&d, "To reproduce");
	{
		char *c = xasprintf("perflab history --job %s\nperflab report --nightly %s --job %s",
				    job, results, job);

		doc_pre(&d, c);
		free(c);
	}
	doc_end(&d);
	doc_release(&d);
	history_nights_free(v, n);
	history_close(h);
	return 0;
}

/* ---- an index across jobs ---- */

#define INDEX_NIGHTS 7		/* nights shown per job */

static void index_nights(struct doc *d, struct history *h, const char *job)
{
	struct history_night *v = NULL;
	struct table t;
	size_t n = 0;

	if (history_nights(h, job, INDEX_NIGHTS, &v, &n))
		return;
	table_init(&t, 4);
	table_add(&t, "night");
	table_add(&t, "commit");
	table_add(&t, "verdict");
	table_add(&t, "range to bisect");
	for (size_t i = n; i-- > 0; ) {		/* newest first */
		table_add(&t, v[i].date);
		table_addf(&t, "%.12s", v[i].commit);
		table_add(&t, v[i].verdict);
		if (v[i].range_good && v[i].range_bad && !strcmp(v[i].verdict, "BAD"))
			table_addf(&t, "%.12s..%.12s", v[i].range_good, v[i].range_bad);
		else
			table_add(&t, "");
	}
	doc_table(d, &t);
	table_release(&t);
	history_nights_free(v, n);
}

/* One bisection's row: its state, and its answer when it has one. */
static void index_bisection(struct table *t, const char *results, const char *id,
			    const char *current)
{
	char *dir = xasprintf("%s/bisect/%s", results, id);
	char *spath = xasprintf("%s/state.json", dir), *rpath = xasprintf("%s/result.json", dir);
	char *page = xasprintf("bisect/%s/report.html", id);
	char *page_path = xasprintf("%s/%s", results, page);
	json_t *st = json_load_file(spath, 0, NULL);
	struct bisect_result r;
	int done = path_exists(rpath) && !bisect_result_load(&r, rpath);

	table_add_link(t, id, path_exists(page_path) ? page : NULL);
	table_add(t, st && json_get_str(st, "job") ? json_get_str(st, "job") : "");
	table_add(t, st && json_is_true(json_object_get(st, "manual")) ? "manual" : "automatic");
	table_addf(t, "%.12s", st && json_get_str(st, "bad") ? json_get_str(st, "bad") : "?");
	if (done && r.culprit)
		table_addf(t, "%s: %.12s %s", r.status, r.culprit, r.culprit_subject);
	else if (done)
		table_add(t, r.status ? r.status : "finished");
	else
		table_add(t, current && !strcmp(current, id) ? "open (current)" : "open");
	if (done)
		bisect_result_release(&r);
	json_decref(st);
	free(page_path);
	free(page);
	free(rpath);
	free(spath);
	free(dir);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every bisection under RESULTS/bisect, open ones and answered ones. */
static void index_bisections(struct doc *d, const char *results)
{
	char *dir = xasprintf("%s/bisect", results), *current = bisect_current(results);
	char **names = NULL;
	size_t n = 0, alloc = 0;
	struct table t;
	DIR *dp = opendir(dir);
	struct dirent *e;

	while (dp && (e = readdir(dp))) {
		char *state = xasprintf("%s/%s/state.json", dir, e->d_name);

		if (e->d_name[0] != '.' && path_exists(state)) {
			ALLOC_GROW(names, n + 1, alloc);
			names[n++] = xstrdup(e->d_name);
		}
		free(state);
	}
	if (dp)
		closedir(dp);
	if (names)
		qsort(names, n, sizeof(*names), cmp_names);
	table_init(&t, 5);
	table_add(&t, "bisection");
	table_add(&t, "job");
	table_add(&t, "kind");
	table_add(&t, "bad commit");
	table_add(&t, "state");
	for (size_t i = n; i-- > 0; )
		index_bisection(&t, results, names[i], current);
	if (n)
		doc_table(d, &t);
	else
		doc_para(d, NULL, "No bisections.");
	table_release(&t);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(current);
	free(dir);
}

int report_index(struct strbuf *out, const char *results, const struct report_opts *o)
{
	struct history *h = NULL;
	char **jobs = NULL;
	size_t njobs = 0;
	struct doc d;
	char *title;

	struct stat sb;

	if (stat(results, &sb) || !S_ISDIR(sb.st_mode))
		return error("'%s' is not a results directory", results);
	if (history_open(&h, results) || history_night_jobs(h, &jobs, &njobs)) {
		history_close(h);
		return -1;
	}
	doc_init(&d, out, o, results);
	title = xasprintf("perflab: %s", results);
	doc_begin(&d, title);
	free(title);
	doc_heading(&d, "Nights");
	if (!njobs)
		doc_para(&d, NULL, "No nights recorded (perflab nightly records them).");
	for (size_t i = 0; i < njobs; i++) {
		char *t = xasprintf("job %s: the last %d nights", jobs[i], INDEX_NIGHTS);

		doc_para(&d, NULL, t);
		free(t);
		index_nights(&d, h, jobs[i]);
	}
	doc_heading(&d, "Bisections");
	index_bisections(&d, results);
	doc_heading(&d, "To reproduce");
	{
		char *c = xasprintf("perflab report --index %s\nperflab history --nights --results %s",
				    results, results);

		doc_pre(&d, c);
		free(c);
	}
	doc_end(&d);
	doc_release(&d);
	argv_free(jobs);
	history_close(h);
	return 0;
}
