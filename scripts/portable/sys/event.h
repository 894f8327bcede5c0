/* FreeBSD's <sys/event.h> (kqueue), the part perflab uses: a stub for make check-portable. */
#ifndef PORTABLE_SYS_EVENT_H
#define PORTABLE_SYS_EVENT_H
#include <stdint.h>
#include <time.h>
struct kevent {
	uintptr_t ident;
	short filter;
	unsigned short flags;
	unsigned int fflags;
	int64_t data;
	void *udata;
	uint64_t ext[4];
};
#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)
#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_CLEAR 0x0020
#define EV_EOF 0x8000
#define EV_ERROR 0x4000
#define EV_SET(kevp, a, b, c, d, e, f) do { \
	(kevp)->ident = (a); (kevp)->filter = (b); (kevp)->flags = (c); \
	(kevp)->fflags = (d); (kevp)->data = (e); (kevp)->udata = (f); } while (0)
int kqueue(void);
int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
	   int nevents, const struct timespec *timeout);
#endif
