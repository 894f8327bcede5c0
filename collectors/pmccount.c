/*
 * Counting with perf_event_open: groups per CPU (system-wide) or one
 * set inherited by the children this process starts.
 */
#ifdef __linux__	/* FreeBSD: pmc-freebsd.c, through libpmc */
#include "collectors/pmc.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define GROUP_MAX 4	/* hardware events per group: generic counters on most cores */

struct group {
	int row;	/* the reading row it fills */
	int n;		/* members open; fd[0] is the leader */
	int *fd;
	int *ev;	/* event index of each member, in read order */
};

struct pmc_counter {
	int nev, nrow;
	int children;		/* counting in children, not on CPUs */
	int *ok;		/* [row * nev + ev]: opened */
	int *warned;		/* [ev]: a failure was reported */
	struct group *g;
	int ng, galloc;
	char *unavailable;	/* why hardware events are not counted (owned) */
	const struct pmc_events *s;
};

static int said_unavailable;	/* the note is said once per process */

static int sys_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd)
{
	return (int)syscall(SYS_perf_event_open, attr, pid, cpu, group_fd,
			    PERF_FLAG_FD_CLOEXEC);
}

static void fill_attr(struct perf_event_attr *a, const struct pmc_event *e, int leader,
		      int children)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = e->type;
	a->config = e->config;
	a->config1 = e->config1;
	a->config2 = e->config2;
	a->exclude_user = !!(e->excl & PMC_EXCL_USER);
	a->exclude_kernel = !!(e->excl & PMC_EXCL_KERNEL);
	a->exclude_hv = !!(e->excl & PMC_EXCL_HV);
	a->exclude_host = !!(e->excl & PMC_EXCL_HOST);
	a->exclude_guest = !!(e->excl & PMC_EXCL_GUEST);
	a->read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
			 PERF_FORMAT_TOTAL_TIME_RUNNING;
	/*
	 * Leaders start disabled and are enabled once the group is whole.
	 * Seen on Linux 6.18: members opened into a running CPU-wide group
	 * of another PMU (context-switches under task-clock) read 0 forever.
	 */
	a->disabled = leader;
	if (children) {
		/* off in perflab itself; the children's copies start at their exec */
		a->inherit = 1;
		a->enable_on_exec = leader;
	}
}

/* Record why an event cannot be counted; say it once per process. */
static void unavailable(struct pmc_counter *c, const struct pmc_event *e, int err)
{
	struct strbuf sb = STRBUF_INIT;

	if (c->unavailable)
		return;
	if (err == EACCES || err == EPERM)
		strbuf_addf(&sb, "not permitted to count '%s' (%s): see "
			    "/proc/sys/kernel/perf_event_paranoid, or run as root", e->name,
			    strerror(err));
	else
		strbuf_addf(&sb, "no hardware PMU in this kernel: '%s' cannot be counted (%s); "
			    "hardware events are recorded as null, software events still count",
			    e->name, strerror(err));
	c->unavailable = strbuf_detach(&sb, NULL);
	if (!said_unavailable++)
		note("%s", c->unavailable);
}

static int open_error(struct pmc_counter *c, const struct pmc_event *e, int cpu, int err)
{
	if (err == EACCES || err == EPERM ||
	    (!e->software && (err == ENOENT || err == EOPNOTSUPP || err == ENODEV))) {
		unavailable(c, e, err);
		return 0;
	}
	if (c->warned[e - c->s->v]++)
		return 0;	/* once per event, not once per CPU */
	errno = err;
	if (cpu >= 0)
		warning_errno("cannot count '%s' on CPU %d (and maybe others)", e->name, cpu);
	else
		warning_errno("cannot count '%s'", e->name);
	return 0;
}

static struct group *group_new(struct pmc_counter *c, int row, int cap)
{
	struct group *g;

	ALLOC_GROW(c->g, c->ng + 1, c->galloc);
	g = &c->g[c->ng++];
	g->row = row;
	g->n = 0;
	g->fd = xcalloc((size_t)cap, sizeof(*g->fd));
	g->ev = xcalloc((size_t)cap, sizeof(*g->ev));
	return g;
}

/* Open event ev into g (as leader when g is empty); errno on failure. */
static int group_add(struct pmc_counter *c, struct group *g, int ev, pid_t pid, int cpu)
{
	struct perf_event_attr a;
	int fd;

	fill_attr(&a, &c->s->v[ev], g->n == 0, c->children);
	fd = sys_perf_event_open(&a, pid, cpu, g->n ? g->fd[0] : -1);
	if (fd < 0)
		return errno;
	g->fd[g->n] = fd;
	g->ev[g->n++] = ev;
	c->ok[g->row * c->nev + ev] = 1;
	return 0;
}

/*
 * Open the events planned into one group. A member the kernel refuses
 * beside the others (EINVAL, ENOSPC: the group would not fit) gets a
 * group of its own.
 */
static void open_planned(struct pmc_counter *c, const int *plan, int n, int row, int cpu)
{
	pid_t pid = c->children ? 0 : -1;
	struct group *g = group_new(c, row, n);
	int gi = c->ng - 1;

	for (int k = 0; k < n; k++) {
		int err = group_add(c, &c->g[gi], plan[k], pid, cpu);

		if (err && (err == EINVAL || err == ENOSPC) && c->g[gi].n) {
			g = group_new(c, row, 1);
			err = group_add(c, g, plan[k], pid, cpu);
		}
		if (err)
			open_error(c, &c->s->v[plan[k]], cpu, err);
	}
}

/* Split the events into groups: software together, hardware by PMU type in fours. */
static int plan_groups(const struct pmc_events *s, int *gid)
{
	int ng = 1, cur = -1, members = 0;

	for (int i = 0; i < s->nr; i++) {
		if (s->v[i].software) {
			gid[i] = 0;
			continue;
		}
		if (cur < 0 || members == GROUP_MAX || s->v[i].type != s->v[cur].type) {
			cur = i;
			members = 0;
			gid[i] = ng++;
		} else {
			gid[i] = gid[cur];
		}
		members++;
	}
	return ng;
}

static void open_row(struct pmc_counter *c, int row, int cpu)
{
	int *gid = xcalloc((size_t)c->nev + 1, sizeof(*gid));
	int *plan = xcalloc((size_t)c->nev + 1, sizeof(*plan));
	int ng = plan_groups(c->s, gid);

	for (int k = 0; k < ng; k++) {
		int n = 0;

		for (int i = 0; i < c->nev; i++)
			if (gid[i] == k)
				plan[n++] = i;
		if (n)
			open_planned(c, plan, n, row, cpu);
	}
	free(gid);
	free(plan);
}

static struct pmc_counter *counter_new(const struct pmc_events *s, int nrow, int children)
{
	struct pmc_counter *c = xcalloc(1, sizeof(*c));

	c->s = s;
	c->nev = s->nr;
	c->nrow = nrow;
	c->children = children;
	c->ok = xcalloc((size_t)nrow * (size_t)(s->nr ? s->nr : 1), sizeof(*c->ok));
	c->warned = xcalloc((size_t)s->nr + 1, sizeof(*c->warned));
	return c;
}

/* At least one event open somewhere, or an error (unless only the PMU is missing). */
static int counter_check(struct pmc_counter *c)
{
	for (int i = 0; i < c->nrow * c->nev; i++)
		if (c->ok[i])
			return 0;
	if (c->unavailable)
		return 0;
	return error("none of the %d events could be counted", c->nev);
}

/* Start every group on every CPU, as close together as we can. */
static int enable_all(struct pmc_counter *c)
{
	for (int i = 0; i < c->ng; i++)
		if (c->g[i].n && ioctl(c->g[i].fd[0], PERF_EVENT_IOC_ENABLE, 0))
			return error_errno("cannot enable counters of '%s'",
					   c->s->v[c->g[i].ev[0]].name);
	return 0;
}

/*
 * A descriptor per event per CPU adds up (10 events on 256 CPUs is 2560,
 * past the usual soft limit of 1024): raise the soft limit as perf does.
 */
static void want_fds(size_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= n)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > n ? n : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		warning_errno("cannot raise the open-file limit to %zu", n);
}

int pmc_counter_open_cpus(struct pmc_counter **out, const struct pmc_events *s,
			  const int *cpus, int ncpu)
{
	struct pmc_counter *c = counter_new(s, ncpu, 0);

	want_fds((size_t)s->nr * (size_t)ncpu + 256);
	for (int r = 0; r < ncpu; r++)
		open_row(c, r, cpus[r]);
	if (counter_check(c) || enable_all(c)) {
		pmc_counter_free(c);
		*out = NULL;
		return -1;
	}
	*out = c;
	return 0;
}

int pmc_counter_open_children(struct pmc_counter **out, const struct pmc_events *s)
{
	struct pmc_counter *c = counter_new(s, 1, 1);

	open_row(c, 0, -1);
	if (counter_check(c)) {
		pmc_counter_free(c);
		*out = NULL;
		return -1;
	}
	*out = c;
	return 0;
}

void pmc_counter_free(struct pmc_counter *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->ng; i++) {
		for (int k = c->g[i].n; k-- > 0; )
			close(c->g[i].fd[k]);
		free(c->g[i].fd);
		free(c->g[i].ev);
	}
	free(c->g);
	free(c->ok);
	free(c->warned);
	free(c->unavailable);
	free(c);
}

const char *pmc_counter_unavailable(const struct pmc_counter *c)
{
	return c->unavailable;
}

/* One group read: { nr, time_enabled, time_running, value[nr] }. */
static int group_read(const struct pmc_counter *c, const struct group *g, struct pmc_reading *r)
{
	uint64_t buf[3 + 64];
	size_t want = (3 + (size_t)g->n) * sizeof(uint64_t);
	ssize_t got;

	if (!g->n)
		return 0;
	if (g->n > 64)
		return error("a group of %d events is too large", g->n);
	got = read(g->fd[0], buf, want);
	if (got != (ssize_t)want || buf[0] != (uint64_t)g->n)
		return error_errno("cannot read counters of '%s'", c->s->v[g->ev[0]].name);
	for (int k = 0; k < g->n; k++) {
		struct pmc_raw *raw = &r->raw[g->row * r->nev + g->ev[k]];

		*raw = (struct pmc_raw){ buf[3 + k], buf[1], buf[2], 1 };
	}
	return 0;
}

int pmc_counter_read(struct pmc_counter *c, struct pmc_reading *out)
{
	size_t n = (size_t)c->nrow * (size_t)c->nev;

	if (out->nev != c->nev || out->nrow != c->nrow || !out->raw) {
		free(out->raw);
		out->raw = xcalloc(n ? n : 1, sizeof(*out->raw));
		out->nev = c->nev;
		out->nrow = c->nrow;
	}
	memset(out->raw, 0, (n ? n : 1) * sizeof(*out->raw));
	for (int i = 0; i < c->ng; i++)
		if (group_read(c, &c->g[i], out))
			return -1;
	return 0;
}

void pmc_reading_release(struct pmc_reading *r)
{
	free(r->raw);
	memset(r, 0, sizeof(*r));
}

#endif /* __linux__ */
