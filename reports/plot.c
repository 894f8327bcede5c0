/*
 * Plots through gnuplot: data files and a script written beside the
 * images, the script fed to gnuplot through a pipe.
 */
#include "reports/plot.h"
#include "verdict/compare.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/spawn.h"
#include "common/stats.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GNUPLOT_TIMEOUT 120.0	/* seconds for one script */
#define TITLE_MAX 60		/* characters of a subject in a title */
#define TIC_MAX 28		/* ... in a tic label */

/* One colour per series, told apart also in grey (blue, red, green ...). */
static const char *const colours[] = {
	"#1f5fa8", "#c8322d", "#2e8b3a", "#7a4ea3", "#e08a00", "#5a5a5a", "#0fa3b1", "#a0522d"
};
#define COLOUR(i) colours[(i) % ARRAY_SIZE(colours)]

void plot_quote(struct strbuf *out, const char *s)
{
	strbuf_addch(out, '\'');
	for (; s && *s; s++) {
		if (*s == '\'')
			strbuf_addstr(out, "''");
		else if ((unsigned char)*s >= 0x20 && *s != 0x7f)
			strbuf_addch(out, *s);
		else if (*s == '\t' || *s == '\n')
			strbuf_addch(out, ' ');
	}
	strbuf_addch(out, '\'');
}

/* At most max characters of s (UTF-8 kept whole), with "..." when cut. */
static char *shorten(const char *s, size_t max)
{
	size_t n = 0, chars = 0;

	while (s[n] && chars < max) {
		n++;
		while (((unsigned char)s[n] & 0xc0) == 0x80)
			n++;
		chars++;
	}
	return s[n] ? xasprintf("%.*s...", (int)n, s) : xstrdup(s);
}

static json_t *load_run_json(const char *run_dir)
{
	char *path = xasprintf("%s/run.json", run_dir);
	json_t *j = json_load_file(path, 0, NULL);

	free(path);
	return j;
}

static const char *base_name(const char *path)
{
	const char *end = path + strlen(path), *p;

	while (end > path + 1 && end[-1] == '/')
		end--;
	for (p = end; p > path && p[-1] != '/'; p--)
		;
	return p;
}

char *plot_run_title(const char *run_dir)
{
	json_t *m = load_run_json(run_dir);
	const char *label = json_get_str(m, "label"), *commit = json_get_str(m, "commit");
	const char *subject = json_get_str(m, "build.subject");
	struct strbuf sb = STRBUF_INIT;

	if (label)
		strbuf_addstr(&sb, label);
	if (commit && (!label || strncmp(label, commit, 7)))
		strbuf_addf(&sb, "%s%.7s", sb.len ? " " : "", commit);
	if (commit && subject && *subject) {
		char *s = shorten(subject, TITLE_MAX);

		strbuf_addf(&sb, " %s", s);
		free(s);
	}
	if (!sb.len) {
		const char *b = base_name(run_dir);

		strbuf_add(&sb, b, strcspn(b, "/"));
	}
	json_decref(m);
	return strbuf_detach(&sb, NULL);
}

/* A set's name: its first run's title when it has a label or commit. */
static char *set_title(const struct run_set *s)
{
	json_t *m = s->n ? load_run_json(s->dirs[0]) : NULL;
	int named = json_get_str(m, "label") || json_get_str(m, "commit");
	char *t;

	json_decref(m);
	if (named)
		return plot_run_title(s->dirs[0]);
	t = xstrdup(base_name(s->path));
	t[strcspn(t, "/")] = '\0';
	return t;
}

static char *out_path(const struct plot_out *o, const char *suffix)
{
	return xasprintf("%s/%s%s", o->dir, o->name, suffix);
}

static int write_data(const struct plot_out *o, const char *suffix, const struct strbuf *sb)
{
	char *path = out_path(o, suffix);
	int ret = write_file_atomic(path, sb->buf, sb->len, 0);

	free(path);
	return ret;
}

/* The terminal lines of one format: sized, sans font, plain text. */
static void add_terminal(struct strbuf *s, const struct plot_out *o, int fmt, int w, int h)
{
	if (fmt == PLOT_PNG) {
		strbuf_addf(s, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
			    "\tset terminal pngcairo size %d,%d noenhanced font 'sans,10' "
			    "background '#ffffff'\n} else {\n"
			    "\tset terminal png size %d,%d noenhanced font 'sans,10' "
			    "background '#ffffff'\n}\n", w, h, w, h);
		strbuf_addf(s, "set output '%s.png'\n", o->name);
	} else {
		strbuf_addf(s, "set terminal svg size %d,%d noenhanced font 'sans,11' "
			    "background '#ffffff'\n", w, h);
		strbuf_addf(s, "set output '%s.svg'\n", o->name);
	}
}

/* The whole script: a header, then the body once per format. */
static void make_script(struct strbuf *s, const struct plot_out *o, const char *body,
			int w, int h)
{
	strbuf_addf(s, "# perflab plot %s: re-plot with `gnuplot %s.gp` in this directory.\n"
		    "# The data are the %s-*.dat files beside it (NaN: not measured).\n",
		    o->name, o->name, o->name);
	for (int fmt = PLOT_PNG; fmt <= PLOT_SVG; fmt <<= 1) {
		if (!(o->formats & fmt))
			continue;
		strbuf_addstr(s, "\nreset\n");
		add_terminal(s, o, fmt, w, h);
		strbuf_addstr(s, "set encoding utf8\nset datafile missing 'NaN'\n"
			      "set border lw 1 lc '#444444'\nset grid lc '#dddddd' lt 1\n");
		strbuf_addstr(s, body);
		strbuf_addstr(s, "unset multiplot\nunset output\n");
	}
}

/* gnuplot's complaints, for the error message. */
static char *read_log(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[2048];
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return xstrdup(buf);
}

static int feed(int fd, const struct strbuf *s)
{
	size_t off = 0;

	while (off < s->len) {
		ssize_t k = write(fd, s->buf + off, s->len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		off += (size_t)k;
	}
	return 0;
}

/* Start gnuplot in o->dir and pipe the script to it. */
static int run_gnuplot(const struct plot_out *o, const struct strbuf *script)
{
	char *argv[] = { "gnuplot", NULL };
	char *log = out_path(o, ".log"), *log_name = xasprintf("%s.log", o->name);
	struct spawn_opts so = SPAWN_OPTS_INIT;
	struct child c;
	int pfd[2], ret, fed;

	if (pipe2(pfd, O_CLOEXEC)) {
		free(log);
		free(log_name);
		return error_errno("cannot create a pipe for gnuplot");
	}
	so.cwd = o->dir;
	so.stdin_fd = pfd[0];
	so.stdout_path = "/dev/null";
	so.stderr_path = log_name;	/* opened in o->dir */
	so.new_pgrp = 1;
	so.die_with_parent = 1;
	ret = spawn_argv(&c, argv, &so);
	close(pfd[0]);
	if (ret) {
		close(pfd[1]);
		free(log);
		free(log_name);
		return error("cannot run gnuplot (Debian: apt-get install gnuplot-nox)");
	}
	fed = feed(pfd[1], script);
	close(pfd[1]);
	if (child_wait(&c, GNUPLOT_TIMEOUT)) {
		child_stop(&c, 1);
		ret = error("gnuplot took more than %.0f s on '%s/%s.gp'", GNUPLOT_TIMEOUT,
			    o->dir, o->name);
	} else if (child_exit_code(&c) || fed) {
		char *msg = read_log(log);

		ret = error("gnuplot failed on '%s/%s.gp' (exit %d): %s", o->dir, o->name,
			    child_exit_code(&c), msg);
		free(msg);
	}
	if (!ret)
		unlink(log);
	free(log);
	free(log_name);
	return ret;
}

static int prepare(const struct plot_out *o)
{
	if (!o->formats)
		return error("no output format asked for");
	return mkdir_p(o->dir);
}

int plot_render(const struct plot_out *o, const char *body, int w, int h)
{
	struct strbuf script = STRBUF_INIT;
	int ret = prepare(o);

	make_script(&script, o, body, w, h);
	if (!ret)
		ret = write_data(o, ".gp", &script);
	if (!ret)
		ret = run_gnuplot(o, &script);
	for (int fmt = PLOT_PNG; !ret && fmt <= PLOT_SVG; fmt <<= 1) {
		char *img = out_path(o, fmt == PLOT_PNG ? ".png" : ".svg");

		if ((o->formats & fmt) && !path_exists(img))
			ret = error("gnuplot wrote no '%s'", img);
		free(img);
	}
	strbuf_release(&script);
	return ret;
}

static void add_num(struct strbuf *sb, double v)
{
	if (isnan(v) || isinf(v))
		strbuf_addstr(sb, " NaN");
	else
		strbuf_addf(sb, " %.6g", v);
}

/* ---- time series ---- */

/* What one run holds per interval, in seconds since its start. */
struct series {
	double *t, *v;
	size_t n, alloc;
};

struct ts_run {
	char *title;
	char *dut;		/* directory of the DUT's collector files */
	char **clients;		/* directories of the client records */
	size_t nclients;
	double t0;		/* the run's start, in the DUT's clock */
	double warmup;		/* seconds */
	struct series goodput, cpu, mhz;
	char *mhz_why;		/* why the frequency was not measured */
};

static void series_add(struct series *s, double t, double v)
{
	ALLOC_GROW(s->t, s->n + 1, s->alloc);
	s->v = xrealloc(s->v, s->alloc * sizeof(*s->v));
	s->t[s->n] = t;
	s->v[s->n++] = v;
}

static int series_has_data(const struct series *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (!isnan(s->v[i]))
			return 1;
	return 0;
}

static void ts_release(struct ts_run *r)
{
	free(r->title);
	free(r->dut);
	for (size_t i = 0; i < r->nclients; i++)
		free(r->clients[i]);
	free(r->clients);
	free(r->goodput.t);
	free(r->goodput.v);
	free(r->cpu.t);
	free(r->cpu.v);
	free(r->mhz.t);
	free(r->mhz.v);
	free(r->mhz_why);
}

/* The hosts of a run: which directory serves (DUT) and which drive. */
static int ts_layout(struct ts_run *r, const char *dir, const json_t *meta)
{
	const json_t *hosts = json_object_get(meta, "hosts"), *h;
	double start = json_get_num(meta, "start_mono_s");
	size_t i;

	r->clients = xcalloc(json_array_size(hosts) + 1, sizeof(*r->clients));
	json_array_foreach(hosts, i, h) {
		const char *sub = json_get_str(h, "dir");
		double off = json_get_num(h, "clock_offset_s");

		if (!sub || strstr(sub, ".."))
			return error("'%s/run.json': hosts[%zu] has no usable directory", dir, i);
		if (json_is_true(json_object_get(h, "serves")) && !r->dut) {
			r->dut = xasprintf("%s/%s", dir, sub);
			r->t0 = start + (isnan(off) ? 0 : off);
		}
		if (json_is_true(json_object_get(h, "drives")))
			r->clients[r->nclients++] = xasprintf("%s/%s", dir, sub);
	}
	if (!r->dut) {
		r->dut = xstrdup(dir);
		r->t0 = start;
	}
	if (!r->nclients)
		r->clients[r->nclients++] = xstrdup(dir);
	if (isnan(r->t0))
		return error("'%s/run.json': no start_mono_s", dir);
	return 0;
}

struct ts_read {
	struct ts_run *r;
	size_t k;		/* interval index within this client's file */
	int first;		/* first client: adds points; others add to them */
};

static int ts_client_line(const json_t *o, unsigned long lineno, void *data)
{
	struct ts_read *rd = data;
	struct series *g = &rd->r->goodput;
	const char *type = json_get_str(o, "type");
	double t = json_get_num(o, "t_s"), v = json_get_num(o, "goodput_bps") / 1e9;

	if (!type || strcmp(type, "interval") || isnan(t))
		return 0;
	if (rd->first)
		series_add(g, t, v);
	else if (rd->k < g->n)
		g->v[rd->k] = isnan(g->v[rd->k]) ? v : g->v[rd->k] + (isnan(v) ? 0 : v);
	rd->k++;
	return 0;
}

static int ts_host_line(const json_t *o, unsigned long lineno, void *data)
{
	struct ts_read *rd = data;
	const char *type = json_get_str(o, "type");
	double t = json_get_num(o, "t_mono_s") - rd->r->t0;

	if (type && !strcmp(type, "info") && !rd->r->mhz_why) {
		const char *why = json_get_str(o, "unavailable");

		if (why)
			rd->r->mhz_why = xstrdup(why);
	}
	if (!type || strcmp(type, "sample") || isnan(t))
		return 0;
	if (json_object_get(o, "mhz"))
		series_add(&rd->r->mhz, t, json_get_num(o, "mhz"));
	else
		series_add(&rd->r->cpu, t, json_get_num(o, "util_pct"));
	return 0;
}

static int ts_read_files(struct ts_run *r)
{
	struct ts_read rd = { r, 0, 1 };
	int ret = 0;

	for (size_t i = 0; !ret && i < r->nclients; i++) {
		char *p = xasprintf("%s/client.ndjson", r->clients[i]);

		rd.k = 0;
		rd.first = i == 0;
		ret = ndjson_for_each(p, ts_client_line, &rd);
		free(p);
	}
	for (int k = 0; !ret && k < 2; k++) {
		char *p = xasprintf("%s/%s", r->dut, k ? "freq.ndjson" : "cpu.ndjson");

		if (!access(p, F_OK))
			ret = ndjson_for_each(p, ts_host_line, &rd);
		free(p);
	}
	return ret;
}

static int ts_load(struct ts_run *r, const char *dir)
{
	char *path = xasprintf("%s/run.json", dir);
	json_t *meta = json_load_path(path);
	const char *w;
	int ret;

	memset(r, 0, sizeof(*r));
	free(path);
	if (!meta)
		return -1;
	r->title = plot_run_title(dir);
	w = json_get_str(meta, "params.warmup");
	if (!w || parse_duration(w, &r->warmup))
		r->warmup = 0;
	ret = ts_layout(r, dir, meta);
	json_decref(meta);
	return ret ? ret : ts_read_files(r);
}

static int ts_write(const struct plot_out *o, const struct ts_run *r, size_t i)
{
	const struct series *s[] = { &r->goodput, &r->cpu, &r->mhz };
	const char *what[] = { "goodput", "cpu", "mhz" };
	int ret = 0;

	for (size_t k = 0; !ret && k < ARRAY_SIZE(s); k++) {
		struct strbuf sb = STRBUF_INIT;
		char suffix[64];

		strbuf_addf(&sb, "# seconds since the start, %s\n",
			    k == 0 ? "goodput Gbit/s" : k == 1 ? "CPU busy %" : "effective MHz");
		for (size_t j = 0; j < s[k]->n; j++) {
			strbuf_addf(&sb, "%.3f", s[k]->t[j]);
			add_num(&sb, s[k]->v[j]);
			strbuf_addch(&sb, '\n');
		}
		snprintf(suffix, sizeof(suffix), "-%zu-%s.dat", i + 1, what[k]);
		ret = write_data(o, suffix, &sb);
		strbuf_release(&sb);
	}
	return ret;
}

/* One panel: every run's series k that has data. */
static void ts_panel(struct strbuf *b, const struct plot_out *o, const struct ts_run *r,
		     size_t n, const char *what, const char *ylabel, int last, int key)
{
	int first = 1;

	strbuf_addstr(b, "set ylabel ");
	plot_quote(b, ylabel);
	strbuf_addf(b, "\nset format x %s\nset xlabel %s\n", last ? "'%g'" : "''",
		    last ? "'seconds since the start of the run'" : "''");
	strbuf_addf(b, "%s\nplot ", key ? "set key horizontal center at screen 0.53, "
		    "screen 0.915 samplen 3 spacing 1.2 font 'sans,11'" : "unset key");
	for (size_t i = 0; i < n; i++) {
		const struct series *s = !strcmp(what, "goodput") ? &r[i].goodput
					 : !strcmp(what, "cpu") ? &r[i].cpu : &r[i].mhz;

		if (!series_has_data(s))
			continue;
		strbuf_addf(b, "%s'%s-%zu-%s.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.6 "
			    "lc rgb '%s' title ", first ? "" : ", \\\n\t", o->name, i + 1, what,
			    COLOUR(i));
		plot_quote(b, r[i].title);
		first = 0;
	}
	strbuf_addch(b, '\n');
}

/* Notes for what some or all runs did not measure. */
static void ts_notes(struct strbuf *note, const struct ts_run *r, size_t n, int *have_mhz)
{
	size_t missing = 0;

	for (size_t i = 0; i < n; i++)
		missing += !series_has_data(&r[i].mhz);
	*have_mhz = missing < n;
	if (missing == n) {
		strbuf_addstr(note, "effective MHz: not measured");
		if (r[0].mhz_why) {
			char *why = shorten(r[0].mhz_why, 110);

			strbuf_addf(note, " (%s)", why);
			free(why);
		}
	} else if (missing) {
		strbuf_addstr(note, "effective MHz not measured in:");
		for (size_t i = 0; i < n; i++)
			if (!series_has_data(&r[i].mhz))
				strbuf_addf(note, " %s;", r[i].title);
		strbuf_setlen(note, note->len - 1);
	}
	for (size_t i = 0; i < n; i++) {
		if (!series_has_data(&r[i].goodput))
			strbuf_addf(note, "%sno goodput records in %s", note->len ? "; " : "",
				    r[i].title);
		if (!series_has_data(&r[i].cpu))
			strbuf_addf(note, "%sno CPU samples in %s", note->len ? "; " : "",
				    r[i].title);
	}
}

static void ts_body(struct strbuf *b, const struct plot_out *o, const struct ts_run *r,
		    size_t n)
{
	struct strbuf note = STRBUF_INIT, title = STRBUF_INIT;
	double warm = 0, tmax = 0;
	int have_mhz, panels, warm_differ = 0;

	ts_notes(&note, r, n, &have_mhz);
	panels = have_mhz ? 3 : 2;
	for (size_t i = 0; i < n; i++) {
		warm_differ |= i && r[i].warmup != r[0].warmup;
		warm = r[i].warmup > warm ? r[i].warmup : warm;
		for (size_t j = 0; j < r[i].goodput.n; j++)
			tmax = r[i].goodput.t[j] > tmax ? r[i].goodput.t[j] : tmax;
	}
	for (size_t i = 0; i < n && i < 3; i++)
		strbuf_addf(&title, "%s%s", i ? " vs " : "", r[i].title);
	if (n > 3)
		strbuf_addf(&title, " and %zu more", n - 3);
	strbuf_addf(b, "set multiplot layout %d,1 margins 0.09,0.97,%.2f,0.86 spacing 0,0.035 "
		    "title ", panels, note.len ? 0.11 : 0.08);
	plot_quote(b, title.buf);
	strbuf_addstr(b, " font 'sans,13'\n");
	strbuf_addf(b, "set xrange [0:%g]\nset yrange [0:*]\nset mxtics\n", tmax > 0 ? tmax : 1);
	if (warm > 0)
		strbuf_addf(b, "set object 1 rect from 0, graph 0 to %g, graph 1 behind "
			    "fc rgb '#ececec' fs solid noborder\n"
			    "set label 1 'warmup%s' at %g, graph 0.06 center tc rgb '#777777' front\n",
			    warm, warm_differ ? " (the longest)" : "", warm / 2);
	if (note.len) {
		strbuf_addstr(b, "set label 2 ");
		plot_quote(b, note.buf);
		strbuf_addstr(b, " at screen 0.09, screen 0.025 left tc rgb '#aa3300'\n");
	}
	ts_panel(b, o, r, n, "goodput", "goodput (Gbit/s)", 0, 1);
	strbuf_addstr(b, "unset label 2\n");
	ts_panel(b, o, r, n, "cpu", "CPU busy (% of all CPUs)", !have_mhz, 0);
	if (have_mhz)
		ts_panel(b, o, r, n, "mhz", "effective frequency (MHz)", 1, 0);
	strbuf_release(&note);
	strbuf_release(&title);
}

int plot_timeseries(const struct plot_out *o, char *const *runs, size_t n)
{
	struct ts_run *r = xcalloc(n ? n : 1, sizeof(*r));
	struct strbuf body = STRBUF_INIT;
	int ret = prepare(o);

	for (size_t i = 0; !ret && i < n; i++)
		if ((ret = ts_load(&r[i], runs[i])) == 0)
			ret = ts_write(o, &r[i], i);
	if (!ret) {
		ts_body(&body, o, r, n);
		ret = plot_render(o, body.buf, 1000, 300 + 220 * (series_has_data(&r[0].mhz) ? 3 : 2));
	}
	for (size_t i = 0; i < n; i++)
		ts_release(&r[i]);
	free(r);
	strbuf_release(&body);
	return ret;
}

/* ---- box plot ---- */

/* xtics naming the sets, tilted when there are many. */
static void set_tics(struct strbuf *b, char *const *names, size_t n, double first)
{
	strbuf_addf(b, "set xtics (%s", "");
	for (size_t i = 0; i < n; i++) {
		char *s = shorten(names[i], TIC_MAX);

		strbuf_addstr(b, i ? ", " : "");
		plot_quote(b, s);
		strbuf_addf(b, " %g", first + (double)i);
		free(s);
	}
	strbuf_addf(b, ") nomirror%s\n", n > 4 ? " rotate by -30 left" : "");
}

static char **set_titles(const struct run_set *sets, size_t n)
{
	char **t = xcalloc(n + 1, sizeof(*t));

	for (size_t i = 0; i < n; i++)
		t[i] = set_title(&sets[i]);
	return t;
}

static void free_titles(char **t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i]);
	free(t);
}

/*
 * One data file per set: a jittered x and the value of every run, then
 * after a blank line the box (x, p25, min, max, p75, median), computed
 * here rather than by gnuplot, whose boxplot draws nothing below four
 * values. Returns the number of runs with a value.
 */
static size_t box_write(const struct plot_out *o, const struct metric_def *m,
			const struct run_set *s, size_t i, int *err)
{
	double *v = run_set_values(s, m->key);
	struct strbuf sb = STRBUF_INIT;
	struct stats_summary sum;
	size_t k = 0;
	char suffix[32];

	for (size_t j = 0; j < s->n; j++)
		v[j] *= m->scale;
	stats_summarize(&sum, v, s->n);
	strbuf_addf(&sb, "# %s: x (jittered), %s (%s), one line per run\n", s->path, m->label,
		    m->unit);
	for (size_t j = 0; j < s->n; j++) {
		double x = (double)(i + 1);

		if (isnan(v[j]))
			continue;
		if (sum.n > 1)
			x += 0.36 * ((double)k++ / (double)(sum.n - 1) - 0.5);
		strbuf_addf(&sb, "%.4f", x);
		add_num(&sb, v[j]);
		strbuf_addch(&sb, '\n');
	}
	strbuf_addstr(&sb, "\n\n# x, p25, min, max, p75, median\n");
	strbuf_addf(&sb, "%zu", i + 1);
	add_num(&sb, sum.p25);
	add_num(&sb, sum.min);
	add_num(&sb, sum.max);
	add_num(&sb, sum.p75);
	add_num(&sb, sum.median);
	strbuf_addch(&sb, '\n');
	snprintf(suffix, sizeof(suffix), "-%zu.dat", i + 1);
	*err = write_data(o, suffix, &sb);
	strbuf_release(&sb);
	free(v);
	return sum.n;
}

static void ylabel_of(struct strbuf *b, const char *label, const char *unit)
{
	struct strbuf t = STRBUF_INIT;

	strbuf_addstr(&t, label);
	if (unit && *unit)
		strbuf_addf(&t, " (%s)", unit);
	strbuf_addstr(b, "set ylabel ");
	plot_quote(b, t.buf);
	strbuf_addch(b, '\n');
	strbuf_release(&t);
}

static void box_series(struct strbuf *b, const struct plot_out *o, size_t i, int first)
{
	const char *c = COLOUR(i);

	strbuf_addf(b, "%s'%s-%zu.dat' index 1 using 1:2:3:4:5 with candlesticks whiskerbars "
		    "0.5 lw 1.5 lc rgb '%s' fs solid 0.2, \\\n\t", first ? "" : ", \\\n\t",
		    o->name, i + 1, c);
	strbuf_addf(b, "'%s-%zu.dat' index 1 using 1:6:6:6:6 with candlesticks lw 3 "
		    "lc rgb '%s', \\\n\t", o->name, i + 1, c);
	strbuf_addf(b, "'%s-%zu.dat' index 0 using 1:2 with points pt 7 ps 1 lc rgb '%s'",
		    o->name, i + 1, c);
}

int plot_box(const struct plot_out *o, const struct metric_def *m,
	     const struct run_set *sets, size_t n)
{
	struct strbuf b = STRBUF_INIT, t = STRBUF_INIT, series = STRBUF_INIT;
	char **names = set_titles(sets, n);
	int ret = prepare(o), any = 0;

	strbuf_addf(&t, "%s across %zu %s: boxes from the 25th to the 75th percentile, "
		    "the median a bar, every run a dot", m->label, n, n == 1 ? "set" : "sets");
	strbuf_addstr(&b, "set title ");
	plot_quote(&b, t.buf);
	strbuf_addf(&b, " font 'sans,12'\nset xrange [0.4:%zu.6]\nset yrange [0:*]\n"
		    "set boxwidth 0.5\nunset key\nset bmargin %d\n", n, n > 4 ? 9 : 4);
	ylabel_of(&b, m->label, m->unit);
	set_tics(&b, names, n, 1);
	for (size_t i = 0; !ret && i < n; i++) {
		if (box_write(o, m, &sets[i], i, &ret)) {
			box_series(&series, o, i, !any);
			any = 1;
		} else {
			strbuf_addf(&b, "set label 'not measured' at %zu, graph 0.5 center "
				    "tc rgb '#aa3300'\n", i + 1);
		}
	}
	strbuf_addf(&b, "plot %s\n", any ? series.buf : "NaN");
	if (!ret)
		ret = plot_render(o, b.buf, 1000, 600);
	free_titles(names, n);
	strbuf_release(&b);
	strbuf_release(&t);
	strbuf_release(&series);
	return ret;
}

/* ---- stalls ---- */

/* Medians of a set's runs; NaN when no run measured the key. */
static double set_median(const struct run_set *s, const char *key)
{
	double *v = run_set_values(s, key);
	struct stats_summary sum;

	stats_summarize(&sum, v, s->n);
	free(v);
	return sum.n ? sum.median : NAN;
}

static const char *pmc_why(const struct run_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const char *w = json_get_str(s->sums[i], "pmc_unavailable");

		if (w)
			return w;
	}
	return NULL;
}

int plot_stalls(const struct plot_out *o, const struct run_set *sets, size_t n)
{
	struct strbuf b = STRBUF_INIT, d = STRBUF_INIT;
	char **names = set_titles(sets, n);
	const char *why = NULL;
	double ipc_max = 0;
	int ret = prepare(o), any = 0;

	strbuf_addstr(&d, "# set, stalled % of cycles, other % of cycles, IPC (medians)\n");
	strbuf_addstr(&b, "set title 'Where the cycles go: stalled cycles and IPC per set "
		      "(medians of the runs)' font 'sans,13'\n");
	strbuf_addf(&b, "set xrange [0.4:%zu.6]\nset yrange [0:100]\n"
		    "set ytics nomirror\nset y2tics\nset ylabel 'cycles (%%)'\n"
		    "set y2label 'instructions per cycle (IPC)'\nset boxwidth 0.55\n"
		    "set style fill solid 0.85 border lc '#333333'\n"
		    "set key outside right top vertical spacing 1.5\n"
		    "set bmargin %d\n", n, n > 4 ? 9 : 5);
	set_tics(&b, names, n, 1);
	for (size_t i = 0; i < n; i++) {
		double st = set_median(&sets[i], "stall_frac") * 100;
		double ipc = set_median(&sets[i], "ipc");

		if (isnan(st) && isnan(ipc)) {
			why = why ? why : pmc_why(&sets[i]);
			strbuf_addf(&b, "set label 'no PMU data' at %zu, 50 center "
				    "tc rgb '#aa3300'\n", i + 1);
			continue;
		}
		ipc_max = ipc > ipc_max ? ipc : ipc_max;
		strbuf_addf(&d, "%zu", i + 1);
		add_num(&d, st);
		add_num(&d, isnan(st) ? NAN : 100 - st);
		add_num(&d, ipc);
		strbuf_addch(&d, '\n');
		any = 1;
	}
	if (why) {
		char *w = shorten(why, 120);

		char *l = xasprintf("no PMU data: %s", w);

		strbuf_addstr(&b, "set label ");
		plot_quote(&b, l);
		strbuf_addstr(&b, " at screen 0.5, screen 0.025 center tc rgb '#aa3300'\n");
		free(l);
		free(w);
	}
	ret = ret ? ret : write_data(o, ".dat", &d);
	strbuf_addf(&b, "set y2range [0:%g]\n", ipc_max > 0 ? ipc_max * 1.25 : 1);
	if (any)
		strbuf_addf(&b, "plot '%s.dat' using 1:(100) with boxes lc rgb '#9cc3e6' "
			    "title 'not stalled', \\\n\t'' using 1:2 with boxes lc rgb '#c8322d' "
			    "title 'stalled', \\\n\t'' using 1:4 axes x1y2 with points pt 9 ps 2.2 "
			    "lc rgb '#222222' title 'IPC'\n", o->name);
	else
		strbuf_addstr(&b, "unset y2tics\nunset y2label\nplot NaN notitle\n");
	if (!ret)
		ret = plot_render(o, b.buf, 1000, 600);
	free_titles(names, n);
	strbuf_release(&b);
	strbuf_release(&d);
	return ret;
}
