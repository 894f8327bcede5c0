/*
 * Measuring on k DUTs (see sched.h): shares of the lab, and a batch of
 * runs spread over them, in worker processes or one after another.
 */
#include "lab/sched.h"
#include "lab/jobsetup.h"
#include "lab/session.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Add a CPU list ("1", "2-3,6") to set; -1 if it is not one or overlaps. */
static int take_cpus(unsigned char *set, size_t max, const char *list)
{
	const char *p = list;

	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p || a < 0)
			return -1;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		if (b < a || (size_t)b >= max)
			return -1;
		for (long c = a; c <= b; c++) {
			if (set[c])
				return -1;
			set[c] = 1;
		}
		p = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return 0;
}

/* Does each of the first n DUTs have CPUs of its own (lab up's cpus)? */
static int own_cpus(const struct host *const *duts, size_t n)
{
	unsigned char set[4096] = { 0 };

	for (size_t i = 0; i < n; i++)
		if (!*duts[i]->cpus || take_cpus(set, sizeof(set), duts[i]->cpus))
			return 0;
	return 1;
}

int sched_init(struct sched *s, struct job_setup *js, long want, const char *kind,
	       const char *series, char *const *argv)
{
	const struct host *duts[SCHED_MAX_DUTS], *clients[SCHED_MAX_DUTS];
	size_t nd = 0, nc = 0;
	int netns = 0;

	memset(s, 0, sizeof(*s));
	s->js = js;
	s->kind = kind;
	s->series = series;
	s->argv = argv;
	s->n = 1;
	if (!js->have_hosts)
		return want > 1 ? error("--duts %ld needs a lab (--hosts)", want) : 0;
	for (size_t i = 0; i < js->hosts.nr; i++) {
		const struct host *h = &js->hosts.v[i];

		if (h->role == ROLE_DUT && nd < SCHED_MAX_DUTS)
			duts[nd++] = h;
		else if (h->role == ROLE_CLIENT && nc < SCHED_MAX_DUTS)
			clients[nc++] = h;
	}
	if (want > 0 && (size_t)want > nd)
		return error("--duts %ld: the lab '%s' has %zu DUTs", want, js->hosts.path, nd);
	/* namespaces of this machine (perflab lab): they share its CPUs */
	for (size_t i = 0; i < nd; i++)
		netns |= duts[i]->netns && *duts[i]->netns;
	s->n = want > 0 ? (size_t)want : nd ? nd : 1;
	s->how = "side by side";
	if (netns && own_cpus(duts, s->n)) {
		netns = 0;	/* each DUT on CPUs of its own: their figures do not mix */
		s->how = "side by side: namespaces of one machine, each DUT on CPUs of its own";
	}
	if (s->n == 1) {
		s->s[0].hl = js->hosts;	/* the lab as it is: borrowed */
		s->s[0].have_hl = 1;
		return 0;
	}
	if (netns) {
		s->serial = 1;
		s->how = "one run at a time: namespaces of one machine without CPUs of their own, "
			 "whose CPU figures would mix";
	}
	for (size_t i = 0; i < s->n; i++) {
		struct sched_share *sh = &s->s[i];
		size_t k = 0;

		sh->hl.path = js->hosts.path;
		sh->hl.v = xcalloc(js->hosts.nr, sizeof(struct host));
		sh->hl.v[k++] = *duts[i];
		if (nc)
			sh->hl.v[k++] = *clients[i % nc];
		for (size_t j = 0; j < js->hosts.nr; j++)
			if (js->hosts.v[j].role == ROLE_BUILD)
				sh->hl.v[k++] = js->hosts.v[j];
		sh->hl.nr = k;
		sh->own_hl = sh->have_hl = 1;
	}
	return 0;
}

void sched_release(struct sched *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->s[i].own_hl)
			free(s->s[i].hl.v);
	memset(s, 0, sizeof(*s));
}

static void session_for(struct sched *s, struct session *out, struct sched_share *sh)
{
	job_setup_session(out, s->js, s->kind, s->series, s->argv);
	if (sh->have_hl)
		out->hosts = &sh->hl;
	memcpy(out->deployed, sh->deployed, sizeof(out->deployed));
}

/* The share that measures the j-th run: its own, or rotated so that sides cross DUTs. */
static size_t share_of(const struct sched_job *job, size_t j, size_t nshares)
{
	if (job->share >= 0)
		return (size_t)job->share % nshares;
	return nshares > 1 ? (j + j / nshares) % nshares : 0;
}

/* One share's worker process: measure its runs, report each on fd. */
static NORETURN void worker_main(struct sched *s, struct sched_share *sh,
				 const struct sched_job *jobs, const size_t *idx, size_t n, int fd)
{
	struct session ses;

	session_for(s, &ses, sh);
	for (size_t i = 0; i < n; i++) {
		const struct sched_job *j = &jobs[idx[i]];
		char *dir = NULL;
		enum run_status st = session_measure(&ses, j->rev, j->side, j->reboot, &dir);

		dprintf(fd, "R %zu %d %s\n", idx[i], (int)st, dir ? dir : "");
		free(dir);
		if (st == RUN_ABORTED)
			break;
	}
	dprintf(fd, "D %s\n", ses.deployed[0] ? ses.deployed : "-");
	close(fd);
	_exit(0);
}

struct landing {
	struct sched *s;
	const struct sched_job *jobs;
	size_t n;
	sched_land_fn land;
	void *data;
};

static int landed(struct landing *l, const struct sched_job *j, enum run_status st,
		  const char *dir)
{
	if (st == RUN_ABORTED)
		l->s->aborted = 1;
	return l->land(l->data, j, st, dir);
}

static int parse_line(struct landing *l, struct sched_share *sh, char *line)
{
	size_t idx;
	int st, off = 0;

	if (line[0] == 'D' && line[1] == ' ') {
		snprintf(sh->deployed, sizeof(sh->deployed), "%s",
			 strcmp(line + 2, "-") ? line + 2 : "");
		return 0;
	}
	if (sscanf(line, "R %zu %d %n", &idx, &st, &off) < 2 || !off || idx >= l->n)
		return error("a DUT worker said '%s'", line);
	return landed(l, &l->jobs[idx], (enum run_status)st, line[off] ? line + off : NULL);
}

static pid_t spawn_worker(struct sched *s, size_t i, const struct sched_job *jobs,
			  const size_t *idx, size_t n, int *fd_out)
{
	pid_t parent = getpid(), pid;
	int p[2];

	if (pipe(p))
		die_errno("pipe");
	pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (!pid) {
		/* a worker never outlives the controller (kill -9, then resume) */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(EXIT_FATAL);
		close(p[0]);
		for (size_t k = 0; k < i; k++)
			if (s->s[k].fd >= 0)
				close(s->s[k].fd);
		worker_main(s, &s->s[i], jobs, idx, n, p[1]);
	}
	close(p[1]);
	*fd_out = p[0];
	return pid;
}

/* Read what a worker said; 1 when its pipe closed. */
static int drain(struct landing *l, struct sched_share *sh, struct strbuf *buf, int *ret)
{
	char chunk[4096], *nl;
	ssize_t r = read(sh->fd, chunk, sizeof(chunk));

	if (r > 0)
		strbuf_add(buf, chunk, (size_t)r);
	else if (r < 0 && errno == EINTR)
		return 0;
	while (buf->len && (nl = memchr(buf->buf, '\n', buf->len))) {
		size_t used = (size_t)(nl - buf->buf) + 1;

		*nl = '\0';
		if (parse_line(l, sh, buf->buf))
			*ret = -1;
		memmove(buf->buf, nl + 1, buf->len - used);
		strbuf_setlen(buf, buf->len - used);
	}
	if (r > 0)
		return 0;
	close(sh->fd);
	sh->fd = -1;
	return 1;
}

static int measure_parallel(struct landing *l)
{
	struct sched *s = l->s;
	size_t nw = s->n < l->n ? s->n : l->n;
	size_t *share[SCHED_MAX_DUTS], nshare[SCHED_MAX_DUTS] = { 0 };
	struct strbuf buf[SCHED_MAX_DUTS];
	struct pollfd pfd[SCHED_MAX_DUTS];
	int ret = 0, open_fds = 0;

	for (size_t i = 0; i < nw; i++) {
		share[i] = xcalloc(l->n, sizeof(size_t));
		strbuf_init(&buf[i]);
		s->s[i].fd = -1;
	}
	for (size_t j = 0; j < l->n; j++) {
		size_t d = share_of(&l->jobs[j], j, nw);

		share[d][nshare[d]++] = j;
	}
	fflush(stdout);
	fflush(stderr);
	for (size_t i = 0; i < nw; i++, open_fds++)
		s->s[i].pid = spawn_worker(s, i, l->jobs, share[i], nshare[i], &s->s[i].fd);
	while (open_fds) {
		for (size_t i = 0; i < nw; i++) {
			pfd[i].fd = s->s[i].fd;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, nw, -1) < 0 && errno != EINTR)
			die_errno("poll");
		for (size_t i = 0; i < nw; i++)
			if (pfd[i].fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				open_fds -= drain(l, &s->s[i], &buf[i], &ret);
	}
	for (size_t i = 0; i < nw; i++) {
		int status;

		while (waitpid(s->s[i].pid, &status, 0) < 0 && errno == EINTR)
			;
		strbuf_release(&buf[i]);
		free(share[i]);
	}
	return ret || s->aborted ? -1 : 0;
}

/*
 * One run after another: one DUT, or DUTs whose CPU figures would
 * otherwise include each other's runs. The runs still spread over the
 * shares as the parallel case spreads them.
 */
static int measure_serial(struct landing *l)
{
	struct sched *s = l->s;
	struct session ses[SCHED_MAX_DUTS];

	for (size_t d = 0; d < s->n; d++)
		session_for(s, &ses[d], &s->s[d]);
	for (size_t j = 0; j < l->n; j++) {
		size_t d = share_of(&l->jobs[j], j, s->n);
		char *dir = NULL;
		enum run_status st;
		int r;

		st = session_measure(&ses[d], l->jobs[j].rev, l->jobs[j].side, l->jobs[j].reboot,
				     &dir);
		memcpy(s->s[d].deployed, ses[d].deployed, sizeof(ses[d].deployed));
		r = landed(l, &l->jobs[j], st, dir);
		free(dir);
		if (r || s->aborted)
			return -1;
	}
	return 0;
}

int sched_measure(struct sched *s, const struct sched_job *jobs, size_t n,
		  sched_land_fn land, void *data)
{
	struct landing l = { s, jobs, n, land, data };

	if (!n)
		return 0;
	return s->n > 1 && !s->serial ? measure_parallel(&l) : measure_serial(&l);
}
