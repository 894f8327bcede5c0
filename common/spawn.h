#ifndef COMMON_SPAWN_H
#define COMMON_SPAWN_H

#include <sys/types.h>

struct strbuf;

/*
 * Child processes are always started from an argv array, never from a
 * shell line: commit subjects, host names and paths are data.
 */
struct spawn_opts {
	const char *cwd;	/* working directory, NULL = inherit */
	const char *stdin_path;	/* NULL = /dev/null */
	int stdin_fd;		/* >= 0: use this fd for stdin (overrides path) */
	const char *stdout_path; /* NULL = inherit; file is created/truncated */
	const char *stderr_path; /* NULL = inherit; "&1" = same as stdout */
	int stdout_fd;		/* >= 0: use this fd for stdout (overrides path) */
	int keep_fd;		/* >= 0: this fd stays open in the child */
	int new_pgrp;		/* start a new process group (kill it whole) */
	int die_with_parent;	/* SIGTERM the child if perflab dies (Linux) */
	char *const *env;	/* extra NAME=value entries, NULL-terminated */
};
#define SPAWN_OPTS_INIT { .stdin_fd = -1, .stdout_fd = -1, .keep_fd = -1 }

struct child {
	pid_t pid;	/* 0 once reaped */
	int status;	/* wait status once reaped */
	double cpu_s;	/* user + system CPU seconds once reaped */
};

/* Start argv[0] (searched in PATH) with opts; fills out. */
int spawn_argv(struct child *out, char *const argv[], const struct spawn_opts *opts);
/*
 * Wait for the child at most timeout seconds (< 0: forever). Returns 0
 * once it has exited (status in c->status), PERFLAB_ETIMEOUT otherwise.
 */
int child_wait(struct child *c, double timeout);
/* Signal the child (its whole group when it has one). */
int child_kill(struct child *c, int sig);
/*
 * Stop a child politely: SIGTERM, wait grace seconds, then SIGKILL and
 * reap. Safe on a child that already exited.
 */
void child_stop(struct child *c, double grace);
/*
 * Exit code of a reaped child in the shell's convention: the exit
 * status, or 128 + signal number.
 */
int child_exit_code(const struct child *c);

/*
 * Run argv to completion within timeout seconds (< 0: none), capturing
 * stdout into out (may be NULL) and passing stderr through. Returns the
 * exit code (as child_exit_code), or a negative error; on timeout the
 * whole process group is killed and PERFLAB_ETIMEOUT returned.
 */
/*
 * Open /dev/null on any of descriptors 0, 1 and 2 that is closed, so that
 * no file or pipe opened later lands there by chance (as git does).
 */
void sanitize_std_fds(void);

int run_capture(char *const argv[], double timeout, struct strbuf *out);
/* The same with standard error sent to a file ("/dev/null" to hush it). */
int run_capture_err(char *const argv[], double timeout, struct strbuf *out,
		    const char *stderr_path);

/* The absolute path of the running perflab binary. */
const char *self_exe(void);

#endif
