#include "tests/unit/test.h"
#include "collectors/pmc.h"
#include "collectors/pmcname.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "store/summary.h"

#include <stdlib.h>
#include <unistd.h>

/* Translate spec; returns a static copy of the result or "ERR"/"NOALIAS". */
static const char *tr(const char *spec, int alias)
{
	static char buf[512];
	struct strbuf sb = STRBUF_INIT;
	int ret;

	test_capture_start();
	ret = pmcname_translate(spec, alias, &sb);
	test_capture_end();
	snprintf(buf, sizeof(buf), "%s", ret == PERFLAB_ENOTFOUND ? "NOALIAS" : ret ? "ERR" : sb.buf);
	strbuf_release(&sb);
	return buf;
}

TEST(pmcname, dotted_and_modifiers)
{
	CHECK_STR(tr("RESOURCE_STALLS.ANY", 0), "RESOURCE_STALLS:ANY");
	CHECK_STR(tr("snb::RESOURCE_STALLS.ANY", 0), "snb::RESOURCE_STALLS:ANY");
	CHECK_STR(tr("UOPS_EXECUTED.THREAD,inv,cmask=1", 0), "UOPS_EXECUTED:THREAD:i=1:c=1");
	CHECK_STR(tr("UOPS_EXECUTED.THREAD,INV,CMASK=0x2,edge", 0),
		  "UOPS_EXECUTED:THREAD:i=1:c=2:e=1");
	CHECK_STR(tr("RESOURCE_STALLS.ANY,usr", 0), "RESOURCE_STALLS:ANY:u=1:k=0");
	CHECK_STR(tr("RESOURCE_STALLS.ANY,os", 0), "RESOURCE_STALLS:ANY:u=0:k=1");
	CHECK_STR(tr("RESOURCE_STALLS.ANY,usr,os", 0), "RESOURCE_STALLS:ANY:u=1:k=1");
	CHECK_STR(tr("RESOURCE_STALLS.ANY,anythread", 0), "RESOURCE_STALLS:ANY:t=1");
	CHECK_STR(tr("MEM_TRANS_RETIRED.LATENCY_ABOVE_THRESHOLD,ldlat=3", 0),
		  "MEM_TRANS_RETIRED:LATENCY_ABOVE_THRESHOLD:ldlat=3");
	/* libpfm4's own spelling passes through */
	CHECK_STR(tr("UOPS_EXECUTED:THREAD:c=1:i=1", 0), "UOPS_EXECUTED:THREAD:c=1:i=1");
	CHECK_STR(tr("cycles", 0), "cycles");
	CHECK_STR(tr("RESOURCE_STALLS.ANY:c=1", 0), "RESOURCE_STALLS:ANY:c=1");
}

TEST(pmcname, alias_table)
{
	CHECK_STR(tr("UOPS_DISPATCHED.THREAD", 1), "UOPS_EXECUTED:THREAD");
	CHECK_STR(tr("uops_dispatched.thread,inv,cmask=1", 1), "UOPS_EXECUTED:THREAD:i=1:c=1");
	CHECK_STR(tr("snb::LONGEST_LAT_CACHE.MISS", 1), "snb::LLC_MISSES");
	CHECK_STR(tr("INST_RETIRED.ANY", 1), "INSTRUCTION_RETIRED");
	CHECK_STR(tr("llc-misses", 1), "cache-misses");
	CHECK_STR(tr("RESOURCE_STALLS.ANY", 1), "NOALIAS");
	CHECK_STR(tr("cycles", 1), "NOALIAS");
	/* every row is well formed: a dotted or lowercase pmcstat name, a libpfm4 name */
	for (const struct pmcname_alias *a = pmcname_aliases; a->pmcstat; a++) {
		CHECK(a->libpfm4 && a->where && !strchr(a->libpfm4, '.'));
		CHECK(strcmp(tr(a->pmcstat, 1), "ERR") && strcmp(tr(a->pmcstat, 1), "NOALIAS"));
	}
}

TEST(pmcname, broken)
{
	static const char *const bad[] = {
		"", ".", "RESOURCE_STALLS.", ".ANY", "A.B,", "A.B,,inv", "A.B,bogus",
		"A.B,cmask=", "A.B,cmask=256", "A.B,cmask=-1", "A.B,cmask=1x", "A.B,ldlat=99999999",
		"::A.B", "snb::x::A.B", "A B", "A.B\n", "\x01\x02", "\xc3\xa9vent", "A/B",
		"A.B,inv;rm -rf /",
	};
	char huge[PMCNAME_MAX + 2];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		for (int alias = 0; alias < 2; alias++)
			if (strcmp(tr(bad[i], alias), "ERR") && strcmp(tr(bad[i], alias), "NOALIAS"))
				test_fail(__FILE__, __LINE__, "'%s' translated to '%s'", bad[i],
					  tr(bad[i], alias));
	memset(huge, 'A', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	CHECK_STR(tr(huge, 0), "ERR");
	huge[PMCNAME_MAX] = '\0';
	CHECK(strcmp(tr(huge, 0), "ERR"));	/* exactly the limit is fine */
}

TEST(pmcname, split)
{
	char **v;
	static const char *const bad[] = { "", ",", "cycles,", ",cycles", "cycles,,instructions",
					   "inv,cycles", "cmask=1" };

	CHECK_INT(pmcname_split("cycles,UOPS_DISPATCHED.THREAD,inv,cmask=1,RESOURCE_STALLS.ANY",
				&v), 3);
	CHECK_STR(v[1], "UOPS_DISPATCHED.THREAD,inv,cmask=1");
	CHECK_STR(v[2], "RESOURCE_STALLS.ANY");
	CHECK(v[3] == NULL);
	argv_free(v);
	CHECK_INT(pmcname_split("task-clock", &v), 1);
	argv_free(v);
	test_capture_start();
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		v = (char **)1;
		if (pmcname_split(bad[i], &v) >= 0)
			test_fail(__FILE__, __LINE__, "'%s' split", bad[i]);
		CHECK(v == NULL);
	}
	test_capture_end();
}

TEST(pmcname, split_too_many)
{
	struct strbuf sb = STRBUF_INIT;
	char **v;

	for (int i = 0; i <= PMCNAME_LIST_MAX; i++)
		strbuf_addf(&sb, "%se%d", i ? "," : "", i);
	test_capture_start();
	CHECK_INT(pmcname_split(sb.buf, &v), -1);
	test_capture_end();
	strbuf_setlen(&sb, (size_t)(strrchr(sb.buf, ',') - sb.buf));
	CHECK_INT(pmcname_split(sb.buf, &v), PMCNAME_LIST_MAX);
	argv_free(v);
	strbuf_release(&sb);
}

/* Encode spec for pmu; config or ~0 on failure. */
static uint64_t config_of(const char *spec, const char *pmu)
{
	struct pmc_event e;
	uint64_t c;

	test_capture_start();
	if (pmc_encode(&e, spec, pmu)) {
		test_capture_end();
		return ~0ULL;
	}
	test_capture_end();
	c = e.config;
	pmc_event_release(&e);
	return c;
}

/* The acceptance encodings, for a PMU this host does not have. */
TEST(pmc, encode_sandy_bridge)
{
	CHECK_INT(config_of("UOPS_EXECUTED:THREAD:c=1:i=1", "snb"), 0x18001b1);
	CHECK_INT(config_of("snb::UOPS_EXECUTED:THREAD:c=1:i=1", NULL), 0x18001b1);
	CHECK_INT(config_of("RESOURCE_STALLS.ANY", "snb"), 0x1a2);
	CHECK_INT(config_of("RESOURCE_STALLS:ANY", "snb"), 0x1a2);
	CHECK_INT(config_of("UOPS_DISPATCHED.THREAD,inv,cmask=1", "snb"), 0x18001b1);
	CHECK_INT(config_of("UOPS_DISPATCHED.STALL_CYCLES", "snb"), 0x18001b1);
	CHECK_INT(config_of("RESOURCE_STALLS.ANY,usr", "snb"), 0x1a2);
}

/*
 * libpfm4 names the LLC events of Sandy Bridge oddly: LLC_MISSES is the
 * architectural event 0x412e (Intel's LONGEST_LAT_CACHE.MISS), but the
 * full name libpfm4 prints for it, LAST_LEVEL_CACHE_MISSES, is another
 * name of L3_LAT_CACHE:MISS and encodes as 0x12e. pmcstat's names must
 * land on the documented encodings.
 */
TEST(pmc, encode_llc_names)
{
	struct pmc_event e;

	CHECK_INT(config_of("LLC_MISSES", "snb"), 0x412e);
	CHECK_INT(config_of("LONGEST_LAT_CACHE.MISS", "snb"), 0x412e);
	CHECK_INT(config_of("llc-misses", NULL), 3);	/* pmcstat's alias: perf's cache-misses */
	CHECK_INT(config_of("LLC_REFERENCES", "snb"), 0x4f2e);
	CHECK_INT(config_of("LONGEST_LAT_CACHE.REFERENCE", "snb"), 0x4f2e);
	/* the odd ones, as libpfm4 4.13 has them */
	CHECK_INT(config_of("LAST_LEVEL_CACHE_MISSES", "snb"), 0x12e);
	CHECK_INT(config_of("L3_LAT_CACHE:MISS", "snb"), 0x12e);
	CHECK_INT(config_of("L3_LAT_CACHE.REFERENCE", "snb"), 0x22e);
	REQUIRE(!pmc_encode(&e, "LLC_MISSES", "snb"));
	CHECK_CONTAINS(e.pfm, "snb::LAST_LEVEL_CACHE_MISSES");
	pmc_event_release(&e);
	CHECK_INT(config_of("INST_RETIRED.ANY", "snb"), 0xc0);
	CHECK_INT(config_of("CPU_CLK_UNHALTED.THREAD", "snb"), 0x3c);
}

TEST(pmc, encode_aliases_exist)
{
	/* every Intel row of the alias table names an event libpfm4 has on snb or hsw */
	for (const struct pmcname_alias *a = pmcname_aliases; a->pmcstat; a++) {
		int generic = !strcmp(a->where, "any");

		if (generic)
			CHECK(config_of(a->pmcstat, NULL) != ~0ULL);
		else if (config_of(a->pmcstat, "snb") == ~0ULL && config_of(a->pmcstat, "hsw") == ~0ULL)
			test_fail(__FILE__, __LINE__, "alias '%s' does not encode", a->pmcstat);
	}
}

TEST(pmc, encode_generic_and_software)
{
	struct pmc_event e;
	static const char *const sw[] = { "task-clock", "cpu-clock", "context-switches",
					  "cpu-migrations", "page-faults", "minor-faults",
					  "major-faults" };

	REQUIRE(!pmc_encode(&e, "cycles", NULL));
	CHECK_INT(e.type, 0);
	CHECK_INT(e.config, 0);
	CHECK(!e.software);
	CHECK_STR(e.pmu, "perf");
	pmc_event_release(&e);
	CHECK_INT(config_of("instructions", NULL), 1);
	CHECK_INT(config_of("cache-misses", NULL), 3);
	CHECK_INT(config_of("branch-misses", NULL), 5);
	for (size_t i = 0; i < ARRAY_SIZE(sw); i++) {
		REQUIRE(!pmc_encode(&e, sw[i], NULL));
		CHECK_INT(e.type, 1);
		CHECK(e.software);
		pmc_event_release(&e);
	}
	CHECK_INT(config_of("page-faults", NULL), 2);
	CHECK_INT(config_of("major-faults", NULL), 6);
}

TEST(pmc, encode_errors)
{
	struct pmc_event e;

	test_capture_start();
	CHECK(pmc_encode(&e, "NO_SUCH_EVENT", "snb") < 0);
	CHECK_CONTAINS(test_captured(), "'NO_SUCH_EVENT'");
	CHECK(pmc_encode(&e, "RESOURCE_STALLS:ANY", "no_such_pmu") < 0);
	CHECK_CONTAINS(test_captured(), "unknown PMU 'no_such_pmu'");
	CHECK(pmc_encode(&e, "hsw::RESOURCE_STALLS:ANY", "snb") < 0);
	CHECK(pmc_encode(&e, "RESOURCE_STALLS.ANY,bogus", "snb") < 0);
	CHECK_CONTAINS(test_captured(), "modifier 'bogus'");
	CHECK(pmc_encode(&e, "UOPS_EXECUTED:THREAD:c=1:c=2", "snb") < 0);
	CHECK(pmc_encode(&e, "\x01\xff", NULL) < 0);
	test_capture_end();
	pmc_event_release(NULL);
}

TEST(pmc, roles_by_encoding)
{
	struct pmc_events s = PMC_EVENTS_INIT;

	REQUIRE(!pmc_events_parse(&s, "snb::UNHALTED_CORE_CYCLES,snb::INSTRUCTION_RETIRED,"
				  "snb::RESOURCE_STALLS.ANY,snb::LONGEST_LAT_CACHE.MISS,"
				  "snb::LLC_REFERENCES,snb::IDQ_UOPS_NOT_DELIVERED:CORE,"
				  "snb::UOPS_ISSUED:ANY,snb::UOPS_RETIRED:RETIRE_SLOTS,"
				  "snb::INT_MISC:RECOVERY_CYCLES,task-clock,cycles,snb::UOPS_EXECUTED:THREAD"));
	CHECK_INT(s.nr, 12);
	CHECK_INT(s.v[0].role, PMC_ROLE_CYCLES);
	CHECK_INT(s.v[1].role, PMC_ROLE_INSTRUCTIONS);
	CHECK_INT(s.v[2].role, PMC_ROLE_STALL_CYCLES);
	CHECK_INT(s.v[3].role, PMC_ROLE_LLC_MISSES);
	CHECK_INT(s.v[4].role, PMC_ROLE_LLC_REFERENCES);
	CHECK_INT(s.v[5].role, PMC_ROLE_TD_NOT_DELIVERED);
	CHECK_INT(s.v[8].role, PMC_ROLE_TD_RECOVERY);
	CHECK_INT(s.v[9].role, PMC_ROLE_TASK_CLOCK);
	CHECK_INT(s.v[10].role, PMC_ROLE_NONE);	/* cycles again: the first keeps the role */
	CHECK_INT(s.v[11].role, PMC_ROLE_NONE);
	CHECK_INT(s.td_width, 4);
	CHECK_STR(s.family, "intel-snb-skl");
	/* naming an event twice counts it once */
	REQUIRE(!pmc_events_add(&s, "task-clock"));
	CHECK_INT(s.nr, 12);
	pmc_events_release(&s);
	CHECK_INT(s.nr, 0);
}

TEST(pmc, families)
{
	int td;

	CHECK_STR(pmc_family("snb", &td), "intel-snb-skl");
	CHECK_INT(td, 4);
	CHECK_STR(pmc_family("skx", &td), "intel-snb-skl");
	CHECK_STR(pmc_family("icl", &td), "intel");
	CHECK_INT(td, 0);
	CHECK_STR(pmc_family("amd64_fam19h_zen3", &td), "amd-zen");
	CHECK_STR(pmc_family("perf", &td), "generic");
	CHECK_STR(pmc_family("no_such_pmu", &td), "generic");
}

TEST(pmc, default_set)
{
	struct pmc_events s = PMC_EVENTS_INIT;

	REQUIRE(!pmc_events_default(&s));
	CHECK(pmc_events_role(&s, PMC_ROLE_CYCLES) >= 0);
	CHECK(pmc_events_role(&s, PMC_ROLE_INSTRUCTIONS) >= 0);
	CHECK(pmc_events_role(&s, PMC_ROLE_TASK_CLOCK) >= 0);
	CHECK(s.nr >= 6);
	pmc_events_release(&s);
}

static struct pmc_raw raw(uint64_t v, uint64_t e, uint64_t r)
{
	return (struct pmc_raw){ v, e, r, 1 };
}

TEST(pmc, interval_scaling)
{
	/* two rows, three events: counted always, multiplexed half, never on the PMU */
	struct pmc_raw a[6] = { raw(100, 1000, 1000), raw(50, 1000, 500), raw(0, 1000, 0),
				raw(10, 1000, 1000), { 0, 0, 0, 0 }, raw(5, 5, 5) };
	struct pmc_raw b[6] = { raw(300, 2000, 2000), raw(150, 2000, 1000), raw(0, 2000, 0),
				raw(10, 2000, 2000), { 0, 0, 0, 0 }, raw(5, 5, 5) };
	struct pmc_reading ra = { 3, 2, a }, rb = { 3, 2, b };
	struct pmc_interval iv = { 0 };
	double count[3], scale[3];

	REQUIRE(!pmc_interval_compute(&iv, &rb, &ra, 1.0));
	CHECK_NEAR(iv.count[0], 200, 0);
	CHECK_NEAR(iv.scale[0], 1, 0);
	CHECK_NEAR(iv.count[1], 200, 1e-9);	/* 100 counted in half the time */
	CHECK_NEAR(iv.scale[1], 2, 1e-12);
	CHECK(isnan(iv.count[2]) && isnan(iv.scale[2]));	/* unknown, not 0 */
	CHECK_NEAR(iv.count[3], 0, 0);		/* counted, truly nothing */
	CHECK(isnan(iv.count[4]));		/* not opened on this row */
	CHECK_NEAR(iv.count[5], 0, 0);		/* a task that did not run */
	pmc_interval_total(&iv, count, scale);
	CHECK_NEAR(count[0], 200, 0);
	CHECK_NEAR(count[1], 200, 1e-9);	/* row 1 left out */
	CHECK_NEAR(count[2], 0, 0);		/* row 0 unknown, row 1 a true 0 */
	iv.nrow = 1;
	pmc_interval_total(&iv, count, scale);
	CHECK(isnan(count[2]) && isnan(scale[2]));	/* no row knows: NaN, never 0 */
	/* since open (no previous reading) */
	REQUIRE(!pmc_interval_compute(&iv, &ra, NULL, 1.0));
	CHECK_NEAR(iv.count[1], 100, 1e-9);
	/* a counter going backwards is not a count */
	REQUIRE(!pmc_interval_compute(&iv, &ra, &rb, 1.0));
	CHECK(isnan(iv.count[0]));
	ra.nrow = 1;
	test_capture_start();
	CHECK(pmc_interval_compute(&iv, &rb, &ra, 1.0) < 0);
	test_capture_end();
	pmc_interval_release(&iv);
}

TEST(pmc, derived_and_topdown)
{
	struct pmc_events s = PMC_EVENTS_INIT;
	struct pmc_derived d;
	/* cycles, instructions, stalls, llc miss, llc ref, fe, issued, retired, recovery */
	double c[9] = { 1000, 1500, 250, 10, 40, 800, 2600, 2000, 50 };
	json_t *j;

	REQUIRE(!pmc_events_parse(&s, "snb::UNHALTED_CORE_CYCLES,snb::INSTRUCTION_RETIRED,"
				  "snb::RESOURCE_STALLS:ANY,snb::LLC_MISSES,snb::LLC_REFERENCES,"
				  "snb::IDQ_UOPS_NOT_DELIVERED:CORE,snb::UOPS_ISSUED:ANY,"
				  "snb::UOPS_RETIRED:RETIRE_SLOTS,snb::INT_MISC:RECOVERY_CYCLES"));
	pmc_derive(&d, &s, c, 0.5);
	CHECK_NEAR(d.ipc, 1.5, 1e-12);
	CHECK_NEAR(d.stall_frac, 0.25, 1e-12);
	CHECK_NEAR(d.llc_miss_ratio, 0.25, 1e-12);
	CHECK_NEAR(d.cycles_per_s, 2000, 1e-9);
	CHECK(isnan(d.cpus_utilized));		/* no task-clock in the set */
	/* slots = 4 * 1000 */
	CHECK_NEAR(d.frontend_bound, 800 / 4000.0, 1e-12);
	CHECK_NEAR(d.bad_speculation, (2600 - 2000 + 4 * 50) / 4000.0, 1e-12);
	CHECK_NEAR(d.retiring, 2000 / 4000.0, 1e-12);
	CHECK_NEAR(d.backend_bound, 1 - 0.2 - 0.2 - 0.5, 1e-12);
	CHECK_NEAR(d.frontend_bound + d.bad_speculation + d.retiring + d.backend_bound, 1, 1e-12);
	/* unmeasured cycles: everything that needs them is NaN and null */
	c[0] = NAN;
	pmc_derive(&d, &s, c, 0.5);
	CHECK(isnan(d.ipc) && isnan(d.stall_frac) && isnan(d.frontend_bound));
	CHECK_NEAR(d.llc_miss_ratio, 0.25, 1e-12);
	j = pmc_counts_json(&s, c, NULL, 0.5);
	CHECK(json_is_null(json_object_get(json_object_get(j, "counts"), "snb::UNHALTED_CORE_CYCLES")));
	CHECK(json_is_null(json_object_get(json_object_get(j, "derived"), "ipc")));
	CHECK_NEAR(json_get_num(j, "derived.llc_miss_ratio"), 0.25, 1e-12);
	json_decref(j);
	j = pmc_roles_json(&s, c);
	CHECK(json_is_null(json_object_get(j, "cycles")));
	CHECK_NEAR(json_get_num(j, "instructions"), 1500, 0);
	json_decref(j);
	/* zero cycles is no ratio at all */
	c[0] = 0;
	pmc_derive(&d, &s, c, 0.5);
	CHECK(isnan(d.ipc));
	pmc_events_release(&s);
}

/* Software events count here; hardware ones are null and said once. */
TEST(pmc, count_children)
{
	struct pmc_events s = PMC_EVENTS_INIT;
	struct pmc_counter *c;
	struct pmc_reading r = { 0 };
	struct pmc_interval iv = { 0 };
	char *argv[] = { "sh", "-c", "i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done", NULL };
	struct child ch;
	int tc, pf, cyc;

	REQUIRE(!pmc_events_parse(&s, "cycles,task-clock,page-faults"));
	test_capture_start();
	REQUIRE(!pmc_counter_open_children(&c, &s));
	test_capture_end();
	REQUIRE(!spawn_argv(&ch, argv, NULL));
	REQUIRE(!child_wait(&ch, 30));
	REQUIRE(!pmc_counter_read(c, &r));
	REQUIRE(!pmc_interval_compute(&iv, &r, NULL, 1.0));
	tc = pmc_events_role(&s, PMC_ROLE_TASK_CLOCK);
	pf = 2;
	cyc = 0;
	CHECK(iv.count[tc] > 1e5);		/* ns of a shell's busy loop */
	CHECK(iv.count[pf] > 10);
	if (pmc_counter_unavailable(c))
		CHECK(isnan(iv.count[cyc]));
	else
		CHECK(iv.count[cyc] > 0);
	pmc_interval_release(&iv);
	pmc_reading_release(&r);
	pmc_counter_free(c);
	pmc_events_release(&s);
}

TEST(pmc, count_cpus)
{
	struct pmc_events s = PMC_EVENTS_INIT;
	struct pmc_counter *c;
	struct pmc_reading a = { 0 }, b = { 0 };
	struct pmc_interval iv = { 0 };
	int cpus[] = { 0 };

	if (!test_is_root()) {
		test_skip("system-wide counting needs root or perf_event_paranoid <= 0");
		return;
	}
	REQUIRE(!pmc_events_parse(&s, "task-clock,context-switches,instructions"));
	test_capture_start();
	REQUIRE(!pmc_counter_open_cpus(&c, &s, cpus, 1));
	test_capture_end();
	REQUIRE(!pmc_counter_read(c, &a));
	usleep(20000);
	REQUIRE(!pmc_counter_read(c, &b));
	REQUIRE(!pmc_interval_compute(&iv, &b, &a, 0.02));
	/* a CPU's task-clock runs with the wall clock: about the 20 ms slept */
	CHECK(iv.count[0] >= 0.015e9 && iv.count[0] < 5e9);
	CHECK(!isnan(iv.count[1]));
	CHECK(pmc_counter_unavailable(c) ? isnan(iv.count[2]) : iv.count[2] > 0);
	pmc_interval_release(&iv);
	pmc_reading_release(&a);
	pmc_reading_release(&b);
	pmc_counter_free(c);
	pmc_events_release(&s);
	pmc_counter_free(NULL);
}

/*
 * summary.json from a run directory with pmc.ndjson: window ratios of
 * summed counts. Three 1 s samples; the window (10, 12] covers the last
 * two, and the first (a different IPC) must not count.
 */
TEST(pmc, run_summary)
{
	const char *dir = test_tmpdir();
	json_t *sum;

	test_write("client.ndjson",
		   "{\"type\":\"summary\",\"t_mono_s\":12.0,\"duration_s\":2.0,"
		   "\"goodput_bps\":4e9}\n");
	test_write("pmc.ndjson",
		   "{\"type\":\"info\",\"collector\":\"pmc\",\"unavailable\":null}\n"
		   "{\"type\":\"sample\",\"t_mono_s\":10.0,\"dt_s\":1.0,\"roles\":{\"cycles\":1e9,"
		   "\"instructions\":9e9,\"stall_cycles\":0,\"llc_misses\":0,\"llc_references\":1}}\n"
		   "{\"type\":\"sample\",\"t_mono_s\":11.0,\"dt_s\":1.0,\"roles\":{\"cycles\":2e9,"
		   "\"instructions\":1e9,\"stall_cycles\":5e8,\"llc_misses\":10,\"llc_references\":100}}\n"
		   "{\"type\":\"sample\",\"t_mono_s\":12.0,\"dt_s\":1.0,\"roles\":{\"cycles\":4e9,"
		   "\"instructions\":5e9,\"stall_cycles\":1e9,\"llc_misses\":30,\"llc_references\":100}}\n");
	sum = summary_build(dir);
	REQUIRE(sum);
	CHECK_NEAR(json_get_num(sum, "ipc"), 6e9 / 6e9, 1e-12);
	CHECK_NEAR(json_get_num(sum, "stall_frac"), 1.5e9 / 6e9, 1e-12);
	CHECK_NEAR(json_get_num(sum, "llc_miss_ratio"), 40 / 200.0, 1e-12);
	CHECK_NEAR(json_get_num(sum, "cycles_per_s"), 3e9, 1);
	CHECK_NEAR(json_get_num(sum, "cycles_per_gbit"), 3e9 / 4, 1);
	json_decref(sum);

	/* a PMU-less host: null, never 0, and why */
	test_write("pmc.ndjson",
		   "{\"type\":\"info\",\"collector\":\"pmc\",\"unavailable\":\"no hardware PMU\"}\n"
		   "{\"type\":\"sample\",\"t_mono_s\":11.0,\"dt_s\":1.0,\"roles\":{\"cycles\":null,"
		   "\"instructions\":null,\"task_clock\":2e9}}\n"
		   "{\"type\":\"sample\",\"t_mono_s\":12.0,\"dt_s\":1.0,\"roles\":{\"cycles\":null,"
		   "\"instructions\":null,\"task_clock\":2e9}}\n");
	sum = summary_build(dir);
	REQUIRE(sum);
	CHECK(json_is_null(json_object_get(sum, "ipc")));
	CHECK(json_is_null(json_object_get(sum, "cycles_per_s")));
	CHECK(json_is_null(json_object_get(sum, "cycles_per_gbit")));
	CHECK(json_is_null(json_object_get(sum, "llc_miss_ratio")));
	CHECK_STR(json_get_str(sum, "pmc_unavailable"), "no hardware PMU");
	json_decref(sum);

	/* no pmc collector: no pmc keys at all */
	unlink(test_write("pmc.ndjson", ""));
	sum = summary_build(dir);
	REQUIRE(sum);
	CHECK(!json_object_get(sum, "ipc") && !json_object_get(sum, "cycles_per_gbit"));
	json_decref(sum);
}
