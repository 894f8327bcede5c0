#ifndef REPORTS_PLOT_H
#define REPORTS_PLOT_H

#include <stddef.h>

struct json_t;
struct metric_def;
struct run_set;
struct strbuf;
struct trace;
struct tconn_run;
struct tconn_host;
struct tcprec_conn;

/*
 * Plots drawn by gnuplot. Every plot writes, into one directory:
 *   NAME.gp        the gnuplot script (re-plot by hand: `gnuplot NAME.gp`
 *                  in that directory; it draws every format asked for)
 *   NAME-*.dat     its data, plain columns, NaN where a value is unknown
 *   NAME.png       when asked (pngcairo where gnuplot has it, else png)
 *   NAME.svg       when asked
 * gnuplot is started from an argv array and fed the script through a
 * pipe; text from runs (labels, commit subjects) goes into the script
 * as single-quoted gnuplot strings only, where no substitution of any
 * kind happens, and is never part of a shell line. A value that was not
 * measured is left out of a plot, with a note saying so, never drawn
 * as 0.
 */
enum plot_format {
	PLOT_PNG = 1,
	PLOT_SVG = 2
};

struct plot_out {
	const char *dir;	/* where the files go; created if missing */
	const char *name;	/* their base name: "timeseries" */
	int formats;		/* PLOT_PNG | PLOT_SVG */
};

/*
 * Goodput, CPU % and effective MHz per interval of two or more runs
 * (run directories) overlaid, seconds since each run's start on x, the
 * warmup shaded. A metric no run measured gets a note, not a panel.
 */
int plot_timeseries(const struct plot_out *o, char *const *runs, size_t n);

/* A metric across sets (kernels, commits): a box per set, every run a dot. */
int plot_box(const struct plot_out *o, const struct metric_def *m,
	     const struct run_set *sets, size_t n);

/*
 * Stall breakdown per set: cycles stalled and not stalled (stall_frac
 * of summary.json) as stacked bars of medians, IPC beside them on a
 * second axis. Sets without counter data are labelled "no PMU data"
 * (with the reason the run recorded) rather than drawn as zeros.
 */
int plot_stalls(const struct plot_out *o, const struct run_set *sets, size_t n);

/*
 * The metric against commit order: every run a dot, the median of each
 * commit joined by a line, the verdict in the dot's colour and shape,
 * skipped commits marked on the axis, the culprit labelled with its
 * short id and subject.
 */
int plot_trace(const struct plot_out *o, const struct trace *t, const char *title);

/*
 * One TCP connection of a run's trace (reports/tconn.h) over time: cwnd
 * and in flight (segments) with its retransmissions marked, the peer's
 * window and ours, the smoothed RTT and the segments retransmitted.
 */
int plot_tconn(const struct plot_out *o, const struct tconn_run *r,
	       const struct tconn_host *h, const struct tcprec_conn *c);

/*
 * Draw body (gnuplot commands after the terminal is set) as a w x h
 * picture in every format of o: writes NAME.gp, pipes it to gnuplot in
 * o->dir, checks the images exist. gnuplot's complaints end up in the
 * error message.
 */
int plot_render(const struct plot_out *o, const char *body, int w, int h);

/*
 * Helpers shared with the reports. A run's name for humans: its label,
 * its short commit id and subject (from run.json), as far as known;
 * the caller frees it.
 */
char *plot_run_title(const char *run_dir);
/* s as a single-quoted gnuplot string, control characters dropped. */
void plot_quote(struct strbuf *out, const char *s);

#endif
