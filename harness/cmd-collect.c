/*
 * perflab collect: run collectors alone, one JSON-lines file each.
 * `perflab run` starts it beside the workload; it also serves by hand.
 */
#include "harness/builtin.h"
#include "collectors/collector.h"
#include "collectors/tcptrace.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct collect_opts {
	char *collectors;
	double interval;
	double duration;
	char *out_dir;
	double align;
	long ready_fd;
	int stop_on_eof;
	char *cgroup;
	char *tcp_ports;
};

#define O(name, sh, type, field, lo, hi, def, argh, help) \
	{ name, sh, type, offsetof(struct collect_opts, field), lo, hi, NULL, def, argh, help }

static const struct opt collect_table[] = {
	O("collectors", 0, OPT_STRING, collectors, 0, 0, "cpu,freq,net,pmc", "LIST",
	  "collectors to run: cpu, freq, net, pmc, all (these four), and tcptrace: the TCP "
	  "blackbox, every connection's state over time into tcptrace.ndjson (root: kernel "
	  "tracepoints, else TCP_INFO samples)"),
	O("tcp-ports", 0, OPT_STRING, tcp_ports, 0, 0, "", "PORTS",
	  "tcptrace: the connections to record, by local or remote port (comma-separated, "
	  "at most 32); \"\" = every TCP connection of the host"),
	O("interval", 'i', OPT_DURATION, interval, 0.01, 3600, "1s", "SECS", "sampling interval"),
	O("duration", 't', OPT_DURATION, duration, 0, 86400 * 365, "0", "SECS",
	  "stop after this long, 0 = until SIGTERM or SIGINT"),
	O("out-dir", 'o', OPT_STRING, out_dir, 0, 0, ".", "DIR",
	  "write NAME.ndjson for each collector here"),
	O("align", 0, OPT_DOUBLE, align, 0, 0, "0", "T",
	  "sample at T + k*interval (CLOCK_MONOTONIC seconds), 0 = from now"),
	O("ready-fd", 0, OPT_INT, ready_fd, -1, 65535, "-1", "FD",
	  "write a line to FD once the baseline is taken"),
	O("cgroup", 0, OPT_STRING, cgroup, 0, 0, NULL, "NAME",
	  "this host is the processes of cgroup NAME (a namespace lab's host): its CPU"),
	{ "stop-on-eof", 0, OPT_BOOL, offsetof(struct collect_opts, stop_on_eof), 0, 0, NULL,
	  "no", NULL, "stop when standard input ends (perflab run over ssh)" },
	OPT_END_ROW
};

struct running {
	struct collector *c;
	struct ndjson out;
};

/* "5201,5202" into ports; -1 (reported) on anything else. */
static int parse_ports(const char *list, uint16_t *ports, size_t max, size_t *n)
{
	const char *p = list;

	*n = 0;
	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p || v < 1 || v > 65535 || (*end && *end != ','))
			return error("invalid port list '%s': expected ports 1-65535, "
				     "comma-separated", list);
		if (*n == max)
			return error("too many ports in '%s' (at most %zu)", list, max);
		ports[(*n)++] = (uint16_t)v;
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* The TCP blackbox, when asked for: OUT_DIR/tcptrace.ndjson. */
static int start_tcptrace(const struct collect_opts *o, struct tcptrace **out)
{
	struct tcptrace_opts to;
	uint16_t ports[32];
	size_t n;
	char *path;
	int ret;

	if (parse_ports(o->tcp_ports, ports, ARRAY_SIZE(ports), &n))
		return -1;
	tcptrace_opts_init(&to);
	path = xasprintf("%s/tcptrace.ndjson", o->out_dir);
	to.path = path;
	to.ports = ports;
	to.nports = n;
	ret = tcptrace_start(out, &to);
	free(path);
	return ret;
}

static int open_all(const struct collect_opts *o, struct running **out, int *n_out)
{
	const char **names;
	int n = collector_list_parse(o->collectors, &names);
	struct running *r;

	if (n < 0)
		return -1;
	r = xcalloc((size_t)n + 1, sizeof(*r));
	*out = r;
	*n_out = 0;
	for (int i = 0; i < n; i++) {
		char *path;
		json_t *info = NULL;
		int bad;

		if (collector_is_recorder(names[i])) {
			(*n_out)++;	/* an empty slot: started by the caller */
			continue;
		}
		path = xasprintf("%s/%s.ndjson", o->out_dir, names[i]);
		bad = ndjson_open(&r[i].out, path);

		free(path);
		if (!bad) {
			r[i].c = collector_open(names[i], &info);
			bad = !r[i].c || ndjson_write(&r[i].out, info);
		}
		json_decref(info);
		(*n_out)++;
		if (bad) {
			free(names);
			return -1;
		}
		json_decref(collector_sample(r[i].c));	/* the baseline */
	}
	free(names);
	return 0;
}

static void sample_all(struct running *r, int n)
{
	for (int i = 0; i < n; i++) {
		json_t *rec = r[i].c ? collector_sample(r[i].c) : NULL;

		if (rec)
			ndjson_write(&r[i].out, rec);
		json_decref(rec);
	}
}

static int close_all(struct running *r, int n)
{
	int ret = 0;

	for (int i = 0; i < n; i++) {
		if (!r[i].c && !r[i].out.f)
			continue;	/* a recorder's slot */
		collector_free(r[i].c);
		if (ndjson_close(&r[i].out))
			ret = -1;
	}
	free(r);
	return ret;
}

static int wants_tcptrace(const char *list)
{
	const char **names;
	int n = collector_list_parse(list, &names), yes = 0;

	for (int i = 0; i < n; i++)
		yes |= !strcmp(names[i], "tcptrace");
	free(names);
	return yes;
}

static void say_ready(long fd)
{
	if (fd < 0)
		return;
	if (write_all((int)fd, "ready\n", 6))
		warning_errno("cannot signal readiness on fd %ld", fd);
	close((int)fd);
}

/* Sample every interval from the aligned start until told to stop. */
static void loop(const struct collect_opts *o, struct running *r, int n)
{
	uint64_t step = (uint64_t)(o->interval * 1e9);
	uint64_t t0 = o->align > 0 ? (uint64_t)(o->align * 1e9) : mono_ns();
	/* unaligned, the run ends on the grid: no sliver of a last sample */
	uint64_t end = o->duration <= 0 ? UINT64_MAX
		       : (o->align > 0 ? mono_ns() : t0) + (uint64_t)(o->duration * 1e9);
	/* a grid that starts ahead of us (the run's start) is sampled from its origin */
	uint64_t next = t0 > mono_ns() ? t0 : t0 + step;

	while (next <= mono_ns())
		next += step;
	for (;;) {
		uint64_t t = next < end ? next : end;
		int stop = wait_until(t, o->stop_on_eof ? 0 : -1) != WAIT_TIME;

		sample_all(r, n);	/* a stop takes a last, partial sample */
		if (stop || t >= end)
			return;
		next += step;
	}
}

static void list_collectors(FILE *f)
{
	fprintf(f, "collectors:\n");
	for (int k = 0; collector_list[k]; k++)
		fprintf(f, "  %-8s %s\n", collector_list[k]->name, collector_list[k]->summary);
	fprintf(f, "  %-8s %s\n", "tcptrace",
		"TCP blackbox: per connection, cwnd, window, RTT, retransmits over time");
}

const struct cmd_help help_collect = {
	"collect", "perflab collect [OPTIONS]",
	"Run collectors alone; each writes DIR/NAME.ndjson: an info line, then one\n"
	"sample per interval. perflab run starts this on every host of a lab.",
	{ { NULL, collect_table } }, NULL, 0, list_collectors,
};

int cmd_collect(int argc, char **argv)
{
	struct collect_opts o = { 0 };
	struct optset sets[] = { { collect_table, &o }, { NULL, NULL } };
	struct running *r = NULL;
	struct tcptrace *tt = NULL;
	sigset_t sigs;
	int i, n = 0, ret = EXIT_FAIL;

	if (wants_help(argc, argv)) {
		help_usage(stdout, &help_collect);
		return EXIT_OK;
	}
	opt_defaults(collect_table, &o);
	i = opt_parse(sets, argc, argv);
	if (i < 0 || i < argc) {
		if (i >= 0)
			error("unexpected argument '%s'", argv[i]);
		opt_release(collect_table, &o);
		return EXIT_USAGE;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	/*
	 * Samples late by a busy machine's scheduler misplace counts at
	 * the window's edges; collecting costs little, so it may go first
	 * (when allowed: root).
	 */
	setpriority(PRIO_PROCESS, 0, -10);
	collector_set_cgroup(o.cgroup);
	if (!mkdir_p(o.out_dir) && !open_all(&o, &r, &n) &&
	    (!wants_tcptrace(o.collectors) || !start_tcptrace(&o, &tt))) {
		say_ready(o.ready_fd);
		loop(&o, r, n);
		ret = EXIT_OK;
	}
	if (tt && tcptrace_stop(tt, NULL))
		ret = EXIT_FAIL;
	if (r && close_all(r, n))
		ret = EXIT_FAIL;
	opt_release(collect_table, &o);
	return ret;
}

/*
 * perflab clock: this host's CLOCK_MONOTONIC and CLOCK_REALTIME, so a
 * controller can line up the time series of several hosts.
 */
static void print_clock(void)
{
	printf("monotonic %.9f realtime %.9f\n", (double)mono_ns() / 1e9, (double)real_ns() / 1e9);
	fflush(stdout);
}

struct clock_cli {
	int serve;
};

static const struct opt clock_table[] = {
	{ "serve", 0, OPT_BOOL, offsetof(struct clock_cli, serve), 0, 0, NULL, "no", NULL,
	  "print the clocks once per line read from standard input, until it ends" },
	OPT_END_ROW
};

const struct cmd_help help_clock = {
	"clock", "perflab clock [--serve]",
	"Print CLOCK_MONOTONIC and CLOCK_REALTIME in seconds, so a controller can\n"
	"line up the time series of several hosts (a ping-pong over one connection\n"
	"with --serve).",
	{ { NULL, clock_table } },
};

int cmd_clock(int argc, char **argv)
{
	char line[64];

	if (wants_help(argc, argv)) {
		help_usage(stdout, &help_clock);
		return EXIT_OK;
	}
	if (argc == 2 && !strcmp(argv[1], "--serve")) {
		while (fgets(line, sizeof(line), stdin))
			print_clock();
		return EXIT_OK;
	}
	if (argc != 1) {
		error("usage: perflab clock [--serve]");
		return EXIT_USAGE;
	}
	print_clock();
	return EXIT_OK;
}
