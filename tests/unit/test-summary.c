/*
 * store/summary: summary.json from a run directory's raw files, written
 * here by hand in the shapes the workloads and collectors write them
 * (client.ndjson and server.ndjson records, cpu/freq/net samples with
 * their end time t_mono_s and length dt_s, run.json's "hosts" layout of
 * a lab run). Every expected figure is worked out in the comments.
 */
#include "tests/unit/test.h"
#include "store/summary.h"
#include "common/fsutil.h"
#include "common/hist.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <stdlib.h>
#include <unistd.h>

static void put(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f;

	mkdir_p(dir);
	f = fopen(path, "w");
	if (!f)
		die_errno("cannot write '%s'", path);
	fputs(text, f);
	fclose(f);
	free(path);
}

static char *scratch(const char *name)
{
	char *dir = xasprintf("%s/%s", test_tmpdir(), name);

	mkdir_p(dir);
	return dir;
}

/* A cpu.ndjson sample (t - dt, t] with util_pct (NaN: null). */
static char *cpu_line(double t, double dt, double util)
{
	json_t *o = json_object(), *all = json_object();
	char *s, *line;

	json_set_str(o, "type", "sample");
	json_set_num(o, "t_mono_s", t);
	json_set_num(o, "dt_s", dt);
	json_set_num(o, "util_pct", util);
	json_set_num(o, "busy_cpus", util / 100 * 4);
	json_set_int(o, "ncpu", 4);
	json_set_num(o, "intr_per_s", util * 100);
	json_set_num(o, "ctxt_per_s", util * 1000);
	json_set_num(all, "user", util / 2);
	json_set_num(all, "system", util / 4);
	json_set_num(all, "softirq", util / 4);
	json_set(o, "all", all);
	s = json_dump_compact(o);
	line = xasprintf("%s\n", s);
	free(s);
	json_decref(o);
	return line;
}

/* cpu.ndjson from (t, dt, util) triples. */
static void put_cpu(const char *dir, const double (*v)[3], size_t n)
{
	char *text = xstrdup("{\"type\":\"info\",\"collector\":\"cpu\"}\n");

	for (size_t i = 0; i < n; i++) {
		char *line = cpu_line(v[i][0], v[i][1], v[i][2]);
		char *t = xasprintf("%s%s", text, line);

		free(text);
		free(line);
		text = t;
	}
	put(dir, "cpu.ndjson", text);
	free(text);
}

/*
 * The client's records: a warmup interval, two measured ones, and the
 * summary of the measured window, which ends at t_end (its clock) and
 * lasts duration seconds. extra (",\"key\": value", or "") goes into
 * the summary record.
 */
static void put_client(const char *dir, double t_end, double duration, double goodput,
		       const char *extra)
{
	char *gp = isnan(goodput) ? xstrdup("null") : xasprintf("%.17g", goodput);
	char *text = xasprintf(
		"{\"type\":\"interval\",\"role\":\"client\",\"phase\":\"warmup\",\"t_mono_s\":%.3f,"
		"\"dt_s\":1.0,\"goodput_bps\":1.0e9}\n"
		"{\"type\":\"interval\",\"role\":\"client\",\"phase\":\"measure\","
		"\"t_mono_s\":%.3f,"
		"\"dt_s\":1.0,\"goodput_bps\":9.9e9}\n"
		"{\"type\":\"summary\",\"role\":\"client\",\"workload\":\"bulk\",\"t_mono_s\":%.3f,"
		"\"dt_s\":%.3f,\"duration_s\":%.3f,\"warmup_s\":1.0,\"goodput_bps\":%s,"
		"\"goodput_from\":\"bytes_read\",\"bytes_rx\":%.0f,\"bytes_tx\":1000,"
		"\"transactions\":2000,\"tps\":%.17g,\"conn_opened\":2,\"conn_closed\":2,"
		"\"errors\":{\"reset\":1,\"refused\":2,\"timeout\":0},"
		"\"latency_us\":{\"n\":2000,\"mean\":50.0,\"p50\":40.0,\"p90\":80.0,\"p99\":120.0,"
		"\"p999\":200.0,\"max\":250.0},"
		"\"tcp\":{\"samples\":4,\"rtt_us\":30.0,\"retrans\":3},"
		"\"stack_names\":[null],\"interrupted\":false,\"connections\":2,\"threads\":1%s}\n",
		t_end - duration, t_end, t_end, duration, duration, gp,
		isnan(goodput) ? 0 : goodput * duration / 8, 2000 / duration, extra);

	put(dir, "client.ndjson", text);
	free(text);
	free(gp);
}

/*
 * The measured window is (110, 112]: the client's summary ends at 112
 * and covers 2 s; the second before it was warmup. CPU samples:
 *   (108.5, 109.5] 90%  warmup: out
 *   (109.5, 110.5] 10%  half in: weight 0.5
 *   (110.5, 111.5] 20%  whole
 *   (111.5, 112.5] 40%  half in: weight 0.5
 *   (112.5, 113.5] 99%  after: out
 * cpu_util_pct = (10 x 0.5 + 20 + 40 x 0.5) / 2 = 22.5.
 */
TEST(summary, window_goodput_cpu)
{
	static const double cpu[][3] = {
		{ 109.5, 1, 90 }, { 110.5, 1, 10 }, { 111.5, 1, 20 }, { 112.5, 1, 40 },
		{ 113.5, 1, 99 },
	};
	char *dir = scratch("run");
	json_t *sum;

	put(dir, "run.json", "{\"run_id\": \"r1\", \"status\": \"complete\"}");
	put_client(dir, 112.0, 2.0, 8e9, "");
	put_cpu(dir, cpu, ARRAY_SIZE(cpu));
	test_capture_start();
	sum = summary_build(dir);
	CHECK_STR(test_captured(), "");
	test_capture_end();
	REQUIRE(sum);
	CHECK_NEAR(json_get_num(sum, "window_start_mono_s"), 110, 1e-9);
	CHECK_NEAR(json_get_num(sum, "window_end_mono_s"), 112, 1e-9);
	CHECK_NEAR(json_get_num(sum, "duration_s"), 2, 0);
	CHECK_NEAR(json_get_num(sum, "warmup_s"), 1, 0);
	/* the workload's figures are the summary record's (the measured window's) */
	CHECK_NEAR(json_get_num(sum, "goodput_bps"), 8e9, 0);
	CHECK_NEAR(json_get_num(sum, "goodput_gbps"), 8, 1e-12);
	CHECK_NEAR(json_get_num(sum, "tps"), 1000, 0);
	CHECK_NEAR(json_get_num(sum, "transactions"), 2000, 0);
	CHECK_NEAR(json_get_num(sum, "bytes_rx"), 2e9, 0);
	CHECK_STR(json_get_str(sum, "workload"), "bulk");
	CHECK_STR(json_get_str(sum, "goodput_from"), "bytes_read");
	CHECK_NEAR(json_get_num(sum, "latency_us.p99"), 120, 0);
	CHECK_NEAR(json_get_num(sum, "errors.refused"), 2, 0);
	CHECK_NEAR(json_get_num(sum, "errors_total"), 3, 0);
	CHECK(json_is_integer(json_object_get(sum, "errors_total")));
	CHECK(json_is_false(json_object_get(sum, "interrupted")));
	/* CPU weighted by overlap with the window */
	CHECK_NEAR(json_get_num(sum, "cpu_util_pct"), 22.5, 1e-9);
	CHECK_NEAR(json_get_num(sum, "cpu_busy_cpus"), 0.9, 1e-9);
	CHECK_NEAR(json_get_num(sum, "cpu_states_pct.system"), 22.5 / 4, 1e-9);
	CHECK_NEAR(json_get_num(sum, "cpu_states_pct.softirq"), 22.5 / 4, 1e-9);
	CHECK_NEAR(json_get_num(sum, "cpu_states_pct.user"), 22.5 / 2, 1e-9);
	CHECK(json_is_null(json_get(sum, "cpu_states_pct.steal")));	/* not sampled */
	CHECK_NEAR(json_get_num(sum, "intr_per_s"), 2250, 1e-6);
	CHECK_NEAR(json_get_num(sum, "ctxt_per_s"), 22500, 1e-6);
	/* CPU per Gbit/s: cpu over goodput */
	CHECK_NEAR(json_get_num(sum, "cpu_pct_per_gbps"), 22.5 / 8, 1e-9);
	/* a local run names no DUT and has no per-host part */
	CHECK(json_is_null(json_object_get(sum, "dut")));
	CHECK(!json_object_get(sum, "hosts"));
	json_decref(sum);

	/* without run.json: the same (the local layout) */
	{
		char *p = xasprintf("%s/run.json", dir);

		unlink(p);
		free(p);
	}
	sum = summary_build(dir);
	REQUIRE(sum);
	CHECK_NEAR(json_get_num(sum, "cpu_util_pct"), 22.5, 1e-9);
	json_decref(sum);
	free(dir);
}

/*
 * Clock jitter: a sample that shares the window for less than 2 ms
 * does not count, one that misses less than 2 ms of it counts whole.
 * Window (10.001, 12.001]:
 *   (9, 10]   80%  ends before the window: out
 *   (10, 11]  20%  0.999 s in: whole
 *   (11, 12]  40%  whole
 *   (12, 13]  99%  0.001 s in: out
 * cpu_util_pct = 30, not a 0.1% blend of the neighbours.
 */
TEST(summary, aligned_samples_count_whole)
{
	static const double cpu[][3] = {
		{ 10, 1, 80 }, { 11, 1, 20 }, { 12, 1, 40 }, { 13, 1, 99 },
	};
	char *dir = scratch("run");
	json_t *sum;

	put_client(dir, 12.001, 2.0, 1e9, "");
	put_cpu(dir, cpu, ARRAY_SIZE(cpu));
	sum = summary_build(dir);
	REQUIRE(sum);
	CHECK_NEAR(json_get_num(sum, "cpu_util_pct"), 30, 1e-12);
	CHECK_NEAR(json_get_num(sum, "cpu_pct_per_gbps"), 30, 1e-12);
	json_decref(sum);
	free(dir);
}

/* What could not be measured is null, never 0; a measured 0 stays 0. */
TEST(summary, nulls_never_zero)
{
	static const double cpu_out[][3] = { { 100, 1, 50 }, { 101, 1, 60 } };
	static const double cpu_gap[][3] = { { 11, 1, 20 }, { 12, 1, NAN } };
	char *dir = scratch("run");
	json_t *sum;

	/* only the client's file: no collector ran */
	put_client(dir, 12, 2, 0, "");
	sum = summary_build(dir);
	REQUIRE(sum);
	CHECK_NEAR(json_get_num(sum, "goodput_bps"), 0, 0);		/* measured: 0 */
	CHECK_NEAR(json_get_num(sum, "goodput_gbps"), 0, 0);
	CHECK(json_is_null(json_object_get(sum, "cpu_util_pct")));
	CHECK(json_is_null(json_object_get(sum, "cpu_busy_cpus")));
	CHECK(json_is_null(json_get(sum, "cpu_states_pct.softirq")));
	CHECK(json_is_null(json_object_get(sum, "intr_per_s")));
	CHECK(json_is_null(json_object_get(sum, "freq_mhz")));
	CHECK(json_is_null(json_object_get(sum, "freq_driver")));
	CHECK(json_is_null(json_object_get(sum, "retrans_segs")));
	CHECK(json_is_null(json_get(sum, "server_tcp.retrans")));
	CHECK(json_is_null(json_get(sum, "server_tcp.rtt_us")));
	/* no CPU and no goodput: no CPU per Gbit/s (not 0, not inf) */
	CHECK(json_is_null(json_object_get(sum, "cpu_pct_per_gbps")));
	CHECK(!json_object_get(sum, "ipc"));		/* no pmc collector: no pmc keys */
	json_decref(sum);

	/* CPU measured, goodput 0: still no CPU per Gbit/s */
	put_cpu(dir, cpu_gap, ARRAY_SIZE(cpu_gap));
	sum = summary_build(dir);
	REQUIRE(sum);
	/* a null sample is left out, not taken as 0% (which would give 10) */
	CHECK_NEAR(json_get_num(sum, "cpu_util_pct"), 20, 1e-12);
	CHECK(json_is_null(json_object_get(sum, "cpu_pct_per_gbps")));
	json_decref(sum);

	/* goodput not measured (null): null in both units, and no CPU per Gbit/s */
	put_client(dir, 12, 2, NAN, "");
	sum = summary_build(dir);
	REQUIRE(sum);
	CHECK(json_is_null(json_object_get(sum, "goodput_bps")));
	CHECK(json_is_null(json_object_get(sum, "goodput_gbps")));
	CHECK(json_is_null(json_object_get(sum, "cpu_pct_per_gbps")));
	CHECK_NEAR(json_get_num(sum, "cpu_util_pct"), 20, 1e-12);
	json_decref(sum);

	/* CPU samples, but none in the window: null, not 0 */
	put_client(dir, 12, 2, 1e9, "");
	put_cpu(dir, cpu_out, ARRAY_SIZE(cpu_out));
	sum = summary_build(dir);
	REQUIRE(sum);
	CHECK(json_is_null(json_object_get(sum, "cpu_util_pct")));
	CHECK(json_is_null(json_object_get(sum, "cpu_pct_per_gbps")));
	json_decref(sum);
	free(dir);
}

/*
 * The server's intervals, the network samples and the clock in the
 * window (10, 12]: counters pro-rated by overlap, gauges weighted.
 */
TEST(summary, server_net_freq)
{
	char *dir = scratch("run");
	json_t *sum;

	put_client(dir, 12, 2, 4e9, "");
	put(dir, "server.ndjson",
	    "{\"type\":\"interval\",\"t_mono_s\":10.0,\"dt_s\":1.0,"		/* warmup */
	    "\"tcp\":{\"retrans\":100,\"bytes_retrans\":1e6,\"busy_us\":1,\"rwnd_limited_us\":1,"
	    "\"sndbuf_limited_us\":1,\"rtt_us\":9000,\"rttvar_us\":1,\"cwnd_bytes\":1,"
	    "\"delivery_rate_bps\":1}}\n"
	    "{\"type\":\"interval\",\"t_mono_s\":11.0,\"dt_s\":1.0,"
	    "\"tcp\":{\"retrans\":4,\"bytes_retrans\":4000,\"busy_us\":10,\"rwnd_limited_us\":0,"
	    "\"sndbuf_limited_us\":0,\"rtt_us\":100,\"rttvar_us\":10,\"cwnd_bytes\":1000,"
	    "\"delivery_rate_bps\":1e9}}\n"
	    /* 1 of its 1.5 s in the window */
	    "{\"type\":\"interval\",\"t_mono_s\":12.5,\"dt_s\":1.5,"
	    "\"tcp\":{\"retrans\":9,\"bytes_retrans\":9000,\"busy_us\":30,\"rwnd_limited_us\":0,"
	    "\"sndbuf_limited_us\":0,\"rtt_us\":300,\"rttvar_us\":30,\"cwnd_bytes\":3000,"
	    "\"delivery_rate_bps\":3e9}}\n"
	    /* not an interval: left out */
	    "{\"type\":\"summary\",\"t_mono_s\":12.5,\"dt_s\":3.5,"
	    "\"tcp\":{\"retrans\":1000,\"rtt_us\":1}}\n");
	put(dir, "net.ndjson",
	    "{\"type\":\"info\",\"collector\":\"net\"}\n"
	    "{\"type\":\"sample\",\"t_mono_s\":10.0,\"dt_s\":1.0,"		/* warmup */
	    "\"ifaces\":{\"lo\":{\"rx_bytes\":1e12,\"tx_bytes\":1e12}},"
	    "\"tcp\":{\"retrans_segs\":500}}\n"
	    "{\"type\":\"sample\",\"t_mono_s\":11.0,\"dt_s\":1.0,"
	    "\"ifaces\":{\"lo\":{\"rx_bytes\":1e9,\"tx_bytes\":2e9,\"rx_bps\":1}},"
	    "\"tcp\":{\"retrans_segs\":3}}\n"
	    "{\"type\":\"sample\",\"t_mono_s\":12.0,\"dt_s\":1.0,"
	    "\"ifaces\":{\"lo\":{\"rx_bytes\":2e9,\"tx_bytes\":2e9}},"
	    "\"tcp\":{\"retrans_segs\":4}}\n");
	put(dir, "freq.ndjson",
	    "{\"type\":\"info\",\"collector\":\"freq\",\"source\":\"aperf/mperf\","
	    "\"driver\":\"intel_pstate\",\"governor\":\"performance\",\"unavailable\":null}\n"
	    "{\"type\":\"sample\",\"t_mono_s\":10.0,\"dt_s\":1.0,\"mhz\":800}\n"
	    "{\"type\":\"sample\",\"t_mono_s\":11.0,\"dt_s\":1.0,\"mhz\":3000}\n"
	    "{\"type\":\"sample\",\"t_mono_s\":12.0,\"dt_s\":1.0,\"mhz\":null}\n"
	    "{\"type\":\"sample\",\"t_mono_s\":12.5,\"dt_s\":0.5,\"mhz\":2000}\n");
	sum = summary_build(dir);
	REQUIRE(sum);
	/* server: 4 + 9 x (1 / 1.5) retransmits; rtt (100 x 1 + 300 x 1) / 2 */
	CHECK_NEAR(json_get_num(sum, "server_tcp.retrans"), 10, 1e-9);
	CHECK_NEAR(json_get_num(sum, "server_tcp.bytes_retrans"), 10000, 1e-6);
	CHECK_NEAR(json_get_num(sum, "server_tcp.busy_us"), 30, 1e-9);
	CHECK_NEAR(json_get_num(sum, "server_tcp.rtt_us"), 200, 1e-9);
	CHECK_NEAR(json_get_num(sum, "server_tcp.delivery_rate_bps"), 2e9, 1e-3);
	/* network: 3 + 4 retransmitted segments; 3e9 bytes in 2 s */
	CHECK_NEAR(json_get_num(sum, "retrans_segs"), 7, 1e-9);
	CHECK_NEAR(json_get_num(sum, "net.tcp.retrans_segs"), 7, 1e-9);
	CHECK_NEAR(json_get_num(sum, "net.ifaces.lo.rx_bytes"), 3e9, 1e-3);
	CHECK_NEAR(json_get_num(sum, "net.ifaces.lo.rx_bps"), 3e9 * 8 / 2, 1e-3);
	CHECK_NEAR(json_get_num(sum, "net.ifaces.lo.tx_bps"), 4e9 * 8 / 2, 1e-3);
	/* the clock: 3000 MHz for the one second it was read in the window */
	CHECK_NEAR(json_get_num(sum, "freq_mhz"), 3000, 1e-9);
	CHECK_STR(json_get_str(sum, "freq_driver"), "intel_pstate");
	CHECK_STR(json_get_str(sum, "freq_governor"), "performance");
	CHECK_STR(json_get_str(sum, "freq_source"), "aperf/mperf");
	CHECK(json_is_null(json_object_get(sum, "freq_unavailable")));
	json_decref(sum);
	free(dir);
}

/*
 * A lab run: run.json's "hosts" says where each host's files are, which
 * host serves (the DUT) and which drives, and each clock's offset from
 * the controller's. The client's clock is 100 s behind the controller,
 * the DUT's 50 s ahead: the window (110, 112] of the controller is
 * (10, 12] for the client and (160, 162] for the DUT.
 */
static const char lab_run_json[] =
	"{\"run_id\": \"lab1\", \"status\": \"complete\", \"hosts\": ["
	"{\"name\": \"client1\", \"dir\": \"hosts/client1\", \"role\": \"client\","
	" \"serves\": false, \"drives\": true, \"clock_offset_s\": -100},"
	"{\"name\": \"dut1\", \"dir\": \"hosts/dut1\", \"role\": \"dut\","
	" \"serves\": true, \"drives\": false, \"clock_offset_s\": 50}]}";

TEST(summary, lab_hosts)
{
	static const double dut_cpu[][3] = {
		{ 160, 1, 99 }, { 161, 1, 30 }, { 162, 1, 50 }, { 163, 1, 99 },
		/* what the client's clock would have picked */
		{ 11, 1, 1 }, { 12, 1, 1 },
	};
	static const double client_cpu[][3] = { { 11, 1, 5 }, { 12, 1, 7 }, { 161, 1, 99 } };
	char *dir = scratch("run"), *cl = xasprintf("%s/hosts/client1", dir);
	char *dut = xasprintf("%s/hosts/dut1", dir);
	json_t *sum;

	put(dir, "run.json", lab_run_json);
	put_client(cl, 12, 2, 5e9, "");
	put_cpu(cl, client_cpu, ARRAY_SIZE(client_cpu));
	put_cpu(dut, dut_cpu, ARRAY_SIZE(dut_cpu));
	put(dut, "server.ndjson",
	    "{\"type\":\"interval\",\"t_mono_s\":162.0,\"dt_s\":2.0,\"tcp\":{\"retrans\":8,"
	    "\"rtt_us\":77}}\n");
	put(dut, "freq.ndjson",
	    "{\"type\":\"info\",\"driver\":\"acpi-cpufreq\"}\n"
	    "{\"type\":\"sample\",\"t_mono_s\":162.0,\"dt_s\":2.0,\"mhz\":2400}\n");
	test_capture_start();
	sum = summary_build(dir);
	CHECK_STR(test_captured(), "");
	test_capture_end();
	REQUIRE(sum);
	CHECK_STR(json_get_str(sum, "dut"), "dut1");
	/* the DUT's window in its own clock */
	CHECK_NEAR(json_get_num(sum, "window_start_mono_s"), 160, 1e-9);
	CHECK_NEAR(json_get_num(sum, "window_end_mono_s"), 162, 1e-9);
	/* the top-level figures are the DUT's */
	CHECK_NEAR(json_get_num(sum, "cpu_util_pct"), 40, 1e-9);
	CHECK_NEAR(json_get_num(sum, "cpu_pct_per_gbps"), 40 / 5.0, 1e-9);
	CHECK_NEAR(json_get_num(sum, "freq_mhz"), 2400, 1e-9);
	CHECK_STR(json_get_str(sum, "freq_driver"), "acpi-cpufreq");
	CHECK_NEAR(json_get_num(sum, "server_tcp.retrans"), 8, 1e-9);
	CHECK_NEAR(json_get_num(sum, "server_tcp.rtt_us"), 77, 1e-9);
	CHECK_NEAR(json_get_num(sum, "goodput_bps"), 5e9, 0);
	/* each host over the same window, in its own clock */
	CHECK_NEAR(json_get_num(sum, "hosts.dut1.cpu_util_pct"), 40, 1e-9);
	CHECK_NEAR(json_get_num(sum, "hosts.client1.cpu_util_pct"), 6, 1e-9);
	CHECK_STR(json_get_str(sum, "hosts.dut1.role"), "dut");
	CHECK_STR(json_get_str(sum, "hosts.client1.role"), "client");
	CHECK_NEAR(json_get_num(sum, "hosts.client1.clock_offset_s"), -100, 0);
	CHECK_NEAR(json_get_num(sum, "hosts.dut1.clock_offset_s"), 50, 0);
	CHECK_NEAR(json_get_num(sum, "hosts.dut1.freq_mhz"), 2400, 1e-9);
	CHECK(json_is_null(json_get(sum, "hosts.client1.freq_mhz")));	/* not sampled there */
	json_decref(sum);
	free(cl);
	free(dut);
	free(dir);
}

/* A hist of n values v (nanoseconds) as the client writes it. */
static json_t *hist_of(uint64_t v, unsigned n, struct hist *also)
{
	struct hist *h = xmalloc(sizeof(*h));
	json_t *j;

	hist_init(h);
	for (unsigned i = 0; i < n; i++) {
		hist_add(h, v);
		hist_add(also, v);
	}
	j = hist_to_json(h);
	free(h);
	return j;
}

/*
 * Two clients driving one DUT: counts add, latency percentiles come
 * from the pooled histograms (300 requests at 100 us from one client,
 * 100 at 300 us from the other: p50 100 us, p99 300 us, mean 150 us),
 * not from either client's own percentiles.
 */
TEST(summary, two_clients_pool)
{
	static const char run_json[] =
		"{\"run_id\": \"lab2\", \"status\": \"complete\", \"hosts\": ["
		"{\"name\": \"c1\", \"dir\": \"hosts/c1\", \"serves\": false, \"drives\": true,"
		" \"clock_offset_s\": 0},"
		"{\"name\": \"c2\", \"dir\": \"hosts/c2\", \"serves\": false, \"drives\": true,"
		" \"clock_offset_s\": 1000},"
		"{\"name\": \"dut\", \"dir\": \"hosts/dut\", \"serves\": true, \"drives\": false,"
		" \"clock_offset_s\": 0}]}";
	static const double dut_cpu[][3] = { { 11, 1, 40 }, { 12, 1, 60 } };
	struct hist *pool = xmalloc(2 * sizeof(*pool)), *cpool = pool + 1;
	char *dir = scratch("run"), *c1 = xasprintf("%s/hosts/c1", dir);
	char *c2 = xasprintf("%s/hosts/c2", dir), *d = xasprintf("%s/hosts/dut", dir);
	json_t *h1, *h2, *k1, *k2, *sum;
	char *s1, *s2, *k1s, *k2s, *x1, *x2;

	hist_init(pool);
	hist_init(cpool);
	h1 = hist_of(100000, 300, pool);
	h2 = hist_of(300000, 100, pool);
	k1 = hist_of(20000, 2, cpool);
	k2 = hist_of(40000, 6, cpool);
	s1 = json_dump_compact(h1);
	s2 = json_dump_compact(h2);
	k1s = json_dump_compact(k1);
	k2s = json_dump_compact(k2);
	x1 = xasprintf(",\"latency_hist_ns\":%s,\"connect_hist_ns\":%s", s1, k1s);
	x2 = xasprintf(",\"latency_hist_ns\":%s,\"connect_hist_ns\":%s", s2, k2s);
	put(dir, "run.json", run_json);
	put_client(c1, 12, 2, 3e9, x1);
	put_client(c2, 1012, 2, 5e9, x2);	/* its clock is 1000 s ahead */
	put_cpu(d, dut_cpu, ARRAY_SIZE(dut_cpu));
	test_capture_start();
	sum = summary_build(dir);
	CHECK_STR(test_captured(), "");
	test_capture_end();
	REQUIRE(sum);
	CHECK_NEAR(json_get_num(sum, "goodput_bps"), 8e9, 0);
	CHECK_NEAR(json_get_num(sum, "goodput_gbps"), 8, 1e-12);
	CHECK_NEAR(json_get_num(sum, "tps"), 2000, 0);
	CHECK_NEAR(json_get_num(sum, "transactions"), 4000, 0);
	CHECK(json_is_integer(json_object_get(sum, "transactions")));	/* counts stay exact */
	CHECK_NEAR(json_get_num(sum, "connections"), 4, 0);
	CHECK_NEAR(json_get_num(sum, "errors.refused"), 4, 0);
	CHECK_NEAR(json_get_num(sum, "errors_total"), 6, 0);
	CHECK_NEAR(json_get_num(sum, "duration_s"), 2, 0);
	/* latency pooled */
	CHECK_NEAR(json_get_num(sum, "latency_us.n"), 400, 0);
	CHECK_NEAR(json_get_num(sum, "latency_us.mean"), 150, 1e-9);
	CHECK_NEAR(json_get_num(sum, "latency_us.p50"), hist_quantile(pool, 0.5) / 1e3, 1e-9);
	CHECK_NEAR(json_get_num(sum, "latency_us.p50"), 100, 100 * 0.016);
	CHECK_NEAR(json_get_num(sum, "latency_us.p99"), hist_quantile(pool, 0.99) / 1e3, 1e-9);
	CHECK_NEAR(json_get_num(sum, "latency_us.p99"), 300, 300 * 0.016);
	CHECK_NEAR(json_get_num(sum, "latency_us.max"), 300, 0);
	CHECK_NEAR(json_get_num(sum, "connect_us.n"), 8, 0);
	/* (2 x 20 + 6 x 40) / 8 */
	CHECK_NEAR(json_get_num(sum, "connect_us.mean"), 35, 1e-9);
	CHECK_NEAR(json_get_num(sum, "connect_us.p50"), 40, 40 * 0.016);
	CHECK_NEAR(json_get_num(sum, "connect_us.max"), 40, 0);
	/* the DUT's CPU over the first client's window */
	CHECK_NEAR(json_get_num(sum, "cpu_util_pct"), 50, 1e-9);
	CHECK_NEAR(json_get_num(sum, "cpu_pct_per_gbps"), 50 / 8.0, 1e-9);
	CHECK_STR(json_get_str(sum, "dut"), "dut");
	json_decref(sum);

	/* a client without histograms: no pooled percentiles (null, not the other's) */
	put_client(c2, 1012, 2, 5e9, "");
	sum = summary_build(dir);
	REQUIRE(sum);
	CHECK(json_is_null(json_object_get(sum, "latency_us")));
	CHECK_NEAR(json_get_num(sum, "goodput_bps"), 8e9, 0);
	json_decref(sum);

	json_decref(h1);
	json_decref(h2);
	json_decref(k1);
	json_decref(k2);
	free(s1);
	free(s2);
	free(k1s);
	free(k2s);
	free(x1);
	free(x2);
	free(pool);
	free(c1);
	free(c2);
	free(d);
	free(dir);
}

/*
 * Not measured stays null when clients merge (issue 14 #15, notes/utests.md):
 * a client whose goodput is null makes the total null, not the other
 * client's alone; a client record without "errors" makes errors_total
 * null, not 0.
 */
TEST(summary, merged_nulls_stay_null)
{
	static const char run_json[] =
		"{\"run_id\": \"lab3\", \"status\": \"complete\", \"hosts\": ["
		"{\"name\": \"c1\", \"dir\": \"hosts/c1\", \"serves\": false, \"drives\": true},"
		"{\"name\": \"c2\", \"dir\": \"hosts/c2\", \"serves\": false, \"drives\": true},"
		"{\"name\": \"dut\", \"dir\": \"hosts/dut\", \"serves\": true, \"drives\": false}]}";
	char *dir = scratch("nullmerge"), *c1 = xasprintf("%s/hosts/c1", dir);
	char *c2 = xasprintf("%s/hosts/c2", dir), *one = scratch("noerrors");
	char *d = xasprintf("%s/hosts/dut", dir);
	json_t *sum;

	put(dir, "run.json", run_json);
	put_client(c1, 12, 2, NAN, "");
	put_client(c2, 12, 2, 5e9, "");
	mkdir_p(d);
	sum = summary_build(dir);
	REQUIRE(sum);
	CHECK(json_is_null(json_object_get(sum, "goodput_bps")));
	CHECK(isnan(json_get_num(sum, "cpu_pct_per_gbps")));
	CHECK_NEAR(json_get_num(sum, "transactions"), 4000, 0);	/* still counted */
	json_decref(sum);

	put(one, "client.ndjson",
	    "{\"type\":\"summary\",\"role\":\"client\",\"workload\":\"bulk\",\"t_mono_s\":12,"
	    "\"duration_s\":2,\"goodput_bps\":1e9,\"transactions\":0}\n");
	sum = summary_build(one);
	REQUIRE(sum);
	CHECK(json_is_null(json_object_get(sum, "errors_total")));
	json_decref(sum);
	free(dir);
	free(c1);
	free(c2);
	free(d);
	free(one);
}

/*
 * A run whose service failed measured the failure, not a speed (issue
 * 14 #15): no transaction (for bulk, no byte), or errors past the ratio.
 */
static int failed_with(const char *text, double ratio, const char *want)
{
	json_t *sum = json_loads(text, 0, NULL);
	struct strbuf why = STRBUF_INIT;
	int r;

	if (!sum)
		die("bad test json: %s", text);
	r = summary_workload_failed(sum, ratio, &why);
	if (want)
		CHECK_CONTAINS(why.buf, want);
	else
		CHECK_STR(why.buf, "");
	strbuf_release(&why);
	json_decref(sum);
	return r;
}

TEST(summary, workload_failed)
{
	/* the old HTTP server that crashed: 578 refused, no transaction */
	CHECK(failed_with("{\"workload\":\"chunk\",\"transactions\":0,\"goodput_bps\":0,"
			  "\"errors\":{\"refused\":578,\"reset\":0},\"errors_total\":578}", 0.05,
			  "did no transaction in the measured window: 578 errors (refused 578)"));
	CHECK(failed_with("{\"workload\":\"bulk\",\"transactions\":0,\"conn_opened\":2,"
			  "\"bytes_rx\":0,\"bytes_tx\":0,\"errors_total\":0}", 0.05,
			  "moved no byte in the measured window"));
	/* bulk moves bytes without transactions */
	CHECK(!failed_with("{\"workload\":\"bulk\",\"transactions\":0,\"conn_opened\":8,"
			   "\"bytes_rx\":1e9,\"bytes_tx\":0,\"errors_total\":0}", 0.05, NULL));
	/* 10 errors in 1000 attempts: 1%, under 5%; past 0.5% */
	CHECK(!failed_with("{\"workload\":\"crr\",\"transactions\":990,"
			   "\"errors\":{\"reset\":10},\"errors_total\":10}", 0.05, NULL));
	CHECK(failed_with("{\"workload\":\"crr\",\"transactions\":990,"
			  "\"errors\":{\"reset\":10},\"errors_total\":10}", 0.005,
			  "10 errors (reset 10) for 990 transactions, past max-error-ratio = 0.005"));
	/* 1 of 9 bulk connections refused */
	CHECK(failed_with("{\"workload\":\"bulk\",\"conn_opened\":8,\"bytes_rx\":1e9,"
			  "\"errors\":{\"refused\":1},\"errors_total\":1}", 0.05,
			  "1 error (refused 1) for 8 connections"));
	/* 1 = never on errors; not measured decides nothing */
	CHECK(!failed_with("{\"workload\":\"crr\",\"transactions\":1,\"errors_total\":999}",
			   1, NULL));
	CHECK(!failed_with("{\"workload\":\"crr\",\"transactions\":null,\"errors_total\":null}",
			   0.05, NULL));
}

/*
 * The client's records are required: without them there is no window
 * and no summary (NULL, the file named). The collectors' files are not:
 * a missing one is an empty one.
 */
TEST(summary, client_file_required)
{
	static const double cpu[][3] = { { 11, 1, 20 }, { 12, 1, 40 } };
	char *dir = scratch("run"), *path = xasprintf("%s/client.ndjson", dir);
	json_t *sum;

	put_cpu(dir, cpu, ARRAY_SIZE(cpu));
	/* no client.ndjson */
	test_capture_start();
	CHECK(summary_build(dir) == NULL);
	CHECK_CONTAINS(test_captured(), "is missing");
	CHECK_CONTAINS(test_captured(), path);
	test_capture_end();

	/* a client that wrote intervals but no summary (killed before the end) */
	put(dir, "client.ndjson",
	    "{\"type\":\"interval\",\"t_mono_s\":11.0,\"dt_s\":1.0,\"goodput_bps\":1e9}\n");
	test_capture_start();
	CHECK(summary_build(dir) == NULL);
	CHECK_CONTAINS(test_captured(), "client.ndjson' has no summary record");
	test_capture_end();

	/* a broken line: named with its number, and no summary */
	put(dir, "client.ndjson",
	    "{\"type\":\"interval\",\"t_mono_s\":11.0,\"dt_s\":1.0,\"goodput_bps\":1e9}\n"
	    "{\"type\":\"interv\n"
	    "{\"type\":\"summary\",\"t_mono_s\":12.0,\"duration_s\":2.0,\"goodput_bps\":1e9}\n");
	test_capture_start();
	CHECK(summary_build(dir) == NULL);
	CHECK_CONTAINS(test_captured(), "client.ndjson:2: not a JSON object");
	test_capture_end();

	/* a line that is JSON but not an object */
	put(dir, "client.ndjson",
	    "[1, 2]\n"
	    "{\"type\":\"summary\",\"t_mono_s\":12.0,\"duration_s\":2.0,\"goodput_bps\":1e9}\n");
	test_capture_start();
	CHECK(summary_build(dir) == NULL);
	CHECK_CONTAINS(test_captured(), "client.ndjson:1: not a JSON object: wrong type");
	test_capture_end();

	/* blank lines are fine; the last summary record counts */
	put(dir, "client.ndjson",
	    "{\"type\":\"summary\",\"t_mono_s\":9.0,\"duration_s\":2.0,\"goodput_bps\":1e6}\n"
	    "\n"
	    "{\"type\":\"summary\",\"t_mono_s\":12.0,\"duration_s\":2.0,\"goodput_bps\":1e9}\n");
	sum = summary_build(dir);
	REQUIRE(sum);
	CHECK_NEAR(json_get_num(sum, "goodput_bps"), 1e9, 0);
	CHECK_NEAR(json_get_num(sum, "cpu_util_pct"), 30, 1e-12);
	json_decref(sum);
	free(path);
	free(dir);
}

/*
 * A lab run's client host without its file fails the summary (naming
 * it); a host entry without a name or a directory, or one reaching out
 * of the run directory, is refused.
 */
TEST(summary, lab_layout_errors)
{
	char *dir = scratch("run"), *dut = xasprintf("%s/hosts/dut1", dir);

	put(dir, "run.json", lab_run_json);
	put(dut, "cpu.ndjson", "");
	/* the client's directory holds nothing */
	test_capture_start();
	CHECK(summary_build(dir) == NULL);
	CHECK_CONTAINS(test_captured(), "hosts/client1/client.ndjson' is missing");
	test_capture_end();
	/* a client.ndjson at the top is not the client host's */
	put_client(dir, 12, 2, 1e9, "");
	test_capture_start();
	CHECK(summary_build(dir) == NULL);
	CHECK_CONTAINS(test_captured(), "hosts/client1/client.ndjson");
	test_capture_end();

	put(dir, "run.json", "{\"status\": \"complete\", \"hosts\": [{\"dir\": \"hosts/x\"}]}");
	test_capture_start();
	CHECK(summary_build(dir) == NULL);
	CHECK_CONTAINS(test_captured(), "run.json': a host entry without a name or directory");
	test_capture_end();

	put(dir, "run.json", "{\"status\": \"complete\", \"hosts\": [{\"name\": \"x\","
	    " \"dir\": \"../elsewhere\", \"drives\": true, \"serves\": true}]}");
	test_capture_start();
	CHECK(summary_build(dir) == NULL);
	CHECK_CONTAINS(test_captured(), "a host entry without a name or directory");
	test_capture_end();

	/* no host drives: nothing to summarize */
	put(dir, "run.json", "{\"status\": \"complete\", \"hosts\": [{\"name\": \"dut1\","
	    " \"dir\": \"hosts/dut1\", \"serves\": true, \"drives\": false}]}");
	test_capture_start();
	CHECK(summary_build(dir) == NULL);
	CHECK_CONTAINS(test_captured(), "names no client host");
	test_capture_end();

	/* every host in the run directory itself ("."): the local layout, no hosts part */
	put(dir, "run.json", "{\"status\": \"complete\", \"hosts\": [{\"name\": \"me\","
	    " \"dir\": \".\", \"serves\": true, \"drives\": true}]}");
	{
		json_t *sum = summary_build(dir);

		REQUIRE(sum);
		CHECK(json_is_null(json_object_get(sum, "dut")));
		CHECK(!json_object_get(sum, "hosts"));
		CHECK_NEAR(json_get_num(sum, "goodput_bps"), 1e9, 0);
		json_decref(sum);
	}
	free(dut);
	free(dir);
}

/*
 * A collector's file with a broken line: the error names the file and
 * line, and the summary is built from the records before it (a crash
 * loses at most the line being written; summary.c reads collector
 * files as optional and does not fail the run for them).
 */
TEST(summary, broken_collector_line)
{
	char *dir = scratch("run");
	json_t *sum;
	char *l1 = cpu_line(11, 1, 20), *l2 = cpu_line(12, 1, 40);
	char *text = xasprintf("{\"type\":\"info\"}\n%s{\"type\":\"sample\",\"t_mono_s\":1%s",
			       l1, l2);

	put_client(dir, 12, 2, 1e9, "");
	put(dir, "cpu.ndjson", text);
	test_capture_start();
	sum = summary_build(dir);
	CHECK_CONTAINS(test_captured(), "cpu.ndjson:3: not a JSON object");
	test_capture_end();
	REQUIRE(sum);
	CHECK_NEAR(json_get_num(sum, "cpu_util_pct"), 20, 1e-12);	/* line 2 only */
	json_decref(sum);
	free(text);
	free(l1);
	free(l2);
	free(dir);
}

/*
 * Once a bug ("summary: damaged run.json"), now fixed:
 * a lab run whose run.json is damaged is read as a local run; the
 * error then names a client.ndjson at the top of the run directory,
 * which a lab run never has, and nothing names run.json.
 */
TEST(summary, damaged_run_json_is_named)
{
	char *dir = scratch("lab"), *cl = xasprintf("%s/hosts/client1", dir);

	put_client(cl, 12, 2, 5e9, "");
	put(dir, "run.json", "{\"run_id\": \"lab1\", \"status\": \"complete\", \"hosts\": [");
	test_capture_start();
	CHECK(summary_build(dir) == NULL);
	CHECK_CONTAINS(test_captured(), "run.json");
	test_capture_end();
	free(cl);
	free(dir);
}

/*
 * The TCP trace (issue 16): each host's tcptrace.ndjson checked into
 * tcp_checks, per host and summed; the run's [checks] from run.json; a
 * trace that cannot be read makes every sum null, never 0; a run
 * without traces has no tcp_checks at all.
 */
static const char trace_head[] =
	"{\"type\":\"info\",\"source\":\"diag\",\"interval_s\":0.1,\"t\":110}\n"
	"{\"type\":\"conn\",\"id\":1,\"t\":110.1,\"cookie\":7,\"family\":4,\"laddr\":\"10.0.0.1\","
	"\"lport\":5201,\"raddr\":\"10.0.0.2\",\"rport\":40000,\"owner\":\"diag\",\"cc\":\"cubic\","
	"\"preexisting\":false}\n"
	"{\"type\":\"sample\",\"id\":1,\"t\":110.2,\"state\":1,\"total_retrans\":0}\n"
	"{\"type\":\"end\",\"id\":1,\"t\":111.5,\"state\":7,\"total_retrans\":";

TEST(summary, tcp_checks)
{
	char *dir = scratch("tcprun"), *trace, *h1, *h2;
	json_t *sum;

	h1 = xasprintf("%s/hosts/dut1", dir);
	h2 = xasprintf("%s/hosts/client1", dir);
	put(dir, "run.json", "{\"run_id\":\"r\",\"status\":\"complete\",\"run_params\":"
	    "{\"checks\":\"retransmits.min=5\"},\"hosts\":[{\"name\":\"dut1\",\"dir\":"
	    "\"hosts/dut1\",\"serves\":true},{\"name\":\"client1\",\"dir\":\"hosts/client1\","
	    "\"drives\":true}]}");
	put_client(h2, 112.0, 2.0, 8e9, "");
	trace = xasprintf("%s3}\n", trace_head);
	put(h1, "tcptrace.ndjson", trace);
	free(trace);
	trace = xasprintf("%s9}\n", trace_head);
	put(h2, "tcptrace.ndjson", trace);
	free(trace);
	sum = summary_build(dir);
	REQUIRE(sum);
	CHECK_INT(json_get_num(sum, "tcp_checks.rules.retransmits.count"), 12);
	CHECK_INT(json_get_num(sum, "tcp_checks.hosts.dut1.rules.retransmits.count"), 3);
	/* retransmits.min = 5: only client1's connection is flagged */
	CHECK_INT(json_array_size(json_get(sum, "tcp_checks.rules.retransmits.conns")), 1);
	CHECK_STR(json_get_str(json_array_get(json_get(sum, "tcp_checks.rules.retransmits.conns"),
					      0), "host"), "client1");
	/* no stats line: the recorder did not stop, lower bounds */
	CHECK(json_is_true(json_get(sum, "tcp_checks.incomplete")));
	CHECK_INT(json_get_num(sum, "tcp_checks.conns"), 2);
	json_decref(sum);

	/* a damaged trace: nothing summed is known */
	put(h1, "tcptrace.ndjson", "{\"type\":\"info\"}\nnot json at all\n{}\n");
	test_capture_start();
	sum = summary_build(dir);
	CHECK_CONTAINS(test_captured(), "tcptrace.ndjson:2");
	test_capture_end();
	REQUIRE(sum);
	CHECK(json_is_null(json_get(sum, "tcp_checks.rules.retransmits.count")));
	CHECK_STR(json_get_str(sum, "tcp_checks.hosts.dut1.error"), "the trace could not be read");
	json_decref(sum);

	/* no traces: no key */
	trace = xasprintf("%s/tcptrace.ndjson", h1);
	unlink(trace);
	free(trace);
	trace = xasprintf("%s/tcptrace.ndjson", h2);
	unlink(trace);
	free(trace);
	sum = summary_build(dir);
	REQUIRE(sum);
	CHECK(!json_object_get(sum, "tcp_checks"));
	json_decref(sum);
	free(h1);
	free(h2);
	free(dir);
}
