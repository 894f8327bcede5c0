/*
 * perflab top -S EVENT: like pmcstat -S EVENT -T -w SECS. Samples an
 * event system-wide (or one process, or a command's lifetime) and
 * prints the functions that took the samples, most first, every
 * interval: redrawn in place on a terminal, appended otherwise.
 */
#include "harness/builtin.h"
#include "collectors/sampler.h"
#include "collectors/topology.h"
#include "collectors/symbolize.h"
#include "collectors/symbols.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"
#include "reports/top.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct top_opts {
	char *event;
	double interval;
	char *cpus;
	long pid;
	long rows;
	int json;
	double duration;
	double freq;
	long period;
	int per_cpu;
	int idle;
	char *kallsyms;
	long mmap_pages;
	int top_view;
	char *debuginfo_path;
};

#define O(name, sh, type, field, lo, hi, def, argh, help) \
	{ name, sh, type, offsetof(struct top_opts, field), lo, hi, NULL, def, argh, help }

static const struct opt top_table[] = {
	O("event", 'S', OPT_STRING, event, 0, 0, NULL, "EVENT",
	  "event to sample: cpu-clock, task-clock (software); cycles, instructions need a PMU"),
	O("interval", 'w', OPT_DURATION, interval, 0.1, 86400, "2s", "SECS",
	  "print the table every SECS"),
	O("cpus", 'C', OPT_STRING, cpus, 0, 0, NULL, "CPUS", "sample these CPUs only (0-3,6)"),
	O("pid", 0, OPT_INT, pid, 1, 4194304, NULL, "PID", "sample this process only"),
	O("rows", 'n', OPT_INT, rows, 0, 1000000, "0", "ROWS",
	  "rows per table, 0 = fit the terminal (20 when not one; all with --json)"),
	O("json", 'J', OPT_BOOL, json, 0, 0, NULL, NULL,
	  "print JSON lines: one per interval, then the whole run"),
	O("duration", 't', OPT_DURATION, duration, 0, 86400 * 365, "0", "SECS",
	  "stop after SECS (and stop CMD), 0 = when CMD or PID ends, or at ^C"),
	O("freq", 'F', OPT_DOUBLE, freq, 0, 1000000, "1000", "HZ",
	  "samples per second per CPU (0: use --period)"),
	O("period", 'c', OPT_INT, period, 0, 0, "0", "N", "one sample every N events"),
	O("per-cpu", 0, OPT_BOOL, per_cpu, 0, 0, NULL, NULL, "a samples column for each CPU"),
	O("idle", 0, OPT_BOOL, idle, 0, 0, NULL, NULL,
	  "count the idle task's samples too (system-wide)"),
	O("kallsyms", 0, OPT_STRING, kallsyms, 0, 0, "/proc/kallsyms", "FILE",
	  "kernel symbols from FILE"),
	O("mmap-pages", 0, OPT_INT, mmap_pages, 1, 65536, "128", "PAGES",
	  "ring buffer pages per CPU, a power of two"),
	O("debuginfo-path", 0, OPT_STRING, debuginfo_path, 0, 0, NULL, "PATH",
	  "where separate debug files are looked for, as elfutils' tools take it "
	  "(default :.debug:/usr/lib/debug: beside the file, then by build-id and path)"),
	O("top-view", 'T', OPT_BOOL, top_view, 0, 0, NULL, NULL,
	  "the top-like view: accepted for pmcstat's -S EVENT -T -w SECS (the only view there is)"),
	OPT_END_ROW
};

const struct cmd_help help_top = {
	"top", "perflab top -S EVENT [-T] [-w SECS] [OPTIONS] [-- CMD...]",
	"Sample EVENT system-wide, in one process (--pid) or in CMD and its\n"
	"children, and print the functions that took the samples, most first,\n"
	"every interval, like pmcstat -S EVENT -T -w SECS. The heading says the\n"
	"sampling rate and the period: the events one sample stands for (fixed\n"
	"with -c, the kernel's mean with -F). Kernel symbols come from\n"
	"/proc/kallsyms; user ones from the ELF files mapped, through elfutils'\n"
	"libdwfl: a stripped binary is resolved from its separate debug file\n"
	"(build-id under /usr/lib/debug/.build-id, or .gnu_debuglink), as the\n"
	"-dbgsym and -debuginfo packages install them. Without a hardware PMU\n"
	"only software events (cpu-clock, task-clock) can be sampled.",
	{ { NULL, top_table } },
};

struct top_run {
	const struct top_opts *o;
	char **cmd;		/* the command sampled, or NULL */
	struct sampler *smp;
	struct symbolizer *sym;
	struct top interval, total;
	struct child child;	/* pid 0 when none or reaped */
	int stopped_child;	/* we stopped it at the deadline */
	int tty;		/* redraw in place */
	uint64_t t0, t_int;	/* ns: sampling start, this interval's start */
	uint64_t t_end;		/* ns: sampling stopped */
	struct sampler_stats prev; /* at the start of this interval */
	double events_int, events_all;	/* sum of the samples' periods: events sampled */
	uint64_t samples_int, samples_all;
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll returns early */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void resolve(struct top_run *t, const struct perf_rec *r, struct sym_hit *h)
{
	switch (r->misc & PERF_RECORD_MISC_CPUMODE_MASK) {
	case PERF_RECORD_MISC_KERNEL:
		symbolizer_kernel(t->sym, r->ip, h);
		break;
	case PERF_RECORD_MISC_USER:
		symbolizer_user(t->sym, (pid_t)r->pid, r->ip, h);
		break;
	case PERF_RECORD_MISC_HYPERVISOR:
		h->func = "[unknown]";
		h->module = "[hypervisor]";
		break;
	default:
		h->func = "[unknown]";
		h->module = "[guest]";
		break;
	}
}

static void on_record(const struct perf_rec *r, void *data)
{
	struct top_run *t = data;
	struct sym_hit h;

	switch (r->type) {
	case PERF_RECORD_SAMPLE:
		t->events_int += (double)r->period;
		t->events_all += (double)r->period;
		t->samples_int++;
		t->samples_all++;
		resolve(t, r, &h);
		top_add(&t->interval, h.func, h.module, (int)r->cpu, 1);
		top_add(&t->total, h.func, h.module, (int)r->cpu, 1);
		break;
	case PERF_RECORD_MMAP:
	case PERF_RECORD_MMAP2:
		if (r->pid != (uint32_t)-1)	/* -1: kernel module text */
			symbolizer_mmap(t->sym, (pid_t)r->pid, r->addr, r->len, r->pgoff, r->name);
		break;
	case PERF_RECORD_COMM:
		symbolizer_comm(t->sym, (pid_t)r->pid, r->name,
				!!(r->misc & PERF_RECORD_MISC_COMM_EXEC));
		break;
	case PERF_RECORD_FORK:
		symbolizer_fork(t->sym, (pid_t)r->pid, (pid_t)r->ppid);
		break;
	case PERF_RECORD_EXIT:
		if (r->pid == r->tid)
			symbolizer_exit(t->sym, (pid_t)r->pid);
		break;
	}
}

static void terminal_size(int *cols, int *lines)
{
	struct winsize ws;

	*cols = 0;
	*lines = 0;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws)) {
		*cols = ws.ws_col;
		*lines = ws.ws_row;
	}
}

static void heading(const struct top_run *t, const struct sampler_stats *d, double dt,
		    int whole, struct strbuf *out)
{
	const struct top_opts *o = t->o;

	double events = whole ? t->events_all : t->events_int;
	uint64_t n = whole ? t->samples_all : t->samples_int;

	strbuf_addf(out, "perflab top -S %s: ", o->event);
	if (o->freq > 0 && n)
		strbuf_addf(out, "%.0f Hz, mean period %.0f events", o->freq, events / (double)n);
	else if (o->freq > 0)
		strbuf_addf(out, "%.0f Hz", o->freq);
	else
		strbuf_addf(out, "period %ld events", o->period);
	strbuf_addf(out, " on %d CPU%s, ", sampler_ncpus(t->smp),
		    sampler_ncpus(t->smp) == 1 ? "" : "s");
	if (whole)
		strbuf_addf(out, "whole run of %.1f s", dt);
	else
		strbuf_addf(out, "%.1f s at %.1f s", dt, (double)(mono_ns() - t->t0) / 1e9);
	strbuf_addf(out, ": %llu samples, %llu lost\n", (unsigned long long)d->samples,
		    (unsigned long long)(d->lost + d->lost_samples));
}

static void print_text(struct top_run *t, const struct top *tab,
		       const struct sampler_stats *d, double dt, int whole)
{
	struct strbuf out = STRBUF_INIT;
	struct top_format f = { (int)t->o->rows, t->o->per_cpu, 0 };
	int lines = 0;

	if (t->tty) {
		terminal_size(&f.width, &lines);
		if (!f.max_rows)
			f.max_rows = lines > 4 ? lines - 4 : 20;
		strbuf_addstr(&out, "\033[H\033[2J");
	} else if (!f.max_rows) {
		f.max_rows = 20;
	}
	heading(t, d, dt, whole, &out);
	top_format_table(tab, &f, &out);
	if (!t->tty)
		strbuf_addch(&out, '\n');
	fwrite(out.buf, 1, out.len, stdout);
	fflush(stdout);
	strbuf_release(&out);
}

static void print_json(struct top_run *t, const struct top *tab, const char *type,
		       const struct sampler_stats *d, double dt)
{
	json_t *o = top_json(tab, (int)t->o->rows);
	char *s;

	json_set_str(o, "type", type);
	json_set_str(o, "event", t->o->event);
	json_set_num(o, "t_mono_s", mono_s());
	json_set_num(o, "dt_s", dt);
	json_set_int(o, "lost", (long long)d->lost);
	json_set_int(o, "lost_samples", (long long)d->lost_samples);
	json_set_int(o, "throttled", (long long)d->throttled);
	json_set_int(o, "samples_read", (long long)d->samples);
	json_set_int(o, "events", (long long)t->events_int);
	json_set_num(o, "mean_period", t->samples_int ?
		     t->events_int / (double)t->samples_int : NAN);
	s = json_dump_compact(o);
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	json_decref(o);
}

static void stats_delta(struct sampler_stats *d, const struct sampler_stats *now,
			const struct sampler_stats *before)
{
	d->samples = now->samples - before->samples;
	d->lost = now->lost - before->lost;
	d->lost_samples = now->lost_samples - before->lost_samples;
	d->throttled = now->throttled - before->throttled;
	d->corrupt = now->corrupt - before->corrupt;
}

/* Print this interval's table and start the next. */
static void end_interval(struct top_run *t)
{
	struct sampler_stats now, d;
	uint64_t tnow = mono_ns();
	double dt = (double)(tnow - t->t_int) / 1e9;

	sampler_get_stats(t->smp, &now);
	stats_delta(&d, &now, &t->prev);
	if (t->o->json)
		print_json(t, &t->interval, "interval", &d, dt);
	else
		print_text(t, &t->interval, &d, dt, 0);
	top_reset(&t->interval);
	t->events_int = 0;
	t->samples_int = 0;
	t->prev = now;
	t->t_int = tnow;
}

/* Is what we sample gone: the command exited, the process ended? */
static int target_gone(struct top_run *t)
{
	if (t->cmd)
		return !t->child.pid || !child_wait(&t->child, 0);
	if (t->o->pid > 0)
		return kill((pid_t)t->o->pid, 0) && errno == ESRCH;
	return 0;
}

static void loop(struct top_run *t)
{
	uint64_t step = (uint64_t)(t->o->interval * 1e9);
	uint64_t end = t->o->duration > 0 ? t->t0 + (uint64_t)(t->o->duration * 1e9) : UINT64_MAX;
	uint64_t next = t->t0 + step;

	while (!got_signal) {
		uint64_t now = mono_ns(), until = next < end ? next : end;
		int ms = until > now ? (int)((until - now) / NSEC_PER_MSEC) : 0;

		/* wake at least every 100 ms to see the command end */
		sampler_wait(t->smp, ms < 100 ? ms : 100);
		sampler_read(t->smp, on_record, t, 0);
		if (target_gone(t) || mono_ns() >= end)
			return;
		if (mono_ns() >= next) {
			end_interval(t);
			next += step;
		}
	}
}

static int start_command(struct top_run *t)
{
	struct spawn_opts so = SPAWN_OPTS_INIT;

	/* a process group of its own, so stopping it stops its children */
	so.new_pgrp = 1;
	so.die_with_parent = 1;
	if (fcntl(STDIN_FILENO, F_GETFD) >= 0)
		so.stdin_path = "/dev/stdin";
	return spawn_argv(&t->child, t->cmd, &so);
}

/* Start sampling: the command (its exec turns the events on), or now. */
static int start(struct top_run *t)
{
	t->t0 = t->t_int = mono_ns();
	if (t->cmd)
		return start_command(t);
	if (sampler_enable(t->smp))
		return -1;
	/* what already runs: perf only reports mappings made from now on */
	symbolizer_scan_proc(t->sym, t->o->pid > 0 ? (pid_t)t->o->pid : -1);
	return 0;
}

static void add_command_json(json_t *o, const struct top_run *t)
{
	json_t *argv = json_array();

	for (char **a = t->cmd; a && *a; a++)
		json_array_append_new(argv, json_string(*a));
	json_set(o, "command", t->cmd ? argv : json_null());
	if (!t->cmd)
		json_decref(argv);
	if (t->cmd && !t->stopped_child)
		json_set_int(o, "exit_code", child_exit_code(&t->child));
	else
		json_set(o, "exit_code", json_null());
	json_set(o, "pid", t->o->pid > 0 ? json_integer(t->o->pid) : json_null());
}

static void print_total(struct top_run *t)
{
	struct sampler_stats st;
	double dt = (double)(t->t_end - t->t0) / 1e9;
	json_t *o, *cpus = json_array();
	char *s;

	sampler_get_stats(t->smp, &st);
	if (!t->o->json) {
		print_text(t, &t->total, &st, dt, 1);
		return;
	}
	o = top_json(&t->total, (int)t->o->rows);
	json_set_str(o, "type", "total");
	json_set_str(o, "event", t->o->event);
	json_set_num(o, "freq_hz", t->o->freq > 0 ? t->o->freq : NAN);
	json_set_num(o, "period", t->o->freq > 0 ? NAN : (double)t->o->period);
	json_set_int(o, "events", (long long)t->events_all);
	json_set_num(o, "mean_period", t->samples_all ?
		     t->events_all / (double)t->samples_all : NAN);
	json_set_num(o, "duration_s", dt);
	for (int i = 0; i < sampler_ncpus(t->smp); i++)
		json_array_append_new(cpus, json_integer(sampler_cpu(t->smp, i)));
	json_set(o, "cpus", cpus);
	json_set_int(o, "lost", (long long)st.lost);
	json_set_int(o, "lost_samples", (long long)st.lost_samples);
	json_set_int(o, "throttled", (long long)st.throttled);
	add_command_json(o, t);
	s = json_dump_compact(o);
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	json_decref(o);
}

/* Stop sampling, stop the command if it still runs, read what is left. */
static void finish(struct top_run *t)
{
	struct sampler_stats st;

	sampler_disable(t->smp);
	t->t_end = mono_ns();
	if (t->child.pid && !target_gone(t)) {
		if (got_signal)
			note("stopping '%s': interrupted", t->cmd[0]);
		else
			note("stopping '%s' after %.1f s", t->cmd[0], t->o->duration);
		child_stop(&t->child, 1.0);
		t->stopped_child = 1;
	}
	sampler_read(t->smp, on_record, t, 1);
	/* the last, partial interval; in text, only when it is not the whole run */
	if (t->interval.samples && (t->o->json || (!t->tty && t->t_int != t->t0)))
		end_interval(t);
	print_total(t);
	sampler_get_stats(t->smp, &st);
	if (st.lost || st.lost_samples)
		warning("%llu records and %llu samples lost: the ring buffers filled up",
			(unsigned long long)st.lost, (unsigned long long)st.lost_samples);
	if (!st.samples)
		note("no samples of '%s' were taken", t->o->event);
	if (t->cmd && !t->stopped_child && child_exit_code(&t->child))
		warning("'%s' exited with %d", t->cmd[0], child_exit_code(&t->child));
}

static int check_opts(struct top_opts *o, int ncmd)
{
	struct sampler_event ev;

	if (!o->event)
		return error("which event? say -S EVENT, e.g. -S cpu-clock");
	if (sampler_event_parse(&ev, o->event))
		return -1;
	if (o->freq <= 0 && o->period <= 0)
		return error("give a sampling frequency (-F HZ) or a period (-c N)");
	if (o->period > 0)
		o->freq = 0;
	if (ncmd && o->pid > 0)
		return error("--pid PID and a command do not go together");
	if (o->mmap_pages & (o->mmap_pages - 1))
		return error("--mmap-pages must be a power of two, not %ld", o->mmap_pages);
	return 0;
}

static void fill_sampler_opts(struct sampler_opts *so, const struct top_opts *o, int *cpus,
			      int ncpus, int follow)
{
	memset(so, 0, sizeof(*so));
	so->event = o->event;
	so->freq = o->freq;
	so->period = (uint64_t)o->period;
	so->cpus = cpus;
	so->ncpus = ncpus;
	so->pid = o->pid > 0 ? (pid_t)o->pid : -1;
	so->follow_exec = follow;
	/* like hardware cycles, which stop in a halted CPU */
	so->exclude_idle = !o->idle;
	so->ring_pages = (unsigned)o->mmap_pages;
}

static int run_top(struct top_opts *o, char **cmd)
{
	struct top_run t = { .o = o, .cmd = cmd };
	struct sampler_opts so;
	int *cpus = NULL, ncpus = 0, ret;

	if (o->cpus && (ncpus = cpulist_parse(o->cpus, &cpus, "-C")) < 0)
		return EXIT_USAGE;
	fill_sampler_opts(&so, o, cpus, ncpus, cmd != NULL);
	ret = sampler_open(&t.smp, &so);
	free(cpus);
	if (ret)
		return EXIT_FAIL;
	if (o->debuginfo_path)
		elf_syms_debuginfo_path(o->debuginfo_path);
	t.sym = symbolizer_new(o->kallsyms);
	t.tty = !o->json && isatty(STDOUT_FILENO);
	ncpus = sampler_ncpus(t.smp);
	cpus = xmalloc((size_t)ncpus * sizeof(*cpus));
	for (int i = 0; i < ncpus; i++)
		cpus[i] = sampler_cpu(t.smp, i);
	top_init(&t.interval, cpus, ncpus);
	top_init(&t.total, cpus, ncpus);
	free(cpus);
	catch_signals();
	ret = start(&t);
	if (!ret) {
		loop(&t);
		finish(&t);
	}
	top_release(&t.interval);
	top_release(&t.total);
	symbolizer_free(t.sym);
	sampler_free(t.smp);
	return ret ? EXIT_FAIL : EXIT_OK;
}

int cmd_top(int argc, char **argv)
{
	struct top_opts o = { 0 };
	struct optset sets[] = { { top_table, &o }, { NULL, NULL } };
	int i, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		help_usage(stdout, &help_top);
		return EXIT_OK;
	}
	opt_defaults(top_table, &o);
	i = opt_parse(sets, argc, argv);
	if (i >= 0 && !check_opts(&o, argc - i))
		ret = run_top(&o, i < argc ? argv + i : NULL);
	opt_release(top_table, &o);
	return ret;
}
