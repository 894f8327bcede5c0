/*
 * summary.json from a run directory's raw files. Everything here is
 * recomputed from the files, so a summary can be rebuilt and checked.
 * Collector samples and server intervals are weighted by how much of
 * each falls inside the client's measured window.
 */
#include "store/summary.h"
#include "collectors/tcpcheck.h"
#include "store/metric.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/hist.h"
#include "common/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EDGE_S 0.002	/* clock jitter between aligned processes, seconds */

struct window {
	double t0, t1;		/* CLOCK_MONOTONIC seconds */
};

/* Seconds of the sample (t - dt, t] that lie in the window. */
static double overlap(const json_t *rec, const struct window *w)
{
	double t = json_get_num(rec, "t_mono_s"), dt = json_get_num(rec, "dt_s");
	double lo, hi;

	if (isnan(t) || isnan(dt) || dt <= 0)
		return 0;
	lo = t - dt > w->t0 ? t - dt : w->t0;
	hi = t < w->t1 ? t : w->t1;
	if (hi - lo < EDGE_S)
		return 0;	/* touching the window only at its edge */
	if (hi - lo > dt - EDGE_S)
		return dt;	/* aligned samples count whole */
	return hi - lo;
}

/* A time-weighted mean of a per-sample figure, and summed counts. */
struct wsum {
	double value, weight;	/* Σ v·overlap, Σ overlap (for means) */
};

static void wsum_add(struct wsum *s, double v, double seconds)
{
	if (isnan(v) || seconds <= 0)
		return;
	s->value += v * seconds;
	s->weight += seconds;
}

static double wsum_mean(const struct wsum *s)
{
	return s->weight > 0 ? s->value / s->weight : NAN;
}

struct lines {
	json_t *info;		/* the info record, if any */
	json_t **v;		/* other records in file order */
	size_t nr, alloc;
};

static int collect_line(const json_t *obj, unsigned long lineno, void *data)
{
	struct lines *l = data;
	const char *type = json_get_str(obj, "type");

	if (type && !strcmp(type, "info")) {
		json_decref(l->info);
		l->info = json_incref((json_t *)obj);
		return 0;
	}
	ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	l->v[l->nr++] = json_incref((json_t *)obj);
	return 0;
}

/* Read a JSON-lines file; a missing file is an empty one. */
static int lines_read(struct lines *l, const char *dir, const char *name, int required)
{
	char *path = xasprintf("%s/%s", dir, name);
	int ret = 0;

	memset(l, 0, sizeof(*l));
	if (access(path, F_OK) == 0)
		ret = ndjson_for_each(path, collect_line, l);
	else if (required)
		ret = error("'%s' is missing", path);
	free(path);
	return ret;
}

static void lines_release(struct lines *l)
{
	json_decref(l->info);
	for (size_t i = 0; i < l->nr; i++)
		json_decref(l->v[i]);
	free(l->v);
}

static const json_t *last_of_type(const struct lines *l, const char *type)
{
	for (size_t i = l->nr; i-- > 0; ) {
		const char *t = json_get_str(l->v[i], "type");

		if (t && !strcmp(t, type))
			return l->v[i];
	}
	return NULL;
}

static void copy_keys(json_t *to, const json_t *from, const char *const *keys)
{
	for (int i = 0; keys[i]; i++) {
		json_t *v = json_object_get(from, keys[i]);

		json_set(to, keys[i], v ? json_incref(v) : json_null());
	}
}

/* The cpu records' interval figures weighted into sum; prefix names the scope. */
static void add_cpu_scope(json_t *sum, const struct lines *cpu, const struct window *w,
			  const char *within, const char *prefix)
{
	static const char *states[] = { "user", "nice", "system", "irq", "softirq", "iowait",
					"steal", NULL };
	struct wsum util = { 0 }, busy = { 0 }, intr = { 0 }, ctxt = { 0 }, st[8] = { { 0 } };
	json_t *states_pct = json_object();
	char key[64];

	for (size_t i = 0; i < cpu->nr; i++) {
		const json_t *r = within ? json_object_get(cpu->v[i], within) : cpu->v[i];
		double s = overlap(cpu->v[i], w);

		wsum_add(&util, json_get_num(r, "util_pct"), s);
		wsum_add(&busy, json_get_num(r, "busy_cpus"), s);
		wsum_add(&intr, json_get_num(r, "intr_per_s"), s);
		wsum_add(&ctxt, json_get_num(r, "ctxt_per_s"), s);
		for (int k = 0; states[k]; k++) {
			snprintf(key, sizeof(key), "all.%s", states[k]);
			wsum_add(&st[k], json_get_num(r, key), s);
		}
	}
	for (int k = 0; states[k]; k++)
		json_set_num(states_pct, states[k], wsum_mean(&st[k]));
	snprintf(key, sizeof(key), "%s%s", prefix, SUM_CPU);
	json_set_num(sum, key, wsum_mean(&util));
	snprintf(key, sizeof(key), "%scpu_busy_cpus", prefix);
	json_set_num(sum, key, wsum_mean(&busy));
	snprintf(key, sizeof(key), "%scpu_states_pct", prefix);
	json_set(sum, key, states_pct);
	snprintf(key, sizeof(key), "%s%s", prefix, SUM_INTR);
	json_set_num(sum, key, wsum_mean(&intr));
	snprintf(key, sizeof(key), "%s%s", prefix, SUM_CTXT);
	json_set_num(sum, key, wsum_mean(&ctxt));
}

/*
 * A host's CPU: its own (scope "cgroup": a namespace lab's host) or the
 * machine's; in the first case the machine's figures go beside them as
 * machine_*, and interrupts and context switches (never a cgroup's) are
 * the machine's.
 */
static void add_cpu(json_t *sum, const struct lines *cpu, const struct window *w)
{
	const json_t *info = cpu->info;
	const char *scope = info ? json_get_str(info, "scope") : NULL;
	int cg = scope && !strcmp(scope, "cgroup");

	add_cpu_scope(sum, cpu, w, NULL, "");
	json_set_str(sum, "cpu_scope", cg ? "cgroup" : "machine");
	if (!cg)
		return;
	json_set_str(sum, "cpu_cgroup", json_get_str(info, "cgroup"));
	add_cpu_scope(sum, cpu, w, "machine", "machine_");
	json_set_num(sum, SUM_INTR, json_get_num(sum, "machine_" SUM_INTR));
	json_set_num(sum, SUM_CTXT, json_get_num(sum, "machine_" SUM_CTXT));
}

static void add_freq(json_t *sum, const struct lines *freq, const struct window *w)
{
	struct wsum mhz = { 0 };

	for (size_t i = 0; i < freq->nr; i++)
		wsum_add(&mhz, json_get_num(freq->v[i], "mhz"), overlap(freq->v[i], w));
	json_set_num(sum, SUM_FREQ, wsum_mean(&mhz));
	json_set_str(sum, "freq_source", freq->info ? json_get_str(freq->info, "source") : NULL);
	json_set_str(sum, "freq_driver", freq->info ? json_get_str(freq->info, "driver") : NULL);
	json_set_str(sum, "freq_governor", freq->info ? json_get_str(freq->info, "governor") : NULL);
	json_set_str(sum, "freq_unavailable",
		     freq->info ? json_get_str(freq->info, "unavailable") : NULL);
}

/* Sum an object of counters, each pro-rated by its sample's overlap. */
static void add_counts(json_t *acc, const json_t *obj, double frac)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		double old = json_get_num(acc, key);

		if (!json_is_number(v))
			continue;
		json_set_num(acc, key, (isnan(old) ? 0 : old) + json_number_value(v) * frac);
	}
}

static void add_net(json_t *sum, const struct lines *net, const struct window *w)
{
	json_t *ifaces = json_object(), *tcp = json_object(), *out = json_object();
	double secs = 0;
	const char *name;
	json_t *v;

	for (size_t i = 0; i < net->nr; i++) {
		double s = overlap(net->v[i], w), dt = json_get_num(net->v[i], "dt_s");
		const json_t *ifs = json_object_get(net->v[i], "ifaces");

		if (s <= 0)
			continue;
		secs += s;
		json_object_foreach((json_t *)ifs, name, v) {
			json_t *acc = json_object_get(ifaces, name);

			if (!acc) {
				acc = json_object();
				json_object_set_new(ifaces, name, acc);
			}
			add_counts(acc, v, s / dt);
		}
		add_counts(tcp, json_object_get(net->v[i], "tcp"), s / dt);
	}
	/* rates over the window, from the summed bytes */
	json_object_foreach(ifaces, name, v) {
		json_object_del(v, "rx_bps");
		json_object_del(v, "tx_bps");
		json_set_num(v, "rx_bps", secs > 0 ? json_get_num(v, "rx_bytes") * 8 / secs : NAN);
		json_set_num(v, "tx_bps", secs > 0 ? json_get_num(v, "tx_bytes") * 8 / secs : NAN);
	}
	json_set(out, "ifaces", ifaces);
	json_set(out, "tcp", tcp);
	json_set_num(sum, "retrans_segs", net->nr ? json_get_num(tcp, "retrans_segs") : NAN);
	json_set(sum, "net", out);
}

/* The server's sockets over the window: counters pro-rated, gauges weighted. */
static void add_server(json_t *sum, const struct lines *srv, const struct window *w)
{
	static const char *counters[] = { "retrans", "bytes_retrans", "busy_us",
					  "rwnd_limited_us", "sndbuf_limited_us", NULL };
	static const char *gauges[] = { "rtt_us", "rttvar_us", "cwnd_bytes",
					 "delivery_rate_bps", NULL };
	json_t *tcp = json_object();
	struct wsum g[4] = { { 0 } };
	double c[5] = { 0 };
	int n = 0;

	for (size_t i = 0; i < srv->nr; i++) {
		const json_t *rec = srv->v[i], *t = json_object_get(rec, "tcp");
		const char *type = json_get_str(rec, "type");
		double s = overlap(rec, w), dt = json_get_num(rec, "dt_s");

		if (s <= 0 || !t || !type || strcmp(type, "interval"))
			continue;
		n++;
		for (int k = 0; counters[k]; k++)
			c[k] += json_get_num(t, counters[k]) * s / dt;
		for (int k = 0; gauges[k]; k++)
			wsum_add(&g[k], json_get_num(t, gauges[k]), s);
	}
	for (int k = 0; counters[k]; k++)
		json_set_num(tcp, counters[k], n ? c[k] : NAN);
	for (int k = 0; gauges[k]; k++)
		json_set_num(tcp, gauges[k], wsum_mean(&g[k]));
	json_set(sum, "server_tcp", tcp);
}

static void add_workload(json_t *sum, const json_t *cs)
{
	static const char *keys[] = {
		"workload", "duration_s", "warmup_s", SUM_GOODPUT, "goodput_from",
		"bytes_rx", "bytes_tx", "transactions", "tps", "conn_opened", "conn_closed",
		"errors", "latency_us", "tcp", "stack_names", "connections", "threads",
		"size_bytes", "interrupted", "connect_us", "delay_effective", NULL
	};
	const json_t *stacks = json_object_get(cs, "stacks");

	const json_t *errors = json_object_get(cs, "errors");
	const char *k;
	json_t *v;
	long long total = 0;

	copy_keys(sum, cs, keys);
	json_set_num(sum, SUM_GOODPUT_GBPS, json_get_num(cs, SUM_GOODPUT) / 1e9);
	json_object_foreach((json_t *)errors, k, v) {
		if (!json_is_integer(v))
			total = -1;	/* a count not measured: the total is not known */
		else if (total >= 0)
			total += json_integer_value(v);
	}
	/* no errors object: not counted, which is not none */
	if (json_is_object(errors) && total >= 0)
		json_set_int(sum, "errors_total", total);
	else
		json_set(sum, "errors_total", json_null());
	if (stacks)
		json_set(sum, "stacks", json_deep_copy(stacks));
}

/*
 * Hardware counters over the window, when the pmc collector ran: ratios
 * of the window's summed counts (each sample pro-rated by its overlap),
 * so a busy second weighs more than an idle one. cycles_per_gbit is the
 * CPU cost per Gbit/s in cycles: cycles per second over goodput in
 * Gbit/s. Null where the host could not count, and why.
 */
static void add_pmc(json_t *sum, const char *dir, const struct window *w)
{
	static const char *const key[] = { "ipc", "stall_frac", "llc_miss_ratio", "cycles_per_s" };
	static const char *const num[] = { "instructions", "stall_cycles", "llc_misses", "cycles" };
	static const char *const den[] = { "cycles", "cycles", "llc_references", NULL };
	double a[4] = { 0 }, b[4] = { 0 }, gbps;
	struct lines pmc;

	if (lines_read(&pmc, dir, "pmc.ndjson", 0) || !pmc.info) {
		lines_release(&pmc);
		return;
	}
	for (size_t i = 0; i < pmc.nr; i++) {
		const json_t *roles = json_object_get(pmc.v[i], "roles");
		double s = overlap(pmc.v[i], w), dt = json_get_num(pmc.v[i], "dt_s");

		for (int k = 0; k < 4 && s > 0; k++) {
			double n = json_get_num(roles, num[k]);
			double d = den[k] ? json_get_num(roles, den[k]) : dt;

			if (isnan(n) || isnan(d))
				continue;
			a[k] += n * s / dt;
			b[k] += d * s / dt;
		}
	}
	for (int k = 0; k < 4; k++)
		json_set_num(sum, key[k], b[k] > 0 ? a[k] / b[k] : NAN);
	gbps = json_get_num(sum, SUM_GOODPUT) / 1e9;
	json_set_num(sum, "cycles_per_gbit", gbps > 0 ? json_get_num(sum, "cycles_per_s") / gbps : NAN);
	json_set_str(sum, "pmc_unavailable", json_get_str(pmc.info, "unavailable"));
	lines_release(&pmc);
}

/* Where a run's hosts keep their files, from run.json (or the local layout). */
struct layout_host {
	char *name;
	char *dir;		/* absolute */
	double offset;		/* its clock minus the controller's, seconds */
	int serves, drives;
	double qemu_util;	/* a VM DUT: its QEMU's CPU on the lab's machine, %; NaN */
};

struct layout {
	struct layout_host *v;
	int n;
	int multi;		/* files under hosts/ (a lab run) */
	char *checks;		/* run_params.checks: the TCP checks' thresholds, or NULL */
};

static void layout_release(struct layout *l)
{
	for (int i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].dir);
	}
	free(l->v);
	free(l->checks);
}

static int read_layout(const char *dir, struct layout *l)
{
	char *path = xasprintf("%s/run.json", dir);
	json_t *meta = NULL;
	const json_t *hosts, *h;
	size_t i;

	memset(l, 0, sizeof(*l));
	/* no run.json: a run on this host alone; a damaged one is named */
	if (!access(path, F_OK) && !(meta = json_load_path(path))) {
		free(path);
		return -1;
	}
	if (meta && !json_is_object(meta)) {
		json_decref(meta);
		error("'%s' is not a run's description: not a JSON object", path);
		free(path);
		return -1;
	}
	free(path);
	if (json_get_str(meta, "run_params.checks"))
		l->checks = xstrdup(json_get_str(meta, "run_params.checks"));
	hosts = json_object_get(meta, "hosts");
	if (!json_is_array(hosts) || !json_array_size(hosts)) {
		l->v = xcalloc(1, sizeof(*l->v));
		l->v[0] = (struct layout_host){ xstrdup("local"), xstrdup(dir), 0, 1, 1, NAN };
		l->n = 1;
		json_decref(meta);
		return 0;
	}
	l->v = xcalloc(json_array_size(hosts), sizeof(*l->v));
	json_array_foreach(hosts, i, h) {
		const char *name = json_get_str(h, "name"), *sub = json_get_str(h, "dir");
		double off = json_get_num(h, "clock_offset_s");

		if (!name || !sub || strstr(sub, "..")) {
			json_decref(meta);
			layout_release(l);
			return error("'%s/run.json': a host entry without a name or directory", dir);
		}
		l->v[l->n++] = (struct layout_host){
			xstrdup(name), xasprintf("%s/%s", dir, sub), isnan(off) ? 0 : off,
			json_is_true(json_object_get(h, "serves")),
			json_is_true(json_object_get(h, "drives")),
			json_get_num(h, "qemu.util_pct") };
		l->multi |= strcmp(sub, ".") != 0;
	}
	json_decref(meta);
	return 0;
}

/*
 * Several clients' summaries as one: counters add, gauges weigh, hists
 * pool. A figure one client could not measure (null or missing) is not
 * known for the whole: the sum is null, never the others' alone.
 */
static void sum_number(json_t *acc, const char *key, const json_t *v)
{
	const json_t *old = json_object_get(acc, key);
	double a = json_get_num(acc, key), b = json_is_number(v) ? json_number_value(v) : NAN;

	if (json_is_integer(old) && json_is_integer(v))	/* counts stay exact */
		json_set_int(acc, key, json_integer_value(old) + json_integer_value(v));
	else
		json_set_num(acc, key, a + b);	/* NaN (null) if either is */
}

/* Error counts by kind: a kind one client never saw counts 0 there. */
static void sum_errors(json_t *acc, const json_t *add)
{
	const char *key;
	json_t *v;

	if (!json_is_object(acc) || !json_is_object(add))
		return;		/* merge_counts made an unknown side null */
	json_object_foreach((json_t *)add, key, v) {
		if (json_object_get(acc, key))
			sum_number(acc, key, v);
		else
			json_object_set(acc, key, v);
	}
}

static void merge_tcp(json_t *acc, const json_t *add)
{
	static const char *gauges[] = { "rtt_us", "rttvar_us", "cwnd_bytes", "delivery_rate_bps",
					NULL };
	double na = json_get_num(acc, "samples"), nb = json_get_num(add, "samples");
	const char *key;
	json_t *v;

	for (int k = 0; gauges[k]; k++) {
		double a = json_get_num(acc, gauges[k]), b = json_get_num(add, gauges[k]);

		json_set_num(acc, gauges[k], isnan(a) ? b : isnan(b) ? a
			     : (a * na + b * nb) / (na + nb > 0 ? na + nb : 1));
	}
	json_object_foreach((json_t *)add, key, v) {
		int gauge = 0;

		for (int k = 0; gauges[k]; k++)
			gauge |= !strcmp(key, gauges[k]);
		if (!gauge)
			sum_number(acc, key, v);
	}
}

static int pool_hist(json_t *acc, const json_t *add, const char *hkey, const char *out_key)
{
	struct hist *a = xmalloc(2 * sizeof(*a)), *b = a + 1;
	int ok = !hist_from_json(a, json_object_get(acc, hkey)) &&
		 !hist_from_json(b, json_object_get(add, hkey));

	if (ok) {
		hist_merge(a, b);
		json_set(acc, hkey, hist_to_json(a));
	}
	json_set(acc, out_key, ok ? hist_percentiles_json(a, 1e3) : json_null());
	free(a);
	return ok ? 0 : -1;
}

static void merge_counts(json_t *acc, const json_t *add)
{
	static const char *sums[] = { "bytes_rx", "bytes_tx", SUM_GOODPUT, SUM_TPS, "transactions",
				      "conn_opened", "conn_closed", "conn_open", "connections",
				      "threads", NULL };

	for (int k = 0; sums[k]; k++)
		sum_number(acc, sums[k], json_object_get(add, sums[k]));
	if (!json_is_object(json_object_get(add, "errors")))
		json_set(acc, "errors", json_null());	/* not counted there: unknown */
	else
		sum_errors(json_object_get(acc, "errors"), json_object_get(add, "errors"));
	merge_tcp(json_object_get(acc, "tcp"), json_object_get(add, "tcp"));
}

static json_t *merge_clients(const json_t **recs, int n)
{
	json_t *acc = json_deep_copy(recs[0]);
	const char *name;
	json_t *st;

	for (int i = 1; i < n; i++) {
		merge_counts(acc, recs[i]);
		pool_hist(acc, recs[i], "latency_hist_ns", "latency_us");
		pool_hist(acc, recs[i], "connect_hist_ns", "connect_us");
		json_object_foreach(json_object_get(acc, "stacks"), name, st) {
			const json_t *other = json_get(recs[i], "stacks");

			other = json_object_get(other, name);
			if (other)
				merge_counts(st, other);
			json_set(st, "latency_us", json_null());	/* no per-stack hists */
			json_set(st, "connect_us", json_null());
		}
	}
	return acc;
}

/* The collectors and the server of one host over the window, in its clock. */
static void add_host_files(json_t *sum, const char *dir, const struct window *w, int serves)
{
	struct lines server, cpu, freq, net;

	lines_read(&cpu, dir, "cpu.ndjson", 0);
	lines_read(&freq, dir, "freq.ndjson", 0);
	lines_read(&net, dir, "net.ndjson", 0);
	add_cpu(sum, &cpu, w);
	add_freq(sum, &freq, w);
	add_net(sum, &net, w);
	if (serves) {
		lines_read(&server, dir, "server.ndjson", 0);
		add_server(sum, &server, w);
		lines_release(&server);
	}
	add_pmc(sum, dir, w);
	lines_release(&cpu);
	lines_release(&freq);
	lines_release(&net);
}

/* Per host of a lab run: its CPU and clock over the same window. */
static json_t *hosts_json(const struct layout *l, const struct window *ctl)
{
	static const char *keys[] = { SUM_CPU, "cpu_busy_cpus", "cpu_states_pct", "cpu_scope",
				      "cpu_cgroup", "machine_" SUM_CPU, "machine_cpu_states_pct",
				      SUM_INTR, SUM_FREQ, "freq_source", "freq_driver",
				      "freq_governor", "retrans_segs", NULL };
	json_t *hosts = json_object();

	for (int i = 0; i < l->n; i++) {
		struct window w = { ctl->t0 + l->v[i].offset, ctl->t1 + l->v[i].offset };
		json_t *full = json_object(), *one = json_object();

		add_host_files(full, l->v[i].dir, &w, 0);
		copy_keys(one, full, keys);
		json_set_str(one, "role", l->v[i].serves ? "dut" : l->v[i].drives ? "client" : NULL);
		json_set_num(one, "clock_offset_s", l->v[i].offset);
		if (!isnan(l->v[i].qemu_util))
			json_set_num(one, "qemu_" SUM_CPU, l->v[i].qemu_util);
		json_set(hosts, l->v[i].name, one);
		json_decref(full);
	}
	return hosts;
}

/* The clients' summary records, merged; the window in the controller's clock. */
static json_t *client_summary(const struct layout *l, struct window *ctl)
{
	const json_t *recs[64];
	struct lines cl[64];
	json_t *merged = NULL;
	int n = 0, bad = 0;

	for (int i = 0; i < l->n && n < 64; i++) {
		if (!l->v[i].drives)
			continue;
		if (lines_read(&cl[n], l->v[i].dir, "client.ndjson", 1) ||
		    !(recs[n] = last_of_type(&cl[n], "summary"))) {
			bad = error("'%s/client.ndjson' has no summary record", l->v[i].dir);
			lines_release(&cl[n]);
			continue;
		}
		if (!n) {
			ctl->t1 = json_get_num(recs[0], "t_mono_s") - l->v[i].offset;
			ctl->t0 = ctl->t1 - json_get_num(recs[0], "duration_s");
		}
		n++;
	}
	if (n && !bad)
		merged = merge_clients(recs, n);
	else if (!n && !bad)
		error("'%s' names no client host", l->n ? l->v[0].dir : "run");
	while (n-- > 0)
		lines_release(&cl[n]);
	return merged;
}

/*
 * The TCP trace's checks: each host's tcptrace.ndjson read and checked
 * (tcpcheck_run) under the run's thresholds, then summed over the hosts.
 * A rule's sum is null when no host's trace could show it, and for every
 * rule when a host's trace could not be read (the whole is not known
 * then); hosts that could not show a rule another could are named.
 * The counts cover the whole trace (warmup included), not only the
 * measured window: a misbehaving connection is one whenever it is.
 */
struct tcp_sum {
	uint64_t count[TCPCHECK_NRULES];
	int avail[TCPCHECK_NRULES];
	json_t *flagged[TCPCHECK_NRULES];	/* [{"host", "id"}] */
	json_t *unavail[TCPCHECK_NRULES];	/* host names */
	size_t conns;
	int incomplete, unreadable, traces;
};

static void tcp_sum_host(struct tcp_sum *ts, const char *host, const struct tcpcheck_report *r)
{
	ts->conns += r->conns;
	ts->incomplete |= r->incomplete;
	for (int k = 0; k < TCPCHECK_NRULES; k++) {
		if (!r->rule[k].avail) {
			json_array_append_new(ts->unavail[k], json_string(host));
			continue;
		}
		ts->avail[k] = 1;
		ts->count[k] += r->rule[k].count;
		for (size_t i = 0; i < r->rule[k].nr_ids; i++) {
			json_t *c = json_object();

			json_set_str(c, "host", host);
			json_set_int(c, "id", r->rule[k].ids[i]);
			json_array_append_new(ts->flagged[k], c);
		}
	}
}

/* One host's trace, checked: its report as JSON, or NULL (no trace). */
static json_t *tcp_host(struct tcp_sum *ts, const struct layout_host *h,
			const struct tcpcheck_thresholds *th)
{
	char *path = xasprintf("%s/tcptrace.ndjson", h->dir);
	struct tcprec_file f;
	struct tcpcheck_report rep;
	json_t *o = NULL;

	if (access(path, F_OK)) {
		free(path);
		return NULL;
	}
	ts->traces++;
	if (tcprec_read(&f, path)) {
		o = json_object();
		json_set_str(o, "error", "the trace could not be read");
		ts->unreadable = 1;
	} else {
		tcpcheck_run(&rep, &f, th);
		o = tcpcheck_report_json(&rep);
		json_set_str(o, "source", f.source);
		json_set(o, "truncated", json_boolean(f.truncated));
		tcp_sum_host(ts, h->name, &rep);
		tcpcheck_report_release(&rep);
		tcprec_file_release(&f);
	}
	free(path);
	return o;
}

static json_t *tcp_sum_json(struct tcp_sum *ts, json_t *hosts)
{
	json_t *o = json_object(), *rules = json_object();

	json_set_int(o, "conns", (long long)ts->conns);
	json_set(o, "incomplete", json_boolean(ts->incomplete || ts->unreadable));
	for (int k = 0; k < TCPCHECK_NRULES; k++) {
		json_t *r = json_object();

		json_set(r, "count", ts->avail[k] && !ts->unreadable ?
			 json_integer((json_int_t)ts->count[k]) : json_null());
		json_set(r, "conns", ts->flagged[k]);
		if (json_array_size(ts->unavail[k]) && ts->avail[k])
			json_set(r, "not_shown_on", json_incref(ts->unavail[k]));
		json_decref(ts->unavail[k]);
		json_set(rules, tcpcheck_rule_names[k], r);
	}
	json_set(o, "rules", rules);
	json_set(o, "hosts", hosts);
	return o;
}

static void add_tcp_checks(json_t *sum, const struct layout *l)
{
	struct tcpcheck_thresholds th;
	struct tcp_sum ts = { 0 };
	json_t *hosts = json_object();

	tcpcheck_thresholds_init(&th);
	if (l->checks && tcpcheck_thresholds_parse(&th, l->checks))
		warning("the run's checks are not valid: the defaults apply");
	for (int k = 0; k < TCPCHECK_NRULES; k++) {
		ts.flagged[k] = json_array();
		ts.unavail[k] = json_array();
	}
	for (int i = 0; i < l->n; i++) {
		json_t *h = tcp_host(&ts, &l->v[i], &th);

		if (h)
			json_set(hosts, l->v[i].name, h);
	}
	if (!ts.traces) {	/* not traced: no key at all */
		for (int k = 0; k < TCPCHECK_NRULES; k++) {
			json_decref(ts.flagged[k]);
			json_decref(ts.unavail[k]);
		}
		json_decref(hosts);
		return;
	}
	json_set(sum, "tcp_checks", tcp_sum_json(&ts, hosts));
}

json_t *summary_build(const char *dir)
{
	struct layout l;
	struct window w = { 0 }, wd;
	json_t *cs, *sum;
	double gbps;
	int d = 0;

	if (read_layout(dir, &l))
		return NULL;
	cs = client_summary(&l, &w);
	if (!cs) {
		layout_release(&l);
		return NULL;
	}
	while (d < l.n - 1 && !l.v[d].serves)
		d++;
	wd = (struct window){ w.t0 + l.v[d].offset, w.t1 + l.v[d].offset };
	sum = json_object();
	add_workload(sum, cs);
	json_set_num(sum, "window_start_mono_s", wd.t0);
	json_set_num(sum, "window_end_mono_s", wd.t1);
	add_host_files(sum, l.v[d].dir, &wd, 1);
	json_set_str(sum, "dut", l.multi ? l.v[d].name : NULL);
	if (!isnan(l.v[d].qemu_util))
		json_set_num(sum, "qemu_" SUM_CPU, l.v[d].qemu_util);
	if (l.multi)
		json_set(sum, "hosts", hosts_json(&l, &w));
	add_tcp_checks(sum, &l);
	gbps = json_get_num(cs, SUM_GOODPUT) / 1e9;
	json_set_num(sum, SUM_CPU_PER_GBIT,
		     gbps > 0 ? json_get_num(sum, SUM_CPU) / gbps : NAN);
	json_decref(cs);
	layout_release(&l);
	return sum;
}

/* "578 errors (refused 578)": the kinds that happened. */
static void errors_said(const json_t *sum, double total, struct strbuf *why)
{
	const char *k;
	json_t *v;
	int n = 0;

	strbuf_addf(why, "%.0f error%s", total, total == 1 ? "" : "s");
	json_object_foreach(json_object_get(sum, "errors"), k, v)
		if (json_is_integer(v) && json_integer_value(v) > 0)
			strbuf_addf(why, "%s%s %lld", n++ ? ", " : " (", k,
				    (long long)json_integer_value(v));
	if (n)
		strbuf_addch(why, ')');
}

int summary_workload_failed(const json_t *sum, double max_error_ratio, struct strbuf *why)
{
	const char *workload = json_get_str(sum, "workload");
	int bulk = workload && !strcmp(workload, "bulk");
	double work = bulk ? json_get_num(sum, "conn_opened") : json_get_num(sum, "transactions");
	double bytes = json_get_num(sum, "bytes_rx") + json_get_num(sum, "bytes_tx");
	double errors = json_get_num(sum, "errors_total");

	if (bulk ? bytes == 0 : work == 0) {
		strbuf_addstr(why, bulk ? "the service under test moved no byte"
				       : "the service under test did no transaction");
		strbuf_addstr(why, " in the measured window");
		if (errors > 0) {
			strbuf_addstr(why, ": ");
			errors_said(sum, errors, why);
		}
		return 1;
	}
	if (errors > 0 && work >= 0 && errors > max_error_ratio * (errors + work)) {
		strbuf_addstr(why, "the service under test failed too often: ");
		errors_said(sum, errors, why);
		strbuf_addf(why, " for %.0f %s, past max-error-ratio = %g", work,
			    bulk ? "connections" : "transactions", max_error_ratio);
		return 1;
	}
	return 0;
}
