#include "tests/unit/test.h"
#include "collectors/topology.h"
#include "collectors/pmc.h"
#include "common/util.h"
#include "reports/stat.h"
#include "common/strbuf.h"

#include <stdlib.h>
#include <unistd.h>

/*
 * 2 packages x 2 cores x 2 hardware threads, a NUMA node per package,
 * numbered as Linux numbers SMT siblings: CPU n and n + 4 share a core.
 * Both packages call their cores 0 and 1 (os_index), as Linux does.
 */
#define FIXTURE "tests/fixtures/topo-2pkg-2core-2smt.xml"

static struct topology *fixture(void)
{
	struct topology *t = NULL;

	if (access(FIXTURE, R_OK)) {
		test_fail(__FILE__, __LINE__, "missing %s (run from the top of the tree)", FIXTURE);
		return NULL;
	}
	if (topology_load_xml(&t, FIXTURE))
		return NULL;
	return t;
}

TEST(topology, fixture_smt_numbering)
{
	struct topology *t = fixture();

	REQUIRE(t);
	CHECK_INT(t->ncpu, 8);
	CHECK_INT(t->npresent, 8);
	CHECK_INT(t->ncores, 4);
	CHECK_INT(t->npackages, 2);
	CHECK_INT(t->nnodes, 2);
	/* siblings share a core; cores of different packages differ */
	CHECK_INT(topology_group_of(t, TOPO_CORE, 0), topology_group_of(t, TOPO_CORE, 4));
	CHECK_INT(topology_group_of(t, TOPO_CORE, 3), topology_group_of(t, TOPO_CORE, 7));
	CHECK(topology_group_of(t, TOPO_CORE, 0) != topology_group_of(t, TOPO_CORE, 2));
	CHECK(topology_group_of(t, TOPO_CORE, 0) != topology_group_of(t, TOPO_CORE, 1));
	CHECK_INT(topology_group_of(t, TOPO_PACKAGE, 1), 0);
	CHECK_INT(topology_group_of(t, TOPO_PACKAGE, 5), 0);
	CHECK_INT(topology_group_of(t, TOPO_PACKAGE, 2), 1);
	CHECK_INT(topology_group_of(t, TOPO_PACKAGE, 7), 1);
	CHECK_INT(topology_group_of(t, TOPO_NODE, 6), 1);
	CHECK_INT(topology_group_of(t, TOPO_NODE, 4), 0);
	CHECK_INT(topology_group_of(t, TOPO_CPU, 9), -1);
	CHECK_INT(topology_group_of(t, TOPO_CORE, -1), -1);
	topology_free(t);
}

TEST(topology, rollup_sum_and_mean)
{
	struct topology *t = fixture();
	double per_cpu[8] = { 1, 2, 4, 8, 16, 32, 64, 128 }, out[8];

	REQUIRE(t);
	topology_rollup(t, TOPO_CORE, TOPO_SUM, per_cpu, out);
	/* core of CPU n holds n and n + 4 */
	CHECK_NEAR(out[topology_group_of(t, TOPO_CORE, 0)], 1 + 16, 0);
	CHECK_NEAR(out[topology_group_of(t, TOPO_CORE, 1)], 2 + 32, 0);
	CHECK_NEAR(out[topology_group_of(t, TOPO_CORE, 2)], 4 + 64, 0);
	CHECK_NEAR(out[topology_group_of(t, TOPO_CORE, 3)], 8 + 128, 0);
	topology_rollup(t, TOPO_PACKAGE, TOPO_SUM, per_cpu, out);
	CHECK_NEAR(out[0], 1 + 2 + 16 + 32, 0);
	CHECK_NEAR(out[1], 4 + 8 + 64 + 128, 0);
	topology_rollup(t, TOPO_NODE, TOPO_MEAN, per_cpu, out);
	CHECK_NEAR(out[1], (4 + 8 + 64 + 128) / 4.0, 1e-12);
	topology_rollup(t, TOPO_CPU, TOPO_SUM, per_cpu, out);
	CHECK_NEAR(out[5], 32, 0);
	topology_free(t);
}

TEST(topology, rollup_leaves_out_unmeasured)
{
	struct topology *t = fixture();
	double per_cpu[8] = { 10, NAN, NAN, NAN, 30, NAN, NAN, NAN }, out[8];

	REQUIRE(t);
	topology_rollup(t, TOPO_PACKAGE, TOPO_MEAN, per_cpu, out);
	CHECK_NEAR(out[0], 20, 0);
	CHECK(isnan(out[1]));		/* nothing measured: NaN, never 0 */
	topology_rollup(t, TOPO_CORE, TOPO_SUM, per_cpu, out);
	CHECK_NEAR(out[topology_group_of(t, TOPO_CORE, 0)], 40, 0);
	CHECK(isnan(out[topology_group_of(t, TOPO_CORE, 1)]));
	topology_free(t);
}

TEST(topology, this_host)
{
	struct topology *t = NULL;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	REQUIRE(!topology_load(&t));
	CHECK_INT(t->npresent, n);
	CHECK(t->ncores >= 1 && t->ncores <= t->npresent);
	CHECK(t->npackages >= 1 && t->nnodes >= 1);
	for (int c = 0; c < t->ncpu; c++)
		if (t->cpu[c].present)
			CHECK(t->cpu[c].core >= 0 && t->cpu[c].package >= 0 && t->cpu[c].node >= 0);
	topology_free(t);
	topology_free(NULL);
}

TEST(topology, broken_xml)
{
	static const char *const bad[] = {
		"",
		"<?xml version=\"1.0\"?>\n<topology version=\"2.0\">\n  <object type=\"Machine\"",
		"\x7f" "ELF\x02\x01\x01\x00\x00\xff\xfe",
		"<?xml version=\"1.0\"?><topology version=\"2.0\"></topology>",
		"<?xml version=\"1.0\"?><notatopology/>",
	};
	struct topology *t;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *path = test_write("bad.xml", bad[i]);

		t = (struct topology *)1;
		test_capture_start();
		CHECK(topology_load_xml(&t, path) < 0);
		test_capture_end();
		CHECK(t == NULL);
	}
	test_capture_start();
	CHECK(topology_load_xml(&t, "/nonexistent/topo.xml") < 0);
	test_capture_end();
}

TEST(topology, cpulist)
{
	int *v = NULL;

	CHECK_INT(cpulist_parse("0-3,8,10-11", &v, "t"), 7);
	REQUIRE(v);
	CHECK_INT(v[3], 3);
	CHECK_INT(v[4], 8);
	CHECK_INT(v[6], 11);
	free(v);
	CHECK_INT(cpulist_parse("5,1-2,2,5", &v, "t"), 3);	/* sorted, no duplicates */
	CHECK_INT(v[0], 1);
	CHECK_INT(v[2], 5);
	free(v);
	CHECK_INT(cpulist_parse("7", &v, "t"), 1);
	free(v);
}

TEST(topology, cpulist_broken)
{
	static const char *const bad[] = {
		"", ",", "1,", ",1", "1,,2", "3-1", "1-", "-1", "a", "1 2", "0x1",
		"99999999999999999999", "1048576", "0-1048576", "1-2-3", "1\x01", "\xff",
	};
	int *v;

	test_capture_start();
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		v = (int *)1;
		if (cpulist_parse(bad[i], &v, "t") >= 0)
			test_fail(__FILE__, __LINE__, "'%s' parsed", bad[i]);
		CHECK(v == NULL);
	}
	CHECK_CONTAINS(test_captured(), "invalid CPU list");
	test_capture_end();
	CHECK_INT(topo_level_parse("package"), TOPO_PACKAGE);
	CHECK_INT(topo_level_parse("socket"), -1);
}

/*
 * The roll-up perflab stat prints, without hardware: a synthetic
 * interval on the fixture's 8 CPUs, two events (cycles unmeasured,
 * task-clock measured on CPUs 0, 4 and 2 only, as with -C 0,2,4).
 */
TEST(topology, stat_per_core_and_package)
{
	struct topology *t = fixture();
	struct pmc_events ev = PMC_EVENTS_INIT;
	int cpus[] = { 0, 2, 4 };
	double count[] = { NAN, 1e9, NAN, 2e9, NAN, 3e9 };
	double scale[] = { NAN, 1, NAN, 1, NAN, 2 };
	struct pmc_interval iv = { 2, 3, 1.0, count, scale };
	struct stat_view v = { &ev, t, TOPO_CORE, 1, cpus };
	struct stat_group *g;
	struct strbuf sb = STRBUF_INIT;
	int n;

	REQUIRE(t);
	REQUIRE(!pmc_events_add(&ev, "cycles") && !pmc_events_add(&ev, "task-clock"));
	n = stat_groups(&v, &iv, &g);
	REQUIRE(n == 2);		/* cores of CPU 0 (with 4) and of CPU 2 */
	CHECK_STR(g[0].label, "core0");
	CHECK_INT(g[0].ncpu, 2);
	CHECK_NEAR(g[0].count[1], 4e9, 0);
	CHECK_NEAR(g[0].scale[1], 1.5, 1e-12);
	CHECK(isnan(g[0].count[0]));
	CHECK_NEAR(g[1].count[1], 2e9, 0);
	stat_groups_free(g, n);

	v.level = TOPO_PACKAGE;
	n = stat_groups(&v, &iv, &g);
	REQUIRE(n == 2);
	CHECK_STR(g[1].label, "package1");
	CHECK_NEAR(g[0].count[1], 4e9, 0);
	CHECK_NEAR(g[1].count[1], 2e9, 0);
	stat_groups_free(g, n);

	stat_format(&sb, &v, &iv, 1.0);
	CHECK_CONTAINS(sb.buf, "S0                 2");	/* perf's socket label, 2 CPUs */
	CHECK_CONTAINS(sb.buf, "4000.00 msec task-clock");
	CHECK_CONTAINS(sb.buf, "<not supported>      cycles");
	CHECK(!strstr(sb.buf, " 0      cycles"));
	strbuf_reset(&sb);
	v.layout = STAT_LAYOUT_CSV;
	stat_format(&sb, &v, &iv, NAN);
	CHECK_CONTAINS(sb.buf, "S0,2,<not supported>,,cycles,0,100.00,,\n");
	CHECK_CONTAINS(sb.buf, "S0,2,4000.00,msec,task-clock,");
	strbuf_reset(&sb);
	v.layout = STAT_LAYOUT_WIDE;
	stat_format(&sb, &v, &iv, 1.0);
	CHECK_CONTAINS(sb.buf, "package0");
	CHECK_CONTAINS(sb.buf, "4000.00");
	strbuf_release(&sb);
	pmc_events_release(&ev);
	topology_free(t);
}
