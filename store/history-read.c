/*
 * Reading a run directory for the history index: run.json says what
 * ran, summary.json what was measured, fingerprint.json on what, and
 * tags.json how nightly or bisect grouped it. Nothing here touches
 * SQLite: the fuzz target and the unit tests call it directly.
 *
 * Every file is checked before anything trusts it: a damaged file is
 * an error naming the file, and the run is not read, rather than
 * indexed with made-up numbers.
 */
#include "store/history.h"
#include "store/rundir.h"
#include "collectors/fingerprint.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *const history_kinds[] = { "run", "nightly", "bisect", "calibrate", NULL };

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static int wrong_type(const char *file, const char *key, const json_t *v, const char *want)
{
	return error("'%s': '%s' is %s, not %s", file, key, type_name(v), want);
}

static int known(const char *const *list, const char *s)
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

/* ---- run.json ---- */

/* A string member or NULL; any other type is damage. "" counts as none. */
static int get_str(char **out, const json_t *obj, const char *key, const char *file)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return wrong_type(file, key, v, "a string");
	if (*json_string_value(v))
		*out = xstrdup(json_string_value(v));
	return 0;
}

/* ".123" after the seconds: at least one digit. */
static int parse_fraction(const char **s, double *frac)
{
	double scale = 0.1;
	const char *p = *s + 1;

	if (!(*p >= '0' && *p <= '9'))
		return -1;
	for (*frac = 0; *p >= '0' && *p <= '9'; p++, scale /= 10)
		*frac += (*p - '0') * scale;
	*s = p;
	return 0;
}

/*
 * RFC 3339 in UTC as perflab writes it, "2026-11-23T17:02:03.123Z", to
 * seconds since the epoch. Offsets other than Z are not written by
 * perflab and are refused.
 */
static int parse_utc(const char *s, double *out)
{
	struct tm tm = { 0 };
	int n = 0;
	double frac = 0;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_year < 1970)
		return -1;
	s += n;
	if (*s == '.' && parse_fraction(&s, &frac))
		return -1;
	if (strcmp(s, "Z"))
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = (double)timegm(&tm) + frac;
	return 0;
}

static int get_time(char **text, double *secs, const json_t *run, const char *key,
		    const char *file)
{
	*secs = NAN;
	if (get_str(text, run, key, file))
		return -1;
	if (*text && parse_utc(*text, secs))
		return error("'%s': '%s' is not a UTC time like 2026-11-23T17:02:03.123Z: '%s'",
			     file, key, *text);
	return 0;
}

char *history_job_name(const char *path)
{
	const char *base = strrchr(path, '/'), *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	return dot && dot != base ? xstrndup(base, (size_t)(dot - base)) : xstrdup(base);
}

/*
 * The command line kept in run.json: its subcommand gives the kind
 * (perflab nightly or bisect calling the run), its --job the job.
 */
static int read_command(struct history_run *r, const json_t *run, const char *file)
{
	const json_t *cmd = json_object_get(run, "command"), *v;
	const char *prev = "";
	size_t i;

	if (!cmd || json_is_null(cmd))
		return 0;
	if (!json_is_array(cmd))
		return wrong_type(file, "command", cmd, "an array of strings");
	json_array_foreach(cmd, i, v) {
		const char *s = json_string_value(v);

		if (!s)
			return wrong_type(file, "command", v, "a string");
		if (i == 1 && !r->kind && known(history_kinds, s))
			r->kind = xstrdup(s);
		if (!r->job && (!strcmp(prev, "--job") || !strcmp(prev, "-j")) && *s)
			r->job = xstrdup(s);
		else if (!r->job && !strncmp(s, "--job=", 6) && s[6])
			r->job = xstrdup(s + 6);
		prev = s;
	}
	return 0;
}

/* The serving host's name; a run alone on this machine names the machine. */
static int read_dut(struct history_run *r, const json_t *run, const char *file)
{
	const json_t *hosts = json_object_get(run, "hosts"), *h;
	const char *name = NULL;
	size_t i;

	if (hosts && !json_is_null(hosts) && !json_is_array(hosts))
		return wrong_type(file, "hosts", hosts, "an array");
	json_array_foreach(hosts, i, h) {
		if (!json_is_object(h))
			return wrong_type(file, "hosts[]", h, "an object");
		if (json_is_true(json_object_get(h, "serves")) && !name)
			name = json_string_value(json_object_get(h, "name"));
	}
	if (!name || !strcmp(name, "local"))
		name = json_get_str(run, "host.hostname");
	r->dut = name && *name ? xstrdup(name) : NULL;
	return 0;
}

/* What was built: the image cache key, and the commit if run.json has none. */
static int read_build(struct history_run *r, const json_t *run, const char *file)
{
	const json_t *b = json_object_get(run, "build");

	if (!b || json_is_null(b))
		return 0;
	if (!json_is_object(b))
		return wrong_type(file, "build", b, "an object");
	if (get_str(&r->image_key, b, "key", file))
		return -1;
	if (!r->commit && get_str(&r->commit, b, "commit", file))
		return -1;
	return 0;
}

int history_is_kind(const char *kind)
{
	return known(history_kinds, kind);
}

static int check_kind(const char *kind, const char *file)
{
	if (kind && !history_is_kind(kind))
		return error("'%s': unknown kind '%s' (run, nightly, bisect or calibrate)",
			     file, kind);
	return 0;
}

static int read_run_json(struct history_run *r, const json_t *run, const char *file)
{
	if (!json_is_object(run))
		return error("'%s' is not a run.json: %s, not an object", file, type_name(run));
	if (get_str(&r->run_id, run, "run_id", file) || get_str(&r->status, run, "status", file))
		return -1;
	if (!r->run_id || !r->status)
		return error("'%s' has no '%s'", file, r->run_id ? "status" : "run_id");
	if (get_str(&r->failure, run, "failure", file) || get_str(&r->label, run, "label", file) ||
	    get_str(&r->commit, run, "commit", file) || get_str(&r->image, run, "image", file) ||
	    get_str(&r->workload, run, "workload", file) ||
	    get_str(&r->perflab_version, run, "perflab_version", file) ||
	    get_str(&r->job, run, "job", file) || get_str(&r->kind, run, "kind", file) ||
	    get_str(&r->series, run, "series", file))
		return -1;
	if (get_time(&r->started_utc, &r->started_s, run, "started_utc", file) ||
	    get_time(&r->finished_utc, &r->finished_s, run, "finished_utc", file))
		return -1;
	if (check_kind(r->kind, file) || read_command(r, run, file) || read_dut(r, run, file) ||
	    read_build(r, run, file))
		return -1;
	return 0;
}

/* ---- summary.json: every number, under a dotted name ---- */

/*
 * Nested objects whose numbers are indexed too, "*" standing for every
 * key (a stack's or a host's name). In the "numbers" ones every member
 * is a number or null; the others mix in text (a host's role). The rest
 * of summary.json (interface counters, histograms) stays in the file.
 */
static const struct nested {
	const char *pattern;
	int numbers;		/* every leaf must be a number or null */
} nested[] = {
	{ "latency_us", 1 }, { "connect_us", 1 }, { "errors", 1 }, { "cpu_states_pct", 1 },
	{ "tcp", 1 }, { "server_tcp", 1 }, { "net.tcp", 1 }, { "stacks.*", 0 },
	{ "stacks.*.latency_us", 1 }, { "stacks.*.errors", 1 }, { "hosts.*", 0 },
	{ NULL, 0 }
};

/*
 * Keys that hold a number (or null) wherever they appear: a unit suffix,
 * or a count. Anything else under such a key is damage, not a string to
 * skip.
 */
static int expects_number(const char *key)
{
	static const char *const suffixes[] = { "_bps", "_gbps", "_pct", "_s", "_us", "_mhz",
		"_segs", "_cpus", "_frac", "_ratio", "_gbit", "_bytes", NULL };
	static const char *const counts[] = { "bytes_rx", "bytes_tx", "transactions", "tps",
		"ipc", "conn_opened", "conn_closed", "connections", "threads", NULL };
	size_t len = strlen(key);

	for (int i = 0; suffixes[i]; i++) {
		size_t n = strlen(suffixes[i]);

		if (len > n && !strcmp(key + len - n, suffixes[i]))
			return 1;
	}
	return known(counts, key);
}

/* A nested pattern's first level: "latency_us" for "latency_us", "stacks" for "stacks.*". */
static int is_nested_root(const char *key)
{
	for (int i = 0; nested[i].pattern; i++) {
		const char *p = nested[i].pattern;
		size_t n = strlen(key);

		if (!strncmp(p, key, n) && (!p[n] || p[n] == '.'))
			return 1;
	}
	return 0;
}

static void add_metric(struct history_run *r, const char *name, double v)
{
	if (!isfinite(v))
		return;		/* unmeasurable: absent, never 0 */
	ALLOC_GROW(r->metrics, r->nr_metrics + 1, r->alloc_metrics);
	r->metrics[r->nr_metrics].name = xstrdup(name);
	r->metrics[r->nr_metrics].value = v;
	r->nr_metrics++;
}

/*
 * One member under prefix: a number is a metric, null is not measured,
 * a number's key (any key, with numbers) holding a string, a boolean or
 * an array is damage. Objects are left to the nested patterns.
 */
static int add_member(struct history_run *r, const char *prefix, const char *key,
		      const json_t *v, int numbers, const char *file)
{
	char *name = *prefix ? xasprintf("%s.%s", prefix, key) : xstrdup(key);
	int ret = 0;

	if (json_is_number(v))
		add_metric(r, name, json_number_value(v));
	else if (!json_is_null(v) && !json_is_object(v) && (numbers || expects_number(key)))
		ret = wrong_type(file, name, v, "a number");
	free(name);
	return ret;
}

struct walk {
	struct history_run *r;
	int numbers;		/* the pattern's leaves are all numbers */
	const char *file;
};

static int flatten(const struct walk *w, const json_t *obj, const char *pattern,
		   const char *prefix);

/* The pattern's next segment under obj: one key, or every key for "*". */
static int flatten_segment(const struct walk *w, const json_t *obj, const char *seg,
			   size_t len, const char *rest, const char *prefix)
{
	const char *key;
	json_t *v;
	int ret = 0;

	json_object_foreach((json_t *)obj, key, v) {
		char *name;

		if (len != 1 || *seg != '*') {
			if (strlen(key) != len || strncmp(key, seg, len))
				continue;
		}
		name = *prefix ? xasprintf("%s.%s", prefix, key) : xstrdup(key);
		if (!json_is_null(v) && !json_is_object(v))
			ret = wrong_type(w->file, name, v, "an object");
		else if (json_is_object(v))
			ret = flatten(w, v, rest, name);
		free(name);
		if (ret)
			break;
	}
	return ret;
}

/* Follow pattern ("stacks.*.latency_us") down obj; its leaves' numbers are metrics. */
static int flatten(const struct walk *w, const json_t *obj, const char *pattern,
		   const char *prefix)
{
	const char *dot = strchr(pattern, '.'), *key;
	json_t *v;

	if (*pattern)
		return flatten_segment(w, obj, pattern, dot ? (size_t)(dot - pattern) : strlen(pattern),
				       dot ? dot + 1 : "", prefix);
	json_object_foreach((json_t *)obj, key, v)
		if (add_member(w->r, prefix, key, v, w->numbers, w->file))
			return -1;
	return 0;
}

/* Monotonic clock readings of one host mean nothing across runs. */
static int is_clock_reading(const char *key)
{
	size_t len = strlen(key);

	return len > 7 && !strcmp(key + len - 7, "_mono_s");
}

static int cmp_metric(const void *a, const void *b)
{
	return strcmp(((const struct history_metric *)a)->name,
		      ((const struct history_metric *)b)->name);
}

/*
 * Sorted, and unique: a host named "a.b" could spell the same dotted
 * name as another path; the first is kept and the clash said.
 */
static void sort_metrics(struct history_run *r, const char *file)
{
	size_t out = 0;

	if (r->nr_metrics)
		qsort(r->metrics, r->nr_metrics, sizeof(*r->metrics), cmp_metric);
	for (size_t i = 0; i < r->nr_metrics; i++) {
		if (out && !strcmp(r->metrics[out - 1].name, r->metrics[i].name)) {
			warning("'%s': two metrics are named '%s'; the first is kept", file,
				r->metrics[i].name);
			free(r->metrics[i].name);
			continue;
		}
		r->metrics[out++] = r->metrics[i];
	}
	r->nr_metrics = out;
}

static int read_summary(struct history_run *r, const json_t *sum, const char *file)
{
	const char *key;
	json_t *v;

	if (!json_is_object(sum))
		return error("'%s' is not a summary.json: %s, not an object", file, type_name(sum));
	json_object_foreach((json_t *)sum, key, v) {
		if (is_clock_reading(key))
			continue;
		if (is_nested_root(key) && !json_is_null(v) && !json_is_object(v))
			return wrong_type(file, key, v, "an object");
		if (add_member(r, "", key, v, 0, file))
			return -1;
	}
	for (int i = 0; nested[i].pattern; i++) {
		struct walk w = { r, nested[i].numbers, file };

		if (flatten(&w, sum, nested[i].pattern, ""))
			return -1;
	}
	sort_metrics(r, file);
	return 0;
}

int history_run_parse(struct history_run *out, const json_t *run, const char *run_name,
		      const json_t *summary, const char *summary_name)
{
	memset(out, 0, sizeof(*out));
	out->started_s = out->finished_s = NAN;
	if (read_run_json(out, run, run_name))
		return -1;
	if (summary && !strcmp(out->status, "complete") &&
	    read_summary(out, summary, summary_name))
		return -1;
	if (out->job)
		out->job_name = history_job_name(out->job);
	if (!out->kind)
		out->kind = xstrdup("run");
	return 0;
}

static int parse_tags(const json_t *tags, const char *path, char **kind, char **series)
{
	if (!json_is_object(tags))
		return error("'%s' is not a tags file: %s, not an object", path, type_name(tags));
	if (get_str(kind, tags, "kind", path) || get_str(series, tags, "series", path))
		return -1;
	return check_kind(*kind, path);
}

int history_run_apply_tags(struct history_run *r, const json_t *tags, const char *path)
{
	char *kind = NULL, *series = NULL;
	int ret = parse_tags(tags, path, &kind, &series);

	if (!ret) {
		if (kind) {
			free(r->kind);
			r->kind = kind;
			kind = NULL;
		}
		free(r->series);
		r->series = series;
		series = NULL;
	}
	free(kind);
	free(series);
	return ret;
}


/* ---- a run directory, through the one reader ---- */

int history_run_read(struct history_run *out, const char *results, const char *name)
{
	struct run_dir rd;
	char *dir;
	int ret;

	memset(out, 0, sizeof(*out));
	out->started_s = out->finished_s = NAN;
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return error("'%s' is not the name of a run directory", name);
	dir = xasprintf("%s/%s", results, name);
	ret = run_dir_read(&rd, dir);
	if (ret == PERFLAB_ENOTFOUND)
		ret = error("'%s/run.json' is missing", dir);
	if (!ret) {
		*out = rd.meta;
		memset(&rd.meta, 0, sizeof(rd.meta));
		free(out->dir);
		out->dir = xstrdup(name);
	}
	run_dir_release(&rd);
	free(dir);
	return ret;
}

void history_run_release(struct history_run *r)
{
	char **strs[] = { &r->run_id, &r->dir, &r->status, &r->failure, &r->job, &r->job_name,
			  &r->label, &r->commit, &r->image_key, &r->image, &r->workload, &r->dut,
			  &r->fingerprint, &r->started_utc, &r->finished_utc,
			  &r->perflab_version, &r->kind, &r->series };

	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	for (size_t i = 0; i < r->nr_metrics; i++)
		free(r->metrics[i].name);
	free(r->metrics);
	r->metrics = NULL;
	r->nr_metrics = r->alloc_metrics = 0;
}
