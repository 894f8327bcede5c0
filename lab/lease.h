#ifndef LAB_LEASE_H
#define LAB_LEASE_H

#include <stddef.h>

struct hostlist;
struct host;

/*
 * Leases: a job holds the hosts it measures on for as long as it runs,
 * so two jobs sharing a lab (a nightly and a bisection from cron) never
 * measure on one DUT at once. A lease is a file per host in the lease
 * directory of this controller, held with flock(2): the kernel lets go
 * of it when its holder exits, however it exits (kill -9 included), so
 * a crashed holder leaves no stale lease, only a stale description,
 * which the next holder overwrites. The file says who holds the host
 * (pid, user, job, command, since when), for `perflab lab status` and
 * for the message a second job prints.
 *
 * The lease directory is $PERFLAB_LEASE_DIR, else /run/perflab/leases
 * for root, else $TMPDIR/perflab-leases-UID. Hosts are told apart by
 * user, address, port and the namespace the controller reaches them
 * from, so two labs on one machine do not share leases.
 */
struct lease_set {
	int *fds;		/* one held lease file per host, -1 = not held */
	size_t n;
};

struct lease_wait {
	double seconds;		/* how long to wait for a busy host: 0 = not at all, <0 = forever */
	const char *what;	/* the holder's description: "nightly net.job" */
};

/*
 * Take a lease on every host of hl (build hosts included), waiting as
 * w says with a progress line. 0 when all are held; PERFLAB_ETIMEOUT
 * after error() naming the holder of a busy host; -1 on error.
 * Release with lease_release_all (also done by the process's exit).
 */
int lease_take_all(struct lease_set *out, const struct hostlist *hl, const struct lease_wait *w);
void lease_release_all(struct lease_set *s);

/*
 * Who holds host h now: a line ("pid 123 (bisect run net.job) since
 * 2026-12-07T20:00:00Z") into out, 1 when held, 0 when free, -1 on error.
 */
int lease_holder(const struct host *h, char *out, size_t len);

/* The lease directory in use (see above). */
const char *lease_dir(void);

#endif
