#include "lab/runhost.h"
#include "common/version.h"
#include "lab/hosts.h"
#include "common/fsutil.h"
#include "common/parse.h"
#include "common/sha256.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READY_TIMEOUT 10.0	/* seconds for a process to say it is ready */
#define CLOCK_PINGS 5

char *name_as_path(const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    (*p == '.' && p != (const unsigned char *)name))
			strbuf_addch(&sb, (char)*p);
		else
			strbuf_addf(&sb, "%%%02X", *p);
	}
	return strbuf_detach(&sb, NULL);
}

int host_start(struct run_host *rh, char *const *argv, struct child *c, int *in, int *out,
	       const char *log)
{
	return transport_start(&rh->t, argv, c, in, out, log);
}

int host_read_line(const struct run_host *rh, int fd, char *buf, size_t len, const char *who)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	uint64_t deadline = mono_ns() + (uint64_t)(READY_TIMEOUT * 1e9);

	while (got + 1 < len) {
		int left = (int)((deadline - mono_ns()) / NSEC_PER_MSEC);
		ssize_t n;

		if (mono_ns() >= deadline || poll(&pf, 1, left > 0 ? left : 0) == 0)
			return error("the %s on host '%s' did not answer within %.0f s", who,
				     rh->h->name, READY_TIMEOUT);
		n = read(fd, buf + got, 1);	/* a byte at a time: never past the line */
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error("the %s on host '%s' exited before it answered", who,
				     rh->h->name);
		got += (size_t)n;
		if (buf[got - 1] == '\n')
			break;
	}
	buf[got] = '\0';
	return 0;
}

/* A command started on several hosts; their outputs read side by side. */
struct pending {
	struct run_host *rh;
	struct child c;
	int out;
	struct strbuf text;
	int code;		/* exit code, or -1 */
};

static int pending_start(struct pending *p, struct run_host *rh, char *const *argv)
{
	int in;

	p->rh = rh;		/* the rest as pending_alloc left it */
	if (transport_start(&rh->t, argv, &p->c, &in, &p->out, "/dev/null"))
		return -1;
	close(in);
	return 0;
}

/* Read every pending output to its end, then reap; within timeout. */
static void pending_finish(struct pending *p, int n, double timeout)
{
	uint64_t deadline = mono_ns() + (uint64_t)(timeout * 1e9);

	for (;;) {
		struct pollfd pf[64];
		int who[64], k = 0, left = (int)((deadline - mono_ns()) / NSEC_PER_MSEC);

		for (int i = 0; i < n && k < 64; i++)
			if (p[i].out >= 0) {
				who[k] = i;
				pf[k++] = (struct pollfd){ .fd = p[i].out, .events = POLLIN };
			}
		if (!k || left <= 0 || poll(pf, (nfds_t)k, left) <= 0)
			break;
		for (int j = 0; j < k; j++) {
			struct pending *q = &p[who[j]];
			char buf[4096];
			ssize_t r;

			if (!pf[j].revents)
				continue;
			r = read(q->out, buf, sizeof(buf));
			if (r > 0) {
				strbuf_add(&q->text, buf, (size_t)r);
			} else if (r == 0 || errno != EINTR) {
				close(q->out);
				q->out = -1;
			}
		}
	}
	for (int i = 0; i < n; i++) {
		if (p[i].out >= 0)
			close(p[i].out);
		if (p[i].c.pid && child_wait(&p[i].c, 1) == PERFLAB_ETIMEOUT)
			child_stop(&p[i].c, 1);
		else
			p[i].code = p[i].c.pid ? -1 : child_exit_code(&p[i].c);
	}
}

/* n pendings, none started: no output to read, no child to reap. */
static struct pending *pending_alloc(int n)
{
	struct pending *p = xcalloc((size_t)n, sizeof(*p));

	for (int i = 0; i < n; i++) {
		strbuf_init(&p[i].text);
		p[i].out = -1;
		p[i].code = -1;
	}
	return p;
}

static void pending_release(struct pending *p, int n)
{
	for (int i = 0; i < n; i++)
		strbuf_release(&p[i].text);
}

/*
 * One round trip to each host: its workdir made if missing (0700), and
 * refused unless it is the ssh user's alone, as ssh checks its own
 * files (a workdir others can write could hold a planted binary that
 * would run as that user); the run directory made; the agent's version.
 * A managed agent (the one perflab copies into the workdir) must be the
 * user's too. Exit 3: cannot make a directory, 4: no agent yet, 5: the
 * workdir or the agent is not the user's alone.
 */
static const char prepare_script[] =
	"umask 077\n"
	"own() { set -- $(ls -dn \"$1\") && case $1 in ?????w*|????????w*) return 1;; esac"
	" && [ \"$3\" = \"$(id -u)\" ]; }\n"
	"[ -d \"$3\" ] || { mkdir -p \"$3\" && chmod 700 \"$3\"; } || exit 3\n"
	"own \"$3\" || { echo \"workdir\"; exit 5; }\n"
	"mkdir -p \"$2\" || exit 3\n"
	"if [ \"$4\" = managed ]; then\n"
	"  [ -e \"$1\" ] || exit 4\n"
	"  [ -f \"$1\" ] && [ ! -L \"$1\" ] && own \"$1\" || { echo \"agent\"; exit 5; }\n"
	"fi\n"
	"\"$1\" version 2>/dev/null || exit 4\n";

static int managed(const struct run_host *rh)
{
	return !rh->t.local && !*rh->h->agent;
}

static char *agent_path(const struct run_host *rh)
{
	if (rh->t.local)
		return xstrdup(self_exe());
	if (*rh->h->agent)
		return xstrdup(rh->h->agent);
	return xasprintf("%s/perflab-agent", rh->h->workdir);
}

static char **prepare_argv(const struct run_host *rh, const char *path)
{
	char *argv[] = { "sh", "-c", (char *)prepare_script, "perflab-prepare", (char *)path,
			 rh->rdir, rh->h->workdir, managed(rh) ? "managed" : "installed", NULL };

	return argv_dup(argv);
}

/*
 * What the host's agent said: 1 when it will do. A managed agent must be
 * this very build (perflab replaces it otherwise); an installed one must
 * speak this protocol.
 */
static int agent_fits(const struct run_host *rh, const struct pending *p, struct strbuf *why)
{
	char ours[256];
	const char *text = p->text.buf;
	int proto = -1;
	const char *at = strstr(text, " protocol ");

	if (p->code != 0)
		return 0;
	if (at)
		proto = atoi(at + 10);
	if (managed(rh)) {
		const char *local = agent_local_path();
		char hex[SHA256_HEX];

		if (!local || sha256_file_hex(local, hex))
			return 0;
		snprintf(ours, sizeof(ours), "perflab-agent %s protocol %d sha256 %s\n",
			 perflab_version(), PERFLAB_AGENT_PROTOCOL, hex);
		return !strcmp(text, ours);
	}
	if (strncmp(text, "perflab-agent ", 14) || proto != PERFLAB_AGENT_PROTOCOL) {
		strbuf_addf(why, "host '%s': '%s' says '%.*s', not perflab-agent protocol %d",
			    rh->h->name, rh->h->agent, (int)strcspn(text, "\n"), text,
			    PERFLAB_AGENT_PROTOCOL);
		return 0;
	}
	return 1;
}

static int prepared(struct run_host *rh, const struct pending *p)
{
	struct strbuf why = STRBUF_INIT;
	int ret = 0;

	if (rh->t.local) {
		rh->t.agent = xstrdup(self_exe());
		ret = mkdir_p(rh->rdir);
	} else if (agent_fits(rh, p, &why)) {
		rh->t.agent = agent_path(rh);
	} else if (why.len) {
		ret = error("%s", why.buf);
	} else if (p->code == 5) {
		ret = error("host '%s': refusing %s '%s': it must belong to the ssh user alone "
			    "(not writable by group or others), as ssh demands of its files",
			    rh->h->name, strncmp(p->text.buf, "agent", 5) ? "workdir" : "agent",
			    strncmp(p->text.buf, "agent", 5) ? rh->h->workdir : "perflab-agent");
	} else if (p->code != 0 && p->code != 4) {
		ret = error("cannot prepare host '%s' (exit %d)", rh->h->name, p->code);
	} else if (!managed(rh)) {
		ret = error("host '%s': the installed agent '%s' does not run", rh->h->name,
			    rh->h->agent);
	} else {
		ret = transport_install_agent(&rh->t);
	}
	strbuf_release(&why);
	return ret;
}

static int prepare_all(struct run_host *v, int n)
{
	struct pending *p = pending_alloc(n);
	int ret = 0;

	for (int i = 0; i < n; i++) {
		char *path = agent_path(&v[i]);
		char **argv = prepare_argv(&v[i], path);

		if (!v[i].t.local && pending_start(&p[i], &v[i], argv))
			ret = -1;
		argv_free(argv);
		free(path);
	}
	pending_finish(p, n, 60);
	for (int i = 0; i < n && !ret; i++)
		if (prepared(&v[i], &p[i]))
			ret = -1;
	pending_release(p, n);
	free(p);
	return ret;
}

/* Ping-pong with `perflab clock --serve`: offset = theirs - our midpoint. */
static int ping_clock(struct run_host *rh, int in, int out)
{
	double best = INFINITY;

	for (int k = 0; k < CLOCK_PINGS; k++) {
		char line[128];
		double t0 = mono_s(), t1, remote;

		if (write(in, "\n", 1) != 1 || host_read_line(rh, out, line, sizeof(line), "clock"))
			return error("cannot read the clock of host '%s'", rh->h->name);
		t1 = mono_s();
		if (sscanf(line, "monotonic %lf", &remote) != 1)
			return error("host '%s' answered the clock with '%s'", rh->h->name, line);
		if (t1 - t0 < best) {
			best = t1 - t0;
			rh->offset = remote - (t0 + t1) / 2;
			rh->offset_err = best / 2;
		}
	}
	return 0;
}

static int clock_all(struct run_host *v, int n)
{
	struct child *c = xcalloc((size_t)n, sizeof(*c));
	int *in = xcalloc((size_t)n, sizeof(*in)), *out = xcalloc((size_t)n, sizeof(*out));
	int ret = 0;

	for (int i = 0; i < n; i++) {
		char *argv[] = { v[i].t.agent, "clock", "--serve", NULL };

		in[i] = out[i] = -1;
		if (!v[i].t.local && transport_start(&v[i].t, argv, &c[i], &in[i], &out[i],
						     "/dev/null"))
			ret = -1;
	}
	for (int i = 0; i < n && !ret; i++)
		if (!v[i].t.local && ping_clock(&v[i], in[i], out[i]))
			ret = -1;
	for (int i = 0; i < n; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (c[i].pid && child_wait(&c[i], 5) == PERFLAB_ETIMEOUT)
			child_stop(&c[i], 1);
	}
	free(c);
	free(in);
	free(out);
	return ret;
}

int hosts_prepare(struct run_host *v, int n, const char *state_dir)
{
	double t = mono_s();
	int ret;

	struct child *c = xcalloc((size_t)n, sizeof(*c));

	ret = 0;
	for (int i = 0; i < n && !ret; i++)
		if (transport_init(&v[i].t, v[i].h, state_dir) ||
		    transport_connect_start(&v[i].t, &c[i]))
			ret = -1;
	for (int i = 0; i < n; i++)
		if (transport_connect_finish(&v[i].t, &c[i]))
			ret = -1;
	free(c);
	if (verbosity > 1)
		note("hosts connected in %.3f s", mono_s() - t);
	t = mono_s();
	ret = ret || prepare_all(v, n) ? -1 : 0;
	if (verbosity > 1)
		note("hosts checked in %.3f s", mono_s() - t);
	t = mono_s();
	ret = ret || clock_all(v, n) ? -1 : 0;
	if (verbosity > 1)
		note("clocks read in %.3f s", mono_s() - t);
	return ret;
}

int hosts_fingerprint(struct run_host *v, int n)
{
	struct pending *p = pending_alloc(n);
	int ret = 0, k = 0;

	for (int i = 0; i < n; i++) {
		char *argv[] = { "sh", "-c", "\"$1\" fingerprint --json > \"$2/fingerprint.json\"",
				 "perflab-fingerprint", v[i].t.agent, v[i].rdir, NULL };

		if (!pending_start(&p[k], &v[i], argv))
			k++;
	}
	pending_finish(p, k, 60);
	for (int i = 0; i < k; i++)
		if (p[i].code)
			ret = error("cannot take the fingerprint of host '%s'", p[i].rh->h->name);
	pending_release(p, k);
	free(p);
	return ret;
}

/* Start a tar of the host's run directory into a local file. */
static int start_tar(struct run_host *rh, struct child *c, char **tarball)
{
	struct spawn_opts so = SPAWN_OPTS_INIT;
	char *tar[] = { "tar", "-C", rh->rdir, "-cf", "-", ".", NULL };
	char **full = transport_argv(&rh->t, tar);
	int ret;

	*tarball = xasprintf("%s.tar", rh->ldir);
	so.stdout_path = *tarball;
	so.new_pgrp = 1;
	ret = mkdir_p(rh->ldir) || spawn_argv(c, full, &so) ? -1 : 0;
	argv_free(full);
	return ret;
}

static int unpack(struct run_host *rh, struct child *c, const char *tarball)
{
	char *untar[] = { "tar", "-C", rh->ldir, "-xf", (char *)tarball, NULL };
	int ret = 0;

	if (child_wait(c, rh->h->command_timeout) == PERFLAB_ETIMEOUT) {
		child_stop(c, 1);
		ret = error("fetching the results of host '%s' timed out", rh->h->name);
	} else if (child_exit_code(c)) {
		ret = error("cannot fetch the results of host '%s' (exit %d)", rh->h->name,
			    child_exit_code(c));
	} else if (run_capture(untar, rh->h->command_timeout, NULL)) {
		ret = error("cannot unpack '%s'", tarball);
	}
	unlink(tarball);
	return ret;
}

int hosts_fetch(struct run_host *v, int n)
{
	struct child *c = xcalloc((size_t)n, sizeof(*c));
	char **tarball = xcalloc((size_t)n, sizeof(*tarball));
	struct pending *p = pending_alloc(n);
	int ret = 0, k = 0;

	for (int i = 0; i < n; i++)
		if (v[i].t.connected && !v[i].t.local && v[i].rdir &&
		    start_tar(&v[i], &c[i], &tarball[i]))
			ret = -1;
	for (int i = 0; i < n; i++)
		if (tarball[i] && unpack(&v[i], &c[i], tarball[i]))
			ret = -1;
	for (int i = 0; i < n && !ret; i++) {
		char *rm[] = { "rm", "-rf", v[i].rdir, NULL };

		if (tarball[i] && !pending_start(&p[k], &v[i], rm))
			k++;
	}
	pending_finish(p, k, 30);
	pending_release(p, k);
	for (int i = 0; i < n; i++)
		free(tarball[i]);
	free(tarball);
	free(c);
	free(p);
	return ret;
}
