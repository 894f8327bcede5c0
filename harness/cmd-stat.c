/*
 * perflab stat: counters in counting mode, like `pmcstat -w` and
 * `perf stat -a -I`. Without a command, a periodic table system-wide;
 * with one, its counts from exec to exit (inherited by its children),
 * or system-wide for its lifetime when asked per CPU or per topology.
 */
#include "harness/builtin.h"
#include "collectors/pmc.h"
#include "collectors/topology.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"
#include "reports/stat.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct stat_opts {
	char *events;
	double interval;	/* -w SECS: pmcstat's wide table */
	long interval_ms;	/* -I MSEC: perf's layout */
	char *sep;		/* -x SEP: perf's CSV */
	char *cpus;
	int all_cpus;
	int per_cpu, per_core, per_package, per_node;
	int json;
	long count;
	char *output;
};

#define O(name, sh, type, field, lo, hi, def, argh, help) \
	{ name, sh, type, offsetof(struct stat_opts, field), lo, hi, NULL, def, argh, help }

static const struct opt stat_table[] = {
	O("events", 'e', OPT_STRING, events, 0, 0, NULL, "EVENTS",
	  "comma-separated events (libpfm4, perf or pmcstat names); default: the "
	  "host PMU family's set plus software events"),
	O("field-separator", 'x', OPT_STRING, sep, 0, 0, NULL, "SEP",
	  "perf stat -x: one line per event, fields separated by SEP in perf's order"),
	O("interval-print", 'I', OPT_INT, interval_ms, 0, 86400000, "0", "MSEC",
	  "print every MSEC in perf's layout (with a command, no total at the end, as perf)"),
	O("interval", 'w', OPT_DURATION, interval, 0, 86400, "0", "SECS",
	  "print every SECS in pmcstat's wide table: a row per interval, a column per event "
	  "(system-wide default: 1s)"),
	O("all-cpus", 'a', OPT_BOOL, all_cpus, 0, 0, NULL, NULL,
	  "system-wide: every CPU (with a command: for its lifetime)"),
	O("cpus", 'C', OPT_STRING, cpus, 0, 0, NULL, "CPUS", "count on these CPUs: 0-3,8"),
	O("per-cpu", 'A', OPT_BOOL, per_cpu, 0, 0, NULL, NULL, "a row per CPU"),
	O("per-core", 0, OPT_BOOL, per_core, 0, 0, NULL, NULL, "roll CPUs up per core"),
	O("per-socket", 0, OPT_BOOL, per_package, 0, 0, NULL, NULL,
	  "roll CPUs up per socket (package)"),
	O("per-package", 0, OPT_BOOL, per_package, 0, 0, NULL, NULL, "the same as --per-socket"),
	O("per-node", 0, OPT_BOOL, per_node, 0, 0, NULL, NULL, "roll CPUs up per NUMA node"),
	O("json", 'J', OPT_BOOL, json, 0, 0, NULL, NULL, "JSON lines instead of the table"),
	O("count", 'n', OPT_INT, count, 0, 1000000000, "0", "N",
	  "stop after N intervals (system-wide), 0 = until SIGINT or SIGTERM"),
	O("output", 'o', OPT_STRING, output, 0, 0, NULL, "FILE",
	  "write here (default: standard error with a command, else standard output)"),
	OPT_END_ROW
};

const struct cmd_help help_stat = {
	"stat", "perflab stat [OPTIONS]\n"
	"perflab stat [OPTIONS] [--] CMD [ARGS]",
	"Count events in counting mode (perf_event_open, encoded by libpfm4).\n"
	"Without a command: system-wide, every -w SECS (default 1s) in pmcstat's\n"
	"wide table, or every -I MSEC in perf stat's layout. With one: its counts\n"
	"from exec to exit (its children inherit the counters), printed as perf\n"
	"stat prints them, then the elapsed, user and system times; with\n"
	"-a/-A/--per-core/--per-socket/--per-node/-C, counting is system-wide on\n"
	"the CPUs for the command's lifetime. The exit code is the command's.\n\n"
	"Each event's derived metric follows '#' as in perf: CPUs utilized, rates\n"
	"per second, GHz, insn per cycle, backend cycles idle, LL-cache misses;\n"
	"top-down level 1 on lines of its own where the events exist. An event\n"
	"the host cannot count is <not supported> (null in JSON), one that never\n"
	"ran in the interval <not counted>; never a 0.\n\n"
	"-x SEP prints perf stat -x's fields in its order, so the same awk line\n"
	"reads both: [time,] [CPU or S0-D0-C0,cpus,] value, unit, event,\n"
	"run time (ns), percent running, metric value, metric unit.",
	{ { NULL, stat_table } },
};

/* Everything one `perflab stat` holds. */
struct stat_state {
	struct stat_opts o;
	struct pmc_events ev;
	struct topology *topo;
	int *cpus, ncpu;		/* system-wide rows; ncpu 0 = count a command */
	struct pmc_counter *counter;
	struct pmc_reading start, prev, now;
	struct pmc_interval iv;
	struct stat_view view;
	FILE *out;
	double interval;		/* seconds between rows, 0 = totals only */
	uint64_t t_last;		/* ns, the last row printed, 0 = none */
	uint64_t t0;			/* ns, CLOCK_MONOTONIC */
	char **cmd;			/* the command, or NULL */
	int header_done;
};

static void usage(FILE *f)
{
	help_usage(f, &help_stat);
}

static int pick_level(struct stat_state *st)
{
	const struct stat_opts *o = &st->o;
	int n = o->per_cpu + o->per_core + o->per_package + o->per_node;

	if (n > 1)
		return error("--per-cpu, --per-core, --per-socket and --per-node exclude each other");
	st->view.split = n == 1;
	if (o->interval_ms && o->interval > 0)
		return error("-I MSEC (perf's layout) and -w SECS (pmcstat's) exclude each other");
	if (o->interval_ms)
		st->interval = (double)o->interval_ms / 1000;
	else
		st->interval = o->interval;
	if (o->sep)
		st->view.layout = STAT_LAYOUT_CSV;
	else if (o->interval_ms || st->cmd)
		st->view.layout = STAT_LAYOUT_PERF;
	else
		st->view.layout = STAT_LAYOUT_WIDE;
	if (o->interval > 0 && !o->sep)
		st->view.layout = STAT_LAYOUT_WIDE;
	st->view.sep = o->sep;
	if (o->sep && !*o->sep)
		return error("-x needs a separator");
	st->view.level = o->per_core ? TOPO_CORE : o->per_package ? TOPO_PACKAGE
			 : o->per_node ? TOPO_NODE : TOPO_CPU;
	return 0;
}

/* The CPUs to count on: -C, else every CPU the topology has. */
static int pick_cpus(struct stat_state *st)
{
	if (!st->o.cpus) {
		st->cpus = xcalloc((size_t)st->topo->ncpu, sizeof(int));
		for (int c = 0; c < st->topo->ncpu; c++)
			if (st->topo->cpu[c].present)
				st->cpus[st->ncpu++] = c;
		return 0;
	}
	st->ncpu = cpulist_parse(st->o.cpus, &st->cpus, "--cpus");
	if (st->ncpu < 0)
		return -1;
	for (int i = 0; i < st->ncpu; i++)
		if (topology_group_of(st->topo, TOPO_CPU, st->cpus[i]) < 0)
			return error("CPU %d is not online (this host has %d CPUs)", st->cpus[i],
				     st->topo->npresent);
	return 0;
}

static int open_output(struct stat_state *st)
{
	if (!st->o.output) {
		st->out = st->cmd ? stderr : stdout;
		return 0;
	}
	st->out = fopen(st->o.output, "w");
	return st->out ? 0 : error_errno("cannot write to '%s'", st->o.output);
}

/* Events, CPUs and counters; an exit code when something is wrong. */
static int setup(struct stat_state *st)
{
	int system_wide;

	if (pick_level(st))
		return EXIT_USAGE;
	system_wide = !st->cmd || st->o.cpus || st->view.split || st->o.all_cpus;
	if (st->o.events ? pmc_events_parse(&st->ev, st->o.events) : pmc_events_default(&st->ev))
		return EXIT_USAGE;
	if (system_wide && topology_load(&st->topo))
		return EXIT_FAIL;
	if (system_wide && pick_cpus(st))
		return EXIT_USAGE;
	if (open_output(st))
		return EXIT_FAIL;
	st->view.ev = &st->ev;
	st->view.topo = st->topo;
	st->view.cpus = system_wide ? st->cpus : NULL;
	if (system_wide ? pmc_counter_open_cpus(&st->counter, &st->ev, st->cpus, st->ncpu)
			: pmc_counter_open_children(&st->counter, &st->ev))
		return EXIT_FAIL;
	return 0;
}

static void emit_info(struct stat_state *st)
{
	json_t *info = json_object();
	char *s;

	json_set_str(info, "type", "info");
	json_set_str(info, "pmu", pmc_default_pmu());
	json_set_str(info, "family", st->ev.family);
	json_set(info, "events", pmc_events_json(&st->ev));
	json_set_str(info, "unavailable", pmc_counter_unavailable(st->counter));
	json_set_str(info, "mode", st->view.cpus ? "system-wide" : "command");
	s = json_dump_compact(info);
	fprintf(st->out, "%s\n", s);
	free(s);
	json_decref(info);
}

/* Print the interval between two readings: a periodic row (t) or the total (NaN). */
static int emit(struct stat_state *st, const struct pmc_reading *now,
		const struct pmc_reading *prev, double dt, double t, const char *type)
{
	struct strbuf sb = STRBUF_INIT;

	if (pmc_interval_compute(&st->iv, now, prev, dt))
		return -1;
	if (st->o.json) {
		json_t *rec = stat_json(&st->view, &st->iv, type, t);
		char *s = json_dump_compact(rec);

		strbuf_addf(&sb, "%s\n", s);
		free(s);
		json_decref(rec);
	} else {
		if (!isnan(t) && !st->header_done++ && st->view.layout != STAT_LAYOUT_CSV)
			stat_format_header(&sb, &st->view);
		stat_format(&sb, &st->view, &st->iv, t);
	}
	fputs(sb.buf, st->out);
	fflush(st->out);
	strbuf_release(&sb);
	return 0;
}

/* Read now and print the interval since prev; then now becomes prev. */
static int tick(struct stat_state *st, uint64_t *t_prev)
{
	uint64_t t = mono_ns();
	struct pmc_reading tmp;

	if (pmc_counter_read(st->counter, &st->now) ||
	    emit(st, &st->now, &st->prev, (double)(t - *t_prev) / 1e9,
		 (double)(t - st->t0) / 1e9, "interval"))
		return -1;
	tmp = st->prev;
	st->prev = st->now;
	st->now = tmp;
	*t_prev = t;
	st->t_last = t;
	return 0;
}

/* Wait until deadline (ns) or a signal in set; returns the signal or 0. */
static int wait_signal(const sigset_t *set, uint64_t deadline)
{
	uint64_t now = mono_ns();
	struct timespec ts = { 0, 0 };
	int sig;

	if (deadline > now) {
		ts.tv_sec = (time_t)((deadline - now) / NSEC_PER_SEC);
		ts.tv_nsec = (long)((deadline - now) % NSEC_PER_SEC);
	}
	sig = sigtimedwait(set, NULL, &ts);
	return sig > 0 ? sig : 0;
}

static int run_system_wide(struct stat_state *st, const sigset_t *stop)
{
	uint64_t step = (uint64_t)((st->interval > 0 ? st->interval : 1) * 1e9);
	uint64_t t_prev = st->t0, next = st->t0 + step;

	for (long n = 0; !st->o.count || n < st->o.count; n++, next += step) {
		int sig = wait_signal(stop, next);

		if (tick(st, &t_prev))
			return EXIT_FAIL;
		if (sig)
			break;		/* the last, partial interval is printed */
	}
	return EXIT_OK;
}

static int start_command(struct stat_state *st, struct child *c)
{
	struct spawn_opts so = SPAWN_OPTS_INIT;

	/* spawn_argv reads /dev/null by default; a wrapped command keeps our stdin */
	if (fcntl(0, F_GETFD) >= 0)
		so.stdin_path = "/dev/stdin";
	st->t0 = mono_ns();
	return spawn_argv(c, st->cmd, &so);
}

/* Wait for the command, printing every -w; SIGINT and SIGTERM go on to it. */
static int watch(struct stat_state *st, struct child *c, const sigset_t *stop)
{
	uint64_t step = (uint64_t)(st->interval * 1e9), t_prev = st->t0;
	uint64_t next = step ? st->t0 + step : UINT64_MAX;

	while (child_wait(c, 0) == PERFLAB_ETIMEOUT) {
		uint64_t soon = mono_ns() + 500000000ULL;	/* SIGCHLD may be lost */
		int sig = wait_signal(stop, next < soon ? next : soon);

		if (sig == SIGINT || sig == SIGTERM)
			child_kill(c, sig);
		if (step && mono_ns() >= next) {
			if (tick(st, &t_prev))
				return -1;
			next += step;
		}
	}
	return 0;
}

/* perf stat's footer: elapsed, then the command's user and system times. */
static void print_times(struct stat_state *st, double elapsed)
{
	struct rusage ru;

	fprintf(st->out, "\n%18.9f seconds time elapsed\n", elapsed);
	if (getrusage(RUSAGE_CHILDREN, &ru))
		return;
	fprintf(st->out, "\n%18.9f seconds user\n%18.9f seconds sys\n",
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
}

/*
 * Run the command, then print its totals. SIGINT and SIGTERM go on to
 * the command, as perf stat does, so an interrupted command still gets
 * its counts printed. Returns the command's exit code.
 */
static int run_command(struct stat_state *st, sigset_t *stop)
{
	struct child c;
	double elapsed;

	if (start_command(st, &c))
		return 127;
	sigaddset(stop, SIGCHLD);
	sigprocmask(SIG_BLOCK, stop, NULL);
	if (watch(st, &c, stop)) {
		child_stop(&c, 1);
		return EXIT_FAIL;
	}
	elapsed = (double)(mono_ns() - st->t0) / 1e9;
	/*
	 * perf stat -I ends with the last, partial interval instead of a
	 * total; so does the wide table, whose rows are all intervals.
	 */
	if ((st->o.interval_ms || st->view.layout == STAT_LAYOUT_WIDE) && !st->o.json) {
		uint64_t t_prev = st->t_last ? st->t_last : st->t0;

		return tick(st, &t_prev) ? EXIT_FAIL : child_exit_code(&c);
	}
	if (pmc_counter_read(st->counter, &st->now))
		return EXIT_FAIL;
	if (emit(st, &st->now, st->view.cpus ? &st->start : NULL, elapsed, NAN, "total"))
		return EXIT_FAIL;
	if (!st->o.json && !st->o.sep)
		print_times(st, elapsed);
	return child_exit_code(&c);
}

static void print_title(struct stat_state *st)
{
	struct strbuf sb = STRBUF_INIT;

	if (st->o.json || st->o.sep || !st->cmd || st->interval > 0)
		return;
	for (int i = 0; st->cmd[i]; i++)
		strbuf_addf(&sb, "%s%s", i ? " " : "", st->cmd[i]);
	fprintf(st->out, "\n Performance counter stats for '%s'%s:\n\n", sb.buf,
		st->view.cpus ? " (system wide)" : "");
	strbuf_release(&sb);
}

static int stat_run(struct stat_state *st)
{
	sigset_t stop;

	if (st->o.json)
		emit_info(st);
	if (pmc_counter_read(st->counter, &st->start))
		return EXIT_FAIL;
	pmc_counter_read(st->counter, &st->prev);
	st->t0 = mono_ns();
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (!st->cmd) {
		sigprocmask(SIG_BLOCK, &stop, NULL);
		return run_system_wide(st, &stop);
	}
	print_title(st);
	return run_command(st, &stop);
}

static void stat_release(struct stat_state *st)
{
	pmc_counter_free(st->counter);
	pmc_events_release(&st->ev);
	topology_free(st->topo);
	pmc_reading_release(&st->start);
	pmc_reading_release(&st->prev);
	pmc_reading_release(&st->now);
	pmc_interval_release(&st->iv);
	free(st->cpus);
	if (st->out && st->out != stdout && st->out != stderr)
		fclose(st->out);
	opt_release(stat_table, &st->o);
}

int cmd_stat(int argc, char **argv)
{
	struct stat_state st = { .ev = PMC_EVENTS_INIT };
	struct optset sets[] = { { stat_table, &st.o }, { NULL, NULL } };
	int i, ret;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(stat_table, &st.o);
	i = opt_parse(sets, argc, argv);
	if (i < 0) {
		opt_release(stat_table, &st.o);
		return EXIT_USAGE;
	}
	st.cmd = i < argc ? argv + i : NULL;
	ret = setup(&st);
	if (!ret)
		ret = stat_run(&st);
	stat_release(&st);
	return ret;
}
