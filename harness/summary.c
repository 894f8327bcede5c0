/*
 * summary.json from a run directory's raw files. Everything here is
 * recomputed from the files, so a summary can be rebuilt and checked.
 * Collector samples and server intervals are weighted by how much of
 * each falls inside the client's measured window.
 */
#include "harness/run.h"
#include "common/json.h"
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

static void add_cpu(json_t *sum, const struct lines *cpu, const struct window *w)
{
	static const char *states[] = { "user", "nice", "system", "irq", "softirq", "iowait",
					"steal", NULL };
	struct wsum util = { 0 }, busy = { 0 }, intr = { 0 }, ctxt = { 0 }, st[8] = { { 0 } };
	json_t *states_pct = json_object();

	for (size_t i = 0; i < cpu->nr; i++) {
		double s = overlap(cpu->v[i], w);

		wsum_add(&util, json_get_num(cpu->v[i], "util_pct"), s);
		wsum_add(&busy, json_get_num(cpu->v[i], "busy_cpus"), s);
		wsum_add(&intr, json_get_num(cpu->v[i], "intr_per_s"), s);
		wsum_add(&ctxt, json_get_num(cpu->v[i], "ctxt_per_s"), s);
		for (int k = 0; states[k]; k++) {
			char key[32];

			snprintf(key, sizeof(key), "all.%s", states[k]);
			wsum_add(&st[k], json_get_num(cpu->v[i], key), s);
		}
	}
	for (int k = 0; states[k]; k++)
		json_set_num(states_pct, states[k], wsum_mean(&st[k]));
	json_set_num(sum, "cpu_util_pct", wsum_mean(&util));
	json_set_num(sum, "cpu_busy_cpus", wsum_mean(&busy));
	json_set(sum, "cpu_states_pct", states_pct);
	json_set_num(sum, "intr_per_s", wsum_mean(&intr));
	json_set_num(sum, "ctxt_per_s", wsum_mean(&ctxt));
}

static void add_freq(json_t *sum, const struct lines *freq, const struct window *w)
{
	struct wsum mhz = { 0 };

	for (size_t i = 0; i < freq->nr; i++)
		wsum_add(&mhz, json_get_num(freq->v[i], "mhz"), overlap(freq->v[i], w));
	json_set_num(sum, "freq_mhz", wsum_mean(&mhz));
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
		"workload", "duration_s", "warmup_s", "goodput_bps", "goodput_from",
		"bytes_rx", "bytes_tx", "transactions", "tps", "conn_opened", "conn_closed",
		"errors", "latency_us", "tcp", "stack_names", "connections", "threads",
		"size_bytes", "interrupted", "connect_us", "delay_effective", NULL
	};
	const json_t *stacks = json_object_get(cs, "stacks");

	copy_keys(sum, cs, keys);
	json_set_num(sum, "goodput_gbps", json_get_num(cs, "goodput_bps") / 1e9);
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
	gbps = json_get_num(sum, "goodput_bps") / 1e9;
	json_set_num(sum, "cycles_per_gbit", gbps > 0 ? json_get_num(sum, "cycles_per_s") / gbps : NAN);
	json_set_str(sum, "pmc_unavailable", json_get_str(pmc.info, "unavailable"));
	lines_release(&pmc);
}

json_t *run_summarize(const char *dir)
{
	struct lines client, server, cpu, freq, net;
	const json_t *cs;
	json_t *sum = NULL;
	struct window w;
	double gbps;

	if (lines_read(&client, dir, "client.ndjson", 1)) {
		lines_release(&client);
		return NULL;
	}
	lines_read(&server, dir, "server.ndjson", 0);
	lines_read(&cpu, dir, "cpu.ndjson", 0);
	lines_read(&freq, dir, "freq.ndjson", 0);
	lines_read(&net, dir, "net.ndjson", 0);
	cs = last_of_type(&client, "summary");
	if (!cs) {
		error("'%s/client.ndjson' has no summary record", dir);
		goto done;
	}
	w.t1 = json_get_num(cs, "t_mono_s");
	w.t0 = w.t1 - json_get_num(cs, "duration_s");
	sum = json_object();
	add_workload(sum, cs);
	json_set_num(sum, "window_start_mono_s", w.t0);
	json_set_num(sum, "window_end_mono_s", w.t1);
	add_cpu(sum, &cpu, &w);
	add_freq(sum, &freq, &w);
	add_net(sum, &net, &w);
	add_server(sum, &server, &w);
	gbps = json_get_num(cs, "goodput_bps") / 1e9;
	json_set_num(sum, "cpu_pct_per_gbps",
		     gbps > 0 ? json_get_num(sum, "cpu_util_pct") / gbps : NAN);
	add_pmc(sum, dir, &w);
done:
	lines_release(&client);
	lines_release(&server);
	lines_release(&cpu);
	lines_release(&freq);
	lines_release(&net);
	return sum;
}
