#ifndef WORKLOADS_POLLER_H
#define WORKLOADS_POLLER_H

/*
 * The event loop's readiness source: epoll on Linux, kqueue on the BSDs.
 * Edge-triggered in both: a caller reads or writes until EAGAIN before
 * it waits again.
 */
#define PE_IN 1u
#define PE_OUT 2u
#define PE_ERR 4u	/* error or hang-up: try the I/O to learn which */

struct poller;

struct poll_event {
	void *ptr;		/* what was registered with the fd */
	unsigned events;	/* POLL_* */
};

struct poller *poller_new(void);
void poller_free(struct poller *p);
/* Register fd for events (PE_IN | PE_OUT), edge-triggered. */
int poller_add(struct poller *p, int fd, unsigned events, void *ptr);
/*
 * Wait at most timeout_ms (-1 forever) and fill up to max events.
 * Returns the number filled, 0 on timeout or EINTR, -1 on error.
 */
int poller_wait(struct poller *p, struct poll_event *ev, int max, int timeout_ms);

#endif
