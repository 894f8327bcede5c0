#include "tests/unit/test.h"
#include "store/history.h"
#include "store/rundir.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* A summary.json shaped as store/summary.c writes it, small. */
static const char summary_text[] =
	"{\"goodput_bps\": 25400000000.0, \"cpu_util_pct\": 95.5, \"freq_mhz\": null,"
	" \"freq_source\": null, \"freq_unavailable\": \"no cpufreq\", \"interrupted\": false,"
	" \"transactions\": 0, \"workload\": \"bulk\", \"stack_names\": [\"cubic\"],"
	" \"window_start_mono_s\": 100.5, \"window_end_mono_s\": 102.5,"
	" \"latency_us\": {\"n\": 10, \"p50\": 38.5, \"p99\": 190.25, \"max\": null},"
	" \"errors\": {\"reset\": 0, \"refused\": 2},"
	" \"net\": {\"ifaces\": {\"lo\": {\"rx_bps\": 1.0}}, \"tcp\": {\"retrans_segs\": 5.0}},"
	" \"stacks\": {\"cubic\": {\"goodput_bps\": 1e10, \"latency_us\": {\"p99\": 7.5},"
	"   \"tcp\": {\"rtt_us\": 9}}},"
	" \"hosts\": {\"dut1\": {\"cpu_util_pct\": 50.0, \"freq_mhz\": null, \"role\": \"dut\"}}}";

/* run.json for a run; label and extra members (",\"key\": value") may be NULL. */
static char *run_text(const char *id, const char *status, const char *label,
		      const char *started, const char *extra)
{
	json_t *o = json_object(), *cmd = json_array();
	char *s, *out;

	json_array_append_new(cmd, json_string("perflab"));
	json_array_append_new(cmd, json_string("run"));
	json_set_str(o, "run_id", id);
	json_set_str(o, "status", status);
	json_set_str(o, "label", label);
	json_set_str(o, "workload", "bulk");
	json_set_str(o, "started_utc", started);
	json_set_str(o, "finished_utc", started);
	json_set_str(o, "perflab_version", "test");
	if (!extra || !strstr(extra, "\"command\""))
		json_set(o, "command", cmd);
	else
		json_decref(cmd);
	s = json_dump_compact(o);
	s[strlen(s) - 1] = '\0';
	out = xasprintf("%s%s}", s, extra ? extra : "");
	free(s);
	json_decref(o);
	return out;
}

static void write_at(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);

	write_file_atomic(path, text, strlen(text), 0);
	free(path);
}

/* RESULTS/id with run.json and (when summary is not NULL) summary.json. */
static void make_run(const char *results, const char *id, const char *status,
		     const char *label, const char *started, const char *extra,
		     const char *summary)
{
	char *dir = xasprintf("%s/%s", results, id), *run = run_text(id, status, label, started,
								    extra);

	mkdir_p(dir);
	write_at(dir, "run.json", run);
	if (summary)
		write_at(dir, "summary.json", summary);
	free(run);
	free(dir);
}

static char *results_dir(const char *name)
{
	char *dir = xasprintf("%s/%s", test_tmpdir(), name);

	mkdir_p(dir);
	return dir;
}

static const struct history_metric *find_metric(const struct history_run *r, const char *name)
{
	for (size_t i = 0; i < r->nr_metrics; i++)
		if (!strcmp(r->metrics[i].name, name))
			return &r->metrics[i];
	return NULL;
}

static int parse_texts(struct history_run *r, const char *run, const char *summary)
{
	json_t *rj = json_loads(run, JSON_DECODE_ANY, NULL);
	json_t *sj = summary ? json_loads(summary, JSON_DECODE_ANY, NULL) : NULL;
	int ret = history_run_parse(r, rj, "R/run.json", sj, "R/summary.json");

	json_decref(rj);
	json_decref(sj);
	return ret;
}

TEST(history, flatten_summary)
{
	char *run = run_text("r1", "complete", NULL, "2026-11-23T17:02:03.250Z", NULL);
	struct history_run r;

	REQUIRE(!parse_texts(&r, run, summary_text));
	CHECK_STR(r.run_id, "r1");
	CHECK_STR(r.kind, "run");
	CHECK_NEAR(r.started_s, 1795453323.25, 1e-6);
	CHECK_NEAR(find_metric(&r, "goodput_bps")->value, 25.4e9, 0);
	CHECK_NEAR(find_metric(&r, "latency_us.p99")->value, 190.25, 0);
	CHECK_NEAR(find_metric(&r, "errors.refused")->value, 2, 0);
	CHECK_NEAR(find_metric(&r, "net.tcp.retrans_segs")->value, 5, 0);
	CHECK_NEAR(find_metric(&r, "stacks.cubic.goodput_bps")->value, 1e10, 0);
	CHECK_NEAR(find_metric(&r, "stacks.cubic.latency_us.p99")->value, 7.5, 0);
	CHECK_NEAR(find_metric(&r, "hosts.dut1.cpu_util_pct")->value, 50, 0);
	CHECK_NEAR(find_metric(&r, "transactions")->value, 0, 0);	/* a measured 0 stays */
	/* unmeasurable: absent, never 0 */
	CHECK(!find_metric(&r, "freq_mhz"));
	CHECK(!find_metric(&r, "hosts.dut1.freq_mhz"));
	CHECK(!find_metric(&r, "latency_us.max"));
	/* not metrics: booleans, strings, clock readings, unindexed nesting */
	CHECK(!find_metric(&r, "interrupted"));
	CHECK(!find_metric(&r, "window_start_mono_s"));
	CHECK(!find_metric(&r, "net.ifaces.lo.rx_bps"));
	CHECK(!find_metric(&r, "stacks.cubic.tcp.rtt_us"));
	for (size_t i = 1; i < r.nr_metrics; i++)
		CHECK(strcmp(r.metrics[i - 1].name, r.metrics[i].name) < 0);
	history_run_release(&r);
	free(run);
}

TEST(history, failed_runs_have_no_metrics)
{
	char *run = run_text("r2", "failed", NULL, NULL, ",\"failure\": \"a client failed\"");
	struct history_run r;

	REQUIRE(!parse_texts(&r, run, summary_text));
	CHECK_STR(r.status, "failed");
	CHECK_STR(r.failure, "a client failed");
	CHECK_INT(r.nr_metrics, 0);
	CHECK(isnan(r.started_s));
	history_run_release(&r);
	free(run);
}

TEST(history, run_json_fields)
{
	static const char extra[] =
		",\"commit\": null, \"build\": {\"key\": \"k123\", \"commit\": \"abcdef0123\"},"
		" \"image\": \"/img/x\", \"host\": {\"hostname\": \"ctl\"},"
		" \"hosts\": [{\"name\": \"client1\", \"serves\": false},"
		" {\"name\": \"dut1\", \"serves\": true}]";
	char *run = run_text("r3", "complete", "", "2026-11-23T17:02:03Z", extra);
	json_t *rj = json_loads(run, 0, NULL);
	struct history_run r;

	/* the command names the job and (nightly, bisect) the kind */
	json_array_set_new(json_object_get(rj, "command"), 1, json_string("nightly"));
	json_array_append_new(json_object_get(rj, "command"), json_string("--job"));
	json_array_append_new(json_object_get(rj, "command"), json_string("jobs/net.job"));
	REQUIRE(!history_run_parse(&r, rj, "run.json", NULL, "summary.json"));
	CHECK_STR(r.kind, "nightly");
	CHECK_STR(r.job, "jobs/net.job");
	CHECK_STR(r.job_name, "net");
	CHECK_STR(r.image_key, "k123");
	CHECK_STR(r.commit, "abcdef0123");
	CHECK_STR(r.image, "/img/x");
	CHECK_STR(r.dut, "dut1");
	CHECK(r.label == NULL);		/* "" is no label */
	CHECK_NEAR(r.started_s, 1795453323, 0);
	history_run_release(&r);
	json_decref(rj);
	free(run);
}

/* Each damaged document is refused, the message naming the file and the key. */
TEST(history, wrong_types_are_named)
{
	static const struct { const char *run, *summary, *msg; } cases[] = {
		{ "[1, 2]", NULL, "'R/run.json' is not a run.json: an array" },
		{ "{\"status\": \"complete\"}", NULL, "'R/run.json' has no 'run_id'" },
		{ "{\"run_id\": 7, \"status\": \"complete\"}", NULL, "'run_id' is a number" },
		{ "{\"run_id\": \"x\", \"status\": \"failed\", \"label\": [1]}", NULL,
		  "'R/run.json': 'label' is an array, not a string" },
		{ "{\"run_id\": \"x\", \"status\": \"failed\", \"started_utc\": \"yesterday\"}",
		  NULL, "'started_utc' is not a UTC time" },
		{ "{\"run_id\": \"x\", \"status\": \"failed\", \"command\": \"perflab run\"}",
		  NULL, "'command' is a string, not an array" },
		{ "{\"run_id\": \"x\", \"status\": \"failed\", \"hosts\": [5]}", NULL,
		  "'hosts[]' is a number, not an object" },
		{ "{\"run_id\": \"x\", \"status\": \"failed\", \"kind\": \"weekly\"}", NULL,
		  "unknown kind 'weekly'" },
		{ "{\"run_id\": \"x\", \"status\": \"complete\"}", "\"text\"",
		  "'R/summary.json' is not a summary.json: a string" },
		{ "{\"run_id\": \"x\", \"status\": \"complete\"}", "{\"goodput_bps\": \"fast\"}",
		  "'R/summary.json': 'goodput_bps' is a string, not a number" },
		{ "{\"run_id\": \"x\", \"status\": \"complete\"}", "{\"latency_us\": 5}",
		  "'latency_us' is a number, not an object" },
		{ "{\"run_id\": \"x\", \"status\": \"complete\"}",
		  "{\"latency_us\": {\"p99\": true}}", "'latency_us.p99' is a boolean" },
		{ "{\"run_id\": \"x\", \"status\": \"complete\"}",
		  "{\"hosts\": {\"dut1\": [1]}}", "'hosts.dut1' is an array, not an object" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct history_run r;

		test_capture_start();
		CHECK_INT(parse_texts(&r, cases[i].run, cases[i].summary), -1);
		CHECK_CONTAINS(test_captured(), cases[i].msg);
		test_capture_end();
		history_run_release(&r);
	}
}

/* Broken files in a run directory: truncated, not JSON, binary, missing, huge. */
TEST(history, damaged_files_are_named)
{
	char *res = results_dir("res"), *huge = xasprintf("%s/huge/summary.json", res);
	char *notjson = xasprintf("%s/notjson", res);
	char half[sizeof(summary_text)];
	struct history_run r;
	FILE *f;

	memcpy(half, summary_text, sizeof(half) / 2);
	half[sizeof(half) / 2] = '\0';
	make_run(res, "trunc", "complete", NULL, NULL, NULL, half);
	make_run(res, "binary", "complete", NULL, NULL, NULL, "\x7f" "ELF\x01\x02\xff\xfe");
	make_run(res, "nosum", "complete", NULL, NULL, NULL, NULL);
	make_run(res, "huge", "complete", NULL, NULL, NULL, "{}");
	REQUIRE((f = fopen(huge, "w")) != NULL);
	REQUIRE(!ftruncate(fileno(f), HISTORY_MAX_FILE + 1));
	fclose(f);
	mkdir_p(notjson);
	write_at(notjson, "run.json", "run_id = x\n");
	test_capture_start();
	CHECK_INT(history_run_read(&r, res, "trunc"), -1);
	CHECK_CONTAINS(test_captured(), "trunc/summary.json' is not JSON: line 1");
	history_run_release(&r);
	CHECK_INT(history_run_read(&r, res, "binary"), -1);
	CHECK_CONTAINS(test_captured(), "binary/summary.json' is not JSON");
	history_run_release(&r);
	CHECK_INT(history_run_read(&r, res, "nosum"), -1);
	CHECK_CONTAINS(test_captured(), "nosum/summary.json' is missing");
	history_run_release(&r);
	CHECK_INT(history_run_read(&r, res, "huge"), -1);
	CHECK_CONTAINS(test_captured(), "huge/summary.json': larger than 16 MiB");
	history_run_release(&r);
	CHECK_INT(history_run_read(&r, res, "notjson"), -1);
	CHECK_CONTAINS(test_captured(), "notjson/run.json' is not JSON");
	history_run_release(&r);
	CHECK_INT(history_run_read(&r, res, "../etc"), -1);
	history_run_release(&r);
	test_capture_end();
	free(notjson);
	free(huge);
	free(res);
}

static void dump_run(struct history *h, struct history_run *r, struct strbuf *out)
{
	const char *f[] = { r->run_id, r->dir, r->status, r->failure, r->job, r->job_name,
			    r->label, r->commit, r->image_key, r->image, r->workload, r->dut,
			    r->fingerprint, r->started_utc, r->finished_utc, r->perflab_version,
			    r->kind, r->series };

	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		strbuf_addf(out, "%s|", f[i] ? f[i] : "NULL");
	strbuf_addf(out, "%.17g|%.17g\n", r->started_s, r->finished_s);
	history_run_metrics(h, r);
	for (size_t i = 0; i < r->nr_metrics; i++)
		strbuf_addf(out, "  %s=%.17g\n", r->metrics[i].name, r->metrics[i].value);
}

/* Everything the index holds about runs, as text. */
static void dump(struct history *h, struct strbuf *out)
{
	struct history_run *v;
	size_t n;

	strbuf_reset(out);
	if (history_runs(h, NULL, &v, &n)) {
		strbuf_addstr(out, "query failed");
		return;
	}
	for (size_t i = 0; i < n; i++)
		dump_run(h, &v[i], out);
	history_runs_free(v, n);
}

static size_t count_runs(struct history *h, const struct history_filter *f)
{
	struct history_run *v;
	size_t n = 0;

	if (!history_runs(h, f, &v, &n))
		history_runs_free(v, n);
	return n;
}

TEST(history, add_is_idempotent)
{
	char *res = results_dir("res"), *dir = xasprintf("%s/a", res);
	struct strbuf one = STRBUF_INIT, two = STRBUF_INIT;
	struct history *h;

	make_run(res, "a", "complete", "l", "2026-11-23T10:00:00Z", NULL, summary_text);
	REQUIRE(!history_open(&h, res));
	CHECK_INT(history_schema_version(h), history_nr_migrations);
	CHECK(!history_add_run(h, dir));
	dump(h, &one);
	CHECK(!history_add_run(h, dir));
	dump(h, &two);
	CHECK_STR(one.buf, two.buf);
	CHECK_INT(count_runs(h, NULL), 1);
	/* added again after its summary changed: the index follows the files */
	write_at(dir, "summary.json", "{\"goodput_bps\": 5}");
	CHECK(!history_add_run(h, dir));
	dump(h, &two);
	CHECK_CONTAINS(two.buf, "goodput_bps=5\n");
	CHECK(!strstr(two.buf, "latency_us"));
	CHECK(!history_check(h));
	history_close(h);
	history_close(NULL);
	strbuf_release(&one);
	strbuf_release(&two);
	free(dir);
	free(res);
}

TEST(history, add_refuses_foreign_dirs)
{
	char *res = results_dir("res"), *other = results_dir("other");
	char *dir = xasprintf("%s/a", other);
	struct history *h;

	make_run(other, "a", "complete", NULL, NULL, NULL, summary_text);
	REQUIRE(!history_open(&h, res));
	test_capture_start();
	CHECK_INT(history_add_run(h, dir), -1);
	CHECK_CONTAINS(test_captured(), "is not a run directory of");
	test_capture_end();
	history_close(h);
	free(dir);
	free(other);
	free(res);
}

/* A results directory with a bit of everything a real one holds. */
static void populate(const char *res)
{
	char *p;

	make_run(res, "20261101T000000Z-bulk-0001", "complete", "base", "2026-11-01T00:00:00Z",
		 NULL, summary_text);
	make_run(res, "20261102T000000Z-bulk-0002", "complete", "new", "2026-11-02T00:00:00Z",
		 ",\"commit\": \"deadbeef00\"", "{\"goodput_bps\": 2e10, \"freq_mhz\": null}");
	make_run(res, "20261103T000000Z-bulk-0003", "failed", "new", "2026-11-03T00:00:00Z",
		 NULL, NULL);
	make_run(res, "20261104T000000Z-bulk-0004", "complete", NULL, "2026-11-04T00:00:00Z",
		 NULL, "{\"goodput_bps\": ");			/* damaged */
	make_run(res, ".tmp-20261105T000000Z-bulk-0005", "running", NULL, NULL, NULL, NULL);
	make_run(res, ".incomplete-20261106T000000Z-bulk-0006", "running", NULL, NULL, NULL,
		 NULL);
	p = xasprintf("%s/plots", res);		/* not a run directory */
	mkdir_p(p);
	free(p);
}

TEST(history, rebuild_equals_run_by_run)
{
	static const char *ids[] = { "20261101T000000Z-bulk-0001", "20261102T000000Z-bulk-0002",
				     "20261103T000000Z-bulk-0003", "20261104T000000Z-bulk-0004" };
	char *res = results_dir("res"), *db = xasprintf("%s/%s", res, HISTORY_DB);
	struct strbuf one = STRBUF_INIT, two = STRBUF_INIT;
	struct history_rebuild_stats st;
	struct history *h;

	populate(res);
	REQUIRE(!history_open(&h, res));
	test_capture_start();
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		char *dir = xasprintf("%s/%s", res, ids[i]);

		CHECK_INT(history_add_run(h, dir), i == 3 ? -1 : 0);
		free(dir);
	}
	dump(h, &one);
	history_close(h);
	unlink(db);
	REQUIRE(!history_open(&h, res));
	CHECK_INT(history_rebuild(h, &st), PERFLAB_EINVAL);
	CHECK_CONTAINS(test_captured(), "20261104T000000Z-bulk-0004/summary.json' is not JSON");
	CHECK(!strstr(test_captured(), "plots"));
	CHECK(!strstr(test_captured(), "tmp-"));
	test_capture_end();
	CHECK_INT(st.indexed, 3);
	CHECK_INT(st.incomplete, 1);
	CHECK_INT(st.damaged, 1);
	dump(h, &two);
	CHECK_STR(two.buf, one.buf);
	CHECK_CONTAINS(two.buf, "|failed|");
	CHECK(!strstr(two.buf, "freq_mhz"));
	history_close(h);
	strbuf_release(&one);
	strbuf_release(&two);
	free(db);
	free(res);
}

TEST(history, rebuild_drops_gone_and_damaged)
{
	char *res = results_dir("res"), *gone = xasprintf("%s/20261101T000000Z-bulk-0001", res);
	char *dir2 = xasprintf("%s/20261102T000000Z-bulk-0002", res);
	struct history_rebuild_stats st;
	struct history *h;

	populate(res);
	REQUIRE(!history_open(&h, res));
	test_capture_start();
	history_rebuild(h, &st);
	CHECK_INT(count_runs(h, NULL), 3);
	remove_tree(gone);
	write_at(dir2, "summary.json", "[");
	CHECK_INT(history_rebuild(h, &st), PERFLAB_EINVAL);
	test_capture_end();
	CHECK_INT(st.removed, 2);
	CHECK_INT(count_runs(h, NULL), 1);
	history_close(h);
	free(dir2);
	free(gone);
	free(res);
}

/* Quotes and SQL in labels, names and filters are data, never SQL. */
TEST(history, sql_metacharacters_stay_data)
{
	static const char label[] = "x'); DROP TABLE runs; --";
	static const char metric[] = "we\\\"ird'; DELETE FROM metrics; --_pct";
	char *res = results_dir("res");
	char *sum = xasprintf("{\"%s\": 42, \"goodput_bps\": 1}", metric);
	struct history_filter f = { .label = label };
	struct history_run *v;
	char *ids[2] = { "evil", "plain" };
	double vals[2];
	size_t n;
	struct history *h;

	make_run(res, "evil", "complete", label, "2026-11-01T00:00:00Z", NULL, sum);
	make_run(res, "plain", "complete", "plain", "2026-11-02T00:00:00Z", NULL, summary_text);
	REQUIRE(!history_open(&h, res));
	CHECK_INT(history_rebuild(h, NULL), 0);
	REQUIRE(!history_runs(h, &f, &v, &n));
	CHECK_INT(n, 1);
	CHECK_STR(n ? v[0].label : NULL, label);
	history_runs_free(v, n);
	CHECK(!history_metric_values(h, "we\"ird'; DELETE FROM metrics; --_pct", ids, 2, vals));
	CHECK_NEAR(vals[0], 42, 0);
	CHECK(isnan(vals[1]));
	CHECK(!history_metric_values(h, "goodput_bps", ids, 2, vals));
	CHECK_NEAR(vals[1], 25.4e9, 0);		/* the other run's metrics are all there */
	/* a LIKE pattern would match everything; a prefix of the id matches nothing */
	f = (struct history_filter){ .commit = "%" };
	CHECK_INT(count_runs(h, &f), 0);
	f = (struct history_filter){ .label = "' OR '1'='1" };
	CHECK_INT(count_runs(h, &f), 0);
	CHECK_INT(count_runs(h, NULL), 2);
	CHECK(!history_check(h));
	history_close(h);
	free(sum);
	free(res);
}

TEST(history, filters_and_order)
{
	char *res = results_dir("res");
	struct history_filter f = { 0 };
	struct history_run *v;
	size_t n;
	struct history *h;

	make_run(res, "c", "complete", "new", "2026-11-03T00:00:00Z",
		 ",\"commit\": \"abc123\", \"command\": [\"perflab\", \"run\", \"--job=jobs/net.job\"]",
		 summary_text);
	make_run(res, "a", "complete", "base", "2026-11-01T00:00:00Z",
		 ",\"commit\": \"abd999\", \"command\": [\"perflab\", \"run\", \"-j\", \"net.job\"]",
		 summary_text);
	make_run(res, "b", "failed", "new", "2026-11-02T00:00:00Z", ",\"commit\": \"abc000\"",
		 NULL);
	REQUIRE(!history_open(&h, res));
	REQUIRE(!history_rebuild(h, NULL));
	REQUIRE(!history_runs(h, NULL, &v, &n));
	REQUIRE(n == 3);
	CHECK_STR(v[0].run_id, "a");	/* by start time, not by name or insertion */
	CHECK_STR(v[2].run_id, "c");
	history_runs_free(v, n);
	f.job = "net";
	CHECK_INT(count_runs(h, &f), 2);
	f.job = "/elsewhere/net.job";
	CHECK_INT(count_runs(h, &f), 2);
	f = (struct history_filter){ .commit = "abc" };
	CHECK_INT(count_runs(h, &f), 2);
	f = (struct history_filter){ .label = "new", .status = "complete" };
	CHECK_INT(count_runs(h, &f), 1);
	f = (struct history_filter){ .last = 2 };
	REQUIRE(!history_runs(h, &f, &v, &n));
	REQUIRE(n == 2);
	CHECK_STR(v[0].run_id, "b");	/* the latest two, still oldest first */
	CHECK_STR(v[1].run_id, "c");
	history_runs_free(v, n);
	CHECK_INT(history_has_metric(h, "goodput_bps"), 1);
	CHECK_INT(history_has_metric(h, "freq_mhz"), 0);
	history_close(h);
	free(res);
}

TEST(history, tags_survive_a_rebuild)
{
	char *res = results_dir("res");
	struct history_filter f = { .series = "nightly/net/2026-11-01" };
	struct history *h;

	make_run(res, "a", "complete", NULL, "2026-11-01T00:00:00Z", NULL, summary_text);
	make_run(res, "b", "complete", NULL, "2026-11-02T00:00:00Z",
		 ",\"kind\": \"bisect\", \"series\": \"bisect-1\"", summary_text);
	REQUIRE(!history_open(&h, res));
	REQUIRE(!history_rebuild(h, NULL));
	f.series = "bisect-1";
	f.kind = "bisect";
	CHECK_INT(count_runs(h, &f), 1);	/* from run.json */
	CHECK(!history_tag_run(h, "a", "nightly", "nightly/net/2026-11-01"));
	f = (struct history_filter){ .series = "nightly/net/2026-11-01", .kind = "nightly" };
	CHECK_INT(count_runs(h, &f), 1);
	REQUIRE(!history_rebuild(h, NULL));
	CHECK_INT(count_runs(h, &f), 1);
	test_capture_start();
	CHECK_INT(history_tag_run(h, "nope", "nightly", NULL), PERFLAB_ENOTFOUND);
	CHECK_INT(history_tag_run(h, "a", "weekly", NULL), -1);
	CHECK_CONTAINS(test_captured(), "unknown kind 'weekly'");
	test_capture_end();
	history_close(h);
	free(res);
}

/*
 * A version 1 database holding a run, as the first perflab with a
 * history wrote it: the real first migration, then data in its shape.
 */
static const char v1_data[] =
	"INSERT INTO runs (run_id, dir, status, label, started_utc, started_s)"
	" VALUES ('old', 'old', 'complete', 'v1', '2026-01-01T00:00:00Z', 1767225600);"
	"INSERT INTO metrics VALUES ('old', 'goodput_bps', 9.5e9);";

TEST(history, migrations)
{
	char *res = results_dir("res"), *v1 = xasprintf("%s%s", history_migrations[0], v1_data);
	const char *old[] = { v1 };
	const char *future[8], *broken[8];
	struct history_filter f = { .kind = "run", .label = "v1" };
	char *ids[] = { "old" };
	double val;
	struct history *h;

	REQUIRE(history_nr_migrations >= 2 && history_nr_migrations < 7);
	REQUIRE(!history_open_with(&h, res, old, 1));
	CHECK_INT(history_schema_version(h), 1);
	history_close(h);
	/* this perflab opens it: migrated, the run and its metric still there */
	REQUIRE(!history_open(&h, res));
	CHECK_INT(history_schema_version(h), history_nr_migrations);
	CHECK_INT(count_runs(h, &f), 1);
	CHECK(!history_metric_values(h, "goodput_bps", ids, 1, &val));
	CHECK_NEAR(val, 9.5e9, 0);
	history_close(h);
	/* a future column is one more entry; applied once, then a no-op */
	memcpy(future, history_migrations, sizeof(*future) * (size_t)history_nr_migrations);
	future[history_nr_migrations] = "ALTER TABLE runs ADD COLUMN boot_id TEXT;";
	REQUIRE(!history_open_with(&h, res, future, history_nr_migrations + 1));
	CHECK_INT(history_schema_version(h), history_nr_migrations + 1);
	history_close(h);
	REQUIRE(!history_open_with(&h, res, future, history_nr_migrations + 1));
	history_close(h);
	/* an older perflab refuses a newer database rather than misread it */
	test_capture_start();
	CHECK_INT(history_open(&h, res), -1);
	CHECK(h == NULL);
	CHECK_CONTAINS(test_captured(), "newer than this perflab's");
	/* a migration that fails leaves the database as it was */
	memcpy(broken, future, sizeof(future));
	broken[history_nr_migrations + 1] = "ALTER TABLE runs ADD COLUMN a TEXT; SELEKT;";
	CHECK_INT(history_open_with(&h, res, broken, history_nr_migrations + 2), -1);
	CHECK_CONTAINS(test_captured(), "cannot migrate");
	test_capture_end();
	REQUIRE(!history_open_with(&h, res, future, history_nr_migrations + 1));
	CHECK_INT(history_schema_version(h), history_nr_migrations + 1);
	CHECK(!history_check(h));
	history_close(h);
	free(v1);
	free(res);
}

/*
 * Four processes write into one index at once: each adds its own runs,
 * one run at a time, and rebuilds in the middle. Nothing is lost, no
 * writer gives up, the database stays sound.
 */
TEST(history, concurrent_writers)
{
	enum { WRITERS = 4, RUNS = 12 };
	char *res = results_dir("res");
	pid_t pids[WRITERS];
	struct history *h;
	int failed = 0;

	for (int i = 0; i < WRITERS * RUNS; i++) {
		char id[32];

		snprintf(id, sizeof(id), "r%02d", i);
		make_run(res, id, "complete", NULL, "2026-11-01T00:00:00Z", NULL, summary_text);
	}
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		REQUIRE(pids[w] >= 0);
		if (pids[w] == 0) {
			int bad = 0;

			for (int i = 0; i < RUNS; i++) {
				char *dir = xasprintf("%s/r%02d", res, w * RUNS + i);

				if (history_open(&h, res) || history_add_run(h, dir))
					bad = 1;
				if (i == RUNS / 2 && history_rebuild(h, NULL))
					bad = 1;
				history_close(h);
				free(dir);
			}
			_exit(bad);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int status;

		waitpid(pids[w], &status, 0);
		failed |= !WIFEXITED(status) || WEXITSTATUS(status);
	}
	CHECK(!failed);
	REQUIRE(!history_open(&h, res));
	CHECK_INT(count_runs(h, NULL), WRITERS * RUNS);
	CHECK(!history_check(h));
	history_close(h);
	free(res);
}

TEST(history, nightly_record)
{
	char *res = results_dir("res");
	struct history_night n = { .job = "jobs/net.job", .date = "2026-11-01", .commit = "c1",
				   .verdict = "GOOD", .summary = "{\"goodput\": \"GOOD\"}" };
	struct history_night got, *v;
	size_t nr;
	struct history *h;

	REQUIRE(!history_open(&h, res));
	CHECK_INT(history_last_good_night(h, "net", &got), PERFLAB_ENOTFOUND);
	CHECK(!history_record_night(h, &n));
	n.date = "2026-11-02", n.commit = "c2";
	CHECK(!history_record_night(h, &n));
	n.date = "2026-11-03", n.commit = "c3", n.verdict = "BAD", n.range_good = "c2";
	n.range_bad = "c3";
	CHECK(!history_record_night(h, &n));
	REQUIRE(!history_last_good_night(h, "/other/place/net.job", &got));
	CHECK_STR(got.commit, "c2");
	CHECK_STR(got.job, "jobs/net.job");
	CHECK(got.recorded_utc && strlen(got.recorded_utc) > 19);
	history_night_release(&got);
	/* the same night recorded again replaces it */
	n.date = "2026-11-02", n.commit = "c2", n.verdict = "BAD";
	CHECK(!history_record_night(h, &n));
	REQUIRE(!history_last_good_night(h, "net", &got));
	CHECK_STR(got.commit, "c1");
	history_night_release(&got);
	REQUIRE(!history_nights(h, "net", 2, &v, &nr));
	CHECK_INT(nr, 2);
	CHECK_STR(nr == 2 ? v[1].range_good : NULL, "c2");
	CHECK_STR(nr == 2 ? v[0].date : NULL, "2026-11-02");
	history_nights_free(v, nr);
	test_capture_start();
	n.verdict = "SAME";
	CHECK_INT(history_record_night(h, &n), -1);
	n.verdict = "GOOD", n.date = "11/02/2026";
	CHECK_INT(history_record_night(h, &n), -1);
	n.date = "2026-11-04", n.summary = "{not json";
	CHECK_INT(history_record_night(h, &n), -1);
	CHECK_CONTAINS(test_captured(), "unknown verdict 'SAME'");
	CHECK_CONTAINS(test_captured(), "'11/02/2026' is not a date");
	CHECK_CONTAINS(test_captured(), "is not JSON");
	test_capture_end();
	CHECK_INT(history_last_good_night(h, "other", &got), PERFLAB_ENOTFOUND);
	history_close(h);
	free(res);
}

/* Two runs in one second never share a .tmp- directory (issue 14 #13). */
static unsigned same_digits(void)
{
	return 0x2a;
}

TEST(rundir, create_is_exclusive)
{
	char *results = xasprintf("%s/rd-create", test_tmpdir());
	char *id1 = NULL, *tmp1 = NULL, *id2 = NULL, *tmp2 = NULL, *file;

	run_dir_random = same_digits;	/* both runs draw the same digits */
	REQUIRE(!run_dir_create(results, "bulk", &id1, &tmp1));
	CHECK(is_dir(tmp1));
	CHECK_CONTAINS(id1, "-bulk-002a");
	if (!run_dir_create(results, "bulk", &id2, &tmp2)) {
		CHECK(strcmp(tmp1, tmp2) != 0);	/* never the first one's */
		CHECK(is_dir(tmp2));
		free(id2);
		free(tmp2);
	}
	run_dir_random = NULL;
	/* a results path that is a file: said, nothing made */
	file = xasprintf("%s/afile", results);
	REQUIRE(!write_file_atomic(file, "x", 1, 0));
	test_capture_start();
	CHECK(run_dir_create(file, "bulk", &id2, &tmp2) < 0);
	CHECK_CONTAINS(test_captured(), "afile' exists and is not a directory");
	test_capture_end();
	free(id1); free(tmp1); free(file); free(results);
}
