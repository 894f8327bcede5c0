#include "common/spawn.h"
#include "common/util.h"
#include "common/strbuf.h"
#include "common/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <unistd.h>

static int open_into(const char *path, int flags, int target)
{
	int fd = open(path, flags, 0644);

	if (fd < 0)
		return -1;
	if (fd != target) {
		if (dup2(fd, target) < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static void close_other_fds(int keep)
{
	int max = (int)sysconf(_SC_OPEN_MAX);

#ifdef SYS_close_range
	/* one system call instead of one per possible descriptor */
	if (keep < 3 && !syscall(SYS_close_range, 3U, ~0U, 0))
		return;
	if (keep >= 3 && (keep == 3 || !syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0)) &&
	    !syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0))
		return;
#endif
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 3; fd < max; fd++)
		if (fd != keep)
			close(fd);
}

/* What the child was doing when it failed, for the parent's message. */
enum spawn_stage { STAGE_EXEC, STAGE_CWD, STAGE_STDIN, STAGE_STDOUT, STAGE_STDERR, STAGE_OTHER };

static void NORETURN child_fail(int errfd, int stage)
{
	int msg[2] = { stage, errno };

	if (write(errfd, msg, sizeof(msg)) < 0)
		_exit(127);
	_exit(127);
}

/*
 * dup2 onto itself keeps close-on-exec: a pipe that landed on the very
 * descriptor it is meant for would be closed by the exec.
 */
static int move_fd(int from, int to)
{
	if (from != to)
		return dup2(from, to);
	return fcntl(to, F_SETFD, fcntl(to, F_GETFD) & ~FD_CLOEXEC);
}

static void redirect(const struct spawn_opts *o, int errfd)
{
	if (o->cwd && chdir(o->cwd))
		child_fail(errfd, STAGE_CWD);
	if (o->stdin_fd >= 0 ? move_fd(o->stdin_fd, 0) < 0
	    : open_into(o->stdin_path ? o->stdin_path : "/dev/null", O_RDONLY, 0))
		child_fail(errfd, STAGE_STDIN);
	if (o->stdout_fd >= 0 ? move_fd(o->stdout_fd, 1) < 0
	    : o->stdout_path && open_into(o->stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 1))
		child_fail(errfd, STAGE_STDOUT);
	if (o->stderr_path && !strcmp(o->stderr_path, "&1") ? dup2(1, 2) < 0
	    : o->stderr_path && open_into(o->stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 2))
		child_fail(errfd, STAGE_STDERR);
}

/* In the child: set up and exec; reports failure on fd errfd. */
static void NORETURN exec_child(char *const argv[], const struct spawn_opts *o,
				int errfd)
{
	if (o->new_pgrp)
		setpgid(0, 0);
#ifdef __linux__
	if (o->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGTERM))
		child_fail(errfd, STAGE_OTHER);
#endif
	signal(SIGPIPE, SIG_DFL);
	redirect(o, errfd);
	for (char *const *e = o->env; e && *e; e++)
		putenv(*e);
	if (o->keep_fd >= 0) {
		int fl = fcntl(o->keep_fd, F_GETFD);

		fcntl(o->keep_fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	close_other_fds(o->keep_fd >= 0 ? o->keep_fd : errfd);
	execvp(argv[0], argv);
	child_fail(errfd, STAGE_EXEC);
}

static int report_spawn_error(const char *cmd, const struct spawn_opts *o, int stage)
{
	switch (stage) {
	case STAGE_CWD: return error_errno("cannot run '%s' in '%s'", cmd, o->cwd);
	case STAGE_STDIN: return error_errno("cannot give '%s' its input '%s'", cmd,
					     o->stdin_path ? o->stdin_path : "(pipe)");
	case STAGE_STDOUT: return error_errno("cannot send the output of '%s' to '%s'", cmd,
					      o->stdout_path ? o->stdout_path : "(pipe)");
	case STAGE_STDERR: return error_errno("cannot send the errors of '%s' to '%s'", cmd,
					      o->stderr_path);
	case STAGE_EXEC: return error_errno("cannot run '%s'", cmd);
	default: return error_errno("cannot start '%s'", cmd);
	}
}

int spawn_argv(struct child *out, char *const argv[], const struct spawn_opts *opts)
{
	struct spawn_opts none = SPAWN_OPTS_INIT;
	int pfd[2], msg[2] = { 0, 0 };
	ssize_t n;
	pid_t pid;

	if (!opts)
		opts = &none;
	memset(out, 0, sizeof(*out));
	if (pipe2(pfd, O_CLOEXEC))
		return error_errno("cannot create pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return error_errno("cannot fork for '%s'", argv[0]);
	}
	if (pid == 0) {
		close(pfd[0]);
		exec_child(argv, opts, pfd[1]);
	}
	close(pfd[1]);
	if (opts->new_pgrp)
		setpgid(pid, pid);	/* both sides, to win the race */
	do {
		n = read(pfd[0], msg, sizeof(msg));
	} while (n < 0 && errno == EINTR);
	close(pfd[0]);
	out->pid = pid;
	if (n == sizeof(msg)) {
		waitpid(pid, &out->status, 0);
		out->pid = 0;
		errno = msg[1];
		return report_spawn_error(argv[0], opts, msg[0]);
	}
	return 0;
}

int child_wait(struct child *c, double timeout)
{
	uint64_t deadline = timeout < 0 ? UINT64_MAX
			    : mono_ns() + (uint64_t)(timeout * 1e9);
	uint64_t nap = 1000000;	/* 1 ms, growing to 50 ms */

	if (!c->pid)
		return 0;
	for (;;) {
		struct rusage ru;
		pid_t r = wait4(c->pid, &c->status, timeout < 0 ? 0 : WNOHANG, &ru);

		if (r == c->pid) {
			c->pid = 0;
			c->cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
				   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return error_errno("cannot wait for process %ld", (long)c->pid);
		if (r == 0 && mono_ns() >= deadline)
			return PERFLAB_ETIMEOUT;
		if (r == 0) {
			sleep_ns(nap);
			if (nap < 50000000)
				nap *= 2;
		}
	}
}

int child_kill(struct child *c, int sig)
{
	if (!c->pid)
		return 0;
	if (getpgid(c->pid) == c->pid)
		return kill(-c->pid, sig);
	return kill(c->pid, sig);
}

void child_stop(struct child *c, double grace)
{
	if (!c->pid)
		return;
	child_kill(c, SIGTERM);
	if (child_wait(c, grace) == 0)
		return;
	child_kill(c, SIGKILL);
	child_wait(c, -1);
}

int child_exit_code(const struct child *c)
{
	if (WIFEXITED(c->status))
		return WEXITSTATUS(c->status);
	if (WIFSIGNALED(c->status))
		return 128 + WTERMSIG(c->status);
	return 128;
}

void sanitize_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd ? O_WRONLY : O_RDONLY) < 0)
			die("cannot open /dev/null for descriptor %d", fd);
}

int run_capture(char *const argv[], double timeout, struct strbuf *out)
{
	return run_capture_err(argv, timeout, out, NULL);
}

int run_capture_err(char *const argv[], double timeout, struct strbuf *out,
		    const char *stderr_path)
{
	struct spawn_opts o = SPAWN_OPTS_INIT;
	struct child c;
	uint64_t deadline = timeout < 0 ? UINT64_MAX
			    : mono_ns() + (uint64_t)(timeout * 1e9);
	int pfd[2], ret;

	if (pipe2(pfd, O_CLOEXEC))
		return error_errno("cannot create pipe");
	o.stdout_fd = pfd[1];
	o.stderr_path = stderr_path;
	o.new_pgrp = 1;
	ret = spawn_argv(&c, argv, &o);
	close(pfd[1]);
	if (ret) {
		close(pfd[0]);
		return ret;
	}
	for (;;) {
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		uint64_t now = mono_ns();
		int wait_ms = deadline == UINT64_MAX ? -1
			      : now >= deadline ? 0
			      : (int)((deadline - now) / NSEC_PER_MSEC) + 1;
		char buf[4096];
		ssize_t n;

		if (poll(&pf, 1, wait_ms) == 0)
			break;	/* deadline */
		n = read(pfd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out)
			strbuf_add(out, buf, (size_t)n);
	}
	close(pfd[0]);
	if (mono_ns() >= deadline) {
		child_kill(&c, SIGKILL);
		child_wait(&c, -1);
		return PERFLAB_ETIMEOUT;
	}
	ret = child_wait(&c, deadline == UINT64_MAX ? -1
			 : (double)(deadline - mono_ns()) / 1e9);
	if (ret == PERFLAB_ETIMEOUT) {
		child_kill(&c, SIGKILL);
		child_wait(&c, -1);
		return ret;
	}
	return ret ? ret : child_exit_code(&c);
}

const char *self_exe(void)
{
	static char path[PATH_MAX];
	ssize_t n;

	if (path[0])
		return path;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0)
		die_errno("cannot find the perflab binary");
	path[n] = '\0';
	return path;
}
