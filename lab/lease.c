/*
 * Leases on lab hosts (see lease.h): one flock'd file per host.
 */
#include "lab/lease.h"
#include "lab/hosts.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/progress.h"
#include "common/sha256.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define POLL_NS (250 * NSEC_PER_MSEC)

const char *lease_dir(void)
{
	static char *dir;
	const char *env = getenv("PERFLAB_LEASE_DIR"), *tmp = getenv("TMPDIR");

	if (dir)
		return dir;
	if (env && *env)
		dir = xstrdup(env);
	else if (is_root())
		dir = xstrdup("/run/perflab/leases");
	else
		dir = xasprintf("%s/perflab-leases-%ld", tmp && *tmp ? tmp : "/tmp", (long)getuid());
	return dir;
}

/* The host's identity as the controller reaches it, hashed into a file name. */
static char *lease_path(const struct host *h)
{
	char *id = xasprintf("%s@%s:%ld%%%s", h->user, h->address, h->port,
			     h->netns ? h->netns : ""), hex[SHA256_HEX], *path;

	sha256_hex(id, strlen(id), hex);
	hex[24] = '\0';
	path = xasprintf("%s/%s.lease", lease_dir(), hex);
	free(id);
	return path;
}

static int open_lease(const struct host *h)
{
	char *path = lease_path(h);
	int fd;

	if (mkdir_p(lease_dir())) {
		free(path);
		return -1;
	}
	chmod(lease_dir(), 0755);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		error_errno("cannot open the lease '%s' of host '%s'", path, h->name);
	free(path);
	return fd;
}

/* The holder's description, written once the lease is ours. */
static void describe(int fd, const struct host *h, const char *what)
{
	json_t *o = json_object();
	char t[40], *text;

	json_set_int(o, "pid", (long long)getpid());
	json_set_int(o, "uid", (long long)getuid());
	json_set_str(o, "host", h->name);
	json_set_str(o, "address", h->address);
	json_set_str(o, "what", what ? what : "perflab");
	json_set_str(o, "since_utc", fmt_time_utc(real_ns(), t, sizeof(t)));
	text = json_dump_compact(o);
	if (ftruncate(fd, 0) || pwrite(fd, text, strlen(text), 0) < 0 ||
	    pwrite(fd, "\n", 1, (off_t)strlen(text)) < 0)
		warning_errno("cannot describe the lease of host '%s'", h->name);
	free(text);
	json_decref(o);
}

static void holder_text(int fd, char *out, size_t len)
{
	char buf[1024];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	json_t *o;

	buf[n > 0 ? n : 0] = '\0';
	o = json_loads(buf, 0, NULL);
	if (!o) {
		snprintf(out, len, "another perflab (no description yet)");
		return;
	}
	snprintf(out, len, "pid %.0f (%s) since %s", json_get_num(o, "pid"),
		 json_get_str(o, "what") ? json_get_str(o, "what") : "?",
		 json_get_str(o, "since_utc") ? json_get_str(o, "since_utc") : "?");
	json_decref(o);
}

int lease_holder(const struct host *h, char *out, size_t len)
{
	char *path = lease_path(h);
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	free(path);
	*out = '\0';
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	/* a shared lock can be had only when no one holds the lease */
	if (!flock(fd, LOCK_SH | LOCK_NB)) {
		flock(fd, LOCK_UN);
		ret = 0;
	} else {
		holder_text(fd, out, len);
		ret = 1;
	}
	close(fd);
	return ret;
}

/* One host's lease, waiting as asked. */
static int take_one(int *fd_out, const struct host *h, const struct lease_wait *w)
{
	uint64_t start = mono_ns();
	int fd = open_lease(h), said = 0;

	*fd_out = -1;
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		char who[512];
		double waited = (double)(mono_ns() - start) / 1e9;

		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return error_errno("cannot lock the lease of host '%s'", h->name);
		}
		holder_text(fd, who, sizeof(who));
		if (w->seconds >= 0 && waited >= w->seconds) {
			progress_clear();
			close(fd);
			error("host '%s' is leased by %s: the lab is busy%s", h->name, who,
			      w->seconds > 0 ? " (waited long enough)" :
			      " (--lease-wait SECS waits for it)");
			return PERFLAB_ETIMEOUT;
		}
		if (!said++)
			note("host '%s' is leased by %s: waiting", h->name, who);
		progress("waiting for host '%s' (leased by %s), %.0f s", h->name, who, waited);
		sleep_ns(POLL_NS);
	}
	if (said)
		progress_clear();
	describe(fd, h, w->what);
	*fd_out = fd;
	return 0;
}

int lease_take_all(struct lease_set *s, const struct hostlist *hl, const struct lease_wait *w)
{
	int ret = 0;

	s->n = hl ? hl->nr : 0;
	s->fds = xcalloc(s->n + 1, sizeof(*s->fds));
	for (size_t i = 0; i < s->n; i++)
		s->fds[i] = -1;
	/* in file order: two jobs wanting the same hosts queue on the first */
	for (size_t i = 0; i < s->n && !ret; i++)
		ret = take_one(&s->fds[i], &hl->v[i], w);
	if (ret)
		lease_release_all(s);
	return ret;
}

void lease_release_all(struct lease_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->fds[i] >= 0)
			close(s->fds[i]);	/* the lock goes with it */
	free(s->fds);
	s->fds = NULL;
	s->n = 0;
}
