#ifndef LAB_RUNHOST_H
#define LAB_RUNHOST_H

#include "common/spawn.h"
#include "lab/transport.h"

struct host;

/*
 * A host taking part in a run, and the steps done on all of them at
 * once (over ssh each step costs a round trip or more; a lab's hosts
 * should not pay them one after the other).
 */
struct run_host {
	const struct host *h;
	struct transport t;
	char *rdir;		/* the run's directory on the host */
	char *ldir;		/* where its files are here */
	char *log_tag;		/* "" for a run on this machine, "-NAME" in a lab */
	double offset;		/* its CLOCK_MONOTONIC minus ours, seconds */
	double offset_err;	/* +/- half the best round trip, seconds */
	struct child collect, server, client;
	int collect_in, server_in;	/* their stdin: closing it stops them */
	int collect_out, server_out;
	int serves, drives;	/* DUT (runs the server), client (drives traffic) */
	/* a VM DUT: the CPU its QEMU used on this machine while the workload ran */
	double qemu_cpu_s, qemu_wall_s;	/* NaN when not a VM or not measured */
	int qemu_ncpu;		/* CPUs QEMU may use */
};

/* A host name as a file name: [A-Za-z0-9._-] kept, the rest %XX. */
char *name_as_path(const char *name);

/*
 * On every host at once: perflab installed and current, an empty run
 * directory, and the host's clock against ours (ping-pong over one
 * connection, the tightest round trip kept).
 */
int hosts_prepare(struct run_host *v, int n, const char *state_dir);

/*
 * Start argv on a host in the background (stdin and stdout pipes,
 * stderr to log). With line, wait for its first line of output.
 */
int host_start(struct run_host *rh, char *const *argv, struct child *c, int *in, int *out,
	       const char *log);
/* Wait for one line on fd within the ready timeout. */
int host_read_line(const struct run_host *rh, int fd, char *buf, size_t len, const char *who);

/* Each host's fingerprint into its run directory (fingerprint.json). */
int hosts_fingerprint(struct run_host *v, int n);

/*
 * Bring every remote host's run directory home, then clear it there; a
 * host never reached is left alone (it has nothing, and asking it again
 * would cost another connect timeout).
 */
int hosts_fetch(struct run_host *v, int n);

#endif
