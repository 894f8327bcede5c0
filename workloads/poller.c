#include "workloads/poller.h"
#include "common/util.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/epoll.h>

struct poller {
	int fd;
	struct epoll_event buf[256];
};

struct poller *poller_new(void)
{
	struct poller *p = xcalloc(1, sizeof(*p));

	p->fd = epoll_create1(EPOLL_CLOEXEC);
	if (p->fd < 0) {
		error_errno("cannot create epoll instance");
		free(p);
		return NULL;
	}
	return p;
}

void poller_free(struct poller *p)
{
	if (!p)
		return;
	close(p->fd);
	free(p);
}

static int ctl(struct poller *p, int op, int fd, unsigned events, void *ptr)
{
	struct epoll_event ev = { .events = EPOLLET | EPOLLRDHUP };

	if (events & PE_IN)
		ev.events |= EPOLLIN;
	if (events & PE_OUT)
		ev.events |= EPOLLOUT;
	ev.data.ptr = ptr;
	return epoll_ctl(p->fd, op, fd, &ev);
}

int poller_add(struct poller *p, int fd, unsigned events, void *ptr)
{
	return ctl(p, EPOLL_CTL_ADD, fd, events, ptr);
}

int poller_wait(struct poller *p, struct poll_event *ev, int max, int timeout_ms)
{
	int n;

	if (max > (int)ARRAY_SIZE(p->buf))
		max = (int)ARRAY_SIZE(p->buf);
	n = epoll_wait(p->fd, p->buf, max, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		unsigned e = p->buf[i].events;

		ev[i].ptr = p->buf[i].data.ptr;
		ev[i].events = ((e & (EPOLLIN | EPOLLRDHUP)) ? PE_IN : 0) |
			       ((e & EPOLLOUT) ? PE_OUT : 0) |
			       ((e & (EPOLLERR | EPOLLHUP)) ? PE_ERR : 0);
	}
	return n;
}

#else /* kqueue: FreeBSD, macOS, the other BSDs */
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>

struct poller {
	int fd;
	struct kevent buf[256];
};

struct poller *poller_new(void)
{
	struct poller *p = xcalloc(1, sizeof(*p));

	p->fd = kqueue();
	if (p->fd < 0) {
		error_errno("cannot create kqueue");
		free(p);
		return NULL;
	}
	set_cloexec(p->fd);
	return p;
}

void poller_free(struct poller *p)
{
	if (!p)
		return;
	close(p->fd);
	free(p);
}

static int ctl(struct poller *p, int fd, unsigned events, void *ptr, int add)
{
	struct kevent ch[2];
	int n = 0;

	EV_SET(&ch[n++], fd, EVFILT_READ,
	       (events & PE_IN) ? EV_ADD | EV_CLEAR : (add ? 0 : EV_DELETE), 0, 0, ptr);
	EV_SET(&ch[n++], fd, EVFILT_WRITE,
	       (events & PE_OUT) ? EV_ADD | EV_CLEAR : (add ? 0 : EV_DELETE), 0, 0, ptr);
	for (int i = 0; i < n; i++) {
		if (!ch[i].flags)
			continue;
		if (kevent(p->fd, &ch[i], 1, NULL, 0, NULL) < 0 && errno != ENOENT)
			return -1;
	}
	return 0;
}

int poller_add(struct poller *p, int fd, unsigned events, void *ptr)
{
	return ctl(p, fd, events, ptr, 1);
}

int poller_mod(struct poller *p, int fd, unsigned events, void *ptr)
{
	return ctl(p, fd, events, ptr, 0);
}

int poller_del(struct poller *p, int fd)
{
	return ctl(p, fd, 0, NULL, 0);
}

int poller_wait(struct poller *p, struct poll_event *ev, int max, int timeout_ms)
{
	struct timespec ts, *tsp = NULL;
	int n;

	if (max > (int)ARRAY_SIZE(p->buf))
		max = (int)ARRAY_SIZE(p->buf);
	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}
	n = kevent(p->fd, NULL, 0, p->buf, max, tsp);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		ev[i].ptr = p->buf[i].udata;
		ev[i].events = (p->buf[i].filter == EVFILT_READ ? PE_IN : PE_OUT) |
			       ((p->buf[i].flags & (EV_EOF | EV_ERROR)) ? PE_ERR : 0);
	}
	return n;
}
#endif
