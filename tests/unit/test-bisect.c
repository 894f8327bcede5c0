#include "tests/unit/test.h"
#include "bisect/bisect.h"
#include "bisect/simulate.h"
#include "common/json.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

/* With values far apart (no noise to speak of) the first probe is git's midpoint. */
TEST(bisect, engine_first_probe_is_git_midpoint)
{
	for (size_t n = 2; n <= 40; n++) {
		struct engine_config c;
		struct engine_request q[8];
		struct engine *e;
		int k;
		long want = -1, best = -1;

		engine_config_init(&c, n);
		REQUIRE((e = engine_new(&c)));
		while ((k = engine_next(e, q, 8)) > 0 && !strcmp(q[0].why, "endpoint"))
			for (int i = 0; i < k; i++)
				for (unsigned r = 0; r < q[i].runs; r++)
					engine_observe(e, q[i].commit, q[i].commit < 0 ? 100 + r * 0.01 : 200 + r * 0.01);
		/* git: the first commit (list order) maximising min(w, n - w), w = x + 1 */
		for (size_t x = 0; x < n; x++) {
			long d = (long)(x + 1) < (long)(n - x - 1) ? (long)(x + 1) : (long)(n - x - 1);

			if (d > best) {
				best = d;
				want = (long)x;
			}
		}
		if (n > 2)
			CHECK_INT(q[0].commit, want);
		engine_free(e);
	}
}

static int planted(const size_t *s, size_t n, void *data)
{
	const size_t *want = data;
	int a = 0, b = 0;

	for (size_t i = 0; i < n; i++) {
		a |= s[i] == want[0];
		b |= s[i] == want[1];
	}
	return a && b ? KNOBS_BAD : KNOBS_GOOD;
}

TEST(bisect, knobs_finds_the_planted_pair)
{
	size_t want[2] = { 3, 11 };
	struct knobs_result r;

	REQUIRE(knobs_ddmin(&r, 16, planted, want) == 0);
	CHECK_INT(r.n, 2);
	if (r.n == 2) {
		CHECK_INT(r.items[0], 3);
		CHECK_INT(r.items[1], 11);
	}
	CHECK(r.tests < 40);
	knobs_result_release(&r);
	want[1] = 3;	/* one item */
	REQUIRE(knobs_ddmin(&r, 16, planted, want) == 0);
	CHECK_INT(r.n, 1);
	knobs_result_release(&r);
	want[0] = 99;	/* never bad: refused */
	test_capture_start();
	CHECK(knobs_ddmin(&r, 16, planted, want) < 0);
	CHECK_CONTAINS(test_captured(), "does not reproduce");
	test_capture_end();
}

/* A fake linear range of n commits for the journal. */
static void fake_revs(struct bisect_revs *r, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->n = n;
	r->commits = xcalloc(n, sizeof(*r->commits));
	for (size_t i = 0; i < n; i++) {
		snprintf(r->commits[i].id, 41, "%040zx", i + 1);
		r->commits[i].subject = xasprintf("commit %zu", i);
		r->commits[i].parents = xcalloc(2, sizeof(size_t));
		if (i)
			r->commits[i].parents[r->commits[i].nparents++] = i - 1;
	}
	memcpy(r->bad, r->commits[n - 1].id, 41);
	r->goods = xcalloc(2, sizeof(char *));
	r->goods[0] = xstrdup("00000000000000000000000000000000000000aa");
	r->ngoods = 1;
	revs_fill_ancestry(r);
}

static double fake_value(long commit, unsigned i)
{
	return (commit >= 9 ? 103 : 100) + (double)((i * 7919 + (unsigned)commit * 31) % 11) / 10;
}

/* Run an engine against fake values, journaling; stop after stop rounds. */
static void drive(const char *path, const struct bisect_revs *r, unsigned stop,
		  struct engine_result *res)
{
	struct engine_config c;
	struct engine_request q[8];
	struct journal j;
	struct engine *e;
	int n;
	unsigned i = 0;

	engine_config_init(&c, r->n);
	c.threshold = 0.01;
	e = engine_new(&c);
	journal_create(&j, path);
	journal_start(&j, &c, r, "cpu");
	while ((n = engine_next(e, q, 8)) > 0 && engine_round(e) <= stop) {
		journal_round(&j, engine_round(e), r, q, (size_t)n);
		for (int k = 0; k < n; k++)
			for (unsigned x = 0; x < q[k].runs; x++, i++) {
				engine_observe(e, q[k].commit, fake_value(q[k].commit, i));
				journal_measurement(&j, r, q[k].commit, fake_value(q[k].commit, i),
						    NULL, engine_round(e));
			}
	}
	engine_result(e, res);
	journal_result(&j, r, res);
	journal_close(&j);
	engine_free(e);
}

TEST(bisect, journal_replay_reaches_the_same_state)
{
	struct bisect_revs r, r2;
	struct engine_result full, part, again;
	struct engine *e;
	char *path = xasprintf("%s/j.ndjson", test_tmpdir());
	char *path2 = xasprintf("%s/j2.ndjson", test_tmpdir());

	fake_revs(&r, 24);
	drive(path, &r, 1000, &full);
	CHECK_INT(full.status, BISECT_CULPRIT);
	CHECK_INT(full.culprit, 9);
	/* Replaying the whole journal gives the same result. */
	REQUIRE(journal_replay(path, &e, &r2) == 0);
	{
		struct engine_request q[8];

		CHECK_INT(engine_next(e, q, 8), 0);	/* nothing left to measure */
	}
	engine_result(e, &again);
	CHECK_INT(again.status, full.status);
	CHECK_INT(again.culprit, full.culprit);
	CHECK_INT(again.runs, full.runs);
	CHECK_INT(r2.n, 24);
	engine_result_release(&again);
	engine_free(e);
	revs_release(&r2);
	/* A journal cut after 3 rounds, replayed and continued, ends the same. */
	drive(path2, &r, 3, &part);
	CHECK_INT(part.status, BISECT_RUNNING);
	REQUIRE(journal_replay(path2, &e, &r2) == 0);
	{
		struct engine_request q[8];
		int n;
		unsigned i = part.runs;

		while ((n = engine_next(e, q, 8)) > 0)
			for (int k = 0; k < n; k++)
				for (unsigned x = 0; x < q[k].runs; x++, i++)
					engine_observe(e, q[k].commit, fake_value(q[k].commit, i));
	}
	engine_result(e, &again);
	CHECK_INT(again.culprit, full.culprit);
	CHECK_INT(again.status, full.status);
	engine_result_release(&again);
	engine_free(e);
	revs_release(&r2);
	engine_result_release(&full);
	engine_result_release(&part);
	revs_release(&r);
	free(path);
	free(path2);
}

static int count_lines(const struct json_t *ev, unsigned long lineno, void *data)
{
	(*(unsigned long *)data)++;
	return 0;
}

TEST(bisect, journal_torn_line_and_damage)
{
	const char *good = "{\"ev\":\"round\",\"round\":1,\"requests\":[]}\n";
	char *text = xasprintf("%s%s{\"ev\":\"measurement\",\"comm", good, good);
	const char *p = test_write("torn.ndjson", text);
	unsigned long n = 0;
	int torn = 0;
	struct journal j;

	CHECK_INT(journal_read(p, count_lines, &n, &torn), 0);
	CHECK_INT(n, 2);
	CHECK_INT(torn, 1);
	/* Opening to append cuts the torn tail first, and says so. */
	test_capture_start();
	REQUIRE(journal_open(&j, p) == 0);
	CHECK_CONTAINS(test_captured(), "cut its torn last line");
	test_capture_end();
	journal_close(&j);
	n = 0;
	CHECK_INT(journal_read(p, count_lines, &n, &torn), 0);
	CHECK_INT(torn, 0);
	CHECK_INT(n, 2);
	free(text);
	/* Damage elsewhere is an error naming the file and the line. */
	text = xasprintf("%snot json\n%s", good, good);
	p = test_write("damaged.ndjson", text);
	test_capture_start();
	CHECK(journal_read(p, count_lines, &n, &torn) < 0);
	CHECK_CONTAINS(test_captured(), "damaged.ndjson:2:");
	test_capture_end();
	free(text);
	p = test_write("unknown.ndjson", "{\"ev\":\"bogus\"}\n");
	test_capture_start();
	CHECK(journal_read(p, NULL, NULL, &torn) < 0);
	CHECK_CONTAINS(test_captured(), "unknown.ndjson:1: not a journal event");
	test_capture_end();
}

/*
 * A last line that is a whole event without its newline is an event, not
 * a torn line: reading counts it and never writes; opening to append
 * ends it instead of cutting it (issue 14 #4).
 */
TEST(bisect, journal_whole_last_line_is_kept)
{
	const char *good = "{\"ev\":\"round\",\"round\":1,\"requests\":[]}";
	const char *p = test_write("whole.ndjson", good);
	unsigned long n = 0;
	int torn = 1;
	struct journal j;
	char *text;

	CHECK_INT(journal_read(p, count_lines, &n, &torn), 0);
	CHECK_INT(n, 1);
	CHECK_INT(torn, 0);
	text = read_file(p, 0, NULL);
	CHECK_STR(text, good);	/* reading never writes */
	free(text);
	REQUIRE(journal_open(&j, p) == 0);
	CHECK_INT(journal_append(&j, json_pack("{s:s, s:i, s:[]}", "ev", "round", "round", 2,
					       "requests")), 0);
	journal_close(&j);
	n = 0;
	CHECK_INT(journal_read(p, count_lines, &n, &torn), 0);
	CHECK_INT(n, 2);
	CHECK_INT(torn, 0);
}

/*
 * Numbers a journal may hold but a long cannot: a commit index of 1e300
 * or 2^63, a direction missing or not a number. Each is an error naming
 * the line, never an out-of-range conversion (issue 14 #10; the unit
 * tests halt on undefined behaviour).
 */
static const char *start_line(const char *direction)
{
	static char line[1024];

	snprintf(line, sizeof(line),
		 "{\"ev\":\"start\",\"config\":{\"n\":2,%s\"threshold\":0.05,\"k\":1,"
		 "\"max_runs\":40,\"max_builds\":4,\"confirm_runs\":2,\"max_side_runs\":4,"
		 "\"confidence\":0.99,\"seed\":\"1\"},\"metric\":\"cpu\","
		 "\"bad\":\"%040x\",\"goods\":[\"%040x\"],\"first_parent\":0,"
		 "\"commits\":[{\"id\":\"%040x\",\"subject\":\"a\",\"parents\":[]},"
		 "{\"id\":\"%040x\",\"subject\":\"b\",\"parents\":[0]}]}\n",
		 direction, 2, 9, 1, 2);
	return line;
}

static void replay_refused(const char *name, const char *text, const char *want)
{
	struct bisect_revs r;
	struct engine *e = NULL;
	const char *p = test_write(name, text);

	test_capture_start();
	CHECK(journal_replay(p, &e, &r) < 0);
	CHECK(e == NULL);
	CHECK_CONTAINS(test_captured(), want);
	test_capture_end();
}

TEST(bisect, journal_replay_out_of_range_numbers)
{
	char *ok = xstrdup(start_line("\"direction\":1,")), *text;

	replay_refused("nodir.ndjson", start_line(""), "nodir.ndjson:1: a damaged start line");
	replay_refused("strdir.ndjson", start_line("\"direction\":\"up\","),
		       "strdir.ndjson:1: a damaged start line");
	replay_refused("bigdir.ndjson", start_line("\"direction\":1e300,"),
		       "bigdir.ndjson:1: a damaged start line");
	text = xasprintf("%s{\"ev\":\"measurement\",\"commit\":1e300,\"value\":1}\n", ok);
	replay_refused("c1e300.ndjson", text, "c1e300.ndjson:2: no commit index");
	free(text);
	text = xasprintf("%s{\"ev\":\"unbuildable\",\"commit\":9.223372036854775808e18}\n", ok);
	replay_refused("c2p63.ndjson", text, "c2p63.ndjson:2: no commit index");
	free(text);
	text = xasprintf("%s{\"ev\":\"unbuildable\",\"commit\":9223372036854775808}\n", ok);
	replay_refused("i2p63.ndjson", text, "i2p63.ndjson:2:");	/* jansson: too big */
	free(text);
	text = xasprintf("%s{\"ev\":\"measurement\",\"commit\":-9.3e18,\"value\":1}\n", ok);
	replay_refused("cneg.ndjson", text, "cneg.ndjson:2: no commit index");
	free(text);
	text = xasprintf("%s{\"ev\":\"measurement\",\"commit\":0.5,\"value\":1}\n", ok);
	replay_refused("chalf.ndjson", text, "chalf.ndjson:2: no commit index");
	free(text);
	free(ok);
}

TEST(bisect, simulation_rates_are_deterministic)
{
	struct sim_cell c = { 32, 2, SIM_GAUSSIAN, 1, 30, 42 };
	struct sim_stats a, b;

	REQUIRE(sim_run(&a, &c) == 0);
	REQUIRE(sim_run(&b, &c) == 0);
	CHECK(a.exact == b.exact && a.runs_mean == b.runs_mean && a.builds_p95 == b.builds_p95);
	CHECK(a.exact >= 0.9);
	CHECK(a.runs_mean < 100);
	c.d = 0;
	REQUIRE(sim_run(&a, &c) == 0);
	CHECK(a.named <= 0.07);
	c.d = 3;
	c.noise = SIM_FAILURES;
	REQUIRE(sim_run(&a, &c) == 0);
	CHECK(a.in_range >= 0.85);
}
