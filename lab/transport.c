#include "lab/transport.h"
#include "common/version.h"
#include "lab/hosts.h"
#include "common/fsutil.h"
#include "common/parse.h"
#include "common/sha256.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SSH_UNREACHABLE 255	/* ssh's exit code for its own failures */
#define SUN_PATH_MAX 108	/* sizeof(sockaddr_un.sun_path) */
#define SSH_CTL_NAME 58		/* "/" %C (40 hex digits) and ssh's ".XXXXXXXXXXXXXXXX" */

char *shell_quote(char *const argv[])
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; argv[i]; i++) {
		if (i)
			strbuf_addch(&sb, ' ');
		strbuf_addch(&sb, '\'');
		for (const char *p = argv[i]; *p; p++) {
			if (*p == '\'')
				strbuf_addstr(&sb, "'\\''");
			else
				strbuf_addch(&sb, *p);
		}
		strbuf_addch(&sb, '\'');
	}
	return strbuf_detach(&sb, NULL);
}

struct argv_buf {
	char **v;
	size_t nr, alloc;
};

static void push(struct argv_buf *a, char *s)
{
	ALLOC_GROW(a->v, a->nr + 2, a->alloc);
	a->v[a->nr++] = s;
	a->v[a->nr] = NULL;
}

/* "-o" and "Key=value", the value taken as it is (never a format). */
static void push_opt(struct argv_buf *a, const char *key, const char *val)
{
	push(a, xstrdup("-o"));
	push(a, xasprintf("%s=%s", key, val));
}

static const char *const strict_names[] = { "yes", "accept-new", "no" };

/* The ssh argv prefix for a host: every option explicit, none from data. */
static char **ssh_prefix(const struct host *h, const char *ctl_dir)
{
	struct argv_buf a = { 0 };
	char num[32];

	if (h->netns && *h->netns) {
		push(&a, xstrdup("ip"));
		push(&a, xstrdup("netns"));
		push(&a, xstrdup("exec"));
		push(&a, xstrdup(h->netns));
	}
	push(&a, xstrdup("ssh"));
	push_opt(&a, "BatchMode", "yes");
	snprintf(num, sizeof(num), "%.0f", h->connect_timeout);
	push_opt(&a, "ConnectTimeout", num);
	push_opt(&a, "ControlMaster", "auto");
	{
		char *path = xasprintf("%s/%%C", ctl_dir);

		push_opt(&a, "ControlPath", path);
		free(path);
	}
	push_opt(&a, "ControlPersist", "60");
	push_opt(&a, "ServerAliveInterval", "5");
	push_opt(&a, "ServerAliveCountMax", "3");
	push_opt(&a, "LogLevel", "ERROR");
	push_opt(&a, "StrictHostKeyChecking", strict_names[h->host_key_policy]);
	if (*h->known_hosts)
		push_opt(&a, "UserKnownHostsFile", h->known_hosts);
	if (*h->identity) {
		push_opt(&a, "IdentityFile", h->identity);
		push_opt(&a, "IdentitiesOnly", "yes");
	}
	snprintf(num, sizeof(num), "%ld", h->port);
	push(&a, xstrdup("-p"));
	push(&a, xstrdup(num));
	push(&a, xstrdup("-l"));
	push(&a, xstrdup(h->user));
	push(&a, xstrdup("--"));	/* the address is never an option */
	push(&a, xstrdup(h->address));
	return a.v;
}

/* $XDG_RUNTIME_DIR/perflab-ssh-UID, or /tmp's when that is too long. */
static char *ctl_base(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char *base = NULL;

	if (xdg && *xdg == '/' && is_dir(xdg)) {
		base = xasprintf("%s/perflab-ssh-%ld", xdg, (long)geteuid());
		if (strlen(base) + 17 + SSH_CTL_NAME < SUN_PATH_MAX)
			return base;
		free(base);
	}
	return xasprintf("/tmp/perflab-ssh-%ld", (long)geteuid());
}

static char *ctl_dir_for(const char *state_dir)
{
	char *base = ctl_base(), *abs = path_absolute(state_dir), hex[SHA256_HEX], *dir = NULL;

	sha256_hex(abs, strlen(abs), hex);
	hex[16] = '\0';
	if (!mkdir_private(base)) {
		dir = xasprintf("%s/%s", base, hex);
		if (mkdir_private(dir)) {
			free(dir);
			dir = NULL;
		}
	}
	free(base);
	free(abs);
	return dir;
}

int transport_init(struct transport *t, const struct host *h, const char *state_dir)
{
	memset(t, 0, sizeof(*t));
	t->h = h;
	t->local = host_is_local(h);
	t->connected = t->local;
	t->state_dir = xstrdup(state_dir);
	if (t->local)
		return 0;
	t->ctl_dir = ctl_dir_for(state_dir);
	if (!t->ctl_dir)
		return error("no private directory for the ssh connection to host '%s'",
			     h->name);
	t->ssh = ssh_prefix(h, t->ctl_dir);
	return 0;
}

static const char *host_desc(const struct transport *t, struct strbuf *sb)
{
	strbuf_reset(sb);
	strbuf_addf(sb, "'%s' (%s@%s:%ld)", t->h->name, t->h->user, t->h->address, t->h->port);
	return sb->buf;
}

/* The ssh prefix with extra options inserted before the "--". */
static char **with_options(char **prefix, char *const *extra)
{
	char **v = xcalloc((size_t)argv_len(prefix) + (size_t)argv_len(extra) + 1, sizeof(*v));
	int n = 0;

	for (int i = 0; prefix[i]; i++) {
		if (!strcmp(prefix[i], "--"))
			for (int k = 0; extra[k]; k++)
				v[n++] = extra[k];
		v[n++] = prefix[i];
	}
	return v;
}

int transport_connect_start(struct transport *t, struct child *c)
{
	static unsigned seq;
	char *check[] = { "-O", "check", NULL };
	char *extra[] = { "-N", "-f", "-o", "ControlMaster=yes", NULL };
	struct spawn_opts so = SPAWN_OPTS_INIT;
	char **argv;
	int ret;

	memset(c, 0, sizeof(*c));
	if (t->local)
		return 0;
	argv = with_options(t->ssh, check);
	ret = run_capture_err(argv, 5, NULL, "/dev/null");
	free(argv);
	if (ret == 0) {
		t->connected = 1;
		return 0;	/* a master from an earlier step is still there */
	}
	argv = with_options(t->ssh, extra);
	free(t->connect_err);	/* one per connection: hosts connect side by side */
	t->connect_err = xasprintf("%s/connect-%ld-%u.err", t->ctl_dir, (long)getpid(), ++seq);
	so.stdout_path = "/dev/null";	/* the master must not hold our pipes */
	so.stderr_path = t->connect_err;	/* a file: the master may keep it open */
	so.new_pgrp = 1;
	ret = spawn_argv(c, argv, &so);
	free(argv);
	return ret;
}

/* What ssh said while connecting, on one line ("" when nothing). */
static char *connect_said(struct transport *t)
{
	char *text = t->connect_err ? read_file(t->connect_err, 4096, NULL) : NULL;
	struct strbuf sb = STRBUF_INIT;

	for (char *line = text ? strtok(text, "\r\n") : NULL; line; line = strtok(NULL, "\r\n"))
		if (*line)
			strbuf_addf(&sb, "%s%s", sb.len ? "; " : ": ", line);
	free(text);
	return strbuf_detach(&sb, NULL);
}

static int connect_finish(struct transport *t, struct child *c, int quiet)
{
	struct strbuf desc = STRBUF_INIT;
	char *said;
	int ret = 0;

	if (t->local || !c->pid)
		return t->connected ? 0 : -1;
	if (child_wait(c, t->h->connect_timeout + 5) == PERFLAB_ETIMEOUT) {
		child_stop(c, 1);
		ret = -1;
		said = connect_said(t);
		if (!quiet)
			error("cannot reach host %s within %.0f s%s", host_desc(t, &desc),
			      t->h->connect_timeout, said);
		free(said);
	} else if (child_exit_code(c)) {
		ret = -1;
		said = connect_said(t);
		if (!quiet)
			error("cannot reach host %s over ssh (exit %d)%s", host_desc(t, &desc),
			      child_exit_code(c), said);
		free(said);
	}
	if (t->connect_err)
		unlink(t->connect_err);
	t->connected = !ret;
	strbuf_release(&desc);
	return ret;
}

int transport_connect_finish(struct transport *t, struct child *c)
{
	return connect_finish(t, c, 0);
}

int transport_connect_finish_quiet(struct transport *t, struct child *c)
{
	return connect_finish(t, c, 1);
}

void transport_release(struct transport *t)
{
	transport_release_keep(t, 0);
}

void transport_release_keep(struct transport *t, int keep_master)
{
	if (t->ssh && !keep_master) {
		char *extra[] = { "-O", "exit", NULL };
		char **stop = with_options(t->ssh, extra);

		{
			struct spawn_opts so = SPAWN_OPTS_INIT;
			struct child c;

			so.stdout_path = so.stderr_path = "/dev/null";
			if (!spawn_argv(&c, stop, &so) && child_wait(&c, 5) == PERFLAB_ETIMEOUT)
				child_stop(&c, 1);
		}
		free(stop);
	}
	if (t->ctl_dir)
		rmdir(t->ctl_dir);	/* only when no master is left there */
	argv_free(t->ssh);
	free(t->state_dir);
	free(t->ctl_dir);
	free(t->connect_err);
	free(t->agent);
	memset(t, 0, sizeof(*t));
}

char **transport_argv(const struct transport *t, char *const argv[])
{
	struct argv_buf a = { 0 };

	if (t->local) {
		for (int i = 0; argv[i]; i++)
			push(&a, xstrdup(argv[i]));
		return a.v;
	}
	for (int i = 0; t->ssh[i]; i++)
		push(&a, xstrdup(t->ssh[i]));
	push(&a, shell_quote(argv));
	return a.v;
}

int transport_run(struct transport *t, char *const argv[], double timeout, struct strbuf *out)
{
	return transport_run_err(t, argv, timeout, out, NULL);
}

int transport_run_err(struct transport *t, char *const argv[], double timeout,
		      struct strbuf *out, const char *stderr_path)
{
	char **full = transport_argv(t, argv);
	struct strbuf desc = STRBUF_INIT;
	int ret = run_capture_err(full, timeout, out, stderr_path);

	if (ret == PERFLAB_ETIMEOUT)
		ret = error("host %s: '%s' did not finish within %.0f s", host_desc(t, &desc),
			    argv[0], timeout);
	else if (ret == SSH_UNREACHABLE && !t->local)
		ret = error("cannot reach host %s over ssh", host_desc(t, &desc));
	argv_free(full);
	strbuf_release(&desc);
	return ret;
}

int transport_start(struct transport *t, char *const argv[], struct child *c,
		    int *in_fd, int *out_fd, const char *err_path)
{
	struct spawn_opts so = SPAWN_OPTS_INIT;
	char **full = transport_argv(t, argv);
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, ret;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
		ret = error_errno("cannot create pipes");
		goto done;
	}
	so.stdin_fd = in[0];
	so.stdout_fd = out[1];
	so.stderr_path = err_path;
	so.new_pgrp = 1;
	so.die_with_parent = 1;
	ret = spawn_argv(c, full, &so);
done:
	if (in[0] >= 0)
		close(in[0]);
	if (out[1] >= 0)
		close(out[1]);
	if (ret) {
		if (in[1] >= 0)
			close(in[1]);
		if (out[0] >= 0)
			close(out[0]);
	} else {
		*in_fd = in[1];
		*out_fd = out[0];
	}
	argv_free(full);
	return ret;
}

/* Run argv with a local file as standard input (or output). */
static int run_with_file(struct transport *t, char *const argv[], const char *path,
			 int as_input, double timeout)
{
	struct spawn_opts so = SPAWN_OPTS_INIT;
	struct strbuf desc = STRBUF_INIT;
	char **full = transport_argv(t, argv);
	struct child c;
	int ret;

	if (as_input)
		so.stdin_path = path;
	else
		so.stdout_path = path;
	so.new_pgrp = 1;
	ret = spawn_argv(&c, full, &so);
	if (!ret && child_wait(&c, timeout) == PERFLAB_ETIMEOUT) {
		child_stop(&c, 1);
		ret = error("host %s: copying '%s' timed out", host_desc(t, &desc), path);
	} else if (!ret && child_exit_code(&c)) {
		ret = error("host %s: copying '%s' failed (exit %d)", host_desc(t, &desc), path,
			    child_exit_code(&c));
	}
	argv_free(full);
	strbuf_release(&desc);
	return ret;
}

int transport_put(struct transport *t, const char *local, const char *remote, int mode)
{
	char *tmp = xasprintf("%s.tmp.%ld", remote, (long)getpid());
	char *script = xasprintf("umask 077 && cat > \"$1\" && chmod %o \"$1\" && mv -f \"$1\" \"$2\"",
				 (unsigned)mode);
	char *argv[] = { "sh", "-c", script, "perflab-put", tmp, (char *)remote, NULL };
	int ret = run_with_file(t, argv, local, 1, t->h->command_timeout);

	free(script);
	free(tmp);
	return ret;
}

const char *agent_local_path(void)
{
	static char *found;
	const char *env = getenv("PERFLAB_AGENT"), *self;
	char *dir;

	if (found)
		return found;
	if (env && *env) {
		if (access(env, X_OK))
			return error_errno("PERFLAB_AGENT '%s' is not an executable", env), NULL;
		return found = xstrdup(env);
	}
	self = self_exe();
	dir = xstrndup(self, strrchr(self, '/') ? (size_t)(strrchr(self, '/') - self) : 0);
	found = xasprintf("%s/perflab-agent", *dir ? dir : ".");
	free(dir);
	if (!access(found, X_OK))
		return found;
	free(found);
	found = xasprintf("%s/perflab-agent", perflab_libexecdir());
	if (!access(found, X_OK))
		return found;
	free(found);
	found = NULL;
	error("no perflab-agent beside '%s' nor in '%s' (make builds it; PERFLAB_AGENT "
	      "names another)", self, perflab_libexecdir());
	return NULL;
}

int transport_install_agent(struct transport *t)
{
	const char *local = agent_local_path();
	char *path;

	if (!local)
		return -1;
	path = xasprintf("%s/perflab-agent", t->h->workdir);
	if (transport_put(t, local, path, 0700)) {
		free(path);
		return error("cannot install perflab-agent on host '%s'", t->h->name);
	}
	free(t->agent);
	t->agent = path;
	return 0;
}
