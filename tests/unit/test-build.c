#include "tests/unit/test.h"
#include "lab/build.h"
#include "lab/config.h"
#include "lab/images.h"
#include "lab/job.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/sha256.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <stdlib.h>
#include <unistd.h>

TEST(sha256, vectors)
{
	char hex[SHA256_HEX], *big = xmalloc(1000000);
	struct sha256 c;

	sha256_hex("", 0, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(big, 'a', 1000000);
	sha256_init(&c);
	for (int i = 0; i < 1000000; i += 999)	/* odd chunks cross block edges */
		sha256_update(&c, big + i, i + 999 > 1000000 ? (size_t)(1000000 - i) : 999);
	sha256_final_hex(&c, hex);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(big);
}

TEST(sha256, file)
{
	char hex[SHA256_HEX];

	CHECK(!sha256_file_hex(test_write("f", "abc"), hex));
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	test_capture_start();
	CHECK(sha256_file_hex("/nonexistent/file", hex) < 0);
	CHECK_CONTAINS(test_captured(), "cannot open '/nonexistent/file'");
	test_capture_end();
}

TEST(job, expand_placeholders)
{
	struct job_vars v = { "abc123", "/w t", "/img/$(x)" };
	char **in, **out;

	REQUIRE(split_words("make -C {worktree} COMMIT={commit} O={image}.tmp '{{lit}' x", &in) == 7);
	REQUIRE(!job_expand_argv(&out, in, &v));
	CHECK_INT(argv_len(out), 7);
	CHECK_STR(out[6], "x");
	CHECK_STR(out[2], "/w t");		/* a value with a space stays one word */
	CHECK_STR(out[3], "COMMIT=abc123");
	CHECK_STR(out[4], "O=/img/$(x).tmp");	/* metacharacters are data */
	CHECK_STR(out[5], "{lit}");
	argv_free(out);
	argv_free(in);
}

TEST(job, bad_placeholders)
{
	struct job_vars v = { "c", "w", "i" };
	char **in, **out, *bad;

	REQUIRE(split_words("cp {image} {dest} {{ok}", &in) == 4);
	bad = job_bad_placeholder(in);
	CHECK_STR(bad, "{dest}");
	free(bad);
	argv_free(in);
	REQUIRE(split_words("echo {commit", &in) == 2);
	bad = job_bad_placeholder(in);
	CHECK_STR(bad, "{commit");
	free(bad);
	test_capture_start();
	CHECK(job_expand_argv(&out, in, &v) < 0);
	CHECK(out == NULL);
	CHECK_CONTAINS(test_captured(), "unknown placeholder '{commit' in '{commit'");
	test_capture_end();
	argv_free(in);
	REQUIRE(split_words("a {{commit} {commit}x", &in) == 3);
	CHECK(job_bad_placeholder(in) == NULL);
	CHECK(job_argv_uses(in, "commit"));
	CHECK(!job_argv_uses(in, "image"));
	argv_free(in);
	REQUIRE(split_words("a {{commit}", &in) == 2);
	CHECK(!job_argv_uses(in, "commit"));	/* an escaped brace is no placeholder */
	argv_free(in);
}

TEST(job, env_entries)
{
	CHECK(job_env_entry_ok("CC=gcc"));
	CHECK(job_env_entry_ok("_X1="));
	CHECK(job_env_entry_ok("CFLAGS=-O2 -g"));
	CHECK(!job_env_entry_ok("=x"));
	CHECK(!job_env_entry_ok("1X=y"));
	CHECK(!job_env_entry_ok("A-B=y"));
	CHECK(!job_env_entry_ok("noequals"));
}

/* Parse text as a job file; returns what error() said. */
static int parse_job(const char *text)
{
	struct cfg_file f;
	int r = cfg_file_parse(&f, "j", text, strlen(text));

	if (!r)
		cfg_file_release(&f);
	return r;
}

TEST(job, config_errors_name_file_and_line)
{
	test_capture_start();
	CHECK(!parse_job("[source]\nrepo = /r\nbuild = make {image}\n"));
	CHECK(parse_job("[source]\nrepo = /r\nbuild = make {oops}\n"));
	CHECK_CONTAINS(test_captured(), "j:3: unknown placeholder '{oops}' in 'build'");
	CHECK(parse_job("[source]\nbranch = main\n"));
	CHECK_CONTAINS(test_captured(), "j:1: [source] has no 'repo'");
	CHECK(parse_job("[source]\nrepo = /r\nbuild = make\nartifact = ../../etc/passwd\n"));
	CHECK_CONTAINS(test_captured(), "j:4: 'artifact' must be a path inside the worktree");
	CHECK(parse_job("[source]\nrepo = /r\nbuild = make\nartifact = /etc/passwd\n"));
	CHECK(parse_job("[source]\nrepo = /r\nbuild = make {image}\nenv = CC=gcc 9X=1\n"));
	CHECK_CONTAINS(test_captured(), "j:4: 'env' entry '9X=1' is not NAME=value");
	CHECK(parse_job("[source]\nrepo = /r\nbuild = make\n"));
	CHECK_CONTAINS(test_captured(), "j:3: the build command has no {image} and there is no");
	CHECK(parse_job("[source]\nrepo = /r\ncolour = red\n"));
	CHECK_CONTAINS(test_captured(), "j:3: unknown key 'colour' in [source]");
	CHECK(parse_job("[source]\nrepo = /r\nbuild_timeout = soon\n"));
	CHECK_CONTAINS(test_captured(), "j:3: invalid value 'soon' for 'build_timeout'");
	CHECK(parse_job("[source]\nrepo = /r\nbuild = make 'unterminated\n"));
	CHECK(parse_job("[sauce]\nrepo = /r\n"));
	CHECK_CONTAINS(test_captured(), "unknown section [sauce] (known: host, workload, run");
	test_capture_end();
}

TEST(job, load_defaults_and_values)
{
	const char *path = test_write("job", "[source]\nrepo = /src/x\nbuild = make -j2\n"
				      "artifact = out/img\nenv = CC=clang \"CFLAGS=-O2 -g\"\n");
	struct job j;

	REQUIRE(!job_load(&j, path));
	CHECK(j.has_source);
	CHECK_STR(j.source.repo, "/src/x");
	CHECK_STR(j.source.branch, "main");
	CHECK_STR(j.source.workdir, "builds");
	CHECK_STR(j.source.images, "");
	CHECK_NEAR(j.source.build_timeout, 3600, 0);
	CHECK_INT(argv_len(j.source.build), 2);
	CHECK_STR(j.source.env[1], "CFLAGS=-O2 -g");
	job_release(&j);
	path = test_write("job2", "[run]\nrepeat = 2\n");
	REQUIRE(!job_load(&j, path));
	CHECK(!j.has_source);
	job_release(&j);
	test_capture_start();
	path = test_write("hosts", "[host a]\naddress = local\nrole = dut\n");
	CHECK(job_load(&j, path) < 0);
	CHECK_CONTAINS(test_captured(), "is not a job file");
	job_release(&j);
	test_capture_end();
}

TEST(build, key_covers_every_input)
{
	char *argv1[] = { "make", "{image}", NULL }, *argv2[] = { "make", "-j2", "{image}", NULL };
	char *env[] = { "CC=gcc", NULL };
	struct build_key_input in = { "t1", NULL, argv1, NULL, "", "tc" }, v;
	char base[SHA256_HEX], k[SHA256_HEX];

	build_key(base, &in);
	CHECK(image_key_ok(base));
	build_key(k, &in);
	CHECK_STR(k, base);		/* deterministic */
	v = in; v.tree = "t2"; build_key(k, &v); CHECK(strcmp(k, base));
	v = in; v.commit = "c1"; build_key(k, &v); CHECK(strcmp(k, base));
	v = in; v.argv = argv2; build_key(k, &v); CHECK(strcmp(k, base));
	v = in; v.env = env; build_key(k, &v); CHECK(strcmp(k, base));
	v = in; v.artifact = "x"; build_key(k, &v); CHECK(strcmp(k, base));
	v = in; v.toolchain = "tc2"; build_key(k, &v); CHECK(strcmp(k, base));
}

TEST(build, key_fields_cannot_shift)
{
	char *a[] = { "ab", "c", NULL }, *b[] = { "a", "bc", NULL };
	struct build_key_input x = { "t", NULL, a, NULL, "", "" }, y = x;
	char kx[SHA256_HEX], ky[SHA256_HEX];

	y.argv = b;
	build_key(kx, &x);
	build_key(ky, &y);
	CHECK(strcmp(kx, ky));
}

TEST(build, toolchain_fingerprint)
{
	char *build[] = { "sh", "-c", "true", NULL }, *env[] = { "CC=no-such-compiler-xyz", NULL };
	char *local[] = { "./build.sh", NULL };
	struct job_source src = { 0 };
	struct strbuf sb = STRBUF_INIT;

	src.build = build;
	build_toolchain(&sb, &src);
	CHECK_CONTAINS(sb.buf, "compiler cc: ");
	CHECK_CONTAINS(sb.buf, " sha256 ");
	CHECK_CONTAINS(sb.buf, "tool sh: ");
	strbuf_reset(&sb);
	src.env = env;
	src.build = local;
	build_toolchain(&sb, &src);
	CHECK_CONTAINS(sb.buf, "compiler no-such-compiler-xyz: not found\n");
	CHECK_CONTAINS(sb.buf, "tool ./build.sh: in the worktree\n");
	strbuf_release(&sb);
}

TEST(build, branch_names)
{
	CHECK(build_branch_ok("main"));
	CHECK(build_branch_ok("x;$(touch${IFS}pwned)`id`'\""));
	CHECK(!build_branch_ok("a b"));
	CHECK(!build_branch_ok("a..b"));
	CHECK(!build_branch_ok("a~1"));
}

TEST(images, times)
{
	double t;
	char buf[40];

	CHECK(!parse_time_utc("2026-11-23T17:02:03.123Z", &t));
	CHECK_NEAR(t, 1795453323.123, 1e-6);
	CHECK(!parse_time_utc("1970-01-01T00:00:00Z", &t));
	CHECK_NEAR(t, 0, 0);
	fmt_time_utc((uint64_t)(1795453323.5 * 1e9), buf, sizeof(buf));
	CHECK(!parse_time_utc(buf, &t));
	CHECK_NEAR(t, 1795453323.5, 1e-3);
	CHECK(parse_time_utc("2026-11-23 17:02:03Z", &t));
	CHECK(parse_time_utc("2026-11-23T17:02:03", &t));
	CHECK(parse_time_utc("2026-11-23T17:02:03.Z", &t));
	CHECK(parse_time_utc("2026-11-23T17:02:03Zjunk", &t));
	CHECK(parse_time_utc("", &t));
	/* outside what fmt_time_utc's 64-bit nanoseconds hold (found by fuzz-imagemeta) */
	CHECK(parse_time_utc("3013-11-23T18:00:00.000Z", &t));
	CHECK(parse_time_utc("1969-12-31T23:59:59Z", &t));
	CHECK(parse_time_utc("2026-11-23T17:02:03.5e300Z", &t));
	CHECK(!parse_time_utc("2500-01-01T00:00:00Z", &t));
}

static void sample_meta(struct image_meta *m, const char *key, int status, double used)
{
	char *argv[] = { "make", "{image}", NULL };

	memset(m, 0, sizeof(*m));
	m->key = xstrdup(key);
	m->status = status;
	m->repo = xstrdup("/src");
	m->commit = xstrdup("0123456789012345678901234567890123456789");
	m->tree = xstrdup("abcdefabcdefabcdefabcdefabcdefabcdefabcd");
	m->subject = xstrdup("fix $(touch pwned) `id`; 'q' \"dq\"\tand \u00e9");
	m->argv = argv_dup(argv);
	m->env = xcalloc(1, sizeof(char *));
	m->artifact = xstrdup("");
	m->toolchain = xstrdup("compiler cc: /usr/bin/cc\n");
	m->size = status == IMAGE_OK ? 1234 : 0;
	m->created = used - 10;
	m->last_used = used;
	m->build_s = 1.5;
	m->exit_code = status == IMAGE_OK ? 0 : 2;
	m->reason = xstrdup(status == IMAGE_OK ? "" : "exit 2");
	m->log_tail = xstrdup(status == IMAGE_OK ? "" : "x.c:1: error: oops");
	m->log = xstrdup("build.log");
}

#define KEY_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define KEY_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define KEY_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

TEST(images, meta_round_trip)
{
	struct image_meta m, back;
	json_t *o;
	char *text;

	sample_meta(&m, KEY_A, IMAGE_FAILED, 1795453323.0);
	o = image_meta_json(&m);
	text = json_dump_pretty(o);
	REQUIRE(!image_meta_parse(&back, text, strlen(text), "meta.json"));
	CHECK_STR(back.key, m.key);
	CHECK_INT(back.status, IMAGE_FAILED);
	CHECK_STR(back.subject, m.subject);	/* verbatim */
	CHECK_STR(back.argv[1], "{image}");
	CHECK_INT(back.exit_code, 2);
	CHECK_STR(back.log_tail, "x.c:1: error: oops");
	CHECK_NEAR(back.last_used, m.last_used, 1e-3);
	CHECK_NEAR(back.build_s, 1.5, 1e-9);
	image_meta_release(&back);
	free(text);
	json_decref(o);
	image_meta_release(&m);
}

/* Parse text, expecting an error that mentions want. */
static void meta_bad(const char *text, size_t len, const char *want)
{
	struct image_meta m;

	test_capture_start();
	CHECK(image_meta_parse(&m, text, len, "m.json") < 0);
	CHECK_CONTAINS(test_captured(), want);
	test_capture_end();
}

/* The sample document with one key replaced (value NULL: removed). */
static char *meta_with(const char *key, json_t *value)
{
	struct image_meta m;
	json_t *o;
	char *text;

	sample_meta(&m, KEY_A, IMAGE_OK, 1795453323.0);
	o = image_meta_json(&m);
	if (value)
		json_object_set_new(o, key, value);
	else
		json_object_del(o, key);
	text = json_dump_compact(o);
	json_decref(o);
	image_meta_release(&m);
	return text;
}

static void meta_bad_field(const char *key, json_t *value, const char *want)
{
	char *text = meta_with(key, value);

	meta_bad(text, strlen(text), want);
	free(text);
}

TEST(images, meta_broken_input)
{
	char *good = meta_with("unknown_key", json_string("ignored"));
	struct image_meta m;
	char *huge;

	REQUIRE(!image_meta_parse(&m, good, strlen(good), "m.json"));	/* unknown keys pass */
	image_meta_release(&m);
	meta_bad(good, strlen(good) / 2, "m.json:1:");			/* truncated */
	meta_bad("", 0, "m.json:");
	meta_bad("\x7f" "ELF\x01\x02\x00\xff", 8, "m.json:");		/* binary */
	meta_bad("[1, 2]", 6, "not a JSON object");
	meta_bad("{\"version\": 1, \"version\": 1}", 28, "m.json:");	/* duplicate key */
	huge = xcalloc(IMAGE_META_MAX + 2, 1);
	memset(huge, ' ', IMAGE_META_MAX + 1);
	meta_bad(huge, IMAGE_META_MAX + 1, "larger than");
	free(huge);
	free(good);
	meta_bad_field("version", json_integer(2), "version 2; this perflab reads version 1");
	meta_bad_field("version", NULL, "'version' is not an integer");
	meta_bad_field("key", json_string("../../etc"), "'key' is not 64 lowercase hex");
	meta_bad_field("key", json_integer(5), "'key' is not a string");
	meta_bad_field("status", json_string("maybe"), "'status' is neither");
	meta_bad_field("commit", json_string("HEAD"), "'commit' is not a hex object id");
	meta_bad_field("tree", NULL, "'tree' is missing");
	meta_bad_field("build_argv", json_string("make"), "'build_argv' is not an array");
	meta_bad_field("env", json_pack("[i]", 1), "'env' holds something other than strings");
	meta_bad_field("size_bytes", json_integer(-1), "'size_bytes' is not an integer in range");
	meta_bad_field("created", json_string("yesterday"), "'created' is not a UTC time");
	meta_bad_field("build_s", json_string("1"), "'build_s' is not a number");
	meta_bad_field("exit_code", json_integer(300), "'exit_code' is not an exit code");
	meta_bad_field("log", json_string("../../etc/shadow"), "'log' is not a file name");
	meta_bad_field("subject", json_null(), "'subject' is not a string");
}

static void put_entry(const char *images, const char *key, int status, double used,
		      size_t image_bytes)
{
	struct image_meta m;
	char *dir = image_entry_dir(images, key), *img = xasprintf("%s/image", dir);
	char *blob = xcalloc(image_bytes + 1, 1);

	REQUIRE(!mkdir_p(dir));
	sample_meta(&m, key, status, used);
	CHECK(!image_meta_save(&m, dir));
	memset(blob, 'x', image_bytes);
	if (status == IMAGE_OK)
		CHECK(!write_file_atomic(img, blob, image_bytes, 0));
	image_meta_release(&m);
	free(blob);
	free(img);
	free(dir);
}

static int entries(const char *images)
{
	struct image_list l;
	int n;

	if (images_list(&l, images))
		return -1;
	n = (int)l.nr;
	image_list_release(&l);
	return n;
}

TEST(images, list_and_prune)
{
	char *images = xasprintf("%s/images", test_tmpdir());
	struct prune_opts o = { -1, NAN, 0, 0, 1795453323.0 };
	struct prune_result r;
	struct image_list l;
	char *dir;
	int fd;

	put_entry(images, KEY_A, IMAGE_OK, 1795453000.0, 100);	/* oldest */
	put_entry(images, KEY_B, IMAGE_FAILED, 1795453300.0, 0);
	put_entry(images, KEY_C, IMAGE_OK, 1795453320.0, 5000);	/* newest */
	REQUIRE(!images_list(&l, images));
	REQUIRE(l.nr == 3);
	CHECK_STR(l.v[0].meta.key, KEY_C);	/* most recently used first */
	CHECK_STR(l.v[2].meta.key, KEY_A);
	CHECK(l.v[0].disk_bytes > 5000);
	image_list_release(&l);
	o.failed = 1;
	REQUIRE(!images_prune(&r, images, &o, NULL, NULL));
	CHECK_INT(r.removed, 1);
	CHECK_INT(entries(images), 2);
	dir = image_entry_dir(images, KEY_B);
	CHECK(!path_exists(dir));
	free(dir);
	dir = xasprintf("%s/%s.lock", images, KEY_B);
	CHECK(!path_exists(dir));	/* its lock file goes with it */
	free(dir);
	o.failed = 0;
	o.older_than = 60;		/* KEY_A was last used 323 s ago */
	o.dry_run = 1;
	REQUIRE(!images_prune(&r, images, &o, NULL, NULL));
	CHECK_INT(r.removed, 1);
	CHECK_INT(entries(images), 2);	/* a dry run removes nothing */
	o.dry_run = 0;
	REQUIRE(!image_lock(&fd, images, KEY_A, IMAGE_LOCK_SH));	/* in use */
	REQUIRE(!images_prune(&r, images, &o, NULL, NULL));
	CHECK_INT(r.removed, 0);
	CHECK_INT(r.busy, 1);
	image_unlock(fd);
	o.older_than = NAN;
	o.keep = 1;
	REQUIRE(!images_prune(&r, images, &o, NULL, NULL));
	CHECK_INT(r.removed, 1);
	CHECK(r.bytes > 100);
	CHECK_INT(r.kept, 1);
	CHECK_INT(entries(images), 1);
	free(images);
}

TEST(images, locks)
{
	const char *images = test_tmpdir();
	int a, b;

	REQUIRE(!image_lock(&a, images, KEY_A, IMAGE_LOCK_SH));
	CHECK_INT(image_lock(&b, images, KEY_A, IMAGE_LOCK_SH | IMAGE_LOCK_NB), 0);
	image_unlock(b);
	CHECK_INT(image_lock(&b, images, KEY_A, IMAGE_LOCK_EX | IMAGE_LOCK_NB), 1);
	CHECK_INT(b, -1);
	image_unlock(a);
	CHECK_INT(image_lock(&b, images, KEY_A, IMAGE_LOCK_EX | IMAGE_LOCK_NB), 0);
	image_unlock(b);
}

TEST(images, unreadable_entries_are_skipped)
{
	char *images = xasprintf("%s/images", test_tmpdir());
	char *dir = image_entry_dir(images, KEY_A), *meta = xasprintf("%s/meta.json", dir);

	put_entry(images, KEY_B, IMAGE_OK, 1795453000.0, 10);
	REQUIRE(!mkdir_p(dir));
	CHECK(!write_file_atomic(meta, "{\"version\":", 11, 0));
	test_capture_start();
	CHECK_INT(entries(images), 1);
	CHECK_CONTAINS(test_captured(), "skipping cache entry");
	test_capture_end();
	CHECK_INT(entries("/nonexistent/images"), 0);
	free(meta);
	free(dir);
	free(images);
}
