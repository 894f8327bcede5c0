/*
 * perflab history: list the runs of a results directory from its index
 * (RESULTS/.history.sqlite), rebuild the index, or print one metric as
 * "time value" lines for scripts. The engine is harness/history.c; this
 * file parses arguments and prints.
 */
#include "harness/builtin.h"
#include "store/history.h"
#include "store/metric.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/parse.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct history_cli {
	char *results;
	char *job, *label, *commit, *series, *kind, *status;
	struct opt_list metrics;	/* --metric, repeatable */
	long last;
	int json, plain, rebuild, add, list_metrics, nights;
};

#define H(name, type, field, def, argh, help) \
	{ name, 0, type, offsetof(struct history_cli, field), 0, 0, NULL, def, argh, help }

static const struct opt history_table[] = {
	H("results", OPT_STRING, results, NULL, "DIR", "the results directory (default: results)"),
	H("job", OPT_STRING, job, NULL, "FILE", "runs of this job (its file, or its name)"),
	H("label", OPT_STRING, label, NULL, "TEXT", "runs with this label"),
	H("commit", OPT_STRING, commit, NULL, "ID", "runs of this commit (a prefix of its id)"),
	H("series", OPT_STRING, series, NULL, "NAME", "runs of this series (a night, a bisection)"),
	H("kind", OPT_STRING, kind, NULL, "KIND", "runs of this kind: run, nightly, bisect, calibrate"),
	H("status", OPT_STRING, status, NULL, "STATUS", "runs with this status: complete, failed..."),
	H("metric", OPT_LIST, metrics, NULL, "NAME",
	  "show this metric (repeat for more): goodput_bps, latency_us.p99..."),
	{ "last", 'n', OPT_INT, offsetof(struct history_cli, last), 0, 1e9, NULL, "0", "N",
	  "the latest N runs only, 0 = all" },
	{ "json", 'J', OPT_BOOL, offsetof(struct history_cli, json), 0, 0, NULL, "no", NULL,
	  "print JSON: every metric unless --metric says" },
	H("plain", OPT_BOOL, plain, "no", NULL,
	  "print 'time value' lines of one --metric (epoch seconds), for scripts; "
	  "runs without it are left out"),
	H("rebuild", OPT_BOOL, rebuild, "no", NULL, "index every run directory again"),
	H("add", OPT_BOOL, add, "no", NULL, "index the run directories given as arguments"),
	H("list-metrics", OPT_BOOL, list_metrics, "no", NULL,
	  "list the metric names in the index, with how many runs have each"),
	H("nights", OPT_BOOL, nights, "no", NULL,
	  "list the nightly decisions (of --job): date, commit, verdict, range to bisect"),
	OPT_END_ROW
};

const struct cmd_help help_history = {
	"history", "perflab history [--results DIR] [--job F] [--label L] [--commit C]\n"
	"                [--series S] [--metric M]... [--last N] [--json]\n"
	"perflab history --metric M [filters] --plain\n"
	"perflab history --rebuild [--results DIR]\n"
	"perflab history --add RUN_DIR...\n"
	"perflab history --list-metrics [--results DIR]\n"
	"perflab history --nights [--job F] [--last N] [--json]",
	"List the runs of a results directory, oldest first, with the metrics asked\n"
	"for (default: goodput_bps and cpu_util_pct); '-' is a metric the run could\n"
	"not measure. Filters combine. The index, DIR/" HISTORY_DB ", is written by\n"
	"every run and built from the run directories when missing; --rebuild builds\n"
	"it again. Metric names are summary.json's keys, nested ones dotted:\n"
	"latency_us.p99, stacks.cubic.goodput_bps, hosts.dut1.cpu_util_pct.\n"
	"Exit 0 ok, 1 failure (or damaged run directories: named, the rest indexed),\n"
	"129 usage.",
	{ { NULL, history_table } },
};

static void history_usage(FILE *f)
{
	help_usage(f, &help_history);
}

/* ---- arguments ---- */

static int check_args(const struct history_cli *o, size_t nr_metrics, int nargs)
{
	if (o->plain && nr_metrics != 1)
		return error("--plain prints one metric: give exactly one --metric");
	if (o->plain && o->json)
		return error("--plain and --json do not go together");
	if (nargs && !o->add)
		return error("unexpected argument (run directories go with --add)");
	if (o->add && !nargs)
		return error("--add needs run directories");
	if (o->commit && !*o->commit)
		return error("--commit needs a commit id (or a prefix of one)");
	if (o->kind && !history_is_kind(o->kind))
		return error("unknown kind '%s' (run, nightly, bisect or calibrate)", o->kind);
	return 0;
}

/* ---- text output ---- */

/* Text for a terminal: control characters become '?'. */
static void put_clean(struct strbuf *out, const char *s, size_t max)
{
	size_t n = 0;

	for (const char *p = s; *p && n < max; p++, n++)
		strbuf_addch(out, (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
	if (strlen(s) > max)
		strbuf_addstr(out, "...");
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* A metric's value with the unit its name says; "-" when absent. */
static const char *fmt_metric(const char *name, double v, char *buf, int len)
{
	if (isnan(v))
		snprintf(buf, (size_t)len, "-");
	else if (ends_with(name, "_gbps"))
		snprintf(buf, (size_t)len, "%.2f Gbit/s", v);
	else if (ends_with(name, "_bps"))
		fmt_rate(v, buf, len);
	else if (ends_with(name, "_pct"))
		snprintf(buf, (size_t)len, "%.2f %%", v);
	else if (ends_with(name, "_per_s"))
		snprintf(buf, (size_t)len, "%.0f /s", v);
	else if (ends_with(name, "_us"))
		snprintf(buf, (size_t)len, "%.1f us", v);
	else if (ends_with(name, "_s"))
		snprintf(buf, (size_t)len, "%.3f s", v);
	else if (ends_with(name, "_mhz"))
		snprintf(buf, (size_t)len, "%.0f MHz", v);
	else if (ends_with(name, "_bytes") || ends_with(name, "bytes_rx") ||
		 ends_with(name, "bytes_tx"))
		fmt_bytes(v, buf, len);
	else
		snprintf(buf, (size_t)len, fabs(v) >= 1e4 ? "%.0f" : "%.4g", v);
	return buf;
}

/* "2026-11-23T19:06:47.133Z" -> "2026-11-23 19:06:47" */
static void put_time(struct strbuf *out, const char *utc)
{
	if (!utc || strlen(utc) < 19) {
		strbuf_addf(out, "%-19s", "-");
		return;
	}
	strbuf_add(out, utc, 10);
	strbuf_addch(out, ' ');
	strbuf_add(out, utc + 11, 8);
}

struct table {
	struct history_run *runs;
	size_t nr;
	char **metrics;		/* the columns */
	size_t nr_metrics;
	double *values;		/* values[m * nr + i]: metric m of run i */
	int id_w, label_w;	/* column widths */
};

static void put_cell(struct strbuf *out, const char *s, int width)
{
	size_t start = out->len;

	put_clean(out, s ? s : "-", (size_t)width);
	strbuf_addf(out, "%*s", width + 2 - (int)(out->len - start), "");
}

static void print_header(const struct table *t)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%-19s  ", "STARTED (UTC)");
	put_cell(&sb, "RUN", t->id_w);
	put_cell(&sb, "STATUS", 8);
	put_cell(&sb, "COMMIT", 12);
	put_cell(&sb, "LABEL", t->label_w);
	for (size_t m = 0; m < t->nr_metrics; m++)
		strbuf_addf(&sb, " %*s", (int)(strlen(t->metrics[m]) > 14 ?
						strlen(t->metrics[m]) : 14), t->metrics[m]);
	strbuf_rtrim(&sb);
	puts(sb.buf);
	strbuf_release(&sb);
}

static void print_row(const struct table *t, size_t i)
{
	const struct history_run *r = &t->runs[i];
	struct strbuf sb = STRBUF_INIT;
	char commit[13] = "-", val[64];

	if (r->commit)
		snprintf(commit, sizeof(commit), "%.12s", r->commit);
	put_time(&sb, r->started_utc);
	strbuf_addstr(&sb, "  ");
	put_cell(&sb, r->run_id, t->id_w);
	put_cell(&sb, r->status, 8);
	put_cell(&sb, commit, 12);
	put_cell(&sb, r->label, t->label_w);
	for (size_t m = 0; m < t->nr_metrics; m++) {
		int w = strlen(t->metrics[m]) > 14 ? (int)strlen(t->metrics[m]) : 14;

		strbuf_addf(&sb, " %*s", w, fmt_metric(t->metrics[m],
						       t->values[m * t->nr + i], val, sizeof(val)));
	}
	strbuf_rtrim(&sb);
	puts(sb.buf);
	strbuf_release(&sb);
}

static void print_text(struct table *t)
{
	t->id_w = 3;
	t->label_w = 5;
	for (size_t i = 0; i < t->nr; i++) {
		int idl = (int)strlen(t->runs[i].run_id);
		int ll = t->runs[i].label ? (int)strlen(t->runs[i].label) : 1;

		t->id_w = idl > t->id_w ? idl : t->id_w;
		t->label_w = ll > t->label_w ? ll : t->label_w;
	}
	t->id_w = t->id_w > 40 ? 40 : t->id_w;
	t->label_w = t->label_w > 24 ? 24 : t->label_w;
	print_header(t);
	for (size_t i = 0; i < t->nr; i++)
		print_row(t, i);
}

/* ---- JSON and plain output ---- */

static json_t *run_json(const struct history *h, const struct history_run *r)
{
	json_t *o = json_object();
	char *path = xasprintf("%s/%s", history_results(h), r->dir);

	json_set_str(o, "run_id", r->run_id);
	json_set_str(o, "dir", path);
	json_set_str(o, "status", r->status);
	json_set_str(o, "failure", r->failure);
	json_set_str(o, "kind", r->kind);
	json_set_str(o, "series", r->series);
	json_set_str(o, "job", r->job);
	json_set_str(o, "label", r->label);
	json_set_str(o, "commit", r->commit);
	json_set_str(o, "image_key", r->image_key);
	json_set_str(o, "image", r->image);
	json_set_str(o, "workload", r->workload);
	json_set_str(o, "dut", r->dut);
	json_set_str(o, "fingerprint_sha256", r->fingerprint);
	json_set_str(o, "started_utc", r->started_utc);
	json_set_str(o, "finished_utc", r->finished_utc);
	json_set_str(o, "perflab_version", r->perflab_version);
	free(path);
	return o;
}

static int print_json(struct history *h, const struct table *t)
{
	json_t *a = json_array();
	char *text;

	for (size_t i = 0; i < t->nr; i++) {
		json_t *o = run_json(h, &t->runs[i]), *m = json_object();

		if (!t->nr_metrics && history_run_metrics(h, &t->runs[i])) {
			json_decref(o);
			json_decref(m);
			json_decref(a);
			return -1;
		}
		for (size_t k = 0; k < t->runs[i].nr_metrics; k++)
			json_set_num(m, t->runs[i].metrics[k].name, t->runs[i].metrics[k].value);
		for (size_t k = 0; k < t->nr_metrics; k++)
			json_set_num(m, t->metrics[k], t->values[k * t->nr + i]);
		json_set(o, "metrics", m);
		json_array_append_new(a, o);
	}
	text = json_dump_pretty(a);
	puts(text);
	free(text);
	json_decref(a);
	return 0;
}

/* "time value": epoch seconds and the value; runs without the metric are left out. */
static void print_plain(const struct table *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		double v = t->values[i];

		if (!isnan(v) && !isnan(t->runs[i].started_s))
			printf("%.3f %.15g\n", t->runs[i].started_s, v);
	}
}

/* ---- the commands ---- */

static int fill_values(struct history *h, struct table *t)
{
	char **ids = xcalloc(t->nr + 1, sizeof(*ids));
	int ret = 0;

	t->values = xcalloc(t->nr * t->nr_metrics + 1, sizeof(*t->values));
	for (size_t i = 0; i < t->nr; i++)
		ids[i] = t->runs[i].run_id;
	for (size_t m = 0; !ret && m < t->nr_metrics; m++)
		ret = history_metric_values(h, t->metrics[m], ids, t->nr, t->values + m * t->nr);
	free(ids);
	return ret;
}

/* Say once about a metric no run has: a typo, or not measurable on these hosts. */
static void check_metrics(struct history *h, const struct table *t)
{
	for (size_t m = 0; m < t->nr_metrics; m++)
		if (history_has_metric(h, t->metrics[m]) == 0)
			warning("no run in '%s' has the metric '%s' (not measured there, or a typo: "
				"'perflab history --list-metrics' lists them)", history_results(h),
				t->metrics[m]);
}

static int list_runs(struct history *h, const struct history_cli *o, char **metrics,
		     size_t nr_metrics)
{
	static char *defaults[] = { SUM_GOODPUT, SUM_CPU };
	struct history_filter f = { o->job, o->label, o->commit, o->series, o->kind,
				    o->plain ? "complete" : o->status, o->last };
	struct table t = { .metrics = metrics, .nr_metrics = nr_metrics };
	int ret;

	if (!nr_metrics && !o->json) {
		t.metrics = defaults;
		t.nr_metrics = ARRAY_SIZE(defaults);
	}
	ret = history_runs(h, &f, &t.runs, &t.nr);
	if (!ret)
		ret = fill_values(h, &t);
	if (!ret)
		check_metrics(h, &t);
	if (!ret && o->json)
		ret = print_json(h, &t);
	else if (!ret && o->plain)
		print_plain(&t);
	else if (!ret && !t.nr)
		note("no runs in '%s'%s", history_results(h),
		     o->job || o->label || o->commit || o->series || o->kind || o->status ?
		     " match" : "");
	else if (!ret)
		print_text(&t);
	history_runs_free(t.runs, t.nr);
	free(t.values);
	return ret;
}

static int rebuild(struct history *h)
{
	struct history_rebuild_stats st;
	int ret = history_rebuild(h, &st);

	if (ret < 0 && ret != PERFLAB_EINVAL)
		return ret;
	printf("indexed %zu runs in '%s/%s' (%zu not complete: no metrics)", st.indexed,
	       history_results(h), HISTORY_DB, st.incomplete);
	if (st.removed)
		printf("; %zu gone", st.removed);
	if (st.damaged)
		printf("; %zu damaged, skipped (named above)", st.damaged);
	putchar('\n');
	return ret ? -1 : 0;
}

static int list_metric_names(struct history *h)
{
	char **names;
	size_t *counts, nr;

	if (history_metric_names(h, &names, &counts, &nr))
		return -1;
	for (size_t i = 0; i < nr; i++) {
		printf("%-40s %zu\n", names[i], counts[i]);
		free(names[i]);
	}
	free(names);
	free(counts);
	return 0;
}

/* --add: each run into the index of its own results directory (or --results). */
static int add_runs(const char *results, int argc, char **argv)
{
	int ret = 0;

	for (int i = 0; i < argc; i++) {
		char *dir = xstrdup(argv[i]), *slash;
		struct history *h = NULL;

		while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
			dir[strlen(dir) - 1] = '\0';
		slash = strrchr(dir, '/');
		if (!results && slash)
			*slash = '\0';
		if (history_open(&h, results ? results : slash ? (*dir ? dir : "/") : ".") ||
		    history_add_run(h, argv[i]))
			ret = -1;
		history_close(h);
		free(dir);
	}
	return ret;
}

/* No index yet (results from before it, or copied in): build it first. */
/* The nights the nightly command recorded, oldest first. */
static int list_nights(struct history *h, const struct history_cli *o)
{
	struct history_night *v = NULL;
	size_t n = 0;

	if (history_nights(h, o->job, o->last, &v, &n))
		return -1;
	if (o->json) {
		json_t *a = json_array();
		char *text;

		for (size_t i = 0; i < n; i++) {
			json_t *x = json_object();

			json_set_str(x, "job", v[i].job);
			json_set_str(x, "date", v[i].date);
			json_set_str(x, "commit", v[i].commit);
			json_set_str(x, "verdict", v[i].verdict);
			json_set_str(x, "series", v[i].series);
			json_set_str(x, "range_good", v[i].range_good);
			json_set_str(x, "range_bad", v[i].range_bad);
			json_set_str(x, "recorded_utc", v[i].recorded_utc);
			json_set(x, "summary", v[i].summary ? json_loads(v[i].summary, 0, NULL)
						   : json_null());
			json_array_append_new(a, x);
		}
		text = json_dump_pretty(a);
		puts(text);
		free(text);
		json_decref(a);
	} else {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addf(&sb, "%-10s  %-12s  %-12s  %-12s  %s\n", "date", "commit", "verdict",
			    "job", "range to bisect");
		for (size_t i = 0; i < n; i++) {
			strbuf_addf(&sb, "%-10s  %-12.12s  %-12s  ", v[i].date, v[i].commit,
				    v[i].verdict);
			put_clean(&sb, v[i].job_name ? v[i].job_name : v[i].job, 12);
			if (v[i].range_bad)
				strbuf_addf(&sb, "  %.12s..%.12s", v[i].range_good ? v[i].range_good : "?",
					    v[i].range_bad);
			strbuf_addch(&sb, '\n');
		}
		fputs(sb.buf, stdout);
		strbuf_release(&sb);
	}
	history_nights_free(v, n);
	return 0;
}

static int open_index(struct history **h, const char *results, int rebuilding)
{
	char *db = xasprintf("%s/%s", results, HISTORY_DB);
	int fresh = is_dir(results) && !path_exists(db), ret;

	free(db);
	ret = history_open(h, results);
	if (ret || !fresh || rebuilding)
		return ret;
	note("no index in '%s' yet: indexing its run directories", results);
	ret = history_rebuild(*h, NULL);
	return ret == PERFLAB_EINVAL ? 0 : ret;
}

static int run_history(const struct history_cli *o, char **metrics, size_t nr_metrics,
		       int argc, char **argv)
{
	const char *results = o->results ? o->results : "results";
	struct history *h = NULL;
	int ret;

	if (o->add)
		return add_runs(o->results, argc, argv) ? EXIT_FAIL : EXIT_OK;
	if (open_index(&h, results, o->rebuild))
		return EXIT_FAIL;
	if (o->rebuild)
		ret = rebuild(h);
	else if (o->list_metrics)
		ret = list_metric_names(h);
	else if (o->nights)
		ret = list_nights(h, o);
	else
		ret = list_runs(h, o, metrics, nr_metrics);
	history_close(h);
	return ret ? EXIT_FAIL : EXIT_OK;
}

int cmd_history(int argc, char **argv)
{
	struct history_cli o = { 0 };
	struct optset sets[] = { { history_table, &o }, { NULL, NULL } };
	int i, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		history_usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(history_table, &o);
	i = opt_parse(sets, argc, argv);
	if (i >= 0 && !check_args(&o, o.metrics.nr, argc - i))
		ret = run_history(&o, o.metrics.v, o.metrics.nr, argc - i, argv + i);
	else
		history_usage(stderr);
	opt_release(history_table, &o);
	return ret;
}
