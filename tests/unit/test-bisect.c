#include "tests/unit/test.h"
#include "bisect/bisect.h"
#include "bisect/simulate.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/rand.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

/*
 * Feed every request of the round: value(commit, run index) for each run,
 * in the order given, with the request's block. Returns the requests.
 */
typedef double (*value_fn)(long commit, unsigned i, void *data);

static int feed_round(struct engine *e, struct engine_request *q, size_t max, value_fn fn,
		      void *data, unsigned *i)
{
	int n = engine_next(e, q, max);

	for (int k = 0; k < n; k++)
		for (unsigned x = 0; x < q[k].runs; x++, (*i)++)
			engine_observe_block(e, q[k].commit, q[k].block, fn(q[k].commit, *i, data));
	return n;
}

static double far_apart(long commit, unsigned i, void *data)
{
	return commit < 0 ? 100 + i * 0.01 : 200 + i * 0.01;
}

/* With values far apart (no noise to speak of) the first probe is git's midpoint. */
TEST(bisect, engine_first_probe_is_git_midpoint)
{
	for (size_t n = 3; n <= 40; n++) {
		struct engine_config c;
		struct engine_request q[64];
		struct engine *e;
		unsigned i = 0;
		long want = -1, best = -1, probe = -2;
		int k;

		engine_config_init(&c, n);
		REQUIRE((e = engine_new(&c)));
		/* the endpoints' first look comes alone: their pairs, then the first probe */
		feed_round(e, q, 64, far_apart, NULL, &i);
		k = engine_next(e, q, 64);
		for (int j = 0; j < k; j++)
			if (!strcmp(q[j].why, "probe"))
				probe = q[j].commit;
		/* git: the first commit (list order) maximising min(w, n - w), w = x + 1 */
		for (size_t x = 0; x < n; x++) {
			long d = (long)(x + 1) < (long)(n - x - 1) ? (long)(x + 1) : (long)(n - x - 1);

			if (d > best) {
				best = d;
				want = (long)x;
			}
		}
		CHECK_INT(probe, want);
		engine_free(e);
	}
}

/* The first round: endpoint blocks spread over the lanes, ABBA quartets, seeded. */
TEST(bisect, engine_blocks_and_lanes)
{
	struct engine_config c;
	struct engine_request q[64], q2[64];
	struct engine *e, *e2;
	int n, n2, flips = 0;

	engine_config_init(&c, 24);
	c.k = 2;
	REQUIRE((e = engine_new(&c)));
	n = engine_next(e, q, 64);
	CHECK_INT(n, 20);	/* 10 pairs: 5 blocks of 2 a lane */
	for (int i = 0; i < n; i++) {
		CHECK_INT(q[i].lane, i < 10 ? 0 : 1);
		CHECK_INT(q[i].block, i / 2);
		CHECK_INT(q[i].runs, 1);
		CHECK_STR(q[i].why, "endpoint");
		CHECK(q[i].commit == BISECT_GOOD_END || q[i].commit == 23);
		if (i % 2)
			CHECK(q[i].commit != q[i - 1].commit);
	}
	/* within a quartet the second block mirrors the first (A B, B A) */
	for (int b = 0; b + 1 < 5; b += 2) {
		CHECK(q[2 * b].commit == q[2 * b + 3].commit);
		flips += q[2 * b].commit == BISECT_GOOD_END;
	}
	CHECK(flips >= 0);
	/* the same seed gives the same order; the API refuses a block with no such request */
	REQUIRE((e2 = engine_new(&c)));
	n2 = engine_next(e2, q2, 64);
	CHECK_INT(n2, n);
	for (int i = 0; i < n && i < n2; i++)
		CHECK(q[i].commit == q2[i].commit && q[i].block == q2[i].block);
	test_capture_start();
	CHECK(engine_observe_block(e, 5, 0, 100) < 0);
	CHECK(engine_observe_block(e, BISECT_GOOD_END, 99, 100) < 0);
	CHECK_CONTAINS(test_captured(), "no block 99");
	test_capture_end();
	/* a partial round comes back with what is left, in order */
	engine_observe_block(e, q[0].commit, q[0].block, 100);
	CHECK_INT(engine_next(e, q2, 64), n - 1);
	CHECK(q2[0].block == q[1].block && q2[0].commit == q[1].commit);
	engine_free(e);
	engine_free(e2);
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

/*
 * Run an engine against fake values, journaling; stop after stop rounds.
 * With blocks, runs are journaled and observed with their block (as
 * today); without, as journals written before blocks were.
 */
static void drive(const char *path, const struct bisect_revs *r, unsigned stop, int blocks,
		  struct engine_result *res)
{
	struct engine_config c;
	struct engine_request q[256];
	struct journal j;
	struct engine *e;
	int n;
	unsigned i = 0;

	engine_config_init(&c, r->n);
	c.threshold = 0.01;
	e = engine_new(&c);
	journal_create(&j, path);
	journal_start(&j, &c, r, "cpu");
	while ((n = engine_next(e, q, ARRAY_SIZE(q))) > 0 && engine_round(e) <= stop) {
		journal_round(&j, engine_round(e), r, q, (size_t)n);
		for (int k = 0; k < n; k++)
			for (unsigned x = 0; x < q[k].runs; x++, i++) {
				double v = fake_value(q[k].commit, i);

				if (blocks) {
					engine_observe_block(e, q[k].commit, q[k].block, v);
					journal_measurement_block(&j, r, q[k].commit, q[k].block, v,
								  NULL, engine_round(e));
				} else {
					engine_observe(e, q[k].commit, v);
					journal_measurement(&j, r, q[k].commit, v, NULL,
							    engine_round(e));
				}
			}
	}
	engine_result(e, res);
	journal_result(&j, r, res);
	journal_close(&j);
	engine_free(e);
}

/* Replay path and finish the bisection from where the journal ended. */
static void replay_and_finish(const char *path, unsigned i, struct engine_result *out,
			      size_t *n)
{
	struct bisect_revs r2;
	struct engine *e;
	struct engine_request q[256];
	int k;

	memset(out, 0, sizeof(*out));
	if (journal_replay(path, &e, &r2)) {
		test_fail(__FILE__, __LINE__, "'%s' does not replay", path);
		return;
	}
	*n = r2.n;
	while ((k = engine_next(e, q, ARRAY_SIZE(q))) > 0)
		for (int j = 0; j < k; j++)
			for (unsigned x = 0; x < q[j].runs; x++, i++)
				engine_observe_block(e, q[j].commit, q[j].block,
						     fake_value(q[j].commit, i));
	engine_result(e, out);
	engine_free(e);
	revs_release(&r2);
}

TEST(bisect, journal_replay_reaches_the_same_state)
{
	struct bisect_revs r;
	struct engine_result full, part, again;
	char *path[4];
	size_t n = 0;

	for (int i = 0; i < 4; i++)
		path[i] = xasprintf("%s/j%d.ndjson", test_tmpdir(), i);
	fake_revs(&r, 24);
	drive(path[0], &r, 1000, 1, &full);
	CHECK_INT(full.status, BISECT_CULPRIT);
	CHECK_INT(full.culprit, 9);
	/* Replaying the whole journal gives the same result, nothing left to measure. */
	replay_and_finish(path[0], full.runs, &again, &n);
	CHECK_INT(again.status, full.status);
	CHECK_INT(again.culprit, full.culprit);
	CHECK_INT(again.runs, full.runs);
	CHECK_INT(again.blocks, full.blocks);
	CHECK_INT(n, 24);
	engine_result_release(&again);
	/* A journal cut after 3 rounds, replayed and continued, ends the same. */
	drive(path[1], &r, 3, 1, &part);
	CHECK_INT(part.status, BISECT_RUNNING);
	replay_and_finish(path[1], part.runs, &again, &n);
	CHECK_INT(again.culprit, full.culprit);
	CHECK_INT(again.status, full.status);
	CHECK_INT(again.runs, full.runs);
	engine_result_release(&again);
	engine_result_release(&part);
	/* Journals without blocks (measured in request order) replay the same way. */
	drive(path[2], &r, 4, 0, &part);
	replay_and_finish(path[2], part.runs, &again, &n);
	CHECK_INT(again.culprit, full.culprit);
	CHECK_INT(again.runs, full.runs);
	engine_result_release(&again);
	engine_result_release(&part);
	engine_result_release(&full);
	revs_release(&r);
	for (int i = 0; i < 4; i++)
		free(path[i]);
}

/* A block the engine did not plan is a damaged journal, named by its line. */
TEST(bisect, journal_replay_refuses_a_foreign_block)
{
	struct bisect_revs r, r2;
	struct engine_result res;
	struct engine *e;
	char *path = xasprintf("%s/j.ndjson", test_tmpdir()), *text, *at;
	size_t len;

	fake_revs(&r, 24);
	drive(path, &r, 2, 1, &res);
	text = read_file(path, 0, &len);
	REQUIRE(text && (at = strstr(text, "\"block\":3,")));
	memcpy(at, "\"block\":9,", 10);	/* a measurement of round 1 moved to a later block */
	REQUIRE(write_file_atomic(path, text, len, 0) == 0);
	test_capture_start();
	CHECK(journal_replay(path, &e, &r2) < 0);
	CHECK_CONTAINS(test_captured(), "j.ndjson:");
	test_capture_end();
	free(text);
	free(path);
	engine_result_release(&res);
	revs_release(&r);
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

/* Every fault of a lab, and an improvement hunt: never a wrong culprit at a clear step. */
TEST(bisect, simulation_faults_and_improvements)
{
	for (int m = 0; m < SIM_NOISE_COUNT; m++) {
		struct sim_cell c = { 32, 3, (enum sim_noise)m, 1, 12, 5 + (uint64_t)m, m % 2 };
		struct sim_stats s;

		REQUIRE(sim_run(&s, &c) == 0);
		if (s.wrong > 0 || s.in_range < 0.75)
			test_fail(__FILE__, __LINE__, "%s%s: wrong %.3f, in range %.3f",
				  sim_noise_name(c.noise), c.improvement ? " (improvement)" : "",
				  s.wrong, s.in_range);
		CHECK(s.stated >= 0.99);
	}
	CHECK_INT(sim_noise_parse("loadstep"), SIM_LOADSTEP);
	CHECK_INT(sim_noise_parse("nosuch"), -1);
}

/* Values of a noisy history: gaussian noise from a seeded generator, a step at 9. */
struct story {
	struct rng r;
	double step;		/* the change at commit 9 and later */
	double ground;		/* added to every run from run `at` on */
	unsigned at;
	long culprit;
	unsigned burst;		/* the first `burst` runs of the bad end are this much higher */
};

static double story_value(long commit, unsigned i, void *data)
{
	struct story *st = data;
	double v = 100 + 0.5 * rng_normal(&st->r);

	if (commit >= st->culprit)
		v += st->step;
	if (i >= st->at)
		v += st->ground;
	if (commit == 23 && i < st->burst)
		v += 5;
	return v;
}

static void run_story(struct engine_config *c, struct story *st, struct engine_result *res,
		      int *saw_confirm_of)
{
	struct engine_request q[256];
	struct engine *e = engine_new(c);
	unsigned i = 0;
	int n;

	while ((n = feed_round(e, q, ARRAY_SIZE(q), story_value, st, &i)) > 0)
		for (int k = 0; k < n && saw_confirm_of; k++)
			if (!strcmp(q[k].why, "confirm"))
				saw_confirm_of[q[k].commit + 1] = 1;
	engine_result(e, res);
	engine_free(e);
}

/* A step in background load mid-bisection: the controls see it, the culprit stands. */
TEST(bisect, engine_ground_moves)
{
	struct engine_config c;
	struct engine_result res;
	struct story st = { .step = 1.5, .ground = 3, .at = 26, .culprit = 9 };

	rng_seed(&st.r, 3);
	engine_config_init(&c, 24);
	c.threshold = 0.01;
	run_story(&c, &st, &res, NULL);
	CHECK_INT(res.status, BISECT_CULPRIT);
	CHECK_INT(res.culprit, 9);
	CHECK_INT(res.ground_moved, 1);
	CHECK(res.ground_shift > 0.01);
	CHECK_CONTAINS(res.reason, "the ground moved");
	engine_result_release(&res);
	/* the same history on still ground says nothing of the kind */
	st.ground = 0;
	rng_seed(&st.r, 3);
	run_story(&c, &st, &res, NULL);
	CHECK_INT(res.culprit, 9);
	CHECK_INT(res.ground_moved, 0);
	CHECK(!strstr(res.reason, "ground"));
	engine_result_release(&res);
}

/* "Which commit made it faster?": old is slow, new fast, direction -1. */
TEST(bisect, engine_improvement_hunt)
{
	struct engine_config c;
	struct engine_result res;
	struct story st = { .step = -1.5, .at = ~0u, .culprit = 9 };

	rng_seed(&st.r, 4);
	engine_config_init(&c, 24);
	c.threshold = 0.01;
	c.direction = -1;
	run_story(&c, &st, &res, NULL);
	CHECK_INT(res.status, BISECT_CULPRIT);
	CHECK_INT(res.culprit, 9);
	CHECK(res.ratio < 1);
	engine_result_release(&res);
	/* hunted the wrong way round, the same history does not reproduce */
	c.direction = 1;
	rng_seed(&st.r, 4);
	run_story(&c, &st, &res, NULL);
	CHECK_INT(res.status, BISECT_NOT_REPRODUCED);
	engine_result_release(&res);
}

/* A culprit that is an endpoint goes through the same confirmation, in fresh blocks. */
TEST(bisect, engine_endpoint_culprits_are_confirmed)
{
	struct engine_config c;
	struct engine_result res;
	struct story st = { .step = 1.5, .at = ~0u, .culprit = 23 };
	int saw[25] = { 0 };

	rng_seed(&st.r, 5);
	engine_config_init(&c, 24);
	c.threshold = 0.01;
	run_story(&c, &st, &res, saw);
	CHECK_INT(res.status, BISECT_CULPRIT);
	CHECK_INT(res.culprit, 23);
	CHECK(saw[23] && saw[24]);	/* 22 and 23 measured as confirmation pairs */
	engine_result_release(&res);
	memset(saw, 0, sizeof(saw));
	st.culprit = 0;		/* the first commit: its parent is the good endpoint */
	rng_seed(&st.r, 5);
	run_story(&c, &st, &res, saw);
	CHECK_INT(res.status, BISECT_CULPRIT);
	CHECK_INT(res.culprit, 0);
	CHECK(saw[0] && saw[1]);
	engine_result_release(&res);
}

/*
 * Contaminated evidence: the bad endpoint's first runs came in a burst of
 * background work; there is no step. No culprit, whatever else.
 */
TEST(bisect, engine_no_culprit_from_a_burst)
{
	struct engine_config c;
	struct engine_result res;
	struct story st = { .step = 0, .at = ~0u, .culprit = 99, .burst = 40 };

	rng_seed(&st.r, 6);
	engine_config_init(&c, 24);
	c.threshold = 0.01;
	run_story(&c, &st, &res, NULL);
	CHECK(res.status != BISECT_CULPRIT && res.status != BISECT_RANGE);
	CHECK(res.reason[0] != '\0');
	engine_result_release(&res);
}

/* A DUT lost mid-round takes its runs: not a reason to skip the commits it measured. */
TEST(bisect, engine_lost_round_is_not_a_skip)
{
	struct engine_config c;
	struct engine_request q[256];
	struct engine_result res;
	struct engine *e;
	int n;

	engine_config_init(&c, 24);
	e = engine_new(&c);
	n = engine_next(e, q, ARRAY_SIZE(q));
	for (int k = 0; k < n; k++)
		for (unsigned x = 0; x < q[k].runs; x++)
			engine_observe_block(e, q[k].commit, q[k].block, NAN);
	CHECK(engine_next(e, q, ARRAY_SIZE(q)) > 0);	/* measured again */
	engine_result(e, &res);
	CHECK_INT(res.nskipped, 0);
	CHECK_INT(res.status, BISECT_RUNNING);
	CHECK_INT(res.good_end.verdict, VERDICT_GOOD);
	engine_result_release(&res);
	engine_free(e);
}
