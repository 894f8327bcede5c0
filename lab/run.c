/*
 * One measured run: the workload server on the DUT, collectors on every
 * host, the workload clients on the client hosts, all started as perflab
 * itself (argv, never a shell; over ssh for remote hosts) and aligned on
 * one start time, translated into each host's clock. Without a hosts
 * file, this machine plays every part over loopback.
 */
#include "lab/run.h"
#include "lab/vm.h"
#include "common/cgroup.h"
#include "store/summary.h"
#include "store/rundir.h"
#include "common/version.h"
#include "lab/build.h"
#include "lab/deploy.h"
#include "store/history.h"
#include "lab/hosts.h"
#include "lab/runhost.h"
#include "lab/transport.h"
#include "collectors/collector.h"
#include "collectors/fingerprint.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/progress.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define R(name, type, field, lo, hi, def, argh, help) \
	{ name, 0, type, offsetof(struct run_opts, field), lo, hi, NULL, def, argh, help }

static const char *const failed_runs_names[] = { "skip", "bad", NULL };

const struct opt run_table[] = {
	R("repeat", OPT_INT, repeat, 1, 100000, "1", "N", "measure N times, each its own directory"),
	R("results", OPT_STRING, results, 0, 0, "results", "DIR", "where run directories go"),
	R("collectors", OPT_STRING, collectors, 0, 0, "cpu,freq,net,pmc", "LIST",
	  "collectors beside the workload: cpu, freq, net, pmc, all, none; add tcptrace for "
	  "the TCP blackbox (every host's connections of the run, checked in summary.json)"),
	R("checks", OPT_STRING, checks, 0, 0, "", "KEY=VALUE;...",
	  "thresholds of the TCP trace's checks, as a job's [checks] lines (stalled.rtts=8;"
	  "rwnd_stuck.samples=5); \"\" = the defaults"),
	R("label", OPT_STRING, label, 0, 0, "", "TEXT",
	  "a name for what is measured (kernel, build), kept in run.json"),
	R("server-threads", OPT_INT, server_threads, 0, 1024, "0", "N",
	  "server worker threads, 0 = online CPUs"),
	R("max-error-ratio", OPT_DOUBLE, max_error_ratio, 0, 1, "0.05", "RATIO",
	  "the run failed (the service under test did) past this share of failed "
	  "connections or transactions; 1 = never"),
	{ "failed-runs", 0, OPT_CHOICE, offsetof(struct run_opts, failed_runs), 0, 0,
	  failed_runs_names, "skip", "WHAT", "what a bisection makes of a commit whose "
	  "service fails: skip it, or call it bad (a crash is a regression)" },
	R("lease-wait", OPT_DOUBLE, lease_wait, -1, 1e9, "-1", "SECS",
	  "how long to wait for lab hosts another job holds: -1 = as long as it takes, "
	  "0 = not at all (exit 128 naming the holder)"),
	R("notify", OPT_ARGV, notify, 0, 0, NULL, "CMD",
	  "nightly and bisect run: run CMD with the verdict JSON on its standard input when a "
	  "night is not GOOD or a bisection ends"),
	OPT_END_ROW
};

#define STOP_TIMEOUT 15.0	/* seconds for a process to finish once told */
#define START_DELAY 0.3	/* seconds to launch everything before the start */

struct run_state {
	const struct run_request *rq;
	const struct run_opts *r;
	const struct load_client_opts *w;
	const struct hostlist *hl;	/* NULL: this machine alone */
	struct host self;		/* the host "local" for a run without hosts */
	struct run_host *hosts;
	int nhosts;
	struct run_host *dut;
	char *id;
	char *tmp;		/* results/.tmp-<id>, renamed to results/<id> */
	char *final;
	char *state;		/* ssh control sockets */
	int port;
	double start_at;	/* CLOCK_MONOTONIC seconds, ours */
	json_t *meta;		/* run.json */
	json_t *phases;		/* seconds the harness spent, by phase */
	double t_phase;		/* when the current phase began */
	const char *failure;	/* why the run failed, or NULL */
	struct strbuf why;	/* the service's failure, when failure points here */
	enum run_status status;	/* skipped or aborted by the deploy */
	int prepared;		/* the hosts' transports are up */
};

/* Close the current phase: its seconds go into run.json's "harness_s". */
static void phase_done(struct run_state *st, const char *name)
{
	double now = mono_s();

	json_set_num(st->phases, name, now - st->t_phase);
	st->t_phase = now;
}

/* Start perflab ARGS on a host; with line, wait for its ready line. */
static int start_remote(struct run_state *st, struct run_host *rh, char *const *argv,
			struct child *c, int *in, int *out, const char *role)
{
	char *log = xasprintf("%s/%s%s.log", st->tmp, role, rh->log_tag);
	int ret = host_start(rh, argv, c, in, out, log);

	free(log);
	return ret;
}

/*
 * A process failed: its log's error lines on the terminal too, and the
 * log named where it will be once the run directory has its name.
 */
static int log_said(struct run_state *st, struct run_host *rh, const char *role)
{
	char *path = xasprintf("%s/%s%s.log", st->tmp, role, rh->log_tag);
	char *text = read_file(path, 1 << 16, NULL), *line, *save = NULL;
	int n = 0;

	for (line = text ? strtok_r(text, "\n", &save) : NULL; line && n < 5;
	     line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "error: ", 7) && ++n)
			error("the %s on host '%s': %s", role, rh->h->name, line + 7);
	free(text);
	free(path);
	return error("its log is '%s/%s%s.log'", st->final, role, rh->log_tag);
}

static int wait_ready(struct run_state *st, struct run_host *rh, int fd, const char *role,
		      char *line, size_t len)
{
	if (!host_read_line(rh, fd, line, len, role))
		return 0;
	return log_said(st, rh, role);
}

static char *traffic_address(const struct run_state *st)
{
	const struct host *h = st->dut->h;

	if (!st->hl || host_is_local(h) || (st->dut->drives && !*h->traffic))
		return xstrdup(*h->traffic ? h->traffic : "127.0.0.1");
	return xstrdup(*h->traffic ? h->traffic : h->address);
}

static int start_server(struct run_state *st)
{
	struct run_host *rh = st->dut;
	char *out = xasprintf("%s/server.ndjson", rh->rdir);
	char *threads = xasprintf("%ld", st->r->server_threads);
	char *interval = xasprintf("%g", st->w->interval);
	char *argv[] = { rh->t.agent, "-q", "load", "server", "--port", "0",
			 "--host", st->hl ? "0.0.0.0" : "127.0.0.1", "--threads", threads,
			 "--interval", interval, "--out", out, "--ready-fd", "1",
			 "--stop-on-eof", NULL };
	int ret = start_remote(st, rh, argv, &rh->server, &rh->server_in, &rh->server_out,
			       "server");

	free(out);
	free(threads);
	free(interval);
	return ret;
}

static int server_port(struct run_state *st)
{
	char line[32];

	if (wait_ready(st, st->dut, st->dut->server_out, "server", line, sizeof(line)))
		return -1;
	st->port = atoi(line);
	if (st->port <= 0 || st->port > 65535)
		return error("the server on host '%s' reported port '%s'", st->dut->h->name, line);
	return 0;
}

static int collecting(const struct run_state *st)
{
	return strcmp(st->r->collectors, "none") && *st->r->collectors;
}

/* The TCP blackbox is asked for: its recorders need the server's port. */
static int tracing(const struct run_state *st)
{
	const char **names;
	int n = collector_list_parse(st->r->collectors, &names), yes = 0;

	for (int i = 0; i < n; i++)
		yes |= collector_is_recorder(names[i]);
	free(names);
	return yes;
}

/* --tcp-ports=P,P+1...: the server's ports (the client spreads over w->ports) */
static char *tcp_ports_arg(const struct run_state *st)
{
	struct strbuf sb = STRBUF_INIT;
	long n = st->w->ports > 1 ? st->w->ports : 1;

	strbuf_addstr(&sb, "--tcp-ports=");
	for (long i = 0; i < n && i < 32 && st->port + i <= 65535; i++)
		strbuf_addf(&sb, "%s%ld", i ? "," : "", st->port + i);
	return strbuf_detach(&sb, NULL);
}

/* Collectors sample on a grid from t0 (ours); the run starts on it. */
static int start_collect(struct run_state *st, struct run_host *rh, double t0)
{
	char *interval = xasprintf("%g", st->w->interval);
	char *align = xasprintf("%.9f", t0 + rh->offset);
	char *port = tcp_ports_arg(st);
	char *argv[] = { rh->t.agent, "-q", "collect", "--collectors", st->r->collectors,
			 "--interval", interval, "--out-dir", rh->rdir, "--align", align,
			 "--ready-fd", "1", "--stop-on-eof", NULL, NULL, NULL, NULL };
	int k = ARRAY_SIZE(argv) - 4;

	/* the TCP trace records the workload's connections: its port */
	if (tracing(st))
		argv[k++] = port;
	/* a namespace host: its CPU is its cgroup's */
	if (rh->h && *rh->h->cgroup) {
		argv[k++] = "--cgroup";
		argv[k++] = rh->h->cgroup;
	}
	int ret = start_remote(st, rh, argv, &rh->collect, &rh->collect_in, &rh->collect_out,
			       "collect");

	free(interval);
	free(align);
	free(port);
	return ret;
}

/* A client's share of the connections: an even split, the rest first. */
static long share(const struct run_state *st, int k, int nclients)
{
	long c = st->w->connections;

	return c / nclients + (k < c % nclients);
}

/* The workload's URL with {dut} and {port} filled in for this run. */
static char *url_for(const struct run_state *st, const char *addr)
{
	char port[16], *url, **words;
	char *one[] = { st->w->url ? st->w->url : "", NULL };
	const char *vars[] = { "dut", addr, "port", port, NULL };

	snprintf(port, sizeof(port), "%d", st->port);
	words = argv_substitute(one, vars);
	url = xasprintf("--url=%s", words[0]);
	argv_free(words);
	return url;
}

/* The client's argv: every workload option spelled out, one grammar. */
static char **client_argv(struct run_state *st, struct run_host *rh, long conns)
{
	char **argv;
	char *addr = traffic_address(st);
	int n = 0, rows = 0;

	while (load_client_table[rows].name)
		rows++;
	argv = xcalloc((size_t)rows + 16, sizeof(*argv));
	argv[n++] = xstrdup(rh->t.agent);
	argv[n++] = xstrdup("-q");
	argv[n++] = xstrdup("load");
	argv[n++] = xstrdup("client");
	for (const struct opt *o = load_client_table; o->name; o++) {
		struct strbuf v = STRBUF_INIT;

		if (!strcmp(o->name, "out") || !strcmp(o->name, "port") ||
		    !strcmp(o->name, "host") || !strcmp(o->name, "connections") ||
		    !strcmp(o->name, "url"))
			continue;
		opt_format(o, st->w, &v);
		argv[n++] = xasprintf("--%s=%s", o->name, v.buf);
		strbuf_release(&v);
	}
	argv[n++] = url_for(st, addr);
	argv[n++] = xasprintf("--host=%s", addr);
	argv[n++] = xasprintf("--port=%d", st->port);
	argv[n++] = xasprintf("--connections=%ld", conns);
	argv[n++] = xasprintf("--out=%s/client.ndjson", rh->rdir);
	argv[n++] = xasprintf("--start-at=%.9f", st->start_at + rh->offset);
	free(addr);
	return argv;
}

static int start_clients(struct run_state *st)
{
	int k = 0, nclients = 0;

	for (int i = 0; i < st->nhosts; i++)
		nclients += st->hosts[i].drives;
	for (int i = 0; i < st->nhosts; i++) {
		struct run_host *rh = &st->hosts[i];
		char **argv;
		int in, out, ret;
		long conns;

		if (!rh->drives)
			continue;
		conns = share(st, k++, nclients);
		if (!conns) {
			rh->drives = 0;	/* fewer connections than clients: it idles */
			continue;
		}
		argv = client_argv(st, rh, conns);
		ret = start_remote(st, rh, argv, &rh->client, &in, &out, "client");
		argv_free(argv);
		if (ret)
			return -1;
		close(in);
		close(out);
	}
	return 0;
}

/*
 * On a terminal, the run's clock as a status line: warmup, then the
 * measured seconds, while the first client drives.
 */
static void show_clock(struct run_state *st, struct child *c, uint64_t deadline)
{
	const struct load_client_opts *w = st->w;
	uint64_t t0 = mono_ns();

	if (!progress_on_tty())
		return;
	while (c->pid && mono_ns() < deadline) {
		double t = (double)(mono_ns() - t0) / 1e9 - START_DELAY;

		if (t < w->warmup)
			progress("run: warmup %.0f of %.0f s", t < 0 ? 0 : t, w->warmup);
		else
			progress("run: measuring %.0f of %.0f s", t - w->warmup, w->duration);
		if (child_wait(c, 1) != PERFLAB_ETIMEOUT)
			break;
	}
	progress_clear();
}

/*
 * QEMU's CPU time on this machine for the VM DUTs (their cgroup): begin
 * when the workload starts, end when it is over.
 */
static void qemu_cpu(struct run_state *st, int end)
{
	for (int i = 0; i < st->nhosts; i++) {
		struct run_host *rh = &st->hosts[i];
		struct cgroup_cpu cpu;
		struct cgroup_fs fs;
		struct vm_spec v;
		char *list = NULL;

		if (!end)
			rh->qemu_cpu_s = rh->qemu_wall_s = NAN;
		if (!*rh->h->vm || vm_spec_load(&v, rh->h->vm))
			continue;
		if (*v.cgroup && !cgroup_fs_probe(&fs)) {
			if (!cgroup_cpu_read(&fs, v.cgroup, &cpu)) {
				double now = mono_s();

				rh->qemu_cpu_s = end ? (double)cpu.usage_ns / 1e9 - rh->qemu_cpu_s
					: (double)cpu.usage_ns / 1e9;
				rh->qemu_wall_s = end ? now - rh->qemu_wall_s : now;
				rh->qemu_ncpu = cgroup_cpus(&fs, v.cgroup, &list);
				free(list);
			}
			cgroup_fs_release(&fs);
		}
		vm_spec_release(&v);
	}
}

static int wait_clients(struct run_state *st)
{
	const struct load_client_opts *w = st->w;
	double limit = w->warmup + w->duration + w->timeout + 30 + START_DELAY;
	uint64_t deadline = mono_ns() + (uint64_t)(limit * 1e9);
	int ret = 0;

	for (int i = 0; i < st->nhosts; i++)
		if (st->hosts[i].drives) {
			show_clock(st, &st->hosts[i].client, deadline);
			break;
		}

	for (int i = 0; i < st->nhosts; i++) {
		struct run_host *rh = &st->hosts[i];
		double left = (double)(deadline - mono_ns()) / 1e9;

		if (!rh->drives)
			continue;
		if (child_wait(&rh->client, left > 0 ? left : 0) == PERFLAB_ETIMEOUT) {
			child_stop(&rh->client, 1);
			ret = error("the client on host '%s' did not finish within %.0f s",
				    rh->h->name, limit);
		} else if (child_exit_code(&rh->client)) {
			error("the client on host '%s' failed (exit %d)", rh->h->name,
			      child_exit_code(&rh->client));
			ret = log_said(st, rh, "client");
		}
	}
	return ret;
}

/* Close a process's stdin (it finishes its records) and wait for it. */
static void stop_one(struct child *c, int *in, int *out)
{
	if (*in > 0)
		close(*in);
	*in = -1;
	if (c->pid && child_wait(c, STOP_TIMEOUT) == PERFLAB_ETIMEOUT)
		child_stop(c, 2);
	if (*out > 0)
		close(*out);
	*out = -1;
}

/*
 * A server or collectors that ended before they were told to (their
 * host's sshd killed, the connection lost, a crash) did not see the
 * whole run: its figures are not a measurement. The first is named.
 */
static void ended_early(struct run_state *st, struct run_host *rh, struct child *c,
			const char *role)
{
	if (!c->pid || child_wait(c, 0) || st->failure)
		return;
	strbuf_reset(&st->why);
	strbuf_addf(&st->why, "the %s on host '%s' ended before the run did (exit %d%s)",
		    role, rh->h->name, child_exit_code(c),
		    child_exit_code(c) == 255 && st->hl && !host_is_local(rh->h) ?
		    ": the ssh connection was lost" : "");
	st->failure = st->why.buf;
	error("%s", st->failure);
}

static void stop_all(struct run_state *st)
{
	for (int i = 0; i < st->nhosts; i++) {
		ended_early(st, &st->hosts[i], &st->hosts[i].collect, "collectors");
		ended_early(st, &st->hosts[i], &st->hosts[i].server, "server");
	}
	for (int i = 0; i < st->nhosts; i++) {
		struct run_host *rh = &st->hosts[i];

		child_stop(&rh->client, 1);
		stop_one(&rh->collect, &rh->collect_in, &rh->collect_out);
		stop_one(&rh->server, &rh->server_in, &rh->server_out);
	}
}

static json_t *host_json(void)
{
	struct utsname u;
	json_t *h = json_object();
	char *cmdline = read_file("/proc/cmdline", 65536, NULL);

	if (!uname(&u)) {
		json_set_str(h, "hostname", u.nodename);
		json_set_str(h, "os", u.sysname);
		json_set_str(h, "kernel", u.release);
		json_set_str(h, "kernel_version", u.version);
		json_set_str(h, "machine", u.machine);
	}
	if (cmdline)
		cmdline[strcspn(cmdline, "\n")] = '\0';
	json_set_str(h, "kernel_cmdline", cmdline);
	json_set_int(h, "online_cpus", sysconf(_SC_NPROCESSORS_ONLN));
	free(cmdline);
	return h;
}

static json_t *params_json(const struct opt *table, const void *target)
{
	json_t *p = json_object();

	for (const struct opt *o = table; o->name; o++) {
		struct strbuf v = STRBUF_INIT;

		opt_format(o, target, &v);
		json_set_str(p, o->name, v.buf);
		strbuf_release(&v);
	}
	return p;
}

static json_t *make_meta(struct run_state *st, char *const *argv)
{
	json_t *m = json_object(), *cmd = json_array();
	char t[40];

	json_array_append_new(cmd, json_string("perflab"));
	for (int i = 0; argv && argv[i]; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	json_set_str(m, "run_id", st->id);
	json_set_str(m, "status", "running");
	json_set_str(m, "label", *st->r->label ? st->r->label : NULL);
	json_set_str(m, "workload", load_workload_names[st->w->workload]);
	json_set(m, "command", cmd);
	json_set(m, "params", params_json(load_client_table, st->w));
	json_set(m, "run_params", params_json(run_table, st->r));
	json_set(m, "host", host_json());
	json_set_str(m, "perflab_version", perflab_version());
	json_set_int(m, "pid", getpid());
	json_set_str(m, "started_utc", fmt_time_utc(real_ns(), t, sizeof(t)));
	json_set_str(m, "kind", st->rq->kind ? st->rq->kind : "run");
	json_set_str(m, "series", st->rq->series);
	json_set_str(m, "side", st->rq->side);
	json_set_str(m, "commit", st->rq->commit);
	json_set_str(m, "image", st->rq->image);
	return m;
}

/*
 * Where each host's files are in the run directory, its role and its
 * clock: what summary_build() needs to read a run back.
 */
static json_t *hosts_meta(const struct run_state *st)
{
	json_t *a = json_array();

	for (int i = 0; i < st->nhosts; i++) {
		const struct run_host *rh = &st->hosts[i];
		json_t *o = json_object();
		const char *rel = rh->ldir && st->tmp ? rh->ldir + strlen(st->tmp) : NULL;

		json_set_str(o, "name", rh->h->name);
		json_set_str(o, "address", rh->h->address);
		json_set_str(o, "role", host_role_names[rh->h->role]);
		json_set(o, "serves", json_boolean(rh->serves));
		json_set(o, "drives", json_boolean(rh->drives));
		/* whose CPU its cpu figures are: its own cgroup's, or its machine's */
		json_set_str(o, "cpu_scope", rh->h && *rh->h->cgroup ? "cgroup" : "machine");
		json_set_str(o, "cgroup", rh->h && *rh->h->cgroup ? rh->h->cgroup : NULL);
		json_set_str(o, "cpus", rh->h && *rh->h->cpus ? rh->h->cpus : NULL);
		if (rel)
			json_set_str(o, "dir", *rel ? rel + 1 : ".");
		json_set_num(o, "clock_offset_s", rh->offset);
		json_set_num(o, "clock_offset_err_s", rh->offset_err);
		json_set_num(o, "client_cpu_s", rh->drives ? rh->client.cpu_s : NAN);
		if (*rh->h->vm) {
			/* the guest's CPU is in its files; QEMU's, on this machine, beside */
			json_t *q = json_object();

			json_set_num(q, "cpu_s", rh->qemu_cpu_s);
			json_set_num(q, "wall_s", rh->qemu_wall_s);
			json_set_int(q, "ncpu", rh->qemu_ncpu);
			json_set_num(q, "util_pct", rh->qemu_wall_s > 0 && rh->qemu_ncpu > 0 ?
				     100 * rh->qemu_cpu_s / rh->qemu_wall_s / rh->qemu_ncpu : NAN);
			json_set(o, "qemu", q);
		}
		json_array_append_new(a, o);
	}
	return a;
}

static int write_meta(struct run_state *st)
{
	char *path = xasprintf("%s/run.json", st->tmp);
	int ret = json_write_file(path, st->meta, 0);

	free(path);
	return ret;
}

static void copy_file_to(const char *from_dir, const char *to_dir, const char *name)
{
	char *from = xasprintf("%s/%s", from_dir, name), *to = xasprintf("%s/%s", to_dir, name);
	size_t len;
	char *data = read_file(from, 16 << 20, &len);

	if (data)
		write_file_atomic(to, data, len, 1);
	free(data);
	free(from);
	free(to);
}

static const char *status_name(enum run_status s)
{
	switch (s) {
	case RUN_COMPLETE: return "complete";
	case RUN_SKIPPED: return "skipped";
	case RUN_ABORTED: return "aborted";
	default: return "failed";
	}
}

static enum run_status finish(struct run_state *st)
{
	char t[40];
	json_t *sum = NULL;
	char *path;
	int ret;

	stop_all(st);
	phase_done(st, "stop");
	if (st->hl && st->prepared && hosts_fetch(st->hosts, st->nhosts) && !st->failure)
		st->failure = "the results could not be fetched from the hosts";
	if (st->hl && st->prepared)	/* the DUT's is the run's, for fingerprint diff */
		copy_file_to(st->dut->ldir, st->tmp, FINGERPRINT_FILE);
	phase_done(st, "fetch");
	if (!st->hl) {
		json_t *cpu = json_object();

		json_set_num(cpu, "client", st->dut->client.cpu_s);
		json_set_num(cpu, "server", st->dut->server.cpu_s);
		json_set_num(cpu, "collect", st->dut->collect.cpu_s);
		json_set(st->meta, "process_cpu_s", cpu);
	}
	json_set(st->meta, "hosts", hosts_meta(st));
	json_set_num(st->meta, "start_mono_s", st->start_at);
	json_set(st->meta, "harness_s", json_incref(st->phases));
	json_set_str(st->meta, "finished_utc", fmt_time_utc(real_ns(), t, sizeof(t)));
	write_meta(st);
	if (!st->failure) {
		sum = summary_build(st->tmp);
		if (!sum) {
			st->failure = "the results could not be summarized";
		} else if (summary_workload_failed(sum, st->r->max_error_ratio, &st->why)) {
			st->failure = st->why.buf;	/* measured a failure, not a speed */
			json_set(st->meta, "workload_failed", json_true());
			error("%s", st->failure);
		}
	}
	phase_done(st, "summarize");
	/* summary.json before run.json: a run.json that says complete has its summary */
	if (sum) {
		path = xasprintf("%s/summary.json", st->tmp);
		if (json_write_file(path, sum, 1) && !st->failure)
			st->failure = "summary.json could not be written";
		free(path);
		json_decref(sum);
	}
	if (st->failure && st->status == RUN_COMPLETE)
		st->status = RUN_FAILED;
	json_set_str(st->meta, "status", status_name(st->status));
	json_set_str(st->meta, "failure", st->failure);
	ret = write_meta(st);
	/*
	 * run.json's last word is what makes it a run: without it (a full
	 * disk) it is not one, and is neither finalised nor indexed.
	 */
	if (ret) {
		error("the run's record could not be written: it stays at '%s', not a run",
		      st->tmp);
		free(st->final);
		st->final = xstrdup(st->tmp);
		return RUN_FAILED;
	}
	if (rename_noreplace(st->tmp, st->final)) {
		error("cannot move '%s' to '%s': the run stays there", st->tmp, st->final);
		free(st->final);
		st->final = xstrdup(st->tmp);	/* where it is */
		return RUN_FAILED;
	}
	history_index_run(st->r->results, st->final);
	return st->status;
}

/*
 * A run whose perflab died (kill -9, a crash, a reboot) leaves its
 * .tmp- directory. Say so, and move it aside as .incomplete-<id>: it is
 * kept for a look, and never mistaken for a run. A directory without
 * run.json may be a run another perflab is starting this very moment:
 * it is left alone until it is an hour old.
 */
#define ABANDONED_NO_META_S 3600
static int old_dir(const char *path, time_t age)
{
	struct stat sb;

	return !stat(path, &sb) && sb.st_mtime + age < time(NULL);
}

static void note_abandoned(const char *results)
{
	DIR *d = opendir(results);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *dir, *meta, *aside;
		json_t *m;
		long pid = 0;

		if (strncmp(de->d_name, ".tmp-", 5))
			continue;
		dir = xasprintf("%s/%s", results, de->d_name);
		meta = xasprintf("%s/run.json", dir);
		m = json_load_file(meta, 0, NULL);
		json_get_long(m, "pid", 1, INT_MAX, &pid);
		if ((!m && old_dir(dir, ABANDONED_NO_META_S)) ||
		    (pid > 0 && kill((pid_t)pid, 0) && errno == ESRCH)) {
			aside = xasprintf("%s/.incomplete-%s", results, de->d_name + 5);
			warning("incomplete run '%s' (its perflab is gone); kept as '%s'", dir, aside);
			if (rename_noreplace(dir, aside))
				warning("cannot move '%s' aside", dir);
			free(aside);
		}
		json_decref(m);
		free(meta);
		free(dir);
	}
	if (d)
		closedir(d);
}

/* The hosts taking part: the DUT serves, every client drives. */
static int pick_hosts(struct run_state *st)
{
	const struct hostlist *hl = st->hl;
	int nclients = 0;

	if (!hl) {
		memset(&st->self, 0, sizeof(st->self));
		opt_defaults(host_table, &st->self);
		free(st->self.address);
		st->self.address = xstrdup("local");
		st->self.name = xstrdup("local");
		st->hosts = xcalloc(1, sizeof(*st->hosts));
		st->hosts[0] = (struct run_host){ .h = &st->self, .serves = 1, .drives = 1 };
		st->nhosts = 1;
		st->dut = &st->hosts[0];
		return 0;
	}
	st->hosts = xcalloc(hl->nr, sizeof(*st->hosts));
	for (size_t i = 0; i < hl->nr; i++) {
		const struct host *h = &hl->v[i];
		int serves = h->role == ROLE_DUT && !st->dut;

		if (h->role == ROLE_BUILD || (h->role == ROLE_DUT && !serves))
			continue;
		st->hosts[st->nhosts] = (struct run_host){ .h = h, .serves = serves,
							  .drives = h->role == ROLE_CLIENT };
		if (serves)
			st->dut = &st->hosts[st->nhosts];
		nclients += h->role == ROLE_CLIENT;
		st->nhosts++;
	}
	if (!st->dut)
		return error("'%s' has no host with role = dut", hl->path);
	if (!nclients)
		st->dut->drives = 1;	/* no client hosts: the DUT loads itself */
	return 0;
}

static void release_hosts(struct run_state *st)
{
	for (int i = 0; i < st->nhosts; i++) {
		transport_release_keep(&st->hosts[i].t, 1);	/* the next run reuses it */
		free(st->hosts[i].rdir);
		free(st->hosts[i].ldir);
		free(st->hosts[i].log_tag);
	}
	free(st->hosts);
	if (!st->hl) {
		opt_release(host_table, &st->self);
		free(st->self.name);
	}
}

/* Each host's directories: ours for a run alone, hosts/<name>/ in a lab. */
static void set_paths(struct run_state *st)
{
	for (int i = 0; i < st->nhosts; i++) {
		struct run_host *rh = &st->hosts[i];
		char *enc = name_as_path(rh->h->name);

		if (!st->hl) {
			rh->rdir = xstrdup(st->tmp);
			rh->ldir = xstrdup(st->tmp);
			rh->log_tag = xstrdup("");
		} else {
			rh->ldir = xasprintf("%s/hosts/%s", st->tmp, enc);
			rh->rdir = host_is_local(rh->h) ? xstrdup(rh->ldir)
				   : xasprintf("%s/runs/%s", rh->h->workdir, st->id);
			rh->log_tag = xasprintf("-%s", enc);
		}
		free(enc);
	}
}

/*
 * Server and collectors first, all at once; when they are ready, the
 * start is the collectors' next grid point far enough ahead for the
 * clients to be launched.
 */
static int start_all(struct run_state *st)
{
	/* the start: far enough ahead to launch everything; the collectors' grid origin */
	double t0 = mono_s() + START_DELAY + 0.05 * st->nhosts, step = st->w->interval, late;
	int image_serves = st->rq->deploy && st->rq->deploy->server == SERVER_IMAGE;
	char line[32];

	/* a TCP trace filters on the port: the server's comes first then */
	int port_first = tracing(st);

	if (!image_serves && start_server(st))
		return -1;
	if (image_serves)
		st->port = (int)st->rq->deploy->port;
	else if (port_first && server_port(st))
		return -1;
	for (int i = 0; i < st->nhosts && collecting(st); i++)
		if (start_collect(st, &st->hosts[i], t0))
			return -1;
	if (!image_serves && !port_first && server_port(st))
		return -1;
	for (int i = 0; i < st->nhosts && collecting(st); i++)
		if (wait_ready(st, &st->hosts[i], st->hosts[i].collect_out, "collect", line,
			       sizeof(line)))
			return -1;
	/* a slow host missed the start: the next point of the grid, then */
	late = mono_s() + 0.05 * st->nhosts - t0;
	st->start_at = late > 0 ? t0 + ceil(late / step) * step : t0;
	return start_clients(st);
}

/* What was built: recorded; a failed build is a skip, never a result. */
static json_t *build_json(const struct build_result *b)
{
	json_t *o = json_object();

	json_set_str(o, "key", b->key);
	json_set_str(o, "commit", b->commit);
	json_set_str(o, "tree", b->tree);
	json_set_str(o, "subject", b->subject);
	json_set(o, "cache_hit", json_boolean(b->hit));
	json_set(o, "failed", json_boolean(b->failed));
	json_set_str(o, "reason", b->reason);
	json_set_str(o, "log", b->log);
	json_set_num(o, "seconds", b->seconds);
	return o;
}

static int build_step(struct run_state *st)
{
	const struct build_result *b = st->rq->build;

	if (!b)
		return 0;
	json_set(st->meta, "build", build_json(b));
	if (!b->failed)
		return 0;
	st->status = RUN_SKIPPED;
	st->failure = "the build failed (skip this commit)";
	return -1;
}

/* Put the image on the DUT and bring it back; classify what fails. */
static int deploy_step(struct run_state *st)
{
	struct deploy_result res;
	struct transport t;

	if (!st->rq->image)
		return 0;
	if (transport_init(&t, st->dut->h, st->state))
		return -1;
	deploy_image(&res, &t, st->rq->deploy, st->rq->image, st->rq->commit, st->tmp);
	json_set(st->meta, "deploy", deploy_result_json(&res));
	if (res.outcome == DEPLOY_SKIP) {
		st->status = RUN_SKIPPED;
		st->failure = "the image could not be deployed (skip this commit)";
	} else if (res.outcome == DEPLOY_ABORT) {
		st->status = RUN_ABORTED;
		st->failure = "the lab is broken (abort)";
	}
	deploy_result_release(&res);
	transport_release_keep(&t, 1);
	return st->failure ? -1 : 0;
}

static void measure(struct run_state *st)
{
	set_paths(st);
	if (build_step(st) || deploy_step(st))
		return;
	phase_done(st, "deploy");
	st->prepared = 1;
	/* a host that cannot be reached or runs no fitting agent: a human is needed */
	if (hosts_prepare(st->hosts, st->nhosts, st->state)) {
		st->status = RUN_ABORTED;
		st->failure = "a host could not be prepared (abort)";
	}
	/* before any load; a run without a fingerprint is still a run */
	if (!st->failure)
		hosts_fingerprint(st->hosts, st->nhosts);
	phase_done(st, "prepare");
	if (!st->failure && start_all(st))
		st->failure = "the workload or its collectors did not start";
	phase_done(st, "start");
	qemu_cpu(st, 0);
	if (!st->failure && wait_clients(st))
		st->failure = "a workload client failed";
	qemu_cpu(st, 1);
	phase_done(st, "workload");
}

enum run_status run_measure(const struct run_request *rq, char **dir_out)
{
	struct run_state st = { .rq = rq, .r = rq->run, .w = rq->workload, .hl = rq->hosts };
	enum run_status ret = RUN_FAILED;

	st.phases = json_object();
	st.t_phase = mono_s();
	strbuf_init(&st.why);
	note_abandoned(st.r->results);
	/* .tmp-<id> made exclusively: a run of the same second has its own */
	if (pick_hosts(&st) || run_dir_create(st.r->results, load_workload_names[st.w->workload],
					      &st.id, &st.tmp)) {
		release_hosts(&st);
		goto out;
	}
	st.final = xasprintf("%s/%s", st.r->results, st.id);
	st.state = xasprintf("%s/.perflab-ssh", st.r->results);
	st.meta = make_meta(&st, rq->argv);
	if (write_meta(&st))
		st.failure = "run.json could not be written";
	if (!st.failure)
		measure(&st);
	ret = finish(&st);
	if (dir_out)
		*dir_out = xstrdup(st.final);
	release_hosts(&st);
out:
	json_decref(st.phases);
	json_decref(st.meta);
	free(st.id);
	free(st.tmp);
	free(st.final);
	free(st.state);
	strbuf_release(&st.why);
	return ret;
}
