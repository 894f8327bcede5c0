#ifndef LAB_TRANSPORT_H
#define LAB_TRANSPORT_H

#include <sys/types.h>

struct host;
struct strbuf;
struct child;

/*
 * How the controller reaches a host: `local` runs commands here with
 * fork/exec, anything else goes through the OpenSSH client (BatchMode,
 * a connect timeout, one ControlMaster connection per host reused by
 * every command of a step). Commands always travel as argv; for ssh
 * they are quoted for the remote shell by shell_quote() and nothing
 * else, so host names, paths and commit subjects stay data.
 */
struct transport {
	const struct host *h;
	int local;		/* address = local */
	char *state_dir;	/* as given to transport_init */
	char *ctl_dir;		/* directory of the ControlMaster socket: short and private
				   (see transport_init) */
	char *connect_err;	/* ssh's standard error while connecting */
	int connected;		/* the shared connection was made (always, when local) */
	char **ssh;		/* argv prefix: [ip netns exec NS] ssh -o ... user@addr */
	char *agent;		/* what runs the host verbs there: the agent's path, once checked
				   (this perflab itself on a local host) */
};

/*
 * Prepare a transport. The ControlMaster socket of state_dir's
 * connections lives in a short private directory, whatever the length of
 * state_dir (a socket's path has 108 bytes): $XDG_RUNTIME_DIR or /tmp,
 * then perflab-ssh-UID (0700, this user's alone), then a hash of
 * state_dir's absolute path, so two results directories never share a
 * connection.
 */
int transport_init(struct transport *t, const struct host *h, const char *state_dir);
/*
 * Open the shared connection (ssh -N -f as ControlMaster) in the
 * background; finish waits for it within the host's connect timeout and
 * names the host when it cannot be reached, with ssh's own message. Start several, then finish
 * them, to connect to a lab's hosts at once.
 */
int transport_connect_start(struct transport *t, struct child *c);
int transport_connect_finish(struct transport *t, struct child *c);
/* The same without a word when it fails (polling a host that reboots). */
int transport_connect_finish_quiet(struct transport *t, struct child *c);
/* Close the shared connection (ssh -O exit) and free. */
void transport_release(struct transport *t);
/*
 * Free, keeping the shared connection for the next step (it closes
 * itself after ControlPersist seconds of idleness).
 */
void transport_release_keep(struct transport *t, int keep_master);

/*
 * POSIX sh quoting of an argv for a remote shell: every word in single
 * quotes, a single quote written as '\''. The caller frees the result.
 */
char *shell_quote(char *const argv[]);

/* The local argv that runs argv on the host (caller frees with argv_free). */
char **transport_argv(const struct transport *t, char *const argv[]);

/*
 * Run argv on the host within timeout seconds, capturing standard
 * output into out (may be NULL). Returns the command's exit code, or a
 * negative error: an unreachable host (ssh's 255) and a timeout are
 * errors that name the host.
 */
int transport_run(struct transport *t, char *const argv[], double timeout, struct strbuf *out);
/* The same with the command's standard error sent to a local file. */
int transport_run_err(struct transport *t, char *const argv[], double timeout,
		      struct strbuf *out, const char *stderr_path);
/*
 * Start argv on the host in the background. Its standard input is a
 * pipe (*in_fd: closing it asks a `perflab ... --stop-on-eof` process
 * to finish), its standard output a pipe (*out_fd), standard error goes
 * to err_path. The local child is the ssh client (or the process).
 */
int transport_start(struct transport *t, char *const argv[], struct child *c,
		    int *in_fd, int *out_fd, const char *err_path);
/* Copy a local file to a path on the host (atomically: temp + rename). */
int transport_put(struct transport *t, const char *local, const char *remote, int mode);
/*
 * The agent this perflab installs on hosts: $PERFLAB_AGENT, else
 * perflab-agent beside this perflab's binary, else the installed one
 * (PERFLAB_LIBEXECDIR). NULL after error() when there is none.
 */
const char *agent_local_path(void);

/*
 * Put this perflab's agent into the host's workdir ({workdir}/perflab-agent,
 * mode 0700, replacing what is there) and set t->agent.
 */
int transport_install_agent(struct transport *t);

#endif
