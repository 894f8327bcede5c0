#include "tests/unit/test.h"
#include "common/parse.h"
#include "common/opt.h"
#include "common/strbuf.h"
#include "common/hist.h"
#include "common/json.h"
#include "common/fsutil.h"
#include "common/spawn.h"
#include "common/util.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

TEST(parse, sizes)
{
	uint64_t v;

	CHECK(!parse_size("65536", &v)); CHECK_INT(v, 65536);
	CHECK(!parse_size("64K", &v)); CHECK_INT(v, 65536);
	CHECK(!parse_size("10M", &v)); CHECK_INT(v, 10 << 20);
	CHECK(!parse_size("1.5KiB", &v)); CHECK_INT(v, 1536);
	CHECK(!parse_size("2MB", &v)); CHECK_INT(v, 2000000);
	CHECK(parse_size("-1", &v));
	CHECK(parse_size("10 X", &v));
	CHECK(parse_size("", &v));
	CHECK(parse_size("abc", &v));
	CHECK(parse_size("0.3", &v));	/* not a whole byte */
	CHECK(parse_size("1e30", &v));
}

TEST(parse, rates_durations_percent)
{
	double d;

	CHECK(!parse_rate("100M", &d)); CHECK_NEAR(d, 1e8, 0);
	CHECK(!parse_rate("1Gbit", &d)); CHECK_NEAR(d, 1e9, 0);
	CHECK(!parse_rate("2.5 Gbps", &d)); CHECK_NEAR(d, 2.5e9, 0);
	CHECK(parse_rate("fast", &d));
	CHECK(!parse_duration("5", &d)); CHECK_NEAR(d, 5, 0);
	CHECK(!parse_duration("250ms", &d)); CHECK_NEAR(d, 0.25, 1e-12);
	CHECK(!parse_duration("2m", &d)); CHECK_NEAR(d, 120, 0);
	CHECK(parse_duration("-3s", &d));
	CHECK(parse_duration("3 parsecs", &d));
	CHECK(!parse_percent("+5%", &d)); CHECK_NEAR(d, 0.05, 1e-12);
	CHECK(!parse_percent("-3%", &d)); CHECK_NEAR(d, -0.03, 1e-12);
	CHECK(parse_percent("5", &d));
	CHECK(parse_percent("nan%", &d));
}

/*
 * Out-of-range and non-decimal values are refused, never wrapped or read
 * as hex (issue 14 #8): 1e21 bit/s was 8 kbit/s, 0x10G was 16 Gbit/s.
 */
TEST(parse, bounds_and_no_hex)
{
	uint64_t v = 7;
	double d = 7;
	long l = 7;

	CHECK(parse_rate("1e21", &d));
	CHECK(parse_rate("1e16", &d));
	CHECK(parse_rate("0x10G", &d));
	CHECK(parse_rate("0X10", &d));
	CHECK(parse_rate("1001T", &d));
	CHECK(!parse_rate("1000T", &d)); CHECK_NEAR(d, 1e15, 0);
	CHECK(!parse_rate("1.5e9", &d)); CHECK_NEAR(d, 1.5e9, 0);
	CHECK(parse_size("0x10", &v));
	CHECK(parse_size("0x10K", &v));
	CHECK(parse_size(" -0", &v));
	CHECK(parse_size("1.8e19", &v));
	CHECK(parse_size("16384T", &v));	/* past 2^53 bytes */
	CHECK(!parse_size("8192T", &v)); CHECK_INT(v, 1ULL << 53);
	CHECK(parse_duration("1e20", &d));
	CHECK(parse_duration("1e300h", &d));
	CHECK(parse_duration("0x10", &d));
	CHECK(parse_duration(" -0", &d));
	CHECK(!parse_duration("1e9", &d)); CHECK_NEAR(d, 1e9, 0);
	CHECK(parse_double("0x1p3", &d));
	CHECK(parse_double("1e", &d));
	CHECK(parse_percent("0x5%", &d));
	CHECK(parse_long("0x10", 0, 100, &l));
	CHECK_NEAR(d, 1e9, 0);	/* failures leave the output alone */
}

TEST(parse, split_words)
{
	char **argv;

	CHECK_INT(split_words("make -C {worktree} 'a b' \"c \\\"d\" e\\ f", &argv), 6);
	CHECK_STR(argv[0], "make");
	CHECK_STR(argv[2], "{worktree}");
	CHECK_STR(argv[3], "a b");
	CHECK_STR(argv[4], "c \"d");
	CHECK_STR(argv[5], "e f");
	CHECK(argv[6] == NULL);
	argv_free(argv);
	/* no expansion of anything: metacharacters stay data */
	CHECK_INT(split_words("echo $(rm -rf /); `x` | y > z", &argv), 9);
	CHECK_STR(argv[1], "$(rm");
	argv_free(argv);
	CHECK_INT(split_words("unterminated 'quote", &argv), -1);
	CHECK_INT(split_words("   ", &argv), 0);
	CHECK(argv[0] == NULL);
	argv_free(argv);
}

struct sample_opts {
	long n;
	uint64_t size;
	double secs;
	int flag;
	char *name;
	int choice;
};

static const char *const colors[] = { "red", "green", NULL };
static const struct opt sample_table[] = {
	{ "n", 'n', OPT_INT, offsetof(struct sample_opts, n), 1, 10, NULL, "3", "N", "count" },
	{ "size", 0, OPT_SIZE, offsetof(struct sample_opts, size), 0, 0, NULL, "64K", "B", "size" },
	{ "secs", 0, OPT_DURATION, offsetof(struct sample_opts, secs), 0, 60, NULL, "1s", "S", "time" },
	{ "flag", 0, OPT_BOOL, offsetof(struct sample_opts, flag), 0, 0, NULL, "no", NULL, "flag" },
	{ "name", 0, OPT_STRING, offsetof(struct sample_opts, name), 0, 0, NULL, "x", "S", "name" },
	{ "color", 0, OPT_CHOICE, offsetof(struct sample_opts, choice), 0, 0, colors, "red", "C", "c" },
	OPT_END_ROW
};

TEST(opt, defaults_and_parse)
{
	struct sample_opts o = { 0 };
	struct optset sets[] = { { sample_table, &o }, { NULL, NULL } };
	char *argv[] = { "cmd", "-n", "7", "--size=10M", "--flag", "--color", "green",
			 "--name", "y", "rest", NULL };

	opt_defaults(sample_table, &o);
	CHECK_INT(o.n, 3);
	CHECK_INT(o.size, 65536);
	CHECK_INT(opt_parse(sets, 10, argv), 9);
	CHECK_INT(o.n, 7);
	CHECK_INT(o.size, 10 << 20);
	CHECK_INT(o.flag, 1);
	CHECK_INT(o.choice, 1);
	CHECK_STR(o.name, "y");
	opt_release(sample_table, &o);
}

TEST(opt, errors_name_the_value)
{
	struct sample_opts o = { 0 };
	struct optset sets[] = { { sample_table, &o }, { NULL, NULL } };
	char *bad_range[] = { "cmd", "-n", "11", NULL };
	char *bad_unit[] = { "cmd", "--secs", "3 parsecs", NULL };
	char *unknown[] = { "cmd", "--bogus", NULL };
	char *missing[] = { "cmd", "--size", NULL };
	char *choice[] = { "cmd", "--color", "blue", NULL };

	opt_defaults(sample_table, &o);
	test_capture_start();
	CHECK_INT(opt_parse(sets, 3, bad_range), -1);
	CHECK_CONTAINS(test_captured(), "'11'");
	CHECK_CONTAINS(test_captured(), "1..10");
	CHECK_INT(opt_parse(sets, 3, bad_unit), -1);
	CHECK_CONTAINS(test_captured(), "'3 parsecs' for 'secs'");
	CHECK_INT(opt_parse(sets, 2, unknown), -1);
	CHECK_CONTAINS(test_captured(), "unknown option '--bogus'");
	CHECK_INT(opt_parse(sets, 2, missing), -1);
	CHECK_CONTAINS(test_captured(), "needs a value");
	CHECK_INT(opt_parse(sets, 3, choice), -1);
	CHECK_CONTAINS(test_captured(), "expected one of red, green");
	test_capture_end();
	opt_release(sample_table, &o);
}

TEST(strbuf, grow_and_detach)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;

	CHECK_STR(sb.buf, "");
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%d,", i);
	CHECK_INT(sb.len, strlen(sb.buf));
	CHECK(!strncmp(sb.buf, "0,1,2,", 6));
	strbuf_addstr(&sb, "  \n");
	strbuf_rtrim(&sb);
	CHECK(sb.buf[sb.len - 1] == ',');
	s = strbuf_detach(&sb, NULL);
	CHECK_STR(sb.buf, "");
	free(s);
}

TEST(hist, buckets_round_trip)
{
	for (uint64_t v = 0; v < 5000000; v = v * 3 / 2 + 1) {
		uint64_t lo, hi;
		unsigned b = hist_bucket(v);

		hist_bucket_range(b, &lo, &hi);
		CHECK(lo <= v && v <= hi);
		CHECK(hi - lo <= lo / 32 + 1);	/* 1/32 relative width */
	}
	CHECK(hist_bucket(UINT64_MAX) == HIST_BUCKETS - 1);
}

TEST(hist, quantiles)
{
	struct hist *h = malloc(sizeof(*h)), *h2 = malloc(sizeof(*h2)), *d = malloc(sizeof(*d));

	hist_init(h);
	CHECK(isnan(hist_quantile(h, 0.5)));
	for (uint64_t v = 1; v <= 10000; v++)
		hist_add(h, v);
	CHECK_NEAR(hist_quantile(h, 0.5), 5000, 5000 * 0.02);
	CHECK_NEAR(hist_quantile(h, 0.99), 9900, 9900 * 0.02);
	CHECK_NEAR(hist_quantile(h, 1), 10000, 0);
	CHECK_NEAR(hist_mean(h), 5000.5, 1e-9);
	*h2 = *h;
	for (uint64_t v = 0; v < 100; v++)
		hist_add(h2, 1000000);
	hist_diff(d, h2, h);
	CHECK_INT(d->n, 100);
	CHECK_NEAR(hist_quantile(d, 0.5), 1000000, 1000000 * 0.02);
	free(h);
	free(h2);
	free(d);
}

TEST(json, numbers_null_not_zero)
{
	json_t *o = json_object();
	char *s;

	json_set_num(o, "measured", 1.5);
	json_set_num(o, "unmeasurable", NAN);
	json_set_str(o, "bad_utf8", "a\xff" "b");
	s = json_dump_compact(o);
	CHECK_STR(s, "{\"bad_utf8\":\"a?b\",\"measured\":1.5,\"unmeasurable\":null}");
	CHECK(isnan(json_get_num(o, "unmeasurable")));
	CHECK(isnan(json_get_num(o, "missing.path")));
	CHECK_NEAR(json_get_num(o, "measured"), 1.5, 0);
	free(s);
	json_decref(o);
}

static int count_lines(const json_t *obj, unsigned long lineno, void *data)
{
	(*(int *)data)++;
	return 0;
}

TEST(json, ndjson_never_overwrites)
{
	struct ndjson w;
	char *path = xasprintf("%s/x.ndjson", test_tmpdir());
	json_t *o = json_pack("{s:i}", "a", 1);
	int n = 0;

	REQUIRE(!ndjson_open(&w, path));
	CHECK(!ndjson_write(&w, o));
	CHECK(!ndjson_write(&w, o));
	CHECK(!ndjson_close(&w));
	test_capture_start();
	CHECK(ndjson_open(&w, path) < 0);
	CHECK_CONTAINS(test_captured(), "x.ndjson");
	CHECK(!ndjson_for_each(path, count_lines, &n));
	CHECK_INT(n, 2);
	CHECK(ndjson_for_each(test_write("bad.ndjson", "{\"a\":1}\n{\"a\":\n"),
			      count_lines, &n) < 0);
	CHECK_CONTAINS(test_captured(), "bad.ndjson:2:");
	test_capture_end();
	json_decref(o);
	free(path);
}

TEST(fsutil, atomic_noreplace)
{
	char *a = xasprintf("%s/a", test_tmpdir()), *d = xasprintf("%s/d/e/f", test_tmpdir());
	char *s;

	CHECK(!write_file_atomic(a, "one", 3, 1));
	test_capture_start();
	CHECK(write_file_atomic(a, "two", 3, 1) == PERFLAB_EEXISTS);
	test_capture_end();
	s = read_file(a, 0, NULL);
	CHECK_STR(s, "one");
	free(s);
	CHECK(!write_file_atomic(a, "three", 5, 0));
	CHECK(!mkdir_p(d));
	CHECK(is_dir(d));
	CHECK(!mkdir_p(d));
	free(a);
	free(d);
}

/*
 * Where renameat2(RENAME_NOREPLACE) is missing (NFS, some FUSE), the
 * fallback must move directories too, and still never overwrite.
 */
TEST(fsutil, rename_noreplace_fallback_moves_directories)
{
	char *src = xasprintf("%s/fb-src", test_tmpdir());
	char *dst = xasprintf("%s/fb-dst", test_tmpdir());
	char *other = xasprintf("%s/fb-other", test_tmpdir());
	char *full = xasprintf("%s/fb-full", test_tmpdir());
	char *file = xasprintf("%s/fb-file", test_tmpdir());
	char *f = xasprintf("%s/x", src), *g = xasprintf("%s/y", full), *s;

	setenv("PERFLAB_TEST_NO_RENAMEAT2", "1", 1);
	REQUIRE(!mkdir_p(src) && !mkdir_p(other) && !mkdir_p(full));
	REQUIRE(!write_file_atomic(f, "run", 3, 1));
	REQUIRE(!write_file_atomic(g, "old", 3, 1));
	REQUIRE(!write_file_atomic(file, "old", 3, 1));
	test_capture_start();
	CHECK_INT(rename_noreplace(src, dst), 0);
	CHECK(!path_exists(src));
	free(f);
	f = xasprintf("%s/x", dst);
	s = read_file(f, 0, NULL);
	CHECK_STR(s, "run");
	free(s);
	/* an empty directory, a full one, a file: each stays as it was */
	CHECK_INT(rename_noreplace(dst, other), PERFLAB_EEXISTS);
	CHECK_INT(rename_noreplace(dst, full), PERFLAB_EEXISTS);
	CHECK_INT(rename_noreplace(dst, file), PERFLAB_EEXISTS);
	CHECK(is_dir(dst));
	s = read_file(g, 0, NULL);
	CHECK_STR(s, "old");
	free(s);
	s = read_file(file, 0, NULL);
	CHECK_STR(s, "old");
	free(s);
	/* files still move */
	CHECK_INT(rename_noreplace(file, src), 0);
	CHECK(!path_exists(file) && !is_dir(src));
	test_capture_end();
	unsetenv("PERFLAB_TEST_NO_RENAMEAT2");
	free(src); free(dst); free(other); free(full); free(file); free(f); free(g);
}

TEST(spawn, argv_not_shell)
{
	struct strbuf out = STRBUF_INIT;
	char *argv[] = { "printf", "%s|", "a; rm -rf /", "$(x)", NULL };
	char *sleeper[] = { "sleep", "5", NULL };
	char *missing[] = { "/nonexistent/perflab-x", NULL };

	CHECK_INT(run_capture(argv, 5, &out), 0);
	CHECK_STR(out.buf, "a; rm -rf /|$(x)|");
	CHECK_INT(run_capture(sleeper, 0.2, NULL), PERFLAB_ETIMEOUT);
	test_capture_start();
	CHECK(run_capture(missing, 1, NULL) < 0);
	CHECK_CONTAINS(test_captured(), "perflab-x");
	test_capture_end();
	strbuf_release(&out);
}

/*
 * A caller whose standard input is closed gets pipes on descriptor 0:
 * a child given such a pipe as its input must still read it (dup2 onto
 * the same descriptor keeps close-on-exec; a run once waited 30 s on
 * collectors that never saw their input end).
 */
TEST(spawn, input_pipe_on_descriptor_zero)
{
	struct strbuf out = STRBUF_INIT;
	struct spawn_opts so = SPAWN_OPTS_INIT;
	struct child c;
	char *cat[] = { "cat", NULL };
	int saved = dup(0), in[2], res[2];

	REQUIRE(saved >= 0);
	close(0);
	REQUIRE(pipe2(in, O_CLOEXEC) == 0);
	CHECK_INT(in[0], 0);
	REQUIRE(pipe2(res, O_CLOEXEC) == 0);
	so.stdin_fd = in[0];
	so.stdout_fd = res[1];
	CHECK_INT(spawn_argv(&c, cat, &so), 0);
	close(res[1]);
	CHECK(write(in[1], "through\n", 8) == 8);
	close(in[1]);
	close(in[0]);
	for (char buf[64]; ; ) {
		ssize_t n = read(res[0], buf, sizeof(buf));

		if (n <= 0)
			break;
		strbuf_add(&out, buf, (size_t)n);
	}
	close(res[0]);
	CHECK_INT(child_wait(&c, 5), 0);
	CHECK_STR(out.buf, "through\n");
	dup2(saved, 0);
	close(saved);
	strbuf_release(&out);
}
