#ifndef REPORTS_REPORT_H
#define REPORTS_REPORT_H

#include <stddef.h>

struct json_t;
struct strbuf;

/*
 * Reports: one self-contained HTML page (plots inline as SVG, styles
 * inline, no scripts, nothing fetched from a network) or the same
 * content as text for a terminal, for a run, a comparison of two sets
 * of runs, a bisection, or a job's nights. Every piece of data is
 * escaped into the page (commit subjects may hold <, & and quotes).
 */

enum report_format {
	REPORT_HTML,
	REPORT_TEXT
};

struct report_opts {
	enum report_format format;
	const char *html_path;	/* where the page goes: links are made relative to it */
	const char *plots_dir;	/* where the plots' files go */
	const char *metric;	/* nightly: the metric plotted over nights */
};

/*
 * Build a report into out. A plot gnuplot cannot draw becomes a note
 * in the report, not a failure; unreadable inputs are errors (-1).
 */
int report_run(struct strbuf *out, const char *run_dir, const struct report_opts *o);
int report_compare(struct strbuf *out, const char *a, const char *b,
		   const struct report_opts *o);
int report_bisect(struct strbuf *out, const char *bisect_dir, const struct report_opts *o);
int report_nightly(struct strbuf *out, const char *results, const char *job,
		   const struct report_opts *o);

/*
 * The index of a results directory: every job's last nights (verdict,
 * range to bisect) and every bisection, open or answered, linking each
 * bisection's report.html where it has one.
 */
int report_index(struct strbuf *out, const char *results, const struct report_opts *o);

/* s escaped for HTML text and attribute values. */
void html_escape(struct strbuf *out, const char *s);

#endif
