/*
 * One measured run on this host: the workload server, the collectors and
 * the workload client, started as perflab itself (argv, never a shell),
 * aligned on one start time so every file's intervals line up.
 */
#include "harness/run.h"
#include "harness/builtin.h"
#include "collectors/fingerprint.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>

#define R(name, type, field, lo, hi, def, argh, help) \
	{ name, 0, type, offsetof(struct run_opts, field), lo, hi, NULL, def, argh, help }

const struct opt run_table[] = {
	R("repeat", OPT_INT, repeat, 1, 100000, "1", "N", "measure N times, each its own directory"),
	R("results", OPT_STRING, results, 0, 0, "results", "DIR", "where run directories go"),
	R("collectors", OPT_STRING, collectors, 0, 0, "cpu,freq,net", "LIST",
	  "collectors beside the workload: cpu, freq, net, all, none"),
	R("label", OPT_STRING, label, 0, 0, "", "TEXT",
	  "a name for what is measured (kernel, build), kept in run.json"),
	R("server-threads", OPT_INT, server_threads, 0, 1024, "0", "N",
	  "server worker threads, 0 = online CPUs"),
	OPT_END_ROW
};

#define READY_TIMEOUT 10.0	/* seconds for a child to say it is ready */
#define START_DELAY 0.3		/* seconds between "all ready" and the start */

struct run_state {
	const struct run_opts *r;
	const struct load_client_opts *w;
	char *id;
	char *tmp;		/* results/.tmp-<id>, renamed to results/<id> */
	char *final;
	struct child server, collect, client;
	int port;
	double start_at;	/* CLOCK_MONOTONIC seconds */
	json_t *meta;		/* run.json */
	const char *failure;	/* why the run failed, or NULL */
	int ran_collect;
};

static char *make_run_id(const struct load_client_opts *w)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	unsigned rnd;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &rnd, sizeof(rnd)) != sizeof(rnd))
		rnd = (unsigned)getpid() ^ (unsigned)mono_ns();
	if (fd >= 0)
		close(fd);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	return xasprintf("%s-%s-%04x", stamp, load_workload_names[w->workload], rnd & 0xffff);
}

/* Wait for one line from fd (a child's readiness pipe); 0 when it came. */
static int read_ready(int fd, char *buf, size_t len, const char *who)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	uint64_t deadline = mono_ns() + (uint64_t)(READY_TIMEOUT * 1e9);

	while (got + 1 < len) {
		int left = (int)((deadline - mono_ns()) / NSEC_PER_MSEC);
		ssize_t n;

		if (mono_ns() >= deadline || poll(&pf, 1, left > 0 ? left : 0) == 0)
			return error("the %s did not start within %.0f s", who, READY_TIMEOUT);
		n = read(fd, buf + got, len - got - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error("the %s exited before it was ready", who);
		got += (size_t)n;
		if (memchr(buf, '\n', got))
			break;
	}
	buf[got] = '\0';
	return 0;
}

/* Start perflab with args; it reports readiness on a pipe. */
static int start_child(struct run_state *st, struct child *c, const char *role,
		       struct strbuf *args_line, char **argv, char *ready, size_t len)
{
	struct spawn_opts so = SPAWN_OPTS_INIT;
	char *log = xasprintf("%s/%s.log", st->tmp, role);
	int p[2], ret;

	if (pipe2(p, O_CLOEXEC)) {
		free(log);
		return error_errno("cannot create pipe");
	}
	so.stderr_path = log;
	so.stdout_path = "/dev/null";
	so.keep_fd = p[1];
	so.new_pgrp = 1;
	so.die_with_parent = 1;
	strbuf_addf(args_line, "%d", p[1]);	/* the last argument: --ready-fd N */
	argv[argv_len(argv) - 1] = args_line->buf;
	ret = spawn_argv(c, argv, &so);
	close(p[1]);
	if (!ret && read_ready(p[0], ready, len, role))
		ret = error("see '%s'", log);
	close(p[0]);
	free(log);
	return ret;
}

static int start_server(struct run_state *st)
{
	struct strbuf fd = STRBUF_INIT;
	char *out = xasprintf("%s/server.ndjson", st->tmp);
	char *threads = xasprintf("%ld", st->r->server_threads);
	char *interval = xasprintf("%g", st->w->interval);
	char *argv[] = { (char *)self_exe(), "-q", "load", "server", "--port", "0",
			 "--host", "127.0.0.1", "--threads", threads, "--interval", interval,
			 "--out", out, "--ready-fd", "", NULL };
	char line[32];
	int ret = start_child(st, &st->server, "server", &fd, argv, line, sizeof(line));

	if (!ret)
		st->port = atoi(line);
	if (!ret && (st->port <= 0 || st->port > 65535))
		ret = error("the server reported port '%s'", line);
	strbuf_release(&fd);
	free(out);
	free(threads);
	free(interval);
	return ret;
}

static int start_collect(struct run_state *st)
{
	struct strbuf fd = STRBUF_INIT;
	char *interval = xasprintf("%g", st->w->interval);
	char *align = xasprintf("%.9f", st->start_at);
	char *argv[] = { (char *)self_exe(), "-q", "collect", "--collectors", st->r->collectors,
			 "--interval", interval, "--out-dir", st->tmp, "--align", align,
			 "--ready-fd", "", NULL };
	char line[32];
	int ret;

	if (!strcmp(st->r->collectors, "none") || !*st->r->collectors) {
		free(interval);
		free(align);
		return 0;
	}
	ret = start_child(st, &st->collect, "collect", &fd, argv, line, sizeof(line));
	st->ran_collect = !ret;
	strbuf_release(&fd);
	free(interval);
	free(align);
	return ret;
}

/* The client's argv: every workload option spelled out, one grammar. */
static char **client_argv(struct run_state *st)
{
	int n = 0, rows = 0;
	char **argv;

	while (load_client_table[rows].name)
		rows++;
	argv = xcalloc((size_t)rows + 16, sizeof(*argv));

	argv[n++] = xstrdup(self_exe());
	argv[n++] = xstrdup("-q");
	argv[n++] = xstrdup("load");
	argv[n++] = xstrdup("client");
	for (const struct opt *o = load_client_table; o->name; o++) {
		struct strbuf v = STRBUF_INIT;

		if (!strcmp(o->name, "out") || !strcmp(o->name, "port") ||
		    !strcmp(o->name, "host"))
			continue;
		opt_format(o, st->w, &v);
		argv[n++] = xasprintf("--%s=%s", o->name, v.buf);
		strbuf_release(&v);
	}
	argv[n++] = xstrdup("--host=127.0.0.1");
	argv[n++] = xasprintf("--port=%d", st->port);
	argv[n++] = xasprintf("--out=%s/client.ndjson", st->tmp);
	argv[n++] = xasprintf("--start-at=%.9f", st->start_at);
	return argv;
}

static int run_client(struct run_state *st)
{
	struct spawn_opts so = SPAWN_OPTS_INIT;
	char **argv = client_argv(st);
	char *log = xasprintf("%s/client.log", st->tmp);
	double limit = st->w->warmup + st->w->duration + st->w->timeout + 30 + START_DELAY;
	int ret;

	so.stderr_path = log;
	so.stdout_path = "/dev/null";
	so.new_pgrp = 1;
	so.die_with_parent = 1;
	ret = spawn_argv(&st->client, argv, &so);
	if (!ret && child_wait(&st->client, limit) == PERFLAB_ETIMEOUT) {
		child_stop(&st->client, 1);
		ret = error("the client did not finish within %.0f s; see '%s'", limit, log);
	} else if (!ret && child_exit_code(&st->client)) {
		ret = error("the client failed (exit %d); see '%s'",
			    child_exit_code(&st->client), log);
	}
	argv_free(argv);
	free(log);
	return ret;
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
	json_set(m, "commit", json_null());
	return m;
}

static int write_meta(struct run_state *st)
{
	char *path = xasprintf("%s/run.json", st->tmp);
	int ret = json_write_file(path, st->meta, 0);

	free(path);
	return ret;
}

static void stop_children(struct run_state *st)
{
	child_stop(&st->client, 1);
	child_stop(&st->collect, 5);
	child_stop(&st->server, 5);
}

static int finish(struct run_state *st)
{
	char t[40];
	json_t *sum = NULL, *cpu = json_object();
	char *path;
	int ret;

	stop_children(st);
	json_set_num(cpu, "client", st->client.cpu_s);
	json_set_num(cpu, "server", st->server.cpu_s);
	json_set_num(cpu, "collect", st->ran_collect ? st->collect.cpu_s : NAN);
	json_set(st->meta, "process_cpu_s", cpu);
	json_set_str(st->meta, "finished_utc", fmt_time_utc(real_ns(), t, sizeof(t)));
	if (!st->failure) {
		sum = run_summarize(st->tmp);
		if (!sum)
			st->failure = "the results could not be summarized";
	}
	json_set_str(st->meta, "status", st->failure ? "failed" : "complete");
	json_set_str(st->meta, "failure", st->failure);
	ret = write_meta(st);
	if (sum) {
		path = xasprintf("%s/summary.json", st->tmp);
		ret |= json_write_file(path, sum, 1);
		free(path);
		json_decref(sum);
	}
	if (rename_noreplace(st->tmp, st->final))
		return error("cannot move '%s' to '%s'", st->tmp, st->final);
	return ret || st->failure ? -1 : 0;
}

/*
 * A run whose perflab died (kill -9, a crash, a reboot) leaves its
 * .tmp- directory. Say so, and move it aside as .incomplete-<id>: it is
 * kept for a look, and never mistaken for a run.
 */
static void note_abandoned(const char *results)
{
	DIR *d = opendir(results);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *dir, *meta, *aside;
		json_t *m;
		long pid;

		if (strncmp(de->d_name, ".tmp-", 5))
			continue;
		dir = xasprintf("%s/%s", results, de->d_name);
		meta = xasprintf("%s/run.json", dir);
		m = json_load_file(meta, 0, NULL);
		pid = m ? (long)json_get_num(m, "pid") : 0;
		if (!m || (pid > 0 && kill((pid_t)pid, 0) && errno == ESRCH)) {
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

int run_measure(const struct run_opts *r, const struct load_client_opts *w,
		char *const *argv, char **dir_out)
{
	struct run_state st = { .r = r, .w = w };
	int ret;

	note_abandoned(r->results);
	st.id = make_run_id(w);
	st.tmp = xasprintf("%s/.tmp-%s", r->results, st.id);
	st.final = xasprintf("%s/%s", r->results, st.id);
	if (mkdir_p(st.tmp)) {
		ret = -1;
		goto out;
	}
	st.meta = make_meta(&st, argv);
	ret = write_meta(&st);
	if (!ret)	/* before any load; a run without one is still a run */
		fingerprint_write(st.tmp);
	if (ret || start_server(&st))
		st.failure = "the workload server did not start";
	st.start_at = mono_s() + 2 * START_DELAY;
	if (!st.failure && start_collect(&st))
		st.failure = "the collectors did not start";
	json_set_num(st.meta, "start_mono_s", st.start_at);
	if (!st.failure && run_client(&st))
		st.failure = "the workload client failed";
	ret = finish(&st);
	if (dir_out)
		*dir_out = xstrdup(st.final);
out:
	json_decref(st.meta);
	free(st.id);
	free(st.tmp);
	free(st.final);
	return ret;
}
