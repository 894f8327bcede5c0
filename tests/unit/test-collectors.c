#include "tests/unit/test.h"
#include "collectors/cpustat.h"
#include "collectors/freq.h"
#include "collectors/netstat.h"
#include "common/json.h"

#include <stdlib.h>

/* Linux 2.4: four columns, no iowait/irq/softirq. */
static const char procstat_24[] =
	"cpu  1000 20 300 8680\n"
	"cpu0 500 10 150 4340\n"
	"cpu1 500 10 150 4340\n"
	"page 5741 1808\n"
	"intr 1462898\n"
	"ctxt 115315\n";

/* Linux 2.6.11: eight columns (steal, no guest). */
static const char procstat_2611[] =
	"cpu  2255 34 2290 22625563 6290 127 456 0\n"
	"cpu0 1132 34 1441 11311718 3675 127 438 0\n"
	"cpu1 1123 0 849 11313845 2614 0 18 0\n"
	"intr 114930548 113199788 3 0 5 263 0 4 [...]\n"
	"ctxt 1990473\n"
	"btime 1062191376\n";

/* Linux 6.x: ten columns, CPU 1 offline (absent), a future 11th column. */
static const char procstat_6x[] =
	"cpu  4705 356 584 3699 23 23 0 0 0 0 77\n"
	"cpu0 1393 280 234 1761 20 17 0 0 0 0 7\n"
	"cpu2 3312 76 350 1938 3 6 0 0 0 0 70\n"
	"intr 114930548 113199788 3 0 5\n"
	"ctxt 1990473\n"
	"softirq 2960 0 1 2 3\n";

TEST(cpustat, old_and_new_kernels)
{
	struct cpustat a, b;

	REQUIRE(!procstat_parse(&a, procstat_24, "old"));
	CHECK_INT(a.ncpu, 2);
	CHECK_INT(a.all.have, 0xf);
	CHECK_INT(a.cpu[1].t[CPU_IDLE], 4340);
	CHECK_INT(a.ctxt, 115315);
	cpustat_release(&a);
	REQUIRE(!procstat_parse(&a, procstat_2611, "2.6.11"));
	CHECK_INT(a.all.have, 0xff);
	CHECK_INT(a.intr, 114930548);
	cpustat_release(&a);
	REQUIRE(!procstat_parse(&a, procstat_6x, "6.x"));
	CHECK_INT(a.ncpu, 3);
	CHECK_INT(a.cpu[1].have, 0);		/* offline */
	CHECK_INT(a.cpu[2].t[CPU_USER], 3312);
	CHECK_INT(a.all.have, 0x3ff);		/* the 11th column ignored */
	cpustat_release(&a);
	(void)b;
}

TEST(cpustat, interval_percentages)
{
	struct cpustat a, b;
	json_t *d;

	REQUIRE(!procstat_parse(&a, "cpu  100 0 100 800 0 0 0 0 0 0\n"
				"cpu0 50 0 50 400 0 0 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0 0 0\n"
				"intr 1000\nctxt 10\n", "a"));
	/* cpu0 fully busy (system) for 100 ticks, cpu1 idle; guest is inside user */
	REQUIRE(!procstat_parse(&b, "cpu  150 0 200 900 0 0 0 0 50 0\n"
				"cpu0 50 0 150 400 0 0 0 0 0 0\ncpu1 100 0 50 500 0 0 0 0 50 0\n"
				"intr 3000\nctxt 110\n", "b"));
	d = cpustat_delta_json(&b, &a, 2.0);
	CHECK_NEAR(json_get_num(d, "all.system"), 100.0 * 100 / 250, 1e-9);
	CHECK_NEAR(json_get_num(d, "all.user"), 100.0 * 50 / 250, 1e-9);
	CHECK_NEAR(json_get_num(d, "util_pct"), 100.0 * 150 / 250, 1e-9);
	CHECK_NEAR(json_get_num(d, "busy_cpus"), 2 * 0.6, 1e-9);
	CHECK_NEAR(json_get_num(d, "intr_per_s"), 1000, 1e-9);
	CHECK_NEAR(json_get_num(d, "ctxt_per_s"), 50, 1e-9);
	CHECK_NEAR(json_number_value(json_object_get(json_array_get(json_object_get(d, "cpus"), 0),
						     "util_pct")), 100, 1e-9);
	json_decref(d);
	cpustat_release(&a);
	cpustat_release(&b);
}

TEST(cpustat, missing_states_are_null)
{
	struct cpustat a, b;
	json_t *d;

	REQUIRE(!procstat_parse(&a, procstat_24, "a"));
	REQUIRE(!procstat_parse(&b, procstat_24, "b"));
	b.all.t[CPU_USER] += 10;
	b.all.t[CPU_IDLE] += 10;
	d = cpustat_delta_json(&b, &a, 1.0);
	CHECK(isnan(json_get_num(d, "all.iowait")));
	CHECK(isnan(json_get_num(d, "all.softirq")));
	CHECK(json_is_null(json_object_get(json_object_get(d, "all"), "steal")));
	CHECK_NEAR(json_get_num(d, "all.user"), 50, 1e-9);
	json_decref(d);
	cpustat_release(&a);
	cpustat_release(&b);
}

TEST(cpustat, broken_input)
{
	static const char *bad[] = {
		"", "intr 5\n", "cpu  1 2\n", "cpu  a b c d\n", "cpu  1 2 3 4\ncpu0 1 2 x 4\n",
		"cpu  1 2 3 4\ncpu99999999 1 2 3 4\n", "cpu  1 2 3 4 99999999999999999999999\n",
	};

	test_capture_start();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cpustat s;

		CHECK(procstat_parse(&s, bad[i], "/proc/stat") < 0);
	}
	CHECK_CONTAINS(test_captured(), "/proc/stat:2: malformed cpu line");
	test_capture_end();
}

TEST(cpustat, freebsd_cp_times)
{
	struct cpustat s;

	/* `sysctl kern.cp_times` on a 2-CPU FreeBSD: user nice sys intr idle */
	REQUIRE(!cptimes_parse(&s, "kern.cp_times: 1201 0 3320 112 170034 980 5 2890 401 170230\n",
			       "cp"));
	CHECK_INT(s.ncpu, 2);
	CHECK_INT(s.cpu[0].t[CPU_SYSTEM], 3320);
	CHECK_INT(s.cpu[0].t[CPU_IRQ], 112);
	CHECK_INT(s.cpu[1].t[CPU_IDLE], 170230);
	CHECK_INT(s.all.t[CPU_USER], 2181);
	CHECK(!(s.all.have & (1u << CPU_IOWAIT)));
	cpustat_release(&s);
	REQUIRE(!cptimes_parse(&s, "1 2 3 4 5", "bare"));	/* sysctl -n */
	cpustat_release(&s);
	test_capture_start();
	CHECK(cptimes_parse(&s, "kern.cp_times: 1 2 3 4 5 6 7", "cp") < 0);
	CHECK_CONTAINS(test_captured(), "not a multiple of 5");
	CHECK(cptimes_parse(&s, "kern.cp_times: 1 2 3 4 x", "cp") < 0);
	CHECK(cptimes_parse(&s, "", "cp") < 0);
	test_capture_end();
}

TEST(freq, freebsd_levels)
{
	double *v;

	CHECK_INT(freq_levels_parse("2401/35000 2400/35000 2200/30400 1200/-1\n", &v), 4);
	CHECK_NEAR(v[0], 2401, 0);
	CHECK_NEAR(v[3], 1200, 0);
	free(v);
	CHECK_INT(freq_levels_parse("", &v), 0);
	free(v);
	test_capture_start();
	CHECK(freq_levels_parse("2400 2200", &v) < 0);
	CHECK(freq_levels_parse("2400/abc", &v) < 0);
	CHECK(freq_levels_parse("-5/100", &v) < 0);
	test_capture_end();
}

static const char netdev_text[] =
	"Inter-|   Receive                                                |  Transmit\n"
	" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
	"    lo: 35165643176 1490942    0    0    0     0          0         0 35165643176 1490942    0    0    0     0       0          0\n"
	"  eth0: 1200 10 1 2 0 0 0 0 3400 20 3 4 0 0 0 0\n";

TEST(netstat, netdev)
{
	struct netdev_list l;

	REQUIRE(!netdev_parse(&l, netdev_text, "/proc/net/dev"));
	CHECK_INT(l.nr, 2);
	CHECK_STR(l.v[0].name, "lo");
	CHECK_INT(l.v[0].rx_bytes, 35165643176ULL);
	CHECK_INT(l.v[1].rx_drop, 2);
	CHECK_INT(l.v[1].tx_bytes, 3400);
	CHECK_INT(l.v[1].tx_drop, 4);
	netdev_list_release(&l);
	test_capture_start();
	CHECK(netdev_parse(&l, "a\nb\n  eth0: 1 2 3\n", "/proc/net/dev") < 0);
	CHECK_CONTAINS(test_captured(), "/proc/net/dev:3: malformed interface line");
	CHECK(netdev_parse(&l, "a\nb\nnocolon 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", "x") < 0);
	test_capture_end();
}

TEST(netstat, snmp_and_netstat)
{
	struct snmp_table t = { 0 };

	REQUIRE(!snmp_parse(&t, "Tcp: RtoAlgorithm RtoMin RetransSegs OutRsts\n"
			    "Tcp: 1 200 2236 4546\n"
			    "Udp: InDatagrams NoPorts\nUdp: 23 0\n", "/proc/net/snmp"));
	REQUIRE(!snmp_parse(&t, "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n"
			    "TcpExt: 0 3487 3488\n", "/proc/net/netstat"));
	CHECK_INT(snmp_get(&t, "Tcp.RetransSegs"), 2236);
	CHECK_INT(snmp_get(&t, "TcpExt.ListenOverflows"), 3487);
	CHECK_INT(snmp_get(&t, "Udp.NoPorts"), 0);
	CHECK(snmp_get(&t, "Tcp.Nope") == INT64_MIN);
	snmp_table_release(&t);
	test_capture_start();
	CHECK(snmp_parse(&t, "Tcp: A B\nTcp: 1\n", "x") < 0);
	CHECK_CONTAINS(test_captured(), "x:2: 2 names but 1 values");
	CHECK(snmp_parse(&t, "Tcp: A\nUdp: 1\n", "x") < 0);
	CHECK(snmp_parse(&t, "Tcp: A\n", "x") < 0);
	CHECK(snmp_parse(&t, "Tcp: A\nTcp: z\n", "x") < 0);
	test_capture_end();
	snmp_table_release(&t);
}
